"""The command line's stable interface: exit codes, JSON shapes, messages."""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import MAIL, ImapAccount, shell_script

from triage.cli import main
from triage.config import load_settings
from triage.errors import TriageError
from triage.local_servers import PymapServer
from triage.models import Origin
from triage.store import MAX_ATTEMPTS, Store


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["queue", "frobnicate"]) == 2
    assert main(["queue", "list", "--state", "bogus"]) == 2
    assert "unknown state" in capsys.readouterr().err
    assert main(["auth", "--port", "70000"]) == 2
    assert "expected a port from 1 to 65535" in capsys.readouterr().err


def _heavy_modules_after(imports: str) -> str:
    heavy = "{'spacy', 'dateparser'}"
    code = (
        f"import sys, {imports}; print(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_commands_that_do_not_classify_do_not_load_spacy() -> None:
    # `triage queue`, `approve`, `review` and `--help` answer in a fraction of a second; spaCy's
    # import alone takes about 0.9 s and is paid only by the commands that classify.
    modules = "triage.cli, triage.app, triage.service, triage.extract, triage.review"
    assert _heavy_modules_after(modules) == "[]"
    assert _heavy_modules_after("triage.classify") == "['spacy']"  # the check can tell


@pytest.mark.usefixtures("no_triage_env")
def test_config_errors_exit_1_listing_every_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_text("TRIAGE_IMAP_PORT=abc\nTRIAGE_POLL_SECONDS=1\n")
    assert main(["--env-file", str(env_file), "run", "--once"]) == 1
    err = capsys.readouterr().err
    for name in ("TRIAGE_IMAP_HOST", "TRIAGE_IMAP_PORT", "TRIAGE_POLL_SECONDS", "TRIAGE_FROM"):
        assert name in err


def test_classify_json_lines_keep_their_interface(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(MAIL / "invite_plain.eml"), str(MAIL / "list_alert.eml")]
    assert main(["classify", "--json", *files]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["file"] for r in rows] == files
    assert rows[0]["is_invite"] is True and rows[0]["label"] == "invite"
    assert rows[1]["is_invite"] is False
    assert all(0.0 <= r["score"] <= 1.0 for r in rows)


def test_classify_reads_stdin_and_reports_unreadable_files(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class _Stdin:
        buffer = __import__("io").BytesIO((MAIL / "invite_plain.eml").read_bytes())

    monkeypatch.setattr(sys, "stdin", _Stdin)
    assert main(["classify", "-", "/nonexistent.eml"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("-: invite")
    assert "cannot read /nonexistent.eml" in captured.err


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
@pytest.mark.usefixtures("triage_env")
def test_queue_json_shape(imap: ImapAccount, capsys: pytest.CaptureFixture[str]) -> None:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    assert main(["run", "--once"]) == 0
    capsys.readouterr()
    assert main(["queue", "list", "--json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    for key in ("id", "state", "message_id", "from", "subject", "text", "label", "score", "reply"):
        assert key in item
    assert set(item["reply"]) >= {"to", "subject", "in_reply_to", "references", "body"}
    # The original's newest text is kept, to be read beside the draft.
    assert item["text"].startswith("Hi Jordan,\n\nThanks for applying")
    assert "Friday 13 November, 11:00 am ET" in item["text"]
    assert main(["queue", "show", str(item["id"])]) == 0
    shown = capsys.readouterr().out
    assert "Draft reply:" in shown and "History:" in shown and "detected as invite" in shown
    assert "  > - Thursday 12 November, 3:00 pm ET\n" in shown


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_a_dry_run_reports_and_changes_nothing(
    imap: ImapAccount, triage_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    db = Path(triage_env["TRIAGE_DB_PATH"])
    caplog.set_level(logging.INFO)
    assert main(["run", "--dry-run"]) == 0
    assert "-> draft" in caplog.text  # it says what it would do
    assert not db.exists()  # and leaves no queue behind
    assert main(["run", "--once"]) == 0
    imap.append((MAIL / "invite_plain.eml").read_bytes().replace(b"<2026", b"<again-2026"))
    assert main(["run", "--dry-run"]) == 0
    rows = sqlite3.connect(db).execute("SELECT count(*) FROM items").fetchone()
    assert rows == (1,)  # the second message is not queued, nor the checkpoint moved
    assert main(["run", "--once"]) == 0
    assert sqlite3.connect(db).execute("SELECT count(*) FROM items").fetchone() == (2,)


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_a_broken_template_stops_the_run_before_any_mail_is_quarantined(
    imap: ImapAccount,
    triage_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mine = Path(triage_env["TRIAGE_DB_PATH"]).parent / "my-templates"
    mine.mkdir()
    (mine / "invite_slot.txt.j2").write_text("Hi {{ greeting_name }\n")  # a missing brace
    monkeypatch.setenv("TRIAGE_TEMPLATE_DIR", str(mine))
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    assert main(["run", "--once"]) == 1
    err = capsys.readouterr().err
    assert "TRIAGE_TEMPLATE_DIR" in err and "invite_slot.txt.j2" in err
    db = Path(triage_env["TRIAGE_DB_PATH"])
    assert not db.exists() or sqlite3.connect(db).execute(
        "SELECT count(*) FROM items"
    ).fetchone() == (0,)
    # Mended, the same invitation is drafted: it was never passed over.
    (mine / "invite_slot.txt.j2").unlink()
    assert main(["run", "--once"]) == 0
    states = sqlite3.connect(db).execute("SELECT state FROM items").fetchall()
    assert states == [("pending",)]


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_templates_that_work_for_real_mail_pass_the_start_up_check(
    imap: ImapAccount, triage_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Neither fails with what a real poll gives (a digest lists an item; the user has a name),
    # only with the empty sample doctor also tries.
    mine = Path(triage_env["TRIAGE_DB_PATH"]).parent / "my-templates"
    mine.mkdir()
    (mine / "reminder.txt.j2").write_text("Oldest: {{ items[0].subject }}\n")
    (mine / "invite_slot.txt.j2").write_text(
        "Hi,\n\n{{ slot }} suits me.\n\n{{ user_name.split()[0] }}\n"
    )
    monkeypatch.setenv("TRIAGE_TEMPLATE_DIR", str(mine))
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    assert main(["run", "--once"]) == 0


TIME_LABELS = ("Accepts: ", "Proposes:")


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
@pytest.mark.usefixtures("triage_env")
def test_a_dry_run_shows_each_draft_and_action_item_it_would_queue(
    imap: ImapAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("invite_plain.eml", "invite_reply_to.eml", "invite_ats_noreply_link.eml"):
        imap.append((MAIL / name).read_bytes())
    assert main(["run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Would queue 2 draft(s) and 1 action item(s); nothing was written:")
    plain, reply_to, action = (part.split(": ", 1)[1] for part in out.split("\n  uid ")[1:])
    assert plain.startswith("draft\n    To:       Ravi Menon <ravi.menon@saltfern.io>\n")
    assert "    Subject:  Re: Interview for Backend Engineer - Saltfern\n" in plain
    assert reply_to.startswith("draft\n    To:       Felix Oyelaran <felix.oyelaran@quarrytide")
    times = []
    for draft in (plain, reply_to):  # the accepted time, or the windows proposed instead
        times.append({line for line in draft.splitlines() if line[4:13] in TIME_LABELS})
        assert times[-1], draft
    assert not times[0] & times[1]  # as a real run, the second draft keeps clear of the first
    assert action.startswith("action item, no draft: no address a person reads")
    assert "    From:     Orchardline" in action and "    Link:     https://" in action
    assert "Hi Ravi" not in out  # no draft text: short


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_a_dry_run_shows_duplicates_as_a_real_run_finds_them(
    imap: ImapAccount, triage_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The same Message-ID twice in one poll, or one already queued, is a duplicate to a real
    run: the dry run lists no draft for it, nor keeps its windows busy."""
    invite = (MAIL / "invite_plain.eml").read_bytes()
    imap.append(invite)
    assert main(["run", "--dry-run"]) == 0
    alone = capsys.readouterr().out
    imap.append(invite)  # delivered twice: one Message-ID, two UIDs
    assert main(["run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    first, second = sorted(imap.flags())
    assert out.startswith(alone), out  # one draft, proposing what it would alone
    assert out[len(alone) :] == (
        "Would pass over 1 duplicate(s):\n"
        f"  uid {second}: the same Message-ID as uid {first}, earlier in this poll\n"
    )
    assert main(["run", "--once"]) == 0
    imap.append(invite)  # and again, after the real run queued it
    capsys.readouterr()
    assert main(["run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Nothing would be queued.\nWould pass over 1 duplicate(s):\n"), out
    assert "queued already as item 1" in out
    db = Path(triage_env["TRIAGE_DB_PATH"])
    assert sqlite3.connect(db).execute("SELECT count(*) FROM items").fetchone() == (1,)


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_a_dry_run_counts_what_a_real_run_records_as_ignored_or_quarantined(
    imap: ImapAccount, triage_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    invite = (MAIL / "invite_plain.eml").read_bytes()
    listed = invite.replace(b"\nSubject:", b"\nList-Id: Jobs <jobs.lists.example.org>\nSubject:", 1)
    imap.append(listed)  # an invitation behind a loop guard: recorded as ignored
    imap.append(invite.replace(b"Message-ID: <", b"Message-ID: <crashed-", 1))
    assert main(["run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    listed_uid, crashed_uid = sorted(imap.flags())
    assert out.startswith(
        "Would queue 1 draft(s) and 0 action item(s); nothing was written:\n"
        f"  uid {crashed_uid}: draft\n"
    ), out
    assert (
        "Would also record 1 item(s) with no reply to send:\n"
        f"  uid {listed_uid}: ignored: mailing-list mail (List-Id: Jobs <jobs.lists.example.org>)\n"
        "    From:     Ravi Menon <ravi.menon@saltfern.io>\n"
    ) in out
    settings = load_settings(triage_env)
    with Store.open(settings.db_path) as store:  # three runs died reading the second message
        uidvalidity = int(imap.client().select_folder("INBOX", readonly=True)[b"UIDVALIDITY"])
        origin = Origin(settings.account, "INBOX", uidvalidity, crashed_uid)
        for _ in range(MAX_ATTEMPTS):
            store.begin_attempt(origin, datetime.now(UTC))
    assert main(["run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Would record 2 item(s) with no reply to send; nothing was written:\n")
    assert f"  uid {crashed_uid}: quarantined: handling this message was interrupted 3 times" in out
    assert main(["run", "--once"]) == 0
    states = sqlite3.connect(settings.db_path).execute("SELECT uid, state FROM items ORDER BY uid")
    assert states.fetchall() == [(listed_uid, "ignored"), (crashed_uid, "quarantined")]


@pytest.mark.usefixtures("triage_env")
def test_secrets_never_reach_the_logs(
    imap: ImapAccount,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    caplog.set_level(logging.DEBUG)
    assert main(["-v", "run", "--once"]) == 0
    monkeypatch.setenv("TRIAGE_IMAP_PASSWORD", "wrong-" + imap.password)
    assert main(["-v", "run", "--once"]) == 1
    captured = capsys.readouterr()
    # pymap runs in this process as the *server*; its own debug log of LOGIN is not triage's.
    client_side = [r.getMessage() for r in caplog.records if not r.name.startswith("pymap")]
    assert any("LOGIN" in line for line in client_side)  # the login was logged, redacted
    everything = "\n".join(client_side) + captured.out + captured.err
    assert "logging in" in captured.err
    assert "b'" not in captured.err and 'b"' not in captured.err  # the server's words, not bytes
    assert imap.password not in everything


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
@pytest.mark.usefixtures("triage_env")
def test_a_refused_login_names_the_settings_to_fix(
    imap: ImapAccount, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRIAGE_IMAP_PASSWORD", "wrong-" + imap.password)
    assert main(["run", "--once"]) == 1
    err = capsys.readouterr().err
    assert f"logging in as {imap.user} failed" in err
    assert (
        "check TRIAGE_IMAP_USER and TRIAGE_IMAP_PASSWORD (or the imap-password credential)" in err
    )
    assert imap.password not in err


def _edited(capsys: pytest.CaptureFixture[str]) -> Any:
    """``triage queue edit 1`` with $EDITOR, then item 1 as ``queue show --json`` gives it."""
    assert main(["queue", "edit", "1"]) == 0
    capsys.readouterr()
    assert main(["queue", "show", "--json", "1"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_edit_uses_the_editor(
    triage_env: dict[str, str],
    imap: ImapAccount,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    assert main(["run", "--once"]) == 0
    editor = shell_script(
        tmp_path / "editor.sh", "printf 'Hi Ravi,\\n\\nTuesday works.\\n' > \"$1\"\n"
    )
    monkeypatch.setenv("EDITOR", str(editor))
    item = _edited(capsys)
    assert item["reply"]["body"] == "Hi Ravi,\n\nTuesday works.\n"
    assert any(h["event"] == "edited" for h in item["history"])
    # The times the draft proposed stay kept free while the user's text names no other, and
    # the times the user writes instead replace them.
    assert len(item["proposed_windows"]) == 3
    shell_script(
        editor, "printf 'I am free Monday 4 January 2027, 10:00 am-12:00 pm ET.\n' > \"$1\"\n"
    )
    item = _edited(capsys)
    assert item["proposed_windows"] == [["2027-01-04T10:00:00-05:00", "2027-01-04T12:00:00-05:00"]]
    events = [h["event"] for h in item["history"]]
    assert "the edited draft proposes 1 window(s): those times are kept free" in events


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
@pytest.mark.parametrize(
    "editor",
    ["/nonexistent/editor", 'vi "unbalanced', "latin-1", "deletes the file"],
)
def test_an_editor_that_cannot_run_or_saves_nothing_readable_is_a_one_line_error(
    editor: str,
    triage_env: dict[str, str],
    imap: ImapAccount,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    assert main(["run", "--once"]) == 0
    scripts = {
        "latin-1": "printf 'Gr\\374\\337e\\n' > \"$1\"\n",
        "deletes the file": 'rm "$1"\n',
    }
    if editor in scripts:
        editor = str(shell_script(tmp_path / "editor.sh", scripts[editor]))
    monkeypatch.setenv("EDITOR", editor)
    monkeypatch.delenv("VISUAL", raising=False)
    capsys.readouterr()
    assert main(["queue", "edit", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("triage: ") and "the draft is unchanged" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["queue", "show", "--json", "1"]) == 0
    assert "edited" not in capsys.readouterr().out


def _queued(db: Path) -> bool:
    """True once the daemon has committed a queue item (its first poll is done)."""
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return bool(conn.execute("SELECT count(*) FROM items").fetchone()[0])
    except sqlite3.Error:
        return False  # not created or not migrated yet


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_daemon_stops_cleanly_on_sigterm(triage_env: dict[str, str], imap: ImapAccount) -> None:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    proc = subprocess.Popen(
        [sys.executable, "-m", "triage", "run"],
        env={**os.environ, **triage_env},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        db = Path(triage_env["TRIAGE_DB_PATH"])
        while time.monotonic() < deadline and not _queued(db):
            time.sleep(0.1)
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "-> draft item=1" in err and "received SIGTERM, stopping" in err


def test_a_reader_that_goes_away_is_no_error(tmp_path: Path) -> None:
    data = tmp_path / "labelled.jsonl"
    row = '{"id": "x%d", "label": "invite", "subject": "Lunch", "body": "Lunch at noon?"}\n'
    data.write_text("".join(row % i for i in range(3000)))  # 3,000 misses: more than a pipe holds
    proc = subprocess.Popen(
        [sys.executable, "-m", "triage", "eval", str(data), "--errors", "3000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdout.readline().startswith(b"messages: 3000")
    proc.stdout.close()  # what `| head -1` does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and b"Traceback" not in err, err.decode()


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # one server is enough
def test_status_shows_the_last_poll_by_hand_too(
    triage_env: dict[str, str], imap: ImapAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    imap.append((MAIL / "invite_plain.eml").read_bytes())
    assert main(["run", "--once"]) == 0
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    daemon = json.loads(capsys.readouterr().out)["daemon"]
    assert (
        daemon["running"] is False and daemon["last_poll_at"] and "1 draft" in daemon["last_poll"]
    )


def test_a_demo_server_that_cannot_start_says_so_and_leaves_no_thread_running() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = PymapServer()
        server.port = taken.getsockname()[1]  # another program holds it
        with pytest.raises(TriageError, match="did not start"):
            server.start()
        assert not server._thread.is_alive()
