"""Golden files: for each sample invitation, the expected extraction and the exact reply.

    pytest tests/test_golden.py --regen-golden    # rewrite them deliberately, then review the diff

Each message is planned as the daemon would, one hour after its Date header, for a user in New
York available Mon-Fri 09:00-17:30 with nothing else booked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import DATA, MAIL

from triage.availability import Availability, parse_availability
from triage.classify import load_classifier
from triage.models import Action
from triage.parse import parse_message
from triage.pipeline import Calendar, Identity, plan_message
from triage.render import Renderer
from triage.store import extraction_json

GOLDEN = DATA / "golden"
DEMO = Path(__file__).parent.parent / "triage" / "demo_mail"
SAMPLES = sorted([*MAIL.glob("invite_*.eml"), *DEMO.glob("*.eml")])
ME = Identity(frozenset({"jordan@example.net"}), "Jordan Avery", "Jordan Avery")
AVAILABILITY = Availability(parse_availability("Mon-Fri 09:00-17:30"), ZoneInfo("America/New_York"))


@pytest.fixture(scope="module")
def classifier():  # type: ignore[no-untyped-def]
    return load_classifier()


def _outcome(path: Path, classifier) -> tuple[dict[str, object], str]:  # type: ignore[no-untyped-def]
    message = parse_message(path.read_bytes())
    now = (message.date or datetime(2026, 11, 16, 12, tzinfo=UTC)) + timedelta(hours=1)
    plan = plan_message(
        message,
        classifier.classify(message),
        ME,
        Renderer(),
        reply_message_id="<golden@example.net>",
        calendar=Calendar(now, AVAILABILITY),
    )
    record: dict[str, object] = {
        "label": plan.verdict.label.value,
        "action": plan.action.value,
        "reason": plan.reason,
        "extraction": extraction_json(plan.extraction) if plan.extraction else None,
        "chosen": plan.chosen.start.isoformat() if plan.chosen else None,
        "windows": [[a.isoformat(), b.isoformat()] for a, b in plan.windows],
        "to": plan.reply.to if plan.reply else None,
        "subject": plan.reply.subject if plan.reply else None,
    }
    return record, plan.reply.body if plan.reply else ""


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_golden(path: Path, classifier, request: pytest.FixtureRequest) -> None:  # type: ignore[no-untyped-def]
    record, body = _outcome(path, classifier)
    expected_json = GOLDEN / f"{path.stem}.json"
    expected_body = GOLDEN / f"{path.stem}.reply.txt"
    if request.config.getoption("--regen-golden"):
        GOLDEN.mkdir(exist_ok=True)
        expected_json.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        expected_body.write_text(body)
    assert json.loads(json.dumps(record)) == json.loads(expected_json.read_text())
    assert body == expected_body.read_text()


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_replies_read_like_a_person_wrote_them(path: Path, classifier) -> None:  # type: ignore[no-untyped-def]
    record, body = _outcome(path, classifier)
    if record["action"] != Action.DRAFT.value:
        assert body == ""
        return
    first, *_ = body.splitlines()
    assert first.startswith(("Hi ", "Hello,")) and "noreply" not in first.lower()
    # (doubled spaces and blank lines are folded by the renderer: test_render checks the
    # templates' own output for them)
    for bad in ("None", "{{", "}}", " ,", " .", "..", "[", "]"):
        assert bad not in body, (bad, body)
    assert body.rstrip().endswith("Best regards,\nJordan Avery")
