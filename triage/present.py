"""How queue items and verdicts look to a person (text) and to a program (JSON). Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from triage.models import QueueItem, Verdict


def item_json(item: QueueItem) -> dict[str, Any]:
    """The stable JSON shape of ``triage queue list --json`` (documented in the README)."""
    reply = item.reply
    return {
        "id": item.id,
        "state": item.state.value,
        "message_id": item.message_id,
        "from": item.sender,
        "subject": item.subject,
        "label": item.label.value,
        "score": item.score,
        "reason": item.reason,
        "links": list(item.links),
        "evidence": list(item.evidence),
        "reply": None
        if reply is None
        else {
            "to": reply.to,
            "subject": reply.subject,
            "in_reply_to": reply.in_reply_to,
            "references": list(reply.references),
            "message_id": reply.message_id,
            "body": reply.body,
        },
        "folder": item.origin.folder,
        "uid": item.origin.uid,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
        "history": [{"at": at.isoformat(), "event": text} for at, text in item.history],
    }


def verdict_json(path: str, verdict: Verdict) -> dict[str, Any]:
    """One line of ``triage classify --json``."""
    return {
        "file": path,
        "label": verdict.label.value,
        "is_invite": verdict.is_invite,
        "score": verdict.score,
        "evidence": list(verdict.evidence),
    }


def _ellipsis(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def item_table(items: list[QueueItem]) -> str:
    """One line per item: id, state, label, score, sender, subject."""
    if not items:
        return "The queue is empty."
    rows = [f"{'ID':>4}  {'STATE':<11} {'LABEL':<12} {'SCORE':>5}  {'FROM':<30} SUBJECT"]
    for item in items:
        rows.append(
            f"{item.id:>4}  {item.state.value:<11} {item.label.value:<12} "
            f"{item.score:>5.2f}  {_ellipsis(item.sender, 30):<30} "
            f"{_ellipsis(item.subject, 60)}"
        )
    return "\n".join(rows)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z")


def item_detail(item: QueueItem) -> str:
    """Everything about one item: the original, the verdict and its evidence, the draft, history."""
    lines = [
        f"Item {item.id} — {item.state.value}",
        f"  From:     {item.sender}",
        f"  Subject:  {item.subject}",
        f"  Verdict:  {item.label.value} (score {item.score:.2f})",
    ]
    if item.reason:
        lines.append(f"  Why:      {item.reason}")
    lines += [f"  Evidence: {e}" for e in item.evidence[:8]]
    lines += [f"  Link:     {link}" for link in item.links]
    if item.reply is not None:
        reply = item.reply
        lines += [
            "",
            "Draft reply:",
            f"  To:          {reply.to}",
            f"  Subject:     {reply.subject}",
            f"  In-Reply-To: {reply.in_reply_to or '(none: the original had no Message-ID)'}",
            "",
        ]
        lines += [f"  | {line}" if line else "  |" for line in reply.body.splitlines()]
    if item.history:
        lines += ["", "History:"]
        lines += [f"  {_when(at)}  {text}" for at, text in item.history]
    return "\n".join(lines)
