"""HTML mail read as text the way a browser lays it out: inline elements stay in their sentence,
``<br>`` breaks a line, blocks part paragraphs, and a table row is one line."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from triage.corpus import message_from_fields
from triage.extract import extract, signature_name
from triage.parse import html_to_text, parse_message
from triage.when import find_when


def _text(html: str) -> str:
    """The newest text of an HTML-only mail, as the detector and the extractor read it."""
    return message_from_fields(
        "Interview", html, "Acme Talent <talent@acme.example>", html=True
    ).text


def test_inline_elements_stay_in_their_sentence() -> None:
    html = (
        "<p>Thanks for your time. We would like to move you forward to a <b>technical "
        "interview</b> (60 minutes, <i>video</i>) for the <a href='https://acme.example/r'>"
        "<span>Data</span> <strong>Engineer</strong></a> role.</p>"
        "<p>It covers <code>SQL</code>, <em>modelling</em> and <u>a</u> <font>case</font> "
        "<small>study</small>.</p>"
        "<p>Cheers,<br>Grace</p>"
    )
    assert _text(html) == (
        "Thanks for your time. We would like to move you forward to a technical interview "
        "(60 minutes, video) for the Data Engineer role.\n\n"
        "It covers SQL, modelling and a case study.\n\n"
        "Cheers,\nGrace"
    )


def test_br_breaks_one_line_and_blocks_part_paragraphs() -> None:
    html = (
        "<h2>Your interview</h2><div>Line one<br>\nline two</div><div>Line three</div>"
        "<div><br></div><div>After a blank line</div>"
        "<ul><li>Monday</li><li>Tuesday</li></ul><blockquote>Quoted</blockquote>"
        "<p>Source text hard-wrapped\nat 72 columns is one line</p><pre>kept\n  as is</pre>"
    )
    text, _ = html_to_text(html)
    lines = [line.strip() for line in text.strip().split("\n")]
    assert lines == [
        "Your interview",
        "",
        "Line one",
        "line two",
        "Line three",
        "",
        "After a blank line",
        "",
        "Monday",
        "Tuesday",
        "",
        "Quoted",
        "",
        "Source text hard-wrapped at 72 columns is one line",
        "",
        "kept",
        "as is",
    ]


def test_a_table_row_is_one_line_and_its_slot_is_found() -> None:
    html = (
        "<p>Here are the details:</p><table>"
        "<tr><td>Date:</td><td>Thursday, 10 December 2026</td></tr>"
        "<tr><td>Time:</td><td>14:00 - 15:00 CET</td></tr></table><p>Best,<br>Grace</p>"
    )
    text = _text(html)
    assert "Date: Thursday, 10 December 2026\nTime: 14:00 - 15:00 CET\n\nBest," in text
    slots = find_when(text, datetime(2026, 12, 1, 10, tzinfo=UTC)).slots
    assert [(s.start.isoformat(), s.end and s.end.isoformat()) for s in slots] == [
        ("2026-12-10T14:00:00+01:00", "2026-12-10T15:00:00+01:00")
    ]


def test_outlook_paragraphs_in_table_cells_keep_the_row_on_one_line() -> None:
    """Outlook wraps every cell's text in ``<p class=MsoNormal>``."""
    html = (
        "<table><tr><td><p class=MsoNormal><b>Date:</b></p></td>"
        "<td><p class=MsoNormal>Thursday, 10 December 2026</p></td></tr>"
        "<tr><td><p class=MsoNormal><b>Time:</b></p></td>"
        "<td><p class=MsoNormal>14:00 - 15:00 CET</p></td></tr></table>"
        "<p class=MsoNormal>Kind regards,</p>"
    )
    assert _text(html) == (
        "Date: Thursday, 10 December 2026\nTime: 14:00 - 15:00 CET\n\nKind regards,"
    )


SPACERS = [
    '<td width="20"></td>',
    "<td>&nbsp;</td>",
    '<td><img src="https://acme.example/logo.png" alt=""></td>',
    "<th><br></th>",
    "<td><p class=MsoNormal>&nbsp;</p></td>",
]


@pytest.mark.parametrize("spacer", SPACERS)
def test_a_cell_with_no_text_keeps_the_break_owed_before_it(spacer: str) -> None:
    """A spacer, ``&nbsp;`` or logo cell first in a row must not join the row to the row or
    paragraph before it; only cells of one row are parted by a space."""
    html = (
        f"<p>Please find the details below.</p><table><tr>{spacer}<td>Date:</td>"
        f"<td>Thursday, 10 December 2026</td></tr><tr>{spacer}<td>Time:</td>{spacer}"
        f"<td>14:00 - 15:00 CET</td></tr></table><table><tr>{spacer}</tr></table>"
        f"<table><tr>{spacer}<td>Best, Dana</td></tr></table>"
    )
    assert _text(html) == (
        "Please find the details below.\n\n"
        "Date: Thursday, 10 December 2026\nTime: 14:00 - 15:00 CET\n\nBest, Dana"
    )


def test_empty_cells_in_nested_tables_keep_only_the_breaks_owed_before_them() -> None:
    """Each cell, nested or not, answers for its own text: an empty inner cell neither cancels
    the outer row's break nor restores one inside an outer cell that has text."""
    html = (
        "<p>Intro</p><table><tr><td><table><tr><td></td><td>Date:</td></tr></table></td>"
        "<td>Thursday</td></tr><tr><td><table><tr><td>&nbsp;</td></tr></table></td>"
        "<td><table><tr><td></td><td>Time:</td><td>14:00</td></tr></table></td></tr>"
        "<tr><td>Place:<table><tr><td></td></tr></table></td><td>Room 4</td></tr></table>"
    )
    assert _text(html) == "Intro\n\nDate: Thursday\nTime: 14:00\nPlace: Room 4"


def test_a_spacer_column_does_not_hide_the_quote_of_a_rejection() -> None:
    """A layout table, one row per line, with a spacer column: the quoted invitation under
    "-----Original Message-----" must still be cut from the newest text."""
    rows = [
        "Hi Jordan,",
        "Unfortunately, we have decided not to move forward with your application.",
        "Best regards,",
        "Dana Reyes",
        "-----Original Message-----",
        "From: Dana Reyes &lt;dana@brightloop.io&gt;",
        "Sent: Monday, November 9, 2026 10:00 AM",
        "Subject: Interview invitation",
        "We would like to invite you to a video interview. Would Tuesday at 3pm work?",
    ]
    html = "<table>" + "".join(f'<tr><td width="24"></td><td>{r}</td></tr>' for r in rows)
    m = message_from_fields("RE: Interview invitation", html + "</table>", html=True)
    assert m.text == "\n".join(rows[:4])
    assert "invite you" in m.full_text


def test_the_name_signing_an_html_mail_is_greeted() -> None:
    html = (
        "<html><body><p>Hello,</p><p>We would like to invite you to an interview for the "
        "<b>Analyst</b> role. Are you free on Tuesday at 3pm?</p>\n"
        "<p>Best regards,<br>\nSophie Reed<br>\nTalent Team</p></body></html>"
    )
    m = message_from_fields("Interview", html, "Acme Talent <talent@acme.example>", html=True)
    assert m.text.endswith("Best regards,\nSophie Reed\nTalent Team")
    assert signature_name(m.text) == "Sophie"
    assert extract(m).greeting_name == "Sophie"


def test_the_name_signing_a_table_laid_out_mail_is_greeted() -> None:
    rows = ["Hello,", "Are you free for an interview on Tuesday at 3pm?", "Best regards,"]
    rows += ["Sophie Reed", "Talent Team"]
    html = "<table>" + "".join(f'<tr><td width="20"></td><td>{r}</td></tr>' for r in rows)
    sender = "Acme Talent <talent@acme.example>"
    m = message_from_fields("Interview", html + "</table>", sender, html=True)
    assert m.text == "\n".join(rows)
    assert extract(m).greeting_name == "Sophie"


def test_comments_and_scripts_are_not_text() -> None:
    html = "<p>Hi<!-- tracking --> there<script>var x = 1;</script></p><style>p {}</style>"
    assert _text(html) == "Hi there"


def test_deep_or_wide_html_is_laid_out_in_linear_time() -> None:
    """The tree is walked on a list, not the stack: 5,000 levels raise no RecursionError."""
    deep = "<div><span>" * 5_000 + "interview" + "</span></div>" * 5_000
    cells = "<table>" + "<tr><td><p>a</p></td><td><b>b</b></td></tr>" * 4_000 + "</table>"
    texts = []
    for html in (deep, cells):
        raw = (
            b"From: a@x.example\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            + html.encode()
        )
        started = time.perf_counter()
        texts.append(parse_message(raw).full_text)
        assert time.perf_counter() - started < 3.0  # measured: under 1 s, nearly all bs4
    assert texts[0] == "interview"
    assert texts[1] == "\n".join(["a b"] * 4_000)
