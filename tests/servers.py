"""Real mail servers for the tests: a private, unprivileged Dovecot instance in a temp dir.

pymap and aiosmtpd come from ``triage.local_servers`` (they serve the demo too). Dovecot is the
reference IMAP server; it is started per test session when the ``dovecot`` binary is installed
(Debian package ``dovecot-imapd``; ``.ci/run`` installs it) and always stopped afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
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
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
