"""``triage demo``: the whole path on a mailbox served locally, with no account needed.

Starts pymap (IMAP) and aiosmtpd (SMTP) on 127.0.0.1, seeds the inbox with the sample messages in
``triage/demo_mail/`` (written for this project: invitations and look-alikes), runs one poll
exactly as ``triage run --once`` does, shows the queue, approves one draft through the same code
as ``triage queue approve``, shows what the SMTP server received, and stops both servers.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from email import message_from_bytes, policy
from importlib.resources import files
from pathlib import Path
from typing import TextIO

from triage import app, service
from triage.config import Settings, load_settings
from triage.local_servers import PymapServer, SmtpSink, local_environ
from triage.mailbox import Mailbox
from triage.models import QueueItem, State
from triage.present import item_detail, item_table

DEMO_FROM = "Jordan Avery <jordan@example.net>"
# The demo's clock: the afternoon the sample mail arrived, so the times it offers lie ahead.
DEMO_NOW = datetime(2026, 11, 17, 20, 0, tzinfo=UTC)


def demo_messages() -> list[tuple[str, bytes]]:
    """(file name, raw bytes) of the shipped sample messages, in order."""
    folder = files("triage") / "demo_mail"
    return sorted((p.name, p.read_bytes()) for p in folder.iterdir() if p.name.endswith(".eml"))


def _count(settings: Settings, folder: str) -> int:
    with Mailbox(settings.imap) as box:
        return box.open_folder(folder).exists


def _demo_settings(imap: PymapServer, smtp: SmtpSink, folder: str) -> Settings:
    """Settings for the two local servers, with the queue in ``folder``."""
    environ = local_environ(imap, smtp, DEMO_FROM, Path(folder, "triage.sqlite3"))
    return load_settings(environ | {"TRIAGE_TIMEZONE": "America/New_York"}, need=("imap", "smtp"))


def _received(smtp: SmtpSink) -> list[str]:
    """The headers that thread a reply, and the body, of each message the SMTP server got."""
    lines = []
    for received in smtp.received:
        email = message_from_bytes(received.content, policy=policy.default)
        for header in ("From", "To", "Subject", "In-Reply-To", "References", "Message-ID"):
            lines.append(f"   {header}: {email.get(header, '')}")
        body = email.get_body()
        lines += ["", "   " + (body.get_content() if body else "").rstrip().replace("\n", "\n   ")]
    return lines


def _flags_after(settings: Settings, chosen: QueueItem) -> str:
    """The answered original's flags, and how many inbox messages are \\Seen (none should be)."""
    with Mailbox(settings.imap) as box:
        box.open_folder("INBOX")
        flags = box.flags(box.uids_after(0))
    seen = sum(b"\\Seen" in f for f in flags.values())
    original = " ".join(f.decode() for f in flags.get(chosen.origin.uid, ()))
    return (
        f"The original's flags now: {original}; "
        f"messages in INBOX marked \\Seen by triage: {seen} of {len(flags)}; "
        f"drafts left in Drafts: {_count(settings, 'Drafts')} (the sent one was removed)."
    )


def run_demo(out: TextIO) -> int:
    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    with (
        tempfile.TemporaryDirectory(prefix="triage-demo-") as tmp,
        PymapServer() as imap,
        SmtpSink() as smtp,
    ):
        settings = _demo_settings(imap, smtp, tmp)
        messages = demo_messages()
        with Mailbox(settings.imap) as box:
            box.ensure_folder("Sent")
            box.ensure_folder("Drafts")
            for _, raw in messages:
                box.append("INBOX", raw, DEMO_NOW)
        say(
            f"== 1. A demo IMAP server on {imap.host}:{imap.port} holds {len(messages)} messages "
            f"for {DEMO_FROM}; SMTP listens on {smtp.host}:{smtp.port}."
        )
        say("== 2. One poll, as 'triage run --once' does it (one log line per message):")
        with app.open_store(settings) as store:
            report = app.daemon_for(settings, store, clock=lambda: DEMO_NOW).poll_once()
            say(f"   {report}")
            say("\n== 3. The queue ('triage queue list'):")
            say(item_table(store.items()))
            say(
                f"   Each draft also waits in the Drafts folder ({_count(settings, 'Drafts')} "
                "there now), to edit and send from any mail client or phone."
            )
            pending = store.items([State.PENDING])
            if not pending:
                say("No draft was queued: nothing to approve.")
                return 1
            chosen = pending[-1]  # the oldest draft
            say(f"\n== 4. Item {chosen.id} in full ('triage queue show {chosen.id}'):")
            say(item_detail(chosen, settings.timezone))
            say(f"\n== 5. Approving item {chosen.id} ('triage queue approve {chosen.id}'):")
            outbox, mailbox = app.outbox_for(settings), app.mailbox_factory(settings)
            sent = service.approve(chosen.id, settings, store, outbox, mailbox, DEMO_NOW)
            say(f"   state: {sent.state.value}")
            say("\n== 6. What the SMTP server received:")
            for line in _received(smtp):
                say(line)
            say(f"\n== 7. {_flags_after(settings, chosen)}")
        say("\nDone: the demo servers are stopped and the temporary queue is deleted.")
    return 0
