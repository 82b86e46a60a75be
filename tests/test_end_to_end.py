"""The whole path on real servers: IMAP inbox -> draft -> approval -> SMTP, through the CLI.

Runs once against pymap and once against Dovecot (the reference server).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import MAIL, ImapAccount
from icalendar import Calendar as ICalendar

from triage import service
from triage.cli import main
from triage.local_servers import SmtpSink, free_port

# What each test message must become: the address a draft goes to, "action" (an invite nobody
# can reply to), or None (not an invitation: nothing queued).
EXPECTED: dict[str, str | None] = {
    "invite_plain.eml": "ravi.menon@saltfern.io",
    "invite_reply_to.eml": "felix.oyelaran@quarrytide.com",
    "invite_html_only.eml": "jonas@pellucid-freight.com",
    "invite_multipart_alternative.eml": "amara.osei@brindlewave.com",
    "invite_latin1.eml": "h.moreau@aiguille-systems.ch",
    "invite_unknown_charset.eml": "t.wren@cobaltmere.io",
    "invite_re_subject.eml": "gareth.lyle@ferrowind.com",
    "invite_no_message_id.eml": "bea@tallowmoor.com",
    "invite_jinja_in_fields.eml": "recruiting@templeforge.dev",
    "invite_ats_noreply_link.eml": "action",
    "ack_if_selected.eml": None,
    "auto_reply.eml": None,
    "dsn_bounce.eml": None,
    "internal_panel.eml": None,
    "list_alert.eml": None,
    "rejection_quoting_invite.eml": None,
}


def _parsed(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _queue(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["queue", "list", "--json", *args]) == 0
    result: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return result


def _seed(imap: ImapAccount) -> dict[str, str]:
    """Put every test message into INBOX; map each file to its Message-ID ('' if none)."""
    ids = {}
    for name in EXPECTED:
        raw = (MAIL / name).read_bytes()
        imap.append(raw)
        ids[name] = str(_parsed(raw).get("Message-ID", "")).strip()
    return ids


def _subject_of(name: str) -> str:
    return str(_parsed((MAIL / name).read_bytes())["Subject"])


@pytest.mark.usefixtures("triage_env")
def test_run_once_drafts_one_reply_per_invite_and_leaves_mail_unseen(
    imap: ImapAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(imap)
    assert main(["run", "--once"]) == 0
    items = _queue(capsys)
    by_subject = {item["subject"]: item for item in items}
    for name, expected in EXPECTED.items():
        item = by_subject.get(_subject_of(name))
        if expected is None:
            assert item is None, f"{name} should not be queued"
        elif expected == "action":
            assert item is not None and item["state"] == "action", name
            assert item["reply"] is None
            assert any(str(link).startswith("https://") for link in item["links"]), item  # type: ignore[attr-defined]
        else:
            assert item is not None and item["state"] == "pending", name
            reply = item["reply"]
            assert isinstance(reply, dict)
            assert parseaddr(reply["to"])[1] == expected, name
    assert len(items) == sum(1 for v in EXPECTED.values() if v is not None)
    # Nothing was marked \Seen, nothing moved or deleted.
    flags = imap.flags()
    assert len(flags) == len(EXPECTED)
    assert all(b"\\Seen" not in f and b"\\Deleted" not in f for f in flags.values()), flags

    # A second poll drafts nothing again.
    assert main(["run", "--once"]) == 0
    assert len(_queue(capsys)) == len(items)


@pytest.mark.usefixtures("triage_env")
def test_approve_sends_threaded_reply_files_it_and_flags_original(
    imap: ImapAccount, smtp: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _seed(imap)
    assert main(["run", "--once"]) == 0
    item = next(i for i in _queue(capsys) if i["message_id"] == ids["invite_re_subject.eml"])
    original = _parsed((MAIL / "invite_re_subject.eml").read_bytes())
    assert smtp.received == []  # nothing is sent before approval

    assert main(["queue", "approve", str(item["id"])]) == 0
    assert len(smtp.received) == 1
    sent = _parsed(smtp.received[0].content)
    assert smtp.received[0].rcpt_tos == ["gareth.lyle@ferrowind.com"]
    assert sent["In-Reply-To"] == original["Message-ID"]
    references = str(sent["References"]).split()
    assert references[-1] == original["Message-ID"]
    assert references[:-1] == str(original["References"]).split()
    assert str(sent["Subject"]).lower().count("re:") == 1
    assert sent["Date"] is not None and sent["Message-ID"] not in (None, original["Message-ID"])
    assert "Jordan Avery" in sent.get_body().get_content()  # type: ignore[union-attr]

    [state] = [i["state"] for i in _queue(capsys) if i["id"] == item["id"]]
    assert state == "sent"
    # The original is flagged \Answered (and still not \Seen); a copy is in Sent.
    uid = next(u for u, f in imap.flags().items() if b"\\Answered" in f)
    assert b"\\Seen" not in imap.flags()[uid]
    assert sum(b"\\Answered" in f for f in imap.flags().values()) == 1
    copies = [_parsed(raw) for raw in imap.messages("Sent")]
    assert [c["Message-ID"] for c in copies] == [sent["Message-ID"]]

    # Approving again sends nothing.
    assert main(["queue", "approve", str(item["id"])]) == 1
    assert len(smtp.received) == 1


@pytest.mark.usefixtures("triage_env")
def test_failed_send_is_recorded_and_never_resent_silently(
    imap: ImapAccount,
    smtp: SmtpSink,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    assert main(["run", "--once"]) == 0
    [item] = _queue(capsys)
    monkeypatch.setenv("TRIAGE_SMTP_PORT", str(free_port()))  # nothing listens there
    assert main(["queue", "approve", str(item["id"])]) == 1
    err = capsys.readouterr().err
    assert "SMTP" in err
    # Nothing listened: certainly not sent, and the user is told what to do now.
    assert f"Item {item['id']} was not sent and is marked failed" in err
    assert f"triage queue approve --retry {item['id']}" in err
    [failed] = _queue(capsys, "--state", "failed")
    assert failed["reason"] and "SMTP" in str(failed["reason"])
    assert main(["queue", "approve", str(item["id"])]) == 1  # needs an explicit --retry
    assert "--retry" in capsys.readouterr().err

    monkeypatch.setenv("TRIAGE_SMTP_PORT", str(smtp.port))
    assert main(["queue", "approve", "--retry", str(item["id"])]) == 0
    assert len(smtp.received) == 1
    assert all(b"\\Seen" not in f for f in imap.flags().values())


@pytest.mark.usefixtures("triage_env")
def test_reject_sends_nothing_and_action_items_can_be_dismissed(
    imap: ImapAccount, smtp: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    imap.append((MAIL / "invite_ats_noreply_link.eml").read_bytes())
    assert main(["run", "--once"]) == 0
    items = {i["state"]: i for i in _queue(capsys)}
    assert set(items) == {"pending", "action"}
    assert main(["queue", "approve", str(items["action"]["id"])]) == 1  # no draft to send
    assert main(["queue", "reject", str(items["pending"]["id"])]) == 0
    assert "Rejected item" in capsys.readouterr().out
    assert main(["queue", "reject", str(items["action"]["id"])]) == 0
    assert "Dismissed item" in capsys.readouterr().out  # acted on its links: not declined
    states = {i["id"]: i["state"] for i in _queue(capsys)}
    assert states == {items["pending"]["id"]: "rejected", items["action"]["id"]: "dismissed"}
    assert smtp.received == []


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
@pytest.mark.usefixtures("triage_env")
def test_two_invites_offering_the_same_time_are_not_both_accepted(
    imap: ImapAccount,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("TRIAGE_TIMEZONE", "America/New_York")
    today = datetime.now(ZoneInfo("America/New_York"))  # a Wednesday there, whatever UTC's day
    day = today + timedelta(days=(2 - today.weekday()) % 7 + 7)
    offered = f"{day:%A} {day.day} {day:%B} {day.year} at 2:00 pm ET"  # a Wednesday ahead
    for n in (1, 2):
        imap.append(
            f"From: Recruiter {n} <r{n}@firm{n}.example>\r\nTo: jordan@example.net\r\n"
            "Subject: Interview for the Analyst role\r\n"
            f"Message-ID: <same-slot-{n}@firm.example>\r\n"
            f"Date: {format_datetime(today)}\r\n\r\nHi Jordan,\r\n\r\nWe'd like to invite you "
            f"to a video interview for the Analyst role. Would {offered} "
            "work for you?\r\n\r\nBest,\r\nDana\r\n".encode()
        )
    assert main(["run", "--once"]) == 0
    items = sorted(_queue(capsys), key=lambda i: i["id"])
    assert [i["chosen_slot"] is not None for i in items] == [True, False]
    assert items[1]["proposed_windows"]  # the second gets other times instead
    assert "Unfortunately the time you suggested" in items[1]["reply"]["body"]  # type: ignore[index]
    ics = tmp_path / "interview.ics"
    assert main(["queue", "show", str(items[0]["id"]), "--ics", str(ics)]) == 0
    event = ICalendar.from_ical(ics.read_bytes()).walk("VEVENT")[0]
    start = datetime(day.year, day.month, day.day, 14, tzinfo=ZoneInfo("America/New_York"))
    assert event.decoded("dtstart") == start
    assert "Analyst" in str(event["summary"])
    assert "From: Recruiter 1 <r1@firm1.example>" in str(event["description"])
    assert "organizer" not in event and "attendee" not in event  # the user's own copy
    assert main(["queue", "show", str(items[1]["id"]), "--ics", str(ics)]) == 1


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
@pytest.mark.usefixtures("triage_env")
def test_a_message_that_cannot_be_handled_is_quarantined_and_the_poll_goes_on(
    imap: ImapAccount,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing the project's own mail holds defeats the pipeline any more (a broken template
    # stops the run at start-up instead), so one message is made to fail at the seam.
    real = service.decide

    def failing(raw: bytes, *args: Any, **kwargs: Any) -> Any:
        if b"@saltfern.io>" in raw:
            raise ValueError("no_such_variable")
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(service, "decide", failing)
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    imap.append((MAIL / "invite_ats_noreply_link.eml").read_bytes())
    assert main(["run", "--once"]) == 0
    items = {i["state"]: i for i in _queue(capsys)}
    assert set(items) == {"quarantined", "action"}
    assert "ValueError: no_such_variable" in str(items["quarantined"]["reason"])
    assert main(["run", "--once"]) == 0  # the checkpoint moved past it: not retried forever
    assert len(_queue(capsys)) == 2


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)
@pytest.mark.usefixtures("imap", "triage_env")
def test_a_password_imap_login_cannot_carry_is_a_one_line_error_that_shows_none_of_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRIAGE_IMAP_PASSWORD", "grüße-ç")
    assert main(["run", "--once"]) == 1
    err = capsys.readouterr().err
    assert "characters outside ASCII" in err
    assert not any(ch in err for ch in "üßç"), err
    assert "Traceback" not in err
