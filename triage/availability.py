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

from triage.clock import WEEKDAY_STEMS
from triage.models import AskedDay, SlotTime

Interval = tuple[datetime, datetime]
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
        if any(e not in WEEKDAY_STEMS for e in ends) or len(ends) > 2:
            raise ValueError(spec)
        first, last = WEEKDAY_STEMS.index(ends[0]), WEEKDAY_STEMS.index(ends[-1])
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


def _day_windows(availability: Availability, day: date) -> list[Interval]:
    """The day's availability windows."""
    if day in availability.blackout:
        return []
    zone = availability.zone
    return [
        (datetime.combine(day, start, zone), datetime.combine(day, end, zone))
        for weekday, start, end in availability.weekly
        if weekday == day.weekday()
    ]


def clashes(start: datetime, end: datetime, busy: Iterable[Interval], buffer: timedelta) -> bool:
    """Whether ``start``-``end`` comes within ``buffer`` of a busy time."""
    return any(start < b_end + buffer and b_start - buffer < end for b_start, b_end in busy)


def slot_end(slot: SlotTime) -> datetime:
    """A slot's end: as stated, else ``DEFAULT_DURATION`` after its start."""
    return slot.end or slot.start + DEFAULT_DURATION


def held(chosen: SlotTime | None, windows: Iterable[Interval]) -> list[Interval]:
    """The times an item keeps busy: the slot its draft accepts and the windows it proposes."""
    return [*([(chosen.start, slot_end(chosen))] if chosen is not None else []), *windows]


def fits(
    slot: SlotTime,
    availability: Availability,
    busy: Sequence[Interval],
    buffer: timedelta,
    now: datetime,
) -> bool:
    """The slot is in the future, inside one availability window, and clear of busy times."""
    end = slot_end(slot)
    if slot.start <= now:
        return False
    local = slot.start.astimezone(availability.zone)
    inside = any(
        w_start <= slot.start and end <= w_end
        for w_start, w_end in _day_windows(availability, local.date())
    )
    return inside and not clashes(slot.start, end, busy, buffer)


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
                _free_window(
                    availability, d.day, busy, buffer, part=d.part, asker=theirs, theirs=zone
                )
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
    asker: tzinfo | None = None,
    theirs: tzinfo | None = None,
) -> Interval | None:
    """The first free stretch of at least ``MIN_WINDOW`` (at most ``WINDOW``) on ``day``, in
    the ``part`` of it ("morning", "afternoon", "evening") when one is named (in the zone of
    the ``asker``, else the user's), and in the sender's working hours when their zone
    ``theirs`` is given."""
    windows = _day_windows(availability, day)
    if part in DAY_PARTS:  # the asker's morning, afternoon or evening
        windows = _within(windows, DAY_PARTS[part], asker or availability.zone)
    if theirs is not None:
        windows = _within(windows, THEIR_HOURS, theirs)
    for w_start, w_end in windows:
        start = w_start
        for b_start, b_end in sorted(busy):
            if clashes(start, min(start + MIN_WINDOW, w_end), [(b_start, b_end)], buffer):
                start = max(start, b_end + buffer)
        end = min(w_end, start + WINDOW)
        for b_start, _ in sorted(busy):
            if start < b_start - buffer < end:
                end = b_start - buffer
        if end - start >= MIN_WINDOW and not clashes(start, end, busy, buffer):
            # in the user's zone: busy times from the queue carry fixed offsets ("UTC+01:00")
            return start.astimezone(availability.zone), end.astimezone(availability.zone)
    return None


def _within(windows: list[Interval], hours: tuple[time, time], zone: tzinfo) -> list[Interval]:
    """The parts of ``windows`` inside ``hours`` of the day in ``zone``."""
    first, last = hours
    clipped = []
    for start, end in windows:
        local_day = start.astimezone(zone).date()
        for day in (local_day - timedelta(days=1), local_day, local_day + timedelta(days=1)):
            low = max(start, datetime.combine(day, first, zone))
            high = min(end, datetime.combine(day, last, zone))
            if low < high:
                clipped.append((low, high))
    return clipped
