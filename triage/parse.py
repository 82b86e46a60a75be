"""RFC 5322 bytes -> ``Message``. Pure: no I/O, no clock.

Parsing never raises for bad mail: what cannot be decoded is decoded as far as it can be, and what
was worked around is listed in ``Message.defects``. Header values are sanitised (no CR, LF, NUL or
other control characters) before they leave this module, so nothing hostile can reach a reply
header or an IMAP command.

Work is bounded whatever the input (see ``triage.mime``): the MIME tree is read up to
``MAX_PARTS`` parts and ``MAX_CONTAINERS`` levels (the stdlib's parser recurses per level), a
header value up to ``MAX_HEADER_CHARS`` (its header parser is quadratic on long values), text up
to ``MAX_TEXT_CHARS``; what was skipped is listed in the defects.
"""

from __future__ import annotations

import email.errors
import re
from datetime import datetime
from email.header import decode_header, make_header
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.message import Message as StdMessage
from email.utils import getaddresses, parsedate_to_datetime

from bs4 import BeautifulSoup

from triage.chars import BIDI_CONTROL, WS
from triage.encwords import defuse_encoded_words, misread_charset
from triage.htmltext import html_text
from triage.mime import (
    MAX_CONTAINERS,
    MAX_HEADER_CHARS,
    MAX_PARTS,
    clean_header,
    cut,
    message_ids,
    no_surrogates,
    read_bounded,
)
from triage.models import Address, Message

__all__ = [
    "MAX_CONTAINERS",
    "MAX_HEADER_CHARS",
    "MAX_PARTS",
    "clean_header",
    "message_ids",
    "newest_part",
    "parse_message",
]

# C0 and C1 controls and the Unicode line separators: ``str.splitlines`` breaks lines at all of
# them, and the email package refuses (or, worse, folds) header values that contain them.
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]+")  # all but tab and newline
_BLANK_RUN = re.compile(r"\n{3,}")

# Where quoted history starts: attributions and forwarded-reply separators of the common clients.
_ATTRIBUTION = re.compile(
    # "On <date>, <name> wrote:" and its translations; some clients put the name after the verb.
    r"^\s*(on\b.{0,200}\b(wrote|writes)|le\b.{0,200}a\s+écrit|am\b.{0,200}schrieb\b.{0,120}|"
    r"el\b.{0,200}escribió|w\s+dniu\b.{0,200}(pisze|napisał\(?a?\)?)|"
    r"op\b.{0,200}schreef|il\b.{0,200}ha\s+scritto|em\b.{0,200}escreveu)\s*:?\s*$",
    re.IGNORECASE,
)
# The separator lines over a forwarded or an original message ("---------- Forwarded message
# ---------", "-----Original Message-----"), in the languages of the common clients.
_FORWARDED = (
    r"forwarded by\b",
    "forwarded message",
    "weitergeleitete nachricht",
    "message transféré",
    "mensaje reenviado",
    "messaggio inoltrato",
    "doorgestuurd bericht",
    "mensagem encaminhada",
    "przekazana wiadomość",
    "wiadomość przekazana dalej",
)
_ORIGINAL_WORDS = (
    "original message",
    "ursprüngliche nachricht",
    "message d'origine",
    "mensaje original",
    "messaggio originale",
    "wiadomość oryginalna",
    "oorspronkelijk bericht",
    "mensagem original",
)


def _separator(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(
        rf"^\s*((-\s*){{2,}}\s*({'|'.join(words)})|begin forwarded message)", re.IGNORECASE
    )


_ORIGINAL = _separator(_ORIGINAL_WORDS + _FORWARDED)  # where quoted history starts
_FORWARD = _separator(_FORWARDED)  # ... when it is a forward (read with a short cover note)
FORWARD_NOTE_WORDS = 60  # a cover note this short is read together with what it forwards
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|von|de|od|van|da)\s*:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(sent|date|data|fecha|gesendet|datum|envoyé|enviado|inviato|verzonden|wysłano|to)\s*:",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*_{8,}\s*$")
# A quoted header block without a From line (Lotus Notes and some webmails): "To:" then "cc:" or
# "Subject:", usually under a name line and a date line.
_BLOCK_TO = re.compile(r"^\s*\*?(to|an|à|a|para|do|aan)\s*:", re.IGNORECASE)
_BLOCK_NEXT = re.compile(
    r"^\s*\*?(cc|subject|betreff|objet|asunto|oggetto|temat|onderwerp)\s*:", re.IGNORECASE
)
_DATE_LINE = re.compile(r"\d{1,4}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}")
_SIGNATURE = re.compile(r"^(--|-- |sent from my \w+.*|get outlook for \w+.*)$", re.IGNORECASE)

MAX_TEXT_CHARS = 200_000  # more text than any invitation needs; the rest is not read
_BARE_ADDRESS = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")


def _first_raw(msg: StdMessage, name: str) -> str:
    """The first ``name`` header as it was sent (encoded words and all), cut to length."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return defuse_encoded_words(cut(str(value)))
    return ""


def _decoded(value: str) -> str:
    """Encoded words decoded without the policy's parser, as one clean line."""
    try:
        return clean_header(make_header(decode_header(value)))
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        return clean_header(value)


def _raw_header(msg: StdMessage, name: str) -> str:
    """A header decoded without the policy's parser: the fallback for values it rejects."""
    return _decoded(_first_raw(msg, name))


def _header(msg: StdMessage, name: str, defects: list[str]) -> str:
    try:
        value = msg.get(name)
    except Exception as exc:  # noqa: BLE001 - the stdlib header parser fails in many ways
        defects.append(f"{name}: unreadable header ({exc.__class__.__name__})")
        return _raw_header(msg, name)
    return "" if value is None else clean_header(value)


def _address_pairs(msg: StdMessage, name: str, defects: list[str]) -> list[tuple[str, str]]:
    """(display name, addr-spec) pairs: the policy's parser, else the older one, else a regex."""
    try:
        header = msg.get(name)
        parsed: tuple[HeaderAddress, ...] = getattr(header, "addresses", ())
        return [(a.display_name, a.addr_spec) for a in parsed]
    except Exception as exc:  # noqa: BLE001
        defects.append(f"{name}: unreadable addresses ({exc.__class__.__name__})")
    # Addresses are found before encoded words are decoded: decoded text is a display name, and
    # must not add an address ("=?utf-8?q?Dana=0D=0ABcc:_eve@evil.test?= <dana@...>").
    raw = _first_raw(msg, name)
    try:
        pairs = getaddresses([raw])
    except Exception:  # noqa: BLE001 - RecursionError on nested comments, among others
        pairs = [("", found) for found in _BARE_ADDRESS.findall(raw)]
    return [(_decoded(display), addr) for display, addr in pairs]


def _addresses(msg: StdMessage, name: str, defects: list[str]) -> tuple[Address, ...]:
    found: list[Address] = []
    for display, raw_addr in _address_pairs(msg, name, defects):
        addr = clean_header(raw_addr).replace(" ", "")
        if "@" in addr and len(addr) <= 254:
            found.append(Address(clean_header(display), addr))
    return tuple(found)


def _date(value: str, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        defects.append("Date: unreadable")
        return None
    return parsed if parsed.tzinfo else None


def _decode_part(part: StdMessage, defects: list[str]) -> str:
    """A text part's content; unknown charsets and broken transfer encodings are worked around."""
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None
        if isinstance(content, str):
            return content
    except Exception as exc:  # noqa: BLE001 - unknown charsets, broken encodings, stdlib bugs
        defects.append(f"text part: {exc.__class__.__name__} while decoding, read as UTF-8")
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("cp1252", errors="replace")


def html_to_text(html: str, *, drop_quotes: bool = False) -> tuple[str, tuple[str, ...]]:
    """Readable text and the link targets of an HTML document (a real parser, not regexes),
    laid out as a browser shows it (see ``triage.htmltext``)."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "title", "meta", "template"]):
        tag.decompose()
    if drop_quotes:
        # Outlook puts the quoted message after its reply header block (#divRplyFwdMsg, after an
        # empty #appendonsend), not inside it: the block and all that follows it go.
        for marker in soup.select("#appendonsend, #divRplyFwdMsg"):
            if marker.decomposed:
                continue
            for later in marker.find_next_siblings():
                later.decompose()
            marker.decompose()
        for tag in soup.select("blockquote, div.gmail_quote, div.moz-cite-prefix"):
            tag.decompose()
    links = tuple(
        dict.fromkeys(
            href
            for href in (clean_header(a["href"]).replace(" ", "") for a in soup("a", href=True))
            if href.lower().startswith(("http://", "https://"))
        )
    )
    return html_text(soup), links


def _tidy(text: str) -> str:
    """Text with its lines stripped and blank runs folded; control characters are dropped (a
    terminal showing an extracted name or link must not receive escape sequences)."""
    text = no_surrogates(text).replace("\r\n", "\n").replace("\r", "\n")
    text = BIDI_CONTROL.sub("", _BODY_CONTROL.sub("", text))
    lines = [WS.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def _quote_start(lines: list[str]) -> int | None:
    """Index of the first line of quoted history, or None when there is none."""
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _ORIGINAL.match(line) or (_SEPARATOR.match(line) and _OUTLOOK_FROM.match(nxt)):
            return i
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(n) for n in lines[i + 1 : i + 4]):
            return i
        if _BLOCK_TO.match(line) and any(_BLOCK_NEXT.match(n) for n in lines[i + 1 : i + 3]):
            return _attribution_above(lines, i)
        if _ATTRIBUTION.match(line) or (
            line.lower().startswith("on ") and _ATTRIBUTION.match(f"{line} {nxt}")
        ):
            return i
    return None


def _attribution_above(lines: list[str], block: int) -> int:
    """Where a quoted header block starting at ``block`` really starts: at the date line within
    three lines above it (and the name line just above that), when there is one."""
    for i in range(block - 1, max(block - 4, -1), -1):
        if _DATE_LINE.search(lines[i]):
            above = lines[i - 1].strip() if i > 0 else ""
            if (
                above
                and len(above) <= 60
                and not _DATE_LINE.search(above)
                and above[-1] not in ".!?,;:"
            ):
                return i - 1
            return i
    return block


def newest_part(text: str) -> str:
    """The text the sender wrote now: quoted history, ``>`` lines and the signature removed.

    Falls back to the whole text when nothing would remain (a bare forward, say).
    """
    lines = text.split("\n")
    cut = _quote_start(lines)
    newest = _unquoted(lines[:cut] if cut is not None else lines)
    if cut is not None and _FORWARD.match(lines[cut]) and len(newest.split()) <= FORWARD_NOTE_WORDS:
        # "Please see below" over a forward: what is forwarded is part of what is said now.
        forwarded = lines[cut + 1 :]
        head = forwarded[:12]
        last = max((i for i, line in enumerate(head) if _header_line(line)), default=-1)
        forwarded = forwarded[last + 1 :]
        inner = _quote_start(forwarded)
        newest = f"{newest}\n\n{_unquoted(forwarded[:inner] if inner is not None else forwarded)}"
        newest = newest.strip()
    return newest or text


def _header_line(line: str) -> bool:
    """Whether ``line`` is one of a quoted message's header lines (From, Sent, To, cc, Subject)."""
    return any(
        pattern.match(line) for pattern in (_OUTLOOK_FROM, _OUTLOOK_NEXT, _BLOCK_TO, _BLOCK_NEXT)
    )


def _unquoted(lines: list[str]) -> str:
    """The lines without ``>`` quotes and without the signature, tidied."""
    kept = [line for line in lines if not line.lstrip().startswith(">")]
    for i, line in enumerate(kept):
        if _SIGNATURE.match(line.strip()) and i > 0:
            kept = kept[:i]
            break
    return _tidy("\n".join(kept))


def _body(msg: EmailMessage, defects: list[str]) -> tuple[str, tuple[str, ...], str]:
    """(full text, links, newest text) from the best text part: plain first, else HTML."""
    try:
        plain = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
    except Exception as exc:  # noqa: BLE001 - broken MIME trees fail deep in the stdlib
        defects.append(f"MIME structure unreadable ({exc.__class__.__name__})")
        plain = html = None
    plain_text = _decode_part(plain, defects)[:MAX_TEXT_CHARS] if plain is not None else ""
    links: tuple[str, ...] = ()
    if html is not None:
        html_source = _decode_part(html, defects)[:MAX_TEXT_CHARS]
        try:
            html_full, links = html_to_text(html_source)
            if len(plain_text.strip()) < 40:  # "view this mail in a browser" stubs
                newest_html, _ = html_to_text(html_source, drop_quotes=True)
                return _tidy(html_full), links, newest_part(_tidy(newest_html))
        except Exception as exc:  # noqa: BLE001 - the parser rejects some markup ("<![ ")
            defects.append(f"HTML part unreadable ({exc.__class__.__name__}): read the text part")
    if plain is None and html is None and not msg.is_multipart():
        plain_text = _decode_part(msg, defects)[:MAX_TEXT_CHARS]
        defects.append("no text/plain or text/html part: read the body as text")
    full = _tidy(plain_text)
    return full, links, newest_part(full)


def _auto_submitted(msg: StdMessage, defects: list[str]) -> str:
    """RFC 3834's Auto-Submitted, with the older X-Autoreply headers read as ``auto-replied``."""
    value = _header(msg, "Auto-Submitted", defects).lower()
    legacy = _header(msg, "X-Autoreply", defects) or _header(msg, "X-Autorespond", defects)
    if not value and legacy:
        return "auto-replied"
    return value


def _content_type(msg: EmailMessage) -> str:
    try:
        return msg.get_content_type()
    except Exception:  # noqa: BLE001 - a Content-Type the stdlib's parser trips over
        return "text/plain"


def _header_defects(msg: StdMessage) -> list[str]:
    """What was worked around in the raw header values: lengths cut, and text in an unknown or
    wrong charset (read as UTF-8, else Windows-1252: see ``triage.mime.misread_charset``)."""
    found = []
    for name, value in msg.raw_items():
        label = clean_header(name)[:40]
        if len(value) > MAX_HEADER_CHARS:
            found.append(f"{label}: more than {MAX_HEADER_CHARS} characters, the rest skipped")
        if misread_charset(cut(value)):
            found.append(f"{label}: text in an unknown or wrong charset, read as UTF-8 or cp1252")
    return found


def parse_message(raw: bytes) -> Message:
    """Parse one message. Never raises on malformed input; see ``Message.defects``.

    Work is bounded: at most ``MAX_PARTS`` parts and ``MAX_CONTAINERS`` levels of structure,
    ``MAX_HEADER_CHARS`` of a header value and ``MAX_TEXT_CHARS`` of text are read; what was
    skipped is listed in the defects.
    """
    defects: list[str] = []
    msg, readable = read_bounded(raw, defects)
    defects.extend(d.__class__.__name__ for d in msg.defects)
    defects.extend(_header_defects(msg))
    full, html_links, newest = _body(msg, defects) if readable else ("", (), "")
    senders = _addresses(msg, "From", defects)
    ids = message_ids(_header(msg, "Message-ID", defects))
    return Message(
        message_id=ids[0] if ids else None,
        subject=_header(msg, "Subject", defects),
        sender=senders[0] if senders else None,
        reply_to=_addresses(msg, "Reply-To", defects),
        to=_addresses(msg, "To", defects),
        date=_date(_header(msg, "Date", defects), defects),
        references=message_ids(_header(msg, "References", defects)),
        in_reply_to=message_ids(_header(msg, "In-Reply-To", defects)),
        text=newest,
        full_text=full,
        links=html_links,
        auto_submitted=_auto_submitted(msg, defects),
        list_id=_header(msg, "List-Id", defects),
        list_post=_header(msg, "List-Post", defects),
        precedence=_header(msg, "Precedence", defects).lower(),
        is_report=_content_type(msg) == "multipart/report",
        defects=tuple(dict.fromkeys(defects)),
    )
