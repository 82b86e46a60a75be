from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from triage.errors import QueueError, StoreError
from triage.models import Action, Envelope, Label, Origin, Plan, Reply, SlotTime, State, Verdict
from triage.service import oldest_waiting
from triage.store import MIGRATIONS, ORIGINAL_TEXT_CHARS, Store

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
VERDICT = Verdict(Label.INVITE, 0.9, is_invite=True, evidence=("invites_you",))
REPLY = Reply("Dana <dana@x.io>", "Re: Interview", "<m1@x.io>", ("<m1@x.io>",), "Hi\n", "<r1@me>")


def _draft(store: Store, uid: int, message_id: str | None = "<m1@x.io>") -> int | None:
    origin = Origin("me@host", "INBOX", 7, uid)
    return store.record(
        origin,
        Envelope(message_id, "Dana <dana@x.io>", "Interview"),
        Plan(Action.DRAFT, VERDICT, reply=REPLY),
        NOW,
    )


def test_migrations_run_once_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    Store.open(path).close()
    Store.open(path).close()
    names = [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM migrations")]
    assert names == [name for name, _ in MIGRATIONS]


def test_queue_is_unique_per_message_id_and_origin(tmp_path: Path) -> None:
    with Store.open(tmp_path / "q.sqlite3") as store:
        assert _draft(store, 1) == 1
        assert _draft(store, 2) is None  # same Message-ID under another UID
        assert _draft(store, 1, "<other@x.io>") is None  # same origin
        assert store.checkpoint("me@host", "INBOX") == (7, 2)
        item = store.get(1)
        assert item.reply == REPLY and item.state is State.PENDING
        assert item.history and "detected as invite" in item.history[0][1]


def test_what_record_would_find_a_duplicate_is_read_without_writing(tmp_path: Path) -> None:
    """For a dry run: the item a Message-ID or an origin is queued as, and the attempts count."""
    with Store.open(tmp_path / "q.sqlite3") as store:
        assert _draft(store, 1) == 1
        origin = Origin("me@host", "INBOX", 7, 2)
        store.begin_attempt(origin, NOW)
        changes = store._conn.total_changes
        assert store.queued_as(origin, "<m1@x.io>") == 1  # its Message-ID is queued
        assert store.queued_as(Origin("me@host", "INBOX", 7, 1), "<new@x.io>") == 1  # its place
        assert store.queued_as(origin, "<new@x.io>") is None
        assert store.queued_as(origin, None) is None  # no Message-ID: never a duplicate by it
        assert store.attempts(origin) == 1 and store.attempts(Origin("me@host", "INBOX", 7, 3)) == 0
        assert store._conn.total_changes == changes  # nothing was written


def test_the_originals_text_is_kept_up_to_a_bound(tmp_path: Path) -> None:
    plan = Plan(Action.DRAFT, VERDICT, reply=REPLY)
    with Store.open(tmp_path / "q.sqlite3") as store:
        short = Envelope("<a@x.io>", "Dana <dana@x.io>", "Interview", None, "Hi,\nfree Monday?")
        huge = Envelope("<b@x.io>", "Dana <dana@x.io>", "Interview", None, "é" * 10**6)
        first = store.record(Origin("me@host", "INBOX", 7, 1), short, plan, NOW)
        second = store.record(Origin("me@host", "INBOX", 7, 2), huge, plan, NOW)
        assert first is not None and second is not None
        assert store.get(first).text == "Hi,\nfree Monday?"
        assert store.get(second).text == "é" * ORIGINAL_TEXT_CHARS


def test_a_thread_is_known_by_its_original_or_by_our_reply(tmp_path: Path) -> None:
    with Store.open(tmp_path / "q.sqlite3") as store:
        assert not store.knows_thread(["<m1@x.io>"])
        _draft(store, 1)
        assert store.knows_thread(["<elsewhere@y.io>", "<m1@x.io>"])  # the original
        assert store.knows_thread(["<r1@me>"])  # the reply triage drafted
        assert not store.knows_thread(["<elsewhere@y.io>"])
        assert not store.knows_thread([])
        # Only the newest references are looked up: a hostile header cannot make a huge query.
        assert store.knows_thread([f"<{n}@spam>" for n in range(5000)] + ["<m1@x.io>"])
        assert not store.knows_thread(["<m1@x.io>"] + [f"<{n}@spam>" for n in range(5000)])


def test_the_original_date_is_kept_and_a_wrong_clock_is_not_believed(tmp_path: Path) -> None:
    sent = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    future = datetime(2027, 1, 1, tzinfo=UTC)
    with Store.open(tmp_path / "q.sqlite3") as store:
        for uid, date in ((1, sent), (2, future), (3, None)):
            store.record(
                Origin("me@host", "INBOX", 7, uid),
                Envelope(f"<d{uid}@x.io>", "Dana <dana@x.io>", "Interview", date),
                Plan(Action.DRAFT, VERDICT, reply=REPLY),
                NOW,
            )
        first, second, third = (store.get(n) for n in (1, 2, 3))
    assert first.date == sent and first.waiting_since == sent
    assert second.date == future and second.waiting_since == NOW
    assert third.date is None and third.waiting_since == NOW


def test_the_oldest_waiting_item_is_the_one_received_first_not_queued_first(
    tmp_path: Path,
) -> None:
    """Queue order is not arrival order (a late first poll, a rescan after a UIDVALIDITY change,
    a message moved in from another folder); Date headers come in any offset."""
    dates = {
        1: datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
        2: datetime(2026, 11, 20, 18, 0, tzinfo=ZoneInfo("America/Los_Angeles")),  # 02:00 UTC
        3: datetime(2026, 11, 21, 9, 0, tzinfo=timezone(timedelta(hours=5))),  # 04:00 UTC
    }
    plan = Plan(Action.DRAFT, VERDICT, reply=REPLY)
    with Store.open(tmp_path / "q.sqlite3") as store:
        for uid, date in dates.items():
            envelope = Envelope(f"<o{uid}@x.io>", "Dana <dana@x.io>", "Interview", date)
            store.record(Origin("me@host", "INBOX", 7, uid), envelope, plan, NOW)
        waiting = store.items([State.PENDING], oldest_first=True)
        assert [i.id for i in waiting] == [2, 3, 1]
        assert [i.id for i in store.items([State.PENDING])] == [3, 2, 1]  # newest queued first
        oldest = oldest_waiting(store)
        assert oldest is not None and oldest.id == 2


def test_only_allowed_transitions(tmp_path: Path) -> None:
    with Store.open(tmp_path / "q.sqlite3") as store:
        _draft(store, 1)
        with pytest.raises(QueueError, match="cannot become sent"):
            store.transition(1, State.SENT, NOW)
        store.transition(1, State.APPROVED, NOW)
        store.transition(1, State.SENDING, NOW)
        store.transition(1, State.SENT, NOW)
        with pytest.raises(QueueError):
            store.transition(1, State.APPROVED, NOW)
        with pytest.raises(QueueError, match="no queue item 99"):
            store.get(99)
        assert [e for _, e in store.get(1).history][1:] == ["approved", "sending", "sent"]


def test_checkpoint_resets_with_uidvalidity(tmp_path: Path) -> None:
    with Store.open(tmp_path / "q.sqlite3") as store:
        store.advance(Origin("a", "INBOX", 1, 50), NOW)
        store.advance(Origin("a", "INBOX", 1, 40), NOW)
        assert store.checkpoint("a", "INBOX") == (1, 50)
        store.advance(Origin("a", "INBOX", 2, 3), NOW)
        assert store.checkpoint("a", "INBOX") == (2, 3)


def test_edit_only_pending_drafts(tmp_path: Path) -> None:
    with Store.open(tmp_path / "q.sqlite3") as store:
        _draft(store, 1)
        assert store.set_reply_body(1, "New body\n", NOW).reply.body == "New body\n"  # type: ignore[union-attr]
        store.transition(1, State.REJECTED, NOW)
        with pytest.raises(QueueError, match="only a pending draft"):
            store.set_reply_body(1, "x", NOW)


def test_a_daemon_and_cli_commands_write_at_once_without_database_is_locked(
    tmp_path: Path,
) -> None:
    """Two processes' worth of connections to one file: the daemon recording mail while the
    CLI edits and rejects. BEGIN IMMEDIATE and the busy timeout make them wait, never fail."""
    path = tmp_path / "q.sqlite3"
    Store.open(path).close()
    errors: list[BaseException] = []

    def daemon() -> None:
        try:
            with Store.open(path) as store:
                for uid in range(1, 301):
                    origin = Origin("me@host", "INBOX", 7, uid)
                    store.begin_attempt(origin, NOW)
                    store.record(
                        origin,
                        Envelope(f"<m{uid}@x.io>", "Dana <dana@x.io>", "Interview"),
                        Plan(Action.DRAFT, VERDICT, reply=REPLY),
                        NOW,
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def cli() -> None:
        try:
            with Store.open(path) as store:
                done = 0
                while done < 100 and not errors:
                    for item in store.items([State.PENDING])[:5]:
                        store.set_reply_body(item.id, "Edited\n", NOW)
                        store.transition(item.id, State.REJECTED, NOW)
                        done += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=daemon), threading.Thread(target=cli)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with Store.open(path) as store:
        counts = store.counts()
    assert counts[State.REJECTED] >= 100
    assert counts[State.REJECTED] + counts.get(State.PENDING, 0) == 300


def test_the_queue_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "q.sqlite3"
    with Store.open(path) as store:
        _draft(store, 1)
        wal = path.with_name("q.sqlite3-wal")
        assert wal.exists() and wal.stat().st_mode & 0o777 == 0o600
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_a_full_disk_is_a_store_error_that_says_so(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    with Store.open(path) as store:
        store._conn.execute("PRAGMA max_page_count = 40")  # the disk fills up
        with pytest.raises(StoreError, match="full"):
            for uid in range(1, 5000):
                _draft(store, uid, f"<m{uid}@x.io>")
        assert store.get(1).state is State.PENDING  # what was committed before is intact


def test_processes_opening_a_new_queue_at_once_all_succeed(tmp_path: Path) -> None:
    """The daemon and a command started together on a fresh install (or after an upgrade)."""
    for attempt in range(5):
        path = tmp_path / f"q{attempt}.sqlite3"
        errors: list[BaseException] = []

        def open_it(path: Path = path, errors: list[BaseException] = errors) -> None:
            try:
                Store.open(path).close()
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        names = [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM migrations")]
        assert names == [name for name, _ in MIGRATIONS]


def test_approving_a_draft_that_changed_since_it_was_read_is_refused(tmp_path: Path) -> None:
    with Store.open(tmp_path / "q.sqlite3") as store:
        item_id = _draft(store, 1)
        assert item_id is not None
        read = store.get(item_id).reply
        assert read is not None
        store.set_reply_body(item_id, "Edited in the mail client.\n", NOW)
        with pytest.raises(QueueError, match="changed meanwhile"):
            store.transition(item_id, State.APPROVED, NOW, if_reply=read)
        assert store.get(item_id).state is State.PENDING
        current = store.get(item_id).reply
        assert (
            store.transition(item_id, State.APPROVED, NOW, if_reply=current).state is State.APPROVED
        )


def test_a_draft_sent_from_the_mail_client_or_failed_keeps_its_time_busy(tmp_path: Path) -> None:
    start = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    slot = SlotTime(start, start + timedelta(minutes=30), "Tuesday at 3pm")
    with Store.open(tmp_path / "q.sqlite3") as store:
        for uid, ends_as in enumerate((State.SENT_BY_USER, State.FAILED, State.REJECTED), 1):
            origin = Origin("me@host", "INBOX", 7, uid)
            plan = Plan(Action.DRAFT, VERDICT, reply=REPLY, chosen=slot)
            item_id = store.record(origin, Envelope(f"<m{uid}@x.io>", "Dana", "Hi"), plan, NOW)
            assert item_id is not None
            if ends_as is State.FAILED:
                for state in (State.APPROVED, State.SENDING):
                    store.transition(item_id, state, NOW)
            store.transition(item_id, ends_as, NOW)
        # the reply the user sent themselves, and the one that may have gone out, hold 15:00;
        # the rejected one does not
        assert store.busy() == ((start, start + timedelta(minutes=30)),) * 2


def test_mail_without_a_message_id_is_found_again_by_its_fingerprint_after_uidvalidity_changes(
    tmp_path: Path,
) -> None:
    plan = Plan(Action.DRAFT, VERDICT, reply=REPLY)
    envelope = Envelope(None, "Sarah <sarah@x.io>", "Interview", fingerprint="f" * 64)
    with Store.open(tmp_path / "q.sqlite3") as store:
        assert store.record(Origin("me@host", "Jobs", 7, 5), envelope, plan, NOW) == 1
        moved = Origin("me@host", "Jobs", 8, 5)  # the folder's UIDVALIDITY changed
        assert store.queued_as(moved, None, "f" * 64) == 1
        assert store.record(moved, envelope, plan, NOW) is None  # a duplicate: no second draft
        other = Envelope(None, "Sarah <sarah@x.io>", "Interview", fingerprint="e" * 64)
        assert store.record(Origin("me@host", "Jobs", 8, 6), other, plan, NOW) == 2


def test_a_read_of_a_queue_that_fails_is_a_store_error_not_a_traceback(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "q.sqlite3")
    _draft(store, 1)
    store.close()  # as a damaged or vanished file would: every read fails in sqlite3
    for read in (store.items, store.counts, store.busy, lambda: store.get(1)):
        with pytest.raises(StoreError, match="queue database"):
            read()
