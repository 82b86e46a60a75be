"""What the words around a date in an invitation say it is: a reply-by deadline ("by Friday"),
the old plan a reschedule moves away from ("was set for Monday"), or a day the sender asks the
reader about without naming a time ("are you free Monday or Tuesday?"). Pure: ``when`` finds
the dates (spaCy's ``Matcher``) and reads them (dateparser); this module reads the words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from triage.clock import TIME_SHAPE, zone_named

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

Spans = Sequence[tuple[int, int]]  # token offsets (start, end) of dates in a doc

# --- deadlines and old plans --------------------------------------------------------------------

# Words that may stand between a deadline word and its date, besides a time of day: "by (the
# end of) Friday", "no later than Monday", "deadline: the 20th", "by 5pm on Friday".
_DEADLINE_FILLERS = frozenset(
    {"the", "end", "of", "day", "business", "next", "this", "on", "close", "cob", "eod", "than",
     "is", ":", ",", "(", ")", "am", "pm", "a.m.", "p.m.", "noon", "midday", "o'clock"}
)  # fmt: skip
_DEADLINE_WORDS = {"by", "before", "until", "expires", "expire", "deadline", "later"}
_OLD_PLAN = (
    "was set for",
    "were set for",
    "was scheduled for",
    "were scheduled for",
    "was booked for",
    "was planned for",
    "originally",
    "previously",
    "instead of",
    "moved from",
)
_SENTENCE_END = frozenset({".", "?", "!", ";"})


def is_deadline(doc: Doc, date_start: int) -> bool:
    """Whether the date starting at ``date_start`` is a reply-by date: a deadline word among
    the few words before it in the same sentence ("by Friday", "until November 16", "before
    the 20th"), not one ending the sentence before ("Please confirm by Friday. Monday at 3pm
    works") nor "by video on Thursday"."""
    before = doc[max(0, date_start - 4) : date_start]
    for i in range(len(before) - 1, -1, -1):
        token = before[i]
        if _ends_sentence(token):  # lines wrap; blank lines part
            return False
        if token.lower_ in _DEADLINE_WORDS:
            return all(t.is_space or _deadline_filler(t.lower_) for t in before[i + 1 :])
    return False


def _deadline_filler(word: str) -> bool:
    """A word that may stand between a deadline word and its date: a filler, a time of day
    ("5pm", "noon") or its zone ("by 5pm ET Friday")."""
    return (
        word in _DEADLINE_FILLERS
        or re.match(TIME_SHAPE, word) is not None
        or zone_named(word) is not None
    )


def was_planned(doc: Doc, start: int) -> bool:
    """Whether the words just before ``start`` say the time was the old plan ("was set for",
    "originally", "instead of"), as a reschedule says what it moves away from."""
    before = " ".join(t.lower_ for t in doc[max(0, start - 5) : start])
    return any(phrase in before for phrase in _OLD_PLAN)


def _ends_sentence(token: Token) -> bool:
    return token.text in _SENTENCE_END or "\n\n" in token.text


# --- days asked about ---------------------------------------------------------------------------

# A date with no time of day is a day the sender asks the reader about when its sentence speaks
# to the reader ("you") about their time ("are you free Monday or Tuesday?", "would any time
# Monday 23 through Wednesday 25 work for you?", "your availability next week"), and its own
# clause says nothing against it: not "I'm away Friday", "thank you for last Monday", "we need to
# move Monday's interview", "our office is open Monday to Friday".
_ASKS = frozenset(
    "available availability free work works suit suits suitable convenient slot slots open".split()
)
_TO_READER = frozenset({"you", "your"})
_NOT_ASKED = frozenset(
    "not n't no never unavailable closed away leave off out holiday holidays vacation busy "
    "last was were been ago yesterday thank thanks move moved moving cancel cancelled canceled "
    "postpone postponed reschedule rescheduled within".split()
)
# Clauses part at commas and these words ("I'm on leave next week, so would you ...").
_CLAUSE_WORDS = frozenset({",", "but", "so", "although", "though", "because", "while"})
_RANGE = frozenset({"through", "thru", "to", "until", "till", "-", "–", "—"})
_WEEKDAY_STEMS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ASKED_DAYS_AHEAD = 28  # days after the Date: a day asked about further ahead is misread
MAX_ASKED = 20  # dates read as asked days in one message (each costs a dateparser call)
_REACH = 30  # tokens looked at either side of a date for its sentence


def _around(doc: Doc, start: int, end: int, stop: Callable[[Token], bool]) -> Span:
    """The tokens around ``doc[start:end]`` (at most ``_REACH`` either side) up to a token that
    ``stop``s, the stops excluded."""
    first = start
    while first > max(0, start - _REACH) and not stop(doc[first - 1]):
        first -= 1
    last = end
    while last < min(len(doc), end + _REACH) and not stop(doc[last]):
        last += 1
    return doc[first:last]


def _asks_reader(doc: Doc, span: tuple[int, int]) -> bool:
    sentence = _around(doc, *span, _ends_sentence)
    clause = _around(doc, *span, lambda t: _ends_sentence(t) or t.lower_ in _CLAUSE_WORDS)
    words = {t.lower_ for t in sentence}
    return (
        bool(words & _TO_READER)
        and bool(words & _ASKS)
        and not any(t.lower_ in _NOT_ASKED for t in clause)
        and not is_deadline(doc, span[0])
        and not was_planned(doc, span[0])
    )


def asked_days(
    doc: Doc, dates: Spans, weeks: Spans, base: datetime, read: Callable[[str], date | None]
) -> tuple[date, ...]:
    """The days the sender asks the reader about without a time: ``dates`` (neither a slot's
    nor a deadline) and ``weeks`` ("next week": its Monday to Friday) in a sentence that asks
    (see above). "Monday 23 through Wednesday 25", "Mon-Wed" and "between Monday and Wednesday"
    give every day between; "Tuesday or Wednesday next week" gives those two days of that week.
    ``read`` reads a date's words relative to ``base``. Only days from the Date's to
    ``ASKED_DAYS_AHEAD`` after it, in order, once each."""
    asked = [span for span in sorted([*dates, *weeks]) if _asks_reader(doc, span)][:MAX_ASKED]
    week_of = {span: _monday(doc, span, base) for span in asked if span in weeks}
    days: set[date] = set()
    ends: set[tuple[int, int]] = set()  # the second dates of ranges, read with their first
    for index, span in enumerate(asked):
        if span in ends:
            continue
        if span in week_of:
            weekdays = [s for s in asked if s not in week_of and _same_sentence(doc, s, span)]
            if not weekdays:  # "sometime next week": all of it
                days.update(week_of[span] + timedelta(days=n) for n in range(5))
            continue
        first = _in_week(doc, span, asked, week_of) or read(doc[span[0] : span[1]].text)
        if first is None:
            continue
        days.add(first)
        later = asked[index + 1] if index + 1 < len(asked) else None
        if later is not None and later not in week_of and _is_range(doc, span, later):
            ends.add(later)
            last = _in_week(doc, later, asked, week_of) or read(doc[later[0] : later[1]].text)
            while last is not None and last < first:  # "Friday through Monday", weekdays only
                last += timedelta(days=7)
            span_days = (last - first).days if last is not None else 0
            days.update(first + timedelta(days=n) for n in range(min(span_days, 14) + 1))
    first_day, final = base.date(), base.date() + timedelta(days=ASKED_DAYS_AHEAD)
    return tuple(sorted(d for d in days if first_day <= d <= final))


def _monday(doc: Doc, week: tuple[int, int], base: datetime) -> date:
    """The Monday of "next week" or "this week" written on ``base``'s day."""
    monday = base.date() - timedelta(days=base.weekday())
    return monday if doc[week[0]].lower_ == "this" else monday + timedelta(days=7)


def _same_sentence(doc: Doc, one: tuple[int, int], other: tuple[int, int]) -> bool:
    low, high = min(one[0], other[0]), max(one[1], other[1])
    return high - low <= 2 * _REACH and not any(_ends_sentence(t) for t in doc[low:high])


def _in_week(
    doc: Doc, span: tuple[int, int], asked: Spans, week_of: dict[tuple[int, int], date]
) -> date | None:
    """A bare weekday ("Tuesday") in the sentence of "next week" or "this week": that week's."""
    if span[1] - span[0] != 1 or doc[span[0]].lower_[:3] not in _WEEKDAY_STEMS:
        return None
    for week, monday in week_of.items():
        if _same_sentence(doc, span, week):
            return monday + timedelta(days=_WEEKDAY_STEMS.index(doc[span[0]].lower_[:3]))
    return None


def _is_range(doc: Doc, first: tuple[int, int], second: tuple[int, int]) -> bool:
    """ "Monday 7 through Wednesday 9", "Mon-Wed", "between Monday and Wednesday"."""
    between = [
        t.lower_
        for t in doc[first[1] : second[0]]
        if not t.is_space and not re.match(r"^\d{1,2}(st|nd|rd|th)?$", t.text)  # "Monday 7"
    ]
    if between in (["and"], [",", "and"]):
        return first[0] > 0 and doc[first[0] - 1].lower_ == "between"
    return len(between) == 1 and between[0] in _RANGE
