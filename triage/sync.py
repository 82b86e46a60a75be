"""Keeping the queue and the mailbox in step, after each poll.

- Each detected invitation is flagged (``TRIAGE_FLAG_INVITES``) so it stands out in every client.
- Each pending draft is saved to the Drafts folder (``TRIAGE_DRAFTS_FOLDER``) with ``\\Draft``
  and its threading headers, so the user can review, edit and send it from any client. Never two
  drafts for one item: before saving, the folder is searched for our Message-ID.
- A pending item whose reply shows up in Sent (our In-Reply-To), or whose draft disappeared while
  the original got ``\\Answered``, becomes ``sent_by_user``; one whose draft was deleted without
  an answer becomes ``dismissed``; a draft the user edited and re-saved is followed.
- An item left in ``sending`` by a crash is resolved by looking for its Message-ID in Sent, never
  by sending again.
- Waiting invitations past their reminder time are listed in one digest put into the INBOX.

Every step is best effort: a failure is logged and noted, and the next poll tries again.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.utils import make_msgid

from triage.compose import build_email
from triage.config import Settings
from triage.errors import MailboxError, TriageError
from triage.mailbox import Mailbox
from triage.models import WAITING, Location, QueueItem, State
from triage.parse import parse_message
from triage.pipeline import edited_schedule
from triage.remind import ReminderPolicy, digest, due
from triage.render import Renderer
from triage.store import Store

REMINDER_FOLDER = "INBOX"  # RFC 3501: every account has it, by this name

log = logging.getLogger(__name__)

_MSG_ID = re.compile(r"<[^<>\s]{1,250}>")
DELETED = b"\\Deleted"

# A send still in ``sending`` after this long was interrupted: at least STALE_SENDING, and never
# less than SMTP_WAITS times TRIAGE_TIMEOUT_SECONDS (each of the SMTP session's steps, from the
# connection to the end of DATA, may wait that long), so a slow send is not taken for a crash.
STALE_SENDING = timedelta(minutes=5)
SMTP_WAITS = 20


def original(item: QueueItem) -> Location:
    return Location(item.origin.folder, item.origin.uidvalidity, item.origin.uid)


def _by_message_id(headers: dict[int, str]) -> dict[str, int]:
    """Each Message-ID named in the header values, with the newest UID that names it."""
    found: dict[str, int] = {}
    for uid, value in sorted(headers.items()):
        for message_id in _MSG_ID.findall(value):
            found[message_id] = uid
    return found


def remove_draft(box: Mailbox, store: Store, item: QueueItem, now: datetime, *, why: str) -> None:
    """Remove the item's draft from the Drafts folder (it was sent, rejected or replaced)."""
    if item.draft is None:
        return
    try:
        box.delete_own(item.draft)
    except MailboxError as exc:
        log.warning("item %d: could not remove the draft: %s", item.id, exc)
        store.note(item.id, f"could not remove the draft from Drafts: {exc}", now)
        return
    store.set_draft(item.id, None, now, event=f"draft removed from Drafts ({why})")


def file_sent(
    box: Mailbox, store: Store, settings: Settings, item: QueueItem, *, raw: bytes, now: datetime
) -> None:
    """After triage sent an item's reply (``raw``): a copy in Sent (unless one is there), the
    original flagged ``\\Answered``, the draft removed from Drafts. Raises ``MailboxError``."""
    sent_folder = box.find_sent_folder(settings.sent_folder)
    reply_id = item.reply.message_id if item.reply else ""
    if sent_folder is None:
        store.note(item.id, "no Sent folder found (set TRIAGE_SENT_FOLDER); no copy kept", now)
    elif not box.search_header(sent_folder, "Message-ID", reply_id):
        box.append(sent_folder, raw, now, seen=True)
    origin = item.origin
    if not box.mark_answered(origin.folder, origin.uidvalidity, origin.uid, item.message_id):
        store.note(item.id, "the original is no longer in its folder; not flagged", now)
    remove_draft(box, store, item, now, why="sent by triage")


@dataclass(frozen=True)
class Syncer:
    settings: Settings
    store: Store
    renderer: Renderer

    def after_poll(self, box: Mailbox, now: datetime) -> None:
        """Flag the new invitations, then bring drafts, Sent and reminders up to date.

        A step that fails for a reason of its own (a broken reminder template of the user's, an
        item a command changed meanwhile) is logged and the next step runs; a lost connection
        (``MailboxError``) ends the poll, for the daemon to reconnect.
        """
        steps: tuple[tuple[str, Callable[[], None]], ...] = (
            ("flagging the new invitations", lambda: self.flag(box)),
            ("resolving interrupted sends", lambda: self.recover_sending(box, now)),
            ("filing sent replies", lambda: self.finish_sent(box, now)),
            ("following replies and drafts", lambda: self.follow_replies(box, now)),
            ("saving drafts", lambda: self.save_drafts(box, now)),
            ("reminding", lambda: self.remind(box, now)),
        )
        for doing, step in steps:
            try:
                step()
            except MailboxError:
                raise
            except TriageError as exc:
                log.error("%s failed; the next poll tries again: %s", doing, exc)

    # -- flags ----------------------------------------------------------------------------------

    def flag(self, box: Mailbox) -> None:
        """Flag the originals of the waiting invitations not flagged yet: this poll's, and any
        a poll that died part-way left unflagged. A message gone from its folder counts as
        done; a refusal is tried again at the next poll."""
        flags = self.settings.flag_invites
        if not flags:
            return
        folder = self.settings.imap_folder
        by_validity: dict[int, list[tuple[int, int]]] = defaultdict(list)
        elsewhere = []  # from a folder no longer watched (which may be gone): not flagged now
        for item_id, origin in self.store.unflagged():
            if origin.folder != folder:
                elsewhere.append(item_id)
                continue
            by_validity[origin.uidvalidity].append((item_id, origin.uid))
        if elsewhere:
            self.store.mark_flagged(elsewhere)
        for uidvalidity, members in by_validity.items():
            uids = [uid for _, uid in members]
            try:
                done = box.add_flags(folder, uidvalidity, uids, flags)
            except MailboxError as exc:
                log.warning("could not flag %d invitation(s): %s", len(uids), exc)
                continue
            self.store.mark_flagged([item_id for item_id, _ in members])
            log.debug("flagged %s on %d invitation(s)", " ".join(done), len(uids))

    # -- drafts -----------------------------------------------------------------------------------

    def _drafts_folder(self, box: Mailbox) -> str | None:
        if not self.settings.save_drafts:
            return None
        return box.find_drafts_folder(self.settings.drafts_folder)

    def save_drafts(self, box: Mailbox, now: datetime) -> None:
        """Save every pending draft that is not in the Drafts folder yet."""
        user = self.settings.from_address
        waiting = [
            i for i in self.store.items([State.PENDING]) if i.draft is None and i.reply is not None
        ]
        if not waiting or user is None:
            return
        try:
            folder = self._drafts_folder(box)
            if folder is None:
                log.debug("no Drafts folder found; set TRIAGE_DRAFTS_FOLDER to save drafts")
                return
            # A crash after an APPEND and before it was recorded left that draft there: adopt it.
            there = _by_message_id(box.header_ids(folder, "Message-ID"))
            uidvalidity = box.open_folder(folder).uidvalidity
        except MailboxError as exc:
            log.warning("cannot look into the Drafts folder: %s", exc)
            return
        for item in waiting:
            reply = item.reply
            if reply is None:
                continue
            try:
                if reply.message_id in there:
                    where = Location(folder, uidvalidity, there[reply.message_id])
                else:
                    raw = build_email(reply, user, now).as_bytes(policy=policy.SMTP)
                    where = box.save_draft(folder, raw, now, reply.message_id)
            except MailboxError as exc:
                log.warning("item %d: could not save the draft to %s: %s", item.id, folder, exc)
                continue
            self.store.set_draft(item.id, where, now, event=f"draft saved to {folder}")
            log.info("item %d: draft saved to %s (uid %d)", item.id, folder, where.uid)

    def replace_draft(self, box: Mailbox, item: QueueItem, now: datetime) -> None:
        """After an edit in triage: remove the old draft, then save the new text."""
        remove_draft(box, self.store, item, now, why="replaced by the edited draft")
        self.save_drafts(box, now)

    # -- what the user did in their own client --------------------------------------------------

    def follow_replies(self, box: Mailbox, now: datetime) -> None:
        """Mark items the user answered or dismissed from their mail client.

        A few round trips per poll whatever the queue holds: the In-Reply-To headers of Sent
        since the oldest waiting item, and the flags of our drafts, each fetched at once.
        """
        items = [i for i in self.store.items([State.PENDING, State.FAILED]) if i.message_id]
        if not items:
            return
        try:
            self._follow(box, items, now)
        except MailboxError as exc:
            log.warning("could not compare the queue with the mailbox: %s", exc)

    def _follow(self, box: Mailbox, items: list[QueueItem], now: datetime) -> None:
        sent = box.find_sent_folder(self.settings.sent_folder)
        answered: set[str] = set()
        if sent is not None:
            since = min(i.created_at for i in items).date() - timedelta(days=1)
            answered = set(_by_message_id(box.header_ids(sent, "In-Reply-To", since)))
        gone: list[QueueItem] = []
        for item in items:
            if item.message_id in answered:
                self._answered(box, item, now, f"a reply is in {sent}")
            elif item.draft is not None and item.state is State.PENDING:
                gone.append(item)
        gone = self._missing_drafts(box, gone)
        if not gone:
            return
        # Gone: re-saved after an edit in the client (a new draft with our In-Reply-To)?
        folders = {i.draft.folder for i in gone if i.draft is not None}
        resaved = {
            folder: _by_message_id(box.header_ids(folder, "In-Reply-To")) for folder in folders
        }
        for item in gone:
            if item.draft is None or item.message_id is None:
                continue
            uid = resaved[item.draft.folder].get(item.message_id)
            if uid is not None:
                status = box.open_folder(item.draft.folder)
                where = Location(item.draft.folder, status.uidvalidity, uid)
                self.store.set_draft(item.id, where, now, event="draft edited in your mail client")
                self._take_edited_text(box, item, where, now)
            elif box.is_answered(original(item)):
                self._answered(box, item, now, "the draft was sent and the original is answered")
            else:
                self.store.set_draft(item.id, None, now)
                self.store.transition(item.id, State.DISMISSED, now, note="the draft was deleted")
                log.info("item %d: the draft was deleted in the mail client; dismissed", item.id)

    def _take_edited_text(
        self, box: Mailbox, item: QueueItem, where: Location, now: datetime
    ) -> None:
        """Make the text of the draft the user edited in their client the item's reply, so that
        ``triage queue approve`` sends what they wrote (as plain text, to the same recipients,
        in the same thread)."""
        raw = box.read(where)
        if raw is None or item.reply is None:
            return
        text = parse_message(raw).full_text.strip()
        if not text or text.split() == item.reply.body.split():  # unchanged but for spacing
            return
        schedule = edited_schedule(item, text, now, self.settings.timezone)
        self.store.set_reply_body(
            item.id, text + "\n", now, event="took the edited text", schedule=schedule
        )
        if any(True for _ in message_from_bytes(raw, policy=policy.default).iter_attachments()):
            self.store.note(
                item.id,
                "the edited draft has attachments, which triage does not send: "
                "send it from your mail client",
                now,
            )

    @staticmethod
    def _missing_drafts(box: Mailbox, items: list[QueueItem]) -> list[QueueItem]:
        """The items whose draft is no longer in Drafts (or is marked ``\\Deleted``)."""
        groups: dict[tuple[str, int], list[QueueItem]] = defaultdict(list)
        for item in items:
            if item.draft is not None:
                groups[item.draft.folder, item.draft.uidvalidity].append(item)
        missing = []
        for (folder, uidvalidity), group in groups.items():
            flags = box.flags_in(folder, uidvalidity, [i.draft.uid for i in group if i.draft])
            for item in group:
                uid = item.draft.uid if item.draft else 0
                if flags is None or uid not in flags or DELETED in flags[uid]:
                    missing.append(item)
        return missing

    def _answered(self, box: Mailbox, item: QueueItem, now: datetime, why: str) -> None:
        self.store.transition(item.id, State.SENT_BY_USER, now, note=why)
        log.info("item %d: answered from your mail client (%s)", item.id, why)
        if item.draft is not None and box.present(item.draft):
            remove_draft(box, self.store, item, now, why="answered from your mail client")
        else:
            self.store.set_draft(item.id, None, now)

    # -- sent replies whose filing failed ------------------------------------------------------

    def finish_sent(self, box: Mailbox, now: datetime) -> None:
        """File the replies triage sent whose filing failed (their draft is still recorded): a
        draft left in Drafts would look unsent, and be sent again from a phone."""
        user = self.settings.from_address
        if user is None:
            return
        for item in self.store.sent_with_draft():  # not every reply ever sent, at each poll
            if item.reply is None:
                continue
            raw = build_email(item.reply, user, item.updated_at).as_bytes(policy=policy.SMTP)
            try:
                file_sent(box, self.store, self.settings, item, raw=raw, now=now)
            except MailboxError as exc:
                log.warning("item %d: filing the sent reply failed again: %s", item.id, exc)
                continue
            log.info("item %d: the sent reply is filed and its draft removed", item.id)

    # -- interrupted sends ---------------------------------------------------------------------

    def recover_sending(self, box: Mailbox, now: datetime) -> None:
        """Resolve sends a crash interrupted: sent if Sent holds the Message-ID, else failed."""
        slowest = timedelta(seconds=SMTP_WAITS * self.settings.timeout_seconds)
        stale = self.store.stale_sending(now - max(STALE_SENDING, slowest))
        if not stale:
            return
        try:
            sent = box.find_sent_folder(self.settings.sent_folder)
        except MailboxError as exc:
            log.warning("cannot look for the Sent folder: %s", exc)
            return
        for item in stale:
            if item.reply is None:  # only drafts are ever sent
                continue
            try:
                found = bool(sent) and bool(
                    box.search_header(str(sent), "Message-ID", item.reply.message_id)
                )
            except MailboxError as exc:
                log.warning("item %d: could not search Sent: %s", item.id, exc)
                continue
            if found:
                self.store.transition(item.id, State.SENT, now, note=f"found in {sent}")
                log.info("item %d: the interrupted send had gone through (in %s)", item.id, sent)
            else:
                self.store.transition(
                    item.id,
                    State.FAILED,
                    now,
                    reason="sending was interrupted and the reply is not in your Sent folder; "
                    "it may or may not have gone out - check, then "
                    f"'triage queue approve --retry {item.id}'",
                )
                log.warning("item %d: interrupted send not found in Sent; marked failed", item.id)

    # -- reminders ------------------------------------------------------------------------------

    def remind(self, box: Mailbox, now: datetime) -> None:
        settings = self.settings
        if settings.remind_after is None or settings.from_address is None:
            return
        reminder = ReminderPolicy(
            settings.remind_after, settings.remind_before, settings.quiet_hours, settings.timezone
        )
        items = due(self.store.items(WAITING), now, reminder)
        if not items:
            return
        user = settings.from_address
        own_id = make_msgid(domain=user.addr.rpartition("@")[2] or "triage.invalid")
        message = digest(items, now, user, self.renderer, settings.timezone, message_id=own_id)
        try:  # where the user looks first, whichever folder triage watches
            box.append(REMINDER_FOLDER, message.as_bytes(policy=policy.SMTP), now)
        except MailboxError as exc:
            log.warning("could not put the reminder into %s: %s", REMINDER_FOLDER, exc)
            return
        self.store.mark_reminded([i.id for i in items], now)
        log.info("reminder for %d waiting invitation(s) put into %s", len(items), REMINDER_FOLDER)
