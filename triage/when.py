"""When: proposed interview slots and reply-by deadlines in an invitation's text. Pure.

spaCy's ``Matcher`` finds the date expressions ("Thursday, 19 November", "11/24", "next Tuesday",
"tomorrow") and the times ("2:00-2:30 pm", "16:00–16:45", "10:30am"; hours in words, "half past
two", "three o'clock", are first written in digits) token by token; each time is
paired with the date before it on the same line (or the one right after: "at 3pm on Tuesday"),
and the pair is read by ``dateparser`` relative to the message's Date header. Time zones come
from the abbreviation or name after the time (ET, PT, CET, GMT+1, "Pacific"), else from a zone
named elsewhere in the message, else from the Date header's offset. Which date a time belongs
to, and which times are no slot, is ``pairing``'s to say; how a date's words read as a day,
``dateread``'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from triage.clock import (
    MERIDIEMS,
    MINUTES_RANGE_WORDS,
    MONTH_FIRST_ZONES,
    RANGE_WORDS,
    TIME_SHAPE,
    spelled_times_as_digits,
    time_range,
    zone_at,
    zone_named,
)
from triage.dateread import ARTICLES, FOREIGN, FOREIGN_WEEKDAYS, MONTHS, WEEKDAYS, parse
from triage.datewords import asked_days, counted_deadline, is_deadline, moves_time_from
from triage.models import AskedDay
from triage.pairing import (
    agenda,
    called_off,
    hour_trimmed,
    limit,
    listed_before,
    slot_date,
    wed_for_we_d,
)

if TYPE_CHECKING:  # spaCy and dateparser load on the first invitation, not with the CLI
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, Span

_CLOCK_SHAPE = TIME_SHAPE.replace("[:.]", "[:.h]")  # and the French "16h00"
_GLUED_END = r"^(am|pm|a\.m\.|p\.m\.)[-–—]\d{1,2}([:.]\d{2})?(am|pm|a\.m\.|p\.m\.)?$"
_TIME_RANGE_SHAPE = r"^\d{1,2}([:.]\d{2})?(am|pm)?[-–—]\d{1,2}([:.]\d{2})?(am|pm)?$"
_DAY_END = time(23, 59)  # a deadline with no time of its own lasts the whole day
_DOTTED_DATE = re.compile(r"\d\.\d")

MAX_TIMES = 60  # times of day read in one message


@dataclass(frozen=True)
class Slot:
    """A proposed interview time: timezone-aware start, end when stated, and the words used."""

    start: datetime
    end: datetime | None
    text: str


@dataclass(frozen=True)
class When:
    slots: tuple[Slot, ...]
    deadline: datetime | None
    days: tuple[AskedDay, ...] = ()  # asked about with no time of day (``datewords.asked_days``)


def _patterns() -> dict[str, list[list[dict[str, Any]]]]:
    weekday = {"LOWER": {"IN": list(WEEKDAYS)}}
    month = {"LOWER": {"IN": list(MONTHS)}}
    any_weekday = {"LOWER": {"IN": [*WEEKDAYS, *FOREIGN]}}
    any_month = {"LOWER": {"IN": [*MONTHS, *FOREIGN]}}
    # a foreign weekday alone, but for those that are also names ("Domingo", "Sabato")
    foreign_weekday = {"LOWER": {"IN": sorted(FOREIGN_WEEKDAYS - {"domingo", "sabato"})}}
    foreign_month = {"LOWER": {"IN": [w for w in FOREIGN if w not in FOREIGN_WEEKDAYS]}}
    day = {"TEXT": {"REGEX": r"^\d{1,2}(st|nd|rd|th)?$"}}
    year = {"TEXT": {"REGEX": r"^(19|20)\d\d$"}, "OP": "?"}
    comma = {"TEXT": {"IN": [",", "the"]}, "OP": "*"}
    of = {"LOWER": "of", "OP": "?"}
    # "7. Dezember", "7 de diciembre": only before a foreign month ("1. December 10" is a list)
    foreign_of = {"LOWER": {"IN": [".", "de", "del"]}, "OP": "?"}
    # After a weekday, a line break inside the date wraps it ("Friday 20\nNovember"); a blank
    # line parts it (\Z: "$" would match before the second newline of "\n\n"). Without one, a
    # number ending a line is not a day ("Room 12\nDecember 3").
    wrap = r"[ \t]*\n[ \t]*"
    # "Freitag, den 24. April", "le vendredi 24 avril", "el viernes 24 de abril"
    wrapped_comma = {"LOWER": {"REGEX": rf"\A(,|the|{ARTICLES}|{wrap})\Z"}, "OP": "*"}
    wrapped_of = {"LOWER": {"REGEX": rf"\A(of|de|\.|{wrap})\Z"}, "OP": "*"}
    clock = {"TEXT": {"REGEX": _CLOCK_SHAPE}, "LOWER": {"NOT_IN": list(MONTHS)}}
    ampm = {"LOWER": {"IN": sorted(MERIDIEMS)}, "OP": "?"}
    dash = {"LOWER": {"IN": ["-", "–", "—", *RANGE_WORDS]}}
    # "de 9h00 à 12h30", "de 9:00 al 12:30"; not "le jeudi 23 à 9h30", a day and a time
    minutes = {"TEXT": {"REGEX": r"^\d{1,2}[:.h]\d{2}$"}}
    a_to = {"LOWER": {"IN": list(MINUTES_RANGE_WORDS)}}
    hour_h = {"TEXT": {"REGEX": r"^([01]?\d|2[0-3])h$"}}  # "14h"
    hour = {"TEXT": {"REGEX": r"^([01]?\d|2[0-3])$"}}
    o_clock = {"LOWER": {"IN": ["uhr", "uur"]}}
    between = {"LOWER": {"IN": sorted(_BETWEEN - {"between"})}}
    hour_word = {"LOWER": {"IN": _HOUR_WORDS}, "OP": "?"}  # "12 Uhr"
    the_hour = {"LOWER": {"IN": sorted(_THE_HOUR)}, "OP": "?"}
    and_ = {"LOWER": {"IN": sorted(_ANDS - {"and"})}}
    return {
        "DATE": [
            [any_weekday, wrapped_comma, day, wrapped_of, any_month, wrapped_comma, year],
            [weekday, wrapped_comma, month, wrapped_comma, day, wrapped_comma, year],
            [day, of, month, comma, year],
            [day, foreign_of, foreign_month, comma, year],
            [month, day, comma, year],
            [{"TEXT": {"REGEX": r"^\d{1,2}/\d{1,2}(/\d{2,4})?$"}}],
            # "Wednesday 25.11." and "25.11.2026": day first, as written where dots are used
            [weekday, wrapped_comma, {"TEXT": {"REGEX": r"^\d{1,2}\.\d{1,2}\.?$"}}],
            [foreign_weekday, wrapped_comma, {"TEXT": {"REGEX": r"^\d{1,2}\.\d{1,2}\.?$"}}],
            # "Wed 25/11", and "Tuesday 24th", "Monday 23 through ..." with no month
            [weekday, comma, {"TEXT": {"REGEX": r"^\d{1,2}/\d{1,2}(/\d{2,4})?$"}}],
            [weekday, comma, day],
            [foreign_weekday, wrapped_comma, day],  # "jeudi 19", "el martes 21"
            [{"TEXT": {"REGEX": r"^\d{1,2}\.\d{1,2}\.\d{4}$"}}],
            [  # "2026-12-10", which the tokenizer splits at the dashes
                {"TEXT": {"REGEX": r"^(19|20)\d\d$"}},
                {"TEXT": "-"},
                {"TEXT": {"REGEX": r"^[01]?\d$"}},
                {"TEXT": "-"},
                {"TEXT": {"REGEX": r"^[0-3]?\d$"}},
            ],
            [{"LOWER": {"IN": ["next", "this"]}}, weekday],
            [{"LOWER": {"IN": ["tomorrow", "today"]}}],
            [weekday],
            [foreign_weekday],  # "Dienstag um 10 Uhr", "mardi à 10h", "el martes a las 10:00"
        ],
        "TIME": [
            [clock, ampm, dash, clock, ampm],
            [minutes, a_to, minutes],
            [minutes, a_to, hour_h],  # "de 9h30 à 13h"
            [hour_h, a_to, hour_h],  # "de 14h à 15h"
            [hour_h, a_to, minutes],  # "de 14h à 15h30"
            [{"LOWER": "between"}, clock, ampm, {"LOWER": "and"}, clock, ampm],  # a range
            # "entre las 10:00 y las 13:00", "zwischen 10 und 12 Uhr", "tussen 10 en 12 uur"
            [between, the_hour, clock, and_, the_hour, clock, hour_word],
            [hour, o_clock],  # "14 Uhr"
            [hour, o_clock, dash, hour, {**o_clock, "OP": "?"}],  # "von 14 Uhr bis 15 Uhr"
            # "10:00 am–1:00 pm": the dash joins "am" to the end's clock in one token
            [clock, {"LOWER": {"REGEX": _GLUED_END}}, ampm],
            [{"TEXT": {"REGEX": _TIME_RANGE_SHAPE}}, ampm],
            [clock, {"LOWER": {"IN": sorted(MERIDIEMS)}}],
            [{"TEXT": {"REGEX": r"^\d{1,2}[:.]\d{2}(am|pm)?$"}}],
            [{"TEXT": {"REGEX": r"^\d{1,2}(am|pm)$"}}],
            [{"TEXT": {"REGEX": r"^\d{1,2}h\d{2}$"}}],  # "11h00"
            [{"LOWER": {"IN": ["à", "vers"]}}, hour_h],
            [{"TEXT": {"REGEX": r"^\d{1,2}$"}}],  # a bare hour: only after "at" (see below)
            [{"LOWER": {"IN": ["noon", "midday"]}}],
        ],
        "WEEK": [
            [{"LOWER": {"IN": ["next", "this"]}}, {"IS_SPACE": True, "OP": "?"}, {"LOWER": "week"}]
        ],
    }


# A memory zone (see ``find_when``) takes the words a doc met back out of spaCy's vocabulary, but
# its hash tables (preshed maps) keep a tombstone for each and only shed them when they double:
# they grow by about 50 bytes for every new word read (2,000 invitations: 110 -> 117 MB). A
# daemon reads invitations for months, so the reader is built afresh (0.1 s) every so often.
FRESH_AFTER = 1_000  # invitations read with one spaCy pipeline and matcher


@dataclass
class _Reader:
    nlp: Language
    matcher: Matcher
    reads: int = 0


_reader: list[_Reader] = []  # the current one, built on the first invitation


def _current() -> _Reader:
    """The date reader: spaCy's blank English pipeline and the date matcher, built afresh once
    it has read ``FRESH_AFTER`` invitations."""
    if not _reader or _reader[0].reads >= FRESH_AFTER:
        _reader[:] = [_build()]
    return _reader[0]


def _build() -> _Reader:
    import spacy  # noqa: PLC0415 - see the imports above
    from spacy.matcher import Matcher  # noqa: PLC0415
    from spacy.tokenizer import Tokenizer  # noqa: PLC0415

    nlp = spacy.blank("en")
    # English splits "Wed" as "We'd" written without its apostrophe ("We", "d"); here it is a day.
    tokenizer = nlp.tokenizer
    assert isinstance(tokenizer, Tokenizer)  # a blank pipeline's own
    rules = tokenizer.rules or {}
    tokenizer.rules = {k: v for k, v in rules.items() if k.lower() not in WEEKDAYS}
    matcher = Matcher(nlp.vocab)
    for key, patterns in _patterns().items():
        matcher.add(key, patterns, greedy="LONGEST")
    return _Reader(nlp, matcher)


def reads() -> int:
    """How many invitations the current date reader has read (at most ``FRESH_AFTER``)."""
    return _reader[0].reads if _reader else 0


def known_strings() -> frozenset[str]:
    """The strings the date reader's spaCy vocabulary holds: they must not grow with the mail
    read (see ``find_when``; checked by a test and ``bench/extraction.py``)."""
    return frozenset(_current().nlp.vocab.strings)


def _zone_after(doc: Doc, index: int, sent: datetime, home: tzinfo | None) -> tzinfo | None:
    """The zone named right after a time ("2pm ET", "14:00 (CET)"); the reader's own for "2pm
    your time"; else None."""
    words = [t for t in doc[index : index + 4] if not (t.is_space or t.text in {"(", ")"})]
    if [t.lower_ for t in words[:2]] == ["your", "time"]:
        return home
    for token in words[:2]:
        found = zone_named(token.text, sent)
        if found is not None:
            return found
        if token.lower_ not in {"time", "standard", "daylight"}:
            return None
    return None


_BETWEEN = frozenset({"between", "entre", "zwischen", "tussen", "tra", "fra"})
_THE_HOUR = frozenset({"las", "les", "le", "ore"})  # "entre las 10 y las 12"
_ANDS = frozenset("and y et und en e".split())  # "between 10 and 12", "entre las 10 y las 12"
_HOUR_WORDS = ["uhr", "uur", "h"]  # after a bare hour: "14 Uhr"


def _split_time(span: Span, moving: bool = False) -> tuple[str, str | None]:
    """(start, end) clock texts of a time match (see ``clock.time_range``); "between 10 and
    12" is "10-12". In a move (``moving``), "from 2pm to 3:30pm" is the new time, 3:30pm."""
    words = [t.text for t in span if not t.is_space]
    if words[0].lower() in {"à", "vers"}:  # "à 14h"
        words = [words[1].lower().replace("h", ":00")]
    if words[0].lower() in _BETWEEN:  # "between 10 and 12", "entre las 10:00 y las 13:00"
        words = ["-" if w.lower() in _ANDS else w for w in words[1:] if w.lower() not in _THE_HOUR]
    words = [w for w in words if w.lower() not in _HOUR_WORDS]  # "14 Uhr"
    start, end = time_range(" ".join(words))
    if moving and end is not None and any(t.lower_ in RANGE_WORDS for t in span[1:]):
        return end, None
    return start, end


def find_when(
    text: str, sent: datetime | None, home: tzinfo | None = None, *, zones_from_text: bool = True
) -> When:
    """Every proposed slot (in order, once each) and the reply-by deadline in ``text``.

    ``sent`` is the message's Date (relative dates count from it; its offset is the fallback
    zone); without one, relative dates count from the Unix epoch's Monday and zones default to UTC.
    ``home`` is the reader's zone: when the Date's offset is the one ``home`` had then, the
    sender is taken to be in it, so a time after a change of daylight-saving time keeps its
    wall-clock hour (a fixed offset would be an hour out). Without ``zones_from_text``, a zone
    named elsewhere in the text does not set the zone of the times written without one (the
    user's own text: their times are in ``home``).
    """
    reader = _current()
    reader.reads += 1
    # Every new word a doc meets stays in spaCy's vocabulary unless met in a memory zone, and a
    # daemon reads invitations for months; nothing made from the doc leaves the zone.
    with reader.nlp.memory_zone():
        return _find_when(reader.nlp, reader.matcher, text, sent, home, zones_from_text)


def _find_when(  # noqa: PLR0917 - find_when's arguments and the reader's two parts
    nlp: Language,
    matcher: Matcher,
    text: str,
    sent: datetime | None,
    home: tzinfo | None,
    zones_from_text: bool,
) -> When:
    base = sent or datetime(1970, 1, 5, tzinfo=UTC)
    doc = nlp.make_doc(spelled_times_as_digits(text[:20_000]))
    matches = sorted(((nlp.vocab.strings[k], s, e) for k, s, e in matcher(doc)), key=lambda m: m[1])
    same_as_home = (
        home is not None and sent is not None and home.utcoffset(sent) == sent.utcoffset()
    )
    default_zone: tzinfo = (
        (_zone_of_message(doc, base) if zones_from_text else None)
        or (home if same_as_home else None)
        or zone_at(base)  # -0500 in March is New York's: a time after its DST change is EDT
        or base.tzinfo
        or UTC
    )
    offset = base.utcoffset()
    reading = _Reading(doc, base, home, default_zone, offset is not None and offset >= _DMY_FROM)
    trimmed = [hour_trimmed(doc, s, e) for k, s, e in matches if k == "DATE"]
    dates = [(s, e) for s, e in trimmed if not (wed_for_we_d(doc, s, e) or _a_name(doc, s, e))]
    times = [
        (s, e)
        for k, s, e in matches
        if k == "TIME" and not any(ds <= s < de for ds, de in dates)  # "25.11." is a date
    ]
    deadlines = [(s, e) for s, e in dates if is_deadline(doc, s)]
    read_by = (reading.moment(d, "11:59 pm") for d in deadlines)
    deadline = next(  # the first reply-by date, else a count ("please reply within 48 hours")
        (d for d in read_by if d is not None), counted_deadline(text, sent) if sent else None
    )
    called = called_off(doc, dates)
    used = set(deadlines) | {d for d in dates if any(a <= d[0] < b for a, b in called)}
    slots, deadline = _slots(reading, dates, times[:MAX_TIMES], (called, used), deadline)

    def read(text: str) -> date | None:
        parsed = parse(text, "12:00", base, default_zone, reading.day_first)
        return None if parsed is None else parsed.date()

    free = [d for d in dates if d not in used]  # ``_slots`` adds the dates it offers
    weeks = [(s, e) for k, s, e in matches if k == "WEEK"]
    return When(tuple(slots), deadline, asked_days(doc, free, weeks, base, read))


# Words of the other languages' sentences around a date: a foreign weekday alone is a day only
# among them ("Passt Ihnen Dienstag um 10 Uhr?"); in English it is a name ("Anna Montag").
_FOREIGN_CUES = frozenset(
    "um uhr sie ihnen wir und ist ich der die das ein eine mit für oder passt gerne hallo "
    "à vous nous est heures je tu un une mon ma pour avec peut faire avant après ou sinon merci "
    "bonjour el las los usted te una por para con muy hola gracias hs "
    "alle il ore per ciao grazie lo "
    "om uur u het een jij wij lukt graag hoi groetjes".split()
)


def _a_name(doc: Doc, start: int, end: int) -> bool:
    """Whether the date ``doc[start:end]`` is a foreign weekday alone in English words."""
    word = doc[start].lower_
    if end - start != 1 or word not in FOREIGN_WEEKDAYS or word in WEEKDAYS:
        return False
    return not any(t.lower_ in _FOREIGN_CUES for t in doc[max(0, start - 8) : end + 8])


_MONTH_NAMES = frozenset(MONTHS) | {w for w in FOREIGN if w not in FOREIGN_WEEKDAYS}


def _months_in(doc: Doc, day: tuple[int, int]) -> str:
    """The month (and year) words of the date ``day``, "" when it names none."""
    words = [t.text for t in doc[day[0] : day[1]] if t.lower_ in _MONTH_NAMES or t.text.isdigit()]
    months = [w for w in words if w.lower() in _MONTH_NAMES]
    return " ".join(w for w in words if w in months or (months and len(w) == 4))


_DMY_FROM = timedelta(hours=-1)  # a Date's offset from which numeric dates are day first


@dataclass(frozen=True)
class _Reading:
    """What reading one message's dates and times needs besides its tokens."""

    doc: Doc
    base: datetime  # relative dates count from it
    home: tzinfo | None  # the reader's zone ("2pm your time")
    zone: tzinfo  # of the times written with none
    day_first: bool  # how "8/12" reads when nothing else decides

    def moment(
        self,
        day: tuple[int, int],
        clock: str,
        named: tzinfo | None = None,
        month_of: tuple[int, int] | None = None,
    ) -> datetime | None:
        """The date ``day`` at ``clock`` ("2:30 pm"), in the zone ``named`` or the message's;
        a day with no month of its own takes ``month_of``'s ("Tuesday 12 or Thursday 14
        March")."""
        date_text = self.doc[day[0] : day[1]].text
        if month_of is not None and not _months_in(self.doc, day):
            date_text = f"{date_text} {_months_in(self.doc, month_of)}".strip()
        # 25.11. is always D.M; "12/8 at 10am ET" is M/D, as written where ET is
        month_first = getattr(named, "key", "") in MONTH_FIRST_ZONES
        dmy = (self.day_first and not month_first) or _DOTTED_DATE.search(date_text) is not None
        return parse(date_text, clock, self.base, named or self.zone, dmy)

    def slot_on(
        self, day: tuple[int, int], clock: tuple[int, int], month_of: tuple[int, int] | None = None
    ) -> Slot | None:
        """The slot the time ``clock`` on the date ``day`` offers (its zone named after it)."""
        doc = self.doc
        named = _zone_after(doc, clock[1], self.base, self.home)
        start_clock, end_clock = _split_time(
            doc[clock[0] : clock[1]], moves_time_from(doc, clock[0])
        )
        start = self.moment(day, start_clock, named, month_of)
        end = self.moment(day, end_clock, named, month_of) if end_clock and start else None
        words = doc[min(day[0], clock[0]) : max(day[1], clock[1])].text
        ends = end if end is not None and start is not None and end > start else None
        return None if start is None else Slot(start, ends, " ".join(words.split()))


def _slots(
    reading: _Reading,
    dates: list[tuple[int, int]],
    times: list[tuple[int, int]],
    marks: tuple[tuple[tuple[int, int], ...], set[tuple[int, int]]],
    deadline: datetime | None,
) -> tuple[list[Slot], datetime | None]:
    """The slots the ``times`` offer, in order, and the deadline as a time written with it
    sets it ("by 5pm on Friday"). ``marks``: the stretches called off, and the dates already
    taken (deadlines), to which the dates of the slots are added."""
    doc = reading.doc
    called, used = marks
    slots: list[Slot] = []
    day = agenda(doc, dates, times)
    if day is not None:  # an onsite day's agenda: one slot, its first time to its last
        items = [reading.slot_on(day[0], clock) for clock in day[1]]
        first = items[0]
        ends = [i.end or i.start for i in items if i is not None]
        if first is not None and max(ends) > first.start:  # "12:00 lunch, 1:00 ...": 13:00
            named = doc[day[0][0] : day[0][1]].text.rstrip(" ,:")
            words = f"{named}, {doc[day[1][0][0] : day[1][0][1]].text}"
            slots.append(Slot(first.start, max(ends), " ".join(words.split())))
            used.add(day[0])
            times = [t for t in times if t not in day[1]]
    last_end = -10
    for clock in times:  # each costs dateparser calls; no invite has more
        on = slot_date(doc, dates, clock, last_end, called)
        slot = reading.slot_on(on, clock) if on is not None else None
        if on is None or slot is None:
            continue
        if limit(doc, on[0], clock[0]):  # "by 5pm on Friday", "a call before 11am": no slot
            deadline = _deadline_at(deadline, slot.start) if is_deadline(doc, on[0]) else deadline
            continue
        # "Monday, Tuesday or Wednesday at 2pm": each listed day at that time
        listed = [d for d in listed_before(doc, dates, on) if d not in used]
        for each in [*listed, on]:
            found = slot if each == on else reading.slot_on(each, clock, month_of=on)
            used.add(each)
            if found is not None and all(s.start != found.start for s in slots):
                slots.append(found)
        last_end = clock[1]
    return slots, deadline


# Zone names that are also ordinary words ("our Central London office", "Mountain View", "the
# Eastern Europe team"): they name the message's zone only as "Central Time" (or right after a
# time, which ``_zone_after`` reads).
_ZONE_WORDS = frozenset({"eastern", "central", "mountain", "pacific", "uk", "london"})
_ZONE_WORD_NEXT = frozenset({"time", "standard", "daylight"})


def _zone_of_message(doc: Doc, sent: datetime) -> tzinfo | None:
    """The first zone the message names (an abbreviation such as ET, CET or GMT+1, or a name
    followed by "time"): the zone of every time written without one."""
    for token in doc:
        zone = zone_named(token.text, sent)
        if zone is None:
            continue
        if token.lower_ not in _ZONE_WORDS:
            return zone
        after = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if after is not None and after.lower_ in _ZONE_WORD_NEXT:
            return zone
    return None


def _deadline_at(deadline: datetime | None, moment: datetime) -> datetime | None:
    """The deadline at the time written with it ("by 5pm on Friday", "until November 16 at
    5:00 PM PT"), when that time falls on the deadline's day; else the deadline unchanged (the
    end of its day)."""
    if deadline is not None and deadline.date() == moment.date() and deadline.time() == _DAY_END:
        return moment
    return deadline
