"""systemd's notification protocol (``sd_notify(3)``), standard library only.

Under ``Type=notify`` systemd passes ``NOTIFY_SOCKET``: the path of an ``AF_UNIX`` datagram
socket, or an abstract socket name starting with ``@``. Each notification is one datagram of
``KEY=value`` lines (``READY=1``, ``STATUS=...``, ``WATCHDOG=1``, ``STOPPING=1``). With
``WatchdogSec=`` systemd also passes ``WATCHDOG_USEC`` (and ``WATCHDOG_PID``, the process it is
meant for) and restarts the service when no ``WATCHDOG=1`` arrives within that interval.

Without ``NOTIFY_SOCKET`` (a terminal, a test, another supervisor) every call does nothing. A
notification that cannot be sent is logged at debug level and dropped: telling systemd how the
daemon is doing must never be what stops it.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

log = logging.getLogger(__name__)


def _socket_address(raw: str) -> str | None:
    """``NOTIFY_SOCKET`` as an address for ``sendto``: ``@name`` is the abstract ``\\0name``."""
    if raw.startswith("@"):
        return "\0" + raw[1:]
    if raw.startswith("/"):
        return raw
    log.debug("NOTIFY_SOCKET %r is not a path or an abstract name; notifications are off", raw)
    return None


def _watchdog_interval(environ: Mapping[str, str], pid: int) -> timedelta | None:
    """``WATCHDOG_USEC`` as a duration, or None when unset, malformed or meant for another PID."""
    owner = environ.get("WATCHDOG_PID", "").strip()
    if owner and owner != str(pid):  # inherited by a child of the watched process
        return None
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return timedelta(microseconds=usec) if usec > 0 else None


@dataclass(frozen=True)
class Notifier:
    """Sends notifications to systemd; a no-op when ``address`` is None.

    ``watchdog_interval`` is how often systemd expects ``WATCHDOG=1`` (None: no watchdog); ping
    at least every ``watchdog_ping_every``, half of it, as ``sd_watchdog_enabled(3)`` advises.
    """

    address: str | None = None
    watchdog_interval: timedelta | None = None

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str] | None = None, *, pid: int | None = None
    ) -> Notifier:
        """The notifier systemd asked for through ``environ`` (default ``os.environ``)."""
        env = os.environ if environ is None else environ
        raw = env.get("NOTIFY_SOCKET", "")
        return cls(
            address=_socket_address(raw) if raw else None,
            watchdog_interval=_watchdog_interval(env, os.getpid() if pid is None else pid),
        )

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def watchdog_ping_every(self) -> timedelta | None:
        return self.watchdog_interval / 2 if self.watchdog_interval is not None else None

    def send(self, **fields: str | int) -> bool:
        """Send ``KEY=value`` lines (keys upper-cased) in one datagram; True when it was sent.

        Line breaks in a value become spaces, since each line is a field of its own.
        """
        if self.address is None or not fields:
            return False
        lines = (
            f"{key.upper()}={' '.join(str(value).splitlines())}" for key, value in fields.items()
        )
        payload = "\n".join(lines).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(payload, self.address)
        except OSError as exc:
            log.debug("cannot notify systemd (%s): %s", sorted(fields), exc)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """Start-up is done (``READY=1``), optionally with a status line."""
        if status is None:
            return self.send(READY=1)
        return self.send(READY=1, STATUS=status)

    def extend_start(self, seconds: float, status: str) -> bool:
        """Still starting, and progressing: give start-up ``seconds`` more
        (``EXTEND_TIMEOUT_USEC``, systemd 236 and later), with a status line."""
        return self.send(EXTEND_TIMEOUT_USEC=int(seconds * 1_000_000), STATUS=status)

    def status(self, text: str) -> bool:
        """A one-line status that ``systemctl status`` shows."""
        return self.send(STATUS=text)

    def watchdog(self) -> bool:
        """Still alive (``WATCHDOG=1``)."""
        return self.send(WATCHDOG=1)

    def stopping(self) -> bool:
        """Shutting down (``STOPPING=1``)."""
        return self.send(STOPPING=1)
