"""Memory while reading a folder of big messages from a real IMAP server (Dovecot).

    python bench/fetch.py [COUNT]

Puts COUNT (default 100) messages of 4 MB each (a CV or a portfolio attached) into a fresh
Dovecot mailbox, reads them all as a first poll does (``Mailbox.fetch``), and prints the
process's peak size before and after; asserts nothing. Needs Dovecot (``dovecot-imapd``).
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import imapclient  # noqa: E402
from servers import DovecotServer  # noqa: E402 (tests/servers.py)

from triage.config import load_settings  # noqa: E402
from triage.mailbox import FETCH_BYTES, Mailbox  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    folder = Path(tempfile.mkdtemp(prefix="triage-bench-fetch-"))
    folder.chmod(0o755)  # Dovecot's mail user must get in
    server = DovecotServer(folder).start()
    try:
        user = "bench"
        body = (b"A" * 76 + b"\r\n") * (4_000_000 // 78)
        raw = b"From: a@b.example\r\nSubject: big\r\nMessage-ID: <big@b.example>\r\n\r\n" + body
        client = imapclient.IMAPClient(server.host, port=server.port, ssl=False)
        client.login(user, server.password)
        for _ in range(count):
            client.append("INBOX", raw)
        client.logout()
        settings = load_settings(
            {
                "TRIAGE_IMAP_HOST": server.host,
                "TRIAGE_IMAP_PORT": str(server.port),
                "TRIAGE_IMAP_SECURITY": "none",
                "TRIAGE_IMAP_USER": user,
                "TRIAGE_IMAP_PASSWORD": server.password,
            }
        )
        before = peak_mb()
        started = time.perf_counter()
        read = 0
        with Mailbox(settings.imap) as box:
            box.open_folder("INBOX")
            for fetched in box.fetch(box.uids_after(0)):
                read += len(fetched.raw)
        took = time.perf_counter() - started
        print(
            f"{count} messages of {len(raw) / 1e6:.1f} MB read in {took:.1f} s "
            f"({read / 1e6 / took:.0f} MB/s); batches of at most {FETCH_BYTES / 2**20:.0f} MiB"
        )
        print(f"peak resident size: {before:.0f} MB before, {peak_mb():.0f} MB after")
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
