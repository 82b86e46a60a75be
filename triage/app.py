"""Builds what a command needs from ``Settings``: the store, the classifier, the renderer, the
poller, the connections. The one place where the layers are wired together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, partial
from typing import TYPE_CHECKING

from triage.config import OAuth2, Settings
from triage.daemon import Daemon
from triage.errors import ConfigError
from triage.mailbox import Mailbox
from triage.notify import Notifier
from triage.oauth import TokenSource
from triage.outbox import Outbox
from triage.render import Renderer
from triage.samples import SAMPLE_CONTEXTS, template_failures, used_templates
from triage.service import Poller
from triage.store import Store

if TYPE_CHECKING:  # spaCy loads only for the commands that classify (about 0.9 s)
    from triage.classify import Classifier


def utc_now() -> datetime:
    return datetime.now(UTC)


def open_store(settings: Settings) -> Store:
    return Store.open(settings.db_path)


def classifier_for(settings: Settings) -> Classifier:
    from triage.classify import load_classifier  # noqa: PLC0415 - spaCy loads only here

    return load_classifier(settings.min_score)


def renderer_for(settings: Settings) -> Renderer:
    return Renderer(settings.template_dir)


def checked_renderer(settings: Settings) -> Renderer:
    """``renderer_for``, once every template has rendered its samples: a broken template is a
    setting to mend before any mail is read, not a reason to quarantine invitations. Raises
    ``ConfigError`` naming each template that fails."""
    renderer = renderer_for(settings)
    failures = template_failures(renderer, used_templates(), SAMPLE_CONTEXTS[:1])
    if failures:
        where = f"TRIAGE_TEMPLATE_DIR ({settings.template_dir}): " if settings.template_dir else ""
        raise ConfigError([f"{where}{exc}; see 'triage doctor'" for _, exc in failures])
    return renderer


@cache
def _token_source(config: OAuth2) -> TokenSource:
    return TokenSource(config)


def tokens_for(settings: Settings) -> TokenSource | None:
    """One token source per OAuth2 client in the process, so IMAP and SMTP share the token."""
    return _token_source(settings.oauth2) if settings.oauth2 is not None else None


def mailbox_factory(settings: Settings) -> Callable[[], Mailbox]:
    return partial(
        Mailbox,
        settings.imap,
        settings.ca_file,
        timeout=settings.timeout_seconds,
        tokens=tokens_for(settings),
    )


def outbox_for(settings: Settings) -> Outbox:
    return Outbox(
        settings.smtp,
        settings.ca_file,
        timeout=settings.timeout_seconds,
        tokens=tokens_for(settings),
    )


def daemon_for(settings: Settings, store: Store, clock: Callable[[], datetime] = utc_now) -> Daemon:
    poller = Poller(settings, store, classifier_for(settings), checked_renderer(settings))
    return Daemon(poller, mailbox_factory(settings), clock, notifier=Notifier.from_environ())
