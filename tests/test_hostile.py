"""Hostile and broken mail: each kind is classified or quarantined with the reason recorded, in
bounded time, and never crashes a poll, blocks the mail after it, or reaches a reply header, an
IMAP command or a template as anything but text.

The builders here are also used by ``test_fuzz.py``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

import pytest
from conftest import MAIL, ImapAccount

from triage.availability import Availability, parse_availability
from triage.classify import Classifier, load_classifier
from triage.cli import main
from triage.compose import build_email
from triage.mailbox import _SAFE_MSG_ID
from triage.models import Action, Address, Message, Plan, Reply
from triage.parse import MAX_CONTAINERS, MAX_HEADER_CHARS, MAX_PARTS, parse_message
from triage.pipeline import Calendar, Identity, decide
from triage.render import Renderer
from triage.store import Store

ME = Identity(frozenset({"jordan@example.net"}), "Jordan Avery", "Jordan Avery")
DANA = "Dana Reyes <dana@brightloop.io>"
INVITE_TEXT = (
    "Hi Jordan,\r\n\r\nWe'd like to invite you to a video interview for the Data Analyst "
    "role. Would Tuesday at 3pm or Wednesday at 11am work for you?\r\n\r\nBest,\r\nDana\r\n"
)
NOT_AN_INVITE = "Hi Jordan,\r\n\r\nThe quarterly newsletter is attached.\r\n\r\nBest,\r\nSam\r\n"
CALENDAR = Calendar(
    now=datetime(2026, 11, 16, 12, 0, tzinfo=UTC),
    availability=Availability(
        parse_availability("Mon-Fri 09:00-17:30"), ZoneInfo("America/New_York")
    ),
)
# The only headers triage's replies have.
REPLY_HEADERS = {
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"in-reply-to",
    b"references",
    b"auto-submitted",
    b"content-type",
    b"content-transfer-encoding",
    b"mime-version",
}
INJECTED = "X-Injected: 1"
# A line break hidden in every way a header can carry one.
HIDDEN_BREAKS = [
    "=?utf-8?q?a=0D=0AX-Injected:_1?=",
    "=?utf-8?b?YQ0KWC1JbmplY3RlZDogMQ==?=",  # base64 of "a\r\nX-Injected: 1"
    "Caf=?utf-8?q?=0A?=X-Injected: 1",  # an encoded word inside a word
    "a\r\nX-Injected: 1",
    "a\nX-Injected: 1",
    "a\rX-Injected: 1",
    "a\x00X-Injected: 1",
    "a\u2028X-Injected: 1",
    "a\x85X-Injected: 1",
]
JINJA = [
    "{{ 7*7 }}",
    "{% for x in range(3) %}loop{% endfor %}",
    "{{ self.__init__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return load_classifier()


# --- builders -------------------------------------------------------------------------------


def head(
    subject: str,
    *,
    sender: str = DANA,
    message_id: str | None = "<hostile@brightloop.io>",
    extra: str = "",
) -> bytes:
    """Top-level headers (ASCII, CRLF), ending before the MIME headers and the blank line."""
    lines = [f"From: {sender}", "To: Jordan Avery <jordan@example.net>", f"Subject: {subject}"]
    lines.append("Date: Mon, 16 Nov 2026 10:00:00 -0500")
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    lines.append("MIME-Version: 1.0")
    return ("\r\n".join(lines) + "\r\n" + extra).encode()


def text_part(text: str, charset: str = "utf-8") -> bytes:
    return f"Content-Type: text/plain; charset={charset}\r\n\r\n{text}\r\n".encode()


def unknown_charset_invite() -> bytes:
    body = INVITE_TEXT.encode() + "Café at 3pm, Zoë\r\n".encode()
    return (
        head("Interview (unknown charset)", message_id="<charset@brightloop.io>")
        + b"Content-Type: text/plain; charset=x-klingon-8\r\n"
        + b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        + body
    )


def bad_base64() -> bytes:
    return (
        head("Newsletter (bad base64)", message_id="<b64@brightloop.io>")
        + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b"SGVsbG8g!!!not*base64@@@\r\n====\r\nQUJD\r\n"
    )


def missing_boundary() -> bytes:
    """A multipart without a boundary parameter, and one whose boundary never appears."""
    return (
        head("Newsletter (no boundary)", message_id="<noboundary@brightloop.io>")
        + b"Content-Type: multipart/mixed\r\n\r\n--xyz\r\n"
        + text_part(NOT_AN_INVITE)
        + b"--xyz\r\nContent-Type: multipart/alternative; boundary=never\r\n\r\n"
        + text_part(NOT_AN_INVITE)
    )


def deep_nesting(levels: int = 500, text_first: bool = True) -> bytes:
    """``levels`` nested multiparts; the text is the first part (or the innermost one)."""
    out = [head(f"Newsletter ({levels} levels)", message_id=f"<deep{levels}@brightloop.io>")]
    for i in range(levels):
        out.append(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i))
        if text_first and i == 0:
            out.append(text_part(NOT_AN_INVITE) + b"--b0\r\n")
    out.append(text_part("innermost"))
    out += [b"--b%d--\r\n" % i for i in reversed(range(levels))]
    return b"".join(out)


def many_parts(count: int = 20_000) -> bytes:
    """A text part and then ``count`` tiny attachments."""
    attachment = b"--p\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n"
    return (
        head(f"Newsletter ({count} parts)", message_id=f"<parts{count}@brightloop.io>")
        + b"Content-Type: multipart/mixed; boundary=p\r\n\r\n--p\r\n"
        + text_part(NOT_AN_INVITE)
        + attachment * count
        + b"--p--\r\n"
    )


def recipients_invite(count: int = 2_000) -> bytes:
    """An invitation sent to ``count`` addresses in To and as many in Cc."""
    names = ", ".join(f'"Person {i}" <person{i}@lists.example.org>' for i in range(count))
    extra = f"Cc: {names}\r\n"
    raw = head("Interview (2,000 recipients)", message_id="<rcpt@brightloop.io>", extra=extra)
    raw = raw.replace(
        b"To: Jordan Avery <jordan@example.net>",
        b"To: Jordan Avery <jordan@example.net>, " + names.encode(),
    )
    return raw + text_part(INVITE_TEXT)


def no_message_id() -> bytes:
    return head("Newsletter (no Message-ID)", message_id=None) + text_part(NOT_AN_INVITE)


def attachment_only() -> bytes:
    return (
        head("Scan (attachment only)", message_id="<image@brightloop.io>")
        + b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n"
        + b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        + b'Content-Disposition: attachment; filename="scan.png"\r\n\r\n'
        + b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJ"
        + b"RU5ErkJggg==\r\n"
        + b"--a--\r\n"
    )


def injection_invite() -> bytes:
    """An invitation whose every header hides a line break and another header."""
    return head(
        "=?utf-8?q?Interview_(injection)=0D=0ABcc:_victim@evil.test?=",
        sender="=?utf-8?q?Dana_Reyes=0D=0ABcc:_victim@evil.test?= <dana@brightloop.io>",
        message_id="<=?utf-8?q?a=0D=0AX-Injected:_1?=@evil.test>",
        extra="References: <ok@brightloop.io> <a=?utf-8?q?=0A?=@evil.test>\r\n"
        "In-Reply-To: <x\x0bInjected@evil.test>\r\n",
    ) + text_part(INVITE_TEXT)


def nested_comments() -> bytes:
    """Address and Content-Type headers whose comments nest deeper than the parser recurses."""
    sender = "(" * 5_000 + "dana@brightloop.io"
    extra = "Content-Type: text/plain" + "(" * 5_000 + "\r\n"
    return head("Newsletter (nested comments)", sender=sender, extra=extra) + b"\r\nhello\r\n"


def huge_headers() -> bytes:
    """Megabyte-long Subject, References and Content-Type values."""
    words = " ".join(["=?utf-8?q?Interview?="] * 50_000)
    refs = " ".join(f"<r{i}@x.example>" for i in range(50_000))
    params = "; ".join(f"p{i}=v" for i in range(100_000))
    extra = f"References: {refs}\r\nContent-Type: text/plain; {params}\r\n\r\n"
    return head(words, message_id="<huge@brightloop.io>", extra=extra) + b"hello\r\n"


def long_mime_headers(count: int = 300) -> bytes:
    """``count`` parts, each with a kilobyte of Content-Type and Content-Disposition parameters
    (the stdlib parses them several times per part, at a cost that grows with their length)."""
    params = "; ".join(f"p{i}=v" for i in range(200))
    part = f"--p\r\nContent-Type: text/plain; {params}\r\n"
    part += f"Content-Disposition: attachment; {params}\r\n\r\nx\r\n"
    return (
        head("Newsletter (long MIME headers)", message_id="<mimeheaders@brightloop.io>")
        + b"Content-Type: multipart/mixed; boundary=p\r\n\r\n--p\r\n"
        + text_part(NOT_AN_INVITE)
        + part.encode() * count
        + b"--p--\r\n"
    )


def html_rejected_invite() -> bytes:
    """An invitation whose HTML alternative holds markup the HTML parser refuses ("<![ ")."""
    html = "<p>" + INVITE_TEXT.replace("\r\n", "<br>") + "</p><![ endif]>"
    return (
        head("Interview (markup the parser refuses)", message_id="<rejected@brightloop.io>")
        + b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
        + text_part(INVITE_TEXT)
        + b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + html.encode()
        + b"\r\n--b--\r\n"
    )


def many_line_breaks(count: int = 20_000) -> bytes:
    """An HTML-only mail of ``count`` line breaks (each once cost a search of its siblings)."""
    return (
        head("Newsletter (line breaks)", message_id="<breaks@brightloop.io>")
        + b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hello"
        + b"<br>" * count
        + b"there</p>\r\n"
    )


def binary_junk() -> bytes:
    return bytes(range(256)) * 64 + b"\r\n\r\n\x00\xff\xfe" * 100


HOSTILE: dict[str, Callable[[], bytes]] = {
    "unknown charset (an invite)": unknown_charset_invite,
    "bad base64": bad_base64,
    "missing MIME boundary": missing_boundary,
    "500 levels of multipart": deep_nesting,
    "20,000 parts": many_parts,
    "2,000 recipients (an invite)": recipients_invite,
    "no Message-ID": no_message_id,
    "attachment only": attachment_only,
    "header injection (an invite)": injection_invite,
    "nested comments": nested_comments,
    "megabyte headers": huge_headers,
    "300 parts with long MIME headers": long_mime_headers,
    "binary junk": binary_junk,
    "HTML the parser refuses (an invite)": html_rejected_invite,
    "20,000 HTML line breaks": many_line_breaks,
}
# The hostile messages that are invitations: each must still get a draft to Dana alone.
INVITES = {unknown_charset_invite, recipients_invite, injection_invite, html_rejected_invite}
# What the test servers can't store: NUL bytes (IMAP literals can't carry them), and for pymap,
# whose own MIME and header parsing fails on them, deep nesting and megabyte headers.
UNSTORABLE = {"binary junk"}
PYMAP_UNSTORABLE = {"500 levels of multipart", "nested comments", "megabyte headers"}
PYMAP_SMALLER = {  # pymap takes seconds to store the full-size ones
    "20,000 parts": lambda: many_parts(2_000),
    "300 parts with long MIME headers": lambda: long_mime_headers(30),
}


# --- checks ---------------------------------------------------------------------------------


def assert_clean_reply(reply: Reply) -> bytes:
    """The reply's header fields are single lines, and the message built from it is clean."""
    for value in (reply.to, reply.subject, reply.in_reply_to or "", *reply.references):
        assert not any(ch in value for ch in "\r\n\x00\u2028\x85"), repr(value)
    return assert_clean_build(reply)


def assert_clean_build(reply: Reply) -> bytes:
    """The message built from ``reply`` has only triage's headers, each on one line: nothing
    injected, whatever the fields hold. Returns it as sent."""
    raw = build_email(reply, Address("Jordan Avery", "jordan@example.net"), CALENDAR.now).as_bytes(
        policy=policy.SMTP
    )
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\x00" not in header_block
    for line in header_block.split(b"\r\n"):
        assert b"\r" not in line and b"\n" not in line, line
        if not line.startswith((b" ", b"\t")):
            assert line.split(b":", 1)[0].lower() in REPLY_HEADERS, line
    back = message_from_bytes(raw, policy=policy.default)
    assert {k.lower().encode() for k in back} <= REPLY_HEADERS
    return raw


def _decide(classifier: Classifier, raw: bytes) -> tuple[Message, Plan]:
    return decide(
        raw, classifier, ME, Renderer(), reply_message_id="<reply-1@example.net>", calendar=CALENDAR
    )


@contextmanager
def short_stack(frames: int) -> Iterator[None]:
    """Run with only ``frames`` Python frames to spare, as deep inside a long call chain."""
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


# --- the pure level -------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_mail_is_decided_quickly_and_any_reply_is_clean(
    classifier: Classifier, name: str
) -> None:
    build = HOSTILE[name]
    raw = build()
    started = time.perf_counter()
    message = parse_message(raw)
    parsed_in = time.perf_counter() - started
    assert parsed_in < 2.0, f"{name}: parsing took {parsed_in:.2f}s"  # measured: < 0.1 s
    assert all(ch not in message.subject for ch in "\r\n\x00")
    message, plan = _decide(classifier, raw)
    if build in INVITES:
        assert plan.action is Action.DRAFT and plan.reply is not None, (name, plan)
        assert [a for _, a in getaddresses([plan.reply.to])] == ["dana@brightloop.io"]
    if plan.reply is not None:
        assert_clean_reply(plan.reply)


def test_unknown_charset_invite_is_read_and_the_defect_recorded(classifier: Classifier) -> None:
    message, plan = _decide(classifier, unknown_charset_invite())
    assert "invite you to a video interview" in message.text
    assert any("LookupError" in d for d in message.defects)
    assert plan.reply is not None and plan.reply.body.startswith("Hi Dana,")


def test_deep_nesting_is_read_as_far_as_the_limit_and_the_rest_skipped() -> None:
    message = parse_message(deep_nesting(500))
    assert "quarterly newsletter" in message.text  # the text part before the nesting
    assert any(
        f"{MAX_CONTAINERS} multipart levels" in d and "skipped" in d for d in message.defects
    )
    inner = parse_message(deep_nesting(500, text_first=False))  # text beyond the limit: headers
    assert inner.subject == "Newsletter (500 levels)" and inner.sender is not None
    assert "innermost" not in inner.text


def test_nesting_within_the_limit_is_read_whole() -> None:
    message = parse_message(deep_nesting(MAX_CONTAINERS - 1, text_first=False))
    assert message.text == "innermost"
    assert not any("skipped" in d for d in message.defects)


def test_recursion_error_on_a_short_stack_falls_back_to_a_shallower_read() -> None:
    raw = deep_nesting(90)
    with short_stack(100):  # too little for 90 levels: the stdlib raises RecursionError
        message = parse_message(raw)
    assert any("RecursionError" in d for d in message.defects)
    assert message.subject == "Newsletter (90 levels)"
    assert "quarterly newsletter" in message.text  # the first part is within the tighter limit


def test_nested_comments_deeper_than_the_parser_recurses_are_flattened() -> None:
    message = parse_message(nested_comments())
    assert message.sender == Address("", "dana@brightloop.io")
    assert message.text == "hello"  # Content-Type text/plain, its comments dropped


def test_many_parts_are_capped_and_the_text_still_read() -> None:
    message = parse_message(many_parts(20_000))
    assert "quarterly newsletter" in message.text
    assert any(f"{MAX_PARTS} MIME parts" in d for d in message.defects)


def test_megabyte_headers_are_cut_and_recorded() -> None:
    message = parse_message(huge_headers())
    assert 0 < len(message.subject) <= MAX_HEADER_CHARS
    assert any(d.startswith("Subject: more than") for d in message.defects)
    assert any(d.startswith("References: more than") for d in message.defects)
    assert message.text == "hello"


def test_two_thousand_recipients_get_no_reply_and_are_not_all_parsed(
    classifier: Classifier,
) -> None:
    message, plan = _decide(classifier, recipients_invite(2_000))
    assert plan.reply is not None and plan.reply.to == DANA
    assert 0 < len(message.to) < 2_000  # To was read only up to MAX_HEADER_CHARS
    assert any(d.startswith("To: more than") for d in message.defects)


def test_a_reply_to_listing_thousands_of_addresses_gets_a_draft_to_a_few(
    classifier: Classifier,
) -> None:
    reply_to = ", ".join(f"hr{i}@brightloop.io" for i in range(2_000))
    raw = head("Interview", extra=f"Reply-To: {reply_to}\r\n") + text_part(INVITE_TEXT)
    plan = _decide(classifier, raw)[1]
    assert plan.reply is not None
    assert plan.reply.to == "hr0@brightloop.io, hr1@brightloop.io, hr2@brightloop.io"


def test_an_invite_from_an_address_that_is_not_plain_gets_no_draft(
    classifier: Classifier,
) -> None:
    raw = head("Interview", sender='Dana <"dana, eve@evil.test"@brightloop.io>')
    plan = _decide(classifier, raw + text_part(INVITE_TEXT))[1]
    assert plan.action is Action.NOTIFY and plan.reply is None
    assert "unusable address" in plan.reason


def test_no_message_id_and_no_text_part_are_handled(classifier: Classifier) -> None:
    message, plan = _decide(classifier, no_message_id())
    assert message.message_id is None and plan.action is Action.SKIP
    message, plan = _decide(classifier, attachment_only())
    assert message.text == "" and message.subject == "Scan (attachment only)"
    assert plan.action is Action.SKIP


def test_invite_without_message_id_is_drafted_without_threading(classifier: Classifier) -> None:
    plan = _decide(classifier, head("Interview", message_id=None) + text_part(INVITE_TEXT))[1]
    assert plan.reply is not None and plan.reply.in_reply_to is None
    assert plan.reply.references == ()
    assert_clean_reply(plan.reply)


def test_injection_invite_gets_a_draft_with_nothing_injected(classifier: Classifier) -> None:
    message, plan = _decide(classifier, injection_invite())
    assert message.message_id is None  # an id holding an encoded word is no id
    assert message.references == ("<ok@brightloop.io>",)
    assert plan.reply is not None
    raw = assert_clean_reply(plan.reply)
    sent = message_from_bytes(raw, policy=policy.default)
    assert [a.addr_spec for a in sent["To"].addresses] == ["dana@brightloop.io"]
    assert sent["Bcc"] is None and sent["X-Injected"] is None
    assert sent["References"] == "<ok@brightloop.io>"


# --- reply headers --------------------------------------------------------------------------


@pytest.mark.parametrize("value", HIDDEN_BREAKS)
@pytest.mark.parametrize("field", ["subject", "to", "in_reply_to", "references", "message_id"])
def test_built_reply_never_has_an_injected_header(field: str, value: str) -> None:
    fields: dict[str, object] = {
        "to": DANA,
        "subject": "Re: Interview",
        "in_reply_to": "<a@b.example>",
        "references": ("<r@x.example>", "<a@b.example>"),
        "body": "Thank you.\n",
        "message_id": "<m1@example.net>",
    }
    if field == "to":
        fields["to"] = f"{value} <dana@brightloop.io>"
    elif field == "references":
        fields["references"] = ("<r@x.example>", f"<{value}@evil.test>", value)
    elif field in ("in_reply_to", "message_id"):
        fields[field] = f"<{value}@evil.test>"
    else:
        fields[field] = value
    reply = Reply(**fields)  # type: ignore[arg-type]
    msg = build_email(reply, Address(value, "jordan@example.net"), CALENDAR.now)
    raw = msg.as_bytes(policy=policy.SMTP)
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert INJECTED.encode() not in [line[: len(INJECTED)] for line in header_block.split(b"\r\n")]
    for line in header_block.split(b"\r\n"):
        assert b"\r" not in line and b"\n" not in line and b"\x00" not in line, line
        if not line.startswith((b" ", b"\t")):
            assert line.split(b":", 1)[0].lower() in REPLY_HEADERS, line
    back = message_from_bytes(raw, policy=policy.default)
    assert [a.addr_spec for a in back["To"].addresses] == ["dana@brightloop.io"]
    assert [a.addr_spec for a in back["From"].addresses] == ["jordan@example.net"]


@pytest.mark.parametrize(
    "hostile",
    [
        "<a\r\nb@x.example>",
        "<a\nb@x.example>",
        "<a\x00b@x.example>",
        "<a b@x.example>",
        '<a"b@x.example>',
        "<a)b@x.example>",
        "<a\\b@x.example>",
        "<a@b.example> <c@d.example>",
        "<a@b.example>) OR (ALL",
        "<>",
        "a@b.example",
        "<" + "a" * 300 + "@b.example>",
        "<zoë@b.example>",
    ],
)
def test_only_validated_message_ids_reach_an_imap_search(hostile: str) -> None:
    assert _SAFE_MSG_ID.match(hostile) is None
    assert _SAFE_MSG_ID.match("<20261109101245.77e0@saltfern.io>") is not None


def test_a_message_id_with_a_trailing_newline_is_rejected_for_search() -> None:
    assert _SAFE_MSG_ID.match("<a@b.example>\n") is None


def test_parsed_message_ids_are_single_tokens_of_printable_ascii() -> None:
    raw = (
        b"From: a@b.example\r\nMessage-ID: <a\x00b@x.example>\r\n"
        b"References: <z\xc3\xab@x> <=?utf-8?q?=0A?=@x> <fine@x.example>\r\n\r\nhi\r\n"
    )
    message = parse_message(raw)
    assert message.message_id is None
    assert message.references == ("<fine@x.example>",)
    ok = parse_message(b"From: a@b.example\r\nMessage-ID: <ok@x.example>\r\n\r\nhi\r\n")
    assert ok.message_id == "<ok@x.example>"


# --- templates ------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", JINJA)
def test_template_syntax_in_any_field_renders_as_literal_text(payload: str) -> None:
    renderer = Renderer()
    context: dict[str, object] = {
        "greeting_name": payload,
        "company": payload,
        "role": payload,
        "slot": payload,
        "slot_local": payload,
        "windows": [payload, payload],
        "scheduling_link": payload,
        "user_name": payload,
        "signature": payload,
    }
    templates = sorted(p.name for p in Path(MAIL.parent.parent.parent, "templates").glob("*.j2"))
    templates = [t for t in templates if t.startswith(("invite", "reschedule", "confirmation"))]
    assert len(templates) >= 6
    for name in templates:
        for offered in (0, 1, 2):
            body = renderer.render(name, {**context, "offered_count": offered})
            assert payload in body, name
            assert "49" not in body and "<function" not in body and "<class" not in body, name


@pytest.mark.parametrize(
    "date", [None, "Mon, 16 Nov 2026 09:00:00", "Fri, 31 Dec 9999 10:00:00 +0000"]
)
def test_relative_dates_count_from_now_when_the_date_header_is_missing_or_absurd(
    classifier: Classifier, date: str | None
) -> None:
    """No Date (or one without a zone) once made "Tuesday" a Tuesday of January 1970, and the
    draft declined every time offered; the year 9999 made the date reader overflow."""
    raw = head("Interview (odd Date)").replace(b"Date: Mon, 16 Nov 2026 10:00:00 -0500\r\n", b"")
    if date is not None:
        raw += f"Date: {date}\r\n".encode()
    _, plan = _decide(classifier, raw + text_part(INVITE_TEXT))
    assert plan.action is Action.DRAFT and plan.extraction is not None
    starts = [slot.start for slot in plan.extraction.slots]
    assert len(starts) == 2, plan.extraction
    assert all(CALENDAR.now < start < CALENDAR.now + timedelta(days=8) for start in starts)
    assert plan.chosen is not None  # one of them fits the availability: accepted, not declined


def test_template_syntax_in_the_mail_stays_text_in_the_draft(classifier: Classifier) -> None:
    raw = head(
        "Interview {{ 7*7 }} {% for x in range(3) %}loop{% endfor %}",
        sender='"{{ cycler.__init__.__globals__ }}" <dana@brightloop.io>',
    ) + text_part(
        INVITE_TEXT.replace("Data Analyst", "{{ self.__init__ }} Data Analyst")
        + "\r\n{{ 7*7 }}\r\nBest,\r\n{{ 7*7 }}\r\n"
    )
    plan = _decide(classifier, raw)[1]
    assert plan.reply is not None
    assert plan.reply.subject == "Re: Interview {{ 7*7 }} {% for x in range(3) %}loop{% endfor %}"
    assert "49" not in plan.reply.body and "looplooploop" not in plan.reply.body
    assert "<function" not in plan.reply.body and "globals" not in plan.reply.body
    assert_clean_reply(plan.reply)


# --- through a real poll --------------------------------------------------------------------


def test_a_poll_over_hostile_mail_handles_all_of_it_and_drafts_the_invite_after_it(
    imap: ImapAccount,
    capsys: pytest.CaptureFixture[str],
    triage_env: dict[str, str],
) -> None:
    builders = dict(HOSTILE)
    for name in UNSTORABLE | (PYMAP_UNSTORABLE if imap.kind == "pymap" else set()):
        del builders[name]
    if imap.kind == "pymap":
        builders.update(PYMAP_SMALLER)
    hostile = [build() for build in builders.values()]
    for raw in hostile:
        imap.append(raw)
    invite = (MAIL / "invite_plain.eml").read_bytes()
    imap.append(invite)

    started = time.perf_counter()
    assert main(["run", "--once"]) == 0
    took = time.perf_counter() - started
    assert took < 15, f"the poll took {took:.1f}s"

    capsys.readouterr()
    assert main(["queue", "list", "--json"]) == 0
    items: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    # The real invitation after the hostile mail: exactly one pending draft.
    mine = [i for i in items if i["message_id"] == "<20261109101245.77e0@saltfern.io>"]
    assert [i["state"] for i in mine] == ["pending"]
    # The hostile invitations got drafts to Dana alone, with clean headers.
    drafted = [i for i in items if i["state"] == "pending" and i not in mine]
    subjects = sorted(str(i["subject"]).split(")")[0] + ")" for i in drafted)
    assert subjects == [
        "Interview (2,000 recipients)",
        "Interview (injection)",
        "Interview (markup the parser refuses)",
        "Interview (unknown charset)",
    ]
    for item in drafted:
        reply = item["reply"]
        assert isinstance(reply, dict)
        assert [a for _, a in getaddresses([str(reply["to"])])] == ["dana@brightloop.io"]
        assert not any(ch in str(reply["subject"]) for ch in "\r\n\x00")
    # Nothing else was queued but quarantined items, each with its reason.
    others = [i for i in items if i not in mine and i not in drafted]
    assert all(i["state"] == "quarantined" and i["reason"] for i in others), others
    # Every message was handled: the checkpoint is past the last one.
    client = imap.client()
    try:
        client.select_folder("INBOX", readonly=True)
        uids = client.search("ALL")
    finally:
        client.logout()
    assert len(uids) == len(hostile) + 1
    with Store.open(Path(triage_env["TRIAGE_DB_PATH"])) as store:
        checkpoint = store.checkpoint(f"{imap.user}@{imap.host}", "INBOX")
        assert checkpoint is not None and checkpoint[1] == max(uids)
    # A second poll finds nothing new to do.
    assert main(["run", "--once"]) == 0
    capsys.readouterr()
    assert main(["queue", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == len(items)
