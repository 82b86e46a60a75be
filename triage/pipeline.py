"""The decision for one message: parse -> classify -> guard -> render -> ``Plan``. Pure.

Nothing here sends, stores or reads the clock: the daemon feeds in the raw bytes, a classifier, a
renderer and a fresh Message-ID for the draft, and gets back a plan. Only the user's approval turns
a plan into an effect.

Loop guards: every message is classified, but an invite gets no draft when it is an auto-reply,
a delivery report, mailing-list mail, or the user's own mail (state ``ignored``, with the reason).
An invite with no address a human reads (a no-reply sender and no usable Reply-To) is queued
without a draft (``notify``), with its links, so the user still sees it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from triage.availability import (
    Availability,
    Interval,
    clashes,
    first_fitting,
    propose_windows,
    slot_end,
)
from triage.clock import zone_at, zone_label
from triage.compose import reply_references, reply_subject
from triage.extract import extract, find_links, is_no_reply, reply_target, scheduling_links
from triage.models import (
    Action,
    Extraction,
    Label,
    Message,
    Plan,
    QueueItem,
    Reply,
    Schedule,
    SlotTime,
    Verdict,
)
from triage.parse import newest_part, parse_message
from triage.render import Renderer

if TYPE_CHECKING:  # spaCy is imported by the commands that classify, not by this module
    from triage.classify import Classifier

_AUTO_REPLY = ("auto-replied", "auto-notified")
_BULK = ("bulk", "list", "junk")
_AUTO_PRECEDENCE = "auto_reply"  # an older auto-responder's mark, before RFC 3834


@dataclass(frozen=True)
class Calendar:
    """What choosing a time needs: the moment, the user's availability, the busy intervals."""

    now: datetime
    availability: Availability
    busy: tuple[Interval, ...] = ()
    buffer: timedelta = timedelta(minutes=30)


@dataclass(frozen=True)
class Identity:
    """The mailbox owner: the addresses that are theirs, the name and sign-off for replies."""

    addresses: frozenset[str]  # lower-cased
    name: str
    signature: str


def guard(message: Message, identity: Identity) -> str | None:
    """Why no reply may be drafted for this message at all, or None when one may."""
    sender = message.sender.addr.lower() if message.sender else ""
    auto, precedence = message.auto_submitted, message.precedence
    reasons = (
        (sender in identity.addresses, "your own message"),
        (auto.startswith(_AUTO_REPLY), f"automatic reply (Auto-Submitted: {auto})"),
        (
            message.is_report or sender.split("@")[0] in ("mailer-daemon", "postmaster"),
            "delivery report",
        ),
        (bool(message.list_id), f"mailing-list mail (List-Id: {message.list_id[:80]})"),
        # RFC 2369: posted to a list (List-Unsubscribe alone is not: ATS mail carries it too).
        (bool(message.list_post), f"mailing-list mail (List-Post: {message.list_post[:80]})"),
        (precedence == _AUTO_PRECEDENCE, f"automatic reply (Precedence: {precedence})"),
        (precedence in _BULK, f"bulk mail (Precedence: {precedence})"),
    )
    return next((reason for applies, reason in reasons if applies), None)


def _own_automatic(message: Message, identity: Identity) -> bool:
    """Mail the user's own software wrote to them, such as triage's reminder digest."""
    own = message.sender is not None and message.sender.addr.lower() in identity.addresses
    return own and message.auto_submitted not in ("", "no")


def _clock(moment: datetime) -> str:
    """24-hour clock where that is the custom (zones at or east of UTC-1), else "2:30 pm"."""
    offset = moment.utcoffset() or timedelta(0)
    if offset >= timedelta(hours=-1):
        return moment.strftime("%H:%M")
    return moment.strftime("%I:%M %p").lstrip("0").lower()


def _day(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B}"


def slot_text(start: datetime) -> str:
    """ "Tuesday 24 November at 2:00 pm EST", in the slot's own zone."""
    return f"{_day(start)} at {_clock(start)} {zone_label(start)}".strip()


def local_text(start: datetime, zone: tzinfo) -> str:
    """The same moment in ``zone`` (the user's), or "" when that reads the same."""
    local = start.astimezone(zone)
    if local.utcoffset() == start.utcoffset():
        return ""
    day = "" if local.date() == start.date() else f"{_day(local)}, "
    return f"{day}{_clock(local)} {zone_label(local)}".strip()


def window_text(window: Interval, theirs: tzinfo | None = None) -> str:
    """ "Monday 7 December, 15:00–17:30 CET", and the same hours in the sender's zone when it
    is another: " (9:00 am–11:30 am EST)"."""
    start, end = window
    text = f"{_day(start)}, {_clock(start)}–{_clock(end)} {zone_label(start)}".strip()
    if theirs is None or start.astimezone(theirs).utcoffset() == start.utcoffset():
        return text
    their_start, their_end = start.astimezone(theirs), end.astimezone(theirs)
    day = "" if their_start.date() == start.date() else f"{_day(their_start)}, "
    label = zone_label(their_start)
    if label == zone_label(start):  # Dublin's IST and India's: the offset tells them apart
        label = timezone(their_start.utcoffset() or timedelta(0)).tzname(None)
    return f"{text} ({day}{_clock(their_start)}–{_clock(their_end)} {label})"


def their_zone(message: Message, found: Extraction) -> tzinfo | None:
    """The sender's zone: the offered times', else the Date's offset; None when unknown (a
    Date in UTC is often a relay's)."""
    if found.slots:
        return found.slots[0].start.tzinfo
    if message.date is None or not message.date.utcoffset():
        return None
    return zone_at(message.date) or message.date.tzinfo  # -0400 in October: New York's


def edited_schedule(item: QueueItem, body: str, now: datetime, zone: ZoneInfo) -> Schedule | None:
    """What a draft the user edited keeps busy in their calendar, or None to keep what it has.

    The new text is read against the draft it replaces, the two the same way, so only the times
    the user added or took out count: a rewording, or a time read wrong in both, changes
    nothing, and a text that names no time keeps the old ones ("that time works"); "Friday
    instead, same time?" moves the accepted slot to Friday at its hour. Times with
    no zone, or with the abbreviation of the user's own zone (its "CST" is not Chicago's), are
    in ``zone``; dates count from the start of ``now``'s day. See ``_edited_slot`` and
    ``_edited_windows``.
    """
    text = newest_part(body)
    old = _times(newest_part(item.reply.body) if item.reply else "", now, zone)
    new = _times(text, now, zone)
    chosen = item.chosen
    if chosen is not None and not {s.start for s in new} & {chosen.start, *(o.start for o in old)}:
        clock = chosen.start.astimezone(zone).strftime("%H:%M")  # "Friday instead, same time?"
        new = _times(_SAME_TIME.sub(f"at {clock}", text), now, zone)
    if not new:
        return None
    if item.chosen is not None:
        return _edited_slot(item.chosen, old, new, zone)
    return _edited_windows(item.windows, old, new, text, zone)


_SAME_TIME = re.compile(r"\b(?:at )?the same time\b|\bsame time\b", re.IGNORECASE)


def _edited_slot(
    chosen: SlotTime, old: Sequence[SlotTime], new: Sequence[SlotTime], zone: ZoneInfo
) -> Schedule | None:
    """The first time the edit added becomes the accepted slot (as long as the old one). While
    the old time is still written, other times on its day are remarks ("I'm free until 11:30 if
    we need longer"), not a new slot."""
    known = {o.start for o in old} | {chosen.start}
    still = any(s.start in known for s in new)
    day = chosen.start.astimezone(zone).date()
    added = [
        s
        for s in new
        if s.start not in known and not (still and s.start.astimezone(zone).date() == day)
    ]
    if not added:
        return None
    length = slot_end(chosen) - chosen.start
    return SlotTime(added[0].start, added[0].start + length, added[0].text), ()


def _edited_windows(
    windows: Sequence[Interval],
    old: Sequence[SlotTime],
    new: Sequence[SlotTime],
    text: str,
    zone: ZoneInfo,
) -> Schedule | None:
    """The proposed windows after an edit: each old one while the text still states it, or
    still names its day ("Tuesday 17, Wednesday 18 or Thursday 19 November, 9am to 12pm" reads
    as one time but keeps all three) and no new window overlaps it; each new one added (one
    over an old one replaces it: "Friday 4 December, 13:00-14:00" for "Friday 4 December,
    12:30-15:30"; "I could also do 14:00" that day adds one)."""

    def pair(slot: SlotTime) -> Interval:
        return slot.start, slot_end(slot)

    read_old = sorted(pair(o) for o in old)
    read_new = [pair(s) for s in new]
    # each stored window as the old text was read (both in date order), when they match up
    as_read = (
        dict(zip(sorted(windows), read_old, strict=True)) if len(read_old) == len(windows) else {}
    )
    added = [p for p in read_new if p not in read_old and p not in windows]
    # the words of the text, without the bracketed notes in the sender's zone
    flat = " ".join(re.sub(r"\([^()]*\)", " ", text).split()).lower()

    def stated(window: Interval) -> bool:
        return as_read.get(window, window) in read_new

    def named(window: Interval) -> bool:
        local = window[0].astimezone(zone)
        names = (f"{local:%A} {local.day}", f"{local.day} {local:%B}")
        return any(n.lower() in flat for n in names)

    # A window added over an old one replaces it (other hours for it), unless it is still stated.
    def replaced(window: Interval) -> bool:
        return any(start <= window[1] and window[0] <= end for start, end in added)

    kept = [w for w in windows if stated(w) or (named(w) and not replaced(w))]
    result = tuple(sorted(kept + added))
    return None if result == tuple(sorted(windows)) else (None, result)


def _times(text: str, now: datetime, zone: ZoneInfo) -> tuple[SlotTime, ...]:
    """The times the newest part of a draft of the user's states (see ``edited_schedule``)."""
    from triage.when import find_when  # noqa: PLC0415 - spaCy loads for an edit, not the CLI

    local = now.astimezone(zone)
    midnight = datetime.combine(local.date(), time(0), zone)
    found = find_when(_own_zone_unnamed(text, zone, local), midnight, zone, zones_from_text=False)
    return tuple(SlotTime(s.start, s.end, s.text) for s in found.slots)


def _own_zone_unnamed(text: str, zone: ZoneInfo, moment: datetime) -> str:
    """``text`` without the abbreviations of ``zone`` (winter's and summer's): the user's times
    in their own zone are then read in it, not in another zone of the same name."""
    names = {zone.tzname(datetime(moment.year, month, 1)) or "" for month in (1, 7)}
    for name in filter(str.isalpha, names):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?![\w+\-\u2212])", "", text)  # not "GMT+1"
    return text


# An employer's words that the interview is booked and wants the candidate's word back.
# An invitation that confirms its one time: the interview (or call) is confirmed, not an
# application or a role ("Your application is confirmed", "The role is confirmed as remote").
_CONFIRMS = re.compile(
    r"\b(?:interview|call|meeting|appointment|chat|visit)\b[^.?!\n]{0,40}?\b(?:is|are|has "
    r"been|is now) confirmed\b|\bthis (?:e-?mail|message|note) (?:is to )?confirms? your\b|"
    r"\bjust (?:to )?confirm(?:ing)? (?:your|the) (?:interview|call|meeting|appointment)\b|"
    r"\ball set for your\b|\bconfirmed for (?:your|the) (?:interview|call)\b",
    re.IGNORECASE,
)
# ... and offers no other time: "if that doesn't suit, we also have Wednesday"
_ALTERNATIVE = re.compile(
    r"\b(?:(?:also|alternatively)\b[^.?!\n]{0,40}\b(?:available|availability|free|do|offer|"
    r"slots?|times?|(?:mon|tues|wednes|thurs|fri)day|morning|afternoon)|instead|otherwise|"
    r"if you prefer|(?:doesn't|does not|won't|will not) (?:suit|work)|which (?:works|suits))\b",
    re.IGNORECASE,
)
# ... and agreed before, so it stands even outside the user's hours ("as agreed on the phone")
_AGREED = re.compile(
    r"\bas (?:agreed|discussed|arranged)\b|\bper our (?:call|conversation)\b|"
    r"\byou (?:chose|selected|booked|picked)\b",
    re.IGNORECASE,
)


# The sender says no answer is needed ("No need to reply", "no confirmation is required"); not
# "please do not reply to this email" (an address nobody reads, which ``reply_target`` handles).
_NO_REPLY_NEEDED = re.compile(
    r"\bno (?:need|reason) to (?:reply|respond|confirm)\b"
    r"|\bno (?:reply|response|answer|confirmation) (?:is )?(?:needed|necessary|required)\b"
    r"|\b(?:do not|don't|won't) need to (?:reply|respond|confirm)\b"
    r"|\bno action (?:is )?(?:needed|required)\b",
    re.IGNORECASE,
)


def _situation(
    label: Label,
    found: Extraction,
    calendar: Calendar,
    theirs: tzinfo | None,
    *,
    confirms: bool = False,
    agreed: bool = False,
) -> tuple[str, SlotTime | None, tuple[Interval, ...]]:
    """(template, accepted slot, proposed windows) for what the message asks; windows in the
    sender's working hours (zone ``theirs``) when some are free. An invitation or reschedule
    that ``confirms`` its one time ("This email confirms your interview on ...") and offers
    no other gets the confirmation's reply when that time fits, or, ``agreed`` before, when it
    clashes with nothing in the queue."""
    if label is Label.CONFIRMATION:
        return "confirmation.txt.j2", found.slots[0] if found.slots else None, ()
    a, busy, buffer, now = calendar.availability, calendar.busy, calendar.buffer, calendar.now
    kind = "reschedule" if label is Label.RESCHEDULE else "invite"
    chosen = first_fitting(found.slots, a, busy, buffer, now) if found.slots else None
    one = found.slots[0] if len(found.slots) == 1 and not found.days else None
    if confirms and one is not None and (one == chosen or (agreed and _clear(one, calendar))):
        # confirmed when it fits, or, agreed before ("As agreed on the phone, your interview
        # is confirmed for 6pm"), even outside the user's hours unless it clashes
        return "confirmation.txt.j2", one, ()
    if chosen is not None:
        return f"{kind}_slot.txt.j2", chosen, ()
    if found.scheduling_links and not found.slots:
        return f"{kind}_link.txt.j2", None, ()
    windows = propose_windows(a, busy, buffer, now, days=found.days, theirs=theirs)
    return f"{kind}_windows.txt.j2", None, windows


def _clear(slot: SlotTime, calendar: Calendar) -> bool:
    """Whether ``slot`` is ahead and clashes with nothing already spoken for (whatever the
    user's weekly hours)."""
    return slot.start > calendar.now and not clashes(
        slot.start, slot_end(slot), calendar.busy, calendar.buffer
    )


def _context(
    found: Extraction,
    identity: Identity,
    chosen: SlotTime | None,
    windows: tuple[Interval, ...],
    zone: ZoneInfo,
    *,
    theirs: tzinfo | None,
) -> dict[str, object]:
    """The whole of what a template sees: plain strings and a list of strings."""
    return {
        "greeting_name": found.greeting_name,
        "company": found.company,
        "role": found.role,
        "slot": slot_text(chosen.start) if chosen else "",
        "slot_local": local_text(chosen.start, zone) if chosen else "",
        "windows": [window_text(w, theirs) for w in windows],
        "offered_count": len(found.slots),
        "scheduling_link": found.scheduling_links[0] if found.scheduling_links else "",
        "user_name": identity.name,
        "signature": identity.signature or identity.name,
    }


def _unanswerable(message: Message) -> str:
    """Why a reply has nowhere to go, naming the sender."""
    if message.sender is None:
        return "no sender"
    why = "no-reply sender" if is_no_reply(message.sender) else "unusable address"
    return f"{why}: {message.sender.addr}"


def plan_message(
    message: Message,
    verdict: Verdict,
    identity: Identity,
    renderer: Renderer,
    *,
    reply_message_id: str,
    calendar: Calendar,
) -> Plan:
    """Decide what to do with one classified message. Raises ``RenderError`` on a bad template."""
    if not verdict.is_invite or _own_automatic(message, identity):  # e.g. triage's own digest
        return Plan(Action.SKIP, verdict)
    found = extract(message, calendar.now, identity.addresses, calendar.availability.zone)
    links = find_links(message)
    booking = scheduling_links(links)
    shown = booking or links[:5]
    reason = guard(message, identity)
    if reason is not None:
        return Plan(Action.IGNORE, verdict, reason=reason, links=shown, extraction=found)
    target = reply_target(message, identity.addresses)
    if not target:
        reason = f"no address a person reads ({_unanswerable(message)}); act on the links"
        return Plan(Action.NOTIFY, verdict, links=shown, extraction=found, reason=reason)
    waived = _NO_REPLY_NEEDED.search(message.text)
    if waived is not None:  # "no need to reply": the time stands; the user needs only to know
        reason = f"the sender needs no answer ({waived[0]!r}); nothing to draft"
        return Plan(Action.NOTIFY, verdict, links=shown, extraction=found, reason=reason)
    theirs = their_zone(message, found)
    text = message.text
    confirms = _CONFIRMS.search(text) is not None and not _ALTERNATIVE.search(text)
    agreed = confirms and _AGREED.search(text) is not None
    template, chosen, windows = _situation(
        verdict.label, found, calendar, theirs, confirms=confirms, agreed=agreed
    )
    zone = calendar.availability.zone
    body = renderer.render(
        template, _context(found, identity, chosen, windows, zone, theirs=theirs)
    )
    reply = Reply(
        to=", ".join(a.formatted() for a in target),
        subject=reply_subject(message.subject),
        in_reply_to=message.message_id,
        references=reply_references(message),
        body=body,
        message_id=reply_message_id,
    )
    return Plan(
        Action.DRAFT,
        verdict,
        reply=reply,
        links=booking,
        extraction=found,
        chosen=chosen,
        windows=windows,
    )


def decide(
    raw: bytes,
    classifier: Classifier,
    identity: Identity,
    renderer: Renderer,
    *,
    reply_message_id: str,
    calendar: Calendar,
    known_thread: Callable[[Sequence[str]], bool] = lambda _ids: False,
) -> tuple[Message, Plan]:
    """Parse, classify and plan one raw message. ``known_thread`` answers whether a thread (its
    Message-IDs) holds an interview detected before; the store answers it in the daemon, and only
    for the few messages whose verdict depends on it."""
    message = parse_message(raw)
    thread = (*message.references, *message.in_reply_to)
    verdict = classifier.classify(
        message, known_thread=lambda: bool(thread) and known_thread(thread)
    )
    return message, plan_message(
        message, verdict, identity, renderer, reply_message_id=reply_message_id, calendar=calendar
    )
