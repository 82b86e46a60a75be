"""Crash safety and exactly-once, proven by breaking things: SIGKILL at random points, an SMTP
server that refuses, hangs or hangs up, a send interrupted half-way, a message whose handling keeps
killing the process, and a folder whose UIDVALIDITY changes. Real servers throughout."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import MAIL, ImapAccount
from mailgen import mixed, variant

from triage import app
from triage.cli import main
from triage.config import environ_with_file, load_settings
from triage.errors import MailboxError
from triage.local_servers import LOOPBACK, SmtpSink, free_port
from triage.models import Origin, State
from triage.store import MAX_ATTEMPTS, Store
from triage.sync import Syncer


def _message_id(raw: bytes) -> str:
    return str(message_from_bytes(raw, policy=policy.default)["Message-ID"]).strip()


def _progress(db: Path) -> int:
    """How far the daemon has got: the checkpoint's last UID plus attempts begun."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            done = conn.execute("SELECT coalesce(max(last_uid), 0) FROM checkpoints").fetchone()
            begun = conn.execute("SELECT count(*) FROM attempts").fetchone()
            return int(done[0]) + int(begun[0])
    except sqlite3.Error:
        return 0


def _queue(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["queue", "list", "--json"]) == 0
    items: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return items


@pytest.mark.parametrize("imap", ["dovecot"], indirect=True)
def test_sigkill_at_random_points_loses_nothing_and_drafts_nothing_twice(
    imap: ImapAccount,
    triage_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    invites: set[str] = set()
    messages = list(mixed(300))
    env = {**os.environ, **triage_env, "TRIAGE_POLL_SECONDS": "5"}
    rng = random.Random(20261122)  # reproducible kill times
    kills = 0
    db = Path(triage_env["TRIAGE_DB_PATH"])
    log_path = tmp_path / "daemon.log"
    with log_path.open("ab") as log:
        for round_ in range(12):  # each run finds new mail, and is killed while handling it
            client = imap.client()
            for is_invite, raw in messages[round_ * 25 : (round_ + 1) * 25]:
                client.append("INBOX", raw)
                if is_invite:
                    invites.add(_message_id(raw))
            client.logout()
            before = _progress(db)
            proc = subprocess.Popen([sys.executable, "-m", "triage", "run"], env=env, stderr=log)
            # Once it has started on this round's mail, kill it a random moment later.
            deadline = time.monotonic() + 30
            while _progress(db) == before and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.4))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
    runs = log_path.read_text().split("watching INBOX")[1:]
    mid_work = sum("uid=" in run and "poll done" not in run for run in runs)
    assert kills >= 10
    assert mid_work >= 2, f"only {mid_work} kills fell mid-poll"
    assert main(["run", "--once"]) == 0  # finish whatever the last kill interrupted

    items = _queue(capsys)
    by_id: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_id.setdefault(str(item["message_id"]), []).append(item)
    assert set(by_id) == invites  # every invitation queued, nothing else
    assert all(len(found) == 1 for found in by_id.values())  # and only once
    assert {item["state"] for item in items} == {"pending"}
    # One draft per invitation in Drafts, even when a kill fell between APPEND and its record.
    client = imap.client()
    try:
        client.select_folder("Drafts", readonly=True)
        drafts = client.fetch(client.search("ALL"), ["BODY.PEEK[HEADER.FIELDS (IN-REPLY-TO)]"])
    finally:
        client.logout()
    replied = sorted(
        message_from_bytes(d[b"BODY[HEADER.FIELDS (IN-REPLY-TO)]"])["In-Reply-To"].strip()
        for d in drafts.values()
    )
    assert replied == sorted(invites)
    assert all(b"\\Seen" not in flags for flags in imap.flags().values())


# -- SMTP that misbehaves --------------------------------------------------------------------


class _Refusing:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        return "550 5.7.1 Message rejected by policy"


class _HangingUpAfterData:
    """Takes the whole message, then drops the connection instead of answering."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received += 1
        server.transport.close()
        await asyncio.sleep(0.1)
        return "250 never heard"


class _GrumpyAtQuit:
    """Takes the message, then answers QUIT with 421 instead of 221."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received += 1
        return "250 2.0.0 queued"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        return "421 4.3.0 closing"


class _Silent:
    """Accepts TCP connections and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.create_server((LOOPBACK, 0))
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.conns:
            conn.close()


@pytest.fixture
def pending_item(
    imap: ImapAccount, triage_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> str:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    assert main(["run", "--once"]) == 0
    (item,) = _queue(capsys)
    return str(item["id"])


def _state(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    (item,) = _queue(capsys)
    return item


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)
@pytest.mark.parametrize("failure", ["refuses", "hangs up after DATA", "never answers"])
def test_a_misbehaving_smtp_server_leaves_the_item_failed_and_never_sends_twice(
    failure: str,
    pending_item: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TRIAGE_TIMEOUT_SECONDS", "2")
    handler: Any = None
    controller = None
    silent = None
    if failure == "never answers":
        silent = _Silent()
        port = silent.port
    else:
        handler = _Refusing() if failure == "refuses" else _HangingUpAfterData()
        port = free_port()
        controller = Controller(handler, hostname=LOOPBACK, port=port)
        controller.start()
    try:
        monkeypatch.setenv("TRIAGE_SMTP_PORT", str(port))
        assert main(["queue", "approve", pending_item]) == 1
        item = _state(capsys)
        assert item["state"] == "failed"
        assert item["reason"]
        # Without --retry a failed item is never sent again.
        assert main(["queue", "approve", pending_item]) == 1
        assert _state(capsys)["state"] == "failed"
    finally:
        if controller is not None:
            controller.stop()
        if silent is not None:
            silent.close()
    if isinstance(handler, _HangingUpAfterData):
        assert handler.received == 1  # it did reach the server once, and only once


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)
def test_a_server_that_took_the_message_but_answers_quit_badly_has_sent_it(
    pending_item: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The message was accepted (250 after DATA): a bad goodbye must not mark it failed, which
    would have the user retry and send it twice."""
    handler = _GrumpyAtQuit()
    port = free_port()
    controller = Controller(handler, hostname=LOOPBACK, port=port)
    controller.start()
    try:
        monkeypatch.setenv("TRIAGE_SMTP_PORT", str(port))
        assert main(["queue", "approve", pending_item]) == 0
        assert _state(capsys)["state"] == "sent"
        assert main(["queue", "approve", pending_item, "--retry"]) == 1  # nothing to retry
    finally:
        controller.stop()
    assert handler.received == 1


# -- a send interrupted by a crash -------------------------------------------------------------


def _settings_and_store() -> tuple[Any, Store]:
    settings = load_settings(environ_with_file(None), need=("imap",))
    return settings, app.open_store(settings)


@pytest.mark.parametrize("imap", ["dovecot"], indirect=True)
@pytest.mark.parametrize("in_sent", [True, False])
def test_an_item_left_sending_by_a_crash_is_resolved_from_the_sent_folder(
    in_sent: bool,
    pending_item: str,
    imap: ImapAccount,
    smtp: SmtpSink,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, store = _settings_and_store()
    item_id = int(pending_item)
    long_ago = datetime.now(UTC) - timedelta(minutes=30)
    with store:
        store.transition(item_id, State.APPROVED, long_ago)
        store.transition(item_id, State.SENDING, long_ago)  # ...and then the process died
        reply = store.get(item_id).reply
    assert reply is not None
    if in_sent:  # the SMTP server had taken it, and the provider filed it in Sent
        copy = (
            f"From: {settings.from_address}\r\nTo: {reply.to}\r\nSubject: {reply.subject}\r\n"
            f"Message-ID: {reply.message_id}\r\n\r\n{reply.body}"
        ).encode()
        imap.append(copy, folder="Sent")
    assert main(["run", "--once"]) == 0
    item = _state(capsys)
    assert item["state"] == ("sent" if in_sent else "failed")
    if not in_sent:
        assert "not in your Sent folder" in item["reason"]
    assert smtp.received == []  # resolved by looking, never by sending again


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)
@pytest.mark.parametrize("minutes", [6, 120])
def test_a_slow_send_is_not_taken_for_a_crash_and_if_it_was_it_still_ends_sent(
    minutes: int,
    pending_item: str,
    imap: ImapAccount,
    smtp: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The daemon polls while ``queue approve`` is still in the SMTP session, ``minutes`` in.
    Six minutes is slow but within 20 times TRIAGE_TIMEOUT_SECONDS (60): not a crash. After
    two hours it is taken for one and marked failed; the send then goes through, and the item
    must end sent, filed in Sent once, never failed with an empty Sent (which invites a retry
    and a second send)."""
    item_id = int(pending_item)
    settings = load_settings(environ_with_file(None), need=("imap", "smtp"))
    real = app.outbox_for(settings)

    class SlowOutbox:
        def send(self, email: Any) -> list[str]:
            later = datetime.now(UTC) + timedelta(minutes=minutes)
            with app.open_store(settings) as store, app.mailbox_factory(settings)() as box:
                Syncer(settings, store, app.renderer_for(settings)).recover_sending(box, later)
                assert store.get(item_id).state is (State.SENDING if minutes < 20 else State.FAILED)
            return real.send(email)

    monkeypatch.setattr(app, "outbox_for", lambda _settings: SlowOutbox())
    assert main(["queue", "approve", str(item_id)]) == 0
    capsys.readouterr()
    assert main(["queue", "show", str(item_id), "--json"]) == 0
    item = json.loads(capsys.readouterr().out)
    assert item["state"] == "sent"
    taken_for_crash = any("taken for interrupted" in e["event"] for e in item["history"])
    assert taken_for_crash is (minutes > 20)
    assert len(smtp.received) == 1
    assert len(imap.messages("Sent")) == 1


# -- a message whose handling keeps killing the process -----------------------------------------


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)
def test_a_message_whose_handling_was_interrupted_too_often_is_quarantined_and_the_rest_go_on(
    imap: ImapAccount, triage_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    imap.append(variant("invite_plain.eml", 1))
    imap.append(variant("invite_reply_to.eml", 2))
    settings, store = _settings_and_store()
    with store, imap.client() as client:
        status = client.select_folder("INBOX", readonly=True)
        first = min(client.search("ALL"))
        origin = Origin(settings.account, "INBOX", int(status[b"UIDVALIDITY"]), first)
        now = datetime.now(UTC)
        for _ in range(MAX_ATTEMPTS):  # three runs died while handling this message
            store.begin_attempt(origin, now)
    assert main(["run", "--once"]) == 0
    capsys.readouterr()
    assert main(["queue", "list", "--json", "--state", "quarantined"]) == 0
    (quarantined,) = json.loads(capsys.readouterr().out)
    assert "interrupted 3 times" in quarantined["reason"]
    states = sorted(item["state"] for item in _queue(capsys))
    assert states == ["pending", "quarantined"]


# -- UIDVALIDITY changes ------------------------------------------------------------------------


@pytest.fixture
def jobs_folder(imap: ImapAccount, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    client = imap.client()
    client.create_folder("Jobs")
    client.logout()
    monkeypatch.setenv("TRIAGE_IMAP_FOLDER", "Jobs")
    yield "Jobs"


@pytest.mark.usefixtures("triage_env")
def test_a_uidvalidity_change_resynchronises_without_drafting_twice_or_skipping_mail(
    imap: ImapAccount, jobs_folder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old = [variant("invite_plain.eml", 1), variant("list_alert.eml", 2)]
    for raw in old:
        imap.append(raw, folder=jobs_folder)
    assert main(["run", "--once"]) == 0
    assert len(_queue(capsys)) == 1
    # The server rebuilt the folder: same mail, new UIDVALIDITY, and one new invitation.
    client = imap.client()
    client.delete_folder(jobs_folder)
    client.create_folder(jobs_folder)
    client.logout()
    for raw in [*old, variant("invite_reply_to.eml", 3)]:
        imap.append(raw, folder=jobs_folder)
    assert main(["run", "--once"]) == 0
    items = _queue(capsys)
    assert sorted(str(i["message_id"]) for i in items) == sorted(
        [_message_id(old[0]), _message_id(variant("invite_reply_to.eml", 3))]
    )
    assert main(["run", "--once"]) == 0  # and the new checkpoint holds
    assert len(_queue(capsys)) == 2


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_an_approval_stopped_before_its_send_began_is_taken_on_or_rejected(
    imap: ImapAccount, smtp: SmtpSink, triage_env: dict[str, str]
) -> None:
    # `approve` records approved, then sending, in two transactions; a process stopped between
    # them (Ctrl-C, a locked database) left the item approved for good, with its slot held.
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    imap.append((MAIL / "invite_reply_to.eml").read_bytes())
    assert main(["run", "--once"]) == 0
    db = Path(triage_env["TRIAGE_DB_PATH"])
    with Store.open(db) as store:
        first, second = (item.id for item in store.items())
        for item_id in (first, second):
            store.transition(item_id, State.APPROVED, datetime.now(UTC))
    assert main(["queue", "approve", str(first)]) == 0
    assert len(smtp.received) == 1
    assert main(["queue", "reject", str(second)]) == 0
    assert len(smtp.received) == 1
    with Store.open(db) as store:
        assert [store.get(first).state, store.get(second).state] == [State.SENT, State.REJECTED]


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_invitations_queued_by_a_poll_that_died_are_flagged_by_the_next(
    imap: ImapAccount, triage_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    real = Syncer.flag

    def lost(self: Syncer, *args: Any) -> None:
        raise MailboxError("the connection was lost")  # after the item was committed

    monkeypatch.setattr(Syncer, "flag", lost)
    assert main(["run", "--once"]) == 1
    [flags] = imap.flags().values()
    assert b"\\Flagged" not in flags
    monkeypatch.setattr(Syncer, "flag", real)
    assert main(["run", "--once"]) == 0
    [flags] = imap.flags().values()
    assert b"\\Flagged" in flags and b"\\Seen" not in flags


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_ctrl_c_during_a_send_leaves_the_item_failed_and_says_what_to_do(
    imap: ImapAccount,
    smtp: SmtpSink,
    triage_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    assert main(["run", "--once"]) == 0

    def interrupted(self: Any, message: Any) -> Any:
        raise KeyboardInterrupt  # the user's Ctrl-C while the server was slow to answer

    monkeypatch.setattr("triage.outbox.Outbox.send", interrupted)
    capsys.readouterr()
    assert main(["queue", "approve", "1"]) == 130
    err = capsys.readouterr().err
    assert "Interrupted. Item 1 is marked failed: it may or may not have gone out" in err
    assert "triage queue approve --retry 1" in err
    with Store.open(Path(triage_env["TRIAGE_DB_PATH"])) as store:
        assert store.get(1).state is State.FAILED  # not left "sending" until a daemon looks
    assert smtp.received == []
