"""``triage review``: walk the waiting items one at a time in the terminal, oldest first.

Each pending draft (and each ``action`` item, which has links instead of a draft) is shown as the
original — sender, subject, verdict, evidence, what was extracted, the accepted slot or the
proposed windows — and the draft, stacked or side by side depending on the terminal's width. One
key decides: ``a`` approve and send (after a y/n naming the recipient), ``e`` edit in
``$EDITOR``, ``r`` reject (after a y/n), ``s`` skip, ``q`` quit, ``?`` help. Keys are read one
at a time (cbreak mode: no Enter, no echo) from a terminal, or as lines from anything else, so a
review can also be scripted.

The rendering functions are pure; ``review`` takes the store, the settings, its collaborators and
the console, so tests can drive it with real servers and a scripted key source.
"""

from __future__ import annotations

import os
import select
import termios
import tty
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from triage import service
from triage.config import Settings
from triage.errors import TriageError
from triage.mailbox import Mailbox
from triage.models import QueueItem, State
from triage.outbox import Outbox

# present's own formatting of the extraction, times and ages, as `triage queue show` prints them.
from triage.present import ago, extraction_lines, when_text
from triage.store import Store

WALKED = (State.PENDING, State.ACTION)
SIDE_BY_SIDE_WIDTH = 140  # two panels of ~70 columns: most mail is wrapped at 72 or less
EXCERPT_LINES = 25  # of the original's text in the review; `queue show` has all of it
EXCERPT_CHARS = 2_000

HELP = """\
  a  approve and send the draft now; asks y/n, naming the recipient
  e  edit the draft's body in $VISUAL / $EDITOR, then show it again
  r  reject the draft (or dismiss an action item); asks y/n; nothing is sent
  s  skip: leave the item waiting and go to the next one
  q  quit (Ctrl-C and Ctrl-D too)
  ?  this help"""

_STATE_STYLE = {State.PENDING: "bold yellow", State.ACTION: "bold magenta"}


@dataclass
class Tally:
    """What a review did, by decision."""

    approved: int = 0
    rejected: int = 0
    skipped: int = 0
    failed: int = 0

    def __str__(self) -> str:
        text = f"Approved {self.approved}, rejected {self.rejected}, skipped {self.skipped}"
        return text + (f", failed {self.failed}." if self.failed else ".")


@dataclass(frozen=True)
class Tools:
    """The review's collaborators: connections, the clock, the editor and the key source."""

    outbox: Outbox
    mailbox: Callable[[], Mailbox]
    clock: Callable[[], datetime]
    edit_text: Callable[[str], str]  # returns the edited text; raises TriageError
    read_key: Callable[[Callable[[], None]], str]  # shows the prompt, returns a key (key_reader)


def console() -> Console:
    """Standard output, in colour on a terminal (``NO_COLOR`` respected), plain elsewhere; no
    console markup, as mail text is shown as written."""
    return Console(highlight=False, markup=False)


# --- keys ---------------------------------------------------------------------------------------


def key_reader(stream: TextIO) -> Callable[[Callable[[], None]], str]:
    """A key source: ``read(show_prompt)`` calls ``show_prompt`` and returns one key, lower-case.

    On a terminal, single keys without Enter (cbreak mode); keys typed before the prompt appears
    are discarded, so nothing is approved that was not on the screen. Otherwise the first letter
    of a line, so a review can be scripted. The end of the input, Ctrl-C and Ctrl-D read as "q".
    """
    if stream.isatty():
        return lambda show_prompt: _terminal_key(stream.fileno(), show_prompt)
    return lambda show_prompt: _line_key(stream, show_prompt)


def _line_key(stream: TextIO, show_prompt: Callable[[], None]) -> str:
    show_prompt()
    line = stream.readline()
    return line.strip()[:1].lower() if line else "q"


def _terminal_key(fd: int, show_prompt: Callable[[], None]) -> str:
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd, termios.TCSAFLUSH)  # FLUSH: drop what was typed ahead
        show_prompt()
        data = os.read(fd, 1)
        if data == b"\x1b" or (data and data[0] >= 0x80):
            # The rest of an escape sequence (an arrow key) or of a UTF-8 character: one key.
            while select.select([fd], [], [], 0.02)[0]:
                data += os.read(fd, 32)
    except KeyboardInterrupt:
        data = b"\x03"
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    if data in {b"", b"\x03", b"\x04"}:
        return "q"
    return data.decode("utf-8", errors="replace").lower()


# --- presentation (pure) ------------------------------------------------------------------------


def _fields(rows: list[tuple[str, str | Text]]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in rows:  # mail text as Text: "[External]" is not console markup
        grid.add_row(name, Text(value) if isinstance(value, str) else value)
    return grid


def _moment(then: datetime, now: datetime) -> str:
    """``then`` in ``now``'s zone, and how long ago it was."""
    return f"{when_text(then.astimezone(now.tzinfo))} ({ago(then, now)})"


def _excerpt(item: QueueItem) -> Text:
    """The start of the original's text, at most ``EXCERPT_LINES`` lines and ``EXCERPT_CHARS``
    characters (HTML mail may be one line a paragraph), and how to read the rest."""
    lines = item.text[:EXCERPT_CHARS].splitlines()[:EXCERPT_LINES]
    shown = "\n".join(lines)
    text = Text(shown)
    if len(" ".join(shown.split())) < len(" ".join(item.text.split())):
        text.append(f"\n… more: triage queue show {item.id}", style="dim")
    return text


def original_panel(item: QueueItem, now: datetime) -> Panel:
    """The original as triage saw it: who, what, the verdict and why, and what was extracted.

    When it was sent and queued is shown in ``now``'s zone (the user's).
    """
    verdict = Text(f"{item.label.value} ", style="bold")
    verdict.append(f"(score {item.score:.2f})", style="green" if item.score >= 0.5 else "yellow")
    rows: list[tuple[str, str | Text]] = [
        ("From", item.sender),
        ("Subject", Text(item.subject, style="bold")),
    ]
    if item.date is not None:
        rows.append(("Sent", _moment(item.date, now)))
    rows += [("Queued", _moment(item.created_at, now)), ("Verdict", verdict)]
    if item.reason:
        rows.append(("Why", item.reason))
    rows += [
        ("Evidence" if n == 0 else "", Text(e, style="dim"))
        for n, e in enumerate(item.evidence[:8])
    ]
    links = list(item.links)
    if item.extraction is not None:
        links += [x for x in item.extraction.scheduling_links if x not in links]
    rows += [
        ("Link" if n == 0 else "", Text(x, style="underline blue")) for n, x in enumerate(links)
    ]
    parts: list[RenderableType] = [_fields(rows)]
    extracted = Text("\n".join(line.strip() for line in extraction_lines(item)))
    if extracted:
        extracted.highlight_regex(r"\(accepted in the draft\)", "bold green")
        extracted.highlight_regex(r"(?m)^[A-Z][a-z ]+:", "cyan")
        parts += [Text("\nExtracted", style="bold"), extracted]
    if item.text:
        parts += [Text("\nTheir message", style="bold"), _excerpt(item)]
    return Panel(Group(*parts), title="Original", title_align="left", border_style="blue")


def draft_panel(item: QueueItem) -> Panel:
    """The draft to approve, or what to do instead when there is none (an action item)."""
    reply = item.reply
    if reply is None:
        text = Text("No draft: ", style="bold magenta")
        text.append(item.reason or "nobody reads replies to this sender")
        text.append("\n\nAct on the links yourself, then press r to dismiss the item, or s.")
        return Panel(text, title="Action needed", title_align="left", border_style="magenta")
    head = _fields(
        [
            ("To", reply.to),
            ("Subject", reply.subject),
            ("In-Reply-To", reply.in_reply_to or "(none: the original had no Message-ID)"),
        ]
    )
    body = Text(reply.body.rstrip("\n"))
    return Panel(
        Group(head, Text(""), body), title="Draft reply", title_align="left", border_style="green"
    )


def item_view(item: QueueItem, now: datetime, width: int) -> RenderableType:
    """The original and the draft: side by side on a wide terminal, else one above the other."""
    original, draft = original_panel(item, now), draft_panel(item)
    if width < SIDE_BY_SIDE_WIDTH:
        return Group(original, draft)
    grid = Table.grid(expand=True, padding=(0, 1))
    grid.add_column(ratio=1)
    grid.add_column(ratio=1)
    grid.add_row(original, draft)
    return grid


def prompt(item: QueueItem) -> Text:
    """The keys that apply to ``item``, with the first letter of each highlighted."""
    choices = ["approve", "edit", "reject", "skip", "quit"]
    if item.reply is None:
        choices = ["reject (dismiss)", "skip", "quit"]
    text = Text()
    for word in choices:
        text.append(word[0], style="bold reverse")
        text.append(word[1:] + "  ")
    text.append("?", style="bold reverse")
    text.append(" help > ")
    return text


# --- the walk -----------------------------------------------------------------------------------


class _Next(Enum):
    SHOW_AGAIN = "again"
    NEXT = "next"
    QUIT = "quit"


class _Review:
    def __init__(self, store: Store, settings: Settings, tools: Tools, console: Console) -> None:
        self.store, self.settings, self.tools, self.console = store, settings, tools, console
        self.tally = Tally()

    def walk(self) -> Tally:
        waiting = self.store.items(WALKED, oldest_first=True)  # by when the mail was written
        if not waiting:
            self.console.print("Nothing to review: no draft or action item is waiting.")
            return self.tally
        for position, queued in enumerate(waiting, 1):
            if self._one(queued.id, f"{position} of {len(waiting)}") is _Next.QUIT:
                break
        self.console.print(Text(str(self.tally), style="bold"))
        return self.tally

    def _one(self, item_id: int, position: str) -> _Next:
        step = _Next.SHOW_AGAIN
        while step is _Next.SHOW_AGAIN:
            item = self.store.get(item_id)
            if item.state not in WALKED:  # decided elsewhere meanwhile
                return _Next.NEXT
            style = _STATE_STYLE.get(item.state, "bold")
            self.console.rule(Text(f"Item {item.id} · {position} · {item.state.value}", style))
            now = self.tools.clock().astimezone(self.settings.timezone)
            self.console.print(item_view(item, now, self.console.width))
            step = self._decide(item)
        return step

    def _key(self, text: Text) -> str:
        key = self.tools.read_key(lambda: self.console.print(text, end=""))
        self.console.print(Text(key if key.isprintable() else ""))
        return key

    def _decide(self, item: QueueItem) -> _Next:
        actions: dict[str, Callable[[QueueItem], _Next | None]] = {
            "r": self._reject,
            "s": self._skip,
            "q": lambda _: _Next.QUIT,
        }
        if item.reply is not None:
            actions |= {"a": self._approve, "e": self._edit}
        while True:
            key = self._key(prompt(item))
            step = actions[key](item) if key in actions else None
            if step is not None:
                return step
            if key in actions:  # declined a confirmation: ask again
                continue
            if key == "?":
                self.console.print(Text(HELP))
            elif key in {"a", "e"}:
                self.console.print("This item has no draft: act on its links, then press r.")
            else:
                self.console.print(Text(f"Unknown key {key!r}: press ? for help."))

    def _approve(self, item: QueueItem) -> _Next | None:
        assert item.reply is not None  # only offered for drafts
        question = Text(f"Send this reply to {item.reply.to} now? [y/n] ", "bold")
        if self._key(question) != "y":  # sending can't be undone: one stray key must not do it
            self.console.print("Not sent.")
            return None
        tools = self.tools
        try:
            sent = service.approve(
                item.id,
                self.settings,
                self.store,
                tools.outbox,
                tools.mailbox,
                tools.clock(),
                shown=item.reply,  # what the user saw is what is sent, or nothing
            )
        except TriageError as exc:
            self.console.print(Text(f"Sending failed: {exc}", style="bold red"))
            if self.store.get(item.id).reply != item.reply:
                return _Next.SHOW_AGAIN  # the new text, to be read before approving
            self.tally.failed += 1
            return _Next.NEXT
        self.tally.approved += 1
        to = sent.reply.to if sent.reply else "?"
        self.console.print(Text(f"Sent item {sent.id} to {to}.", style="bold green"))
        return _Next.NEXT

    def _edit(self, item: QueueItem) -> _Next:
        assert item.reply is not None  # only offered for drafts
        try:
            body = self.tools.edit_text(item.reply.body)
            if body.rstrip() == item.reply.body.rstrip():
                self.console.print("No change.")
            else:
                service.edit(
                    item.id,
                    body,
                    self.settings,
                    self.store,
                    self.tools.clock(),
                    mailbox=self.tools.mailbox,
                )
                self.console.print(Text(f"Saved the edited draft of item {item.id}.", "green"))
        except TriageError as exc:
            self.console.print(Text(f"Not edited: {exc}", style="bold red"))
        return _Next.SHOW_AGAIN

    def _reject(self, item: QueueItem) -> _Next | None:
        verb = "Reject" if item.reply is not None else "Dismiss"
        question = Text(f"{verb} item {item.id}? Nothing will be sent. [y/n] ", "bold")
        if self._key(question) != "y":
            self.console.print("Not rejected.")
            return None
        try:
            service.reject(item.id, self.store, self.tools.clock(), mailbox=self.tools.mailbox)
        except TriageError as exc:
            self.console.print(Text(f"Not rejected: {exc}", style="bold red"))
            return _Next.NEXT
        self.tally.rejected += 1
        done = "Rejected" if item.reply is not None else "Dismissed"
        self.console.print(Text(f"{done} item {item.id}; nothing was sent.", "yellow"))
        return _Next.NEXT

    def _skip(self, item: QueueItem) -> _Next:
        self.tally.skipped += 1
        return _Next.NEXT


def review(store: Store, settings: Settings, tools: Tools, console: Console) -> Tally:
    """Walk the pending and action items, oldest first, until the end or ``q``; print a summary.

    Send, edit and reject failures are shown and the walk goes on; nothing else is caught.
    """
    return _Review(store, settings, tools, console).walk()
