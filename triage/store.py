"""The queue and the per-folder checkpoints in SQLite. The only module that imports sqlite3.

A durable, idempotent state machine: an item is unique on its origin (account, folder,
UIDVALIDITY, UID) and on the original's Message-ID, and moves only along ``TRANSITIONS``, each
move in one ``BEGIN IMMEDIATE`` transaction together with its history event. A message's outcome
and the folder checkpoint that moves past it are committed together, so a crash can neither lose
a message nor handle it twice. The schema evolves through the named migrations in
``migrations.MIGRATIONS``; ``rows`` turns items into column values and back.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from triage.availability import held
from triage.clock import zone_label
from triage.errors import QueueError, StoreError
from triage.migrations import MIGRATIONS
from triage.models import (
    Action,
    Envelope,
    Label,
    Location,
    Origin,
    Plan,
    QueueItem,
    Reply,
    Schedule,
    State,
    Verdict,
)
from triage.rows import (
    extraction_json,
    iso,
    item_from_row,
    reply_json,
    schedule_from,
    schedule_json,
)

__all__ = ["ACTIVE", "MAX_ATTEMPTS", "MIGRATIONS", "THREAD_IDS", "TRANSITIONS", "Store"]

P = ParamSpec("P")
R = TypeVar("R")

TRANSITIONS: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.APPROVED, State.REJECTED, State.SENT_BY_USER, State.DISMISSED}),
    State.ACTION: frozenset({State.REJECTED, State.DISMISSED}),  # dismissed: acted on its links
    # Approved and not yet sending: an approval interrupted before its send began (nothing
    # went out), which a new approval takes on, or the user rejects.
    State.APPROVED: frozenset({State.SENDING, State.REJECTED}),
    State.SENDING: frozenset({State.SENT, State.FAILED}),
    # An explicit retry by the user, or the user sending it from their own client after all;
    # sent: a send taken for interrupted (``sync.recover_sending``) that then went through.
    State.FAILED: frozenset({State.APPROVED, State.SENT_BY_USER, State.REJECTED, State.SENT}),
    State.IGNORED: frozenset(),
    State.SENT: frozenset(),
    State.REJECTED: frozenset(),
    State.QUARANTINED: frozenset(),
    State.SENT_BY_USER: frozenset(),
    State.DISMISSED: frozenset(),
}

# How many times handling one message may be interrupted (the process killed while it was being
# handled) before it is quarantined instead of tried again.
MAX_ATTEMPTS = 3


# What the queue keeps of an original's text, to show beside its draft: the newest part, read as
# the classifier read it (an invitation says what it is in its first pages).
ORIGINAL_TEXT_CHARS = 20_000

BUSY_TIMEOUT_MS = 15_000  # how long a write waits for another process's (the daemon's)
THREAD_IDS = 50  # references looked up per message (hostile mail may carry thousands)

# States whose accepted slot or proposed windows keep the user's calendar busy: a draft the user
# sent from their own mail client holds its time as one triage sent does, and a failed send
# holds it until the user retries or rejects it (it may have gone out).
ACTIVE = (
    State.PENDING,
    State.APPROVED,
    State.SENDING,
    State.SENT,
    State.SENT_BY_USER,
    State.FAILED,
)

_PLAN_STATES = {"draft": State.PENDING, "notify": State.ACTION, "ignore": State.IGNORED}


def _switch_to_wal(conn: sqlite3.Connection, tries: int = 50) -> None:
    """``journal_mode=WAL``, which needs the database to itself for a moment: on a new file
    opened by two processes at once, the other may hold it, so it is tried again for about
    five seconds (the connection's busy timeout is short until the switch is made)."""
    for attempt in range(tries):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if attempt == tries - 1:
                raise
            time.sleep(0.1)
        else:
            return


def _reading(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """A read of the queue whose sqlite3 errors (a damaged or locked file) become
    ``StoreError``, as ``Store._transaction`` makes those of writes."""

    def read(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise StoreError(f"queue database {self.path}: {exc}") from exc

    functools.update_wrapper(read, method)  # its name and docstring
    return read


class Store:
    """An open queue database. Use ``Store.open(path)``; close it with ``close()`` or ``with``."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating it and its folder if needed) and migrate. Raises ``StoreError``."""
        conn = None
        try:
            # Senders, subjects and drafts are nobody else's business: the folder triage makes
            # is the owner's alone, and so is the file (SQLite gives its -wal and -shm the same).
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.touch(mode=0o600, exist_ok=True)
            conn = sqlite3.connect(path, timeout=0.05, isolation_level=None)
            conn.row_factory = sqlite3.Row
            _switch_to_wal(conn)
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            # In WAL mode NORMAL survives any crash of the process (commits are in the WAL); only
            # a power cut can lose the last ones, and handling a message again is harmless (the
            # queue is unique on origin and Message-ID). ``sending`` is written durably anyway.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            store = cls(conn, path)
            store._migrate()
        except (sqlite3.Error, OSError, StoreError) as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"cannot open the queue database {path}: {exc}") from exc
        return store

    @classmethod
    def scratch(cls) -> Store:
        """An empty queue in memory, gone when closed (``run --dry-run`` before any real run:
        it must leave no database behind)."""
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.row_factory = sqlite3.Row
        store = cls(conn, Path(":memory:"))
        store._migrate()
        return store

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction; sqlite3 errors become ``StoreError``."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"queue database {self.path}: {exc}") from exc
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException as exc:
            # SQLite has already rolled back after some errors (a full disk): a second ROLLBACK
            # would raise and hide the cause.
            if self._conn.in_transaction:
                with suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"queue database {self.path}: {exc}") from exc
            raise

    def _migrate(self) -> None:
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in self._conn.execute("SELECT name FROM migrations")}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self._transaction() as conn:
                # Another process (the daemon and a command started together) may have applied
                # it since the list was read: look again under the write lock.
                applied = "SELECT 1 FROM migrations WHERE name = ?"
                if conn.execute(applied, (name,)).fetchone() is not None:
                    continue
                for statement in filter(str.strip, sql.split(";")):
                    conn.execute(statement)
                conn.execute("INSERT INTO migrations VALUES (?, ?)", (name, iso(datetime.now(UTC))))

    # -- checkpoints ---------------------------------------------------------------------------

    @_reading
    def checkpoint(self, account: str, folder: str) -> tuple[int, int] | None:
        """(UIDVALIDITY, last handled UID) for the folder, or None before the first poll."""
        row = self._conn.execute(
            "SELECT uidvalidity, last_uid FROM checkpoints WHERE account = ? AND folder = ?",
            (account, folder),
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def _advance(self, conn: sqlite3.Connection, origin: Origin, now: datetime) -> None:
        conn.execute(
            """INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (account, folder) DO UPDATE SET
                 last_uid = CASE WHEN uidvalidity = excluded.uidvalidity
                                 THEN max(last_uid, excluded.last_uid) ELSE excluded.last_uid END,
                 uidvalidity = excluded.uidvalidity, updated_at = excluded.updated_at""",
            (origin.account, origin.folder, origin.uidvalidity, origin.uid, iso(now)),
        )

    def advance(self, origin: Origin, now: datetime) -> None:
        """Move the folder's checkpoint past ``origin.uid`` (a message with nothing to queue)."""
        with self._transaction() as conn:
            self._advance(conn, origin, now)

    # -- items ---------------------------------------------------------------------------------

    def begin_attempt(self, origin: Origin, now: datetime) -> int:
        """Count one more attempt at handling the message at ``origin``; return the count.

        Committed before the message is handled, and cleared when its outcome is recorded, so a
        message whose handling kills the process is seen again with a higher count.
        """
        with self._transaction() as conn:
            row = conn.execute(
                """INSERT INTO attempts VALUES (?, ?, ?, ?, 1, ?)
                   ON CONFLICT (account, folder, uidvalidity, uid)
                   DO UPDATE SET count = count + 1, updated_at = excluded.updated_at
                   RETURNING count""",
                (origin.account, origin.folder, origin.uidvalidity, origin.uid, iso(now)),
            ).fetchone()
        return int(row[0])

    @_reading
    def attempts(self, origin: Origin) -> int:
        """How many times handling the message at ``origin`` began and never ended (what
        ``begin_attempt`` counted); reads only, for a dry run."""
        row = self._conn.execute(
            """SELECT count FROM attempts
               WHERE account = ? AND folder = ? AND uidvalidity = ? AND uid = ?""",
            (origin.account, origin.folder, origin.uidvalidity, origin.uid),
        ).fetchone()
        return 0 if row is None else int(row[0])

    @_reading
    def queued_as(
        self, origin: Origin, message_id: str | None, fingerprint: str | None = None
    ) -> int | None:
        """The item already queued from ``origin``, for the Message-ID ``message_id`` or with
        the ``fingerprint``, which makes ``record`` find the message a duplicate; None if there
        is none. Reads only."""
        row = self._conn.execute(
            """SELECT id FROM items WHERE message_id = ? OR fingerprint = ?
                  OR (account = ? AND folder = ? AND uidvalidity = ? AND uid = ?)
               ORDER BY id LIMIT 1""",
            (
                message_id,
                fingerprint,
                origin.account,
                origin.folder,
                origin.uidvalidity,
                origin.uid,
            ),
        ).fetchone()
        return None if row is None else int(row[0])

    @staticmethod
    def _end_attempt(conn: sqlite3.Connection, origin: Origin) -> None:
        conn.execute(
            "DELETE FROM attempts WHERE account = ? AND folder = ? AND uidvalidity = ? AND uid = ?",
            (origin.account, origin.folder, origin.uidvalidity, origin.uid),
        )

    def record(self, origin: Origin, envelope: Envelope, plan: Plan, now: datetime) -> int | None:
        """Queue the plan's item and advance the checkpoint, in one transaction.

        Returns the new item's id, or None when the origin or Message-ID is queued already (the
        checkpoint still advances). A ``skip`` plan only advances the checkpoint.
        """
        with self._transaction() as conn:
            self._advance(conn, origin, now)
            self._end_attempt(conn, origin)
            state = _PLAN_STATES.get(plan.action.value)
            if state is None:
                return None
            return self._insert(conn, origin, envelope, state=state, plan=plan, now=now)

    def quarantine(
        self, origin: Origin, envelope: Envelope, reason: str, now: datetime
    ) -> int | None:
        """Record a message that could not be handled, with the reason, and move past it."""
        plan = Plan(Action.IGNORE, Verdict(Label.OTHER, 0.0, is_invite=False), reason=reason)
        with self._transaction() as conn:
            self._advance(conn, origin, now)
            self._end_attempt(conn, origin)
            return self._insert(conn, origin, envelope, state=State.QUARANTINED, plan=plan, now=now)

    def _insert(
        self,
        conn: sqlite3.Connection,
        origin: Origin,
        envelope: Envelope,
        *,
        state: State,
        plan: Plan,
        now: datetime,
    ) -> int | None:
        verdict = plan.verdict
        cursor = conn.execute(
            """INSERT INTO items (account, folder, uidvalidity, uid, message_id, state, label,
                   score, sender, subject, reason, reply, evidence, links, created_at, updated_at,
                   extraction, schedule, date, text, flagged, fingerprint)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
               ON CONFLICT DO NOTHING""",
            (
                origin.account,
                origin.folder,
                origin.uidvalidity,
                origin.uid,
                envelope.message_id,
                state.value,
                verdict.label.value,
                verdict.score,
                envelope.sender,
                envelope.subject,
                plan.reason,
                reply_json(plan.reply),
                json.dumps(verdict.evidence),
                json.dumps(plan.links),
                iso(now),
                iso(now),
                None if plan.extraction is None else json.dumps(extraction_json(plan.extraction)),
                schedule_json((plan.chosen, plan.windows)),
                iso(envelope.date) if envelope.date else None,
                envelope.text[:ORIGINAL_TEXT_CHARS],
                envelope.fingerprint,
            ),
        )
        if cursor.rowcount == 0:
            return None
        item_id = int(cursor.lastrowid or 0)
        detail = f": {plan.reason}" if plan.reason else ""
        self._event(conn, item_id, now, f"detected as {verdict.label.value}; {state.value}{detail}")
        return item_id

    @staticmethod
    def _event(conn: sqlite3.Connection, item_id: int, now: datetime, text: str) -> None:
        conn.execute(
            "INSERT INTO events (item_id, at, event) VALUES (?, ?, ?)", (item_id, iso(now), text)
        )

    def note(self, item_id: int, text: str, now: datetime) -> None:
        """Add a line to an item's history without changing its state."""
        with self._transaction() as conn:
            self._event(conn, item_id, now, text)

    @_reading
    def get(self, item_id: int) -> QueueItem:
        """The item with its history. Raises ``QueueError`` for an unknown id."""
        row = self._conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise QueueError(f"there is no queue item {item_id}; see 'triage queue list'")
        events = self._conn.execute(
            "SELECT at, event FROM events WHERE item_id = ? ORDER BY id", (item_id,)
        ).fetchall()
        history = tuple((datetime.fromisoformat(at), text) for at, text in events)
        return item_from_row(row, history)

    @_reading
    def items(
        self,
        states: Collection[State] = (),
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        oldest_first: bool = False,
    ) -> list[QueueItem]:
        """Items, newest first, optionally only those in ``states`` and detected in
        [``since``, ``until``) (history not loaded). ``oldest_first``: the one that has waited
        longest first, by when its sender wrote it (``QueueItem.waiting_since``), not by when
        triage queued it."""
        where: list[str] = []
        args: list[str] = []
        if states:
            where.append(f"state IN ({', '.join('?' * len(states))})")
            args.extend(s.value for s in states)
        if since is not None:
            where.append("created_at >= ?")
            args.append(iso(since))
        if until is not None:
            where.append("created_at < ?")
            args.append(iso(until))
        sql = "SELECT * FROM items" + (" WHERE " + " AND ".join(where) if where else "")  # noqa: S608 - placeholders only
        sql += " ORDER BY id DESC"
        items = [item_from_row(row, ()) for row in self._conn.execute(sql, args)]
        if oldest_first:  # the Date header: timestamps in any offset, compared as moments
            items.sort(key=lambda item: (item.waiting_since, item.id))
        return items

    @_reading
    def counts(self) -> dict[State, int]:
        """How many items are in each state."""
        rows = self._conn.execute("SELECT state, count(*) FROM items GROUP BY state")
        return {State(state): int(n) for state, n in rows}

    @_reading
    def knows_thread(self, message_ids: Collection[str]) -> bool:
        """Whether any of ``message_ids`` is a queued original or one of triage's drafted
        replies: a message that refers to it continues a thread with a detected interview."""
        ids = list(message_ids)[-THREAD_IDS:]  # the newest references are at the end
        if not ids:
            return False
        marks = ", ".join("?" * len(ids))
        # The reply's Message-ID is found inside its JSON with instr(), not json_extract(): that
        # needs SQLite's JSON functions, which older system libraries may lack.
        in_reply = " OR ".join("instr(reply, ?) > 0" for _ in ids)
        row = self._conn.execute(
            f"""SELECT 1 FROM items WHERE message_id IN ({marks})
                   OR (reply IS NOT NULL AND ({in_reply}))
                LIMIT 1""",  # noqa: S608 - placeholders only
            ids + [json.dumps(i) for i in ids],
        ).fetchone()
        return row is not None

    @_reading
    def unflagged(self) -> tuple[tuple[int, Origin], ...]:
        """(id, origin) of each waiting invitation (pending or action) whose original is not
        flagged yet, oldest first."""
        rows = self._conn.execute(
            """SELECT id, account, folder, uidvalidity, uid FROM items
               WHERE flagged = 0 AND state IN (?, ?) ORDER BY id""",
            (State.PENDING.value, State.ACTION.value),
        )
        return tuple((row[0], Origin(row[1], row[2], row[3], row[4])) for row in rows)

    def mark_flagged(self, item_ids: Sequence[int]) -> None:
        """Record that the originals of ``item_ids`` are flagged (or no longer there)."""
        with self._transaction() as conn:
            conn.executemany("UPDATE items SET flagged = 1 WHERE id = ?", [(i,) for i in item_ids])

    @_reading
    def busy(self) -> tuple[tuple[datetime, datetime], ...]:
        """Times already spoken for: accepted slots and proposed windows of active items."""
        marks = ", ".join("?" * len(ACTIVE))
        rows = self._conn.execute(
            f"SELECT schedule FROM items WHERE state IN ({marks}) AND schedule IS NOT NULL",  # noqa: S608 - placeholders only
            [s.value for s in ACTIVE],
        )
        return tuple(sorted(span for (text,) in rows for span in held(*schedule_from(text))))

    def transition(
        self,
        item_id: int,
        to: State,
        now: datetime,
        *,
        reason: str | None = None,
        note: str = "",
        if_reply: Reply | None = None,
    ) -> QueueItem:
        """Move an item to ``to`` if ``TRANSITIONS`` allows it from its current state (and, given
        ``if_reply``, only if that is still its draft: what was read is what is approved).

        Raises ``QueueError`` (unknown id, a move the state machine forbids, a changed draft).
        """
        with self._transaction() as conn:
            row = conn.execute("SELECT state, reply FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                raise QueueError(f"there is no queue item {item_id}; see 'triage queue list'")
            current = State(row[0])
            if to not in TRANSITIONS[current]:
                raise QueueError(f"item {item_id} is {current.value}; it cannot become {to.value}")
            if if_reply is not None and row[1] != reply_json(if_reply):
                raise QueueError(f"item {item_id}'s draft changed meanwhile; nothing was sent")
            conn.execute(
                "UPDATE items SET state = ?, reason = coalesce(?, reason), updated_at = ? "
                "WHERE id = ?",
                (to.value, reason, iso(now), item_id),
            )
            self._event(
                conn, item_id, now, to.value + (f": {note or reason}" if note or reason else "")
            )
        return self.get(item_id)

    @_reading
    def transition_durably(
        self, item_id: int, to: State, now: datetime, *, reason: str | None = None
    ) -> QueueItem:
        """``transition``, synced to disk before it returns (for ``sending``, which must survive
        even a power cut so that a send is never repeated blindly)."""
        self._conn.execute("PRAGMA synchronous=FULL")
        try:
            return self.transition(item_id, to, now, reason=reason)
        finally:
            self._conn.execute("PRAGMA synchronous=NORMAL")

    @_reading
    def stale_sending(self, before: datetime) -> list[QueueItem]:
        """Items left in ``sending`` since before ``before``: a send that was interrupted."""
        rows = self._conn.execute(
            "SELECT * FROM items WHERE state = ? AND updated_at < ? ORDER BY id",
            (State.SENDING.value, iso(before)),
        )
        return [item_from_row(row, ()) for row in rows]

    @_reading
    def sent_with_draft(self) -> list[QueueItem]:
        """Items triage sent whose draft is still recorded: filing them failed (``sync``)."""
        rows = self._conn.execute(
            "SELECT * FROM items WHERE state = ? AND draft_uid IS NOT NULL ORDER BY id",
            (State.SENT.value,),
        )
        return [item_from_row(row, ()) for row in rows]

    def set_draft(
        self, item_id: int, where: Location | None, now: datetime, *, event: str = ""
    ) -> None:
        """Remember where the item's draft is in the Drafts folder (None: there is none)."""
        with self._transaction() as conn:
            conn.execute(
                "UPDATE items SET draft_folder = ?, draft_uidvalidity = ?, draft_uid = ? "
                "WHERE id = ?",
                (
                    where.folder if where else None,
                    where.uidvalidity if where else None,
                    where.uid if where else None,
                    item_id,
                ),
            )
            if event:
                self._event(conn, item_id, now, event)

    def mark_reminded(self, item_ids: Collection[int], now: datetime) -> None:
        """Record that a reminder listed these items."""
        with self._transaction() as conn:
            for item_id in item_ids:
                conn.execute("UPDATE items SET reminded_at = ? WHERE id = ?", (iso(now), item_id))
                self._event(conn, item_id, now, "reminded (digest in INBOX)")

    # -- what the daemon reports about itself ----------------------------------------------------

    def set_runtime(self, account: str, values: dict[str, str], now: datetime) -> None:
        """Store the daemon's own state (pid, heartbeat, last poll) for ``triage status``."""
        with self._transaction() as conn:
            conn.executemany(
                """INSERT INTO runtime VALUES (?, ?, ?, ?)
                   ON CONFLICT (account, key)
                   DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at""",
                [(account, key, value, iso(now)) for key, value in values.items()],
            )

    @_reading
    def runtime(self, account: str) -> dict[str, str]:
        rows = self._conn.execute("SELECT key, value FROM runtime WHERE account = ?", (account,))
        return {key: value for key, value in rows}

    def set_reply_body(
        self,
        item_id: int,
        body: str,
        now: datetime,
        *,
        event: str = "edited",
        schedule: Schedule | None = None,
    ) -> QueueItem:
        """Replace a pending draft's body (``triage queue edit``, or an edit in the user's mail
        client) and, when given, the times it keeps busy (accepted slot, proposed windows).
        Raises ``QueueError``."""
        item = self.get(item_id)
        if item.state is not State.PENDING or item.reply is None:
            raise QueueError(
                f"item {item_id} is {item.state.value}: only a pending draft can be edited"
            )
        reply = Reply(**{**asdict(item.reply), "body": body, "references": item.reply.references})
        kept = schedule if schedule is not None else (item.chosen, item.windows)
        with self._transaction() as conn:
            changed = conn.execute(
                """UPDATE items SET reply = ?, schedule = ?, updated_at = ?
                   WHERE id = ? AND state = ?""",
                (
                    reply_json(reply),
                    schedule_json(kept),
                    iso(now),
                    item_id,
                    State.PENDING.value,
                ),
            ).rowcount
            if not changed:  # approved or rejected since it was read: nothing was edited
                raise QueueError(f"item {item_id} is no longer pending: the draft is unchanged")
            self._event(conn, item_id, now, event)
            if schedule is not None:
                self._event(conn, item_id, now, _schedule_event(schedule))
        return self.get(item_id)


def _schedule_event(schedule: Schedule) -> str:
    """The history line of an edit that changed the times a draft keeps busy."""
    chosen, windows = schedule
    if chosen is not None:
        at = f"{chosen.start:%a %Y-%m-%d %H:%M} {zone_label(chosen.start)}".strip()
        return f"the edited draft accepts {at}: that time is kept free"
    return f"the edited draft proposes {len(windows)} window(s): those times are kept free"
