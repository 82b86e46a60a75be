"""Reminders: which waiting invitations are due one, and the digest that lists them. Pure.

An item is due when it has waited ``after`` since it was detected (or since its last reminder), or
when its reply-by date or first proposed slot is less than ``before`` away and it was not reminded
within ``after``; never during quiet hours. The digest is one message to the user's own INBOX,
delivered by IMAP APPEND, so it never leaves their server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from triage.models import WAITING, Address, QueueItem
from triage.render import Renderer

TEMPLATE = "reminder.txt.j2"


@dataclass(frozen=True)
class ReminderPolicy:
    after: timedelta  # remind after this long, and at most once per this interval
    before: timedelta  # ...or when a deadline or the first slot is this close
    quiet: tuple[time, time] | None  # local hours without reminders (may wrap midnight)
    zone: ZoneInfo


def in_quiet_hours(now: datetime, quiet: tuple[time, time] | None, zone: ZoneInfo) -> bool:
    if quiet is None:
        return False
    local = now.astimezone(zone).time()
    start, end = quiet
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def _soonest(item: QueueItem, now: datetime) -> datetime | None:
    """The earlier of the reply-by date and the first proposed slot, of those still to come
    (a slot already past says nothing about the ones ahead)."""
    found = item.extraction
    if found is None:
        return None
    moments = [slot.start for slot in found.slots]
    if found.deadline is not None:
        moments.append(found.deadline)
    return min((m for m in moments if m > now), default=None)


def due(items: Iterable[QueueItem], now: datetime, policy: ReminderPolicy) -> list[QueueItem]:
    """The waiting items a reminder should list now, oldest first."""
    if in_quiet_hours(now, policy.quiet, policy.zone):
        return []
    chosen = []
    for item in items:
        if item.state not in WAITING:
            continue
        last = item.reminded_at or item.created_at
        waited = now - last >= policy.after
        soonest = _soonest(item, now)
        urgent = soonest is not None and now < soonest <= now + policy.before
        recently = item.reminded_at is not None and now - item.reminded_at < policy.after
        if waited or (urgent and not recently):
            chosen.append(item)
    return sorted(chosen, key=lambda i: i.created_at)


def _age(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 1:
        return f"{max(1, int(delta.total_seconds() // 60))} minutes"
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return ""
    return moment.astimezone(zone).strftime("%a %d %b %H:%M %Z")


def _entry(item: QueueItem, now: datetime, zone: ZoneInfo) -> dict[str, object]:
    found = item.extraction
    first = min((s.start for s in found.slots if s.start > now), default=None) if found else None
    return {
        "id": item.id,
        "state": item.state.value,
        "company": found.company if found else "",
        "role": found.role if found else "",
        "sender": item.sender,
        "subject": item.subject,
        "age": _age(now - item.waiting_since),
        "deadline": _local(found.deadline if found else None, zone),
        "first_slot": _local(first, zone),
        "links": list(item.links[:3]),
        "draft": item.reply.body.splitlines() if item.reply else [],
        "reason": item.reason,
    }


def digest(
    items: Sequence[QueueItem],
    now: datetime,
    user: Address,
    renderer: Renderer,
    zone: ZoneInfo,
    *,
    message_id: str,
) -> EmailMessage:
    """The reminder message, from and to the user, marked as automatic, with ``message_id``
    (made by the caller: this module reads no clock and draws no random number)."""
    count = len(items)
    body = renderer.render(
        TEMPLATE, {"items": [_entry(i, now, zone) for i in items], "count": count}
    )
    msg = EmailMessage()
    msg["From"] = user.formatted()
    msg["To"] = user.formatted()
    noun = "invitation is" if count == 1 else "invitations are"
    msg["Subject"] = f"triage: {count} interview {noun} waiting for your answer"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    # Marks it as machine-made: triage skips it when it polls the INBOX, and so do auto-repliers.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Triage"] = "reminder"
    msg.set_content(body)
    return msg
