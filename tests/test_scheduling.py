"""Choosing times: slots and deadlines read from text, availability, busy times, .ics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from triage import dateread, datewords, when
from triage.availability import (
    Availability,
    first_fitting,
    fits,
    parse_availability,
    parse_blackout,
    propose_windows,
)
from triage.clock import zone_named
from triage.models import AskedDay, SlotTime
from triage.when import find_when, known_strings, reads

NY = ZoneInfo("America/New_York")
SENT = datetime(2026, 11, 17, 9, 14, tzinfo=timezone(timedelta(hours=-5)))  # a Tuesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Thursday, 19 November, 2:00-2:30 pm ET",
            [("2026-11-19T14:00:00-05:00", "2026-11-19T14:30:00-05:00")],
        ),
        (  # a date wrapped across lines is one date; a blank line parts it
            "Thursday 19 November at 17:00 CET or Friday 20\nNovember at 15:00 CET?\n\n"
            "Or Monday 23\n\nNovember at 15:00 CET?",
            [("2026-11-19T17:00:00+01:00", None), ("2026-11-20T15:00:00+01:00", None)],
        ),
        (  # the dash joins "am" to the end's clock in one token
            "Monday 23 November, 10:00 am–1:00 pm EST",
            [("2026-11-23T10:00:00-05:00", "2026-11-23T13:00:00-05:00")],
        ),
        (
            "Monday 23 November, 10:00 a.m.–1:00pm EST",
            [("2026-11-23T10:00:00-05:00", "2026-11-23T13:00:00-05:00")],
        ),
        (  # a line wrapped between a date and its time; but a date after the time wins
            "Thursday 19 November\nat 4:00 pm ET, or Friday 20 November at\n09:30 ET. Or Monday"
            " 23 November\n2pm on Tuesday 24 November?",
            [
                ("2026-11-19T16:00:00-05:00", None),
                ("2026-11-20T09:30:00-05:00", None),
                ("2026-11-24T14:00:00-05:00", None),
            ],
        ),
        (  # both times on the date after them; but office hours in a signature are no slot
            "Would 10:00 or 14:00 on Friday 20 November work?\n\nOffice hours Monday to Friday"
            "\n9:00 am - 5:00 pm EST",
            [("2026-11-20T10:00:00-05:00", None), ("2026-11-20T14:00:00-05:00", None)],
        ),
        (  # a time and "on" its date, each its own
            "Would 11am on Tuesday 24 November or 3pm on Wednesday 25 November? Or 10am or 2 pm"
            " on Friday 27 November?",
            [
                ("2026-11-24T11:00:00-05:00", None),
                ("2026-11-25T15:00:00-05:00", None),
                ("2026-11-27T10:00:00-05:00", None),
                ("2026-11-27T14:00:00-05:00", None),
            ],
        ),
        (  # a weekday and its day number with no month; but "Tuesday 3 pm" is 3 pm on Tuesday
            "Would Tuesday 24th at 2pm or Wed the 2nd at 9am work? If not, Thursday 3 pm.",
            [
                ("2026-11-24T14:00:00-05:00", None),
                ("2026-12-02T09:00:00-05:00", None),
                ("2026-11-19T15:00:00-05:00", None),
            ],
        ),
        (  # a list with the weekdays' short names, "Tues 4/14" by its numbers
            "Could you do one of these?\nMon: 2-4pm\nWed: 9am-11am\nThurs 12/3 - 10:00",
            [
                ("2026-11-23T14:00:00-05:00", "2026-11-23T16:00:00-05:00"),
                ("2026-11-18T09:00:00-05:00", "2026-11-18T11:00:00-05:00"),
                ("2026-12-03T10:00:00-05:00", None),
            ],
        ),
        (  # "wed" typed for "We'd" is no day
            "Hi Sam, wed love to meet you at 3pm on Friday 20 November. Wed be glad to.",
            [("2026-11-20T15:00:00-05:00", None)],
        ),
        (  # "Wed" is a day, not "We'd"; "2pm or Fri" is not 2pm on Friday
            "Something like Wed 2pm or Fri 10am PT? We'd love to.",
            [("2026-11-18T14:00:00-08:00", None), ("2026-11-20T10:00:00-08:00", None)],
        ),
        (  # a number ending the line above is no day of the date below
            "Please pick one:\n1\nDecember 3, 10:00 am ET\n2\nDecember 4, 2:00 pm ET\nRoom 12",
            [("2026-12-03T10:00:00-05:00", None), ("2026-12-04T14:00:00-05:00", None)],
        ),
        (
            "Tuesday 24 November, 16:00–16:45 CET (10:00 am ET)",
            [("2026-11-24T16:00:00+01:00", "2026-11-24T16:45:00+01:00")],
        ),
        (
            "Does Monday 23 November at 1:00 pm PT or Tuesday 24 November at 3:30 pm PT work?",
            [("2026-11-23T13:00:00-08:00", None), ("2026-11-24T15:30:00-08:00", None)],
        ),
        ("how about next tuesday at 3pm ?", [("2026-11-24T15:00:00-05:00", None)]),
        ("Could you do tomorrow at 10 am?", [("2026-11-18T10:00:00-05:00", None)]),
        ("Are you free at 3pm on Thursday?", [("2026-11-19T15:00:00-05:00", None)]),
        ("11/24 at 10:30am GMT+1 works for us", [("2026-11-24T10:30:00+01:00", None)]),
        (
            "Can you do Monday 23 November at 2? We have 3 rooms free.",
            [("2026-11-23T14:00:00-05:00", None)],
        ),
        (
            "Tuesday, November 24 at 10 a.m. ET, or that afternoon at 2.",
            [("2026-11-24T10:00:00-05:00", None), ("2026-11-24T14:00:00-05:00", None)],
        ),
        (
            "Our interview that was set for Thursday 19 November at 1pm ET has to move. "
            "Could we do Friday 20 November at 3pm ET instead?",
            [("2026-11-20T15:00:00-05:00", None)],
        ),
        (
            "Friday 20 November, 13:30–14:30 GMT, in Room 2.14 of the Elmhurst Building",
            [("2026-11-20T13:30:00+00:00", "2026-11-20T14:30:00+00:00")],
        ),
        (
            "Would Wednesday 25.11. at 10:00 or Thursday 26.11. at 15:30 CET work for you?",
            [("2026-11-25T10:00:00+01:00", None), ("2026-11-26T15:30:00+01:00", None)],
        ),
        ("Would 24/11 at 11h00 CET suit you?", [("2026-11-24T11:00:00+01:00", None)]),
        (
            "Date: Monday, November 23, 2026\nTime: 10:00 AM – 10:30 AM (Eastern Time)",
            [("2026-11-23T10:00:00-05:00", "2026-11-23T10:30:00-05:00")],
        ),
        ("Date: Monday, November 23, 2026\nRoom: 4\nat 10:00 AM ET", []),
        (
            "an onsite interview on Tuesday, December 1, 9:30 am – 1:00 pm ET, with lunch",
            [("2026-12-01T09:30:00-05:00", "2026-12-01T13:00:00-05:00")],
        ),
        (
            "Monday 23 November, 9 to 11am ET",
            [("2026-11-23T09:00:00-05:00", "2026-11-23T11:00:00-05:00")],
        ),
        ("We're free Monday 23 through Wednesday 25 November? I'm around 9:00 am to 4:00 pm.", []),
        # hours in words
        ("Are you free Thursday at three o'clock ET?", [("2026-11-19T15:00:00-05:00", None)]),
        ("How about Monday 23 November at half past ten?", [("2026-11-23T10:30:00-05:00", None)]),
        ("Friday 20 November at quarter to four CET", [("2026-11-20T15:45:00+01:00", None)]),
        ("Could you do Friday at eleven a.m.?", [("2026-11-20T11:00:00-05:00", None)]),
        (
            "Would Thursday at two suit you, or Friday at nine?",
            [("2026-11-19T14:00:00-05:00", None), ("2026-11-20T09:00:00-05:00", None)],
        ),
        ("We interview at three of our offices on Thursday; one of us will call.", []),
    ],
)
def test_slots_are_read_with_their_time_zone(
    text: str, expected: list[tuple[str, str | None]]
) -> None:
    slots = find_when(text, SENT).slots
    assert [(s.start.isoformat(), s.end.isoformat() if s.end else None) for s in slots] == expected


def test_deadline_is_not_a_slot() -> None:
    when = find_when(
        "Please reply by Friday 20 November. The call is Monday 23 November at 2pm ET.", SENT
    )
    assert when.deadline == datetime(2026, 11, 20, 23, 59, tzinfo=SENT.tzinfo)  # the Date's zone
    assert when.deadline is not None and when.deadline.utcoffset() == SENT.utcoffset()
    assert [s.start.day for s in when.slots] == [23]


def test_zone_names() -> None:
    assert zone_named("ET") == NY and zone_named("(CET)") == ZoneInfo("Europe/Paris")
    assert zone_named("GMT+5:30").utcoffset(None) == timedelta(hours=5, minutes=30)  # type: ignore[union-attr]
    assert zone_named("Tuesday") is None


AVAIL = Availability(parse_availability("Mon-Fri 09:00-17:30"), NY, parse_blackout("2026-11-26"))
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # Friday


def _slot(day: int, hour: int, minutes: int = 45) -> SlotTime:
    start = datetime(2026, 11, day, hour, tzinfo=NY)
    return SlotTime(start, start + timedelta(minutes=minutes))


def test_availability_grammar_and_errors() -> None:
    assert parse_availability("Mon,Wed 10:00-12:00; Fri 13:00-16:00")[0][0] == 0
    for bad in ("weekdays 9-5", "Mon-Fri 17:00-09:00", ""):
        with pytest.raises(ValueError):
            parse_availability(bad)
    assert len(parse_blackout("2026-12-24,2026-12-28..2027-01-01")) == 6


def test_a_slot_fits_only_inside_availability_and_clear_of_busy_times() -> None:
    buffer = timedelta(minutes=30)
    assert fits(_slot(23, 10), AVAIL, (), buffer, NOW)
    assert not fits(_slot(23, 8), AVAIL, (), buffer, NOW)  # before hours
    assert not fits(_slot(22, 10), AVAIL, (), buffer, NOW)  # Sunday
    assert not fits(_slot(26, 10), AVAIL, (), buffer, NOW)  # blackout
    assert not fits(_slot(19, 10), AVAIL, (), buffer, NOW)  # in the past
    busy = ((datetime(2026, 11, 23, 11, tzinfo=NY), datetime(2026, 11, 23, 12, tzinfo=NY)),)
    assert not fits(_slot(23, 10), AVAIL, busy, buffer, NOW)  # 10:45 + 30 min buffer > 11:00
    assert fits(_slot(23, 10), AVAIL, busy, timedelta(0), NOW)
    assert first_fitting(
        [_slot(24, 8), _slot(25, 9), _slot(24, 15)], AVAIL, busy, buffer, NOW
    ) == _slot(24, 15)


def test_windows_skip_weekends_blackouts_and_promised_times() -> None:
    busy = ((datetime(2026, 11, 23, 9, tzinfo=NY), datetime(2026, 11, 23, 10, tzinfo=NY)),)
    windows = propose_windows(AVAIL, busy, timedelta(minutes=30), NOW)
    assert [(w[0].day, w[0].hour, w[0].minute) for w in windows] == [
        (23, 10, 30),
        (24, 9, 0),
        (25, 9, 0),
    ]
    assert all(w[1] - w[0] == timedelta(hours=3) for w in windows)
    again = propose_windows(AVAIL, busy + windows, timedelta(minutes=30), NOW)
    assert not set(again) & set(windows)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Are you free Monday or Tuesday for a call?", [23, 24]),
        ("Would any time Monday 23 through Wednesday 25 work for you?", [23, 24, 25]),
        ("Are you available between Monday and Wednesday?", [23, 24, 25]),
        ("are you available 11/23 - 11/25 ?", [23, 24, 25]),
        ("Would sometime next week suit you for a first interview?", [23, 24, 25, 26, 27]),
        ("Are you free Tuesday or Wednesday next week?", [24, 25]),  # those days of that week
        ("Thursday no longer works for our panel, could you do Friday instead?", [20]),
        ("We need to move Monday's interview, would Wednesday work for you?", [18]),
        # Not asked: another sentence, not to the reader, a reply-by date, the old plan, the
        # sender away, thanks for the past, further than four weeks.
        ("We received your application on Monday. Are you available for a call?", []),
        ("Any time Monday 23 through Wednesday 25 works for us.", []),
        ("Our office is open Monday to Friday.", []),
        ("Please send your availability by Friday.", []),
        ("Please send us your availability by the end of next week.", []),
        ("Please let us know your availability within the next week.", []),
        ("The interview was set for Monday; which other days work?", []),
        ("I'm not available on Friday, sorry. Are you free Tuesday?", [24]),
        ("I'm on leave next week, so would you be free the week after?", []),
        ("Thank you for being available last Thursday. Are you free for a second round?", []),
        ("Are you available any day next week except Wednesday?", [23, 24, 26, 27]),
        ("Are you free any day next week except for Monday and Tuesday?", [25, 26, 27]),
        ("Are you free any day next week except Monday to Wednesday?", [26, 27]),
        ("Would next week work for you, but not Friday?", [23, 24, 25, 26]),
        ("I'm out Thursday, so would Friday work for you?", [20]),
        ("Are you free this Friday, or any day next week?", [20, 23, 24, 25, 26, 27]),
        ("Are you free Thursday this week or Tuesday next week?", [19, 24]),
        ("Thanks for applying - would Thursday or Friday work for you?", [19, 20]),
        ("Would you be free on Thursday to find out more, before you leave?", [19]),
        ("Feel free to call me Monday if you have any questions.", []),
        ("Could we move it to Friday, if that works for you?", [20]),
        ("Would Monday 22 February 2027 work for you?", []),
    ],
)
def test_days_asked_about_without_a_time(text: str, days: list[int]) -> None:
    assert [d.day.day for d in find_when(text, SENT).days] == days


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Are you free Monday morning?", ["23 morning"]),
        ("Would Tuesday or Wednesday afternoon work for you?", ["18 afternoon", "24 afternoon"]),
        ("Does Monday morning or Tuesday afternoon suit you?", ["23 morning", "24 afternoon"]),
        ("Are you available on the morning of Monday 23 November?", ["23 morning"]),
        ("Are you free tomorrow afternoon?", ["18 afternoon"]),
        (
            "Would Monday 23 to Wednesday 25 in the evenings work for you?",
            ["23 evening", "24 evening", "25 evening"],
        ),
        ("Are you available any morning next week?", [f"{d} morning" for d in range(23, 28)]),
        ("Would Monday morning or Monday afternoon work for you?", ["23"]),  # the whole day
        # Only the day excepted goes, and not with the part: it does not reach the week.
        ("Would any day next week except Friday afternoon work for you?", ["23", "24", "25", "26"]),
        ("Monday morning is taken, but are you free Tuesday?", ["24"]),
        # A week named by one of its days: its Monday to Friday.
        ("What is your availability the week of November 30?", ["30", "1", "2", "3", "4"]),
        ("Would the week commencing 2 December work for you?", ["30", "1", "2", "3", "4"]),
        ("Are you free w/c 30/11 for a chat?", ["30", "1", "2", "3", "4"]),
    ],
)
def test_days_asked_about_keep_the_part_of_the_day_and_the_week_named(
    text: str, days: list[str]
) -> None:
    found = find_when(text, SENT).days
    assert [" ".join(filter(None, (str(d.day.day), d.part))) for d in found] == days


UTC_DATE = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday, from a relay that writes UTC


@pytest.mark.parametrize(
    ("text", "sent", "starts"),
    [
        # The weekday, or a US zone, decides which number is the month.
        ("Would Tuesday 12/8 at 10:00 AM ET work?", UTC_DATE, ["2026-12-08T10:00:00-05:00"]),
        ("Would 12/8 at 10am ET work?", UTC_DATE, ["2026-12-08T10:00:00-05:00"]),
        ("Would Wed 9/12 at 10:00 work?", UTC_DATE, ["2026-12-09T10:00:00+00:00"]),
        # only one exists; the Date's -0500 in November is New York's, EDT by April
        ("How about Tues 4/14 at 2pm?", SENT, ["2027-04-14T14:00:00-04:00"]),
        # Abbreviations the date parser does not know.
        ("can u do thurs 3pm?", UTC_DATE, ["2026-12-03T15:00:00+00:00"]),
        ("Could you do weds at 11am?", UTC_DATE, ["2026-12-02T11:00:00+00:00"]),
        # "IST" is Israel's when the Date is, India's by default; "your time" is the reader's.
        (
            "Monday 7 December at 12:00 IST",
            UTC_DATE.astimezone(timezone(timedelta(hours=2))),
            ["2026-12-07T12:00:00+02:00"],
        ),
        ("Monday 7 December at 12:00 IST", UTC_DATE, ["2026-12-07T12:00:00+05:30"]),
        (
            "Thursday 10 December at 14:00 your time?",
            UTC_DATE.astimezone(timezone(timedelta(hours=1))),
            ["2026-12-10T14:00:00-05:00"],
        ),
        # A deadline written with its zone is no slot.
        (
            "We can offer Thursday 10 December at 14:00. Please confirm by 12pm GMT on Friday "
            "4 December.",
            UTC_DATE,
            ["2026-12-10T14:00:00+00:00"],
        ),
        # A reschedule's old time is no slot.
        (
            "We need to move your interview from Tuesday at 10am to Wednesday at 3pm.",
            UTC_DATE,
            ["2026-12-02T15:00:00+00:00"],
        ),
        (
            "We need to reschedule your interview on Thursday at 10am. Could you do Friday at "
            "3pm instead?",
            UTC_DATE,
            ["2026-12-04T15:00:00+00:00"],
        ),
        # "between ... and ..." is one range, not two slots nor none.
        (
            "Could you do a call any time between 10 and 12 on Thursday?",
            UTC_DATE,
            ["2026-12-03T10:00:00+00:00"],
        ),
        (
            "Are you free between 10:00 and 12:00 on Thursday?",
            UTC_DATE,
            ["2026-12-03T10:00:00+00:00"],
        ),
        ("We'll shortlist between 3 and 5 candidates on Thursday.", UTC_DATE, []),
        # A limit is no slot, and no reply-by date either.
        ("Could we do a call some time before 11am on Tuesday?", UTC_DATE, []),
        # The sender away is no slot; the reader away is still asked.
        (
            "Would Thursday 3 December at 10:00 suit you?\n\nBest,\nAnna\nOut of office "
            "Friday 4 December\n9am-5pm",
            UTC_DATE,
            ["2026-12-03T10:00:00+00:00"],
        ),
        (
            "I'm not available on Thursday at 10am, would Friday at 3pm work?",
            UTC_DATE,
            ["2026-12-04T15:00:00+00:00"],
        ),
        (
            "If you're not available on Thursday at 10am, Friday at 3pm works too.",
            UTC_DATE,
            ["2026-12-03T10:00:00+00:00", "2026-12-04T15:00:00+00:00"],
        ),
        # Office hours are no slot.
        ("Office hours: Mon-Fri 9:00-17:00", UTC_DATE, []),
        ("We are available Monday to Thursday, 9am-5pm.", UTC_DATE, []),
        (  # but a move from one day to the next names a day
            "i have to push our phone interview from tuesday to wednesday, same time (4 pm).",
            UTC_DATE,
            ["2026-12-02T16:00:00+00:00"],
        ),
        # ISO dates, and dates wrapped before their year.
        ("Date: 2026-12-10\nTime: 14:00 GMT", UTC_DATE, ["2026-12-10T14:00:00+00:00"]),
        ("on Tuesday 8th December\n2026 at 9.30am", UTC_DATE, ["2026-12-08T09:30:00+00:00"]),
    ],
)
def test_times_are_read_as_the_sender_meant(text: str, sent: datetime, starts: list[str]) -> None:
    found = find_when(text, sent, NY if "your time" in text else None)
    assert [s.start.isoformat() for s in found.slots] == starts


@pytest.mark.parametrize(
    "text",
    [
        "Passt Ihnen Montag, 7. Dezember um 14:00 Uhr?",
        "Seriez-vous disponible lundi 7 décembre à 14h00 ?",
        "¿Le viene bien el lunes 7 de diciembre a las 14:00?",
        "Kunt u op maandag 7 december om 14:00?",
        "Sarebbe disponibile lunedì 7 dicembre alle 14:00?",
    ],
)
def test_dates_in_the_languages_invitations_come_in_are_read(text: str) -> None:
    cet = UTC_DATE.astimezone(timezone(timedelta(hours=1)))
    assert [s.start.isoformat() for s in find_when(text, cet).slots] == [
        "2026-12-07T14:00:00+01:00"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lundi 7 décembre, 16h00 – 16h45", [("16:00", "16:45")]),
        ("le lundi 7 décembre de 9h00 à 12h30", [("09:00", "12:30")]),
        ("Montag, 7. Dezember von 9 bis 11 Uhr", [("09:00", "11:00")]),
        ("le jeudi 10 décembre à 9h30", [("09:30", None)]),  # "10 à 9h30" is no range
        # The old plan of a reschedule, in French: only the new time.
        (
            "Nous devons reporter votre entretien initialement prévu le lundi 7 décembre à "
            "9h30. Seriez-vous disponible le mardi 8 décembre à 9h30 ?",
            [("09:30", None)],
        ),
    ],
)
def test_times_of_day_in_other_languages(text: str, expected: list[tuple[str, str | None]]) -> None:
    found = find_when(text, UTC_DATE)
    assert [(f"{s.start:%H:%M}", s.end and f"{s.end:%H:%M}") for s in found.slots] == expected
    assert found.slots[-1].start.day in (7, 8, 10)


def test_a_foreign_weekday_alone_is_a_name_not_a_day() -> None:
    assert find_when("Domingo will call you at 3pm.", UTC_DATE).slots == ()


def test_a_limit_on_the_meeting_is_not_a_reply_by_date() -> None:
    assert (
        find_when("Could we do a call some time before 11am on Tuesday?", UTC_DATE).deadline is None
    )
    assert find_when("Are you free until Friday?", UTC_DATE).deadline is None
    for text in (
        "Please complete your video interview by Sunday 6 December.",
        "Please confirm your preferred time by 6 December by replying to this email.",
    ):
        assert find_when(text, UTC_DATE).deadline == datetime(2026, 12, 6, 23, 59, tzinfo=UTC)
    reply_by = find_when("Please reply before 5pm on Friday.", UTC_DATE).deadline
    assert reply_by == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # No crash on a weekday, a dash and a date ("Tuesday - 12/8").
        (
            "Options: Tuesday - 12/8 at 10am ET, or Thursday - 12/10 at 2pm ET.",
            ["Tue 08 10:00", "Thu 10 14:00"],
        ),
        ("Thursday – 10.12.2026, 14:00", ["Thu 10 14:00"]),
        # A numbered list is no date.
        (
            "Please choose one:\n1. December 10 at 2pm ET\n2. December 11 at 10am ET",
            ["Thu 10 14:00", "Fri 11 10:00"],
        ),
        # French "est" and German "ist" are no zones (the Date's offset is CET's).
        ("L'entretien est prévu le jeudi 10 décembre à 14h00.", ["Thu 10 14:00 +0100"]),
        ("Das Gespräch ist am Montag, 7. Dezember, 14:00 - 15:00 Uhr.", ["Mon 07 14:00 +0100"]),
        ("Entrevista: lunes, 7 de diciembre, de 10:00 a 11:00.", ["Mon 07 10:00 +0100"]),
        ("Colloquio: giovedì 10 dicembre dalle 10:00 alle 11:00.", ["Thu 10 10:00 +0100"]),
        ("L'entretien aura lieu le jeudi 10 décembre à 14h.", ["Thu 10 14:00 +0100"]),
        ("Montag, 7. Dezember um 14 Uhr", ["Mon 07 14:00 +0100"]),
        ("Hätten Sie am Montag, den 7. Dezember um 16:30 Uhr Zeit?", ["Mon 07 16:30 +0100"]),
        ("le lundi 7 décembre, de 9h30 à 13h :", ["Mon 07 09:30 +0100"]),
        # A new time after "reschedule" is the new time; the object of the move is the old one.
        ("Apologies, we have to reschedule. How about on Friday at 10am?", ["Fri 04 10:00"]),
        ("Could we reschedule to meet on Thursday at 2pm instead?", ["Thu 03 14:00"]),
        ("As requested, we have rescheduled your interview on Thursday at 2pm.", ["Thu 03 14:00"]),
        ("We need to move your interview from Monday to Wednesday at 3pm.", ["Wed 02 15:00"]),
        ("Could we push your interview from Friday to Monday at 10am?", ["Mon 07 10:00"]),
        # Being away elsewhere in the sentence does not take a slot away.
        (
            "I'd love to set up a call right away - does Thursday at 2pm work for you?",
            ["Thu 03 14:00"],
        ),
        ("The panel is unavailable Tuesday, so how about Thursday at 2pm?", ["Thu 03 14:00"]),
        ("Since Sarah is on leave, can we do Thursday at 2pm?", ["Thu 03 14:00"]),
        ("I'm out of the office on Friday 4 December at 9am-5pm.", []),
        # A limit is no slot.
        ("The hiring manager is available until 4pm on Thursday 10 December.", []),
        # "between" ranges before ordinary words; numbers past 24 count things.
        ("Could you do a call on Thursday between 10 and 12 if that works?", ["Thu 03 10:00"]),
        ("On Thursday, ages between 18 and 25.", []),
        # A US zone named anywhere makes "12/8" month first.
        ("All times below are Eastern Time. Would 12/8 at 10am work?", ["Tue 08 10:00"]),
        ("on Tuesday 8.12. at 10:00", ["Tue 08 10:00"]),
        # The final review: a postponed or moved time is the old one; a run of weekdays at one
        # time is no single day; "all day" away; "available by 10am on Thursday" offers 10am;
        # a US zone elsewhere does not turn "8/12" into August; "5 and 6 slots" counts.
        (
            "We have postponed your interview on Tuesday 8 December at 10am. Could you do "
            "Thursday 10 December at 3pm instead?",
            ["Thu 10 15:00"],
        ),
        (
            "We need to move the interview scheduled on Tuesday 8 December at 10am. Could you "
            "do Thursday 10 December at 3pm?",
            ["Thu 10 15:00"],
        ),
        ("We can do a video interview any weekday, Monday to Friday, at 10am.", []),
        ("I'm unavailable all day on Thursday 3 December, 9am-5pm, but free Friday.", []),
        ("Are you available by 10am on Thursday for a quick call?", ["Thu 03 10:00"]),
        (
            "We're a London firm with an office in Boston (ET). Are you free on 8/12 at 14:00?",
            ["Tue 08 14:00"],
        ),
        ("We have between 5 and 6 slots available on Monday.", []),
        # A line wrapped before "on <date>" goes on; a new line's "On ..." is a new sentence.
        ("Could you do a call any time between 10 and 12\non Thursday?", ["Thu 03 10:00"]),
        ("Monday 7 December at 10am\nOn Thursday we will send the details.", ["Mon 07 10:00"]),
        # A time called off is the old plan, in English and the other languages, whichever
        # side of it the verb stands; the new time beside it is offered.
        (
            "We have to cancel your interview on Friday at 11:00. Could we do Monday at 15:00 "
            "instead?",
            ["Mon 07 15:00"],
        ),
        (
            "We have to cancel tomorrow's 11:00 interview. Could we do Monday at 15:00?",
            ["Mon 07 15:00"],
        ),
        ("Friday at 11:00 no longer works for us. Could we do Monday at 15:00?", ["Mon 07 15:00"]),
        (
            "Our CTO has a clash with Monday 7 December at 2pm, so rather than that slot could "
            "you make Tuesday 8 December at 9am?",
            ["Tue 08 09:00"],
        ),
        ("Lionel has a conflict at 2:00 Thursday. Can we make it 4:00 instead?", ["Thu 03 16:00"]),
        ("We had a conflict so we need to move your Tues onsite to Wed 10-11am.", ["Wed 02 10:00"]),
        (
            "Den vereinbarten Termin am Dienstag, 8. Dezember um 10:00 Uhr müssen wir leider "
            "absagen. Wäre Ihnen stattdessen Donnerstag, 10. Dezember um 14:00 Uhr recht?",
            ["Thu 10 14:00 +0100"],
        ),
        (
            "Tenemos que cancelar la entrevista del martes 8 de diciembre a las 10:00. ¿Le "
            "vendría bien el jueves 10 de diciembre a las 16:00?",
            ["Thu 10 16:00 +0100"],
        ),
        (
            "Nous ne pourrons pas maintenir notre entretien du mardi 8 décembre à 10h. Seriez-vous "
            "disponible mercredi 9 décembre à 15h ?",
            ["Wed 09 15:00 +0100"],
        ),
        # ... but not the reader's cancelling, nor a new time before the verb's clause.
        (
            "If you need to cancel your interview on Monday 7 December at 2pm, please tell us.",
            ["Mon 07 14:00"],
        ),
        ("Could we do Monday at 3pm instead, as we have to cancel Friday?", ["Mon 07 15:00"]),
        # "From ... to ..." in a move is the old time and the new one, not a range.
        ("Could we push back our interview call today from 2pm to 3:30pm?", ["Tue 01 15:30"]),
        ("Could we move the interview to Friday from 2 to 3pm?", ["Fri 04 14:00"]),
        # Foreign weekdays alone or with a bare day number, "14 Uhr", and ranges by word.
        (
            "Passt dir Donnerstag 14 Uhr oder Freitag 9:30?",
            ["Thu 03 14:00 +0100", "Fri 04 09:30 +0100"],
        ),
        ("Seriez-vous disponible mardi à 10h ?", ["Tue 08 10:00 +0100"]),
        ("¿Le vendría bien el martes a las 10?", ["Tue 08 10:00 +0100"]),
        ("Êtes-vous disponible le jeudi 10 décembre de 14h à 15h ?", ["Thu 10 14:00 +0100"]),
        ("¿Le viene bien el miércoles entre las 10:00 y las 13:00?", ["Wed 02 10:00 +0100"]),
        ("Hätten Sie Donnerstag, 10.12., um 10:00 Zeit?", ["Thu 10 10:00 +0100"]),
        ("Kunt u donderdag 10 om 11:00?", ["Thu 10 11:00 +0100"]),
        # Weekdays listed before one time each have that time; a run of days, or one day
        # named twice, does not.
        (
            "Are you free on Monday, Tuesday or Wednesday at 2pm?",
            ["Mon 07 14:00", "Tue 08 14:00", "Wed 02 14:00"],
        ),
        ("Could you do Tue or Thu after 1:00?", ["Tue 08 13:00", "Thu 03 13:00"]),
        ("Are you free tomorrow, Wednesday, at 12:15pm?", ["Wed 02 12:15"]),
    ],
)
def test_read_as_meant_after_review(text: str, expected: list[str]) -> None:
    sent = (
        UTC_DATE.astimezone(timezone(timedelta(hours=1)))
        if "+0100" in "".join(expected)
        else UTC_DATE
    )
    found = find_when(text, sent)
    shape = "%a %d %H:%M %z" if "+0100" in "".join(expected) else "%a %d %H:%M"
    assert [s.start.strftime(shape) for s in found.slots] == expected


def test_reply_by_dates_after_available_or_some_time_are_deadlines() -> None:
    for text in (
        "Please let us know if you are available by Friday. Options: Tuesday 8 December at 10:00.",
        "Please schedule some time by Friday 4 December using the link below.",
    ):
        assert find_when(text, UTC_DATE).deadline == datetime(2026, 12, 4, 23, 59, tzinfo=UTC)


def test_a_run_of_weekdays_at_one_time_asks_those_days() -> None:
    found = find_when("Would you be available Tuesday to Thursday next week around 11?", UTC_DATE)
    assert found.slots == ()
    assert [d.day.day for d in found.days] == [8, 9, 10]


def test_an_ambiguous_numeric_date_is_the_one_in_the_coming_weeks() -> None:
    found = find_when("Would Thursday 12/10 at 10am work? Please reply by 12/4.", UTC_DATE)
    assert found.deadline == datetime(2026, 12, 4, 23, 59, tzinfo=UTC)  # not 12 April


def test_the_part_of_the_day_goes_with_its_own_date() -> None:
    text = "Would you be free the afternoon of Tuesday 8 December or the morning of Wednesday 9?"
    assert [str(d) for d in find_when(text, UTC_DATE).days] == [
        "Tue 2026-12-08 afternoon",
        "Wed 2026-12-09 morning",
    ]


def test_the_part_of_the_day_is_the_askers() -> None:
    london = Availability(parse_availability("Mon-Fri 09:00-17:30"), ZoneInfo("Europe/London"))
    monday_morning = (AskedDay(date(2026, 12, 7), "morning"),)
    now = datetime(2026, 12, 1, 15, tzinfo=UTC)
    windows = propose_windows(
        london, (), timedelta(minutes=30), now, days=monday_morning, theirs=NY
    )
    # New York's morning from 8 am: 13:00 to 16:00 in London, not London's 09:00 (4 am there).
    assert [(f"{w[0]:%d %H:%M}", f"{w[1]:%H:%M}") for w in windows] == [("07 13:00", "16:00")]


def test_next_week_wrapped_across_a_line_is_still_next_week() -> None:
    found = find_when("Would any day next\nweek work for you except Friday?", UTC_DATE)
    assert [d.day.day for d in found.days] == [7, 8, 9, 10]


def test_hostile_mail_full_of_dates_costs_a_bounded_number_of_date_readings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = dateread.parse

    def counted(*args: Any) -> Any:
        calls.append(args[0])
        return real(*args)

    monkeypatch.setattr(when, "parse", counted)
    find_when(("Are you free Monday 23 through Wednesday 25 November? " * 500)[:20_000], SENT)
    assert 0 < len(calls) <= 2 * datewords.MAX_ASKED


def test_windows_go_on_the_days_asked_about_when_one_is_free() -> None:
    busy = ((datetime(2026, 11, 25, 9, tzinfo=NY), datetime(2026, 11, 25, 17, tzinfo=NY)),)
    buffer = timedelta(minutes=30)
    asked = [AskedDay(date(2026, 11, day)) for day in (21, 24, 25, 26, 30)]
    windows = propose_windows(AVAIL, busy, buffer, NOW, days=asked)
    # Saturday 21 has no availability, Wednesday 25 is taken and Thursday 26 is a day off.
    assert [w[0].day for w in windows] == [24, 30]
    # When none of the days asked about is free, the first free days from tomorrow on.
    fallback = propose_windows(AVAIL, busy, buffer, NOW, days=(AskedDay(date(2026, 11, 25)),))
    assert [w[0].day for w in fallback] == [23, 24, 27]


def test_windows_after_a_busy_time_from_the_queue_are_in_the_users_zone() -> None:
    # The queue gives busy times back at fixed offsets; a window pushed past one is still
    # written in the user's zone ("EST", not "UTC-05:00").
    fixed = timezone(timedelta(hours=-5))
    busy = ((datetime(2026, 11, 23, 9, tzinfo=fixed), datetime(2026, 11, 23, 10, tzinfo=fixed)),)
    windows = propose_windows(AVAIL, busy, timedelta(minutes=30), NOW)
    assert windows[0][0] == datetime(2026, 11, 23, 10, 30, tzinfo=NY)
    assert {w[0].tzname() for w in windows} == {w[1].tzname() for w in windows} == {"EST"}


def test_windows_go_in_the_part_of_the_day_asked_about() -> None:
    busy = ((datetime(2026, 11, 24, 9, tzinfo=NY), datetime(2026, 11, 24, 12, tzinfo=NY)),)
    buffer = timedelta(minutes=30)
    asked = (AskedDay(date(2026, 11, 23), "afternoon"), AskedDay(date(2026, 11, 25), "morning"))
    windows = propose_windows(AVAIL, busy, buffer, NOW, days=asked)
    assert [(w[0].day, f"{w[0]:%H:%M}", f"{w[1]:%H:%M}") for w in windows] == [
        (23, "13:00", "16:00"),
        (25, "09:00", "12:00"),
    ]
    # Not free in the part asked about (the morning is taken, the evening is past 17:30): the
    # rest of those days, then the next days.
    tuesday_morning = (AskedDay(date(2026, 11, 24), "morning"),)
    later = propose_windows(AVAIL, busy, buffer, NOW, days=tuesday_morning)
    assert [(w[0].day, f"{w[0]:%H:%M}") for w in later] == [(24, "12:30")]
    monday_evening = (AskedDay(date(2026, 11, 23), "evening"),)
    later = propose_windows(AVAIL, busy, buffer, NOW, days=monday_evening)
    assert [(w[0].day, f"{w[0]:%H:%M}") for w in later] == [(23, "09:00")]


def test_a_deadline_keeps_the_time_written_with_it() -> None:
    when = find_when("Please confirm by 5pm on Friday 20 November. Monday 23 at 10am ET?", SENT)
    assert when.deadline == datetime(2026, 11, 20, 17, 0, tzinfo=SENT.tzinfo)
    assert [s.start.isoformat() for s in when.slots] == ["2026-11-23T10:00:00-05:00"]


def test_reading_times_leaves_no_words_behind_in_spacy() -> None:
    find_when("Could you do Tuesday at 3pm?", SENT)  # the first call builds the matcher
    before = known_strings()
    fresh = " ".join(f"zq{n}xv" for n in range(200))  # names, codes: new words every time
    when = find_when(f"{fresh} Could you do Monday 23 November at 2pm ET? {fresh}", SENT)
    assert [s.start.isoformat() for s in when.slots] == ["2026-11-23T14:00:00-05:00"]
    assert known_strings() == before  # a daemon reads invitations for months
    assert "zq7xv" not in known_strings()


def test_the_date_reader_is_built_afresh_after_many_invitations(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # a memory zone leaves tombstones in spaCy's hash tables (~50 bytes a new word); a fresh
    # reader sheds them, and reads the same slots
    monkeypatch.setattr(when, "FRESH_AFTER", 3)
    text = "Could you do Monday 23 November at 2pm ET? Or Tuesday 24 at 10am?"
    first = find_when(text, SENT)
    while reads() < 3:
        assert find_when(text, SENT) == first
    assert find_when(text, SENT) == first
    assert reads() == 1


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Thursday 19 November, 11-12pm ET?", "11:00", "12:00"),  # not 23:00
        ("Thursday 19 November, 10-2pm ET?", "10:00", "14:00"),
        ("Thursday 19 November, 2:00-2:30 pm ET?", "14:00", "14:30"),
        ("Thursday 19 November, 8-9pm ET?", "20:00", "21:00"),
        ("Thursday 19 November at 07:30 ET?", "07:30", None),  # a 24-hour clock, not 7:30 pm
    ],
)
def test_a_range_never_runs_backwards_and_a_leading_zero_means_24_hours(
    text: str, start: str, end: str | None
) -> None:
    (slot,) = find_when(text, SENT).slots
    assert f"{slot.start:%H:%M}" == start
    assert (f"{slot.end:%H:%M}" if slot.end else None) == end


@pytest.mark.parametrize(
    "text",
    [
        "Could you visit our Central London office on Thursday 19 November at 14:00?",
        "Thursday 19 November at 2pm? Our office is in Mountain View, CA.",
        "Thursday 19 November at 10:00? We are part of the Eastern Europe team.",
    ],
)
def test_a_zone_name_used_as_an_ordinary_word_is_not_the_messages_zone(text: str) -> None:
    (slot,) = find_when(text, SENT).slots
    assert slot.start.utcoffset() == SENT.utcoffset()  # the Date header's, as nothing says else
    zoned = find_when("Thursday 19 November at 2pm, Central Time.", SENT).slots[0]
    assert zoned.start.tzinfo == ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("text", "slots", "deadline"),
    [
        ("Please confirm by Friday. Monday 23 November at 3pm works for us.", 1, True),
        ("Could we speak by video on Thursday 19 November at 10am?", 1, False),
        ("Please reply by end of day Tuesday, Nov 24.", 0, True),
        ("The link expires on\nMonday, 23 November 2026.", 0, True),
        ("Please answer no later than Friday 20 November.", 0, True),
        ("Would Thursday 19 November at 2pm work? Please confirm by noon on Friday.", 1, True),
        ("Would Thursday 19 November at 2pm work? Please confirm by 5pm EST Friday.", 1, True),
        ("Would Thursday 19 November at 2pm work? Please confirm until midday Friday.", 1, True),
    ],
)
def test_a_deadline_word_counts_only_close_before_its_date_in_the_same_sentence(
    text: str, slots: int, deadline: bool
) -> None:
    found = find_when(text, SENT)
    assert len(found.slots) == slots, found
    assert (found.deadline is not None) is deadline, found


def test_a_sender_in_the_readers_zone_keeps_the_hour_across_a_daylight_saving_change() -> None:
    """Mail dated Friday 30 October (-04:00, New York's summer time) asks for Tuesday 3
    November, after the clocks went back: 9:15 there is 9:15 EST, not 9:15 at -04:00."""
    sent = datetime(2026, 10, 30, 10, 0, tzinfo=timezone(timedelta(hours=-4)))
    text = "Could you do Tuesday 3 November at 9:15am?"
    (slot,) = find_when(text, sent, NY).slots
    assert slot.start.isoformat() == "2026-11-03T09:15:00-05:00"
    # A reader elsewhere: -0400 on 30 October is New York's (the first zone with it then), so
    # the sender keeps their hour across the change too.
    (elsewhere,) = find_when(text, sent, ZoneInfo("Europe/Berlin")).slots
    assert elsewhere.start.isoformat() == "2026-11-03T09:15:00-05:00"


@pytest.mark.parametrize(
    ("text", "sent", "expected"),
    [
        # -0500 in early March is New York's; on 16 March it is EDT there: 14:00 in London.
        (
            "Would Tuesday 16 March at 10am work?",
            datetime(2027, 3, 5, 11, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2027-03-16T10:00:00-04:00",
        ),
        # +0100 before Europe's change is CET; on 30 March it is CEST: 09:00 in London.
        (
            "Passt Ihnen Dienstag, 30. März um 10:00 Uhr?",
            datetime(2027, 3, 24, 10, 0, tzinfo=timezone(timedelta(hours=1))),
            "2027-03-30T10:00:00+02:00",
        ),
    ],
)
def test_a_senders_zone_from_the_date_follows_its_daylight_saving_change(
    text: str, sent: datetime, expected: str
) -> None:
    [slot] = find_when(text, sent, ZoneInfo("Europe/London")).slots
    assert slot.start.isoformat() == expected


@pytest.mark.parametrize(
    ("text", "deadline"),
    [
        ("Please let us know within 48 hours.", datetime(2026, 12, 3, 15, 0, tzinfo=UTC)),
        ("Please reply within 2 working days.", datetime(2026, 12, 3, 23, 59, tzinfo=UTC)),
        ("Kindly confirm in the next 24 hours.", datetime(2026, 12, 2, 15, 0, tzinfo=UTC)),
        # the sender's promise, and a count that is no reply-by time
        ("We will get back to you within 5 working days.", None),
        ("Please book a slot: our recruiters respond within 2 business days.", None),
        ("Please complete the form, and expect to hear from the panel within 5 days.", None),
        ("The role must be filled within 30 days.", None),
        # a date, when one is written, comes first
        ("Please reply by Friday, or within 48 hours.", datetime(2026, 12, 4, 23, 59, tzinfo=UTC)),
    ],
)
def test_a_reply_by_time_counted_in_hours_or_days(text: str, deadline: datetime | None) -> None:
    assert find_when(text, UTC_DATE).deadline == deadline  # sent Tuesday 1 December, 15:00


def test_a_run_of_days_before_one_time_is_not_a_list_of_days() -> None:
    found = find_when("Any time between Wednesday and Friday, 8:00 to 16:00.", UTC_DATE)
    assert not any(slot.start.strftime("%a") == "Wed" for slot in found.slots)


def test_an_onsite_days_agenda_is_one_slot_from_its_first_time_to_its_last() -> None:
    text = (
        "We'd like to invite you to an onsite interview on Tuesday 15 December at our office in "
        "Leeds.\n\nAgenda:\n09:30 Arrival and coffee\n10:00-11:00 Technical panel\n"
        "11:15 - 12:00 System design\n13:00-13:45 Meet the CTO\n\nPlease confirm you can attend."
    )
    [slot] = find_when(text, UTC_DATE).slots
    assert (slot.start.isoformat(), slot.end and slot.end.isoformat()) == (
        "2026-12-15T09:30:00+00:00",
        "2026-12-15T13:45:00+00:00",
    )
    # The day is the paragraph's first date, not a hotel night named after it.
    plan = (
        "Here's the plan for Tuesday 15 December. We have a room for you on Monday night.\n\n"
        " 8:30  safety orientation\n 9:00  casting floor\n12:00  lunch\n 1:00  plant manager"
    )
    [visit] = find_when(plan, UTC_DATE).slots
    assert (visit.start.isoformat(), visit.end and visit.end.isoformat()) == (
        "2026-12-15T08:30:00+00:00",
        "2026-12-15T13:00:00+00:00",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The meeting has been cancelled and rescheduled to Monday at 2pm.", ["Mon 23 14:00"]),
        ("Your interview has been cancelled and moved to Monday at 2pm.", ["Mon 23 14:00"]),
        ("We had to cancel and reschedule for Monday at 2pm.", ["Mon 23 14:00"]),
        ("We must cancel and offer you Monday at 2pm instead.", ["Mon 23 14:00"]),
        (
            "Unfortunately the interviewer had to cancel\nMonday at 2pm would work instead.",
            ["Mon 23 14:00"],
        ),
        ("Sorry to cancel at short notice - could we do Monday at 2pm?", ["Mon 23 14:00"]),
        ("Sorry to cancel at short notice: could we do Monday at 2pm?", ["Mon 23 14:00"]),
        ("Sorry to cancel at short notice but could we do Monday at 2pm?", ["Mon 23 14:00"]),
        ("Please confirm Monday at 2pm or cancel using the link below.", ["Mon 23 14:00"]),
        ("To confirm or cancel Monday at 2pm, reply to this email.", ["Mon 23 14:00"]),
        ("Any conflicts with Monday at 2pm?", ["Mon 23 14:00"]),
        ("no conflicts with Monday at 2pm?", ["Mon 23 14:00"]),
        ("Is there anything that would conflict with Monday at 2pm?", ["Mon 23 14:00"]),
        (
            "We could not find a conflict: Monday at 2pm is free for the whole panel.",
            ["Mon 23 14:00"],
        ),
        (
            "Due to a scheduling conflict we need to move your interview to Monday at 2pm.",
            ["Mon 23 14:00"],
        ),
        (
            "Because of a clash in the panel's diaries we now propose Monday at 2pm.",
            ["Mon 23 14:00"],
        ),
        ("The panel will discuss conflict management with you on Monday at 2pm.", ["Mon 23 14:00"]),
        (
            "Please complete the conflict of interest form before your interview on Monday at 2pm.",
            ["Mon 23 14:00"],
        ),
        ("No worries, we'll keep Monday at 2pm for you.", ["Mon 23 14:00"]),
        ("No problem, we can keep Monday at 2pm.", ["Mon 23 14:00"]),
        ("Could we not keep Monday at 2pm?", ["Mon 23 14:00"]),
        ("Please do not cancel your interview on Monday at 2pm.", ["Mon 23 14:00"]),
        ("We won't cancel: Monday at 2pm stays.", ["Mon 23 14:00"]),
        ("No one will cancel on you: Monday at 2pm it is.", ["Mon 23 14:00"]),
        ("There is no need to cancel anything - Monday at 2pm is fine.", ["Mon 23 14:00"]),
        (
            "It no longer requires travel: the interview is Monday at 2pm by video.",
            ["Mon 23 14:00"],
        ),
        (
            "We are no longer hiring in London but could interview you Monday at 2pm.",
            ["Mon 23 14:00"],
        ),
        ("I'm off Monday and Tuesday, Wednesday at 2pm?", ["Wed 18 14:00"]),
        ("Can we move the interview? Monday from 2 to 3pm works for us.", ["Mon 23 14:00"]),
        ("We'd like to reschedule. Would you be free Monday from 2pm to 3pm?", ["Mon 23 14:00"]),
        ("We'd love to move ahead with an interview on Monday from 2 to 3pm.", ["Mon 23 14:00"]),
        ("If you need to reschedule, we are also free Monday from 2pm to 3pm.", ["Mon 23 14:00"]),
        ("Anna Montag will meet you at 10am Thursday.", ["Thu 19 10:00"]),
        ("Ask for Peter Freitag at 3pm Thursday, reception desk B.", ["Thu 19 15:00"]),
        (
            "Am Dienstag, 24. November kommen alle 5 Bewerber. Passt Ihnen Mittwoch, 25. November "
            "um 14 Uhr?",
            ["Wed 25 14:00"],
        ),
        (
            "El martes 24 de noviembre entrevistamos a las 3 candidatas finalistas; ¿le viene bien "
            "el miércoles 25 de noviembre a las 10:00?",
            ["Wed 25 10:00"],
        ),
        (
            "Das Gespräch dauert ca. 45 Minuten, von 14 Uhr bis 15 Uhr am Dienstag.",
            ["Tue 24 14:00"],
        ),
        ("We'd like to invite you to interview. Interviewer: Sarah Sonntag, 3pm.", []),
        (
            "Friday's 11:00 slot needs to be cancelled; would Monday at 15:00 work?",
            ["Mon 23 15:00"],
        ),
        (
            "The interview on Friday at 11 is being cancelled as the panel is unavailable; are you "
            "free on Monday at 3pm?",
            ["Mon 23 15:00"],
        ),
        ("Sind Sie Montag oder Dienstag um 10 Uhr verfügbar?", ["Mon 23 10:00", "Tue 24 10:00"]),
        ("Êtes-vous disponible lundi ou mardi à 14h ?", ["Mon 23 14:00", "Tue 24 14:00"]),
    ],
)
def test_ordinary_words_around_a_time_neither_call_it_off_nor_add_one(
    text: str, expected: list[str]
) -> None:
    # The review of the call-off, list, move and foreign-weekday rules: each of these offers
    # the time it names, once, as the old reader did.
    found = find_when(text, SENT)
    assert [s.start.strftime("%a %d %H:%M") for s in found.slots] == expected


def test_days_said_to_be_closed_at_a_time_are_not_listed_as_offers() -> None:
    found = find_when("Monday and Tuesday at 2pm we are closed. Wednesday at 2pm works.", SENT)
    assert "Mon" not in {slot.start.strftime("%a") for slot in found.slots}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Could you do Monday 7th or Tuesday 8th at 2pm?", ["Mon 07 14:00", "Tue 08 14:00"]),
        # the month written once, after the last day, is each listed day's
        ("Tuesday 8 or Thursday 10 December at 3pm?", ["Tue 08 15:00", "Thu 10 15:00"]),
        (
            "lunes 7, martes 8 o miércoles 9 a las 10:00",
            ["Mon 07 10:00", "Tue 08 10:00", "Wed 09 10:00"],
        ),
    ],
)
def test_dated_weekdays_listed_before_one_time_share_it(text: str, expected: list[str]) -> None:
    found = find_when(text, UTC_DATE)
    assert [slot.start.strftime("%a %d %H:%M") for slot in found.slots] == expected
