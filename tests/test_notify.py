"""The sd_notify client against a real AF_UNIX datagram socket, as systemd would listen."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from triage.daemon import Daemon
from triage.mailbox import Mailbox
from triage.notify import Notifier
from triage.service import Poller


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A bound datagram socket (what systemd's NOTIFY_SOCKET is) and its path."""
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(2)
        yield sock, path


def received(sock: socket.socket) -> list[str]:
    return sock.recv(4096).decode().split("\n")


def test_sends_ready_status_watchdog_and_stopping(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    notifier = Notifier.from_environ({"NOTIFY_SOCKET": path})
    assert notifier.enabled

    assert notifier.ready()
    assert received(sock) == ["READY=1"]
    assert notifier.ready("watching INBOX")
    assert received(sock) == ["READY=1", "STATUS=watching INBOX"]
    assert notifier.status("last poll: 3 new,\n1 queued")
    assert received(sock) == ["STATUS=last poll: 3 new, 1 queued"]
    assert notifier.watchdog()
    assert received(sock) == ["WATCHDOG=1"]
    assert notifier.stopping()
    assert received(sock) == ["STOPPING=1"]
    assert notifier.send(extend_timeout_usec=90_000_000, status="still starting")
    assert received(sock) == ["EXTEND_TIMEOUT_USEC=90000000", "STATUS=still starting"]


def test_abstract_socket_name_starting_with_at() -> None:
    name = f"triage-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        notifier = Notifier.from_environ({"NOTIFY_SOCKET": "@" + name})
        assert notifier.watchdog()
        assert received(sock) == ["WATCHDOG=1"]


def test_without_notify_socket_every_call_is_a_no_op() -> None:
    notifier = Notifier.from_environ({})
    assert not notifier.enabled
    assert notifier.watchdog_interval is None
    assert not notifier.ready("x")
    assert not notifier.status("x")
    assert not notifier.watchdog()
    assert not notifier.stopping()
    assert not Notifier.from_environ({"NOTIFY_SOCKET": "relative/path"}).enabled


def test_a_notification_that_cannot_be_sent_is_logged_and_swallowed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier.from_environ({"NOTIFY_SOCKET": str(tmp_path / "nobody-listens")})
    with caplog.at_level(logging.DEBUG, logger="triage.notify"):
        assert notifier.ready("up") is False
    assert "cannot notify systemd" in caplog.text


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"WATCHDOG_USEC": "300000000"}, timedelta(minutes=5)),
        ({"WATCHDOG_USEC": "300000000", "WATCHDOG_PID": "4242"}, timedelta(minutes=5)),
        ({"WATCHDOG_USEC": "300000000", "WATCHDOG_PID": "1"}, None),  # meant for another process
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval_from_the_environment(
    environ: dict[str, str], expected: timedelta | None
) -> None:
    notifier = Notifier.from_environ(environ, pid=4242)
    assert notifier.watchdog_interval == expected
    assert notifier.watchdog_ping_every == (expected / 2 if expected else None)


def test_watchdog_pid_defaults_to_this_process() -> None:
    env = {"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": str(os.getpid())}
    assert Notifier.from_environ(env).watchdog_interval == timedelta(seconds=1)


class _Recording(Notifier):
    def send(self, **fields: str | int) -> bool:
        SENT.append(dict(fields))
        return True


SENT: list[dict[str, str | int]] = []


def test_a_long_first_poll_asks_systemd_for_more_start_up_time_then_pings_the_watchdog() -> None:
    """Before READY=1, TimeoutStartSec applies and WATCHDOG=1 does not extend it: a backlog
    longer than it would be killed and started again, over and over."""
    SENT.clear()
    clock = [0.0]
    notifier = _Recording(address="@unused", watchdog_interval=timedelta(seconds=10))
    daemon = Daemon(
        cast(Poller, None),
        cast(Callable[[], Mailbox], None),
        datetime.now,
        notifier=notifier,
        monotonic=lambda: clock[0],
    )
    for second in range(0, 301, 5):  # five minutes of messages, one every five seconds
        clock[0] = float(second)
        daemon._watchdog()
    extends = [m for m in SENT if "EXTEND_TIMEOUT_USEC" in m]
    assert len(extends) == 5 and all(m["EXTEND_TIMEOUT_USEC"] == 120_000_000 for m in extends)
    assert not any("WATCHDOG" in m for m in SENT)  # not yet started: no watchdog
    SENT.clear()
    daemon._ready = True
    clock[0] += 6
    daemon._watchdog()
    assert SENT == [{"WATCHDOG": 1}]
