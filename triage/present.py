"""How queue items and verdicts look to a person (text) and to a program (JSON). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from icalendar import Calendar, Event

from triage.availability import slot_end
from triage.clock import zone_label
from triage.models import (
    WAITING,
    Action,
    DaemonStatus,
    Extraction,
    Noted,
    Planned,
    QueueItem,
    State,
    Verdict,
)
from triage.rows import extraction_json


def item_json(item: QueueItem) -> dict[str, Any]:
    """The stable JSON shape of ``triage queue list --json`` (documented in the README)."""
    reply = item.reply
    return {
        "id": item.id,
        "state": item.state.value,
        "message_id": item.message_id,
        "from": item.sender,
        "subject": item.subject,
        "text": item.text,
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
        "date": item.date.isoformat() if item.date else None,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
        "history": [{"at": at.isoformat(), "event": text} for at, text in item.history],
        "extraction": None if item.extraction is None else extraction_json(item.extraction),
        "chosen_slot": None
        if item.chosen is None
        else {
            "start": item.chosen.start.isoformat(),
            "end": item.chosen.end.isoformat() if item.chosen.end else None,
        },
        "proposed_windows": [[a.isoformat(), b.isoformat()] for a, b in item.windows],
        "draft": None
        if item.draft is None
        else {"folder": item.draft.folder, "uid": item.draft.uid},
        "reminded_at": item.reminded_at.isoformat() if item.reminded_at else None,
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
    rows = [f"{'ID':>4}  {'STATE':<12} {'LABEL':<12} {'SCORE':>5}  {'FROM':<30} SUBJECT"]
    for item in items:
        rows.append(
            f"{item.id:>4}  {item.state.value:<12} {item.label.value:<12} "
            f"{item.score:>5.2f}  {_ellipsis(item.sender, 30):<30} "
            f"{_ellipsis(item.subject, 60)}"
        )
    return "\n".join(rows)


def when_text(moment: datetime) -> str:
    """ "Thu 2026-11-19 14:00 EST": a bare offset from the queue named as ``zone_label`` does."""
    return f"{moment:%a %Y-%m-%d %H:%M} {zone_label(moment)}".strip()


def extraction_lines(item: QueueItem) -> list[str]:
    found = item.extraction
    if found is None:
        return []
    what = ", ".join(
        filter(
            None, [found.format, f"{found.duration_minutes} min" if found.duration_minutes else ""]
        )
    )
    lines = [
        f"  {label:<9} {value}"
        for label, value in (
            ("Company:", found.company),
            ("Role:", found.role),
            ("Format:", what),
            ("Reply by:", when_text(found.deadline) if found.deadline else ""),
            ("Phone:", ", ".join(found.phones)),
            ("Address:", found.address),
        )
        if value
    ]
    lines += [
        f"  Offered:  {when_text(s.start)}"
        + (" (accepted in the draft)" if item.chosen and s.start == item.chosen.start else "")
        for s in found.slots
    ]
    if found.days and not found.slots:
        lines.append(f"  Asked:    {', '.join(map(str, found.days))}")
    lines += [f"  Proposed: {when_text(a)} to {b:%H:%M}" for a, b in item.windows]
    lines += [f"  Meeting:  {link}" for link in found.meeting_links]
    return lines


def planned_text(planned: Sequence[Planned]) -> str:
    """``triage run --dry-run``: what the poll would queue, a few lines each. A draft: its
    recipient, subject, and the time it accepts (in the sender's zone) or the windows it proposes;
    an action item: the original's sender and subject, why there is no draft, and its links. The
    draft's text is not shown (``triage queue show`` has it, once queued)."""
    if not planned:
        return "Nothing would be queued."
    drafts = sum(p.plan.action is Action.DRAFT for p in planned)
    lines = [
        f"Would queue {drafts} draft(s) and {len(planned) - drafts} action item(s); "
        "nothing was written:"
    ]
    for one in planned:
        lines += _planned_lines(one)
    return "\n".join(lines)


def _planned_lines(planned: Planned) -> list[str]:
    plan, reply = planned.plan, planned.plan.reply
    if reply is None:
        lines = [
            f"  uid {planned.uid}: action item, no draft: {plan.reason}",
            f"    From:     {planned.sender}",
            f"    Subject:  {planned.subject}",
        ]
        return lines + [f"    Link:     {link}" for link in plan.links]
    lines = [
        f"  uid {planned.uid}: draft",
        f"    To:       {reply.to}",
        f"    Subject:  {reply.subject}",
    ]
    if plan.chosen is not None:
        lines.append(f"    Accepts:  {when_text(plan.chosen.start)}")
    return lines + [f"    Proposes: {when_text(a)} to {b:%H:%M}" for a, b in plan.windows]


def ics(item: QueueItem) -> bytes:
    """An iCalendar event for the accepted slot, for the user's own calendar: no organizer or
    attendees, so no calendar offers to send invitations or answers from it. Raises
    ``ValueError`` when there is no accepted slot."""
    if item.chosen is None:
        raise ValueError(f"item {item.id} has no accepted time")
    found = item.extraction or Extraction()
    event = Event()
    event.add("uid", f"triage-{item.id}-{item.message_id or item.origin.uid}")
    event.add("dtstamp", item.updated_at)
    # In UTC ("...Z"): every calendar reads it, unlike a fixed-offset TZID without a VTIMEZONE.
    end = slot_end(item.chosen)
    event.add("dtstart", item.chosen.start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    title = " ".join(
        filter(
            None,
            [
                "Interview",
                found.role and f"for {found.role}",
                found.company and f"at {found.company}",
            ],
        )
    )
    event.add("summary", title)
    where = (found.meeting_links or (found.address,))[0]
    if where:
        event.add("location", where)
    event.add("description", f"{item.subject}\nFrom: {item.sender}")
    calendar = Calendar()
    calendar.add("prodid", "-//triage//interview//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def item_detail(item: QueueItem, zone: tzinfo | None = None) -> str:
    """Everything about one item: the original, the verdict and its evidence, the draft, history.
    Its Date and history are shown in ``zone`` (the user's ``TRIAGE_TIMEZONE``); offered times
    in the zone the sender wrote them in."""

    def local(moment: datetime) -> str:
        return when_text(moment.astimezone(zone) if zone is not None else moment)

    lines = [
        f"Item {item.id} — {item.state.value}",
        f"  From:     {item.sender}",
        f"  Subject:  {item.subject}",
    ]
    if item.date is not None:
        lines.append(f"  Date:     {local(item.date)}")
    lines += [
        f"  Verdict:  {item.label.value} (score {item.score:.2f})",
    ]
    if item.reason:
        lines.append(f"  Why:      {item.reason}")
    lines += [f"  Evidence: {e}" for e in item.evidence[:8]]
    lines += [f"  Link:     {link}" for link in item.links]
    lines += extraction_lines(item)
    if item.text:
        lines += ["", "Their message (the newest part, as triage read it):", ""]
        lines += [f"  > {line}" if line else "  >" for line in item.text.splitlines()]
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
        lines += [f"  {local(at)}  {text}" for at, text in item.history]
    return "\n".join(lines)


def ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    if seconds < 90:
        return f"{max(seconds, 0)} s ago"
    if seconds < 5400:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def status_json(
    daemon: DaemonStatus, counts: dict[State, int], oldest: QueueItem | None
) -> dict[str, Any]:
    """``triage status --json``."""
    return {
        "daemon": {
            "running": daemon.pid is not None,
            "pid": daemon.pid,
            "started_at": daemon.started_at.isoformat() if daemon.started_at else None,
            "healthy": daemon.healthy,
            "heartbeat_at": daemon.heartbeat_at.isoformat() if daemon.heartbeat_at else None,
            "last_poll_at": daemon.last_poll_at.isoformat() if daemon.last_poll_at else None,
            "last_poll": daemon.last_poll,
        },
        "counts": {state.value: counts.get(state, 0) for state in State},
        "oldest_waiting": None if oldest is None else item_json(oldest),
    }


def status_text(
    daemon: DaemonStatus, counts: dict[State, int], oldest: QueueItem | None, now: datetime
) -> str:
    """``triage status``: one screen, most important first."""
    if daemon.pid is None:
        health = "not running (start it with 'triage run' or 'systemctl start triage')"
    elif daemon.healthy:
        health = f"running (pid {daemon.pid}), healthy"
    else:
        health = f"running (pid {daemon.pid}), NOT healthy: {daemon.last_poll}"
    lines = [
        f"Daemon:     {health}"
        + (f", started {ago(daemon.started_at, now)}" if daemon.started_at else ""),
        f"Heartbeat:  {ago(daemon.heartbeat_at, now)}",
        f"Last poll:  {ago(daemon.last_poll_at, now)}"
        + (f" - {daemon.last_poll}" if daemon.last_poll and daemon.healthy else ""),
    ]
    shown = [f"{state.value} {n}" for state in State if (n := counts.get(state, 0))]
    lines.append("Queue:      " + (", ".join(shown) if shown else "empty"))
    if oldest is None:
        lines.append("Waiting:    nothing - every invitation has been answered")
    else:
        found = oldest.extraction
        who = (found.company if found and found.company else "") or oldest.sender
        due = found.deadline if found else None
        deadline = f", reply by {when_text(due)}" if due is not None else ""
        lines.append(
            f"Oldest:     #{oldest.id} {_ellipsis(who, 40)} - {_ellipsis(oldest.subject, 50)} "
            f"({oldest.state.value}, received {ago(oldest.waiting_since, now)}{deadline})"
        )
        waiting = sum(counts.get(s, 0) for s in WAITING)
        lines.append(f"            {waiting} waiting in all: 'triage review' walks through them")
    return "\n".join(lines)


_NOTED = {"ignore": "ignored", "quarantined": "quarantined"}


def dry_run_text(planned: Sequence[Planned], noted: Sequence[Noted]) -> str:
    """What a dry run found: the drafts and action items it would queue, then the items a real
    run would record as ignored or quarantined (no reply to send), then the duplicates it would
    pass over (their Message-ID is queued already, or comes earlier in the poll)."""
    recorded = [n for n in noted if n.outcome in _NOTED]
    duplicates = [n for n in noted if n.outcome not in _NOTED]
    parts = [planned_text(planned)] if planned or not recorded else []
    if recorded:
        also = "also " if planned else ""
        written = "" if planned else "; nothing was written"
        parts.append(f"Would {also}record {len(recorded)} item(s) with no reply to send{written}:")
    for item in recorded:
        parts.append(f"  uid {item.uid}: {_NOTED[item.outcome]}: {_printable(item.reason)}")
        parts += [f"    From:     {item.sender}"] if item.sender else []
        parts += [f"    Subject:  {item.subject}"] if item.subject else []
    if duplicates:
        parts.append(f"Would pass over {len(duplicates)} duplicate(s):")
    parts += [f"  uid {n.uid}: {n.reason}" for n in duplicates]
    return "\n".join(parts)


def _printable(text: str) -> str:
    """``text`` (an error's, which may quote the mail) without control or format characters."""
    return "".join(c if c.isprintable() else " " for c in text)
