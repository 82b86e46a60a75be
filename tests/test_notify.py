"""The sd_notify client against a real AF_UNIX datagram socket, as systemd would listen."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from triage.notify import Notifier


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
