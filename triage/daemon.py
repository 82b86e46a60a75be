"""The daemon's lifecycle: watch the folder, survive failures, stop cleanly on a signal.

One IMAP connection is kept open. Between polls the daemon waits in IMAP IDLE when the server
offers it, so new mail is handled about a second after it arrives; IDLE is renewed well inside the
server's 30-minute limit. The ``schedule`` package polls every ``TRIAGE_POLL_SECONDS`` as well:
the fallback for servers without IDLE and the safety net for a notification that never came.

Any network or server failure closes the connection; it is opened again after a capped, jittered
exponential backoff, with one log line when the outage starts and one when it ends. SIGTERM or
SIGINT ends the loop within about a second (during a poll, once the message in hand is handled;
the rest wait for the next run). systemd is told READY, a STATUS line after each poll
and WATCHDOG pings (``triage.notify``). The clocks (``clock``, ``monotonic``) and ``sleep`` are
parameters, and so is the backoff's jitter (``Backoff.delay``'s ``rand``), so tests drive a loop
turn instantly.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import FrameType

import schedule

from triage.errors import MailboxError, TriageError
from triage.mailbox import Mailbox
from triage.models import State
from triage.notify import Notifier
from triage.service import Poller, PollReport

log = logging.getLogger(__name__)

IDLE_RENEW_SECONDS = 9 * 60  # RFC 2177: servers may drop an IDLE after 30 minutes; renew early
IDLE_SLICE_SECONDS = 1.0  # how long one wait in IDLE lasts before checking for a stop request
HEARTBEAT_SECONDS = 60.0
# Before READY (the first poll), each START_EXTEND_EVERY seconds of progress asks systemd for
# twice that much more start-up time, so a long backlog is not killed by TimeoutStartSec.
START_EXTEND_EVERY = 60.0


@dataclass(frozen=True)
class Backoff:
    """Delays between reconnection attempts: doubling from ``first`` up to ``cap``, jittered."""

    first: float = 1.0
    cap: float = 300.0

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """The wait after the ``failures``-th failure in a row: between half and all of the
        exponential step ("equal jitter"), so many daemons don't all retry in step."""
        step = min(self.cap, self.first * 2.0 ** max(0, failures - 1))
        return step / 2 + rand() * step / 2


class Daemon:
    """Runs ``poller.poll`` on a connection from ``connect``, kept open between polls."""

    def __init__(
        self,
        poller: Poller,
        connect: Callable[[], Mailbox],
        clock: Callable[[], datetime],
        sleep: Callable[[float], object] | None = None,
        *,
        notifier: Notifier | None = None,
        backoff: Backoff | None = None,
        idle_renew: float = IDLE_RENEW_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.poller = poller
        self.connect = connect
        self.clock = clock
        self.stopping = threading.Event()
        self.sleep = sleep or self.stopping.wait
        self.notifier = notifier or Notifier()
        self.backoff = backoff or Backoff()
        self.idle_renew = idle_renew
        self.monotonic = monotonic
        self.failures = 0
        self._polled = False  # no poll has succeeded yet: a refused login then stops the daemon
        self._box: Mailbox | None = None
        self._retry_at = 0.0
        self._outage_started: datetime | None = None
        self._last_ping = 0.0
        self._ready = False  # READY=1 sent: start-up (the first poll) is over
        self._last_extend = monotonic()
        self._last_beat = 0.0
        self._last_report = "starting"
        self._started = clock()  # shown by `triage status` ("running since")
        self._exists: int | None = None  # messages in the folder at the last poll

    # -- one poll -------------------------------------------------------------------------------

    def poll_once(self, *, dry_run: bool = False) -> PollReport:
        """One poll on a fresh connection (``triage run --once``). Raises ``TriageError``."""
        with self.connect() as mailbox:
            report = self.poller.poll(mailbox, self.clock(), dry_run=dry_run)
        log.info("poll done: %s", report)
        if not dry_run:  # for `triage status`, as the daemon's own polls are
            now = self.clock()
            values = {"last_poll_at": now.isoformat(timespec="seconds"), "last_poll": str(report)}
            self.poller.store.set_runtime(self.poller.settings.account, values, now)
        return report

    def _open(self) -> Mailbox:
        if self._box is None:
            box = self.connect()
            self._box = box.__enter__()
        return self._box

    def _close(self) -> None:
        box, self._box = self._box, None
        if box is not None:
            box.__exit__(None, None, None)

    def _tick(self) -> None:
        """Poll on the open connection (opening it if needed); a failure starts an outage."""
        if self._box is None and self.monotonic() < self._retry_at:
            return  # still backing off
        try:
            report = self.poller.poll(
                self._open(), self.clock(), progress=self._watchdog, stopping=self.stopping.is_set
            )
        except TriageError as exc:
            self._failed(exc)
            return
        if self.failures:
            took = self.clock() - self._outage_started if self._outage_started else None
            log.info(
                "connection works again after %d failed attempt(s)%s",
                self.failures,
                f" ({int(took.total_seconds())} s)" if took else "",
            )
        self.failures = 0
        self._polled = True
        self._outage_started = None
        self._last_report = str(report)
        self._exists = report.exists
        log.info("poll done: %s", report)
        self._beat(last_poll=True)

    def _failed(self, exc: TriageError) -> None:
        self._close()
        if isinstance(exc, MailboxError) and exc.login_refused and not self._polled:
            # a wrong password at start-up is a setting, not an outage: stop (systemd restarts
            # a few times, then leaves the unit failed) rather than retry it for ever
            raise exc
        self.failures += 1
        wait = self.backoff.delay(self.failures)
        self._retry_at = self.monotonic() + wait
        self._last_report = f"failing: {exc}"
        if self.failures == 1:  # one line per outage, not one per retry
            self._outage_started = self.clock()
            log.error("poll failed, retrying with backoff (up to %ds): %s", self.backoff.cap, exc)
        else:
            log.debug("attempt %d failed, next in %.1fs: %s", self.failures, wait, exc)
        self._beat(last_poll=False)

    # -- status for systemd and `triage status` -------------------------------------------------

    def _beat(self, *, last_poll: bool, force: bool = False) -> None:
        """Record the daemon's state in the store and tell systemd; at most once a minute unless
        a poll just ended, an outage just started, or ``force``."""
        now_m = self.monotonic()
        quiet = now_m - self._last_beat < HEARTBEAT_SECONDS
        if quiet and not (last_poll or force or self.failures == 1):
            return
        self._last_beat = now_m
        store = self.poller.store
        now = self.clock().isoformat(timespec="seconds")
        values = {
            "started_at": self._started.isoformat(timespec="seconds"),
            "heartbeat_at": now,
            "healthy": "no" if self.failures else "yes",
            "last_poll": self._last_report,
        }
        if last_poll:
            values["last_poll_at"] = now
        try:
            store.set_runtime(self.poller.settings.account, values, self.clock())
            counts = store.counts()
        except TriageError as exc:
            log.warning("could not record the daemon's status: %s", exc)
            return
        pending = counts.get(State.PENDING, 0)
        self.notifier.status(
            f"last poll {now}: {self._last_report}; {pending} draft(s) waiting for approval"
        )

    def _watchdog(self) -> None:
        """Called between messages and while waiting: tell systemd the daemon is alive."""
        now_m = self.monotonic()
        if not self._ready:  # a first poll over a long backlog is start-up that progresses
            if now_m - self._last_extend >= START_EXTEND_EVERY:
                self.notifier.extend_start(2 * START_EXTEND_EVERY, "first poll: reading new mail")
                self._last_extend = now_m
            return
        every = self.notifier.watchdog_ping_every
        if every is None:
            return
        if now_m - self._last_ping >= every.total_seconds():
            self.notifier.watchdog()
            self._last_ping = now_m

    # -- waiting ----------------------------------------------------------------------------------

    def _idle(self, seconds: float) -> bool:
        """Wait in IDLE for up to ``seconds``; True when new mail was announced.

        Raises ``MailboxError`` when the connection fails (then the caller reconnects).
        """
        box = self._box
        if box is None:
            return False
        status = box.open_folder(self.poller.settings.imap_folder)
        if self._exists is not None and status.exists > self._exists:
            # Mail that lands between a poll and IDLE is never announced in IDLE (the folder's
            # status already counted it): poll again now rather than at the next scheduled poll.
            self._exists = status.exists
            return True
        box.idle_start()
        woke = False
        try:
            deadline = self.monotonic() + seconds
            while not self.stopping.is_set():
                left = deadline - self.monotonic()
                if left <= 0:
                    break
                if box.idle_wait(min(IDLE_SLICE_SECONDS, left)):
                    woke = True
                    break
                self._watchdog()
                self._beat(last_poll=False)
        finally:
            box.idle_end()
        return woke

    def _wait(self, seconds: float) -> None:
        """Sleep or IDLE until the next scheduled poll (or new mail, or a stop request)."""
        box = self._box
        try:
            idle = box is not None and box.has_capability("IDLE")
        except MailboxError as exc:
            self._failed(exc)
            return
        if idle:
            try:
                if self._idle(min(seconds, self.idle_renew)):
                    log.debug("new mail announced in IDLE")
                    self._tick()
            except MailboxError as exc:
                self._failed(exc)
            return
        if box is None and self.failures:
            seconds = min(seconds, max(0.0, self._retry_at - self.monotonic()))
        self.sleep(max(0.05, min(IDLE_SLICE_SECONDS, seconds)))
        if box is None and self.failures and self.monotonic() >= self._retry_at:
            self._tick()

    # -- the loop -------------------------------------------------------------------------------

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        if signum is not None:
            log.info("received %s, stopping", signal.Signals(signum).name)
        self.stopping.set()

    def run(self) -> None:
        """Poll now, then wait in IDLE or on the schedule, until ``stop()`` (or SIGTERM/SIGINT
        in the main thread)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        settings = self.poller.settings
        scheduler = schedule.Scheduler()
        scheduler.every(settings.poll_seconds).seconds.do(self._tick)
        log.info(
            "watching %s (poll every %ss, IDLE when offered)",
            settings.imap_folder,
            settings.poll_seconds,
        )
        self._tick()
        self.notifier.ready(f"watching {settings.imap_folder}: {self._last_report}")
        self._ready = True
        try:
            while not self.stopping.is_set():
                scheduler.run_pending()
                self._watchdog()
                if self.stopping.is_set():
                    break
                idle = scheduler.idle_seconds
                self._wait(max(0.05, idle if idle is not None else IDLE_SLICE_SECONDS))
        finally:
            self.notifier.stopping()
            self._close()
            self._last_report = "stopped"
            self._beat(last_poll=False, force=True)
        log.info("stopped")
