"""What a reply needs from an invitation: who to greet, where to answer, which links matter. Pure.

Issue-sized scope: names and links. Slots, company and role extraction build on this module.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from triage.models import Address, Message

_NO_REPLY = re.compile(
    r"(^|[-_.+])(no-?reply|do-?not-?reply|donotreply|noreply|mailer-daemon|postmaster|bounces?|"
    r"notifications?|no-?response|auto-?confirm)($|[-_.+0-9])",
    re.IGNORECASE,
)
_NOT_A_NAME = re.compile(
    r"\b(no-?reply|noreply|team|careers?|jobs?|recruiting|recruitment|talent|hiring|hr|"
    r"notifications?|support|info|mailer|system|admin|do not reply|via)\b",
    re.IGNORECASE,
)
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
MEETING_HOSTS = ("zoom.us", "teams.microsoft.com", "meet.google.com", "webex.com", "whereby.com")


def is_no_reply(address: Address) -> bool:
    """True for addresses nobody reads: no-reply senders, bounce handlers, notification robots."""
    local = address.addr.rsplit("@", 1)[0]
    return bool(_NO_REPLY.search(local))


def reply_target(message: Message) -> tuple[Address, ...]:
    """Where a reply goes: the human Reply-To addresses, else the sender if a human reads it."""
    human_reply_to = tuple(a for a in message.reply_to if not is_no_reply(a))
    if human_reply_to:
        return human_reply_to
    if message.sender is not None and not is_no_reply(message.sender):
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
    return first[:1].upper() + first[1:] if first.islower() else first


def find_links(message: Message) -> tuple[str, ...]:
    """Every http(s) link in the text and behind the HTML anchors, in order, once each."""
    found = [m.group(0).rstrip(_TRAILING) for m in _URL.finditer(message.full_text)]
    return tuple(dict.fromkeys([*found, *message.links]))


def _host_matches(url: str, hosts: tuple[str, ...]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in hosts)


def scheduling_links(links: tuple[str, ...]) -> tuple[str, ...]:
    """The links that book or join an interview: scheduling pages first, then meeting rooms."""
    booking = [u for u in links if _host_matches(u, SCHEDULING_HOSTS)]
    meeting = [u for u in links if _host_matches(u, MEETING_HOSTS)]
    return tuple(dict.fromkeys([*booking, *meeting]))
