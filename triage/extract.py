"""What a reply needs from an invitation: who, what, when and where. Pure.

- Who: the first name to greet (the reply target's display name, else the name signing the mail;
  never "noreply" or "Careers"), the company (the sender's domain unless it is an
  applicant-tracking system's, confirmed or corrected by the body), the role.
- What: the interview format and duration.
- When: proposed slots and a reply-by deadline (``when.py``).
- Where: meeting and scheduling links, phone numbers, a street address.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from datetime import datetime, timedelta, tzinfo
from urllib.parse import urlsplit

from triage.dateread import MONTHS, WEEKDAYS
from triage.models import Address, Extraction, Message, SlotTime
from triage.when import find_when

# A separator between the words of "no reply", "do not reply": none, "-", "_" or ".".
_SEP = r"[-_.]?"
_NO_REPLY = re.compile(
    rf"(^|[-_.+]|(?<=[a-z])(?=no{_SEP}reply))"  # "careersnoreply" too
    rf"(no{_SEP}reply|do{_SEP}not{_SEP}reply|mailer-daemon|postmaster|bounces?|"
    rf"notifications?|no{_SEP}response|auto{_SEP}confirm)($|[-_.+0-9])",
    re.IGNORECASE,
)
_NOT_A_NAME = re.compile(
    r"\b(no-?reply|noreply|team|careers?|jobs?|recruiting|recruitment|talent|hiring|hr|"
    r"notifications?|support|info|mailer|system|admin|do not reply|via)\b",
    re.IGNORECASE,
)
# ASCII only: an address with other letters needs SMTPUTF8, which triage's replies do not use.
_PLAIN_ADDRESS = re.compile(
    r"\A[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}\Z", re.ASCII
)
MAX_REPLY_TARGETS = 3
_URL = re.compile(r"https?://[^\s<>()\"'\[\]{}]+", re.IGNORECASE)
_TRAILING = ".,;:!?)>]'\""

# Hosts of meeting and scheduling services: a link to one of these is worth showing the user.
SCHEDULING_HOSTS = (
    "calendly.com",
    "goodtime.io",
    "cal.com",
    "savvycal.com",
    "youcanbook.me",
    "doodle.com",
    "ashbyhq.com",
    "greenhouse.io",
    "lever.co",
    "myworkdayjobs.com",
    "smartrecruiters.com",
    "workable.com",
    "teamtailor.com",
    "recruitee.com",
    "hirevue.com",
    "calendar.app.google",
    "outlook.office.com",
    "zcal.co",
    "chilipiper.com",
    "hubspot.com",
)
# Words in a link's address that mark a page booking a time ("book", "cal." and "slot" only at
# the start of a word: not facebook.com, ebook.pdf or medical.example).
_BOOKING_WORDS = re.compile(
    r"schedul|calendar|booking|(?<![a-z0-9])book(?![a-z])|(?<![a-z0-9])slot|(?<![a-z0-9])cal\."
    r"|availability|self-schedule|interview"
)
# Words in a link's address that mark a video meeting room.
_MEETING_WORDS = ("meet", "video", "vid", "zoom", "teams", "webex", "whereby", "konferenz",
                  "conference", "huddle", "/j/", "/join", "/call/", "/room")  # fmt: skip
MEETING_HOSTS = ("zoom.us", "teams.microsoft.com", "meet.google.com", "webex.com", "whereby.com")


def is_no_reply(address: Address) -> bool:
    """True for addresses nobody reads: no-reply senders, bounce handlers, notification robots."""
    local = address.addr.rsplit("@", 1)[0]
    return bool(_NO_REPLY.search(local))


def is_replyable(address: Address) -> bool:
    """A plain ``local@domain`` that a reply can go to: no quoting, comments, routes or spaces,
    nothing a mail client would read as another address, and nobody's no-reply robot."""
    return (
        bool(_PLAIN_ADDRESS.match(address.addr))
        and "=?" not in address.addr
        and not is_no_reply(address)
    )


def reply_target(message: Message, own: Collection[str] = ()) -> tuple[Address, ...]:
    """Where a reply goes: the human Reply-To addresses (the first ``MAX_REPLY_TARGETS``), else
    the sender if a human reads it; never the user's ``own`` addresses (lower-case). Never more:
    a hostile Reply-To listing thousands of addresses must not turn one approval into mass
    mail."""

    def usable(address: Address) -> bool:
        return is_replyable(address) and address.addr.lower() not in own

    human_reply_to = tuple(a for a in message.reply_to if usable(a))
    if human_reply_to:
        return human_reply_to[:MAX_REPLY_TARGETS]
    if message.sender is not None and usable(message.sender):
        return (message.sender,)
    return ()


def greeting_name(address: Address | None) -> str:
    """The first name to greet, or "" when the display name is not a person's ("Acme Careers").

    "Avery, Jordan" gives "Jordan"; names in quotes or with titles are cleaned.
    """
    if address is None:
        return ""
    name = address.name.strip().strip("\"'")
    if not name or "@" in name or _NOT_A_NAME.search(name):
        return ""
    if "," in name:  # "Last, First"
        name = name.split(",", 1)[1].strip()
    words = [w for w in name.split() if w.rstrip(".").lower() not in {"mr", "mrs", "ms", "dr"}]
    first = words[0] if words else ""
    if not first[:1].isalpha() or not all(ch.isalpha() or ch in "-'\u2019." for ch in first):
        return ""
    if len(words) > 1 and all(w.isupper() for w in words) and len(first) > 2:  # "JOHN SMITH"
        return first.title()
    return first[:1].upper() + first[1:] if first.islower() else first


def find_links(message: Message) -> tuple[str, ...]:
    """Every http(s) link in the text and behind the HTML anchors, in order, once each."""
    found = [m.group(0).rstrip(_TRAILING) for m in _URL.finditer(message.full_text)]
    return tuple(dict.fromkeys([*found, *message.links]))


def _host_matches(url: str, hosts: tuple[str, ...]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in hosts)


def is_scheduling_link(url: str) -> bool:
    """A page that books an interview: a known service, or a link that says so in its address."""
    parts = urlsplit(url)
    where = f"{parts.hostname or ''}{parts.path}".lower()
    return _host_matches(url, SCHEDULING_HOSTS) or bool(_BOOKING_WORDS.search(where))


def is_meeting_link(url: str) -> bool:
    """A video meeting room: a known service, or a link whose address says so."""
    parts = urlsplit(url)
    where = f"{parts.hostname or ''}{parts.path}".lower()
    return _host_matches(url, MEETING_HOSTS) or any(w in where for w in _MEETING_WORDS)


def scheduling_links(links: tuple[str, ...]) -> tuple[str, ...]:
    """The links that book or join an interview: scheduling pages first, then meeting rooms."""
    booking = [u for u in links if is_scheduling_link(u)]
    meeting = [u for u in links if is_meeting_link(u)]
    return tuple(dict.fromkeys([*booking, *meeting]))


# Domains of applicant-tracking systems and job boards: never the employer's name.
_ATS_WORDS = (
    "greenhouse",
    "lever",
    "workday",
    "myworkdayjobs",
    "smartrecruiters",
    "ashbyhq",
    "icims",
    "jobvite",
    "taleo",
    "successfactors",
    "bamboohr",
    "workable",
    "recruitee",
    "teamtailor",
    "hirevue",
    "goodtime",
    "calendly",
    "linkedin",
    "indeed",
    "glassdoor",
    "ziprecruiter",
    "breezy",
    "jazzhr",
    "personio",
    "gmail",
    "outlook",
    "hotmail",
    "yahoo",
    "icloud",
    "proton",
    "example",
)
_ATS_HINT = re.compile(r"(ats|recruit|talent|hiring|hire|jobs|careers|mailer|notify)", re.I)
_PHONE = re.compile(r"(?<![\w/(])(\+?\(?\d[\d ().-]{7,}\d)(?![\w/])")
# A role as written: capitalised words ("Node.js" keeps its dot, a full stop does not), with
# "of", "and" and a bracketed part allowed inside.
_ROLE_NAME = (
    r"((?:[A-Z][\w/&+-]*(?:\.\w+)*|of|and|\(|\))"
    r"(?:[ ,]+(?:[A-Z][\w/&+()-]*(?:\.\w+)*|of|and|\([^)]{1,40}\)))*?)"
)
_ROLES = (
    # "your interest in the Revenue Manager role", "to discuss the Head of Retail Operations role"
    re.compile(
        r"(?:for|as|about|into|to|in|on|discuss)\s+(?:the|a|an|our)\s+"
        + _ROLE_NAME
        + r"\s+(?:role|position|opening|vacancy|job|opportunity|post)\b"
    ),
    # "the role of Legal Operations Analyst at ...", "your application as DevOps Engineer at ..."
    re.compile(
        r"(?:role|position|post|application)\s+(?:of|as)\s+(?:an?\s+)?"
        + _ROLE_NAME
        + r"(?=\s+(?:at|with|in)\b|[.,;:]|$)"
    ),
)
_ADDRESS = re.compile(
    r"^.{0,40}\d+[A-Za-z]?\s+[A-Z][\w .'-]{2,40}\s(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|"
    r"Lane|Ln|Way|Drive|Dr|Square|Place|Pl|Court|Ct)\b.*$",
    re.MULTILINE,
)
_CLOSINGS = re.compile(
    r"^(best|regards|kind regards|best regards|warm regards|thanks|thank you|"
    r"many thanks|cheers|sincerely|all the best|talk soon|speak soon|bien à vous|"
    r"cordialement|looking forward to it)[,.!]?$",
    re.IGNORECASE,
)
_FORMATS = (
    ("panel", ("panel interview", "panel")),
    (
        "technical",
        (
            "technical interview",
            "coding interview",
            "live coding",
            "pair programming",
            "system design",
            "technical",
        ),
    ),
    ("onsite", ("onsite", "on-site", "in person", "in-person", "at our office", "our office")),
    ("video", ("video", "zoom", "google meet", "teams", "webex")),
    ("phone", ("phone", "call you", "telephone")),
)
_EMPLOYER = re.compile(
    r"\b(?:team at|role at|position at|opening at|join|joining|with us at|"
    r"interview with|on behalf of)[ \t]+([A-Z][\w&'-]+(?:[ \t]+[A-Z][\w&'-]+){0,2})"
)
_CAPITALISED = re.compile(r"\b[A-Z][\w'-]*(?:[ \t]+(?:&[ \t]+)?[A-Z][\w'-]*){0,3}")
_CLIENT = re.compile(
    r"\b(?:our client|my client|client,|on behalf of)[ \t]+([A-Z][\w&'-]+"
    r"(?:[ \t]+(?:&[ \t]+)?[A-Z][\w&'-]+){0,3})"
)
_LINKISH = re.compile(r"://|www\.|@", re.IGNORECASE)
_NOT_EMPLOYER = {"the", "our", "us", "me", "a", "an", *WEEKDAYS, *MONTHS}
_DURATION = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:[.,]\d{1,2})?)\s*-?\s*(minutes?|mins?|hours?|hrs?)\b", re.IGNORECASE
)
# After a number of minutes, words that make it a lead time or a delay, not the interview's length.
# Before a number of hours, words that make it a time to answer in ("within 3 hours").
_A_WINDOW = re.compile(r"\b(?:within|in the next|next)\s*$", re.IGNORECASE)
_NOT_A_LENGTH = re.compile(r"\s*(?:early|earlier|before|prior|ahead|late|later|ago)\b", re.I)


def _registrable(domain: str) -> str:
    """The name part of a domain: mail.brightloop.io -> brightloop, acme.co.uk -> acme."""
    labels = [p for p in domain.lower().split(".") if p]
    if len(labels) >= 3 and labels[-2] in {"co", "com", "org", "ac", "gov", "net"}:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else (labels[0] if labels else "")


def _is_ats(name: str) -> bool:
    return any(w in name for w in _ATS_WORDS) or bool(_ATS_HINT.search(name))


def _phrases(text: str) -> list[str]:
    """Capitalised phrases of one to four words ("Pennant & Rowe", "Ironwood Logistics")."""
    return [m.group(0) for m in _CAPITALISED.finditer(text)]


def _squash(text: str) -> str:
    """Letters and digits only, accents folded: "Fjällvind Pay" -> "fjallvindpay" (a domain
    spells a name without its accents)."""
    folded = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in folded if not unicodedata.combining(c)))


# Words a company's domain name often ends in: "keystonepartners" is "Keystone Partners".
_NAME_ENDS = (
    "partners group labs lab retail health healthcare media foods food finance financial insure "
    "insurance cloud build builders mobility bank capital consulting systems tech technologies "
    "solutions software studio studios games energy logistics robotics analytics digital "
    "networks network ventures holdings pharma bio motors metrics data ai hq works"
).split()


def _spelt(name: str) -> str:
    """A domain name as a company's name, when the body does not spell it: "keystone-partners"
    and "keystonepartners" as "Keystone Partners", "baltic-ai" as "Baltic AI", "stripe" as
    "Stripe", "rabobank" as "Rabobank"."""
    words = name.split("-")
    if len(words) == 1:  # not "Bons AI", "Rabo Bank": both parts of five letters or more
        end = next(
            (e for e in _NAME_ENDS if len(e) >= 5 and len(name) - len(e) >= 5 and name.endswith(e)),
            "",
        )
        words = [name[: len(name) - len(end)], end] if end else [name]
    return " ".join(w.upper() if w in {"ai", "hq"} else w.title() for w in words if w)


def _spells(phrase: str, domain: str) -> bool:
    """Whether a squashed phrase spells a squashed domain name: "acmerobotics" for "acme" or
    "acmerobotics"; "quaysidelab" for "quaysidelabs" (most of it), not "cardiff" for
    "cardiffmetrics" (a city in the company's address)."""
    if len(phrase) < 4:
        return False
    return phrase.startswith(domain) or (
        domain.startswith(phrase) and len(phrase) >= 0.7 * len(domain)
    )


def company_of(message: Message, target: tuple[Address, ...]) -> str:
    """The employer: a client named by an agency, else the body's spelling of the sender's (or
    reply target's) domain name (else the name itself, see ``_spelt``), else an employer named
    in the body. Applicant-tracking systems' and
    no-reply senders' domains never count."""
    text = f"{message.subject}\n{message.full_text}"
    client = _CLIENT.search(message.text)
    if client:
        return client.group(1)
    senders = [
        a for a in (*target, *([message.sender] if message.sender else [])) if not is_no_reply(a)
    ]
    phrases = _phrases(text)
    for address in senders:
        name = _registrable(address.addr.rsplit("@", 1)[-1])
        if not name or _is_ats(name):
            continue
        squashed = _squash(name)
        matches = [p for p in phrases if _spells(_squash(p), squashed)]
        if matches:
            return min(matches, key=lambda p: abs(len(_squash(p)) - len(squashed)))
        return _spelt(name)
    for found in _EMPLOYER.finditer(message.text):
        name = found.group(1)
        if name.split()[0].lower() not in _NOT_EMPLOYER:
            return name
    return ""


MAX_ROLE_WORDS = 8  # "Senior Staff Software Engineer, Payments Platform (Remote)" is 7


def role_of(message: Message) -> str:
    """The role as written ("the Backend Engineer (Payments) role"), or "". A longer run of
    capitalised words, or one carrying a link or an address, is not a role's name and is not
    put into a reply."""
    for text in (message.text.replace("\n", " "), message.subject):
        for pattern in _ROLES:
            found = pattern.search(text)
            if found:
                role = " ".join(found.group(1).split()).strip(" ,")
                if len(role.split()) <= MAX_ROLE_WORDS and not _LINKISH.search(role):
                    return role
    return ""


def signature_name(text: str) -> str:
    """The first name signing the mail: the line after a closing such as "Best," or "Thanks"."""
    lines = [line.strip() for line in text.splitlines()]
    for i, line in enumerate(lines):
        if _CLOSINGS.match(line) and i + 1 < len(lines):
            candidate = lines[i + 1].split(",")[0].split("|")[0].strip()
            words = candidate.split()
            if 1 <= len(words) <= 3 and all(w[:1].isupper() for w in words):
                return greeting_name(Address(candidate, "x@x"))
    return ""


def interview_format(text: str) -> str:
    lowered = text.lower()
    for name, cues in _FORMATS:
        if any(cue in lowered for cue in cues):
            return name
    return ""


def duration_minutes(text: str, slots: tuple[SlotTime, ...]) -> int | None:
    """From "a 45-minute call" or "1 hour" (not "arrive 15 minutes early", nor "reply within 48
    hours"), else from the first slot with an end (up to three hours: a longer range is a
    window, "3-6pm")."""
    stated = _stated_minutes(text)
    if stated is not None:
        return stated
    for slot in slots:
        if slot.end is not None and slot.end - slot.start <= _LONGEST_SLOT:
            return int((slot.end - slot.start).total_seconds() // 60)
    return None


_LONGEST_SLOT = timedelta(hours=3)


def _stated_minutes(text: str) -> int | None:
    for found in _DURATION.finditer(text):
        if _NOT_A_LENGTH.match(text, found.end()) or _A_WINDOW.search(text, 0, found.start()):
            continue
        value = float(found.group(1).replace(",", "."))  # "1.5 hours", "1,5 Stunden"
        minutes = round(value * 60 if found.group(2).lower().startswith("h") else value)
        if 10 <= minutes <= 480:
            return minutes
    return None


# A range is a window to start in where the length is each interview's or slot's, or the
# meeting's, and fits in it twice: "each interview is 30 minutes", "30-minute slots", "a
# 30-minute call between 2pm and 5pm" (not "the first 15 minutes will be ...", nor "13:00-14:15"
# for "a 45-minute interview followed by a 30-minute chat").
_EACH = re.compile(
    r"\beach\b|\bper (?:candidate|person|interview)\b|\bminutes? slots?\b"
    r"|\b\d+(?:[.,]\d+)?[- ]?(?:minute|min|hour|hr)s?[- ](?:\w+ )?"  # "a 30-minute call"
    r"(?:call|interview|screen|chat|conversation|meeting)",
    re.IGNORECASE,
)


def _sized(slots: tuple[SlotTime, ...], text: str, duration: int | None) -> tuple[SlotTime, ...]:
    """The slots lasting ``duration``: "a 90-minute interview ... at 4:30pm" ends at 6 pm, and
    "Friday, 3-6pm; each interview is 30 minutes" starts at 3 pm and lasts 30 minutes (a range
    keeps its end unless it is a window, see ``_EACH``)."""
    if duration is None:
        return slots
    length = timedelta(minutes=duration)
    window = _stated_minutes(text) is not None and _EACH.search(text) is not None
    return tuple(
        SlotTime(s.start, s.start + length, s.text)
        if s.end is None or (window and s.end - s.start >= 2 * length)
        else s
        for s in slots
    )


def phones_in(text: str) -> tuple[str, ...]:
    found = []
    for match in _PHONE.finditer(text):
        candidate = match.group(1).strip()
        digits = sum(ch.isdigit() for ch in candidate)
        if 9 <= digits <= 15 and not re.match(r"^\d{4}-\d{2}-\d{2}", candidate):
            found.append(candidate)
    return tuple(dict.fromkeys(found))


def extract(
    message: Message,
    now: datetime | None = None,
    own: Collection[str] = (),
    home: tzinfo | None = None,
) -> Extraction:
    """Everything a reply needs from one invitation, read at ``now`` (when given), for the user
    whose addresses are ``own`` (never greeted as the sender) and whose zone is ``home``.

    Relative dates ("Tuesday at 3pm") count from the message's Date; from ``now`` when it has
    none (or no zone), or one more than a day ahead of ``now`` (a wrong clock, the year 9999).
    """
    target = reply_target(message, own)
    greet = greeting_name(target[0] if target else message.sender)
    if not greet:
        greet = signature_name(message.text) or signature_name(message.full_text)
    sent = message.date
    if now is not None and (sent is None or sent > now + timedelta(days=1)):
        sent = now
    when = find_when(message.text, sent, home)
    slots = tuple(SlotTime(s.start, s.end, s.text) for s in when.slots)
    duration = duration_minutes(message.text, slots)
    slots = _sized(slots, message.text, duration)
    links = find_links(message)
    address = _ADDRESS.search(message.text)
    return Extraction(
        greeting_name=greet,
        company=company_of(message, target),
        role=role_of(message),
        format=interview_format(message.text),
        duration_minutes=duration,
        slots=slots,
        deadline=when.deadline,
        scheduling_links=tuple(u for u in links if is_scheduling_link(u)),
        meeting_links=tuple(u for u in links if is_meeting_link(u) and not is_scheduling_link(u)),
        phones=phones_in(message.text),
        address=address.group(0).strip() if address else "",
        days=when.days,
    )
