"""Many distinct messages from the project's test mail: the same text under new Message-IDs and
numbered subjects, for backlog, crash and benchmark runs."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

MAIL = Path(__file__).parent / "data" / "mail"
INVITES = ("invite_plain.eml", "invite_reply_to.eml", "invite_multipart_alternative.eml")
OTHERS = ("ack_if_selected.eml", "list_alert.eml", "rejection_quoting_invite.eml")


def variant(name: str, n: int) -> bytes:
    """``name`` from tests/data/mail as message number ``n``: unique Message-ID and subject."""
    msg = message_from_bytes((MAIL / name).read_bytes(), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    subject = str(msg.get("Subject", ""))
    del msg["Subject"], msg["Message-ID"]
    msg["Subject"] = f"{subject} #{n}"
    msg["Message-ID"] = f"<gen-{n}-{name.removesuffix('.eml')}@mailgen.example>"
    return msg.as_bytes(policy=policy.SMTP)


def mixed(count: int, invite_every: int = 5) -> Iterator[tuple[bool, bytes]]:
    """``count`` messages, one in ``invite_every`` an invitation: (is_invite, raw)."""
    for n in range(count):
        if n % invite_every == 0:
            yield True, variant(INVITES[(n // invite_every) % len(INVITES)], n)
        else:
            yield False, variant(OTHERS[n % len(OTHERS)], n)
