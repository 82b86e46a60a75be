"""The daemon's lifecycle: poll on a schedule, survive failures, stop cleanly on a signal.

The poll runs at start and then every ``TRIAGE_POLL_SECONDS`` through the ``schedule`` package.
A failed poll (server down, database busy) is logged as one line and tried again at the next
tick; SIGTERM or SIGINT ends the loop after the poll under way. ``clock`` and ``sleep`` are
parameters, so a test runs a loop turn instantly.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType

import schedule

from triage.errors import TriageError
from triage.mailbox import Mailbox
from triage.service import Poller, PollReport

log = logging.getLogger(__name__)


class Daemon:
    """Runs ``poller.poll`` against fresh connections from ``connect``."""

    def __init__(
        self,
        poller: Poller,
        connect: Callable[[], Mailbox],
        clock: Callable[[], datetime],
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self.poller = poller
        self.connect = connect
        self.clock = clock
        self.stopping = threading.Event()
        self.sleep = sleep or self.stopping.wait
        self.failures = 0

    def poll_once(self, *, dry_run: bool = False) -> PollReport:
        """One poll on a fresh connection. Raises ``TriageError`` on failure."""
        with self.connect() as mailbox:
            report = self.poller.poll(mailbox, self.clock(), dry_run=dry_run)
        log.info("poll done: %s", report)
        return report

    def _tick(self) -> None:
        try:
            self.poll_once()
        except TriageError as exc:
            self.failures += 1
            if self.failures == 1:  # one line per outage, not one per retry
                log.error(
                    "poll failed, will retry every %ss: %s", self.poller.settings.poll_seconds, exc
                )
            return
        if self.failures:
            log.info("poll works again after %d failed attempt(s)", self.failures)
        self.failures = 0

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        if signum is not None:
            log.info("received %s, stopping", signal.Signals(signum).name)
        self.stopping.set()

    def run(self) -> None:
        """Poll now and on schedule until ``stop()`` (or SIGTERM/SIGINT in the main thread)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        scheduler = schedule.Scheduler()
        scheduler.every(self.poller.settings.poll_seconds).seconds.do(self._tick)
        log.info(
            "watching %s every %ss",
            self.poller.settings.imap_folder,
            self.poller.settings.poll_seconds,
        )
        self._tick()
        while not self.stopping.is_set():
            scheduler.run_pending()
            idle = scheduler.idle_seconds
            self.sleep(max(0.05, min(1.0, idle if idle is not None else 1.0)))
        log.info("stopped")
