"""Times of day and time zones as written in mail: pure string functions for ``when``.

Zone abbreviations and names ("ET", "CET", "Pacific", "GMT+1"), hours written in words ("half
past two", "three o'clock") turned into digits, and clock texts ("2", "14.30", "11h00",
"9:30 a.m.") normalised to the form dateparser reads best ("2:30 pm").
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

ZONES: dict[str, str] = {
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "eastern": "America/New_York",
    "ct": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "central": "America/Chicago",
    "mt": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "mountain": "America/Denver",
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "gmt": "UTC",
    "utc": "UTC",
    "bst": "Europe/London",
    "uk": "Europe/London",
    "london": "Europe/London",
    "cet": "Europe/Paris",
    "cest": "Europe/Paris",
    "eet": "Europe/Athens",
    "eest": "Europe/Athens",
    "ist": "Asia/Kolkata",
    "sgt": "Asia/Singapore",
    "jst": "Asia/Tokyo",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
}
# Abbreviations that are words in the languages invitations come in ("L'entretien est prévu",
# "das Gespräch ist am Montag", "et"): zones only in capitals.
_ALSO_WORDS = frozenset({"est", "et", "ist"})
# Abbreviations other zones use too: the Date's offset picks one of these (``zone_named``).
_SHARED = {"ist": ("Asia/Jerusalem", "Europe/Dublin"), "cst": ("Asia/Shanghai",)}
MONTH_FIRST_ZONES = frozenset(v for v in ZONES.values() if v.startswith("America/"))  # "12/8"


def zone_at(moment: datetime) -> tzinfo | None:
    """A named zone that had ``moment``'s offset then (the first of ``ZONES``: -0500 in
    December is New York's), so later times follow its daylight-saving changes; None for UTC or
    an offset no such zone has."""
    offset = moment.utcoffset()
    if not offset:
        return None
    for key in dict.fromkeys(ZONES.values()):
        local = moment.astimezone(ZoneInfo(key))
        if local.utcoffset() == offset and not (local.tzname() or "+").startswith(("+", "-")):
            return ZoneInfo(key)
    return None


def zone_label(moment: datetime) -> str:
    """The abbreviation to write after ``moment``: its zone's ("EST", "CET"), or for a bare
    offset (a Date header's "-0500") the abbreviation of a zone that had that offset then
    ("EST"; -0500 in June is "CDT"), else the offset as written ("UTC+04:00")."""
    name = moment.tzname() or ""
    if not name.startswith("UTC"):
        return name
    named = zone_at(moment)
    return (moment.astimezone(named).tzname() or name) if named is not None else name


# Words that join the two ends of a range of times: "9 to 11", "de 9h00 à 11h00", "9 bis 11 Uhr".
RANGE_WORDS = ("to", "until", "till", "bis", "tot")
# ... and these only between two times with their minutes ("9h30 à 13h"; "le jeudi 10 à 9h30" is
# a day and a time, and "a" is English's article).
MINUTES_RANGE_WORDS = ("à", "al", "a", "alle")
WEEKDAY_STEMS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Monday is 0, as in datetime
MERIDIEMS = frozenset({"am", "pm", "a.m.", "p.m."})
TIME_SHAPE = r"^\d{1,2}([:.]\d{2})?(am|pm|a\.m\.|p\.m\.)?$"  # one token: "2", "14:30", "9am"
_OFFSET_ZONE = re.compile(r"^(?:gmt|utc)([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def zone_named(word: str, sent: datetime | None = None) -> tzinfo | None:
    """The time zone an abbreviation or name stands for ("ET", "CET", "GMT+1"), or None. An
    abbreviation several zones use ("IST": India, Israel, Ireland's summer) is the one it names
    at the Date (``sent``) with the Date's offset, else the commonest."""
    key = word.strip("()").lower()
    if key in _ALSO_WORDS and not word.strip("()").isupper():  # French "est", German "ist"
        return None
    if key == "gmt":  # GMT as written: UTC+0 all year, unlike London's summer time
        return timezone(timedelta(0), "GMT")
    if key in ZONES:
        local = sent.replace(tzinfo=None) if sent is not None else None
        for other in (ZoneInfo(name) for name in _SHARED.get(key, ())):
            named = other.tzname(local) == key.upper()  # Dublin's winter is GMT, not IST
            if sent is not None and named and other.utcoffset(local) == sent.utcoffset():
                return other
        return ZoneInfo(ZONES[key])
    offset = _OFFSET_ZONE.match(key)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        delta = timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3) or 0))
        return timezone(sign * delta)
    return None


# Hours written in words, read as digits before matching: "three o'clock", "half past two",
# "quarter to four", "ten am", and "at three" closing a phrase ("Friday at three?").
_HOURS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve")  # fmt: skip
_HOUR = "|".join(_HOURS)
_BARE_HOUR_ENDS = (  # "at three" is a time when a phrase ends there, or "works", "or", ...
    r"(?=\s*(?:[?.,!;)]|$)"
    r"|\s+(?:or|works?|suits?|is|be|would|could|ok|okay|fine|(?:your|our|my)\s+time)\b)"
)
_SPELLED_TIME = re.compile(
    rf"\b(?:(?P<part>half|quarter)\s+(?P<way>past|to)\s+(?P<of>{_HOUR})"
    rf"|(?P<hour>{_HOUR})(?:\s*o'?\s*clock|(?=\s*[ap]\.?\s?m\b))"
    rf"|(?<=\bat\s)(?P<bare>{_HOUR}){_BARE_HOUR_ENDS})\b",
    re.IGNORECASE | re.MULTILINE,
)


def _hour_in_digits(match: re.Match[str]) -> str:
    if match["part"]:
        hour = _HOURS.index(match["of"].lower()) + 1
        if match["part"].lower() == "half":
            return f"{hour}:30"
        if match["way"].lower() == "past":
            return f"{hour}:15"
        return f"{(hour - 2) % 12 + 1}:45"  # quarter to four: 3:45; quarter to one: 12:45
    hour = _HOURS.index((match["hour"] or match["bare"]).lower()) + 1
    return f"{hour}:00" if match["hour"] and "clock" in match[0].lower() else str(hour)


def spelled_times_as_digits(text: str) -> str:
    """``text`` with the hours written in words written in digits ("half past two" -> "2:30")."""
    return _SPELLED_TIME.sub(_hour_in_digits, text)


def clock_text(text: str, meridiem: str) -> str:
    """A time as dateparser reads it best: '2:30 pm'; a bare hour 1-7 is read as afternoon."""
    text = text.lower().replace(".", ":") if re.match(r"^\d{1,2}\.\d{2}", text) else text.lower()
    text = re.sub(r"^(\d{1,2})h(\d{2})?$", lambda m: f"{m[1]}:{m[2] or '00'}", text)  # "11h00"
    match = re.match(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a:m:|p:m:|a\.m\.|p\.m\.)?$", text)
    if not match:
        return "12:00 pm" if text in {"noon", "midday"} else text
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or meridiem).replace(".", "").replace(":", "")
    if not suffix and 1 <= hour <= 7 and not text.startswith("0"):  # "07:30" is a 24-hour clock
        suffix = "pm"
    return f"{hour}:{minute:02d} {suffix}".strip()


def meridiem(side: str) -> tuple[str, str]:
    """("9:30", "am") from "9:30 am", "9:30am" or "9:30 a.m."; ("9:30", "") without one."""
    found = re.match(r"^(.*?)\s*(am|pm|a\.m\.|p\.m\.)?$", side.strip(), re.IGNORECASE)
    if found is None:  # pragma: no cover - the pattern matches every string
        return side, ""
    return found.group(1), (found.group(2) or "").lower().replace(".", "")


def time_range(joined: str) -> tuple[str, str | None]:
    """(start, end) clock texts of a time or a range of times as written. Each side keeps its
    own am/pm ("9:30 am - 1:00 pm"); a start without one takes the end's ("2:00-2:30 pm")."""
    words = "|".join(RANGE_WORDS + MINUTES_RANGE_WORDS)  # whole words: not the "a" of "a.m."
    sides = re.split(rf"\s*(?:[-–—]|(?<![\w.])(?:{words})(?![\w.]))\s*", joined, maxsplit=1)
    (start_text, start_meridiem), *rest = (meridiem(side) for side in sides if side)
    end_text, end_meridiem = rest[0] if rest else (None, "")
    end = clock_text(end_text, end_meridiem) if end_text else None
    start = clock_text(start_text, start_meridiem or end_meridiem)
    if not start_meridiem and end is not None and _minutes(start) > _minutes(end):
        # "11-12pm" and "10-2pm" start in the morning: a range does not run backwards.
        start = clock_text(start_text, "am" if end_meridiem == "pm" else start_meridiem)
    return start, end


def _minutes(clock: str) -> int:
    """Minutes after midnight of a ``clock_text`` result ("2:30 pm" -> 870); -1 if unreadable."""
    found = re.match(r"^(\d{1,2}):(\d{2})(?: (am|pm))?$", clock)
    if found is None:
        return -1
    hour = int(found[1]) % 12 if found[3] else int(found[1])
    return (hour + (12 if found[3] == "pm" else 0)) * 60 + int(found[2])
