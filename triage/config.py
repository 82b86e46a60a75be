"""Settings: environment variables (and an env file) -> one frozen ``Settings``.

``load_settings(environ, need=...)`` checks every variable it knows and raises a single
``ConfigError`` listing every problem, each naming its variable. Variables that only some commands
use (the IMAP and SMTP servers, the From address) are required only when ``need`` names their
group, so ``triage queue list`` works without a mail account configured.

Passwords are ``Secret`` values: their repr and str are ``<SECRET>``. A password may also come
from systemd's ``$CREDENTIALS_DIRECTORY`` (files ``imap-password``, ``smtp-password``,
``oauth2-refresh-token``, ``oauth2-client-secret``), which wins over the environment.

OAuth2 (``TRIAGE_IMAP_AUTH=oauth2``): ``TRIAGE_SMTP_AUTH`` defaults to ``TRIAGE_IMAP_AUTH``, and
with oauth2 the SMTP login defaults to the IMAP one, as one token serves one account.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Callable, Collection, Mapping
from datetime import date, time, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from triage.availability import Availability, parse_availability, parse_blackout
from triage.config_values import (
    LOG_LEVELS,
    OFF_WORDS,
    absolute_path,
    address,
    bounded_int,
    flags,
    hours,
    log_level,
    one_of,
    optional_duration,
    parse_duration,
    probability,
)
from triage.envfile import Environ, merged_environ, read_env_file
from triage.errors import ConfigError
from triage.rules import DEFAULT_MIN_SCORE
from triage.settings import (
    DEFAULT_PORTS,
    OAUTH2_PROVIDERS,
    Auth,
    OAuth2,
    Secret,
    Security,
    Server,
    Settings,
    login_hint,
)

__all__ = [
    "KNOWN",
    "Auth",
    "Environ",
    "OAuth2",
    "Secret",
    "Security",
    "Server",
    "Settings",
    "closest_setting",
    "default_db_path",
    "environ_with_file",
    "is_loopback",
    "load_settings",
    "login_hint",
    "merged_environ",
    "parse_duration",
    "read_env_file",
]

T = TypeVar("T")


# Every variable triage reads, with its one-line meaning (kept in step with .env.example by a test).
KNOWN = {
    "TRIAGE_IMAP_HOST": "IMAP server host name",
    "TRIAGE_IMAP_PORT": "IMAP port (default 993 for ssl, 143 otherwise)",
    "TRIAGE_IMAP_USER": "IMAP login name",
    "TRIAGE_IMAP_PASSWORD": "IMAP password",
    "TRIAGE_IMAP_SECURITY": "ssl | starttls | none",
    "TRIAGE_IMAP_AUTH": "password | oauth2",
    "TRIAGE_IMAP_FOLDER": "folder to watch",
    "TRIAGE_SENT_FOLDER": "where sent replies are filed",
    "TRIAGE_SMTP_HOST": "SMTP server host name",
    "TRIAGE_SMTP_PORT": "SMTP port (default 465 for ssl, 587 for starttls, 25 for none)",
    "TRIAGE_SMTP_USER": "SMTP login name",
    "TRIAGE_SMTP_PASSWORD": "SMTP password",
    "TRIAGE_SMTP_SECURITY": "ssl | starttls | none",
    "TRIAGE_SMTP_AUTH": "password | oauth2 (default: as TRIAGE_IMAP_AUTH)",
    "TRIAGE_OAUTH2_PROVIDER": "google | microsoft: fills in the endpoints and scopes",
    "TRIAGE_OAUTH2_TOKEN_URL": "OAuth2 token endpoint",
    "TRIAGE_OAUTH2_AUTH_URL": "OAuth2 authorization endpoint (for triage auth)",
    "TRIAGE_OAUTH2_SCOPE": "OAuth2 scopes to ask for (for triage auth)",
    "TRIAGE_OAUTH2_CLIENT_ID": "OAuth2 client ID of your app registration",
    "TRIAGE_OAUTH2_CLIENT_SECRET": "OAuth2 client secret (if the client has one)",
    "TRIAGE_OAUTH2_REFRESH_TOKEN": "OAuth2 refresh token from triage auth",
    "TRIAGE_FROM": "your name and address",
    "TRIAGE_SIGNATURE": "sign-off under each reply",
    "TRIAGE_DB_PATH": "queue database file",
    "TRIAGE_POLL_SECONDS": "seconds between polls",
    "TRIAGE_LOOKBACK_DAYS": "how far back the first run looks",
    "TRIAGE_TIMEZONE": "your IANA time zone",
    "TRIAGE_MIN_SCORE": "invite score threshold",
    "TRIAGE_TEMPLATE_DIR": "folder of templates overriding the shipped ones",
    "TRIAGE_CA_FILE": "extra CA certificates (PEM) for TLS",
    "TRIAGE_LOG_LEVEL": "DEBUG | INFO | WARNING | ERROR",
    "TRIAGE_AVAILABILITY": "when you can interview, e.g. Mon-Fri 09:00-17:30",
    "TRIAGE_BLACKOUT_DATES": "days you cannot interview",
    "TRIAGE_BUFFER_MINUTES": "gap kept around each interview",
    "TRIAGE_DRAFTS_FOLDER": "where drafts are saved for your mail client: auto | a folder | off",
    "TRIAGE_FLAG_INVITES": "flags and keywords set on each invitation, or off",
    "TRIAGE_REMIND_AFTER": "remind about a pending invitation after this long, e.g. 4h, or off",
    "TRIAGE_REMIND_BEFORE": "remind when a reply-by date or first slot is this close, e.g. 24h",
    "TRIAGE_QUIET_HOURS": "no reminders in these hours, e.g. 22:00-08:00, or off",
    "TRIAGE_TIMEOUT_SECONDS": "network timeout for IMAP and SMTP",
}

DEFAULT_AVAILABILITY = "Mon-Fri 09:00-17:30"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _quoted(value: str) -> str:
    """``value`` in quotes as the user wrote it: unlike ``repr``, a backslash stays one
    (``'\\Seen'``, not ``'\\\\Seen'``); only characters that cannot be printed are escaped."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in value)
    mark = '"' if "'" in value and '"' not in value else "'"
    return f"{mark}{text}{mark}"


class _Reader:
    """Reads typed values from the environment, collecting problems instead of raising."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.env = environ
        self.problems: list[str] = []

    def text(self, name: str, default: str = "", *, required: bool = False) -> str:
        value = self.env.get(name, "").strip()
        if not value and required:
            self.problems.append(f"{name} is not set: {KNOWN[name]}")
        return value or default

    def parse(self, name: str, default: T, convert: Callable[[str], T], expected: str) -> T:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            return convert(raw)
        except (ValueError, KeyError, ZoneInfoNotFoundError, OSError):  # OSError: "Europe"
            self.problems.append(f"{name}={_quoted(raw)} is not valid: expected {expected}")
            return default

    def whole(self, name: str, default: int, low: int, high: int, unit: str) -> int:
        """A whole number of ``unit`` from ``low`` to ``high``."""
        expected = f"a whole number of {unit} from {low} to {high}"
        return self.parse(name, default, bounded_int(low, high), expected)

    def path(self, name: str, is_wanted: Callable[[Path], bool], kind: str) -> Path | None:
        """An existing file or folder (``kind`` says which), or None when unset."""
        value = self.parse(name, None, Path, kind)
        if value is not None and not is_wanted(value):
            self.problems.append(f"{name}={_quoted(str(value))} is not {kind}")
        return value


def _credential(environ: Mapping[str, str], name: str) -> str | None:
    """A secret from systemd's credentials directory, if it holds one under ``name``."""
    directory = environ.get("CREDENTIALS_DIRECTORY")
    if not directory:
        return None
    path = Path(directory, name)
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:  # absent or unreadable: fall back to the environment
        return None


def _server(
    r: _Reader, proto: str, *, required: bool, auth: Auth = Auth.PASSWORD, oauth2_user: str = ""
) -> Server:
    """One server's settings; ``auth`` and ``oauth2_user`` are the defaults (SMTP follows IMAP)."""
    prefix = f"TRIAGE_{proto.upper()}_"
    auth = r.parse(prefix + "AUTH", auth, Auth, "password or oauth2")
    host = r.text(prefix + "HOST", required=required)
    security = r.parse(prefix + "SECURITY", Security.SSL, Security, "ssl, starttls or none")
    port = r.parse(
        prefix + "PORT",
        DEFAULT_PORTS[proto][security],
        bounded_int(1, 65535),
        "a port number from 1 to 65535",
    )
    if security is Security.NONE and host and not is_loopback(host):
        r.problems.append(
            f"{prefix}SECURITY=none is refused for {host}: without TLS the password and mail "
            "cross the network in clear; use ssl or starttls (none is allowed for 127.0.0.1 only)"
        )
    user = r.text(prefix + "USER", required=required and proto == "imap")
    password = _credential(r.env, f"{proto}-password") or r.env.get(prefix + "PASSWORD", "")
    if auth is Auth.OAUTH2:
        user = user or oauth2_user
        if required and not user and proto == "smtp":
            r.problems.append(f"{prefix}USER is not set (nor TRIAGE_IMAP_USER): XOAUTH2 needs it")
    elif required and proto == "imap" and not password:
        r.problems.append(f"{prefix}PASSWORD is not set (nor an imap-password credential)")
    elif proto == "smtp" and bool(user) != bool(password):
        r.problems.append(
            "TRIAGE_SMTP_USER and TRIAGE_SMTP_PASSWORD must both be set (to log in) or both be "
            "empty (no AUTH)"
        )
    return Server(host, port, security, user, Secret(password), auth)


def _https_url(r: _Reader, name: str, default: str) -> str:
    url = r.text(name, default)
    parts = urlsplit(url)
    plain_ok = parts.scheme == "http" and is_loopback(parts.hostname or "")
    if url and not ((parts.scheme == "https" and parts.hostname) or plain_ok):
        r.problems.append(
            f"{name}={_quoted(url)} is not valid: expected an https:// address (http:// only "
            "towards 127.0.0.1)"
        )
    return url


def _oauth2(r: _Reader, *, tokens: bool, client: bool) -> OAuth2:
    """The OAuth2 client settings; ``tokens``: access tokens are needed (IMAP or SMTP use
    oauth2), ``client``: ``triage auth`` runs (endpoints and client ID, no refresh token yet)."""
    provider = r.parse(
        "TRIAGE_OAUTH2_PROVIDER", "", one_of(*OAUTH2_PROVIDERS), " or ".join(OAUTH2_PROVIDERS)
    )
    token_url, auth_url, scope = OAUTH2_PROVIDERS.get(provider, ("", "", ""))
    config = OAuth2(
        provider=provider,
        token_url=_https_url(r, "TRIAGE_OAUTH2_TOKEN_URL", token_url),
        auth_url=_https_url(r, "TRIAGE_OAUTH2_AUTH_URL", auth_url),
        scope=r.text("TRIAGE_OAUTH2_SCOPE", scope),
        client_id=r.text("TRIAGE_OAUTH2_CLIENT_ID"),
        client_secret=Secret(
            _credential(r.env, "oauth2-client-secret")
            or r.env.get("TRIAGE_OAUTH2_CLIENT_SECRET", "").strip()
        ),
        refresh_token=Secret(
            _credential(r.env, "oauth2-refresh-token")
            or r.env.get("TRIAGE_OAUTH2_REFRESH_TOKEN", "").strip()
        ),
    )
    preset = " (nor TRIAGE_OAUTH2_PROVIDER)"
    checks = [
        (tokens or client, config.token_url, "TRIAGE_OAUTH2_TOKEN_URL", preset),
        (tokens or client, config.client_id, "TRIAGE_OAUTH2_CLIENT_ID", ""),
        (client, config.auth_url, "TRIAGE_OAUTH2_AUTH_URL", preset),
        (client, config.scope, "TRIAGE_OAUTH2_SCOPE", preset),
        (tokens, config.refresh_token, "TRIAGE_OAUTH2_REFRESH_TOKEN", " (nor a credential)"),
        (
            (tokens or client) and provider == "google",
            config.client_secret,
            "TRIAGE_OAUTH2_CLIENT_SECRET",
            " (Google's clients have one)",
        ),
    ]
    for wanted, value, name, hint in checks:
        if wanted and not value:
            r.problems.append(f"{name} is not set{hint}: {KNOWN[name]}")
    return config


def closest_setting(name: str) -> str | None:
    """The known setting ``name`` is most likely a misspelling of (difflib's closest match), if
    any is close enough: the "did you mean" of an unknown name."""
    close = difflib.get_close_matches(name, KNOWN, n=1)
    return close[0] if close else None


def _unknown_names(environ: Mapping[str, str]) -> list[str]:
    problems = []
    for name in sorted(environ):
        if name.startswith("TRIAGE_") and name not in KNOWN:
            close = closest_setting(name)
            hint = f"; did you mean {close}?" if close else ""
            problems.append(f"{name} is not a triage setting{hint}")
    return problems


def default_db_path(environ: Mapping[str, str]) -> Path:
    """``$STATE_DIRECTORY`` under systemd, else the XDG data directory."""
    if environ.get("STATE_DIRECTORY"):
        return Path(environ["STATE_DIRECTORY"].split(":")[0]) / "triage.sqlite3"
    data_home = environ.get("XDG_DATA_HOME", "")
    if not Path(data_home).is_absolute():  # the XDG spec: a relative path is to be ignored
        data_home = str(Path.home() / ".local" / "share")
    return Path(data_home) / "triage" / "triage.sqlite3"


def load_settings(environ: Mapping[str, str], need: Collection[str] = ()) -> Settings:
    """Validate every variable and return the settings.

    ``need`` names what the command will use: ``"imap"`` (server, login, folder) and/or ``"smtp"``
    (server and the From address); ``"oauth2"`` (the OAuth2 client, for ``triage auth``).
    Raises ``ConfigError`` listing every problem found: first those of the env file, when
    ``environ`` is an ``Environ`` read from one, then those of the settings.
    """
    r = _Reader(environ)
    if isinstance(environ, Environ):
        r.problems.extend(environ.problems)
    r.problems.extend(_unknown_names(environ))
    imap, smtp, oauth2 = _servers(r, need)
    r.text("TRIAGE_FROM", required="smtp" in need or "imap" in need)
    from_address = r.parse(
        "TRIAGE_FROM",
        None,
        address,
        "a name and address such as 'Jordan Avery <jordan@example.net>'",
    )
    template_dir = r.path("TRIAGE_TEMPLATE_DIR", Path.is_dir, "a folder")
    ca_file = r.path("TRIAGE_CA_FILE", Path.is_file, "a file")
    zone = r.parse(
        "TRIAGE_TIMEZONE", ZoneInfo("UTC"), ZoneInfo, "an IANA time zone name such as Europe/Berlin"
    )
    drafts = r.text("TRIAGE_DRAFTS_FOLDER", "auto").strip() or "auto"
    remind_after: timedelta | None = timedelta(hours=4)
    quiet_hours: tuple[time, time] | None = (time(22), time(8))
    settings = Settings(
        imap=imap,
        smtp=smtp,
        oauth2=oauth2,
        imap_folder=r.text("TRIAGE_IMAP_FOLDER", "INBOX"),
        sent_folder=r.text("TRIAGE_SENT_FOLDER") or None,
        from_address=from_address,
        signature=r.text("TRIAGE_SIGNATURE", from_address.name if from_address else ""),
        db_path=r.parse(
            "TRIAGE_DB_PATH",
            default_db_path(environ).expanduser(),
            absolute_path,
            "an absolute path (the queue, and the lock that keeps one daemon per queue, must not "
            "depend on the folder triage starts in)",
        ),
        poll_seconds=r.whole("TRIAGE_POLL_SECONDS", 60, 5, 86400, "seconds"),
        lookback_days=r.whole("TRIAGE_LOOKBACK_DAYS", 14, 0, 3650, "days"),
        timezone=zone,
        min_score=r.parse(
            "TRIAGE_MIN_SCORE", DEFAULT_MIN_SCORE, probability, "a number from 0 to 1"
        ),
        template_dir=template_dir,
        ca_file=ca_file,
        log_level=r.parse("TRIAGE_LOG_LEVEL", "INFO", log_level, "one of " + ", ".join(LOG_LEVELS)),
        availability=_availability(r, zone),
        buffer=timedelta(minutes=r.whole("TRIAGE_BUFFER_MINUTES", 30, 0, 480, "minutes")),
        drafts_folder=None if drafts.lower() in ("auto", *OFF_WORDS) else drafts,
        save_drafts=drafts.lower() not in OFF_WORDS,
        flag_invites=r.parse(
            "TRIAGE_FLAG_INVITES",
            ("\\Flagged", "$Interview"),
            flags,
            "\\Flagged and keywords such as $Interview (never \\Seen or \\Answered), or off",
        ),
        remind_after=r.parse(
            "TRIAGE_REMIND_AFTER",
            remind_after,
            optional_duration,
            "a duration such as 4h or 90m, or off",
        ),
        remind_before=r.parse(
            "TRIAGE_REMIND_BEFORE", timedelta(hours=24), parse_duration, "a duration such as 24h"
        ),
        quiet_hours=r.parse(
            "TRIAGE_QUIET_HOURS",
            quiet_hours,
            hours,
            "hours such as 22:00-08:00, or off",
        ),
        # At most 120: the service's watchdog (WatchdogSec=5min) must hear from triage within
        # 150 s, and a blocked read is only noticed after this long.
        timeout_seconds=float(r.whole("TRIAGE_TIMEOUT_SECONDS", 60, 1, 120, "seconds")),
    )
    if r.problems:
        raise ConfigError(r.problems)
    return settings


def _servers(r: _Reader, need: Collection[str]) -> tuple[Server, Server, OAuth2 | None]:
    """IMAP, SMTP (whose login and auth default to IMAP's) and, when either uses it or ``need``
    names it, the OAuth2 client."""
    imap = _server(r, "imap", required="imap" in need)
    smtp = _server(r, "smtp", required="smtp" in need, auth=imap.auth, oauth2_user=imap.user)
    if Auth.OAUTH2 not in (imap.auth, smtp.auth) and "oauth2" not in need:
        return imap, smtp, None
    tokens = (imap.auth is Auth.OAUTH2 and "imap" in need) or (
        smtp.auth is Auth.OAUTH2 and "smtp" in need
    )
    return imap, smtp, _oauth2(r, tokens=tokens, client="oauth2" in need)


def _availability(r: _Reader, zone: ZoneInfo) -> Availability:
    weekly = r.parse(
        "TRIAGE_AVAILABILITY",
        parse_availability(DEFAULT_AVAILABILITY),
        parse_availability,
        "days and hours such as 'Mon-Fri 09:00-17:30' (several separated by ';')",
    )
    nothing: frozenset[date] = frozenset()
    blackout = r.parse(
        "TRIAGE_BLACKOUT_DATES",
        nothing,
        parse_blackout,
        "dates or ranges such as '2026-12-24,2026-12-28..2027-01-01'",
    )
    return Availability(weekly, zone, blackout)


def environ_with_file(env_file: Path | None) -> Environ:
    """The process environment over the env file: the one place that reads ``os.environ``."""
    return merged_environ(env_file, os.environ)
