"""Reply values -> an ``EmailMessage`` ready for SMTP. Pure: the Date is passed in.

Headers are set from sanitised strings through the email package's header registry, never by
string concatenation, so a name with non-ASCII characters is RFC 2047-encoded and nothing can
inject a header.
"""

from __future__ import annotations

import re
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from triage.models import Address, Message, Reply
from triage.parse import clean_header, message_ids

_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|odp|vs|ref)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)

# RFC 5322 has no limit on References, but servers do; keep the first and the newest ids.
MAX_REFERENCES = 20
MAX_SUBJECT_CHARS = 200  # a reply's subject: enough for any real one, and short enough to fold
MAX_NAME_CHARS = 64
_NOT_IN_NAME = re.compile(r"[^\w .'-]+")


def header_text(value: str) -> str:
    """A header value that is printed as the text it is: one line without control characters,
    and no ``=?`` left to start an encoded word.

    The email package decodes encoded words in a value it is given, and on some Python
    versions prints what they decode to as it is: the text ``=?utf-8?q?a=0D=0AX:_1?=`` would
    become a real line break and an injected header.
    """
    return clean_header(value).replace("=?", "= ?")


def _folds_back(name: str, value: str, addresses: list[str]) -> bool:
    """Whether an address header, folded as it is sent, reads back as the same addresses."""
    probe = EmailMessage()
    probe[name] = value
    folded = message_from_bytes(probe.as_bytes(policy=policy.SMTP), policy=policy.default)
    return [a.addr_spec for a in getattr(folded[name], "addresses", ())] == addresses


def address_header(name: str, value: str) -> str:
    """An address-list value that says the same once the email package has folded it.

    Display names are reduced to letters, digits, spaces and ``.'-`` (some Python versions
    fold a long quoted name without its quotes, so "Dana, eve@evil.test" would become a
    second address), and dropped altogether when the folded header would still not read back
    as the same addresses (a separating comma has been seen folded into an encoded word).
    """
    pairs = []
    for display, addr in getaddresses([header_text(value)]):
        if "@" in addr:
            shown = " ".join(_NOT_IN_NAME.sub(" ", display).split())[:MAX_NAME_CHARS]
            pairs.append(Address(shown.strip(), addr))
    addresses = [a.addr for a in pairs]
    named = ", ".join(a.formatted() for a in pairs)
    return named if _folds_back(name, named, addresses) else ", ".join(addresses)


def reply_subject(subject: str) -> str:
    """``Re: `` + the subject, without stacking ``Re: Re:`` (nor ``RE:``, ``AW:``, ``SV:`` ...)."""
    stripped = _REPLY_PREFIX.sub("", clean_header(subject)).strip()
    if len(stripped) > MAX_SUBJECT_CHARS:
        stripped = stripped[:MAX_SUBJECT_CHARS].rsplit(" ", 1)[0] + " …"
    return f"Re: {stripped}" if stripped else "Re: your message"


def reply_references(message: Message) -> tuple[str, ...]:
    """The original's References (or In-Reply-To) plus its Message-ID, trimmed to a sane length."""
    chain = list(message.references or message.in_reply_to)
    if message.message_id:
        chain.append(message.message_id)
    chain = list(dict.fromkeys(chain))
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1) :]
    return tuple(chain)


def build_email(reply: Reply, sender: Address, date: datetime) -> EmailMessage:
    """The outgoing message: From, To, Subject, Date, Message-ID and threading headers.

    Every header is set from a string passed through ``header_text`` (ids through
    ``message_ids``), so whatever the original held, the message has no header but these.
    """
    msg = EmailMessage()
    own = Address(clean_header(sender.name), sender.addr)
    msg["From"] = address_header("From", own.formatted())
    msg["To"] = address_header("To", reply.to)
    msg["Subject"] = header_text(reply.subject)
    msg["Date"] = format_datetime(date)
    for own_id in message_ids(reply.message_id)[:1]:
        msg["Message-ID"] = own_id
    for parent in message_ids(reply.in_reply_to or "")[:1]:
        msg["In-Reply-To"] = parent
    references = message_ids(" ".join(reply.references))
    if references:
        msg["References"] = " ".join(references)
    msg["Auto-Submitted"] = "no"  # approved by a person: not an automatic reply
    # 7-bit on the wire whatever the text: the email package would send "Zoë" as 8bit, which a
    # server without 8BITMIME (or a relay after it) may mangle.
    if reply.body.isascii():
        msg.set_content(reply.body)  # 7bit, or quoted-printable for lines too long for SMTP
    else:
        msg.set_content(reply.body, cte="quoted-printable")
    return msg
