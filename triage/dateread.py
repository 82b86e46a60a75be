"""A date's words read as a day: English weekday and month names and those of the other languages
invitations come in, the two orders of "12/8", a weekday with a bare day number ("Tuesday
24th"), and ``dateparser`` for the rest. Pure; dateparser loads on the first date read."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, tzinfo

from triage.clock import WEEKDAY_STEMS

WEEKDAYS = tuple(
    "monday tuesday wednesday thursday friday saturday sunday "
    "mon tue tues wed weds thu thur thurs fri sat sun".split()
)
MONTHS = tuple(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# Weekdays and months in the other languages invitations come in (``rules.JOB_WORDS``). A month
# is read only in a date with its day number ("Montag, 7. Dezember", "lunes 7 de diciembre"):
# alone, some are words ("Mars"); a weekday alone only among words of its language (``when``).
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
FOREIGN = {  # each name, weekday or month, and its language
    word: lang for lang, names in _FOREIGN_NAMES.items() for word in " ".join(names).split()
}
ARTICLES = "den|der|le|el|il"  # before a foreign date's day: "Freitag, den 24. April"
FOREIGN_WEEKDAYS = frozenset(w for days, _ in _FOREIGN_NAMES.values() for w in days.split())


_WEEKDAY_DAY = re.compile(
    rf"^(\w+)[ ,]*(?:(?:the|{ARTICLES}) )?(\d{{1,2}})(?:st|nd|rd|th|\.)?$", re.IGNORECASE
)


def _plain(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


# Each foreign weekday's number, Monday 0: the names of a language in order, accents aside
_FOREIGN_WEEKDAY_NUMBERS = {
    name: [*dict.fromkeys(_plain(w) for w in days.split())].index(_plain(name))
    for days, _ in _FOREIGN_NAMES.values()
    for name in days.split()
}


def weekday_number(word: str) -> int | None:
    """The weekday ``word`` names (Monday 0), in English ("Tues") or another language
    ("mercredi"); None for any other word."""
    word = word.lower()
    if word in _FOREIGN_WEEKDAY_NUMBERS:
        return _FOREIGN_WEEKDAY_NUMBERS[word]
    return WEEKDAY_STEMS.index(word[:3]) if word in WEEKDAYS else None


def _month_named(date_text: str, base: datetime) -> str:
    """ "Tuesday 24th" with its month and year: the first day numbered so, from ``base``'s day
    on, that falls on that weekday (else the first so numbered); "Tues 4/14" as "4/14", or as
    the day of the two orders ("Tuesday 12/8": 8 December, not 12 August) on that weekday.
    Other dates as they are."""
    slashed = re.match(r"^(?:([a-z]+)[ ,]+)?(\d{1,2}/\d{1,2}(/\d{2,4})?)$", date_text.strip(), re.I)
    if slashed is not None:  # "Tues 4/14": the numbers say the day
        return _slashed_day(slashed[1] or "", slashed[2], base) or slashed[2]
    dotted = re.match(r"^(\w+)[\s,]+(\d{1,2})\.(\d{1,2})\.?$", date_text.strip())
    if dotted is not None:  # "Tuesday 8.12.", "Dienstag, 16.04": day first, always
        return f"{dotted[2]}/{dotted[3]}"
    found = _WEEKDAY_DAY.match(date_text.strip())
    weekday = None if found is None else weekday_number(found[1])
    if found is None or weekday is None:
        return date_text
    number = int(found[2])
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


def parse(
    date_text: str, clock: str, base: datetime, zone: tzinfo, day_first: bool
) -> datetime | None:
    """The moment ``date_text`` at ``clock`` ("2:30 pm") in ``zone``, the next such from
    ``base`` when the date is relative ("Tuesday"); ``day_first`` for numeric dates without a
    weekday to decide ("8/12"). None when it is no date."""
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
        languages = [*{FOREIGN[w] for w in words if w in FOREIGN}, "en"]
        if len(languages) > 1:  # "Freitag, den 24. April": dateparser reads no article
            date_text = re.sub(rf"\b(?:{ARTICLES})\b", " ", date_text, flags=re.IGNORECASE)
        parsed = dateparser.parse(f"{date_text} {clock}", languages=languages, settings=settings)
    except (OverflowError, ValueError):  # "next Tuesday" from a Date in the year 9999
        return None
    return None if parsed is None else parsed.replace(tzinfo=zone)
