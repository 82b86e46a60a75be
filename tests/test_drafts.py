"""Review where the user already reads mail: flags on the original, the draft in Drafts, and the
queue following what the user does in their own client. Real servers (pymap and Dovecot)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import MAIL, ImapAccount, queue_item, shell_script

from triage import app
from triage.cli import main
from triage.config import environ_with_file, load_settings
from triage.errors import ConfigError
from triage.local_servers import SmtpSink
from triage.mailbox import FETCH_BYTES, Mailbox, _by_bytes
from triage.models import Extraction, QueueItem, SlotTime
from triage.remind import ReminderPolicy, due

INVITE = MAIL / "invite_plain.eml"


def _parsed(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


ORIGINAL_ID = str(_parsed(INVITE.read_bytes())["Message-ID"]).strip()


@pytest.fixture
def account(imap: ImapAccount, triage_env: dict[str, str]) -> ImapAccount:
    """The test mailbox with a Drafts folder (Dovecot has one marked \\Drafts; pymap by name)."""
    client = imap.client()
    try:
        if not client.folder_exists("Drafts"):
            client.create_folder("Drafts")
    finally:
        client.logout()
    return imap


def _items(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["queue", "list", "--json"]) == 0
    items: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return items


def _one_item(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    items = _items(capsys)
    assert len(items) == 1, items
    return items[0]


def _drafts(imap: ImapAccount) -> list[tuple[tuple[bytes, ...], EmailMessage]]:
    client = imap.client()
    try:
        client.select_folder("Drafts", readonly=True)
        uids = client.search("ALL")
        data = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
        return [(d[b"FLAGS"], _parsed(d[b"BODY[]"])) for _, d in sorted(data.items())]
    finally:
        client.logout()


def _delete_drafts(imap: ImapAccount) -> None:
    client = imap.client()
    try:
        client.select_folder("Drafts")
        client.delete_messages(client.search("ALL"))
        client.expunge()
    finally:
        client.logout()


def test_an_invite_is_flagged_and_gets_exactly_one_draft_in_drafts(
    account: ImapAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    account.append(INVITE.read_bytes())
    assert main(["run", "--once"]) == 0
    assert main(["run", "--once"]) == 0  # a second poll must not save a second draft

    flags = next(iter(account.flags().values()))
    assert b"\\Flagged" in flags
    assert b"\\Seen" not in flags
    if account.kind == "dovecot":  # keywords where the server allows them
        assert b"$Interview" in flags

    drafts = _drafts(account)
    assert len(drafts) == 1
    draft_flags, draft = drafts[0]
    assert b"\\Draft" in draft_flags
    item = _one_item(capsys)
    reply = item["reply"]
    assert isinstance(reply, dict)
    assert draft["In-Reply-To"] == ORIGINAL_ID
    assert ORIGINAL_ID in str(draft["References"])
    assert draft["Subject"] == reply["subject"]
    assert draft.get_content().replace("\r\n", "\n").strip() == str(reply["body"]).strip()
    where = item["draft"]
    assert isinstance(where, dict)
    assert where["folder"] == "Drafts"


def test_sending_the_draft_from_a_mail_client_marks_the_item_sent_by_user(
    account: ImapAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    account.append(INVITE.read_bytes())
    assert main(["run", "--once"]) == 0
    ((_, draft),) = _drafts(account)
    # What a client does when the user presses Send: the message lands in Sent, the draft goes.
    del draft["Message-ID"]
    draft["Message-ID"] = "<client-made-id@mail.example.net>"
    account.append(draft.as_bytes(policy=policy.SMTP), folder="Sent")
    _delete_drafts(account)

    assert main(["run", "--once"]) == 0
    item = _one_item(capsys)
    assert item["state"] == "sent_by_user"
    capsys.readouterr()
    assert main(["queue", "show", str(item["id"])]) == 0
    assert "sent_by_user" in capsys.readouterr().out


def test_deleting_the_draft_dismisses_the_item(
    account: ImapAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    account.append(INVITE.read_bytes())
    assert main(["run", "--once"]) == 0
    _delete_drafts(account)
    assert main(["run", "--once"]) == 0
    assert _one_item(capsys)["state"] == "dismissed"
    assert main(["run", "--once"]) == 0
    assert _drafts(account) == []  # a dismissed item never gets its draft back


@pytest.mark.parametrize("imap", ["dovecot"], indirect=True)
def test_a_draft_edited_and_resaved_in_the_client_is_followed_and_its_text_is_what_is_sent(
    account: ImapAccount, smtp: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    account.append(INVITE.read_bytes())
    assert main(["run", "--once"]) == 0
    ((_, draft),) = _drafts(account)
    del draft["Message-ID"]  # a client saves an edited draft as a new message
    draft["Message-ID"] = "<resaved.1@phone.example>"
    draft.set_content("Edited on my phone: Tuesday at 10 suits me better.\n")
    _delete_drafts(account)
    account.append(draft.as_bytes(policy=policy.SMTP), folder="Drafts")
    assert main(["run", "--once"]) == 0
    item = _one_item(capsys)
    assert item["state"] == "pending"
    assert len(_drafts(account)) == 1
    history = _history(capsys, int(str(item["id"])))
    assert any("draft edited in your mail client" in line for line in history)
    assert any("took the edited text" in line for line in history)

    assert main(["run", "--once"]) == 0  # followed once, not again at every poll
    history_again = _history(capsys, int(str(item["id"])))
    assert sum("took the edited text" in line for line in history_again) == 1

    assert main(["queue", "approve", str(item["id"])]) == 0
    (sent,) = smtp.received
    body = _parsed(sent.content).get_body()
    assert body is not None
    assert body.get_content().strip() == "Edited on my phone: Tuesday at 10 suits me better."
    assert _drafts(account) == []  # the edited draft went out: not left to be sent twice


def test_a_draft_only_flagged_deleted_in_the_client_dismisses_the_item(
    account: ImapAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    """Some clients delete by setting \\Deleted and expunge later: the draft is gone for the
    user, and must not be taken for one re-saved after an edit."""
    account.append(INVITE.read_bytes())
    assert main(["run", "--once"]) == 0
    client = account.client()
    try:
        client.select_folder("Drafts")
        client.add_flags(client.search("ALL"), [b"\\Deleted"])
    finally:
        client.logout()
    assert main(["run", "--once"]) == 0
    item = _one_item(capsys)
    assert item["state"] == "dismissed"
    assert not any("edited" in line for line in _history(capsys, int(str(item["id"]))))


def test_approving_in_triage_sends_once_and_removes_the_draft(
    account: ImapAccount, smtp: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    account.append(INVITE.read_bytes())
    assert main(["run", "--once"]) == 0
    item = _one_item(capsys)
    assert main(["queue", "approve", str(item["id"])]) == 0
    assert len(smtp.received) == 1
    assert _drafts(account) == []
    assert main(["run", "--once"]) == 0  # our own copy in Sent is not "sent by the user"
    assert _one_item(capsys)["state"] == "sent"


def test_rejecting_and_editing_in_triage_keep_the_drafts_folder_in_step(
    account: ImapAccount,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account.append(INVITE.read_bytes())
    assert main(["run", "--once"]) == 0
    item = _one_item(capsys)
    editor = shell_script(tmp_path / "editor.sh", 'printf "A new text.\\n" > "$1"\n')
    monkeypatch.setenv("EDITOR", str(editor))
    assert main(["queue", "edit", str(item["id"])]) == 0
    ((_, draft),) = _drafts(account)
    assert draft.get_content().strip() == "A new text."
    assert main(["queue", "reject", str(item["id"])]) == 0
    assert _drafts(account) == []


def test_drafts_can_be_turned_off(
    account: ImapAccount, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIAGE_DRAFTS_FOLDER", "off")
    monkeypatch.setenv("TRIAGE_FLAG_INVITES", "off")
    account.append(INVITE.read_bytes())
    assert main(["run", "--once"]) == 0
    assert _one_item(capsys)["state"] == "pending"
    assert _drafts(account) == []
    assert b"\\Flagged" not in next(iter(account.flags().values()))


def _poll_at(moment: datetime) -> None:
    settings = load_settings(environ_with_file(None), need=("imap",))
    with app.open_store(settings) as store:
        app.daemon_for(settings, store, clock=lambda: moment).poll_once()


def _digests(imap: ImapAccount) -> list[EmailMessage]:
    found = []
    for raw in imap.messages("INBOX"):
        msg = _parsed(raw)
        if msg.get("X-Triage") == "reminder":
            found.append(msg)
    return found


@pytest.mark.parametrize("imap", ["dovecot"], indirect=True)
def test_a_pending_invite_past_its_reminder_time_gets_exactly_one_digest(
    account: ImapAccount, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIAGE_QUIET_HOURS", "off")
    monkeypatch.setenv("TRIAGE_REMIND_AFTER", "4h")
    account.append(INVITE.read_bytes())
    start = datetime.now(UTC)
    _poll_at(start)
    _poll_at(start + timedelta(hours=1))
    assert _digests(account) == []  # not yet due

    _poll_at(start + timedelta(hours=5))
    _poll_at(start + timedelta(hours=5, minutes=30))  # due once per interval, not per poll
    digests = _digests(account)
    assert len(digests) == 1
    digest = digests[0]
    body = digest.get_content()
    assert "Saltfern" in body or "saltfern" in body.lower()
    assert "waiting" in digest["Subject"]
    assert digest["Auto-Submitted"] == "auto-generated"
    # The digest is the user's own automatic mail: polling it queues nothing new.
    items = _items(capsys)
    assert len(items) == 1
    assert any("reminded" in line for line in _history(capsys, int(str(items[0]["id"]))))

    _poll_at(start + timedelta(hours=9, minutes=30))  # the next interval: one more
    assert len(_digests(account)) == 2


def _history(capsys: pytest.CaptureFixture[str], item_id: int) -> list[str]:
    capsys.readouterr()
    assert main(["queue", "show", str(item_id)]) == 0
    return capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)
def test_a_broken_reminder_template_stops_the_daemon_at_start_up_not_at_reminder_time(
    account: ImapAccount, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mine = tmp_path / "templates"
    mine.mkdir()
    (mine / "reminder.txt.j2").write_text("{{ no_such_variable }}")
    monkeypatch.setenv("TRIAGE_TEMPLATE_DIR", str(mine))
    monkeypatch.setenv("TRIAGE_QUIET_HOURS", "off")
    account.append(INVITE.read_bytes())
    start = datetime.now(UTC)
    with pytest.raises(ConfigError, match=r"TRIAGE_TEMPLATE_DIR.*reminder\.txt\.j2"):
        _poll_at(start)  # said before any mail is read, not hours later when a reminder is due
    (mine / "reminder.txt.j2").unlink()  # back to the shipped one: the reminder goes out
    _poll_at(start)
    _poll_at(start + timedelta(hours=5))
    assert len(_digests(account)) == 1


def _waiting(created: datetime, starts: list[datetime], deadline: datetime | None) -> QueueItem:
    found = Extraction(slots=tuple(SlotTime(t, None) for t in starts), deadline=deadline)
    return queue_item(created_at=created, extraction=found)


@pytest.mark.parametrize("past", ["slot", "deadline"])
def test_a_slot_or_deadline_already_past_does_not_hide_the_next_one_from_an_early_reminder(
    past: str,
) -> None:
    now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    reminder = ReminderPolicy(timedelta(hours=4), timedelta(hours=24), None, ZoneInfo("UTC"))
    gone = now - timedelta(hours=2)
    coming = now + timedelta(hours=3)  # within remind_before: remind now, not in four hours
    created = now - timedelta(hours=1)  # too recent for the ordinary reminder
    item = _waiting(
        created,
        [gone, coming] if past == "slot" else [coming],
        gone if past == "deadline" else None,
    )
    assert due([item], now, reminder) == [item]
    far = _waiting(created, [gone, now + timedelta(days=3)], None)
    assert due([far], now, reminder) == []  # nothing close ahead, and not waited long enough


class _NoPermanentFlags:
    """An IMAP client whose server's SELECT answer has no PERMANENTFLAGS (allowed by RFC 3501)."""

    def __init__(self) -> None:
        self.stored: list[tuple[list[int], list[str]]] = []

    def select_folder(self, folder: str, readonly: bool = False) -> dict[bytes, int]:
        return {b"UIDVALIDITY": 7, b"EXISTS": 1}

    def add_flags(self, uids: list[int], flags: list[str], silent: bool = False) -> None:
        self.stored.append((uids, flags))


def test_a_server_naming_no_permanent_flags_gets_them_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """RFC 3501: without PERMANENTFLAGS, every flag may be set permanently."""
    settings = load_settings({"TRIAGE_IMAP_HOST": "imap.example.net"})
    box = Mailbox(settings.imap)
    fake = _NoPermanentFlags()
    monkeypatch.setattr(box, "_client", fake)
    assert box.add_flags("INBOX", 7, [3], ["\\Flagged", "$Interview"]) == (
        "\\Flagged",
        "$Interview",
    )
    assert fake.stored == [([3], ["\\Flagged", "$Interview"])]


def test_big_messages_are_fetched_in_groups_of_bounded_size() -> None:
    mib = 1024 * 1024
    sizes = {1: 4 * mib, 2: 4 * mib, 3: 4 * mib, 4: 4 * mib, 5: 1 * mib, 6: 50 * mib, 7: 10}
    groups = list(_by_bytes(list(sizes), sizes))
    assert [uid for group in groups for uid in group] == list(sizes)  # all, in order
    assert groups == [[1, 2, 3, 4], [5, 6, 7]]  # a 50 MB message counts as the 4 MiB read of it
    assert list(_by_bytes([9], {9: FETCH_BYTES * 3})) == [[9]]  # one alone, however big


def test_a_reply_sent_while_the_mailbox_was_unreachable_is_filed_by_the_next_poll(
    account: ImapAccount,
    smtp: SmtpSink,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The SMTP send worked, the IMAP side did not (a wrong password, an outage): the draft left
    in Drafts looks unsent, and a phone would send it again. The next poll files it."""
    account.append(INVITE.read_bytes())
    assert main(["run", "--once"]) == 0
    item = _one_item(capsys)
    assert len(_drafts(account)) == 1
    monkeypatch.setenv("TRIAGE_IMAP_PASSWORD", "wrong-" + account.password)
    assert main(["queue", "approve", str(item["id"])]) == 0
    out, err = capsys.readouterr()
    assert "Sent item" in out and "filing the copy failed" in err
    assert len(smtp.received) == 1 and len(_drafts(account)) == 1  # sent, not filed
    monkeypatch.setenv("TRIAGE_IMAP_PASSWORD", account.password)
    assert main(["run", "--once"]) == 0
    assert _drafts(account) == []
    assert len(account.messages("Sent")) == 1
    assert any(b"\\Answered" in flags for flags in account.flags().values())
    assert len(smtp.received) == 1  # filed, never sent again
    assert main(["run", "--once"]) == 0
    assert len(account.messages("Sent")) == 1  # and only once


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_the_digest_goes_into_the_inbox_when_triage_watches_another_folder(
    account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = account.client()
    try:
        client.create_folder("Jobs")
    finally:
        client.logout()
    monkeypatch.setenv("TRIAGE_IMAP_FOLDER", "Jobs")
    monkeypatch.setenv("TRIAGE_QUIET_HOURS", "off")
    monkeypatch.setenv("TRIAGE_REMIND_AFTER", "4h")
    account.append(INVITE.read_bytes(), folder="Jobs")
    start = datetime.now(UTC)
    _poll_at(start)
    _poll_at(start + timedelta(hours=5))
    assert len(_digests(account)) == 1  # in INBOX, as the README says
    assert all(_parsed(raw).get("X-Triage") != "reminder" for raw in account.messages("Jobs"))
