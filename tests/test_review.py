"""``triage review`` driven like a person would: through a real pseudo-terminal, one key at a time,
against a queue filled by a real poll of a real IMAP server, sending to a real SMTP server. Also
scripted (keys as lines on a pipe), and the pure rendering on a wide terminal.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import MAIL, ImapAccount, shell_script
from rich.console import Console

from triage.app import open_store, utc_now
from triage.cli import main
from triage.config import environ_with_file, load_settings
from triage.local_servers import SmtpSink, free_port
from triage.models import (
    Action,
    Envelope,
    Extraction,
    Label,
    Origin,
    Plan,
    QueueItem,
    Reply,
    SlotTime,
    State,
    Verdict,
)
from triage.present import item_detail
from triage.review import Tools, item_view, review

ANSI = re.compile(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]"
)
EDITED = "Edited by the test: Wednesday at two suits me."


class Terminal:
    """``python -m triage review`` on the slave side of a pty; keys in and the screen out."""

    def __init__(self, env: dict[str, str], columns: int = 120) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, columns, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "triage", "review"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.fd = master
        self.raw = b""
        self.seen = 0

    @property
    def screen(self) -> str:
        return ANSI.sub("", self.raw.decode("utf-8", errors="replace")).replace("\r", "")

    def expect(self, text: str, timeout: float = 30) -> str:
        """Wait for ``text`` after what was expected last; return the output up to it."""
        deadline = time.monotonic() + timeout
        while (found := self.screen.find(text, self.seen)) < 0:
            left = deadline - time.monotonic()
            ready = select.select([self.fd], [], [], max(left, 0))[0]
            try:
                data = os.read(self.fd, 65536) if ready else b""
            except OSError:  # EIO: the program closed the terminal
                data = b""
            if not data:
                why = "timed out" if left <= 0 or not ready else "the program ended"
                raise AssertionError(f"{why} waiting for {text!r}; screen:\n{self.screen[-4000:]}")
            self.raw += data
        chunk = self.screen[self.seen : found + len(text)]
        self.seen = found + len(text)
        return chunk

    def press(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self.fd)


SENT_FIRST = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def _future_invite(day: datetime) -> bytes:
    offered = f"{day:%A} {day.day} {day:%B} {day.year} at 2:00 pm ET"
    return (
        "From: Dana Whitlow <dana@larkspur-analytics.example>\r\nTo: jordan@example.net\r\n"
        "Subject: Interview for the Analyst role at Larkspur\r\n"
        "Message-ID: <review-slot-1@larkspur-analytics.example>\r\n"
        # Sent before the sample mail (9-11 November 2026), so the review, which walks the items
        # in the order they were received, shows it first.
        f"Date: {format_datetime(SENT_FIRST)}\r\n\r\nHi Jordan,\r\n\r\n"
        "We'd like to invite you to a video interview for the Analyst role. "
        f"Would {offered} work for you?\r\n\r\nBest,\r\nDana\r\n"
    ).encode()


def _queue(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["queue", "list", "--json"]) == 0
    items: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return sorted(items, key=lambda i: int(str(i["id"])))


def _child_env(editor: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES", "NO_COLOR"}}
    env.pop("VISUAL", None)
    return env | {"TERM": "xterm-256color", "EDITOR": str(editor)}


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
@pytest.mark.usefixtures("triage_env")
def test_review_in_a_terminal_edits_approves_skips_rejects_and_quits(
    imap: ImapAccount,
    smtp: SmtpSink,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("TRIAGE_TIMEZONE", "America/New_York")
    now = datetime.now(ZoneInfo("America/New_York"))  # a Wednesday there, whatever UTC's day
    day = now + timedelta(days=(2 - now.weekday()) % 7 + 7)  # ahead, in the default availability
    imap.append(_future_invite(day))
    for name in ("invite_plain.eml", "invite_reply_to.eml", "invite_ats_noreply_link.eml"):
        imap.append((MAIL / name).read_bytes())
    assert main(["run", "--once"]) == 0
    first, plain, reply_to, action = _queue(capsys)
    assert [i["state"] for i in (first, plain, reply_to, action)] == ["pending"] * 3 + ["action"]
    assert first["chosen_slot"] is not None
    editor = shell_script(tmp_path / "editor.sh", f"printf 'Hi Dana,\\n\\n{EDITED}\\n' > \"$1\"\n")

    term = Terminal(_child_env(editor))
    try:
        shown = term.expect("help > ")
        assert f"Item {first['id']} · 1 of 4 · pending" in shown
        assert "Interview for the Analyst role at Larkspur" in shown  # the original's subject
        assert "Dana Whitlow" in shown and "score" in shown and "Evidence" in shown
        assert "Hi Dana," in shown and "Wednesday" in shown  # the draft's body
        assert f"{day:%Y-%m-%d} 14:00" in shown and "(accepted in the draft)" in shown
        assert "To" in shown and "dana@larkspur-analytics.example" in shown

        term.press("e")  # the editor script rewrites the body; the item is shown again
        assert "Saved the edited draft" in term.expect("help > ")
        assert EDITED in term.screen[term.screen.rfind("Draft reply") :]

        term.press("a")  # sending asks first, naming the recipient
        shown = term.expect("[y/n] ")
        assert "Send this reply to Dana Whitlow <dana@larkspur-analytics.example> now?" in shown
        term.press("n")
        assert "Not sent." in term.expect("help > ")
        assert smtp.received == []
        term.press("a")
        term.expect("[y/n] ")
        term.press("y")
        shown = term.expect("help > ")
        assert f"Sent item {first['id']} to" in shown
        assert "Interview for Backend Engineer - Saltfern" in shown  # the next item

        term.press("s")  # invite_plain stays pending
        shown = term.expect("help > ")
        assert "Next step: interview for the Data Engineer role" in shown

        term.press("x")
        assert "Unknown key 'x'" in term.expect("help > ")
        term.press("?")
        assert "approve and send" in term.expect("help > ")
        term.press("r")
        term.expect("[y/n] ")
        term.press("n")
        assert "Not rejected." in term.expect("help > ")
        term.press("r")
        term.expect("[y/n] ")
        term.press("y")
        shown = term.expect("help > ")
        assert f"Rejected item {reply_to['id']}; nothing was sent." in shown
        assert "Schedule your interview with Orchardline" in shown  # the action item, last
        assert "Action needed" in shown and "https://" in shown

        term.press("q")
        assert "Approved 1, rejected 1, skipped 1." in term.expect("skipped 1.")
        assert term.close() == 0
    finally:
        if term.proc.poll() is None:
            term.close()

    states = {i["id"]: i["state"] for i in _queue(capsys)}
    assert [states[i["id"]] for i in (first, plain, reply_to, action)] == [
        "sent",
        "pending",
        "rejected",
        "action",
    ]
    [received] = smtp.received
    sent = message_from_bytes(received.content, policy=policy.default)
    assert sent["In-Reply-To"] == "<review-slot-1@larkspur-analytics.example>"
    assert received.rcpt_tos == ["dana@larkspur-analytics.example"]
    assert EDITED in sent.get_body().get_content()  # type: ignore[union-attr]


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
@pytest.mark.usefixtures("triage_env")
def test_scripted_review_reads_lines_and_goes_on_after_a_failed_send(
    imap: ImapAccount,
    smtp: SmtpSink,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["review"]) == 0
    assert "Nothing to review" in capsys.readouterr().out

    for name in ("invite_plain.eml", "invite_reply_to.eml", "invite_ats_noreply_link.eml"):
        imap.append((MAIL / name).read_bytes())
    assert main(["run", "--once"]) == 0
    plain, reply_to, action = _queue(capsys)
    monkeypatch.setenv("TRIAGE_SMTP_PORT", str(free_port()))  # nothing listens: the send fails
    # The action item has no draft: "a" is refused and asked again, then skipped.
    monkeypatch.setattr(sys, "stdin", io.StringIO("a\ny\nr\ny\na\ns\n"))
    assert main(["review"]) == 0
    out = capsys.readouterr().out
    assert "Sending failed: SMTP" in out and "was not sent and is marked failed" in out
    assert f"Rejected item {reply_to['id']}" in out
    assert "This item has no draft" in out
    assert out.rstrip().endswith("Approved 0, rejected 1, skipped 1, failed 1.")
    states = {i["id"]: i["state"] for i in _queue(capsys)}
    assert [states[i["id"]] for i in (plain, reply_to, action)] == ["failed", "rejected", "action"]
    assert smtp.received == []

    # Failed items are not walked again; the end of the input quits.
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["review"]) == 0
    out = capsys.readouterr().out
    assert "Schedule your interview with Orchardline" in out
    assert "Approved 0, rejected 0, skipped 0." in out


class _EditedMeanwhile(io.StringIO):
    """Keys for a scripted review; just before the first key is read, the draft on screen is
    changed elsewhere (another terminal's 'queue edit', or an edit in the mail client)."""

    def __init__(self, keys: str, change: Callable[[], None]) -> None:
        super().__init__(keys)
        self.change: Callable[[], None] | None = change

    def readline(self, size: int | None = -1) -> str:
        if self.change is not None:
            self.change, change = None, self.change
            change()
        return super().readline(size)


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
@pytest.mark.usefixtures("triage_env")
def test_review_never_sends_a_draft_other_than_the_one_on_screen(
    imap: ImapAccount,
    smtp: SmtpSink,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    assert main(["run", "--once"]) == 0
    (item,) = _queue(capsys)
    settings = load_settings(environ_with_file(None))

    def edit_elsewhere() -> None:
        with open_store(settings) as store:
            store.set_reply_body(int(str(item["id"])), "Text never shown in review.\n", utc_now())

    # "a" on the old text: refused and shown again; "a" on the new text: sent.
    monkeypatch.setattr(sys, "stdin", _EditedMeanwhile("a\ny\na\ny\n", edit_elsewhere))
    assert main(["review"]) == 0
    out = capsys.readouterr().out
    assert "changed since it was shown; nothing was sent" in out
    assert out.index("changed since") < out.rindex("Text never shown in review.")  # shown again
    assert out.rstrip().endswith("Approved 1, rejected 0, skipped 0.")
    [received] = smtp.received
    body = message_from_bytes(received.content, policy=policy.default).get_body()
    assert body is not None and body.get_content().strip() == "Text never shown in review."


def _item(reply: Reply | None) -> QueueItem:
    at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    slot = SlotTime(datetime(2026, 12, 2, 14, 0, tzinfo=ZoneInfo("America/New_York")), None)
    return QueueItem(
        id=7,
        origin=Origin("a", "INBOX", 1, 7),
        message_id="<m@x.example>",
        state=State.PENDING if reply else State.ACTION,
        label=Label.INVITE,
        score=0.93,
        sender="[External] Dana <dana@x.example>",
        subject="Interview [Analyst] at X",
        reason="" if reply else "the sender is a no-reply address",
        reply=reply,
        evidence=("invite_interview: 'invite you to ... interview'",),
        links=() if reply else ("https://ats.example/book/1",),
        created_at=at,
        updated_at=at,
        extraction=Extraction(company="X", role="Analyst", slots=(slot,)),
        chosen=slot if reply else None,
    )


def _render(item: QueueItem, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(item_view(item, datetime(2026, 11, 22, 9, 0, tzinfo=UTC), width))
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def test_views_side_by_side_on_wide_terminals_and_stacked_on_narrow_ones() -> None:
    reply = Reply("dana@x.example", "Re: [bold]X[/]", "<m@x.example>", (), "Hi [Dana],\n", "<r@y>")
    wide = _render(_item(reply), 160).splitlines()
    assert any("Original" in line and "Draft reply" in line for line in wide)
    narrow = _render(_item(reply), 100)
    assert not any("Original" in line and "Draft reply" in line for line in narrow.splitlines())
    assert narrow.index("Original") < narrow.index("Draft reply") < narrow.index("Hi [Dana],")
    # Markup-like text in mail is shown as written, never interpreted.
    assert "Interview [Analyst] at X" in narrow and "[External] Dana" in narrow
    assert "Re: [bold]X[/]" in narrow and "2 days ago" in narrow
    assert "Company:  X" in narrow and "(accepted in the draft)" in narrow
    action = _render(_item(None), 100)
    assert "Action needed" in action and "https://ats.example/book/1" in action
    assert "no-reply address" in action and "accepted" not in action


def test_the_review_shows_the_start_of_the_originals_text_and_queue_show_all_of_it() -> None:
    text = "\n".join(["Hi Jordan, would [b]Monday[/b] work?", *(f"line {n}" for n in range(40))])
    item = replace(_item(None), text=text)
    shown = _render(item, 100)
    assert "Their message" in shown and "would [b]Monday[/b] work?" in shown  # not markup
    assert "line 23" in shown and "line 24" not in shown
    assert f"… more: triage queue show {item.id}" in shown
    # HTML mail may be one line a paragraph: a long line is cut too.
    one_line = _render(replace(item, text="word " * 4000), 100)
    assert len(one_line.splitlines()) < 80 and "… more: triage queue show" in one_line
    short = _render(replace(item, text="Are you free Monday?"), 100)
    assert "Are you free Monday?" in short and "… more" not in short
    detail = item_detail(item, ZoneInfo("Europe/Berlin"))
    assert "  > line 39" in detail and "  > Hi Jordan, would [b]Monday[/b] work?" in detail
    assert "Their message" not in _render(_item(None), 100)  # an old item has no text


def test_queue_show_gives_the_date_and_history_in_the_users_time_zone() -> None:
    at = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    item = replace(_item(None), date=at, history=((at, "detected"),))
    shown = item_detail(item, ZoneInfo("Europe/Berlin"))
    assert "Date:     Tue 2026-12-01 15:00 CET" in shown
    assert "Tue 2026-12-01 15:00 CET  detected" in shown
    assert "Offered:  Wed 2026-12-02 14:00 EST" in shown  # as the sender wrote it


def test_queue_show_writes_the_reply_by_date_like_every_other_date() -> None:
    deadline = datetime(2026, 12, 4, 23, 59, tzinfo=timezone(timedelta(hours=-5)))
    item = replace(_item(None), extraction=Extraction(company="X", deadline=deadline))
    shown = item_detail(item, ZoneInfo("Europe/Berlin"))
    assert "Reply by: Fri 2026-12-04 23:59 EST" in shown  # the offset named, as in drafts


def test_review_walks_the_items_by_when_they_were_received_and_asks_before_sending(
    tmp_path: Path,
) -> None:
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    reply = Reply("Dana <dana@x.example>", "Re: X", "<m@x.example>", (), "Hi Dana,\n", "<r@y>")
    settings = load_settings({"TRIAGE_DB_PATH": str(tmp_path / "q.sqlite3")})
    sent: list[object] = []

    class _Outbox:
        def send(self, message: object) -> tuple[str, ...]:
            sent.append(message)
            return ()

    keys = iter(["a", "n", "s", "s", "q"])  # decline to send, then skip both
    tools = Tools(
        outbox=_Outbox(),  # type: ignore[arg-type]
        mailbox=lambda: None,  # type: ignore[arg-type,return-value]
        clock=lambda: now,
        edit_text=lambda text: text,
        read_key=lambda show: (show(), next(keys))[1],
    )
    console = Console(file=io.StringIO(), width=100, color_system=None)
    with open_store(settings) as store:
        for uid, date in ((1, now - timedelta(hours=2)), (2, now - timedelta(days=2))):
            envelope = Envelope(f"<o{uid}@x.example>", "Dana <dana@x.example>", f"Mail {uid}", date)
            plan = Plan(Action.DRAFT, Verdict(Label.INVITE, 0.9, is_invite=True), reply=reply)
            store.record(Origin("a", "INBOX", 1, uid), envelope, plan, now)
        tally = review(store, settings, tools, console)
    assert isinstance(console.file, io.StringIO)
    out = console.file.getvalue()
    assert out.index("Item 2 · 1 of 2") < out.index("Item 1 · 2 of 2")  # received first, first
    assert "Send this reply to Dana <dana@x.example> now? [y/n]" in out and "Not sent." in out
    assert sent == [] and (tally.approved, tally.skipped) == (0, 2)
