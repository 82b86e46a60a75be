"""What the words around a date in an invitation say it is: a reply-by deadline ("by Friday"),
the old plan a reschedule moves away from ("was set for Monday"), or a day the sender asks the
reader about without naming a time ("are you free Monday or Tuesday?"). Pure: ``when`` finds
the dates (spaCy's ``Matcher``) and reads them (dateparser); this module reads the words.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from triage.availability import DAY_PARTS
from triage.clock import TIME_SHAPE, WEEKDAY_STEMS, zone_named
from triage.models import AskedDay

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
# ... but "before", "until" or "till" right after these limits the meeting, and so does "by" and
# a time: "a call some time before 11am on Tuesday", "available until 4pm", "available by 10am
# on Thursday" ("available by Friday", "schedule some time by Friday", "confirm your preferred
# time by 11/18" are deadlines).
_MEETS_BY = ("some time", "any time", "sometime", "anytime", "free", "available")
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
    # in the other languages invitations come in: "initialement prévu le jeudi 23 avril"
    "initialement",
    "ursprünglich",
    "inicialmente",
    "originalmente",
    "oorspronkelijk",
    "originariamente",
)
_SENTENCE_END = frozenset({".", "?", "!", ";"})


def is_deadline(doc: Doc, date_start: int) -> bool:
    """Whether the date starting at ``date_start`` is a reply-by date: a deadline word among
    the few words before it in the same sentence, with only fillers between ("by Friday",
    "until November 16", "before the 20th"), not one ending the sentence before ("Please
    confirm by Friday. Monday at 3pm works") nor "by video on Thursday"."""
    before = doc[max(0, date_start - 6) : date_start]  # "by 12 pm GMT on Friday"
    for i in range(len(before) - 1, -1, -1):
        token = before[i]
        if _ends_sentence(token):  # lines wrap; blank lines part
            return False
        if token.lower_ in _DEADLINE_WORDS:
            ahead = " ".join(_words_before(doc, token.i, 2))
            # "available until 4pm", "available by 10am on Thursday" (but "available by Friday")
            timed = token.i + 1 < len(doc) and re.match(TIME_SHAPE, doc[token.i + 1].lower_)
            limit = ahead.endswith(_MEETS_BY) and (token.lower_ != "by" or timed is not None)
            return not limit and all(
                t.is_space or _deadline_filler(t.text) for t in before[i + 1 :]
            )
    return False


# A reply-by time counted from the mail: "please let us know within 48 hours", "reply within
# two working days", "confirm in the next 24 hours": a verb asking the reader to answer or book
# just before the count, and no one else's doing ("we aim to respond within 2 business days").
_COUNTED_DEADLINE = re.compile(
    r"\b(?P<verb>let us know|let me know|reply|respond|confirm|get back to (?:us|me)|book|"
    r"schedule|choose|select|accept|contact|call|complete)\b"
    r"(?P<between>[^.;?!\n]{0,60}?)\b(?:within|in the next)\s+"
    r"(?P<n>\d{1,3}|one|two|three|four|five|seven|ten)\s+(?P<kind>working |business )?"
    r"(?P<unit>hours?|days?)\b(?!\s+(?:of|after|before|once|from|following))",
    re.IGNORECASE,
)
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "ten": 10}
# Someone else's doing: "we aim to respond", "our team typically responds", "recruiters reply"
_NOT_THE_READERS = re.compile(
    r"\b(?:we|i|they|our|team|panel|recruiters?|typically|usually|normally|expect|hear)\b",
    re.IGNORECASE,
)


def counted_deadline(text: str, sent: datetime) -> datetime | None:
    """The reply-by time a mail sent at ``sent`` counts in hours or days (see
    ``_COUNTED_DEADLINE``): ``sent`` plus the hours, or the end of the day so many (working)
    days on; None when there is none."""
    for match in _COUNTED_DEADLINE.finditer(text[:20_000]):
        lead = re.split(r"[.;!?\n]", text[max(0, match.start() - 60) : match.start()])[-1]
        between = match["between"]
        if _NOT_THE_READERS.search(lead + between) or re.search(r"\b(?:if|once|when)\b", between):
            continue  # "we aim to respond", "let us know if you need to cancel within 24 hours"
        count = _NUMBERS.get(match["n"].lower()) or int(match["n"])
        if match["unit"].lower().startswith("hour"):
            return sent + timedelta(hours=count) if count <= 240 else None
        day = sent.date()
        for _ in range(min(count, 60)):
            day += timedelta(days=1)
            while match["kind"] and day.weekday() >= 5:  # working days skip the weekend
                day += timedelta(days=1)
        return datetime.combine(day, time(23, 59), sent.tzinfo)
    return None


def _deadline_filler(word: str) -> bool:
    """A word that may stand between a deadline word and its date: a filler, a time of day
    ("5pm", "noon") or its zone ("by 5pm ET Friday")."""
    return (
        word.lower() in _DEADLINE_FILLERS
        or re.match(TIME_SHAPE, word.lower()) is not None
        or zone_named(word) is not None
    )


def moves_from(doc: Doc, start: int) -> bool:
    """Whether the date at ``start`` follows "from" in a move ("move your interview from
    Monday to Wednesday"): the range it starts is a move, not office hours."""
    words = _words_before(doc, start, 6)
    return bool(words) and words[-1] == "from" and any(w in _MOVED for w in words[:-1])


def moves_time_from(doc: Doc, start: int) -> bool:
    """Whether the time at ``start`` follows "from" in a move that names no new day first
    ("push back our call today from 2pm to 3:30pm"): "from ... to ..." is the old time and the
    new one, not a range; but "move the interview to Friday from 2 to 3pm" is a range."""
    words = _words_before(doc, start, 8)
    return bool(words) and words[-1] == "from" and _move(words, _MOVED_TIME_OBJECT) is not None


def was_planned(doc: Doc, start: int) -> bool:
    """Whether the words just before ``start`` say the time was the old plan ("was set for",
    "originally", "instead of"), as a reschedule says what it moves away from: "move your
    interview from Tuesday at 10am to ...", "reschedule your interview on Tuesday at 10am"."""
    words = _words_before(doc, start, 5)
    if any(phrase in " ".join(words) for phrase in _OLD_PLAN):
        return True
    if not words or words[-1] not in {"from", "on"}:
        return False
    found = _move(words, _MOVED_OBJECT)
    if found is None:
        return False
    verb, moved = found
    moving = verb not in _MOVED_DONE or words[-1] == "from"
    return moving and (words[-1] == "from" or bool(moved))


def _move(words: list[str], objects: frozenset[str]) -> tuple[str, list[str]] | None:
    """The move verb and what it moves, when ``words`` end with them and one word after
    ("move your interview from", "push back our call today from"): nothing but ``objects``
    stands between the verb and that last word. None when no such verb leads to it."""
    for i in range(len(words) - 2, -1, -1):
        if words[i] in _MOVED:
            return words[i], words[i + 1 : -1]
        if words[i] not in objects:
            return None
    return None


_AWAY = ("out of office", "out of the office", "ooo", "on leave", "on holiday", "on vacation",
         "away", "unavailable", "not available", "off sick")  # fmt: skip


_AWAY_TO = frozenset({"on", "from", "until", "till", "the", "this", "next", "all", "day", "whole"})


def is_absence(doc: Doc, start: int) -> bool:
    """Whether the words just before ``start`` say the sender is away then ("Out of office
    Friday 20 November, 9am-5pm", "I'm not available on Tuesday at 10am"): no slot. Not the
    reader ("if you're not available on Tuesday at 10am, ..."), nor a clause before ("the
    panel is unavailable Tuesday, so how about Thursday", "a call right away - Thursday?")."""
    words = _words_before(doc, start, 6)
    while words and words[-1] in _AWAY_TO:  # "out of the office on", "away from"
        words.pop()
    before = f" {' '.join(words)}"
    about_reader = any(w in {"you", "you're", "your", "'re"} for w in words)  # "if you're away"
    straight = len(words) > 1 and words[-2] in {"right", "straight", "far"}  # "right away"
    return not (about_reader or straight) and before.endswith(tuple(f" {p}" for p in _AWAY))


def _ends_sentence(token: Token) -> bool:
    return token.text in _SENTENCE_END or "\n\n" in token.text


# --- days asked about ---------------------------------------------------------------------------

# A date with no time of day is a day the sender asks the reader about when its sentence speaks
# to the reader ("you") about their time ("are you free Monday or Tuesday?", "would any time
# Monday 23 through Wednesday 25 work for you?", "your availability next week"), and its own
# clause says nothing against it: not "I'm away Friday", "thank you for last Monday", "we need to
# move Monday's interview" (but "move it to Friday" asks), "our office is open Monday to Friday".
_ASKS = frozenset(
    "available availability free work works suit suits suitable convenient slot slots open".split()
)
_TO_READER = frozenset({"you", "your"})
_NOT_ASKED = frozenset(
    "not n't no never unavailable closed shut away out off sick holiday holidays vacation busy "
    "booked taken was were been ago yesterday cancel cancelled canceled within".split()
)
# ... but not after these: "to find out more", "to kick off the process", "check out".
_PHRASAL = frozenset("find kick check figure sort work try set start head".split())
_NOT_ASKED_PAIRS = frozenset({("on", "leave"), ("feel", "free")})
_MOVED = frozenset("move moved moving postpone postponed reschedule rescheduled push".split())
# "rescheduled your interview on Thursday" states the new time; "moved from" the old one.
_MOVED_DONE = frozenset({"rescheduled"})  # "postponed/moved your interview on X": the old X
_MOVED_OBJECT = frozenset(
    "your our the this my it interview call meeting chat screen conversation phone video "
    "scheduled planned booked set".split()  # "move the interview scheduled on Tuesday"
)
_NEW_PLAN = frozenset({"to", "for", "until", "till"})  # "move it to Friday": the new day
# What a move's object may be before "from 2pm to 3:30pm": "push back our interview call today
# from", "move you from", "move Monday's interview from"
_MOVED_TIME_OBJECT = _MOVED_OBJECT | frozenset(
    "back you today tomorrow 's monday tuesday wednesday thursday friday saturday sunday".split()
)
_PAST = frozenset({"last", "past", "previous"})  # right before the date
_EXCEPT = frozenset({"except", "excluding", "besides"})
_EXCEPT_PAIRS = frozenset({("other", "than"), ("apart", "from"), ("but", "not")})
# Those words, and "for" ("except for Monday"), may stand between a week and a day it excepts.
_EXCEPT_WORDS = _EXCEPT | {word for pair in _EXCEPT_PAIRS for word in pair} | {"for"}
# Clauses part at commas, dashes and these words ("I'm on leave next week, so would you ...").
_CLAUSE_WORDS = frozenset({",", "-", "–", "—", "but", "so", "although", "though", "because"})
_RANGE = frozenset({"through", "thru", "to", "until", "till", "-", "–", "—"})
# What may stand between weekdays and the week they are in: "Tuesday or Wednesday next week",
# "Thursday and Friday of next week", "Mon-Wed next week".
_WEEK_LINKS = frozenset({"or", "and", "to", "through", "thru", "-", "–", ",", "of", "the", "/"})
_WEEK_OF = frozenset({"of", "commencing", "beginning", "starting"})  # "the week of December 14"
_PARTS = {f"{part}{plural}": part for part in DAY_PARTS for plural in ("", "s")}
# Words that may stand between a date and the part of the day named with it, besides the words
# that list dates: "Monday in the morning", "the afternoon of the 8th", "next week, any evening".
_PART_FILLERS = frozenset({"in", "the", "during", "any", "on", "of", "next", "this", "week"})
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


def _words_before(doc: Doc, start: int, count: int) -> list[str]:
    return [t.lower_ for t in doc[max(0, start - count) : start] if not t.is_space]


def _asks_reader(doc: Doc, span: tuple[int, int]) -> bool:
    clause = [
        t.lower_
        for t in _around(doc, *span, lambda t: _ends_sentence(t) or t.lower_ in _CLAUSE_WORDS)
        if not t.is_space
    ]
    before = [w for w in _words_before(doc, span[0], 3) if w not in {"on", "the"}]
    moved = any(w in _MOVED for w in clause) and not (before and before[-1] in _NEW_PLAN)
    return (
        _sentence_asks(doc, span)
        and not any(
            w in _NOT_ASKED and not (i and clause[i - 1] in _PHRASAL) for i, w in enumerate(clause)
        )
        and not any(pair in _NOT_ASKED_PAIRS for pair in itertools.pairwise(clause))
        and not moved
        and not (before and before[-1] in _PAST)
        and not is_deadline(doc, span[0])
        and not was_planned(doc, span[0])
    )


def _excepted(doc: Doc, span: tuple[int, int]) -> bool:
    """ "any day next week except Wednesday", "other than Monday or Friday", "but not Monday to
    Wednesday": an exception word before the date, or before the list or range it is in."""
    index = span[0]
    while index > max(0, span[0] - 12):
        word = doc[index - 1].lower_
        previous = doc[index - 2].lower_ if index > 1 else ""
        if word in _EXCEPT or (previous, word) in _EXCEPT_PAIRS:
            return True
        listed = word in _WEEK_LINKS or word[:3] in WEEKDAY_STEMS or word[:1].isdigit()
        if not (doc[index - 1].is_space or listed or word == "for"):  # "except for Monday"
            return False
        index -= 1
    return False


def _sentence_asks(doc: Doc, span: tuple[int, int]) -> bool:
    sentence = {t.lower_ for t in _around(doc, *span, _ends_sentence)}
    return bool(sentence & _TO_READER) and bool(sentence & _ASKS)


def asked_days(
    doc: Doc, dates: Spans, weeks: Spans, base: datetime, read: Callable[[str], date | None]
) -> tuple[AskedDay, ...]:
    """The days the sender asks the reader about without a time: ``dates`` (neither a slot's
    nor a deadline) and ``weeks`` ("next week": its Monday to Friday) in a sentence that asks
    (see above). "Monday 23 through Wednesday 25", "Mon-Wed" and "between Monday and Wednesday"
    give every day between; "the week of December 14" and "Tuesday or Wednesday next week" the
    days of that week; "except Wednesday" takes a day out; "Monday morning" and "Tuesday or
    Wednesday afternoon" name the part of the day. ``read`` reads a date's words relative to
    ``base``. Only days from the Date's to ``ASKED_DAYS_AHEAD`` after it, in order, once each."""
    spans = sorted([*dates, *weeks])
    excepts = {span for span in spans if _excepted(doc, span)}
    asked = [
        span
        for span in spans
        if _asks_reader(doc, span) or (span in excepts and _sentence_asks(doc, span))
    ][:MAX_ASKED]
    week_of = {span: _monday(doc, span, base) for span in asked if span in weeks}
    tied = _ties(doc, asked, week_of, excepts)
    claimed = {week for span, week in tied.items() if span not in excepts}
    parts: dict[date, str] = {}
    excepted: set[date] = set()
    ends: set[tuple[int, int]] = set()  # the second dates of ranges, read with their first
    for index, span in enumerate(asked):
        if span in ends:
            continue
        later = asked[index + 1] if index + 1 < len(asked) else None
        if later is not None and later not in week_of and _is_range(doc, span, later):
            ends.add(later)
        else:
            later = None
        if span in week_of:
            found = [] if span in claimed else _workdays(week_of[span])  # "sometime next week"
        else:
            found = _days_of(doc, (span, later), tied, week_of, read)
        if span in excepts:
            excepted.update(found)
            continue
        part = _part_of(doc, span)
        for day in found:  # a day asked twice, for two parts of it: the whole day
            parts[day] = part if parts.get(day, part) == part else ""
    first_day, final = base.date(), base.date() + timedelta(days=ASKED_DAYS_AHEAD)
    return tuple(
        AskedDay(day, part)
        for day, part in sorted(parts.items())
        if day not in excepted and first_day <= day <= final
    )


def _days_of(
    doc: Doc,
    dates: tuple[tuple[int, int], tuple[int, int] | None],
    tied: dict[tuple[int, int], tuple[int, int]],
    week_of: dict[tuple[int, int], date],
    read: Callable[[str], date | None],
) -> list[date]:
    """The days a date names: its own, a range's to its end ("Friday through Monday", at most
    two weeks), or "the week of December 14"'s Monday to Friday."""
    span, end = dates
    first = _day_of(doc, span, tied, week_of, read)
    if first is None:
        return []
    if _week_named(doc, span):
        return _workdays(first - timedelta(days=first.weekday()))
    last = _day_of(doc, end, tied, week_of, read) if end is not None else None
    while last is not None and last < first:  # "Friday through Monday": weekdays only
        last += timedelta(days=7)
    span_days = (last - first).days if last is not None else 0
    return [first + timedelta(days=n) for n in range(min(span_days, 14) + 1)]


def _workdays(monday: date) -> list[date]:
    return [monday + timedelta(days=n) for n in range(5)]


def _week_named(doc: Doc, span: tuple[int, int]) -> bool:
    """ "the week of December 14", "week commencing 14 December", "w/c 14/12"."""
    before = _words_before(doc, span[0], 3)
    return (
        before[-1:] == ["wc"]
        or before == ["w", "/", "c"]
        or (before[-2:-1] == ["week"] and before[-1] in _WEEK_OF)
    )


def _part_of(doc: Doc, span: tuple[int, int]) -> str:
    """The part of the day named with a date: after it, or after the list or range it is in
    ("Monday morning", "Tuesday or Wednesday afternoon", "next week, in the mornings"), or
    right before it ("the morning of Tuesday 8 December", "any afternoon next week"); else ""."""
    before = _words_before(doc, span[0], 3)
    if len(before) >= 2 and before[-1] == "of" and before[-2] in _PARTS:  # "the morning of"
        return _PARTS[before[-2]]
    for token in doc[span[1] : span[1] + 12]:
        word = token.lower_
        if word in _PARTS:
            return _PARTS[word]
        listed = word in _WEEK_LINKS or word[:3] in WEEKDAY_STEMS or word[:1].isdigit()
        if not (token.is_space or listed or word in _PART_FILLERS):
            break
    for word in reversed(_words_before(doc, span[0], 3)):
        if word in _PARTS:
            return _PARTS[word]
        if word not in _PART_FILLERS:
            break
    return ""


def _ties(
    doc: Doc, asked: Spans, week_of: dict[tuple[int, int], date], excepts: set[tuple[int, int]]
) -> dict[tuple[int, int], tuple[int, int]]:
    """The week each lone weekday is in, when a week is named with it: the week it leads up to
    ("Tuesday or Wednesday next week"), or for a day excepted, any week of its sentence ("would
    next week work for you, but not Friday?")."""
    tied = {span: week for span in asked if (week := _week_for(doc, span, week_of)) is not None}
    for span in asked:
        if span in tied or _weekday(doc, span) is None or span not in excepts:
            continue
        for week in week_of:
            low, high = min(week[0], span[0]), max(week[1], span[1])
            if not any(_ends_sentence(t) for t in doc[low:high]):
                tied[span] = week
                break
    return tied


def _monday(doc: Doc, week: tuple[int, int], base: datetime) -> date:
    """The Monday of "next week" or "this week" written on ``base``'s day."""
    monday = base.date() - timedelta(days=base.weekday())
    return monday if doc[week[0]].lower_ == "this" else monday + timedelta(days=7)


def _weekday(doc: Doc, span: tuple[int, int]) -> int | None:
    """0 for a date that starts with "Monday" (or "Mon"), ... 6 for "Sunday"; else None."""
    stem = doc[span[0]].lower_[:3]
    return WEEKDAY_STEMS.index(stem) if stem in WEEKDAY_STEMS else None


def _week_for(
    doc: Doc, span: tuple[int, int], week_of: dict[tuple[int, int], date]
) -> tuple[int, int] | None:
    """The week a weekday date is in when it leads up to one ("Tuesday or Wednesday next week",
    "Thursday this week or Tuesday next week"), else None."""
    if _weekday(doc, span) is None:
        return None
    starts = {week[0]: week for week in week_of}
    for token in doc[span[1] : span[1] + 12]:
        if token.i in starts:
            return starts[token.i]
        if not _links_weeks(token):
            break
    ends = {week[1]: week for week in week_of}
    for index in range(span[0], max(0, span[0] - 12), -1):
        if index in ends:  # "next week, except Wednesday"
            return ends[index]
        if not _links_weeks(doc[index - 1]):
            break
    return None


def _links_weeks(token: Token) -> bool:
    word = token.lower_
    return (
        token.is_space or word in _WEEK_LINKS or word in _EXCEPT_WORDS or word[:3] in WEEKDAY_STEMS
    )


def _day_of(
    doc: Doc,
    span: tuple[int, int],
    tied: dict[tuple[int, int], tuple[int, int]],
    week_of: dict[tuple[int, int], date],
    read: Callable[[str], date | None],
) -> date | None:
    """The day a date names: a lone weekday in the week it is tied to, else as ``read``."""
    weekday = _weekday(doc, span)
    if span in tied and weekday is not None and span[1] - span[0] == 1:
        return week_of[tied[span]] + timedelta(days=weekday)
    return read(doc[span[0] : span[1]].text)


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
