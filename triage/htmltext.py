"""HTML as text, laid out as a browser shows it. Pure: ``parse`` hands in the parsed tree
(BeautifulSoup) and gets the text back.

Inline elements stay in their sentence ("a <b>technical interview</b> on Monday"), ``<br>``
breaks a line, a block element starts a line (a paragraph, heading, table or list a paragraph),
and a table row is one line, its cells parted by a space ("Date: Thursday 10 December"), so the
date reader finds a scheduling system's "Date:" and "Time:" rows as it finds them in plain text.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from bs4.element import CData, NavigableString, Tag

# How an HTML element parts the text around it, as a browser lays it out: by a line break, or by
# a blank line (the margins of a paragraph). Any other element is inline and stays in its
# sentence ("a <b>technical interview</b> on Monday"); a table's cells part by a space, so that
# one row is one line ("Date: Thursday").
_LINE_BLOCKS = frozenset(
    "address article aside caption center dd details dialog div dt fieldset figcaption "
    "figure footer form header li main nav section summary tr".split()
)
_PARAGRAPH_BLOCKS = frozenset("blockquote dl h1 h2 h3 h4 h5 h6 hr ol p pre table ul".split())
_CELLS = frozenset({"td", "th"})
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # not U+00A0: &nbsp; is no place to break a line
_TEXT_TYPES = (NavigableString, CData)  # not comments, doctypes or processing instructions


class _Layout:
    """Text laid out from the start and end of each element and the strings between them.

    Breaks are owed, not written, until text follows: the end of one block and the start of
    the next part them once (the larger break wins), while each ``<br>`` adds a line.

    A table cell cancels only the breaks that arose inside it (its last paragraph parts it from
    the next cell by a space): a cell with no text (a spacer, ``&nbsp;``, a logo) leaves the
    break owed before it, the end of the previous row or paragraph, as it was. Each open cell
    keeps, on a stack (cells nest with tables), the break owed and the count of texts written
    when it started.
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.breaks = 0  # line breaks owed before the next text
        self.pre = 0  # how many <pre> elements the text is in: its white space is kept
        self.written = 0  # how many texts were written: a cell that added none has no text
        self.cells: list[tuple[int, int]] = []  # per open cell: (breaks, written) at its start

    def start(self, name: str) -> None:
        if name in _CELLS:
            if not self.breaks:
                self.parts.append(" ")
            self.cells.append((self.breaks, self.written))
        elif name == "br":
            self.breaks += 1
        else:
            self._block(name)
        if name == "pre":
            self.pre += 1

    def end(self, name: str) -> None:
        if name in _CELLS:
            if self.cells:
                owed, written = self.cells.pop()
                # With text, every break still owed arose after it, inside the cell.
                self.breaks = 0 if self.written != written else owed
        else:
            self._block(name)
        if name == "pre":
            self.pre -= 1

    def text(self, value: str) -> None:
        if not self.pre:
            value = _HTML_SPACE.sub(" ", value)
            if not value.strip():
                if value and not self.breaks:
                    self.parts.append(" ")
                return
        if self.breaks:
            self.parts.append("\n" * self.breaks)
            self.breaks = 0
        self.parts.append(value)
        self.written += 1

    def _block(self, name: str) -> None:
        if self.cells and self.cells[-1][1] == self.written:
            # In a cell, before its text: its own paragraph (Outlook's MsoNormal) parts no cells.
            return
        level = 2 if name in _PARAGRAPH_BLOCKS else 1 if name in _LINE_BLOCKS else 0
        self.breaks = max(self.breaks, level)


def html_text(soup: BeautifulSoup) -> str:
    """The text of a parsed HTML document as a browser lays it out: inline elements stay in
    their sentence, ``<br>`` breaks a line, a block element starts a new line (a paragraph, a
    heading, a table or a list a new paragraph), a table row is one line. White space is
    folded as HTML folds it, but inside ``<pre>``.

    One pass over the tree, its nesting followed on a list (the tree may be deeper than the
    stack): linear in the size of the document.
    """
    layout = _Layout()
    open_tags: list[Tag] = []
    for node in soup.descendants:
        while open_tags and open_tags[-1] is not node.parent:
            layout.end(open_tags.pop().name)
        if isinstance(node, Tag):
            layout.start(node.name)
            open_tags.append(node)
        elif type(node) in _TEXT_TYPES:
            layout.text(str(node))
    while open_tags:
        layout.end(open_tags.pop().name)
    return "".join(layout.parts)
