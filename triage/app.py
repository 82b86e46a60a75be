"""Builds what a command needs from ``Settings``: the store, the classifier, the renderer, the
poller, the connections. The one place where the layers are wired together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from triage.classify import Classifier, load_classifier
from triage.config import Settings
from triage.daemon import Daemon
from triage.mailbox import Mailbox
from triage.outbox import Outbox
from triage.render import Renderer
from triage.service import Poller
from triage.store import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


def open_store(settings: Settings) -> Store:
    return Store.open(settings.db_path)


def classifier_for(settings: Settings) -> Classifier:
    return load_classifier(settings.min_score)


def renderer_for(settings: Settings) -> Renderer:
    return Renderer(settings.template_dir)


def mailbox_factory(settings: Settings) -> Callable[[], Mailbox]:
    return partial(Mailbox, settings.imap, settings.ca_file)


def outbox_for(settings: Settings) -> Outbox:
    return Outbox(settings.smtp, settings.ca_file)


def daemon_for(settings: Settings, store: Store, clock: Callable[[], datetime] = utc_now) -> Daemon:
    poller = Poller(settings, store, classifier_for(settings), renderer_for(settings))
    return Daemon(poller, mailbox_factory(settings), clock)
