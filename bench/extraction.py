"""Extraction accuracy on the project's labelled test set (tests/data/extraction.jsonl).

    python bench/extraction.py [--errors]

Slots count as right when start time and UTC offset both match (and the end, when one is
expected). Prints per-field accuracy, and the memory a long run of invitations full of words
never seen before leaves behind; asserts nothing.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from unseen import resident_mb, unseen_words  # noqa: E402 (bench/unseen.py)

from triage.extract import extract  # noqa: E402
from triage.models import Extraction  # noqa: E402
from triage.parse import parse_message  # noqa: E402
from triage.when import find_when, known_strings  # noqa: E402

DATA = ROOT / "tests" / "data" / "extraction.jsonl"


def _message(row: dict[str, str]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = row["from"]
    msg["To"] = "Sam Rivera <sam@example.net>"
    if row.get("reply_to"):
        msg["Reply-To"] = row["reply_to"]
    msg["Subject"] = row["subject"]
    msg["Date"] = row["date"]
    msg.set_content(row["body"])
    return msg


def _key(start: datetime, end: datetime | None) -> tuple[str, str | None]:
    return start.isoformat(), end.isoformat() if end else None


def _slots(found: Extraction) -> set[tuple[str, str | None]]:
    return {_key(s.start, s.end) for s in found.slots}


def main() -> None:
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    show = "--errors" in sys.argv
    hits: dict[str, int] = {}
    slot_tp = slot_fp = slot_fn = 0
    for row in rows:
        found = extract(parse_message(_message(row).as_bytes(policy=SMTP)))
        want = row["expected"]
        expected = {(s["start"], s["end"]) for s in want["slots"]}
        # A slot is right when its start is; its end counts only when both sides have one (an
        # end the labels give from a stated length, or triage from it, is not held against it).
        got = _slots(found)
        starts_got = {s for s, _ in got}
        ends_got = dict(got)
        tp = sum(
            1
            for s, e in expected
            if s in ends_got and (e is None or ends_got[s] is None or ends_got[s] == e)
        )
        slot_tp += tp
        slot_fn += len(expected) - tp
        slot_fp += len({s for s, _ in got} - {s for s, _ in expected})
        links = set(found.scheduling_links) | set(found.meeting_links)
        checks = {
            "slots (all exact)": {(s) for s, _ in expected} == starts_got,
            "greeting name": found.greeting_name == want["greeting_name"],
            "company": found.company.lower() == want["company"].lower(),
            "role": found.role.lower() == want["role"].lower(),
            "links": links == set(want["links"]),
            "phones": set(found.phones) == set(want["phones"]),
            "deadline": (found.deadline.isoformat() if found.deadline else None)
            == want["deadline"],
        }
        for name, ok in checks.items():
            hits[name] = hits.get(name, 0) + ok
            if show and not ok:
                print(f"  {row['id']} {name}: got {_show(name, found)} want {_want(name, want)}")
    print(f"extraction on {len(rows)} labelled invitations ({DATA.relative_to(ROOT)}):")
    for name, n in hits.items():
        print(f"  {name:<18} {n / len(rows):6.1%}  ({n}/{len(rows)})")
    precision = slot_tp / (slot_tp + slot_fp) if slot_tp + slot_fp else 1.0
    recall = slot_tp / (slot_tp + slot_fn) if slot_tp + slot_fn else 1.0
    print(
        f"  slot starts: precision {precision:.1%}, recall {recall:.1%} "
        f"(start and UTC offset exact; {slot_tp} right, {slot_fp} extra, {slot_fn} missed)"
    )
    print(memory())


def memory(count: int = 2000) -> str:
    """Resident size and spaCy's string count around ``count`` invitations of new words."""
    find_when("Could you do Tuesday at 3pm?", None)
    rng = random.Random(0)
    before, strings = resident_mb(), len(known_strings())
    for _ in range(count):
        words = unseen_words(rng, 100)
        find_when(f"{words} Could you do Tuesday 8 December at 3pm ET? {words}", None)
    return (
        f"memory: {count:,} invitations of 100 never-seen words each: resident "
        f"{before:.0f} -> {resident_mb():.0f} MB, spaCy strings {strings:,} -> "
        f"{len(known_strings()):,}"
    )


def _show(name: str, found: Extraction) -> object:
    return {
        "slots (all exact)": sorted(s.start.isoformat() for s in found.slots),
        "greeting name": found.greeting_name,
        "company": found.company,
        "role": found.role,
        "links": sorted({*found.scheduling_links, *found.meeting_links}),
        "phones": found.phones,
        "deadline": found.deadline,
    }[name]


def _want(name: str, want: dict[str, object]) -> object:
    key = {"slots (all exact)": "slots", "greeting name": "greeting_name"}.get(name, name)
    value = want[key]
    if key == "slots" and isinstance(value, list):
        return sorted(s["start"] for s in value)
    return value


if __name__ == "__main__":
    main()
