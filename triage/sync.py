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
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy

from triage.compose import build_email
from triage.config import Settings
from triage.errors import MailboxError
from triage.mailbox import Mailbox
from triage.models import Location, QueueItem, State
from triage.remind import ReminderPolicy, digest, due
from triage.render import Renderer
from triage.store import Store

log = logging.getLogger(__name__)

# A send still in ``sending`` after this long was interrupted (SMTP gives up well before).
STALE_SENDING = timedelta(minutes=5)


def original(item: QueueItem) -> Location:
    return Location(item.origin.folder, item.origin.uidvalidity, item.origin.uid)


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


@dataclass(frozen=True)
class Syncer:
    settings: Settings
    store: Store
    renderer: Renderer

    def after_poll(self, box: Mailbox, new_items: list[int], now: datetime) -> None:
        """Flag the new invitations, then bring drafts, Sent and reminders up to date."""
        self.flag(box, new_items)
        self.recover_sending(box, now)
        self.follow_replies(box, now)
        self.save_drafts(box, now)
        self.remind(box, now)

    # -- flags ----------------------------------------------------------------------------------

    def flag(self, box: Mailbox, item_ids: list[int]) -> None:
        flags = self.settings.flag_invites
        if not flags:
            return
        for item_id in item_ids:
            item = self.store.get(item_id)
            if item.state not in (State.PENDING, State.ACTION):
                continue
            try:
                done = box.add_flags(original(item), flags)
            except MailboxError as exc:
                log.warning("item %d: could not flag the invitation: %s", item_id, exc)
                continue
            log.debug("item %d: flagged %s", item_id, " ".join(done))

    # -- drafts -----------------------------------------------------------------------------------

    def _drafts_folder(self, box: Mailbox) -> str | None:
        if not self.settings.save_drafts:
            return None
        return box.find_drafts_folder(self.settings.drafts_folder)

    def save_drafts(self, box: Mailbox, now: datetime) -> None:
        """Save every pending draft that is not in the Drafts folder yet."""
        waiting = [
            i for i in self.store.items([State.PENDING]) if i.draft is None and i.reply is not None
        ]
        if not waiting or self.settings.from_address is None:
            return
        try:
            folder = self._drafts_folder(box)
        except MailboxError as exc:
            log.warning("cannot look for the Drafts folder: %s", exc)
            return
        if folder is None:
            if self.settings.save_drafts:
                log.debug("no Drafts folder found; set TRIAGE_DRAFTS_FOLDER to save drafts")
            return
        for item in waiting:
            try:
                where = self._save(box, folder, item, now)
            except MailboxError as exc:
                log.warning("item %d: could not save the draft to %s: %s", item.id, folder, exc)
                continue
            self.store.set_draft(item.id, where, now, event=f"draft saved to {folder}")
            log.info("item %d: draft saved to %s (uid %d)", item.id, folder, where.uid)

    def _save(self, box: Mailbox, folder: str, item: QueueItem, now: datetime) -> Location:
        if item.reply is None or self.settings.from_address is None:
            raise MailboxError(f"item {item.id} has no draft to save")
        # A crash after the APPEND and before it was recorded left the draft there: adopt it.
        found = box.search_header(folder, "Message-ID", item.reply.message_id)
        if found:
            status = box.open_folder(folder)
            return Location(folder, status.uidvalidity, max(found))
        raw = build_email(item.reply, self.settings.from_address, now).as_bytes(policy=policy.SMTP)
        return box.save_draft(folder, raw, now, item.reply.message_id)

    def replace_draft(self, box: Mailbox, item: QueueItem, now: datetime) -> None:
        """After an edit in triage: remove the old draft, then save the new text."""
        remove_draft(box, self.store, item, now, why="replaced by the edited draft")
        self.save_drafts(box, now)

    # -- what the user did in their own client --------------------------------------------------

    def follow_replies(self, box: Mailbox, now: datetime) -> None:
        """Mark items the user answered or dismissed from their mail client."""
        items = [i for i in self.store.items([State.PENDING, State.FAILED]) if i.message_id]
        if not items:
            return
        try:
            sent = box.find_sent_folder(self.settings.sent_folder)
        except MailboxError as exc:
            log.warning("cannot look for the Sent folder: %s", exc)
            return
        for item in items:
            try:
                self._follow(box, sent, item, now)
            except MailboxError as exc:
                log.warning("item %d: could not check the mailbox: %s", item.id, exc)

    def _follow(self, box: Mailbox, sent: str | None, item: QueueItem, now: datetime) -> None:
        if item.message_id is None:
            return
        if sent is not None and box.search_header(sent, "In-Reply-To", item.message_id):
            self._answered(box, item, now, f"a reply is in {sent}")
            return
        if item.draft is None or item.state is not State.PENDING:
            return
        if box.present(item.draft):
            return
        # Gone: re-saved after an edit in the client (a new draft with our In-Reply-To)?
        edited = box.search_header(item.draft.folder, "In-Reply-To", item.message_id)
        if edited:
            status = box.open_folder(item.draft.folder)
            where = Location(item.draft.folder, status.uidvalidity, max(edited))
            self.store.set_draft(item.id, where, now, event="draft edited in your mail client")
            return
        if box.is_answered(original(item)):
            self._answered(box, item, now, "the draft was sent and the original is answered")
            return
        self.store.set_draft(item.id, None, now)
        self.store.transition(item.id, State.DISMISSED, now, note="the draft was deleted")
        log.info("item %d: the draft was deleted in the mail client; dismissed", item.id)

    def _answered(self, box: Mailbox, item: QueueItem, now: datetime, why: str) -> None:
        self.store.transition(item.id, State.SENT_BY_USER, now, note=why)
        log.info("item %d: answered from your mail client (%s)", item.id, why)
        if item.draft is not None and box.present(item.draft):
            remove_draft(box, self.store, item, now, why="answered from your mail client")
        else:
            self.store.set_draft(item.id, None, now)

    # -- interrupted sends ---------------------------------------------------------------------

    def recover_sending(self, box: Mailbox, now: datetime) -> None:
        """Resolve sends a crash interrupted: sent if Sent holds the Message-ID, else failed."""
        stale = self.store.stale_sending(now - STALE_SENDING)
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
        items = due(self.store.items([State.PENDING, State.ACTION, State.FAILED]), now, reminder)
        if not items:
            return
        message = digest(items, now, settings.from_address, self.renderer, settings.timezone)
        try:
            box.append(settings.imap_folder, message.as_bytes(policy=policy.SMTP), now)
        except MailboxError as exc:
            log.warning("could not put the reminder into %s: %s", settings.imap_folder, exc)
            return
        self.store.mark_reminded([i.id for i in items], now)
        log.info(
            "reminder for %d waiting invitation(s) put into %s", len(items), settings.imap_folder
        )
