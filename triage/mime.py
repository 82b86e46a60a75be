"""Reading hostile MIME within bounds. Pure: no I/O, no clock.

The stdlib's email package recurses once per level of nesting, parses headers for every part, and
takes minutes and gigabytes on header values of megabytes. So a message is cut before it is parsed:
the MIME tree up to ``MAX_PARTS`` parts and ``MAX_CONTAINERS`` levels, a header value up to
``MAX_HEADER_CHARS``, a long Content-Type down to what matters. Encoded words that hide control
characters, or text in a charset that does not fit, are re-encoded (``encwords``). ``parse``
builds on this; what was skipped is reported in its defects.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import EmailPolicy

from triage.chars import BIDI_CONTROL, CONTROL, SURROGATE, WS
from triage.encwords import defuse_encoded_words

_MSG_ID = re.compile(r"<[!-;=?-~]{1,250}>")  # printable ASCII but < and >: safe in any header
_ESCAPED_BYTES = re.compile(r"[\udc80-\udcff]+")  # bytes the email package could not decode

MAX_HEADER_CHARS = 16_000  # of one header value (some 300 addresses); the rest is not read
MAX_PARTS = 250  # MIME parts read; an invitation has a handful
MAX_CONTAINERS = 100  # multipart and message/* parts read: this also bounds the nesting depth
MAX_MIME_HEADER_CHARS = 120  # longer Content-Type values keep only what triage needs
_MIME_HEADERS = ("content-type", "content-disposition")
_MIME_TOKEN = re.compile(r"[\w.+-]{1,60}(?:/[\w.+-]{1,60})?")
_KEPT_PARAM = re.compile(
    r'\b(?:boundary|charset)[ \t]*=[ \t]*(?:"[^"]{0,200}"|[^\s;"]{1,200})', re.I
)
_CONTAINER = re.compile(
    rb"^content-type:[ \t]*(?:\r?\n[ \t]+)?(?:multipart|message)/", re.IGNORECASE | re.MULTILINE
)
_BOUNDARY_PARAM = re.compile(
    rb'boundary[ \t]*=[ \t]*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.IGNORECASE
)
_DASH_LINE = re.compile(rb"^--([^\r\n]{1,250})", re.MULTILINE)


def lenient_decode(data: bytes, charset: str = "utf-8") -> str:
    """``data`` as text: in ``charset`` when that is known and fits, else as UTF-8, else as
    Windows-1252 (its five unassigned bytes dropped). Never raises, and adds no U+FFFD."""
    for name in (charset, "utf-8"):
        try:
            return data.decode(name)
        except (LookupError, ValueError):  # unknown, unfit, or a name with a NUL in it
            continue
    return data.decode("cp1252", errors="ignore")


def _escaped_text(match: re.Match[str]) -> str:
    return lenient_decode(match.group(0).encode("utf-8", "surrogateescape"))


def no_surrogates(text: str) -> str:
    """Undecodable bytes (kept by the email package as lone surrogates) read as UTF-8, else as
    Windows-1252; other lone surrogates shown as U+FFFD. A surrogate can't be encoded, so it
    would fail the reply when it is sent."""
    if not SURROGATE.search(text):
        return text
    return SURROGATE.sub("\ufffd", _ESCAPED_BYTES.sub(_escaped_text, text))


def clean_header(value: object) -> str:
    """A header value as one safe line: control characters become spaces, runs are folded,
    bidirectional controls are dropped."""
    text = BIDI_CONTROL.sub("", no_surrogates(str(value)))
    return WS.sub(" ", CONTROL.sub(" ", text)).strip()


def message_ids(value: str) -> tuple[str, ...]:
    """The ``<id>`` tokens in a Message-ID, In-Reply-To or References value, in order.

    Only printable ASCII ids count, and none holding ``=?``: an id is copied into reply headers,
    where the email package would decode an encoded word in it (a hidden line break, say).
    """
    return tuple(dict.fromkeys(i for i in _MSG_ID.findall(value) if "=?" not in i))


def cut(value: str) -> str:
    """At most ``MAX_HEADER_CHARS`` of a header value, ending at a comma when there is one."""
    if len(value) <= MAX_HEADER_CHARS:
        return value
    comma = value.rfind(",", 0, MAX_HEADER_CHARS)
    return value[: comma if comma > 0 else MAX_HEADER_CHARS]


def _compact_mime(name: str, value: str) -> str:
    """A long Content-Type or Content-Disposition reduced to its type, boundary and charset.

    These are parsed several times per part while a message is read, at a cost that grows with
    their length; nothing else in them matters to triage (file names, say).
    """
    if len(value) <= MAX_MIME_HEADER_CHARS or name.lower() not in _MIME_HEADERS:
        return value
    kind = _MIME_TOKEN.match(value.strip())
    kept = [m.group(0) for m in _KEPT_PARAM.finditer(value)][:2]
    return "; ".join([kind.group(0) if kind else "", *kept])


class _BoundedPolicy(EmailPolicy):
    """``policy.default``, except that header values are cut to ``MAX_HEADER_CHARS`` and
    defused (see ``defuse_encoded_words``, ``no_surrogates``) before they are parsed, and that a
    value too deeply nested for the parser is read with its comments flattened. The stdlib's
    header parser takes minutes and gigabytes on a value of megabytes, and recurses once per
    ``(`` of a nested comment.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:
        if not hasattr(value, "name"):  # not parsed yet
            # 8-bit bytes are read here: the stdlib would show each of them as U+FFFD.
            value = no_surrogates(defuse_encoded_words(_compact_mime(name, cut(value))))
        try:
            header: str = super().header_fetch_parse(name, value)  # a str subclass
        except RecursionError:
            flat = value.replace("(", " ").replace(")", " ")
            header = super().header_fetch_parse(name, flat)
        return header


POLICY = _BoundedPolicy()


def _structurecut(raw: bytes, max_parts: int, max_containers: int) -> int | None:
    """Where to stop reading so that at most ``max_parts`` MIME parts, and ``max_containers``
    multipart or message/* parts, are parsed; None when the whole message fits.

    A scan of the bytes, not a parse: the stdlib's parser recurses once per level of nesting
    (``RecursionError`` at some hundreds) and parses headers for every part, so a hostile
    message is cut before it is parsed. The counts are upper bounds (a quoted header counts too).
    """
    end = len(raw)
    for count, found in enumerate(_CONTAINER.finditer(raw), start=1):
        if count > max_containers:
            end = found.start()
            break
    boundaries = {quoted or bare for quoted, bare in _BOUNDARY_PARAM.findall(raw, 0, end)}
    if boundaries:
        parts = 0
        for found in _DASH_LINE.finditer(raw, 0, end):
            if found.group(1).rstrip() in boundaries:  # a delimiter; "--b--" closes, not counted
                parts += 1
                if parts > max_parts:
                    end = found.start()
                    break
    return end if end < len(raw) else None


def read_bounded(raw: bytes, defects: list[str]) -> tuple[EmailMessage, bool]:
    """The parsed message, and whether its body could be read (else only its headers were).

    The structure is read up to ``MAX_PARTS`` parts and ``MAX_CONTAINERS`` levels; when even
    that fails (the stack is short, or the stdlib trips over the tree), much tighter limits
    are tried, and then the headers alone.
    """
    for max_parts, max_containers in ((MAX_PARTS, MAX_CONTAINERS), (50, 8)):
        cut = _structurecut(raw, max_parts, max_containers)
        try:
            msg = BytesParser(policy=POLICY).parsebytes(raw[:cut])
        except Exception as exc:  # noqa: BLE001 - RecursionError, or the stdlib's own bugs
            defects.append(f"MIME structure unreadable ({exc.__class__.__name__})")
            continue
        if cut is not None:
            defects.append(
                f"more than {max_parts} MIME parts or {max_containers} multipart levels: "
                f"the last {len(raw) - cut} bytes were skipped"
            )
        assert isinstance(msg, EmailMessage)  # an EmailPolicy always builds EmailMessage
        return msg, True
    msg = BytesParser(policy=POLICY).parsebytes(raw, headersonly=True)
    assert isinstance(msg, EmailMessage)
    defects.append("only the headers could be read")
    return msg, False
