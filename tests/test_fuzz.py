"""Property-based fuzzing of parse -> classify -> extract -> render -> compose.

Messages are generated from random headers (raw, RFC 2047 q- and b-encoded, in real and bogus
charsets), bodies and MIME trees (nested multiparts with missing, wrong or unclosed boundaries,
broken base64, unknown charsets, binary junk), with hostile pieces mixed in: hidden line breaks,
NUL, template syntax, nested comments. The invariants: ``decide`` raises nothing but the
documented ``TriageError``s, and every reply it drafts is built into a message whose headers
are triage's own, each one line. Bounded for CI: a few seconds in all.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from email import message_from_bytes, policy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hostile import CALENDAR, INVITE_TEXT, ME, assert_clean_build, assert_clean_reply

from triage.classify import Classifier, load_classifier
from triage.compose import build_email
from triage.errors import TriageError
from triage.models import Address, Reply
from triage.parse import clean_header
from triage.pipeline import decide
from triage.render import Renderer

BREAKS = [  # line breaks, hidden or not, with a header or an address after them
    "=?utf-8?q?a=0D=0AX-Injected:_1?=",
    "=?utf-8?b?YQ0KWC1JbmplY3RlZDogMQ==?=",
    "\r\nBcc: eve@evil.test",
    "\nX-Injected: 1",
    "\r",
    "\x00",
    "\u2028",
    "\x85",
]
HOSTILE_PIECES = [
    "interview",
    "We'd like to invite you to an interview on Tuesday at 3pm ET.",
    "{{ 7*7 }}",
    "{% for x in range(9) %}x{% endfor %}",
    "{{ cycler.__init__.__globals__ }}",
    "\x0b",
    "\x1b[31m",
    "((((((((",
    '"',
    "\\",
    "<>",
    "<eve@evil.test>",
    ",",
    ";",
    ":",
    "@",
    "Zoë",
    "面接",
    "--b1",
    "--b1--",
    "Content-Type: multipart/mixed; boundary=b1",
]
CHARSETS = ["utf-8", "us-ascii", "iso-8859-1", "windows-1252", "utf-16", "x-klingon", "", '"utf-8']
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "bogus", ""]
LOCALS = ["dana", "no-reply", "eve", "a.b+c", '"quoted local"', "", "x\x00y", "=?x?q?y?="]
DOMAINS = ["brightloop.io", "evil.test", "example.net", "", "[127.0.0.1]", "a..b", "bad domain"]

text = st.lists(
    st.one_of(st.sampled_from(BREAKS), st.sampled_from(HOSTILE_PIECES), st.text(max_size=10)),
    max_size=8,
).map(" ".join)


def _encoded_word(value: str, charset: str, b: bool) -> str:
    data = value.encode("utf-8")
    payload = base64.b64encode(data).decode() if b else "".join(f"={c:02X}" for c in data)
    return f"=?{charset or 'utf-8'}?{'b' if b else 'q'}?{payload}?="


@st.composite
def header_value(draw: st.DrawFn, *, encoded: bool = False) -> str:
    """A header value as sent: raw text (hostile characters and all) or encoded words."""
    plain = draw(text)
    how = draw(st.sampled_from(["q", "b"] if encoded else ["raw", "q", "b", "mixed"]))
    if how == "raw":
        return plain
    if how == "mixed":
        return f"{draw(text)} {_encoded_word(plain, draw(st.sampled_from(CHARSETS)), False)}"
    return _encoded_word(plain, draw(st.sampled_from(CHARSETS)), how == "b")


@st.composite
def address(draw: st.DrawFn) -> str:
    local = draw(st.one_of(st.sampled_from(LOCALS), st.text(max_size=8)))
    domain = draw(st.one_of(st.sampled_from(DOMAINS), st.text(max_size=8)))
    name = draw(header_value())
    return draw(st.sampled_from([f"{name} <{local}@{domain}>", f"{local}@{domain}", name]))


def _part(content_type: str, charset: str, encoding: str, body: bytes, corrupt: bool) -> bytes:
    if encoding == "base64":
        body = base64.encodebytes(body)
        if corrupt:
            body = body[: len(body) // 2] + b"!!*==\r\n" + body[len(body) // 2 :]
    head = f"Content-Type: {content_type}; charset={charset}\r\n"
    if encoding:
        head += f"Content-Transfer-Encoding: {encoding}\r\n"
    return head.encode("utf-8", errors="replace") + b"\r\n" + body + b"\r\n"


body_bytes = st.one_of(
    st.just(INVITE_TEXT.encode()),
    text.map(lambda t: t.encode("utf-8")),
    st.binary(max_size=120),
)
leaf = st.builds(
    _part,
    st.sampled_from(
        ["text/plain", "text/html", "image/png", "application/octet-stream", "message/rfc822"]
    ),
    st.sampled_from(CHARSETS),
    st.sampled_from(ENCODINGS),
    body_bytes,
    st.booleans(),
)


def _multipart(
    subtype: str, boundary: str, declared: bool, closed: bool, children: list[bytes]
) -> bytes:
    head = f"Content-Type: multipart/{subtype}" + (f"; boundary={boundary}" if declared else "")
    delimiter = f"--{boundary}\r\n".encode()
    body = b"".join(delimiter + child for child in children)
    if closed:
        body += f"--{boundary}--\r\n".encode()
    return head.encode() + b"\r\n\r\n" + body


def _extend(children: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.builds(
        _multipart,
        st.sampled_from(["mixed", "alternative", "related", "digest", "report"]),
        st.sampled_from(["b1", "b2", "b1", "x y", ""]),  # reused, spaced and empty boundaries
        st.booleans(),
        st.booleans(),
        st.lists(children, max_size=4),
    )


structure = st.recursive(leaf, _extend, max_leaves=10)
HEADERS: dict[str, Callable[[], st.SearchStrategy[str]]] = {
    "From": address,
    "Reply-To": address,
    "To": lambda: st.lists(address(), max_size=4).map(", ".join),
    "Cc": lambda: st.lists(address(), max_size=4).map(", ".join),
    "Subject": header_value,
    "Message-ID": lambda: st.one_of(
        st.just("<fuzz@brightloop.io>"), header_value().map(lambda v: f"<{v}@x.example>")
    ),
    "References": lambda: st.lists(header_value().map(lambda v: f"<{v}>"), max_size=3).map(
        " ".join
    ),
    "In-Reply-To": header_value,
    "Date": lambda: st.sampled_from(["Mon, 16 Nov 2026 10:00:00 -0500", "yesterday", ""]),
    "Auto-Submitted": lambda: st.sampled_from(["no", "auto-replied", "\x00"]),
}


@st.composite
def mail(draw: st.DrawFn) -> tuple[bytes, str | None]:
    """A whole message, and where a reply to it must go when that is known.

    A random set of top-level headers, then a MIME tree. Half are plausible invitations from
    dana@brightloop.io (with a hostile display name and subject, and no Reply-To), so that the
    draft path is fuzzed too: a reply to one of them goes to Dana or nowhere.
    """
    names = draw(st.lists(st.sampled_from(list(HEADERS)), unique=True, max_size=len(HEADERS)))
    lines = [f"{name}: {draw(HEADERS[name]())}" for name in names]
    tree = draw(structure)
    expected = None
    if draw(st.booleans()):
        lines = [line for line in lines if not line.startswith(("From:", "Subject:", "Reply-To:"))]
        # Encoded: what it hides (line breaks, "<eve@evil.test>", commas) is display-name text.
        lines.append(f"From: {draw(header_value(encoded=True))} <dana@brightloop.io>")
        lines.append(f"Subject: Interview {draw(header_value())}")
        invite = _part("text/plain", "utf-8", "8bit", INVITE_TEXT.encode(), False)
        tree = _multipart("mixed", "zz", True, draw(st.booleans()), [invite, tree])
        expected = "dana@brightloop.io"
    head = "\r\n".join(lines).encode("utf-8", errors="surrogateescape")
    return head + b"\r\nMIME-Version: 1.0\r\n" + tree, expected


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return load_classifier()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=mail())
def test_decide_raises_only_documented_errors_and_replies_are_clean(
    classifier: Classifier, generated: tuple[bytes, str | None]
) -> None:
    raw, expected_to = generated
    try:
        message, plan = decide(
            raw, classifier, ME, Renderer(), reply_message_id="<r@example.net>", calendar=CALENDAR
        )
    except TriageError:  # the documented errors (a reply template failing, say)
        return
    for value in (message.subject, message.list_id, *message.references, message.message_id):
        assert not any(ch in (value or "") for ch in "\r\n\x00\u2028"), repr(value)
    if plan.reply is not None:
        sent = message_from_bytes(assert_clean_reply(plan.reply), policy=policy.default)
        if expected_to is not None:  # a display name never adds or replaces an address
            assert [a.addr_spec for a in sent["To"].addresses] == [expected_to], plan.reply.to


@settings(max_examples=200, deadline=None)
@given(
    names=st.lists(st.text(max_size=20), min_size=1, max_size=3),
    subject=st.text(max_size=40) | text,
    ids=st.lists(st.text(max_size=12) | text, max_size=3),
)
def test_build_email_never_fails_and_injects_nothing(
    names: list[str], subject: str, ids: list[str]
) -> None:
    # Names are sanitised when parsed; everything else is passed raw, as a stored draft might be.
    to = ", ".join(Address(clean_header(n), "dana@brightloop.io").formatted() for n in names)
    reply = Reply(
        to=to,
        subject=subject,
        in_reply_to=f"<{ids[0]}@x.example>" if ids else None,
        references=tuple(f"<{i}>" for i in ids),
        body="Thank you.\n",
        message_id="<m1@example.net>",
    )
    raw = assert_clean_build(reply)
    assert raw.count(b"dana@brightloop.io") == len(names)
    to_header = message_from_bytes(raw, policy=policy.default)["To"]
    recipients = [a.addr_spec for a in to_header.addresses] if to_header else []
    assert recipients == ["dana@brightloop.io"] * len(names)  # nobody added by a name
    assert build_email(reply, Address("", "jordan@example.net"), CALENDAR.now)["Message-ID"]
