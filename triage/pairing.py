"""Which date each time of day in an invitation belongs to, and which times propose no slot: the
same slot in another zone, a number ("Room 2.14", "between 3 and 5 candidates"), a deadline or a
limit ("by 5pm", "before 11am"), the old plan of a reschedule, the sender's absence, or office
hours. Pure: it reads the tokens of a spaCy ``Doc`` that ``when`` has matched."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from triage.clock import MERIDIEMS, TIME_SHAPE, WEEKDAY_STEMS, zone_named
from triage.dateread import MONTHS, weekday_number
from triage.datewords import is_absence, is_deadline, moves_from, was_planned

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# A bare hour is a time only after these ("Monday at 2"); a dotted number after the others is a
# number ("Room 2.14"); a "Time:" line takes the date of the "Date:" line above it.
_FOREIGN_HOUR_AFTER = frozenset("um om las alle".split())  # "um 14 Uhr", "a las 10"
_BARE_HOUR_AFTER = frozenset("at @ around about".split()) | _FOREIGN_HOUR_AFTER
# After a bare hour in another language, the words that keep it one ("um 14 Uhr", "a las 10 de
# la mañana"); another word counts things ("alle 5 Bewerber", "a las 3 candidatas").
_HOUR_AFTER = frozenset("uhr uur ore horas hs hrs h heures de del della y e en und".split())
_NOT_A_TIME_AFTER = frozenset(
    "room rm floor suite level unit building no no. number version v v. section chapter page "
    "step item ref ref.".split()
)
_TIME_LABELS = frozenset({"time", "hour", "hours", "when", "heure", "uhrzeit", "hora"})


def _not_a_new_time(doc: Doc, start: int, end: int, last_end: int) -> bool:
    """A time match that is no slot of its own: "16:00 CET (10:00 am ET)" is the same slot in
    another zone; "Room 2.14" and "version 1.10" are numbers, and so is a bare number unless it
    follows "at" ("Monday at 2"), and "between 3 and 5 candidates"."""
    before = doc[start - 1] if start > 0 else None
    if end - start == 1 and doc[start].text.isdigit():
        after = next((t for t in doc[end : end + 2] if not t.is_space), None)
        foreign = before is not None and before.lower_ in _FOREIGN_HOUR_AFTER
        counts = (
            foreign and after is not None and after.is_alpha and after.lower_ not in _HOUR_AFTER
        )
        if before is None or before.lower_ not in _BARE_HOUR_AFTER or counts:
            return True  # "3 rooms", "alle 5 Bewerber"; but "Monday at 2", "um 14 Uhr"
    if _counted(doc, start, end):
        return True
    if before is None:
        return False
    return (before.text == "(" and start - last_end <= 4) or before.lower_ in _NOT_A_TIME_AFTER


def _counted(doc: Doc, start: int, end: int) -> bool:
    """Whether "between 3 and 5" (bare numbers) counts things ("between 3 and 5 candidates",
    "ages between 18 and 25"), not hours ("between 10 and 12 on Monday", "... if that works")."""
    if doc[start].lower_ != "between" or any(
        ":" in t.text or t.lower_ in MERIDIEMS for t in doc[start:end]
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


def slot_date(
    doc: Doc,
    dates: list[tuple[int, int]],
    clock: tuple[int, int],
    last_end: int,
    called: tuple[tuple[int, int], ...] = (),
) -> tuple[int, int] | None:
    """The date a time of day proposes a slot on, or None when it proposes none: no date, the
    same slot in another zone, a number, the old plan ("that was set for tomorrow at 1pm"), or
    a time the mail calls off (in one of the ``called`` stretches of ``called_off``)."""
    if _not_a_new_time(doc, clock[0], clock[1], last_end):
        return None
    date = _date_for(doc, dates, clock[0], clock[1])
    start = min(date[0], clock[0]) if date is not None else 0
    if (
        date is None
        or any(a <= date[0] < b and a <= clock[0] < b for a, b in called)
        or was_planned(doc, start)
        or is_absence(doc, start)
        or _days_range(doc, date)
    ):
        return None
    return date


# Words that call a time off. Each governs the date it names ("we have to cancel your interview
# on Friday at 11:00", "cancelar la entrevista del martes 8", "has a clash with Monday at 2pm"),
# or, with nothing but its time and helping words between, the date before it ("den Termin am
# Dienstag um 10 Uhr müssen wir leider absagen", "Friday at 11:00 has to be cancelled", "Friday
# at 11:00 no longer works"): that date, with the time written with it, is the old plan.
_CALLING_OFF = frozenset(
    "cancel cancels cancelled canceled cancelling canceling absagen abgesagt stornieren "
    "storniert annuler annulé annulée annulés cancelar cancelada cancelado anular anulada "
    "annullare annullato annullata disdire afzeggen afgezegd annuleren geannuleerd".split()
)
_CLASHING = frozenset({"clash", "conflict"})  # only as had: "Lionel has a conflict at 2:00"
_HAVING = frozenset({"has", "have", "had", "'s", "got"})
# Keeping a time, denied: "we can't keep your interview on Tuesday", "no podremos mantener"
_KEEPING = frozenset("keep maintain maintenir mantener mantenere halten einhalten".split())
_DENIALS = frozenset("n't not cannot unable pas nicht no non niet".split())
_NOT_CALLING = frozenset({"not", "n't", "no", "don't", "never"})  # "please do not cancel"
# What may stand between a call-off word and the date it governs after it: the interview named,
# its owner, a time ("a conflict at 2:00 Thursday"), prepositions and articles, in each language.
_TOWARD = frozenset(
    "your our the this my their his her its interview call meeting chat screen phone video "
    "scheduled planned booked set on for at with of 's tomorrow today la el le les l' der die "
    "das den dem notre nuestra nuestro vostre votre unser unseren ihr ihren entrevista "
    "entretien rendez-vous termin gespräch vorstellungsgespräch colloquio sollicitatiegesprek "
    "gesprek del du de am vom von della dello het op van um à a las alle om".split()
)
# ... and between a date and a call-off word after it: its time and helping words.
_BACK = _TOWARD | frozenset(
    "has have had to be been being is was will would must need needs slot session "
    "müssen muss wir leider unfortunately "
    "sadly now also h uhr uur we i devons dobbiamo tenemos que hemos hay moeten wij helaas "
    "no longer".split()
)
# German and Dutch put the verb at the clause's end, after any adverbial ("den Termin am
# Mittwoch um 10 Uhr aus dringenden Gründen absagen"): back to the date, only the clause counts.
_CLAUSE_FINAL = frozenset(
    "absagen abgesagt stornieren storniert afzeggen afgezegd annuleren geannuleerd".split()
)
_CALLS_OFF_REACH = 12  # tokens between such a word and the date it governs
_ATTACHED = 4  # tokens from a date to a time written with it ("Friday at 11:00", "a las 10:00")
# Not a call-off: "if you need to cancel your interview on Monday, ..." (a policy, the reader's)
_READERS = frozenset({"you", "if", "should"})


def _calls_off(doc: Doc, index: int) -> bool:
    """Whether the word at ``index`` calls a time off (see ``_CALLING_OFF``)."""
    word = doc[index].lower_
    before = [t.lower_ for t in doc[max(0, index - 5) : index] if not t.is_space]
    if set(before) & _READERS:
        return False
    if word == "longer":  # "Friday at 11:00 no longer works", "can no longer do Monday"
        return bool(before) and before[-1] == "no"
    if word in _KEEPING:  # "can't keep", "won't be able to keep", "ne pourrons pas maintenir"
        helping = {"be", "able", "to", "going", "pourrons", "podremos", "können", "possiamo"}
        near = [w for w in before[-4:] if w not in helping]
        return bool(near) and near[-1] in _DENIALS and not _asks(doc, index)
    if set(before[-3:]) & _NOT_CALLING or before[-1:] == ["or"]:  # "do not cancel", "or cancel"
        return False
    return word in _CALLING_OFF or (word in _CLASHING and bool(set(before[-3:]) & _HAVING))


def _clause_parts(doc: Doc, start: int, end: int) -> bool:
    """Whether a clause ends between ``start`` and ``end`` (a comma, a full stop, a line)."""
    return any(t.text in {",", ".", ";", "?", "!"} or "\n" in t.text for t in doc[start:end])


def _asks(doc: Doc, index: int) -> bool:
    """Whether the sentence of the token at ``index`` is a question ("Could we not keep ...?")."""
    for token in doc[index : index + 25]:
        if token.text in {".", "!", "\n\n"} or "\n\n" in token.text:
            return False
        if token.text == "?":
            return True
    return False


def called_off(doc: Doc, dates: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """The stretches of tokens (start, end) that the mail calls off: from a call-off word to
    the date it governs and the time written with it, or back (see ``_CALLING_OFF``)."""
    starts = {start for start, _ in dates}  # another date ends the stretch: the new plan

    def only(words: frozenset[str], start: int, end: int) -> bool:  # and on one line
        return all(
            (t.is_space and "\n" not in t.text)
            or t.lower_ in words
            or t.lower_ in MERIDIEMS
            or re.match(TIME_SHAPE, t.lower_) is not None
            or zone_named(t.text) is not None
            for t in doc[start:end]
        )

    found: list[tuple[int, int]] = []
    for token in doc:
        if not token.is_alpha or not _calls_off(doc, token.i):
            continue
        after = [d for d in dates if token.i < d[0] <= token.i + _CALLS_OFF_REACH]
        before = [d for d in dates if token.i - _CALLS_OFF_REACH <= d[1] <= token.i]
        if after and only(_TOWARD, token.i + 1, after[0][0]):
            end = after[0][1]
            stop = next((t.i for t in doc[end : end + _ATTACHED] if t.i in starts), None)
            found.append((token.i, stop or end + _ATTACHED))
        elif before and (
            only(_BACK, before[-1][1], token.i)
            or (token.lower_ in _CLAUSE_FINAL and not _clause_parts(doc, before[-1][1], token.i))
        ):
            found.append((max(0, before[-1][0] - _ATTACHED), token.i + 1))
    return tuple(found)


AGENDA_REACH = 60  # tokens from the date an agenda's day is named in to its first line


def agenda(
    doc: Doc, dates: list[tuple[int, int]], times: list[tuple[int, int]]
) -> tuple[tuple[int, int], list[tuple[int, int]]] | None:
    """An onsite day's agenda: two or more lines in a row that each start with a time ("09:30
    Arrival", "10:00-11:00 Technical panel") and name no date, after a date written with no
    time ("on Tuesday 15 December at our office"). Returns (that date, the agenda's times):
    one slot for the whole day, not a choice of its items. None when there is none."""
    block: list[tuple[int, int]] = []
    for time_span in times:
        if not _starts_line(doc, time_span[0]):
            continue
        if block and _parted_lines(doc, block[-1][1], time_span[0], dates):
            if len(block) >= 2:
                break
            block = []
        block.append(time_span)
    if len(block) < 2:
        return None
    start = block[0][0]
    day = next((d for d in reversed(dates) if d[1] <= start), None)
    if day is None or start - day[1] > AGENDA_REACH:
        return None
    if any(day[1] <= t[0] < start for t in times):  # the day has a time of its own
        return None
    # the paragraph's first date: "the plan for Tuesday 5/15. ... a room for Monday night"
    earlier = [d for d in dates if d[1] <= day[0] and not _parted_lines(doc, d[1], day[0], [])]
    return (earlier[0] if earlier else day), block


def _parted_lines(doc: Doc, end: int, start: int, dates: list[tuple[int, int]]) -> bool:
    """Whether a blank line, or one of ``dates``, stands between ``end`` and ``start``."""
    between = doc[end:start]
    return any("\n\n" in t.text for t in between) or any(end <= d[0] < start for d in dates)


def _starts_line(doc: Doc, index: int) -> bool:
    """Whether the token at ``index`` is the first on its line (after any bullet)."""
    for token in reversed(doc[max(0, index - 3) : index]):
        if "\n" in token.text:
            return True
        if not (token.is_space or token.text in {"-", "*", "•", "–"}):
            return False
    return index == 0


_LIST_JOINS = frozenset(
    {",", "or", "and", "/", "&", "oder", "und", "ou", "et", "o", "y", "e", "of", "en"}
)
# Before a list of days, these make it no offer: "between Monday and Wednesday", "every
# Monday and Tuesday at 2pm we have team meetings", "off Monday and Tuesday at 2pm".
_NOT_LISTED = frozenset({"between", "from", "every", "off", "except", "not", "closed", "busy"})


def listed_before(
    doc: Doc, dates: list[tuple[int, int]], date: tuple[int, int]
) -> list[tuple[int, int]]:
    """The dates listed right before ``date`` with nothing but commas, "or" and "and" between
    ("Monday, Tuesday or Wednesday at 2pm", "Monday 7th or Tuesday 8th at 2pm"): they share
    its time. Dates that start with their weekday only, as a list of days is written; earliest
    first."""

    def weekday(span: tuple[int, int]) -> bool:  # "Monday", "Tuesday 8th", "martes 8"
        return weekday_number(doc[span[0]].text) is not None

    listed: list[tuple[int, int]] = []
    joined = False  # by "or" or "and" somewhere: "tomorrow, Thursday" names one day twice
    current = date
    for earlier in reversed([d for d in dates if d[1] <= date[0]]):
        between = [t.lower_ for t in doc[earlier[1] : current[0]] if not t.is_space]
        if not (between and weekday(earlier) and weekday(current)):
            break
        if any(w not in _LIST_JOINS for w in between):
            break
        if current == date and all(w == "," for w in between):
            break  # "I'm off Monday and Tuesday, Wednesday at 2pm?": the last join is a word
        joined = joined or any(w != "," for w in between)
        listed.insert(0, earlier)
        current = earlier
    first = listed[0][0] if listed else date[0]
    before = [t.lower_ for t in doc[max(0, first - 3) : first] if not t.is_space]
    ranged = bool(before) and before[-1] in _NOT_LISTED  # a run of days, days off
    after = [t.lower_ for t in _rest_of_sentence(doc, date[1])]
    closed = any(w in _CLOSED for w in after)  # "Monday and Tuesday at 2pm we are closed"
    return listed if joined and not ranged and not closed else []


_CLOSED = frozenset("closed busy unavailable meetings meeting off away booked".split())


def _rest_of_sentence(doc: Doc, start: int) -> list[Token]:
    words: list[Token] = []
    for token in doc[start : start + 15]:
        if token.text in {".", "?", "!", ";"} or "\n" in token.text:
            break
        words.append(token)
    return words


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


def limit(doc: Doc, date_start: int, time_start: int) -> bool:
    """Whether a time on a date is a reply-by deadline ("by 5pm on Friday") or a limit on the
    meeting ("a call before 11am on Tuesday", "available until 4pm"), not a slot."""
    before = doc[time_start - 1].lower_ if time_start > 0 else ""
    return before in {"before", "until", "till"} or is_deadline(doc, date_start)


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


_HOUR_NEXT = MERIDIEMS | {"-", "–", "—", "to", "till", "until", "o'clock", "uhr", "uur"}


def hour_trimmed(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """A weekday and a bare number followed by "am" or a range ("Tuesday 3 pm", "Monday 10 -
    11am"): the number is an hour, not the day; the date is the weekday alone."""
    last = doc[end - 1]
    after = next((t for t in doc[end : end + 2] if not t.is_space), None)
    hour = last.text.isdigit() and after is not None and after.lower_ in _HOUR_NEXT
    no_month = not any(t.lower_ in MONTHS for t in doc[start:end])  # "Monday, April 13 - 10:00"
    if end - start > 1 and hour and no_month and weekday_number(doc[start].text) is not None:
        return start, start + 1
    return start, end


def wed_for_we_d(doc: Doc, start: int, end: int) -> bool:
    """Whether the date ``doc[start:end]`` is a lone "Wed" that reads as "We'd"."""
    if end - start != 1 or doc[start].lower_ != "wed":
        return False
    after = next((t for t in doc[end : end + 2] if not t.is_space), None)
    return after is not None and after.lower_ in _WE_D_VERBS


_WRAP_JOINS = frozenset({"at", "from", "@"})
# Between a time and a date after it, these start another option ("4pm or Friday 20 November"),
# unless another time stands between ("10:00 or 14:00 on Friday" offers both on Friday).
_NEXT_OPTION = frozenset("or and ; . ? ! ou oder o of sinon otherwise".split())


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
        doc[index].lower_ in MERIDIEMS or zone_named(doc[index].text) is not None
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
    reach = t_end + 3 + sum(t.lower_ in MERIDIEMS for t in doc[t_end : t_end + 6])  # "2 pm"
    for d_start, d_end in dates:
        after = doc[t_end:d_start]
        if (
            t_end <= d_start <= reach
            and not any("\n" in t.text for t in after)
            and not _another_option(after)
        ):
            return d_start, d_end
    return wrapped  # "Thursday 19 November\nat 4:00 pm", unless a date follows on its line
