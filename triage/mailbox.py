"""The IMAP adapter. The only module that imports imapclient.

``Mailbox`` is a narrow interface over one logged-in connection: open a folder read-only, list
the UIDs after a checkpoint, fetch raw messages in batches with ``BODY.PEEK[]`` (never setting
``\\Seen``), append to a folder, and flag one message ``\\Answered``. Every imapclient, socket or
TLS error leaves this module as ``MailboxError``; no password ever appears in one.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.imapclient import DRAFTS, SENT

from triage.config import Auth, Secret, Security, Server, login_hint
from triage.errors import MailboxError, OAuth2Error
from triage.models import Location
from triage.oauth import TokenSource
from triage.tls import tls_context

log = logging.getLogger(__name__)

FETCH_BATCH = 100  # UIDs per FETCH: one round trip per batch...
FETCH_BYTES = 16 * 1024 * 1024  # ...unless their bodies come to more: memory stays bounded
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # bigger messages are read up to here (not attachments)
TIMEOUT_SECONDS = 60.0
# Only such Message-IDs are ever put into a SEARCH command.
_SAFE_MSG_ID = re.compile(r"<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]{1,250}>\Z")  # with .match()
_IMAP_ERRORS = (IMAPClientError, OSError, ssl.SSLError, socket.timeout)
_BYTES_REPR = re.compile(r"b(['\"])(.*)\1", re.DOTALL)
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
DRAFT = imapclient.DRAFT


@dataclass(frozen=True)
class FolderStatus:
    uidvalidity: int
    uidnext: int | None
    exists: int


@dataclass(frozen=True)
class Fetched:
    """One message as the server holds it."""

    uid: int
    raw: bytes
    size: int
    truncated: bool


# Response codes (RFC 5530) of a login refused for a while, not for its credentials
_PASSING_REFUSALS = (
    "[UNAVAILABLE]",
    "[INUSE]",
    "[LIMIT]",
    "[SERVERBUG]",
    "[THROTTLED]",
    "TEMPORARY AUTHENTICATION FAILURE",
    "TEMPORARILY UNAVAILABLE",
    "TRY AGAIN LATER",
)


class Mailbox:
    """One IMAP connection. Use as a context manager: connects and logs in, then logs out."""

    def __init__(
        self,
        server: Server,
        ca_file: Path | None = None,
        timeout: float = TIMEOUT_SECONDS,
        tokens: TokenSource | None = None,
    ) -> None:
        self._server = server
        self._ca_file = ca_file
        self._timeout = timeout
        self._tokens = tokens  # access tokens, when the server's auth is oauth2 (XOAUTH2)
        self._client: imapclient.IMAPClient | None = None

    def __repr__(self) -> str:
        return f"Mailbox({self._server.user}@{self._server.host}:{self._server.port})"

    def _access_token(self) -> Secret:
        where = f"IMAP {self._server.host}:{self._server.port}"
        if self._tokens is None:
            raise MailboxError(f"{where}: TRIAGE_IMAP_AUTH=oauth2 but no OAuth2 token source")
        try:
            return self._tokens.access_token()
        except OAuth2Error as exc:
            raise MailboxError(f"{where}: no access token for {self._server.user}: {exc}") from exc

    def _fail(self, doing: str, exc: BaseException) -> MailboxError:
        where = f"{self._server.host}:{self._server.port}"
        text = str(exc)
        quoted = _BYTES_REPR.fullmatch(text)  # imapclient shows the server's answer as b'...'
        if quoted is not None:
            text = quoted[2]
        message = f"IMAP {where}: {doing} failed: {exc.__class__.__name__}: {text}"
        if isinstance(exc, LoginError):  # the server said no: name the settings to fix
            message = f"{message.rstrip('. ')}; {login_hint('imap', self._server.auth)}"
            # "[UNAVAILABLE] Temporary authentication failure" (RFC 5530) passes; a no does not
            passing = any(code in text.upper() for code in _PASSING_REFUSALS)
            return MailboxError(message, login_refused=not passing)
        return MailboxError(message)

    def __enter__(self) -> Mailbox:
        server = self._server
        token = self._access_token() if server.auth is Auth.OAUTH2 else None
        try:
            context = tls_context(self._ca_file)  # a CA file that is not PEM fails here
            client = imapclient.IMAPClient(
                server.host,
                port=server.port,
                ssl=server.security is Security.SSL,
                ssl_context=context,
                timeout=self._timeout,
            )
        except _IMAP_ERRORS as exc:
            raise self._fail("connecting", exc) from exc
        try:
            if server.security is Security.STARTTLS:
                client.starttls(context)
            if token is None:
                client.login(server.user, server.password.reveal())
            else:
                client.oauth2_login(server.user, token.reveal())
        except UnicodeEncodeError:  # the error's text would show a character of the password
            _close_quietly(client)
            raise MailboxError(
                f"IMAP {server.host}:{server.port}: logging in as {server.user} failed: the "
                "password has characters outside ASCII, which IMAP LOGIN cannot carry"
            ) from None
        except _IMAP_ERRORS as exc:
            _close_quietly(client)
            if token is not None and self._tokens is not None:
                self._tokens.forget()  # perhaps revoked: the next attempt asks for a new one
            raise self._fail("logging in as " + server.user, exc) from exc
        self._client = client
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            _close_quietly(self._client)
            self._client = None

    @property
    def client(self) -> imapclient.IMAPClient:
        if self._client is None:
            raise MailboxError("IMAP: not connected")
        return self._client

    def open_folder(self, folder: str, *, readonly: bool = True) -> FolderStatus:
        """SELECT (or EXAMINE, when read-only) the folder and return its status."""
        try:
            info = self.client.select_folder(folder, readonly=readonly)
        except _IMAP_ERRORS as exc:
            raise self._fail(f"opening folder {folder!r}", exc) from exc
        uidnext = info.get(b"UIDNEXT")
        return FolderStatus(
            uidvalidity=int(info[b"UIDVALIDITY"]),
            uidnext=int(uidnext) if uidnext is not None else None,
            exists=int(info.get(b"EXISTS", 0)),
        )

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than ``last_uid`` in the open folder, ascending.

        ``UID n:*`` always matches the newest message even when its UID is below n, so the
        result is filtered.
        """
        try:
            found = self.client.search(["UID", f"{last_uid + 1}:*"])
        except _IMAP_ERRORS as exc:
            raise self._fail("searching for new mail", exc) from exc
        return sorted(uid for uid in found if uid > last_uid)

    def uids_since(self, day: date) -> list[int]:
        """UIDs of messages that arrived on or after ``day`` (the first run's lookback)."""
        try:
            return sorted(self.client.search(["SINCE", day]))
        except _IMAP_ERRORS as exc:
            raise self._fail("searching the lookback window", exc) from exc

    def fetch(self, uids: Sequence[int]) -> Iterator[Fetched]:
        """The raw messages, in UID order, in batches; never sets ``\\Seen``.

        Sizes are asked first, so a huge message is read only up to ``MAX_MESSAGE_BYTES``, and a
        batch of bodies comes to at most ``FETCH_BYTES`` (or one message).
        """
        for start in range(0, len(uids), FETCH_BATCH):
            batch = list(uids[start : start + FETCH_BATCH])
            try:
                sizes = {
                    uid: int(d.get(b"RFC822.SIZE", 0))
                    for uid, d in self.client.fetch(batch, ["RFC822.SIZE"]).items()
                }
            except _IMAP_ERRORS as exc:
                raise self._fail(f"fetching {len(batch)} message(s)", exc) from exc
            for group in _by_bytes(batch, sizes):
                bodies = self._bodies(group, sizes)
                for uid in group:
                    raw = bodies.pop(uid, None)
                    if isinstance(raw, bytes):  # vanished (expunged) messages are simply absent
                        size = sizes.get(uid, len(raw))
                        yield Fetched(uid, raw, size, size > MAX_MESSAGE_BYTES)

    def _bodies(self, uids: list[int], sizes: dict[int, int]) -> dict[int, object]:
        """The bodies of ``uids``: whole, or the first ``MAX_MESSAGE_BYTES`` of a bigger one."""
        small = [uid for uid in uids if sizes.get(uid, 0) <= MAX_MESSAGE_BYTES]
        large = [uid for uid in uids if sizes.get(uid, 0) > MAX_MESSAGE_BYTES]
        try:
            bodies: dict[int, object] = {}
            if small:
                for uid, d in self.client.fetch(small, ["BODY.PEEK[]"]).items():
                    bodies[uid] = d.get(b"BODY[]")
            if large:
                spec = f"BODY.PEEK[]<0.{MAX_MESSAGE_BYTES}>"
                for uid, d in self.client.fetch(large, [spec]).items():
                    bodies[uid] = d.get(b"BODY[]<0>")
        except _IMAP_ERRORS as exc:
            raise self._fail(f"fetching {len(uids)} message(s)", exc) from exc
        return bodies

    def find_sent_folder(self, configured: str | None) -> str | None:
        """The configured Sent folder, else the one marked ``\\Sent`` or with a usual name."""
        if configured:
            return configured
        try:
            found = self.client.find_special_folder(SENT)
        except _IMAP_ERRORS as exc:
            raise self._fail("looking for the Sent folder", exc) from exc
        return str(found) if found else None

    def ensure_folder(self, folder: str) -> None:
        """Create ``folder`` unless it exists (used to set up the demo mailbox)."""
        try:
            if not self.client.folder_exists(folder):
                self.client.create_folder(folder)
        except _IMAP_ERRORS as exc:
            raise self._fail(f"creating folder {folder!r}", exc) from exc

    def append(self, folder: str, raw: bytes, when: datetime, *, seen: bool = False) -> None:
        """Store a message in ``folder``, flagged ``\\Seen`` when ``seen`` (a copy of our own)."""
        try:
            self.client.append(folder, raw, flags=(imapclient.SEEN,) if seen else (), msg_time=when)
        except _IMAP_ERRORS as exc:
            raise self._fail(f"saving a copy to {folder!r}", exc) from exc

    def mark_answered(
        self, folder: str, uidvalidity: int, uid: int, message_id: str | None
    ) -> bool:
        """Flag the original ``\\Answered``; found by UID, or by Message-ID if UIDs changed.

        Returns False when the message is no longer there.
        """
        status = self.open_folder(folder, readonly=False)
        try:
            if status.uidvalidity == uidvalidity:
                uids = [uid]
            elif message_id and _SAFE_MSG_ID.match(message_id):
                uids = self.client.search(["HEADER", "Message-ID", message_id])
            else:
                return False
            if not uids:
                return False
            result = self.client.add_flags(uids, [imapclient.ANSWERED])
        except _IMAP_ERRORS as exc:
            raise self._fail("flagging the original \\Answered", exc) from exc
        return bool(result)

    def flags(self, uids: Sequence[int]) -> dict[int, tuple[bytes, ...]]:
        """The flags of messages in the open folder (for the demo's and the tests' checks)."""
        try:
            data = self.client.fetch(list(uids), ["FLAGS"]) if uids else {}
        except _IMAP_ERRORS as exc:
            raise self._fail("reading flags", exc) from exc
        return {uid: tuple(d.get(b"FLAGS", ())) for uid, d in data.items()}

    # -- capabilities and IDLE -------------------------------------------------------------------

    def has_capability(self, name: str) -> bool:
        try:
            return bool(self.client.has_capability(name))
        except _IMAP_ERRORS as exc:
            raise self._fail("reading the server's capabilities", exc) from exc

    def noop(self) -> None:
        """A round trip, to prove the connection still works."""
        try:
            self.client.noop()
        except _IMAP_ERRORS as exc:
            raise self._fail("checking the connection (NOOP)", exc) from exc

    def idle_start(self) -> None:
        """Enter IDLE on the open folder: the server will announce new mail."""
        try:
            self.client.idle()
        except _IMAP_ERRORS as exc:
            raise self._fail("starting IDLE", exc) from exc

    def idle_wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the server to announce a change; True if it did.

        imapclient returns an empty list both on a timeout and when the connection was closed;
        a read of EOF is seen as readable-then-empty, so an empty answer that comes early is
        checked (``idle_end`` then fails on a dead connection).
        """
        started = time.monotonic()
        try:
            responses = self.client.idle_check(timeout=seconds)
        except _IMAP_ERRORS as exc:
            raise self._fail("waiting in IDLE", exc) from exc
        if responses:
            return any(
                len(r) >= 2 and r[1] in (b"EXISTS", b"RECENT", b"EXPUNGE", b"FETCH")
                for r in responses
                if isinstance(r, tuple)
            )
        if time.monotonic() - started < seconds * 0.5:
            # Early and empty: the server may have hung up. Ending IDLE will tell.
            self.idle_end()
            self.noop()
            self.idle_start()
        return False

    def idle_end(self) -> None:
        """Leave IDLE. On a silently dropped connection this fails after the socket timeout."""
        try:
            self.client.idle_done()
        except _IMAP_ERRORS as exc:
            raise self._fail("ending IDLE", exc) from exc

    # -- the Drafts folder and our own messages -------------------------------------------------

    def find_drafts_folder(self, configured: str | None) -> str | None:
        """The configured Drafts folder, else the one marked ``\\Drafts`` or with a usual name."""
        if configured:
            return configured
        try:
            found = self.client.find_special_folder(DRAFTS)
        except _IMAP_ERRORS as exc:
            raise self._fail("looking for the Drafts folder", exc) from exc
        return str(found) if found else None

    def save_draft(self, folder: str, raw: bytes, when: datetime, message_id: str) -> Location:
        """APPEND a draft flagged ``\\Draft`` (and ``\\Seen``, as clients save their own drafts);
        return where it is (APPENDUID with UIDPLUS, else found again by its Message-ID)."""
        try:
            answer = self.client.append(folder, raw, flags=(DRAFT, imapclient.SEEN), msg_time=when)
        except _IMAP_ERRORS as exc:
            raise self._fail(f"saving a draft to {folder!r}", exc) from exc
        found = _APPENDUID.search(answer if isinstance(answer, bytes) else b"")
        if found:
            return Location(folder, int(found.group(1)), int(found.group(2)))
        status = self.open_folder(folder)
        uids = self.search_header(folder, "Message-ID", message_id, reopen=False)
        if not uids:
            raise MailboxError(f"IMAP: the draft saved to {folder!r} cannot be found again")
        return Location(folder, status.uidvalidity, max(uids))

    def search_header(
        self, folder: str, header: str, message_id: str, *, reopen: bool = True
    ) -> list[int]:
        """UIDs in ``folder`` whose ``header`` contains ``message_id``.

        Only a Message-ID of safe characters is ever put into the SEARCH command (imapclient
        sends criteria as they are); anything else finds nothing.
        """
        if not _SAFE_MSG_ID.match(message_id):
            return []
        if reopen:
            self.open_folder(folder)
        try:
            return sorted(self.client.search(["HEADER", header, message_id]))
        except _IMAP_ERRORS as exc:
            raise self._fail(f"searching {folder!r}", exc) from exc

    def header_ids(self, folder: str, header: str, since: date | None = None) -> dict[int, str]:
        """``header`` (a Message-ID header such as In-Reply-To) of the messages in ``folder`` not
        marked ``\\Deleted`` (a client may delete by flagging and expunge later), optionally only
        those that arrived on or after ``since``: one SEARCH and batched FETCHes of just that
        header field, so a large folder costs a few round trips."""
        self.open_folder(folder)
        name = header.upper()
        found: dict[int, str] = {}
        criteria: list[object] = ["NOT", "DELETED"] + (["SINCE", since] if since else [])
        try:
            uids = sorted(self.client.search(criteria))
            for start in range(0, len(uids), FETCH_BATCH * 10):
                batch = uids[start : start + FETCH_BATCH * 10]
                spec = f"BODY.PEEK[HEADER.FIELDS ({name})]"
                for uid, data in self.client.fetch(batch, [spec]).items():
                    raw = data.get(f"BODY[HEADER.FIELDS ({name})]".encode(), b"")
                    found[uid] = raw.decode("ascii", "replace") if isinstance(raw, bytes) else ""
        except _IMAP_ERRORS as exc:
            raise self._fail(f"reading {header} headers in {folder!r}", exc) from exc
        return found

    def flags_in(
        self, folder: str, uidvalidity: int, uids: Sequence[int]
    ) -> dict[int, tuple[bytes, ...]] | None:
        """The flags of these UIDs in ``folder`` (a UID that is gone is absent from the result);
        None when the folder is gone or its UIDVALIDITY changed, so the UIDs say nothing."""
        try:
            if not self.client.folder_exists(folder):
                return None
        except _IMAP_ERRORS as exc:
            raise self._fail(f"looking for folder {folder!r}", exc) from exc
        if self.open_folder(folder).uidvalidity != uidvalidity:
            return None
        return self.flags(uids)

    def read(self, where: Location) -> bytes | None:
        """The message at ``where`` (up to ``MAX_MESSAGE_BYTES``), never setting ``\\Seen``; None
        when it is gone or its folder's UIDVALIDITY changed."""
        if self.open_folder(where.folder).uidvalidity != where.uidvalidity:
            return None
        found = next(self.fetch([where.uid]), None)
        return found.raw if found is not None else None

    def present(self, where: Location) -> bool | None:
        """Whether the message is still in its folder and not marked ``\\Deleted``."""
        flags = self.flags_in(where.folder, where.uidvalidity, [where.uid])
        if flags is None:
            return None
        return where.uid in flags and imapclient.DELETED not in flags[where.uid]

    def delete_own(self, where: Location) -> bool:
        """Remove a message triage itself saved (a draft): ``\\Deleted``, then UID EXPUNGE of that
        one UID when the server has UIDPLUS (never a plain EXPUNGE, which would remove others)."""
        status = self.open_folder(where.folder, readonly=False)
        if status.uidvalidity != where.uidvalidity:
            return False
        try:
            self.client.add_flags([where.uid], [imapclient.DELETED], silent=True)
            if self.client.has_capability("UIDPLUS"):
                self.client.uid_expunge([where.uid])
        except _IMAP_ERRORS as exc:
            raise self._fail(f"removing our draft from {where.folder!r}", exc) from exc
        return True

    def is_answered(self, where: Location) -> bool:
        """Whether the message carries ``\\Answered`` (a reply went out from some client)."""
        status = self.open_folder(where.folder)
        if status.uidvalidity != where.uidvalidity:
            return False
        return imapclient.ANSWERED in self.flags([where.uid]).get(where.uid, ())

    def add_flags(
        self, folder: str, uidvalidity: int, uids: Sequence[int], flags: Sequence[str]
    ) -> tuple[str, ...]:
        """Set system flags and keywords on messages of one folder, in one STORE; keywords only
        where the folder's PERMANENTFLAGS allow new ones (``\\*``). Returns the flags set."""
        try:
            info = self.client.select_folder(folder)
        except _IMAP_ERRORS as exc:
            raise self._fail(f"opening folder {folder!r}", exc) from exc
        if int(info[b"UIDVALIDITY"]) != uidvalidity or not uids:
            return ()
        if b"PERMANENTFLAGS" not in info:  # RFC 3501: then every flag may be set for good
            permanent = {f.encode().lower() for f in flags} | {b"\\*"}
        else:
            permanent = {bytes(f).lower() for f in info[b"PERMANENTFLAGS"]}
        allowed = tuple(
            f
            for f in flags
            if f.encode().lower() in permanent or (not f.startswith("\\") and b"\\*" in permanent)
        )
        if allowed:
            try:
                self.client.add_flags(list(uids), list(allowed), silent=True)
            except _IMAP_ERRORS as exc:
                raise self._fail("flagging the invitations", exc) from exc
        return allowed


def _by_bytes(uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    """``uids`` in order, in groups whose bodies (each read up to ``MAX_MESSAGE_BYTES``) come
    to at most ``FETCH_BYTES``, or one message alone."""
    group: list[int] = []
    total = 0
    for uid in uids:
        size = min(sizes.get(uid, 0), MAX_MESSAGE_BYTES)
        if group and total + size > FETCH_BYTES:
            yield group
            group, total = [], 0
        group.append(uid)
        total += size
    if group:
        yield group


def _close_quietly(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except _IMAP_ERRORS:
        try:
            client.shutdown()
        except _IMAP_ERRORS:
            log.debug("IMAP connection already closed")
