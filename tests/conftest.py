"""Fixtures: real IMAP servers (pymap in-process, Dovecot when installed), a real SMTP server
(aiosmtpd), and the environment a ``triage`` command reads."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import imapclient
import pytest
from servers import DovecotServer, dovecot_binary

from triage.local_servers import PymapServer, SmtpSink, local_environ
from triage.models import Label, Origin, QueueItem, State

DATA = Path(__file__).parent / "data"
MAIL = DATA / "mail"
USER_FROM = "Jordan Avery <jordan@example.net>"


@dataclass
class ImapAccount:
    """One mailbox on a running server, with an independent client for setting up and checking."""

    kind: str
    host: str
    port: int
    user: str
    password: str

    def client(self) -> imapclient.IMAPClient:
        client = imapclient.IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            client.append(folder, raw, flags=())
        finally:
            client.logout()

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        client = self.client()
        try:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            return {uid: d[b"FLAGS"] for uid, d in client.fetch(uids, ["FLAGS"]).items()}
        finally:
            client.logout()

    def messages(self, folder: str) -> list[bytes]:
        client = self.client()
        try:
            client.select_folder(folder, readonly=True)
            data = client.fetch(client.search("ALL"), ["BODY.PEEK[]"])
            return [d[b"BODY[]"] for _, d in sorted(data.items())]
        finally:
            client.logout()


def shell_script(path: Path, body: str) -> Path:
    """An executable ``/bin/sh`` script at ``path`` (an $EDITOR for the tests, say)."""
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite tests/data/golden from the current code (review the diff!)",
    )


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    if dovecot_binary() is None:
        if os.environ.get("TEST_REQUIRE_DOVECOT"):
            pytest.fail("dovecot is required here (TEST_REQUIRE_DOVECOT) but not installed")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    directory = Path(tempfile.mkdtemp(prefix="triage-dovecot-"))
    directory.chmod(0o755)  # the mail user (nobody) must reach its maildir below
    server = DovecotServer(directory).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


_users = itertools.count(1)


@pytest.fixture(params=["pymap", "dovecot"])
def imap(request: pytest.FixtureRequest) -> Iterator[ImapAccount]:
    """A fresh, empty mailbox (with a Sent folder) on each IMAP server."""
    if request.param == "pymap":
        with PymapServer(user="jordan", password="s3cret-Pa55") as server:
            account = ImapAccount("pymap", server.host, server.port, server.user, server.password)
            client = account.client()
            client.create_folder("Sent")
            client.logout()
            yield account
        return
    server: DovecotServer = request.getfixturevalue("dovecot")
    user = f"user{next(_users)}"  # a new name is a new, empty mailbox (static passdb)
    yield ImapAccount("dovecot", server.host, server.port, user, server.password)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def no_triage_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No ``TRIAGE_*`` variable set and ``tmp_path`` (no stray ./.env) as the working folder."""
    for name in list(os.environ):
        if name.startswith("TRIAGE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def triage_env(
    imap: ImapAccount, smtp: SmtpSink, no_triage_env: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The environment of a configured ``triage``, pointed at the test servers."""
    env = local_environ(imap, smtp, USER_FROM, no_triage_env / "queue.sqlite3")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def queue_item(**changes: Any) -> QueueItem:
    """A pending invitation from Dana as the queue holds it, with ``changes`` (for the pure
    functions that read queue items: reminders, edited drafts, views)."""
    at = changes.pop("created_at", datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    fields: dict[str, Any] = {
        "id": 1,
        "origin": Origin("a", "INBOX", 1, 1),
        "message_id": "<m@x.example>",
        "state": State.PENDING,
        "label": Label.INVITE,
        "score": 0.9,
        "sender": "Dana <dana@x.example>",
        "subject": "Interview",
        "reason": "",
        "reply": None,
        "evidence": (),
        "links": (),
        "created_at": at,
        "updated_at": at,
    }
    return QueueItem(**(fields | changes))
