"""Benchmarks of the daemon against a private Dovecot on 127.0.0.1 (Debian's dovecot-imapd).

    python bench/daemon.py latency   # arrival-to-queued with IDLE: p50/p95 over 20 arrivals
    python bench/daemon.py backlog   # first run over 10,000 messages: time, max RSS, and the
                                     # ratio to a bare imapclient batched fetch of the same mail
    python bench/daemon.py idle      # CPU seconds per hour and RSS of a daemon with no new mail
    python bench/daemon.py           # all three

Prints figures; asserts nothing. Targets (issue 6): p95 <= 1.5 s; backlog < 60 s and < 300 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import imapclient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from mailgen import mixed, variant  # noqa: E402
from servers import DovecotServer, dovecot_binary  # noqa: E402

PASSWORD = "bench-Pa55"


@contextmanager
def dovecot() -> Iterator[DovecotServer]:
    if dovecot_binary() is None:
        sys.exit("dovecot is not installed: apt-get install dovecot-imapd")
    directory = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    directory.chmod(0o755)
    server = DovecotServer(directory, password=PASSWORD).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def client(server: DovecotServer, user: str) -> imapclient.IMAPClient:
    c = imapclient.IMAPClient(server.host, server.port, ssl=False, timeout=30)
    c.login(user, PASSWORD)
    return c


def env_for(server: DovecotServer, user: str, db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update(
        TRIAGE_IMAP_HOST=server.host,
        TRIAGE_IMAP_PORT=str(server.port),
        TRIAGE_IMAP_USER=user,
        TRIAGE_IMAP_PASSWORD=PASSWORD,
        TRIAGE_IMAP_SECURITY="none",
        TRIAGE_SMTP_HOST="127.0.0.1",
        TRIAGE_SMTP_PORT="25",
        TRIAGE_SMTP_SECURITY="none",
        TRIAGE_FROM="Jordan Avery <jordan@example.net>",
        TRIAGE_DB_PATH=str(db),
        TRIAGE_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def count(db: Path, sql: str = "SELECT count(*) FROM items") -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0


def wait(condition: object, timeout: float, step: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(step)
    return False


def start_daemon(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "triage", "run"], env=env, stderr=subprocess.DEVNULL
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def latency(server: DovecotServer, work: Path, arrivals: int = 20) -> None:
    db = work / "latency.sqlite3"
    proc = start_daemon(env_for(server, "latency", db, TRIAGE_POLL_SECONDS="3600"))
    try:
        if not wait(lambda: count(db, "SELECT count(*) FROM runtime") > 0, 60):
            sys.exit("the daemon did not start")
        c = client(server, "latency")
        times = []
        for n in range(arrivals):
            time.sleep(1.0)  # the daemon is back in IDLE
            raw = variant("invite_plain.eml", 10_000 + n)
            started = time.monotonic()
            c.append("INBOX", raw)
            if not wait(lambda n=n: count(db) == n + 1, 30):
                sys.exit(f"arrival {n + 1} was not queued within 30 s")
            times.append(time.monotonic() - started)
        c.logout()
    finally:
        stop(proc)
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    print(
        f"latency (IDLE, Dovecot, {arrivals} arrivals, APPEND done -> item committed): "
        f"p50 {statistics.median(times):.3f} s, p95 {p95:.3f} s, max {times[-1]:.3f} s"
    )


def _seed(server: DovecotServer, user: str, total: int) -> int:
    c = client(server, user)
    invites = 0
    started = time.monotonic()
    for is_invite, raw in mixed(total, invite_every=20):
        c.append("INBOX", raw)
        invites += is_invite
    c.logout()
    print(
        f"  seeded {total} messages ({invites} invitations) in {time.monotonic() - started:.1f} s"
    )
    return invites


def bare_fetch(server: DovecotServer, user: str) -> float:
    """What any client pays to read the same mail: SEARCH, then BODY.PEEK[] in batches of 100."""
    started = time.monotonic()
    c = client(server, user)
    c.select_folder("INBOX", readonly=True)
    uids = c.search("ALL")
    read = 0
    for i in range(0, len(uids), 100):
        for data in c.fetch(uids[i : i + 100], ["RFC822.SIZE", "BODY.PEEK[]"]).values():
            read += len(data[b"BODY[]"])
    c.logout()
    return time.monotonic() - started


def backlog(server: DovecotServer, work: Path, total: int = 10_000) -> None:
    db = work / "backlog.sqlite3"
    invites = _seed(server, "backlog", total)
    bare = bare_fetch(server, "backlog")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "triage", "run", "--once"],
        env=env_for(server, "backlog", db),
        check=True,
        stderr=subprocess.DEVNULL,
    )
    took = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss_mb = after.ru_maxrss / 1024  # kilobytes on Linux
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    queued = count(db)
    print(
        f"backlog ({total} messages, {invites} invitations, first run `triage run --once`): "
        f"{took:.1f} s ({total / took:.0f} msg/s, {cpu:.1f} CPU s), max RSS {rss_mb:.0f} MB, "
        f"{queued} queued; bare imapclient batched fetch {bare:.1f} s -> ratio {took / bare:.1f}x"
    )


def _proc_cpu_rss(pid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = next(
        int(line.split()[1]) / 1024
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return cpu, rss


def idle(server: DovecotServer, work: Path, seconds: float = 60.0) -> None:
    db = work / "idle.sqlite3"
    c = client(server, "idle")
    c.append("INBOX", variant("invite_plain.eml", 1))
    c.logout()
    proc = start_daemon(env_for(server, "idle", db))  # default: poll every 60 s + IDLE
    try:
        if not wait(lambda: count(db) == 1, 60):
            sys.exit("the daemon did not start")
        time.sleep(2)
        cpu0, _ = _proc_cpu_rss(proc.pid)
        time.sleep(seconds)
        cpu1, rss = _proc_cpu_rss(proc.pid)
    finally:
        stop(proc)
    per_hour = (cpu1 - cpu0) * 3600 / seconds
    print(
        f"idle ({seconds:.0f} s measured, IDLE + a poll every 60 s): "
        f"{per_hour:.1f} CPU s per hour, "
        f"RSS {rss:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", help="latency, backlog and/or idle (default: all)")
    parser.add_argument("--messages", type=int, default=10_000, help="backlog size")
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args()
    which = args.which or ["latency", "backlog", "idle"]
    unknown = set(which) - {"latency", "backlog", "idle"}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    work = Path(tempfile.mkdtemp(prefix="triage-bench-db-"))
    try:
        with dovecot() as server:
            if "latency" in which:
                latency(server, work)
            if "backlog" in which:
                backlog(server, work, args.messages)
            if "idle" in which:
                idle(server, work, args.idle_seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
