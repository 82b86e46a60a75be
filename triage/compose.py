"""Reply values -> an ``EmailMessage`` ready for SMTP. Pure: the Date is passed in.

Headers are set from sanitised strings through the email package's header registry, never by
string concatenation, so a name with non-ASCII characters is RFC 2047-encoded and nothing can
inject a header.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from triage.models import Address, Message, Reply

_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|odp|vs|ref)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)

# RFC 5322 has no limit on References, but servers do; keep the first and the newest ids.
MAX_REFERENCES = 20


def reply_subject(subject: str) -> str:
    """``Re: `` + the subject, without stacking ``Re: Re:`` (nor ``RE:``, ``AW:``, ``SV:`` ...)."""
    stripped = _REPLY_PREFIX.sub("", subject).strip()
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
    """The outgoing message: From, To, Subject, Date, Message-ID and threading headers."""
    msg = EmailMessage()
    msg["From"] = sender.formatted()
    msg["To"] = reply.to
    msg["Subject"] = reply.subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = reply.message_id
    if reply.in_reply_to:
        msg["In-Reply-To"] = reply.in_reply_to
    if reply.references:
        msg["References"] = " ".join(reply.references)
    msg["Auto-Submitted"] = "no"  # approved by a person: not an automatic reply
    msg.set_content(reply.body)
    return msg
