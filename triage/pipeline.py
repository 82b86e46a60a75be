"""The decision for one message: parse -> classify -> guard -> render -> ``Plan``. Pure.

Nothing here sends, stores or reads the clock: the daemon feeds in the raw bytes, a classifier, a
renderer and a fresh Message-ID for the draft, and gets back a plan. Only the user's approval turns
a plan into an effect.

Loop guards: every message is classified, but an invite gets no draft when it is an auto-reply,
a delivery report, mailing-list mail, or the user's own mail (state ``ignored``, with the reason).
An invite with no address a human reads (a no-reply sender and no usable Reply-To) is queued
without a draft (``notify``), with its links, so the user still sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

from triage.classify import Classifier
from triage.compose import reply_references, reply_subject
from triage.extract import find_links, greeting_name, is_no_reply, reply_target, scheduling_links
from triage.models import Action, Label, Message, Plan, Reply, Verdict
from triage.parse import parse_message
from triage.render import Renderer

TEMPLATES = {Label.INVITE: "invite.txt.j2", Label.RESCHEDULE: "reschedule.txt.j2"}
_AUTO_REPLY = ("auto-replied", "auto-notified")
_BULK = ("bulk", "list", "junk")


@dataclass(frozen=True)
class Identity:
    """The mailbox owner: the addresses that are theirs, the name and sign-off for replies."""

    addresses: frozenset[str]  # lower-cased
    name: str
    signature: str


def guard(message: Message, identity: Identity) -> str | None:
    """Why no reply may be drafted for this message at all, or None when one may."""
    if message.sender is not None and message.sender.addr.lower() in identity.addresses:
        return "your own message"
    if message.auto_submitted.startswith(_AUTO_REPLY):
        return f"automatic reply (Auto-Submitted: {message.auto_submitted})"
    sender_local = message.sender.addr.split("@")[0].lower() if message.sender else ""
    if message.is_report or sender_local in ("mailer-daemon", "postmaster"):
        return "delivery report"
    if message.list_id:
        return f"mailing-list mail (List-Id: {message.list_id[:80]})"
    if message.precedence in _BULK:
        return f"bulk mail (Precedence: {message.precedence})"
    return None


def _context(message: Message, identity: Identity, links: tuple[str, ...]) -> dict[str, object]:
    """The whole of what a template sees: plain strings, nothing callable."""
    target = reply_target(message)
    booking = scheduling_links(links)
    return {
        "greeting_name": greeting_name(target[0] if target else message.sender),
        "company": "",
        "scheduling_link": booking[0] if booking else "",
        "user_name": identity.name,
        "signature": identity.signature or identity.name,
    }


def plan_message(
    message: Message,
    verdict: Verdict,
    identity: Identity,
    renderer: Renderer,
    reply_message_id: str,
) -> Plan:
    """Decide what to do with one classified message. Raises ``RenderError`` on a bad template."""
    if not verdict.is_invite:
        return Plan(Action.SKIP, verdict)
    links = find_links(message)
    shown = scheduling_links(links) or links[:5]
    reason = guard(message, identity)
    if reason is not None:
        return Plan(Action.IGNORE, verdict, reason=reason, links=shown)
    target = tuple(a for a in reply_target(message) if a.addr.lower() not in identity.addresses)
    if not target:
        sender = message.sender.addr if message.sender else "no sender"
        why = "no-reply sender" if message.sender and is_no_reply(message.sender) else "no sender"
        return Plan(
            Action.NOTIFY,
            verdict,
            links=shown,
            reason=f"no address a person reads ({why}: {sender}); act on the links",
        )
    template = TEMPLATES.get(verdict.label, TEMPLATES[Label.INVITE])
    body = renderer.render(template, _context(message, identity, links))
    reply = Reply(
        to=", ".join(a.formatted() for a in target),
        subject=reply_subject(message.subject),
        in_reply_to=message.message_id,
        references=reply_references(message),
        body=body,
        message_id=reply_message_id,
    )
    return Plan(Action.DRAFT, verdict, reply=reply, links=shown)


def decide(
    raw: bytes,
    classifier: Classifier,
    identity: Identity,
    renderer: Renderer,
    reply_message_id: str,
) -> tuple[Message, Plan]:
    """Parse, classify and plan one raw message."""
    message = parse_message(raw)
    return message, plan_message(
        message, classifier.classify(message), identity, renderer, reply_message_id
    )
