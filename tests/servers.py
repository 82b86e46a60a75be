"""Real mail servers for the tests: a private, unprivileged Dovecot instance in a temp dir.

pymap and aiosmtpd come from ``triage.local_servers`` (they serve the demo too). Dovecot is the
reference IMAP server; it is started per test session when the ``dovecot`` binary is installed
(Debian package ``dovecot-imapd``; ``.ci/run`` installs it) and always stopped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from triage.local_servers import LOOPBACK, free_port

CONFIG = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = {host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
default_login_user = nobody
default_internal_user = root
default_internal_group = root
first_valid_uid = 1
# Any user name logs in with the one password: tests make a fresh mailbox per test by picking a
# new user name. (A passwd-file is re-read only when its mtime moves to a new second, so a user
# added in the same second as the previous one could be refused.)
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={d}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
}}
namespace inbox {{
  inbox = yes
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
"""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )


class DovecotServer:
    """A Dovecot instance with one user, on a free loopback port, in ``directory``."""

    def __init__(
        self, directory: Path, user: str = "jordan", password: str = "s3cret-Pa55"
    ) -> None:
        self.dir = directory
        self.host = LOOPBACK
        self.port = free_port()
        self.user = user
        self.password = password

    def start(self) -> DovecotServer:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
        d = self.dir
        for sub in ("run", "state", "mail", "home"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (d / "dovecot.conf").write_text(
            CONFIG.format(d=d, host=self.host, port=self.port, password=self.password)
        )
        for sub in ("mail", "home"):
            os.chown(d / sub, 65534, 65534)
        subprocess.run([binary, "-c", str(d / "dovecot.conf")], check=True, timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not listen on {self.port}: see {d}/dovecot.log")

    def stop(self) -> None:
        pid_file = self.dir / "run" / "master.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        children = _descendants(pid)
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        # Like a real restart, every client connection ends now (the imap processes would
        # otherwise serve their open connections for a while after the master is gone).
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class SilentProxy:
    """A TCP proxy on a free loopback port. ``go_silent()`` makes every connection open at that
    moment stop forwarding without closing (a cut cable, a NAT that forgot us); connections made
    afterwards work normally."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.host = LOOPBACK
        self.target = (target_host, target_port)
        self._listener = socket.create_server((self.host, 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket, threading.Event]] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> SilentProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            for a, b, _ in self._pairs:
                for sock in (a, b):
                    with contextlib.suppress(OSError):
                        sock.close()
        self._thread.join(timeout=5)

    def go_silent(self) -> None:
        with self._lock:
            for _, _, silent in self._pairs:
                silent.set()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            silent = threading.Event()
            with self._lock:
                self._pairs.append((client, upstream, silent))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst, silent), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, silent: threading.Event) -> None:
        while not self._closed.is_set():
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)
                return
            if silent.is_set():
                continue  # swallowed: neither side hears anything again
            try:
                dst.sendall(data)
            except OSError:
                return
