"""The settings' types: one frozen ``Settings``, its servers and its secrets.

``config`` builds them from the environment; everything else only reads them. A ``Secret``'s
repr and str are ``<SECRET>``, so no log line, traceback or dataclass repr can show a password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from triage.availability import Availability
from triage.models import Address


class Secret:
    """A string that never shows itself: use ``reveal()`` at the one place it is needed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "<SECRET>" if self._value else "<EMPTY>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Security(StrEnum):
    SSL = "ssl"  # implicit TLS from the first byte
    STARTTLS = "starttls"  # plain connection upgraded with STARTTLS; refused if the server can't
    NONE = "none"  # no encryption; allowed only towards a loopback address


class Auth(StrEnum):
    PASSWORD = "password"  # noqa: S105 - IMAP LOGIN / SMTP AUTH with the password
    OAUTH2 = "oauth2"  # XOAUTH2 with an access token from TRIAGE_OAUTH2_* (Gmail, Microsoft 365)


DEFAULT_PORTS = {
    "imap": {Security.SSL: 993, Security.STARTTLS: 143, Security.NONE: 143},
    "smtp": {Security.SSL: 465, Security.STARTTLS: 587, Security.NONE: 25},
}


@dataclass(frozen=True)
class Server:
    """How to reach and log in to one mail server."""

    host: str
    port: int
    security: Security
    user: str
    password: Secret
    auth: Auth = Auth.PASSWORD


def login_hint(proto: str, auth: Auth) -> str:
    """What to check when the ``proto`` (``imap`` or ``smtp``) server refuses the login: the
    settings to fix, by name (never their values)."""
    var = f"TRIAGE_{proto.upper()}_"
    if auth is Auth.OAUTH2:
        return (
            f"check {var}USER and the OAuth2 token's scope, or get a new token with 'triage auth'"
        )
    return (
        f"check {var}USER and {var}PASSWORD (or the {proto}-password credential); Gmail and "
        "Microsoft 365 want an app password or TRIAGE_IMAP_AUTH=oauth2"
    )


# Token endpoint, authorization endpoint and scopes for TRIAGE_OAUTH2_PROVIDER.
OAUTH2_PROVIDERS = {
    "google": (
        "https://oauth2.googleapis.com/token",
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://mail.google.com/",
    ),
    "microsoft": (
        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        "offline_access https://outlook.office.com/IMAP.AccessAsUser.All "
        "https://outlook.office.com/SMTP.Send",
    ),
}


@dataclass(frozen=True)
class OAuth2:
    """Where and as which client triage gets access tokens (``TRIAGE_OAUTH2_*``)."""

    provider: str  # a key of OAUTH2_PROVIDERS, or "" for endpoints given one by one
    token_url: str
    auth_url: str  # used only by ``triage auth``
    scope: str  # used only by ``triage auth``
    client_id: str
    client_secret: Secret
    refresh_token: Secret


@dataclass(frozen=True)
class Settings:
    imap: Server
    smtp: Server
    imap_folder: str
    sent_folder: str | None
    from_address: Address | None
    signature: str
    db_path: Path
    poll_seconds: int
    lookback_days: int
    timezone: ZoneInfo
    min_score: float
    template_dir: Path | None
    ca_file: Path | None
    log_level: str
    availability: Availability
    buffer: timedelta
    oauth2: OAuth2 | None = None  # set when a server uses oauth2 (or for ``triage auth``)
    drafts_folder: str | None = None  # None: look for the server's \\Drafts folder
    save_drafts: bool = True
    flag_invites: tuple[str, ...] = ("\\Flagged", "$Interview")
    remind_after: timedelta | None = timedelta(hours=4)
    remind_before: timedelta = timedelta(hours=24)
    quiet_hours: tuple[time, time] | None = (time(22), time(8))
    timeout_seconds: float = 60.0

    @property
    def account(self) -> str:
        """A stable name for the mailbox, used to key checkpoints and the queue."""
        return f"{self.imap.user}@{self.imap.host}" if self.imap.host else "default"
