"""The user's availability, and choosing interview times from it. Pure: ``now`` is a parameter.

``TRIAGE_AVAILABILITY`` reads like "Mon-Fri 09:00-17:30" or "Mon,Wed 10:00-12:00; Fri 13:00-16:00"
in ``TRIAGE_TIMEZONE``; ``TRIAGE_BLACKOUT_DATES`` lists days off
("2026-12-24,2026-12-28..2027-01-01").
Busy intervals are the interviews already accepted or pending in the queue and the windows
already offered to other employers; ``TRIAGE_BUFFER_MINUTES`` keeps a gap around each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import islice
from zoneinfo import ZoneInfo

from triage.models import AskedDay, SlotTime

Interval = tuple[datetime, datetime]
_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DEFAULT_DURATION = timedelta(minutes=45)
WINDOW = timedelta(hours=3)  # the longest window proposed for one day
MIN_WINDOW = timedelta(hours=1)
THEIR_HOURS = (time(8, 0), time(18, 0))  # the sender's working day, in their zone
# The hours of the parts of a day a sender may name ("are you free Monday morning?"), local time.
DAY_PARTS = {
    "morning": (time(0, 0), time(12, 0)),
    "afternoon": (time(13, 0), time(18, 0)),
    "evening": (time(17, 0), time(23, 59)),
}


@dataclass(frozen=True)
class Availability:
    weekly: tuple[tuple[int, time, time], ...]  # (weekday 0=Monday, start, end), local times
    zone: ZoneInfo
    blackout: frozenset[date] = frozenset()


def _days(spec: str) -> list[int]:
    days: list[int] = []
    for part in spec.lower().split(","):
        ends = [p.strip()[:3] for p in part.split("-")]
        if any(e not in _DAYS for e in ends) or len(ends) > 2:
            raise ValueError(spec)
        first, last = _DAYS.index(ends[0]), _DAYS.index(ends[-1])
        days += range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
    return days


def parse_availability(spec: str) -> tuple[tuple[int, time, time], ...]:
    """ "Mon-Fri 09:00-17:30; Sat 10:00-12:00" -> weekly windows. Raises ``ValueError``."""
    weekly: list[tuple[int, time, time]] = []
    for chunk in filter(None, (c.strip() for c in spec.split(";"))):
        day_spec, _, hours = chunk.partition(" ")
        start_text, _, end_text = hours.strip().partition("-")
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        if end <= start:
            raise ValueError(chunk)
        weekly += [(day, start, end) for day in _days(day_spec)]
    if not weekly:
        raise ValueError(spec)
    return tuple(sorted(weekly))


def parse_blackout(spec: str) -> frozenset[date]:
    """ "2026-12-24,2026-12-28..2027-01-01" -> the days. Raises ``ValueError``."""
    days: set[date] = set()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        first_text, _, last_text = part.partition("..")
        first = date.fromisoformat(first_text.strip())
        last = date.fromisoformat(last_text.strip()) if last_text else first
        if last < first or (last - first).days > 366:
            raise ValueError(part)
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return frozenset(days)


def _day_windows(availability: Availability, day: date, part: str = "") -> list[Interval]:
    """The day's availability windows, within the ``part`` of the day when one is named."""
    if day in availability.blackout:
        return []
    zone = availability.zone
    first, last = DAY_PARTS.get(part, (time.min, time.max))
    windows = [
        (
            datetime.combine(day, max(start, first), zone),
            datetime.combine(day, min(end, last), zone),
        )
        for weekday, start, end in availability.weekly
        if weekday == day.weekday()
    ]
    return [(start, end) for start, end in windows if start < end]


def _clashes(start: datetime, end: datetime, busy: Iterable[Interval], buffer: timedelta) -> bool:
    return any(start < b_end + buffer and b_start - buffer < end for b_start, b_end in busy)


def fits(
    slot: SlotTime,
    availability: Availability,
    busy: Sequence[Interval],
    buffer: timedelta,
    now: datetime,
) -> bool:
    """The slot is in the future, inside one availability window, and clear of busy times."""
    end = slot.end or slot.start + DEFAULT_DURATION
    if slot.start <= now:
        return False
    local = slot.start.astimezone(availability.zone)
    inside = any(
        w_start <= slot.start and end <= w_end
        for w_start, w_end in _day_windows(availability, local.date())
    )
    return inside and not _clashes(slot.start, end, busy, buffer)


def first_fitting(
    slots: Sequence[SlotTime],
    availability: Availability,
    busy: Sequence[Interval],
    buffer: timedelta,
    now: datetime,
) -> SlotTime | None:
    """The earliest offered slot that fits, or None."""
    for slot in sorted(slots, key=lambda s: s.start):
        if fits(slot, availability, busy, buffer, now):
            return slot
    return None


def propose_windows(
    availability: Availability,
    busy: Sequence[Interval],
    buffer: timedelta,
    now: datetime,
    *,
    count: int = 3,
    days: Sequence[AskedDay] = (),
    theirs: tzinfo | None = None,
) -> tuple[Interval, ...]:
    """Up to ``count`` windows, one per day, each the first free stretch of at least an hour (at
    most three) in the day's availability, clear of busy times: on the days the sender asked
    about (``days``), in the part of the day they named, when one has such a stretch; else at
    any time of those days; else on the first days from tomorrow. Within each of those, in the
    sender's working hours (``THEIR_HOURS`` in zone ``theirs``) first."""
    tomorrow = now.astimezone(availability.zone).date() + timedelta(days=1)
    asked = sorted({d for d in days if d.day >= tomorrow}, key=lambda d: d.day)
    whole = sorted({d.day for d in asked if d.part})
    later = [tomorrow + timedelta(days=n) for n in range(28)]
    for candidates in (asked, [AskedDay(day) for day in whole], [AskedDay(day) for day in later]):
        for zone in (theirs, None) if theirs is not None else (None,):
            windows = (
                _free_window(availability, d.day, busy, buffer, part=d.part, theirs=zone)
                for d in candidates
            )
            found = tuple(islice((w for w in windows if w is not None), count))  # no day more
            if found:
                return found
    return ()


def _free_window(
    availability: Availability,
    day: date,
    busy: Sequence[Interval],
    buffer: timedelta,
    *,
    part: str = "",
    theirs: tzinfo | None = None,
) -> Interval | None:
    """The first free stretch of at least ``MIN_WINDOW`` (at most ``WINDOW``) on ``day``, in
    the ``part`` of it ("morning", "afternoon", "evening") when one is named, and in the
    sender's working hours when their zone ``theirs`` is given."""
    for w_start, w_end in _their_hours(_day_windows(availability, day, part), theirs):
        start = w_start
        for b_start, b_end in sorted(busy):
            if _clashes(start, min(start + MIN_WINDOW, w_end), [(b_start, b_end)], buffer):
                start = max(start, b_end + buffer)
        end = min(w_end, start + WINDOW)
        for b_start, _ in sorted(busy):
            if start < b_start - buffer < end:
                end = b_start - buffer
        if end - start >= MIN_WINDOW and not _clashes(start, end, busy, buffer):
            # in the user's zone: busy times from the queue carry fixed offsets ("UTC+01:00")
            return start.astimezone(availability.zone), end.astimezone(availability.zone)
    return None


def _their_hours(windows: list[Interval], theirs: tzinfo | None) -> list[Interval]:
    """The parts of ``windows`` inside the sender's working hours, or all of them."""
    if theirs is None:
        return windows
    first, last = THEIR_HOURS
    clipped = []
    for start, end in windows:
        their_day = start.astimezone(theirs).date()
        for day in (their_day - timedelta(days=1), their_day, their_day + timedelta(days=1)):
            low = max(start, datetime.combine(day, first, theirs))
            high = min(end, datetime.combine(day, last, theirs))
            if low < high:
                clipped.append((low, high))
    return clipped
