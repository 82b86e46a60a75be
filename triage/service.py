"""Use cases that join the pure pipeline to the adapters: poll a folder once, approve, reject
and edit a queue item. Time comes in as ``now``; connections come in through factories so tests
can hand in real servers or small fakes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.utils import make_msgid
from typing import TYPE_CHECKING

from triage.availability import held
from triage.compose import build_email
from triage.config import Settings
from triage.errors import MailboxError, OutboxError, QueueError
from triage.lock import holder
from triage.mailbox import Fetched, FolderStatus, Mailbox
from triage.models import (
    WAITING,
    Action,
    DaemonStatus,
    Envelope,
    Message,
    Noted,
    Origin,
    Plan,
    Planned,
    QueueItem,
    Reply,
    State,
)
from triage.outbox import Outbox
from triage.pipeline import Calendar, Identity, decide, edited_schedule
from triage.render import Renderer
from triage.store import MAX_ATTEMPTS, Store
from triage.sync import Syncer, file_sent, remove_draft

if TYPE_CHECKING:  # spaCy is imported by the commands that classify, not by this module
    from triage.classify import Classifier

log = logging.getLogger(__name__)


def identity_of(settings: Settings) -> Identity:
    """The user's own addresses (From and the IMAP login, if it is an address) and name."""
    addresses = {settings.imap.user.lower()} if "@" in settings.imap.user else set()
    name = ""
    if settings.from_address is not None:
        addresses.add(settings.from_address.addr.lower())
        name = settings.from_address.name
    return Identity(frozenset(addresses), name, settings.signature or name)


@dataclass
class PollReport:
    """What one poll did, by outcome."""

    uidvalidity: int = 0
    exists: int = 0  # messages in the folder when the poll opened it
    counts: dict[str, int] = field(default_factory=dict)
    stopped: bool = False  # a stop request ended the poll before all new mail was handled
    planned: list[Planned] = field(default_factory=list)  # a dry run's drafts and action items
    noted: list[Noted] = field(default_factory=list)  # and the rest a real run records or skips
    # A dry run's Message-IDs (or fingerprints) a real run would have queued by now, with UIDs.
    planned_ids: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def __str__(self) -> str:
        return ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items())) or "no new mail"


@dataclass(frozen=True)
class Poller:
    """Everything a poll needs, built once at start-up."""

    settings: Settings
    store: Store
    classifier: Classifier
    renderer: Renderer

    def poll(
        self,
        mailbox: Mailbox,
        now: datetime,
        *,
        dry_run: bool = False,
        progress: Callable[[], object] = lambda: None,
        stopping: Callable[[], bool] = lambda: False,
    ) -> PollReport:
        """Handle every message that arrived since the checkpoint (or in the lookback window).

        ``progress`` is called after each message (the daemon pings systemd's watchdog from it,
        so a long first run over a big backlog is not taken for a hang). When ``stopping()``
        turns true (SIGTERM), the poll ends after the message in hand; the rest wait for the
        next run, where the checkpoint left off.

        Each message's outcome is committed together with the checkpoint moving past it. A
        message that can't be handled is quarantined with the reason; the poll goes on.
        """
        settings = self.settings
        status = mailbox.open_folder(settings.imap_folder)  # EXAMINE: nothing can become \Seen
        report = PollReport(uidvalidity=status.uidvalidity, exists=status.exists)
        identity = identity_of(settings)
        calendar = self._calendar(now)
        for fetched in mailbox.fetch(self._uids_to_read(mailbox, status, now, dry_run)):
            origin = Origin(settings.account, settings.imap_folder, status.uidvalidity, fetched.uid)
            if dry_run:
                outcome = self._preview(fetched, origin, identity, calendar, report)
            else:
                outcome = self._handle(fetched, origin, identity, calendar)
            report.add(outcome)
            progress()
            if outcome == Action.DRAFT.value:  # only a new draft can take up more time
                calendar = self._calendar(now, report.planned)
            if stopping():
                report.stopped = True
                log.info("stopping: the rest of the new mail waits for the next run")
                break
        if not dry_run:
            syncer = Syncer(settings, self.store, self.renderer)
            if report.stopped:  # flag what is queued; the rest waits for the next run
                syncer.flag(mailbox)
            else:
                syncer.after_poll(mailbox, now)
        return report

    def _uids_to_read(
        self, mailbox: Mailbox, status: FolderStatus, now: datetime, dry_run: bool
    ) -> list[int]:
        """The UIDs after the checkpoint; without one (or when UIDVALIDITY changed), those of
        the lookback window. An empty window moves the checkpoint to the folder's end."""
        settings = self.settings
        folder = settings.imap_folder
        checkpoint = self.store.checkpoint(settings.account, folder)
        if checkpoint is not None and checkpoint[0] == status.uidvalidity:
            return mailbox.uids_after(checkpoint[1])
        if checkpoint is not None:
            log.warning(
                "%s: UIDVALIDITY changed (%s -> %s); rescanning the last %d days, "
                "Message-IDs keep drafts from repeating",
                folder,
                checkpoint[0],
                status.uidvalidity,
                settings.lookback_days,
            )
        uids = mailbox.uids_since((now - timedelta(days=settings.lookback_days)).date())
        if not uids and status.uidnext and not dry_run:
            self.store.advance(
                Origin(settings.account, folder, status.uidvalidity, status.uidnext - 1), now
            )
        return uids

    def _calendar(self, now: datetime, planned: Sequence[Planned] = ()) -> Calendar:
        """The user's availability and the times the queue already holds, as of ``now``, and
        those a dry run's ``planned`` drafts would hold (so it proposes what a real run would)."""
        settings = self.settings
        drafted = (span for p in planned for span in held(p.plan.chosen, p.plan.windows))
        busy = self.store.busy() + tuple(drafted)
        return Calendar(now, settings.availability, tuple(sorted(busy)), settings.buffer)

    def _decide(
        self, fetched: Fetched, identity: Identity, calendar: Calendar
    ) -> tuple[Message, Plan] | str:
        """The message and the pipeline's plan for it or, when that fails, the reason (logged
        with the traceback): the message is quarantined."""
        try:
            return decide(
                fetched.raw,
                self.classifier,
                identity,
                self.renderer,
                reply_message_id=make_msgid(domain=identity_domain(identity)),
                calendar=calendar,
                known_thread=self.store.knows_thread,
            )
        except Exception as exc:
            reason = f"{exc.__class__.__name__}: {exc}"[:500]
            log.exception("uid=%d could not be handled; quarantined: %s", fetched.uid, reason)
            return reason

    def _handle(
        self, fetched: Fetched, origin: Origin, identity: Identity, calendar: Calendar
    ) -> str:
        """Decide one message and record the outcome; return its name (an ``Action`` value,
        "duplicate" or "quarantined")."""
        now = calendar.now
        attempts = self.store.begin_attempt(origin, now)
        if attempts > MAX_ATTEMPTS:  # it stopped the program each time it was read
            self.store.quarantine(origin, _NO_ENVELOPE, _interrupted(origin, attempts), now)
            return "quarantined"
        decided = self._decide(fetched, identity, calendar)
        if isinstance(decided, str):
            self.store.quarantine(origin, _NO_ENVELOPE, decided, now)
            return "quarantined"
        message, plan = decided
        sender = message.sender.formatted() if message.sender else ""
        envelope = Envelope(
            message.message_id,
            sender,
            message.subject,
            message.date,
            message.text,
            fingerprint=fingerprint(message),
        )
        item_id = self.store.record(origin, envelope, plan, now)
        duplicate = plan.action is not Action.SKIP and item_id is None
        outcome = "duplicate" if duplicate else plan.action.value
        _log_outcome(fetched, message, plan, outcome, item_id)
        return outcome

    def _preview(
        self,
        fetched: Fetched,
        origin: Origin,
        identity: Identity,
        calendar: Calendar,
        report: PollReport,
    ) -> str:
        """A dry run's ``_handle``: decide one message as a real run would, recording nothing.
        A draft or action item goes to ``report.planned``; a duplicate (of the queue or of an
        earlier message of the poll) or an item a real run records as ignored or quarantined to
        ``report.noted``. Returns the outcome's name, as ``_handle`` does."""
        attempts = self.store.attempts(origin) + 1  # what begin_attempt would count
        decided = (
            _interrupted(origin, attempts)
            if attempts > MAX_ATTEMPTS
            else self._decide(fetched, identity, calendar)
        )
        if isinstance(decided, str):
            report.noted.append(Noted(fetched.uid, "quarantined", decided))
            return "quarantined"
        message, plan = decided
        sender = message.sender.formatted() if message.sender else ""
        key = message.message_id or fingerprint(message)  # what a real run finds it again by
        duplicate = plan.action is not Action.SKIP and self._duplicate(origin, message, key, report)
        if duplicate:
            report.noted.append(Noted(fetched.uid, "duplicate", duplicate, sender, message.subject))
        elif plan.action in (Action.DRAFT, Action.NOTIFY):
            report.planned.append(Planned(fetched.uid, sender, message.subject, plan))
        elif plan.action is Action.IGNORE:
            report.noted.append(Noted(fetched.uid, "ignore", plan.reason, sender, message.subject))
        if plan.action is not Action.SKIP and key and not duplicate:
            report.planned_ids[key] = fetched.uid  # queued by now in a real run
        outcome = "duplicate" if duplicate else plan.action.value
        _log_outcome(fetched, message, plan, outcome, None)
        return outcome

    def _duplicate(
        self, origin: Origin, message: Message, key: str | None, report: PollReport
    ) -> str:
        """Why a real run would find the message a duplicate ("" if it would not): an item
        from the same place or with its ``key`` (its Message-ID, else its fingerprint) is
        queued, or an earlier message of this poll has it."""
        digest = None if message.message_id else key
        item_id = self.store.queued_as(origin, message.message_id, digest)
        if item_id is not None:
            return f"queued already as item {item_id}"
        earlier = report.planned_ids.get(key or "")
        if earlier is not None:
            same = "Message-ID" if message.message_id else "sender, Date, subject and text"
            return f"the same {same} as uid {earlier}, earlier in this poll"
        return ""


_NO_ENVELOPE = Envelope(None, "", "")  # a message that could not be read


def fingerprint(message: Message) -> str | None:
    """For mail without a Message-ID, what finds it again once its UID has changed: a digest
    of its sender, Date, subject and newest text; None for mail with one (the ID does), or
    with no Date (then a templated resend would look the same)."""
    if message.message_id or message.date is None:  # without a Date, a resend is the same
        return None
    sender = message.sender.formatted() if message.sender else ""
    parts = (
        sender,
        message.date.isoformat() if message.date else "",
        message.subject,
        message.text,
    )
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "replace")).hexdigest()


def _interrupted(origin: Origin, attempts: int) -> str:
    """Why a message whose handling never finished in ``attempts - 1`` tries (one that crashes
    the parser or the process) is quarantined, so the loop is not stuck on it (logged)."""
    reason = (
        f"handling this message was interrupted {attempts - 1} times "
        "(the program stopped while reading it); skipped"
    )
    log.error("uid=%d quarantined: %s", origin.uid, reason)
    return reason


def _log_outcome(
    fetched: Fetched, message: Message, plan: Plan, outcome: str, item_id: int | None
) -> None:
    """One line per message: its verdict, what became of it, and anything odd about reading it."""
    log.info(
        "uid=%d label=%s score=%.2f -> %s%s%s%s%s",
        fetched.uid,
        plan.verdict.label.value,
        plan.verdict.score,
        outcome,
        f" item={item_id}" if item_id else "",
        f" ({plan.reason})" if plan.reason else "",
        " [truncated]" if fetched.truncated else "",
        f" [read with {len(message.defects)} defect(s): {message.defects[0][:120]}]"
        if message.defects
        else "",
    )


def identity_domain(identity: Identity) -> str:
    """The domain for Message-IDs of drafts: the user's own, so threads stay recognisable."""
    for address in sorted(identity.addresses):
        return address.rsplit("@", 1)[1]
    return "triage.invalid"


def approve(  # noqa: PLR0917 - the use case's collaborators, each passed in for tests
    item_id: int,
    settings: Settings,
    store: Store,
    outbox: Outbox,
    mailbox: Callable[[], Mailbox],
    now: datetime,
    *,
    retry: bool = False,
    shown: Reply | None = None,
) -> QueueItem:
    """Send an item's draft now: the only path by which triage ever sends mail.

    The item goes pending -> approved -> sending -> sent (or failed, with the server's answer);
    an item left approved (the process stopped between the two) is taken on from there.
    ``sending`` is recorded before the SMTP transaction, so a crash can't lead to a blind resend.
    Then a copy goes to the Sent folder and the original is flagged ``\\Answered``; a failure there
    is noted in the item's history, as the reply has already gone. ``shown``: the draft as the
    user saw it when they approved; if it has changed since (edited in another terminal or in
    the mail client), nothing is sent. Raises ``QueueError`` or ``OutboxError``.
    """
    item = store.get(item_id)
    if item.reply is None:
        raise QueueError(
            f"item {item_id} has no draft to send ({item.state.value}"
            + (f": {item.reason}" if item.reason else "")
            + ")"
        )
    if shown is not None and item.reply != shown:
        raise QueueError(f"item {item_id}'s draft changed since it was shown; nothing was sent")
    if item.state is State.FAILED and not retry:
        check = "" if item.reason.startswith("not sent:") else "check your Sent folder, then "
        raise QueueError(
            f"item {item_id} failed before ({item.reason}); {check}use "
            f"'triage queue approve --retry {item_id}' to try again"
        )
    if settings.from_address is None:
        raise QueueError("TRIAGE_FROM is not set: replies need a From address")
    email = build_email(item.reply, settings.from_address, now)  # before any state changes
    if item.state is not State.APPROVED:  # else an approval stopped before its send began
        store.transition(item_id, State.APPROVED, now, if_reply=item.reply)  # the draft as read
    store.transition_durably(item_id, State.SENDING, now)
    try:
        refused = outbox.send(email)
    except OutboxError as exc:
        reason = f"not sent: {exc}" if exc.not_sent else str(exc)
        _fail_sending(store, item_id, now, reason)
        next_step = _what_next(item_id, not_sent=exc.not_sent)
        raise OutboxError(f"{exc}\n{next_step}", not_sent=exc.not_sent) from exc
    except KeyboardInterrupt as interrupt:  # Ctrl-C mid-send: say so, rather than stay "sending"
        _fail_sending(store, item_id, now, "interrupted (Ctrl-C) during the SMTP exchange")
        interrupt.add_note(f"Interrupted. {_what_next(item_id, not_sent=False)}")
        raise
    notes = [f"refused by the server for {', '.join(refused)}"] if refused else []
    if store.get(item_id).state is State.FAILED:  # a daemon took the slow send for a crash
        notes.append("the send went through after it had been taken for interrupted")
    store.transition(item_id, State.SENT, now, reason="", note="; ".join(notes))
    _file_copy(item, email.as_bytes(policy=policy.SMTP), settings, store, mailbox=mailbox, now=now)
    return store.get(item_id)


def _fail_sending(store: Store, item_id: int, now: datetime, reason: str) -> None:
    if store.get(item_id).state is State.SENDING:  # not already taken for interrupted
        store.transition(item_id, State.FAILED, now, reason=reason)


def _what_next(item_id: int, *, not_sent: bool) -> str:
    """What to do about item ``item_id`` after a failed or interrupted send."""
    retry = f"'triage queue approve --retry {item_id}'"
    if not_sent:
        return f"Item {item_id} was not sent and is marked failed; once that is fixed: {retry}."
    return (
        f"Item {item_id} is marked failed: it may or may not have gone out. Check your Sent "
        f"folder (and the recipient's answer) before {retry}."
    )


def _file_copy(
    item: QueueItem,
    raw: bytes,
    settings: Settings,
    store: Store,
    *,
    mailbox: Callable[[], Mailbox],
    now: datetime,
) -> None:
    try:
        with mailbox() as box:
            file_sent(box, store, settings, item, raw=raw, now=now)
    except MailboxError as exc:
        log.warning("item %d was sent, but filing it failed: %s", item.id, exc)
        store.note(
            item.id,
            f"sent, but filing the copy failed: {exc} (the next poll files it and removes "
            "the draft)",
            now,
        )


def reject(
    item_id: int,
    store: Store,
    now: datetime,
    *,
    mailbox: Callable[[], Mailbox] | None = None,
) -> QueueItem:
    """Decline a draft (``rejected``), or dismiss an action item (``dismissed``: the user acted
    on its links); nothing is sent. The draft's copy in the Drafts folder is removed when
    ``mailbox`` is given (a failure there is noted, not raised)."""
    action = store.get(item_id).state is State.ACTION
    item = store.transition(item_id, State.DISMISSED if action else State.REJECTED, now)
    _with_mailbox(mailbox, item, store, now, lambda box: _remove(box, store, item, now))
    return store.get(item_id)


def edit(
    item_id: int,
    body: str,
    settings: Settings,
    store: Store,
    now: datetime,
    *,
    mailbox: Callable[[], Mailbox] | None = None,
) -> QueueItem:
    """Replace a pending draft's body (and its copy in Drafts, when ``mailbox`` is given).

    Raises ``QueueError`` for an empty body.
    """
    if not body.strip():
        raise QueueError(f"the edited draft of item {item_id} is empty; nothing was changed")
    schedule = edited_schedule(store.get(item_id), body, now, settings.timezone)
    item = store.set_reply_body(item_id, body.rstrip() + "\n", now, schedule=schedule)
    syncer = Syncer(settings, store, Renderer(settings.template_dir))
    _with_mailbox(mailbox, item, store, now, lambda box: syncer.replace_draft(box, item, now))
    return store.get(item_id)


def _remove(box: Mailbox, store: Store, item: QueueItem, now: datetime) -> None:
    remove_draft(box, store, item, now, why="rejected")


def _with_mailbox(
    mailbox: Callable[[], Mailbox] | None,
    item: QueueItem,
    store: Store,
    now: datetime,
    work: Callable[[Mailbox], None],
) -> None:
    if mailbox is None or item.draft is None:
        return
    try:
        with mailbox() as box:
            work(box)
    except MailboxError as exc:
        log.warning("item %d: could not update the Drafts folder: %s", item.id, exc)
        store.note(item.id, f"could not update the Drafts folder: {exc}", now)


def daemon_status(settings: Settings, store: Store) -> DaemonStatus:
    """What the daemon on this database last recorded, and whether it runs now."""
    values = store.runtime(settings.account)
    pid = holder(settings.db_path)

    def moment(key: str) -> datetime | None:
        text = values.get(key)
        return datetime.fromisoformat(text) if text else None

    return DaemonStatus(
        pid=pid,
        started_at=moment("started_at") if pid is not None else None,
        heartbeat_at=moment("heartbeat_at"),
        last_poll_at=moment("last_poll_at"),
        last_poll=values.get("last_poll", ""),
        healthy=pid is not None and values.get("healthy") == "yes",
    )


def oldest_waiting(store: Store) -> QueueItem | None:
    """The invitation that has waited longest for the user (pending or needing action): the
    one received first (``QueueItem.waiting_since``), whatever order triage queued them in."""
    items = store.items(WAITING, oldest_first=True)
    return items[0] if items else None
