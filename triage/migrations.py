"""The queue database's schema, as named migrations applied in order (each once)."""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_initial",
        """
        CREATE TABLE checkpoints (
            account TEXT NOT NULL,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            last_uid INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (account, folder)
        );
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            message_id TEXT UNIQUE,
            state TEXT NOT NULL,
            label TEXT NOT NULL,
            score REAL NOT NULL,
            sender TEXT NOT NULL,
            subject TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            reply TEXT,
            evidence TEXT NOT NULL DEFAULT '[]',
            links TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (account, folder, uidvalidity, uid)
        );
        CREATE INDEX items_state ON items (state);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            at TEXT NOT NULL,
            event TEXT NOT NULL
        );
        CREATE INDEX events_item ON events (item_id);
    """,
    ),
    (
        "0002_extraction_and_schedule",
        """
        ALTER TABLE items ADD COLUMN extraction TEXT;
        ALTER TABLE items ADD COLUMN schedule TEXT
    """,
    ),
    (
        "0003_drafts_reminders_attempts_runtime",
        """
        ALTER TABLE items ADD COLUMN draft_folder TEXT;
        ALTER TABLE items ADD COLUMN draft_uidvalidity INTEGER;
        ALTER TABLE items ADD COLUMN draft_uid INTEGER;
        ALTER TABLE items ADD COLUMN reminded_at TEXT;
        CREATE INDEX items_created ON items (created_at);
        CREATE TABLE attempts (
            account TEXT NOT NULL,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            count INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (account, folder, uidvalidity, uid)
        );
        CREATE TABLE runtime (
            account TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (account, key)
        )
    """,
    ),
    ("0004_original_date", "ALTER TABLE items ADD COLUMN date TEXT"),
    ("0005_original_text", "ALTER TABLE items ADD COLUMN text TEXT NOT NULL DEFAULT ''"),
    # Whether the original has been flagged (or tried and found gone): a poll that dies before
    # its flags are set leaves its items unflagged, and a later poll flags them. Items queued
    # before this column count as done: their poll flagged them, or the user unflagged them.
    ("0006_flagged", "ALTER TABLE items ADD COLUMN flagged INTEGER NOT NULL DEFAULT 1"),
    (  # mail without a Message-ID, found again by ``Envelope.fingerprint`` (NULLs never clash)
        "0007_fingerprint",
        """
        ALTER TABLE items ADD COLUMN fingerprint TEXT;
        CREATE UNIQUE INDEX items_fingerprint ON items (fingerprint)
    """,
    ),
)
