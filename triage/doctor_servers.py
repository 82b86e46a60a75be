"""``triage doctor``'s server checks: the IMAP login and folders, the SMTP login.

Both go through the adapters (``Mailbox``, ``Outbox``, via ``app``): nothing is written to a
mailbox and nothing is sent, and no line shows a secret (the adapters' errors never carry one).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterable
from pathlib import Path

from triage import app
from triage.checks import Check, Status, blocked
from triage.config import Security, Server, Settings
from triage.errors import MailboxError, OutboxError, TriageError
from triage.mailbox import Mailbox


def _transport(server: Server, ca_file: Path | None) -> str:
    if server.security is Security.NONE:
        return "no TLS: loopback only"
    how = "STARTTLS" if server.security is Security.STARTTLS else "TLS"
    return f"{how}, certificate verified" + (" with TRIAGE_CA_FILE" if ca_file else "")


def network_hint(exc: TriageError, proto: str) -> str:
    """What to do about a failed connection or login, from the error the adapter raised."""
    var = f"TRIAGE_{proto.upper()}_"
    by_cause: tuple[tuple[type[BaseException], str], ...] = (
        (socket.gaierror, f"the host name does not resolve: check {var}HOST"),
        (ConnectionRefusedError, f"nothing answers there: check {var}HOST and {var}PORT"),
        (
            ssl.SSLCertVerificationError,
            f"the certificate does not match {var}HOST or comes from an unknown CA "
            "(name a private CA in TRIAGE_CA_FILE)",
        ),
        (
            ssl.SSLError,
            f"TLS failed: does {var}SECURITY suit {var}PORT? (ssl: 993/465, starttls: 143/587)",
        ),
        (TimeoutError, f"no answer in time: check {var}HOST, {var}PORT and any firewall"),
    )
    for kind, hint in by_cause:
        if isinstance(exc.__cause__, kind):
            return hint
    if "no access token" in str(exc):
        return "check the TRIAGE_OAUTH2_* settings, or get a new token with 'triage auth'"
    if f"; check {var}USER" in str(exc):  # a refused login: the error names what to fix
        return ""
    if "logging in" in str(exc) or "refused the login" in str(exc):
        return (
            f"check {var}USER and the password or token "
            "(Gmail and Microsoft 365 want an app password or TRIAGE_IMAP_AUTH=oauth2)"
        )
    return f"check the {var}* settings"


def check_imap(settings: Settings, broken: Iterable[str]) -> list[Check]:
    """Log in, then find the watched folder, the Sent folder and the Drafts folder."""
    needs = ("TRIAGE_IMAP_", "TRIAGE_OAUTH2_", "TRIAGE_CA_FILE", "TRIAGE_TIMEOUT_SECONDS")
    skipped = blocked("imap", "IMAP login and folders", needs, broken)
    if skipped is not None:
        return [skipped]
    server = settings.imap
    try:
        with app.mailbox_factory(settings)() as box:
            login = Check(
                "imap",
                Status.PASS,
                f"IMAP login as {server.user} ({server.host}:{server.port}, "
                f"{_transport(server, settings.ca_file)})",
            )
            return [login, *_folders(box, settings)]
    except MailboxError as exc:
        folders = Check("imap", Status.SKIP, "IMAP folders not checked", "fix the login first")
        return [Check("imap", Status.FAIL, str(exc), network_hint(exc, "imap")), folders]


def _folders(box: Mailbox, settings: Settings) -> list[Check]:
    sent_hint = "replies won't be filed: set TRIAGE_SENT_FOLDER to your mail client's Sent folder"
    checks = [
        _folder(box, "watched folder", settings.imap_folder, "TRIAGE_IMAP_FOLDER", "read-only"),
        _special(box, "Sent folder", settings.sent_folder, "TRIAGE_SENT_FOLDER", sent_hint),
    ]
    if settings.save_drafts:
        drafts_hint = "set TRIAGE_DRAFTS_FOLDER to your mail client's Drafts folder, or off"
        variable = "TRIAGE_DRAFTS_FOLDER"
        checks.append(_special(box, "Drafts folder", settings.drafts_folder, variable, drafts_hint))
    else:
        checks.append(
            Check("imap", Status.PASS, "Drafts folder not used (TRIAGE_DRAFTS_FOLDER=off)")
        )
    return checks


def _special(
    box: Mailbox, what: str, configured: str | None, variable: str, missing_hint: str
) -> Check:
    """The Sent or Drafts folder: the configured one, else the server's SPECIAL-USE one."""
    find = box.find_sent_folder if what.startswith("Sent") else box.find_drafts_folder
    try:
        folder = find(configured)
    except MailboxError as exc:
        return Check("imap", Status.FAIL, str(exc), f"check {variable}")
    if folder is None:
        return Check("imap", Status.WARN, f"no {what} found", missing_hint)
    how = f"from {variable}" if configured else "found by SPECIAL-USE or its usual name"
    return _folder(box, what, folder, variable, how)


def _folder(box: Mailbox, what: str, folder: str, variable: str, how: str) -> Check:
    """Open ``folder`` read-only (EXAMINE): it exists and can be read."""
    try:
        status = box.open_folder(folder, readonly=True)
    except MailboxError as exc:
        return Check("imap", Status.FAIL, str(exc), f"check {variable} (names are case-sensitive)")
    return Check("imap", Status.PASS, f"{what} {folder!r}: {status.exists} messages ({how})")


def check_smtp(settings: Settings, broken: Iterable[str]) -> Check:
    """Connect, negotiate TLS and log in (when a user is set), then QUIT: nothing is sent."""
    needs = (
        "TRIAGE_SMTP_",
        "TRIAGE_IMAP_AUTH",
        "TRIAGE_OAUTH2_",
        "TRIAGE_CA_FILE",
        "TRIAGE_TIMEOUT_SECONDS",
    )
    skipped = blocked("smtp", "SMTP login", needs, broken)
    if skipped is not None:
        return skipped
    server = settings.smtp
    try:
        app.outbox_for(settings).check()
    except OutboxError as exc:
        return Check("smtp", Status.FAIL, str(exc), network_hint(exc, "smtp"))
    where = f"{server.host}:{server.port}, {_transport(server, settings.ca_file)}"
    if server.user:
        return Check("smtp", Status.PASS, f"SMTP login as {server.user} ({where}); nothing sent")
    return Check(
        "smtp", Status.PASS, f"SMTP server answers ({where}; no login: TRIAGE_SMTP_USER is empty)"
    )
