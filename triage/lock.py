"""One daemon per queue database: an exclusive ``flock`` on ``<database>.lock``.

The kernel drops the lock when the process ends, however it ends (even SIGKILL), so a crash never
leaves a stale lock behind. The file holds the owner's pid, for the message and ``triage status``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from triage.errors import StoreError


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def holder(db_path: Path) -> int | None:
    """The pid of the daemon holding the lock, or None when no daemon runs on ``db_path``."""
    path = lock_path(db_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read_pid(path) or -1
    finally:
        os.close(fd)  # closing drops a lock we may have taken
    return None


def _lock_soon(fd: int, tries: int = 20, pause: float = 0.05) -> bool:
    """Take the exclusive lock, trying for about a second: ``holder`` (``triage status``) takes
    a shared lock for an instant to look, which must not stop a daemon from starting."""
    for attempt in range(tries):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if attempt < tries - 1:
                time.sleep(pause)
            continue
        return True
    return False


class DaemonLock:
    """Held while a daemon runs. ``with DaemonLock(db_path):`` raises ``StoreError`` when another
    daemon holds it."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.path = lock_path(db_path)
        self._fd: int | None = None

    def __enter__(self) -> DaemonLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _lock_soon(fd):
            os.close(fd)
            pid = _read_pid(self.path)
            raise StoreError(
                f"another triage daemon{f' (pid {pid})' if pid else ''} is already running on "
                f"{self.db_path}; stop it first, or give this one its own TRIAGE_DB_PATH"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None
