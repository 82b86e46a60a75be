"""When: proposed interview slots and reply-by deadlines in an invitation's text. Pure.

spaCy's ``Matcher`` finds the date expressions ("Thursday, 19 November", "11/24", "next Tuesday",
"tomorrow") and the times ("2:00-2:30 pm", "16:00–16:45", "10:30am"; hours in words, "half past
two", "three o'clock", are first written in digits) token by token; each time is
paired with the date before it on the same line (or the one right after: "at 3pm on Tuesday"),
and the pair is read by ``dateparser`` relative to the message's Date header. Time zones come
from the abbreviation or name after the time (ET, PT, CET, GMT+1, "Pacific"), else from a zone
named elsewhere in the message, else from the Date header's offset. A time in brackets right
after a slot ("16:00 CET (10:00 am ET)") is the same slot converted, not another one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from triage.clock import (
    MINUTES_RANGE_WORDS,
    MONTH_FIRST_ZONES,
    RANGE_WORDS,
    TIME_SHAPE,
    spelled_times_as_digits,
    time_range,
    zone_named,
)
from triage.datewords import (
    WEEKDAY_STEMS,
    asked_days,
    is_absence,
    is_deadline,
    moves_from,
    was_planned,
)
from triage.models import AskedDay

if TYPE_CHECKING:  # spaCy and dateparser load on the first invitation, not with the CLI
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, Span

_CLOCK_SHAPE = TIME_SHAPE.replace("[:.]", "[:.h]")  # and the French "16h00"
_GLUED_END = r"^(am|pm|a\.m\.|p\.m\.)[-–—]\d{1,2}([:.]\d{2})?(am|pm|a\.m\.|p\.m\.)?$"
_TIME_RANGE_SHAPE = r"^\d{1,2}([:.]\d{2})?(am|pm)?[-–—]\d{1,2}([:.]\d{2})?(am|pm)?$"
# A bare hour is a time only after these ("Monday at 2"); a dotted number after the others is a
# number ("Room 2.14"); a "Time:" line takes the date of the "Date:" line above it.
_BARE_HOUR_AFTER = frozenset({"at", "@", "around", "about", "um"})  # "um 14 Uhr"
_NOT_A_TIME_AFTER = frozenset(
    "room rm floor suite level unit building no no. number version v v. section chapter page "
    "step item ref ref.".split()
)
_TIME_LABELS = frozenset({"time", "hour", "hours", "when", "heure", "uhrzeit", "hora"})
_DAY_END = time(23, 59)  # a deadline with no time of its own lasts the whole day
_DOTTED_DATE = re.compile(r"\d\.\d")

MAX_TIMES = 60  # times of day read in one message
_MERIDIEMS = frozenset({"am", "pm", "a.m.", "p.m."})
WEEKDAYS = tuple(
    "monday tuesday wednesday thursday friday saturday sunday "
    "mon tue tues wed weds thu thur thurs fri sat sun".split()
)
MONTHS = tuple(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# Weekdays and months in the other languages invitations come in (``rules.JOB_WORDS``), read only
# in a date with its day number ("Montag, 7. Dezember", "lunes 7 de diciembre"): alone, some are
# names ("Domingo") or words ("Mars").
_FOREIGN_NAMES = {  # (weekdays, months) by language
    "de": ("montag dienstag mittwoch donnerstag freitag samstag sonntag",
           "januar februar märz maerz mai juni juli oktober dezember"),
    "fr": ("lundi mardi mercredi jeudi vendredi samedi dimanche",
           "janvier février fevrier mars avril juin juillet août aout septembre octobre "
           "novembre décembre decembre"),
    "es": ("lunes martes miércoles miercoles jueves viernes sábado sabado domingo",
           "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
           "diciembre"),
    "it": ("lunedì lunedi martedì martedi mercoledì mercoledi giovedì giovedi venerdì venerdi "
           "sabato domenica",
           "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre"),
    "nl": ("maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
           "januari februari maart mei augustus"),
}  # fmt: skip
_FOREIGN = {  # each name, weekday or month, and its language
    word: lang for lang, names in _FOREIGN_NAMES.items() for word in " ".join(names).split()
}
_ARTICLES = "den|der|le|el|il"  # before a foreign date's day: "Freitag, den 24. April"
_FOREIGN_WEEKDAYS = frozenset(w for days, _ in _FOREIGN_NAMES.values() for w in days.split())


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
    any_weekday = {"LOWER": {"IN": [*WEEKDAYS, *_FOREIGN]}}
    any_month = {"LOWER": {"IN": [*MONTHS, *_FOREIGN]}}
    foreign_month = {"LOWER": {"IN": [w for w in _FOREIGN if w not in _FOREIGN_WEEKDAYS]}}
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
    wrapped_comma = {"LOWER": {"REGEX": rf"\A(,|the|{_ARTICLES}|{wrap})\Z"}, "OP": "*"}
    wrapped_of = {"LOWER": {"REGEX": rf"\A(of|de|\.|{wrap})\Z"}, "OP": "*"}
    clock = {"TEXT": {"REGEX": _CLOCK_SHAPE}, "LOWER": {"NOT_IN": list(MONTHS)}}
    ampm = {"LOWER": {"IN": sorted(_MERIDIEMS)}, "OP": "?"}
    dash = {"LOWER": {"IN": ["-", "–", "—", *RANGE_WORDS]}}
    # "de 9h00 à 12h30", "de 9:00 al 12:30"; not "le jeudi 23 à 9h30", a day and a time
    minutes = {"TEXT": {"REGEX": r"^\d{1,2}[:.h]\d{2}$"}}
    a_to = {"LOWER": {"IN": list(MINUTES_RANGE_WORDS)}}
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
            # "Wed 25/11", and "Tuesday 24th", "Monday 23 through ..." with no month
            [weekday, comma, {"TEXT": {"REGEX": r"^\d{1,2}/\d{1,2}(/\d{2,4})?$"}}],
            [weekday, comma, day],
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
        ],
        "TIME": [
            [clock, ampm, dash, clock, ampm],
            [minutes, a_to, minutes],
            [minutes, a_to, {"TEXT": {"REGEX": r"^([01]?\d|2[0-3])h$"}}],  # "de 9h30 à 13h"
            [{"LOWER": "between"}, clock, ampm, {"LOWER": "and"}, clock, ampm],  # a range
            # "10:00 am–1:00 pm": the dash joins "am" to the end's clock in one token
            [clock, {"LOWER": {"REGEX": _GLUED_END}}, ampm],
            [{"TEXT": {"REGEX": _TIME_RANGE_SHAPE}}, ampm],
            [clock, {"LOWER": {"IN": sorted(_MERIDIEMS)}}],
            [{"TEXT": {"REGEX": r"^\d{1,2}[:.]\d{2}(am|pm)?$"}}],
            [{"TEXT": {"REGEX": r"^\d{1,2}(am|pm)$"}}],
            [{"TEXT": {"REGEX": r"^\d{1,2}h\d{2}$"}}],  # "11h00"
            [{"LOWER": {"IN": ["à", "vers"]}}, {"TEXT": {"REGEX": r"^([01]?\d|2[0-3])h$"}}],
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


def _split_time(span: Span) -> tuple[str, str | None]:
    """(start, end) clock texts of a time match (see ``clock.time_range``); "between 10 and
    12" is "10-12"."""
    words = [t.text for t in span if not t.is_space]
    if words[0].lower() in {"à", "vers"}:  # "à 14h"
        words = [words[1].lower().replace("h", ":00")]
    if words[0].lower() == "between":
        words = ["-" if w.lower() == "and" else w for w in words[1:]]
    return time_range(" ".join(words))


_WEEKDAY_DAY = re.compile(
    r"^([a-z]{3})[a-z]*[ ,]*(?:the )?(\d{1,2})(?:st|nd|rd|th)?$", re.IGNORECASE
)


def _month_named(date_text: str, base: datetime) -> str:
    """ "Tuesday 24th" with its month and year: the first day numbered so, from ``base``'s day
    on, that falls on that weekday (else the first so numbered); "Tues 4/14" as "4/14", or as
    the day of the two orders ("Tuesday 12/8": 8 December, not 12 August) on that weekday.
    Other dates as they are."""
    slashed = re.match(r"^(?:([a-z]+)[ ,]+)?(\d{1,2}/\d{1,2}(/\d{2,4})?)$", date_text.strip(), re.I)
    if slashed is not None:  # "Tues 4/14": the numbers say the day
        return _slashed_day(slashed[1] or "", slashed[2], base) or slashed[2]
    dotted = re.match(r"^([a-z]+)[\s,]+(\d{1,2})\.(\d{1,2})\.?$", date_text.strip(), re.I)
    if dotted is not None:  # "Tuesday 8.12.": day first, always
        return f"{dotted[2]}/{dotted[3]}"
    found = _WEEKDAY_DAY.match(date_text.strip())
    if found is None or found[1].lower() not in WEEKDAY_STEMS:
        return date_text
    number, weekday = int(found[2]), WEEKDAY_STEMS.index(found[1].lower())
    days = [base.date() + timedelta(days=n) for n in range(-1, 366)]
    numbered = [d for d in days if d.day == number]
    if not numbered:
        return date_text
    day = next((d for d in numbered if d.weekday() == weekday), numbered[0])
    return f"{day.day} {day:%B} {day.year}"


def _slashed_day(weekday: str, numbers: str, base: datetime) -> str | None:
    """ "12/8": of 12 August and 8 December (each the next from ``base``'s day, or in the year
    written), the one that falls on ``weekday`` ("Tuesday 12/8": 8 December), the only one that
    exists ("4/14"), or the only one in the coming weeks (on 1 December, "8/12" and "12/8" are
    both the 8th); else None, and the Date's custom decides."""
    first, second, *year = (int(n) for n in numbers.split("/"))
    found: list[date] = []
    for month, day in {(first, second), (second, first)}:
        for offset in range(2):
            in_year = year[0] if year else base.year + offset
            try:
                candidate = date(in_year + (2000 if in_year < 100 else 0), month, day)
            except ValueError:
                continue
            if year or candidate >= base.date() - timedelta(days=1):
                found.append(candidate)
                break
    stem = weekday[:3].lower()
    if stem in WEEKDAY_STEMS:
        on_day = [d for d in found if d.weekday() == WEEKDAY_STEMS.index(stem)]
        found = on_day if len(on_day) == 1 else found
    soon = [d for d in found if d <= base.date() + _SOON]  # an interview weeks, not months, ahead
    found = soon if len(soon) == 1 and not year else found
    return f"{found[0].day} {found[0]:%B} {found[0].year}" if len(found) == 1 else None


_SOON = timedelta(days=21)  # most interviews are offered within three weeks


# Weekday abbreviations dateparser does not read ("thurs 3pm"), as it reads them.
_ABBREVIATED = re.compile(r"\b(tues|weds|thurs?)\b", re.IGNORECASE)
_UNABBREVIATED = {"tues": "tuesday", "weds": "wednesday", "thur": "thursday", "thurs": "thursday"}


def _parse(
    date_text: str, clock: str, base: datetime, zone: tzinfo, day_first: bool
) -> datetime | None:
    date_text = _month_named(date_text, base)
    date_text = _ABBREVIATED.sub(lambda m: _UNABBREVIATED[m[1].lower()], date_text)
    settings = {
        "RELATIVE_BASE": base.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "DMY" if day_first else "MDY",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    import dateparser  # noqa: PLC0415 - see the imports above

    try:
        words = re.findall(r"\w+", date_text.lower())
        languages = [*{_FOREIGN[w] for w in words if w in _FOREIGN}, "en"]
        if len(languages) > 1:  # "Freitag, den 24. April": dateparser reads no article
            date_text = re.sub(rf"\b(?:{_ARTICLES})\b", " ", date_text, flags=re.IGNORECASE)
        parsed = dateparser.parse(f"{date_text} {clock}", languages=languages, settings=settings)
    except (OverflowError, ValueError):  # "next Tuesday" from a Date in the year 9999
        return None
    return None if parsed is None else parsed.replace(tzinfo=zone)


def _not_a_new_time(doc: Doc, start: int, end: int, last_end: int) -> bool:
    """A time match that is no slot of its own: "16:00 CET (10:00 am ET)" is the same slot in
    another zone; "Room 2.14" and "version 1.10" are numbers, and so is a bare number unless it
    follows "at" ("Monday at 2"), and "between 3 and 5 candidates"."""
    before = doc[start - 1] if start > 0 else None
    if (
        end - start == 1
        and doc[start].text.isdigit()
        and (before is None or before.lower_ not in _BARE_HOUR_AFTER)
    ):
        return True  # "3 rooms"; but "Monday at 2" is a time
    if _counted(doc, start, end):
        return True
    if before is None:
        return False
    return (before.text == "(" and start - last_end <= 4) or before.lower_ in _NOT_A_TIME_AFTER


def _counted(doc: Doc, start: int, end: int) -> bool:
    """Whether "between 3 and 5" (bare numbers) counts things ("between 3 and 5 candidates",
    "ages between 18 and 25"), not hours ("between 10 and 12 on Monday", "... if that works")."""
    if doc[start].lower_ != "between" or any(
        ":" in t.text or t.lower_ in _MERIDIEMS for t in doc[start:end]
    ):
        return False
    if any(int(t.text) > 24 for t in doc[start:end] if t.text.isdigit()):
        return True  # "ages between 18 and 25"
    after = next((t for t in doc[end : end + 2] if not t.is_space), None)
    if after is None or not after.is_alpha:
        return False
    word = after.lower_
    plural = len(word) > 3 and word.endswith("s") and word not in _VERBS_IN_S  # "slots"
    return word in _COUNTED or plural


_VERBS_IN_S = frozenset("works suits sounds seems fits looks does is was".split())
# Things counted in "between 3 and 5 ...", not hours: "between 10 and 12 if that works" is a time.
_COUNTED = frozenset(
    "candidates people persons applicants interviews rounds days weeks months years hours "
    "minutes questions members interviewers years' percent % employees staff roles positions "
    "years. references stages steps calls".split()
)


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
        or base.tzinfo
        or UTC
    )
    day_first = base.utcoffset() is not None and base.utcoffset() >= timedelta(hours=-1)  # type: ignore[operator]
    dates = [
        _hour_trimmed(doc, s, e)
        for k, s, e in matches
        if k == "DATE" and not _wed_for_we_d(doc, s, e)
    ]
    times = [
        (s, e)
        for k, s, e in matches
        if k == "TIME" and not any(ds <= s < de for ds, de in dates)  # "25.11." is a date
    ]
    slots: list[Slot] = []
    deadline: datetime | None = None
    deadlines = [(s, e) for s, e in dates if is_deadline(doc, s)]
    used = set(deadlines)  # and, below, the slots' dates
    for d_start, d_end in deadlines:
        if deadline is None:
            deadline = _parse(doc[d_start:d_end].text, "11:59 pm", base, default_zone, day_first)
    last_end = -10
    for t_start, t_end in times[:MAX_TIMES]:  # each costs dateparser calls; no invite has more
        span = doc[t_start:t_end]
        on = _slot_date(doc, dates, (t_start, t_end), last_end)
        if on is None:
            continue
        date_text = doc[on[0] : on[1]].text
        named = _zone_after(doc, t_end, base, home)
        zone = named or default_zone
        start_clock, end_clock = _split_time(span)
        # 25.11. is always D.M; "12/8 at 10am ET" is M/D, as written where ET is
        month_first = getattr(named, "key", "") in MONTH_FIRST_ZONES
        dmy = (day_first and not month_first) or _DOTTED_DATE.search(date_text) is not None
        start = _parse(date_text, start_clock, base, zone, dmy)
        if start is None:
            continue
        if _limit(doc, on[0], t_start):  # "by 5pm on Friday", "a call before 11am": no slot
            deadline = _deadline_at(deadline, start) if is_deadline(doc, on[0]) else deadline
            continue
        used.add(on)
        end = _parse(date_text, end_clock, base, zone, dmy) if end_clock else None
        if end is not None and end <= start:
            end = None
        words = doc[min(on[0], t_start) : max(on[1], t_end)].text
        if all(s.start != start for s in slots):
            slots.append(Slot(start, end, " ".join(words.split())))
        last_end = t_end

    def read(text: str) -> date | None:
        parsed = _parse(text, "12:00", base, default_zone, day_first)
        return None if parsed is None else parsed.date()

    free = [d for d in dates if d not in used]
    weeks = [(s, e) for k, s, e in matches if k == "WEEK"]
    return When(tuple(slots), deadline, asked_days(doc, free, weeks, base, read))


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


def _slot_date(
    doc: Doc, dates: list[tuple[int, int]], clock: tuple[int, int], last_end: int
) -> tuple[int, int] | None:
    """The date a time of day proposes a slot on, or None when it proposes none: no date, the
    same slot in another zone, a number, or the old plan ("that was set for tomorrow at 1pm")."""
    if _not_a_new_time(doc, clock[0], clock[1], last_end):
        return None
    date = _date_for(doc, dates, clock[0], clock[1])
    start = min(date[0], clock[0]) if date is not None else 0
    if date is None or was_planned(doc, start) or is_absence(doc, start) or _days_range(doc, date):
        return None
    return date


def _days_range(doc: Doc, date: tuple[int, int]) -> bool:
    """Whether the date is a lone weekday ending a range of three weekdays or more: office hours
    or a run of days ("Monday to Friday, 8:00-16:00", "Tuesday to Thursday around 11"), not one
    day; but a move names it ("move your interview from Monday to Wednesday at 3pm")."""
    if date[1] - date[0] != 1:
        return False
    tokens = [t for t in doc[max(0, date[0] - 3) : date[1]] if not t.is_space]
    words = [t.lower_[:3] for t in tokens]
    if len(words) < 3 or words[-2] not in {"to", "thr", "-", "–", "unt", "til"}:
        return False
    first, last = words[-3], words[-1]
    return (
        first in WEEKDAY_STEMS
        and last in WEEKDAY_STEMS
        and (WEEKDAY_STEMS.index(last) - WEEKDAY_STEMS.index(first)) % 7 >= 2
        and not moves_from(doc, tokens[-3].i)
    )


def _limit(doc: Doc, date_start: int, time_start: int) -> bool:
    """Whether a time on a date is a reply-by deadline ("by 5pm on Friday") or a limit on the
    meeting ("a call before 11am on Tuesday", "available until 4pm"), not a slot."""
    before = doc[time_start - 1].lower_ if time_start > 0 else ""
    return before in {"before", "until", "till"} or is_deadline(doc, date_start)


def _deadline_at(deadline: datetime | None, moment: datetime) -> datetime | None:
    """The deadline at the time written with it ("by 5pm on Friday", "until November 16 at
    5:00 PM PT"), when that time falls on the deadline's day; else the deadline unchanged (the
    end of its day)."""
    if deadline is not None and deadline.date() == moment.date() and deadline.time() == _DAY_END:
        return moment
    return deadline


def _labelled_lines(between: Span) -> bool:
    """Whether ``between`` runs from a date at the end of a "Date:" line to the start of a
    time on the next line, labelled "Time:" (or "Hour:", "When:")."""
    lines = between.text.split("\n")
    return (
        len(lines) == 2
        and not lines[0].strip()
        and lines[1].strip().lower().rstrip(" :") in _TIME_LABELS
    )


# "Wed" followed by one of these is "We'd" typed without its apostrophe ("wed love to meet you",
# "Wed be happy to"); anywhere else it is Wednesday ("Wed 2pm", "Wed: 9am-11am", "Would Wed work?").
_WE_D_VERBS = frozenset(
    "love like be need want prefer appreciate have rather welcome suggest recommend expect hope "
    "also still really just definitely probably then".split()
)


_HOUR_NEXT = _MERIDIEMS | {"-", "–", "—", "to", "till", "until", "o'clock"}


def _hour_trimmed(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """A weekday and a bare number followed by "am" or a range ("Tuesday 3 pm", "Monday 10 -
    11am"): the number is an hour, not the day; the date is the weekday alone."""
    last = doc[end - 1]
    after = next((t for t in doc[end : end + 2] if not t.is_space), None)
    hour = last.text.isdigit() and after is not None and after.lower_ in _HOUR_NEXT
    no_month = not any(t.lower_ in MONTHS for t in doc[start:end])  # "Monday, April 13 - 10:00"
    if end - start > 1 and hour and no_month and doc[start].lower_[:3] in WEEKDAY_STEMS:
        return start, start + 1
    return start, end


def _wed_for_we_d(doc: Doc, start: int, end: int) -> bool:
    """Whether the date ``doc[start:end]`` is a lone "Wed" that reads as "We'd"."""
    if end - start != 1 or doc[start].lower_ != "wed":
        return False
    after = next((t for t in doc[end : end + 2] if not t.is_space), None)
    return after is not None and after.lower_ in _WE_D_VERBS


_WRAP_JOINS = frozenset({"at", "from", "@"})
# Between a time and a date after it, these start another option ("4pm or Friday 20 November"),
# unless another time stands between ("10:00 or 14:00 on Friday" offers both on Friday).
_NEXT_OPTION = frozenset({"or", "and", ";", "."})


def _wrapped(doc: Doc, date: tuple[int, int], between: Span) -> bool:
    """Whether a time after a line break belongs to the date ending the line above: "Thursday
    19 November\nat 4:00 pm" ("at", "from" or "@" joins them), or a calendar's "Monday, April
    20, 2026\n11:00 AM" (a date with its day number); not "Office hours Monday to Friday\n9:00"."""
    breaks = [t for t in between if "\n" in t.text]
    joined = any(t.lower_ in _WRAP_JOINS for t in between)
    return (
        len(breaks) == 1
        and breaks[0].text.count("\n") == 1
        and breaks[0].is_space
        and all(t.is_space or t.lower_ in _WRAP_JOINS or t.text == "," for t in between)
        and (joined or any(t.text[:1].isdigit() for t in doc[date[0] : date[1]]))
    )


def _another_option(between: Span) -> bool:
    """Whether the words between a time and a date after it start another option."""
    options = any(t.lower_ in _NEXT_OPTION for t in between)
    return options and not any(re.match(TIME_SHAPE, t.lower_) for t in between)


def _date_on(doc: Doc, dates: list[tuple[int, int]], t_end: int) -> tuple[int, int] | None:
    """The date right after a time and "on" ("3pm on Wednesday", "10:00 ET on the 20th"), on
    the same line, or on the next when the text wraps there ("between 10 and 12\non Thursday";
    not "10am\nOn Thursday we ...", a new line's sentence)."""
    index = t_end
    while index < len(doc) and (
        doc[index].lower_ in _MERIDIEMS or zone_named(doc[index].text) is not None
    ):
        index += 1
    if (
        index < len(doc) - 1
        and doc[index].text.strip(" \t") == "\n"
        and doc[index + 1].text == "on"
    ):
        index += 1  # one line break, and "on" in lower case: the sentence goes on
    if index >= len(doc) or doc[index].lower_ != "on":
        return None
    index += 1
    if index < len(doc) and doc[index].lower_ == "the":
        index += 1
    return next(((s, e) for s, e in dates if s == index), None)


def _date_for(
    doc: Doc, dates: list[tuple[int, int]], t_start: int, t_end: int
) -> tuple[int, int] | None:
    """The date a time belongs to: the one right after it and "on" ("3pm on Wednesday"), else
    the last one before it on its line, else, on a "Time:" line, the date of the "Date:" line
    just above (as scheduling systems write them), else one right after (not another option's),
    else the date ending the line above (see ``_wrapped``)."""
    on = _date_on(doc, dates, t_end)
    if on is not None:  # "11am on Tuesday 17 November or 3pm on Wednesday 18 November"
        return on
    wrapped = None
    for d_start, d_end in reversed(dates):
        if d_end <= t_start:
            between = doc[d_end:t_start]
            if len(between) > 12 or any(
                "\n" in t.text
                or t.is_sent_end
                or t.text in {"?", "!"}
                or (t.text == "." and t.i > d_end)
                for t in between
            ):
                if _labelled_lines(between):
                    return d_start, d_end
                if _wrapped(doc, (d_start, d_end), between):
                    wrapped = d_start, d_end
                break
            return d_start, d_end
    reach = t_end + 3 + sum(t.lower_ in _MERIDIEMS for t in doc[t_end : t_end + 6])  # "2 pm"
    for d_start, d_end in dates:
        after = doc[t_end:d_start]
        if (
            t_end <= d_start <= reach
            and not any("\n" in t.text for t in after)
            and not _another_option(after)
        ):
            return d_start, d_end
    return wrapped  # "Thursday 19 November\nat 4:00 pm", unless a date follows on its line
