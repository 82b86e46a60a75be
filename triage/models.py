"""Typed, immutable values shared by every layer.

Nothing here does I/O. ``Message`` is what parsing produces, ``Verdict`` what classification
produces, ``Plan`` what the pipeline decides for one message, and ``QueueItem`` what the store
keeps. Header-derived strings in these values are already sanitised: no CR, LF or NUL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from email.headerregistry import Address as HeaderAddress
from enum import StrEnum


class Label(StrEnum):
    """What a message is, from the point of view of the job seeker reading it."""

    INVITE = "invite"
    RESCHEDULE = "reschedule"
    CONFIRMATION = "confirmation"
    ASSESSMENT = "assessment"
    APPLICATION_ACK = "application_ack"
    REJECTION = "rejection"
    OFFER = "offer"
    OUTREACH = "outreach"
    ALERT = "alert"
    OTHER = "other"


class State(StrEnum):
    """Where a queue item is. Only the transitions in ``store.TRANSITIONS`` are allowed."""

    PENDING = "pending"  # a draft waits for the user's approval
    ACTION = "action"  # an invite with no address a human reads: the user must act (e.g. a link)
    IGNORED = "ignored"  # looked like an invite but a loop guard applies; ``reason`` says which
    APPROVED = "approved"
    SENDING = "sending"  # the SMTP transaction has started; never retried blindly
    SENT = "sent"
    FAILED = "failed"  # the send failed; ``reason`` says why
    REJECTED = "rejected"  # the user declined the draft (or dismissed an action item)
    SENT_BY_USER = "sent_by_user"  # the user sent the reply from their own mail client
    DISMISSED = "dismissed"  # the user deleted the draft from their Drafts folder
    QUARANTINED = "quarantined"  # the message could not be handled; ``reason`` says why


# States that wait for the user: a draft to approve, an action to take, a failed send to retry.
WAITING = (State.PENDING, State.ACTION, State.FAILED)


class Action(StrEnum):
    """What the pipeline decided to do with one message."""

    DRAFT = "draft"  # queue a reply for approval
    NOTIFY = "notify"  # queue an item without a draft: nobody reads replies to the sender
    IGNORE = "ignore"  # an invite behind a loop guard: recorded with the reason, no draft
    SKIP = "skip"  # not an invitation: nothing to queue


@dataclass(frozen=True)
class Address:
    """One mailbox: display name (may be empty) and addr-spec."""

    name: str
    addr: str

    def formatted(self) -> str:
        """The address as a readable header value: the name in Unicode, quoted where needed.

        The email package encodes it (RFC 2047) when a message is serialised.
        """
        if not self.name:
            return self.addr
        local, _, domain = self.addr.rpartition("@")
        return str(HeaderAddress(display_name=self.name, username=local, domain=domain))

    def __str__(self) -> str:
        return self.formatted()


@dataclass(frozen=True)
class Message:
    """A parsed email: the parts triage looks at, decoded and sanitised."""

    message_id: str | None
    subject: str
    sender: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    date: datetime | None
    references: tuple[str, ...]
    in_reply_to: tuple[str, ...]
    text: str  # the newest part: quoted history and signature removed
    full_text: str  # everything readable, for display
    links: tuple[str, ...] = ()  # link targets of the HTML part (hidden behind "click here")
    auto_submitted: str = ""  # lower-cased Auto-Submitted value, "" when absent
    list_id: str = ""
    list_post: str = ""  # RFC 2369: where posts to the list go (a list's own header)
    precedence: str = ""
    is_report: bool = False  # a delivery or read report (multipart/report)
    defects: tuple[str, ...] = ()  # what the parser had to work around


@dataclass(frozen=True)
class Envelope:
    """What the queue keeps of the original: enough to show it and to find it again."""

    message_id: str | None
    sender: str
    subject: str
    date: datetime | None = None  # the original's Date header
    text: str = ""  # the newest part of its text, as classified (``Message.text``)
    # For mail without a Message-ID: a digest of its sender, Date, subject and text, which
    # finds it again as a duplicate after the folder's UIDs change (UIDVALIDITY)
    fingerprint: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The classifier's answer for one message, with the evidence that decided it."""

    label: Label
    score: float  # confidence that the message invites the reader (0..1)
    is_invite: bool
    evidence: tuple[str, ...] = ()  # matched phrases and rules, human readable


@dataclass(frozen=True)
class SlotTime:
    """A proposed interview time: timezone-aware start, end when stated, and the words used."""

    start: datetime
    end: datetime | None
    text: str = ""


@dataclass(frozen=True)
class AskedDay:
    """A day the sender asks the reader about without naming a time ("are you free Monday?"),
    with the part of it they name: "morning", "afternoon", "evening", or "" for the whole day."""

    day: date
    part: str = ""

    def __str__(self) -> str:
        return f"{self.day:%a %Y-%m-%d}" + (f" {self.part}" if self.part else "")


@dataclass(frozen=True)
class Extraction:
    """What an invitation says: who, what, when, where. Empty strings and tuples when absent."""

    greeting_name: str = ""
    company: str = ""
    role: str = ""
    format: str = ""  # phone | video | onsite | panel | technical | ""
    duration_minutes: int | None = None
    slots: tuple[SlotTime, ...] = ()
    deadline: datetime | None = None
    scheduling_links: tuple[str, ...] = ()
    meeting_links: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    address: str = ""
    days: tuple[AskedDay, ...] = ()  # asked about with no time ("are you free Monday morning?")


@dataclass(frozen=True)
class Reply:
    """A drafted reply: everything needed to build the outgoing message except the Date."""

    to: str  # header value, possibly several addresses
    subject: str
    in_reply_to: str | None
    references: tuple[str, ...]
    body: str
    message_id: str  # fixed when drafted, so a send can be found again in Sent


# The times an item keeps busy in the user's calendar: the slot its draft accepts, and the
# windows it proposes (start, end).
Schedule = tuple[SlotTime | None, tuple[tuple[datetime, datetime], ...]]


@dataclass(frozen=True)
class Plan:
    """The pipeline's decision for one message; only approval turns a plan into an effect."""

    action: Action
    verdict: Verdict
    reason: str = ""  # why there is no draft, for NOTIFY and IGNORE
    reply: Reply | None = None
    links: tuple[str, ...] = ()
    extraction: Extraction | None = None
    chosen: SlotTime | None = None  # the offered slot the draft accepts
    windows: tuple[tuple[datetime, datetime], ...] = ()  # the windows the draft proposes


@dataclass(frozen=True)
class Planned:
    """What a dry run would queue for one message: the original's UID, sender and subject, and
    the plan (a draft, or an action item with links)."""

    uid: int
    sender: str
    subject: str
    plan: Plan


@dataclass(frozen=True)
class Noted:
    """A message a dry run would queue no draft or action item for: ``outcome`` is "duplicate"
    (its Message-ID is queued already, or comes earlier in the poll: a real run passes over
    it), "ignore" or "quarantined" (a real run records an item in that state); ``reason`` why."""

    uid: int
    outcome: str
    reason: str
    sender: str = ""
    subject: str = ""


@dataclass(frozen=True)
class Origin:
    """Where a message lives on the server."""

    account: str
    folder: str
    uidvalidity: int
    uid: int


@dataclass(frozen=True)
class QueueItem:
    """One row of the queue, as stored."""

    id: int
    origin: Origin
    message_id: str | None
    state: State
    label: Label
    score: float
    sender: str
    subject: str
    reason: str
    reply: Reply | None
    evidence: tuple[str, ...]
    links: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    history: tuple[tuple[datetime, str], ...] = field(default=())
    extraction: Extraction | None = None
    chosen: SlotTime | None = None
    windows: tuple[tuple[datetime, datetime], ...] = ()
    draft: Location | None = None  # the copy of the draft in the Drafts folder, if any
    reminded_at: datetime | None = None
    date: datetime | None = None  # the original's Date header, as the sender wrote it
    text: str = ""  # the newest part of the original's text (at most ``store.ORIGINAL_TEXT_CHARS``)

    @property
    def waiting_since(self) -> datetime:
        """When the sender wrote: the Date header, unless it is missing or later than the
        moment triage queued the item (a wrong clock), then that moment."""
        if self.date is None or self.date > self.created_at:
            return self.created_at
        return self.date


@dataclass(frozen=True)
class Location:
    """One message on the server, by folder, UIDVALIDITY and UID."""

    folder: str
    uidvalidity: int
    uid: int


@dataclass(frozen=True)
class DaemonStatus:
    """What the daemon last reported about itself (``triage status`` reads it)."""

    pid: int | None
    started_at: datetime | None
    heartbeat_at: datetime | None
    last_poll_at: datetime | None
    last_poll: str  # what the last poll did, or why it failed
    healthy: bool  # False while an outage lasts
