"""The daemon as a user runs it, against real servers, with things broken on purpose: IDLE
delivery, one daemon per database, `triage status`, an IMAP server restarted mid-IDLE and
mid-fetch, and a connection that goes silent without closing."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import MAIL, ImapAccount
from imapclient.exceptions import LoginError
from mailgen import mixed, variant
from servers import DovecotServer, SilentProxy, dovecot_binary

from triage.app import classifier_for, mailbox_factory, open_store, renderer_for, utc_now
from triage.config import load_settings
from triage.daemon import Daemon as TriageDaemon
from triage.lock import DaemonLock, holder, lock_path
from triage.mailbox import Mailbox
from triage.service import Poller
from triage.settings import Auth, Secret, Security, Server


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return list(conn.execute(sql))
    except sqlite3.Error:
        return []  # not created or not migrated yet


def item_count(db: Path) -> int:
    found = rows(db, "SELECT count(*) FROM items")
    return int(str(found[0][0])) if found else 0


def polled(db: Path) -> bool:
    return bool(rows(db, "SELECT 1 FROM runtime WHERE key = 'last_poll_at'"))


class Daemon:
    """``triage run`` in a child process, its log in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = {**os.environ, **env}
        self.db = Path(env["TRIAGE_DB_PATH"])
        self.log_path = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Daemon:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "triage", "run"], env=self.env, stderr=log
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def daemon(triage_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(**extra: str) -> Daemon:
        d = Daemon({**triage_env, **extra}, tmp_path / f"daemon{len(started)}.log").start()
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def test_new_mail_is_queued_within_seconds_through_idle(
    imap: ImapAccount, daemon: Callable[..., Daemon]
) -> None:
    # Polling every 10 minutes: only IDLE can bring this mail in quickly.
    d = daemon(TRIAGE_POLL_SECONDS="600")
    assert wait_for(lambda: polled(d.db), 30), d.log()
    started = time.monotonic()
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    assert wait_for(lambda: item_count(d.db) == 1, 10), d.log()
    assert time.monotonic() - started < 10
    assert d.stop() == 0


def test_mail_landing_between_a_poll_and_idle_does_not_wait_for_the_next_poll(
    imap: ImapAccount, triage_env: dict[str, str]
) -> None:
    # IDLE announces only what arrives once it has started; mail that lands after a poll and
    # before IDLE (here, on purpose, at that very moment) must not wait 10 minutes.
    settings = load_settings(triage_env, need=("imap",))

    class Racing(TriageDaemon):
        raced = False

        def _idle(self, seconds: float) -> bool:
            if not self.raced:
                self.raced = True
                imap.append((MAIL / "invite_plain.eml").read_bytes())
            return super()._idle(seconds)

    started: list[Racing] = []

    def run() -> None:  # SQLite wants the store used in the thread that opened it
        store = open_store(settings)
        poller = Poller(settings, store, classifier_for(settings), renderer_for(settings))
        started.append(Racing(poller, mailbox_factory(settings), utc_now))
        try:
            started[0].run()
        finally:
            store.close()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert wait_for(lambda: item_count(settings.db_path) == 1, 10)
        assert started[0].raced
    finally:
        if started:
            started[0].stop()
        thread.join(30)
    assert not thread.is_alive()


def _triage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``triage ARGS`` in a process of its own, with ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "triage", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)
def test_a_second_daemon_on_the_same_database_refuses_to_start_and_status_shows_the_first(
    imap: ImapAccount, daemon: Callable[..., Daemon], triage_env: dict[str, str]
) -> None:
    first = daemon()
    assert wait_for(lambda: polled(first.db), 30), first.log()
    env = {**os.environ, **triage_env}
    second = _triage(env, "run")
    assert second.returncode == 1
    assert "already running" in second.stderr
    assert first.proc is not None and str(first.proc.pid) in second.stderr
    by_hand = _triage(env, "run", "--once")  # beside the daemon it could save a draft twice
    assert by_hand.returncode == 1 and "already running" in by_hand.stderr

    status = _triage(env, "status", "--json")
    assert status.returncode == 0
    report = json.loads(status.stdout)
    assert report["daemon"]["running"] is True
    assert report["daemon"]["pid"] == first.proc.pid
    assert report["daemon"]["healthy"] is True
    assert report["daemon"]["last_poll_at"]
    assert report["daemon"]["started_at"] <= report["daemon"]["heartbeat_at"]
    text = _triage(env, "status").stdout
    assert "healthy, started" in text and "ago" in text.splitlines()[0]
    assert first.stop() == 0
    after = _triage(env, "status")
    assert after.returncode == 0
    assert "not running" in after.stdout


@pytest.fixture
def own_dovecot() -> Iterator[DovecotServer]:
    """A Dovecot instance of this test's own, which the test may stop and start."""
    if dovecot_binary() is None:
        if os.environ.get("TEST_REQUIRE_DOVECOT"):
            pytest.fail("dovecot is required here (TEST_REQUIRE_DOVECOT) but not installed")
        pytest.skip("dovecot is not installed")
    # Not under tmp_path: pytest's folders are private, and the mail user (nobody) must get in.
    directory = Path(tempfile.mkdtemp(prefix="triage-dovecot-own-"))
    directory.chmod(0o755)
    server = DovecotServer(directory).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # replaced by own_dovecot below
def test_the_daemon_recovers_when_the_imap_server_restarts_mid_fetch_and_mid_idle(
    own_dovecot: DovecotServer, daemon: Callable[..., Daemon], imap: ImapAccount
) -> None:
    account = ImapAccount(
        "dovecot", own_dovecot.host, own_dovecot.port, "restart", own_dovecot.password
    )
    expected = {}
    client = account.client()
    for n, (is_invite, raw) in enumerate(mixed(400)):
        client.append("INBOX", raw)
        expected[n] = is_invite
    client.logout()
    d = daemon(
        TRIAGE_IMAP_PORT=str(own_dovecot.port),
        TRIAGE_IMAP_USER="restart",
        TRIAGE_POLL_SECONDS="600",
        TRIAGE_TIMEOUT_SECONDS="5",
    )
    # Mid-fetch: stop the server once the first messages are handled, start it again.
    assert wait_for(lambda: item_count(d.db) >= 1, 60), d.log()
    own_dovecot.stop()
    time.sleep(1.0)
    own_dovecot.start()
    invites = sum(expected.values())
    assert wait_for(lambda: item_count(d.db) == invites, 90), d.log()
    # Mid-IDLE: the daemon waits in IDLE; restart the server and deliver while it reconnects.
    assert wait_for(lambda: polled(d.db), 30)
    own_dovecot.stop()
    time.sleep(0.5)
    own_dovecot.start()
    account.append(variant("invite_plain.eml", 999))
    assert wait_for(lambda: item_count(d.db) == invites + 1, 60), d.log()
    states = rows(d.db, "SELECT state, count(*) FROM items GROUP BY state")
    assert dict(states) == {"pending": invites + 1}  # type: ignore[arg-type]
    assert d.stop() == 0
    log = d.log()
    assert log.count("poll failed") == 2, log  # two outages, one line each
    assert log.count("works again") == 2, log


@pytest.mark.parametrize("imap", ["dovecot"], indirect=True)
def test_the_daemon_recovers_from_a_connection_that_goes_silent(
    imap: ImapAccount, daemon: Callable[..., Daemon]
) -> None:
    with SilentProxy(imap.host, imap.port) as proxy:
        d = daemon(
            TRIAGE_IMAP_PORT=str(proxy.port), TRIAGE_POLL_SECONDS="5", TRIAGE_TIMEOUT_SECONDS="2"
        )
        assert wait_for(lambda: polled(d.db), 30), d.log()
        time.sleep(0.5)  # in IDLE now
        proxy.go_silent()
        imap.append((MAIL / "invite_plain.eml").read_bytes())  # straight to the server
        assert wait_for(lambda: item_count(d.db) == 1, 40), d.log()
        assert d.stop() == 0
        log = d.log()
        assert log.count("poll failed") == 1, log  # one line per outage, not one per retry
        assert "works again" in log


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)
def test_systemd_hears_ready_status_and_watchdog_pings(
    imap: ImapAccount, daemon: Callable[..., Daemon]
) -> None:
    short = Path(tempfile.mkdtemp(prefix="triage-notify-"))  # AF_UNIX paths must be short
    path = short / "notify.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(30)
    try:
        d = daemon(NOTIFY_SOCKET=str(path), WATCHDOG_USEC="2000000")  # ping at least every 1 s
        heard: list[str] = []
        while not any(m.startswith("WATCHDOG=1") for m in heard):
            heard.append(server.recv(4096).decode())
        ready = next(i for i, m in enumerate(heard) if "READY=1" in m)
        watchdog = next(i for i, m in enumerate(heard) if m.startswith("WATCHDOG=1"))
        assert ready < watchdog
        assert any(m.startswith("STATUS=last poll") for m in heard)
        assert d.stop() == 0
        server.settimeout(5)
        rest = []
        with contextlib.suppress(TimeoutError):
            while True:
                rest.append(server.recv(4096).decode())
        assert any("STOPPING=1" in m for m in rest)
    finally:
        server.close()
        shutil.rmtree(short, ignore_errors=True)


def test_a_daemon_starts_while_status_looks_at_the_lock(tmp_path: Path) -> None:
    """``triage status`` (``holder``) takes a shared lock for an instant to look; a daemon
    starting in that instant waits for it instead of reporting another daemon."""
    db = tmp_path / "queue.sqlite3"
    lock_path(db).write_text("")
    fd = os.open(lock_path(db), os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # as holder() does, held a little longer
    releaser = threading.Timer(0.2, os.close, (fd,))
    releaser.start()
    try:
        with DaemonLock(db):
            assert holder(db) == os.getpid()
    finally:
        releaser.join()
    assert holder(db) is None


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_a_refused_login_at_start_up_stops_the_daemon_naming_the_settings_to_fix(
    imap: ImapAccount, daemon: Callable[..., Daemon]
) -> None:
    """Where a service's user sees it: the daemon's log, as doctor says it. A wrong password is
    a setting, not an outage: the daemon exits 1 (systemd restarts it a few times, then leaves
    the unit failed) instead of retrying it for ever."""
    d = daemon(TRIAGE_IMAP_PASSWORD="wrong-" + imap.password)
    assert d.proc is not None
    assert wait_for(lambda: d.proc is not None and d.proc.poll() is not None, 60), d.log()
    assert d.proc.returncode == 1
    log = d.log()
    assert "check TRIAGE_IMAP_USER and TRIAGE_IMAP_PASSWORD" in log, log
    assert imap.password not in log


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)
def test_a_stop_request_ends_a_poll_after_the_message_in_hand_and_the_rest_wait(
    imap: ImapAccount, triage_env: dict[str, str]
) -> None:
    """SIGTERM during a long first poll: the daemon must not work through the whole backlog
    (systemd kills it after TimeoutStopSec), nor lose what it did not reach."""
    for n in range(3):
        imap.append(variant("invite_plain.eml", n))
    settings = load_settings(triage_env, need=("imap",))
    handled: list[int] = []
    with open_store(settings) as store, mailbox_factory(settings)() as box:
        poller = Poller(settings, store, classifier_for(settings), renderer_for(settings))
        first = poller.poll(
            box, utc_now(), progress=lambda: handled.append(1), stopping=lambda: True
        )
        assert first.stopped and len(handled) == 1 and item_count(settings.db_path) == 1
        second = poller.poll(box, utc_now())
        assert not second.stopped and item_count(settings.db_path) == 3
    flags = imap.flags()
    assert len(flags) == 3 and all(b"\\Flagged" in f for f in flags.values()), flags  # all three


@pytest.mark.parametrize(
    ("answer", "refused"),
    [
        ("[AUTHENTICATIONFAILED] Authentication failed.", True),
        ("Invalid credentials", True),
        ("[UNAVAILABLE] Temporary authentication failure.", False),  # the auth backend is down
        ("[LIMIT] Too many connections", False),
        ("[THROTTLED] Too many login attempts", False),
        ("Login failed: server busy, try again later", False),
        ("[AUTHENTICATIONFAILED] Invalid credentials; your temporary password has expired", True),
    ],
)
def test_only_a_login_refused_for_its_credentials_stops_the_daemon(
    answer: str, refused: bool
) -> None:
    server = Server("imap.example.org", 993, Security.SSL, "jordan", Secret("pw"), Auth.PASSWORD)
    error = Mailbox(server)._fail("logging in", LoginError(f"b'{answer}'"))
    assert error.login_refused is refused
