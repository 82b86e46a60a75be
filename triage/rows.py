"""How queue items are kept in SQLite rows: timestamps as ISO 8601, the reply, the extraction
and the schedule as JSON. Pure: ``store`` does the reading and writing."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any, Protocol

from triage.models import (
    AskedDay,
    Extraction,
    Label,
    Location,
    Origin,
    QueueItem,
    Reply,
    Schedule,
    SlotTime,
    State,
)


class Row(Protocol):
    """A database row read by column name (``sqlite3.Row``)."""

    def __getitem__(self, key: str) -> Any: ...


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def reply_json(reply: Reply | None) -> str | None:
    return None if reply is None else json.dumps(asdict(reply), ensure_ascii=False)


def when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def slot_json(slot: SlotTime) -> dict[str, str | None]:
    return {"start": slot.start.isoformat(), "end": when(slot.end), "text": slot.text}


def slot_from(data: dict[str, str]) -> SlotTime:
    return SlotTime(
        datetime.fromisoformat(data["start"]), moment(data.get("end")), data.get("text", "")
    )


def extraction_json(found: Extraction) -> dict[str, object]:
    """The extraction as JSON-ready values (datetimes as ISO 8601 with their offsets)."""
    data = asdict(found)
    data["slots"] = [slot_json(slot) for slot in found.slots]
    data["deadline"] = when(found.deadline)
    data["days"] = [" ".join(filter(None, (d.day.isoformat(), d.part))) for d in found.days]
    return data


def extraction_from(text: str | None) -> Extraction | None:
    if text is None:
        return None
    data = json.loads(text)
    data["slots"] = tuple(slot_from(slot) for slot in data["slots"])
    data["deadline"] = moment(data["deadline"])
    data["days"] = tuple(_asked_day(day) for day in data.get("days", ()))  # 0.x: none
    for key in ("scheduling_links", "meeting_links", "phones"):
        data[key] = tuple(data[key])
    return Extraction(**data)


def _asked_day(text: str) -> AskedDay:
    """ "2026-12-07" or "2026-12-07 morning"."""
    day, _, part = text.partition(" ")
    return AskedDay(date.fromisoformat(day), part)


def schedule_json(schedule: Schedule) -> str:
    chosen, windows = schedule
    return json.dumps(
        {
            "chosen": slot_json(chosen) if chosen else None,
            "windows": [[start.isoformat(), end.isoformat()] for start, end in windows],
        }
    )


def schedule_from(text: str | None) -> Schedule:
    if text is None:
        return None, ()
    data = json.loads(text)
    chosen = slot_from(data["chosen"]) if data.get("chosen") else None
    windows = tuple(
        (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in data.get("windows", [])
    )
    return chosen, windows


def reply_from(text: str | None) -> Reply | None:
    if text is None:
        return None
    data = json.loads(text)
    data["references"] = tuple(data["references"])
    return Reply(**data)


def item_from_row(row: Row, history: tuple[tuple[datetime, str], ...]) -> QueueItem:
    chosen, windows = schedule_from(row["schedule"])
    return QueueItem(
        id=row["id"],
        origin=Origin(row["account"], row["folder"], row["uidvalidity"], row["uid"]),
        message_id=row["message_id"],
        state=State(row["state"]),
        label=Label(row["label"]),
        score=row["score"],
        sender=row["sender"],
        subject=row["subject"],
        reason=row["reason"],
        reply=reply_from(row["reply"]),
        evidence=tuple(json.loads(row["evidence"])),
        links=tuple(json.loads(row["links"])),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        history=history,
        extraction=extraction_from(row["extraction"]),
        chosen=chosen,
        windows=windows,
        draft=(
            Location(row["draft_folder"], row["draft_uidvalidity"], row["draft_uid"])
            if row["draft_folder"] is not None
            else None
        ),
        reminded_at=moment(row["reminded_at"]),
        date=moment(row["date"]),
        text=row["text"],
    )
