"""RFC 2047 encoded words in header values, read leniently. Pure.

Adjacent encoded words in one charset are read together (a character may be split across
them), in that charset, its superset or UTF-8, and only what none of them reads is dropped or
read as Windows-1252 (never as U+FFFD); a run that hides a control character is re-encoded
without it. ``mime``'s bounded policy applies this to every header before the stdlib parses it.
"""

from __future__ import annotations

import binascii
import codecs
import re
from email import quoprimime
from email.charset import Charset
from typing import NamedTuple

from triage.chars import BIDI_CONTROL, CONTROL, SURROGATE, WS

_ENCODED_WORD = re.compile(r"=\?([^?\s*]{1,40}(?:\*[^?\s]{1,20})?)\?([bBqQ])\?([^?\s]*)\?=")
_UTF8 = Charset("utf-8")


def _word_bytes(match: re.Match[str]) -> tuple[bytes, str]:
    """An encoded word's bytes (its payload decoded leniently, as the email package would) and
    its charset.

    Raises ``binascii.Error`` or ``ValueError`` when its payload can't be decoded.
    """
    charset, encoding, payload = match.groups()
    if encoding in "bB":
        payload = payload.rstrip("=")
        payload = payload[: len(payload) - (len(payload) % 4 == 1)]
        data = binascii.a2b_base64(payload + "=" * (-len(payload) % 4))
    else:
        data = quoprimime.header_decode(payload).encode("latin-1", errors="replace")
    return data, charset.split("*")[0]  # "*" starts an RFC 2231 language tag


# Superset of a charset that a mislabelled header most often really is in (GBK labelled gb2312,
# Windows-1252 labelled Latin-1), by Python's codec name.
_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",  # also ks_c_5601-1987
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}
# What no charset that fits gives: C1 controls (Windows-1252 read as Latin-1) and surrogates.
_UNFIT = re.compile(r"[\x80-\x9f\ud800-\udfff]")
_GAP = re.compile(r"[ \t\r\n]*")  # what may part adjacent encoded words (RFC 2047, 6.2)


class _Word(NamedTuple):
    """An encoded word: where it is, its bytes (None when its payload can't be decoded), and
    its charset."""

    match: re.Match[str]
    data: bytes | None
    charset: str


def _read_word(match: re.Match[str]) -> _Word:
    try:
        return _Word(match, *_word_bytes(match))
    except (binascii.Error, ValueError):
        return _Word(match, None, "")


def _word_runs(value: str) -> list[list[_Word]]:
    """The encoded words of ``value``, in order, those of one charset parted by white space
    only joined in runs: a character may be split across them, so they are read together."""
    runs: list[list[_Word]] = []
    for match in _ENCODED_WORD.finditer(value):
        word = _read_word(match)
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and last.data is not None
            and word.data is not None
            and last.charset.lower() == word.charset.lower()
            and _GAP.fullmatch(value, last.match.end(), match.start())
        ):
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def _codec(charset: str) -> str | None:
    """Python's name for ``charset``; None when it knows none."""
    try:
        return codecs.lookup(charset).name
    except (LookupError, ValueError):  # unknown, or a name with a NUL in it
        return None


def _decoded(data: bytes, codec: str, errors: str = "strict") -> str | None:
    try:
        return data.decode(codec, errors)
    except (LookupError, ValueError):  # not a text codec ("base64"), or the bytes don't fit
        return None


def _strict_text(data: bytes, charset: str) -> str | None:
    """``data`` in ``charset``; None when the charset is unknown or does not fit the bytes
    (C1 controls, as Windows-1252 read as Latin-1 gives, don't fit)."""
    codec = _codec(charset)
    text = _decoded(data, codec) if codec else None
    return None if text is None or _UNFIT.search(text) else text


def _fitting_text(data: bytes, charset: str) -> str | None:
    """``data`` read strictly in ``charset``, else as UTF-8, else in the charset's superset;
    None when none fits. UTF-8 comes before the superset: a superset (GB18030, Windows-1252)
    reads nearly any bytes, UTF-8 text among them, while text in it is almost never UTF-8.
    ASCII bytes are not read as UTF-8: that would keep the escapes of a 7-bit charset
    (ISO-2022-JP) as text."""
    codec = _codec(charset)
    utf8 = None if data.isascii() else "utf-8"
    for name in (codec, utf8, _SUPERSETS.get(codec or "")):
        text = _decoded(data, name) if name else None
        if text is not None and not _UNFIT.search(text):
            return text
    return None


def _cp1252_bytes(error: UnicodeError) -> tuple[str, int]:
    """A decoding error handler: the bytes the codec can't read, read as Windows-1252 (its five
    unassigned bytes dropped)."""
    assert isinstance(error, UnicodeDecodeError)  # registered for decoding only
    return error.object[error.start : error.end].decode("cp1252", "ignore"), error.end


codecs.register_error("triage-cp1252", _cp1252_bytes)


def _lenient_text(data: bytes, charset: str) -> str:
    """``data`` as text, never raising and adding no U+FFFD: as ``_fitting_text`` reads it,
    else in ``charset`` dropping only the bytes it can't read; when the charset is unknown
    (or reads none of the 8-bit bytes) as UTF-8, the bytes that are not read as Windows-1252."""
    text = _fitting_text(data, charset)
    if text is not None:
        return text
    codec = _codec(charset)
    text = SURROGATE.sub("", _decoded(data, codec, "ignore") or "") if codec else ""
    return text if not text.isascii() else data.decode("utf-8", "triage-cp1252")


def _safe_run(value: str, run: list[_Word]) -> str:
    """A run of encoded words as the stdlib should read it: as sent when each word reads
    strictly in its charset and hides no control character, else re-encoded as UTF-8 of its
    text (its bytes joined, read by ``_lenient_text``) without them."""
    words = [(w.data, w.charset) for w in run if w.data is not None]
    if not words:
        return " "  # undecodable: what it holds is unknown, so it is dropped
    text = _lenient_text(b"".join(data for data, _ in words), words[0][1])
    if not CONTROL.search(text) and all(_strict_text(*w) is not None for w in words):
        return value[run[0].match.start() : run[-1].match.end()]  # the stdlib reads it right
    clean = WS.sub(" ", CONTROL.sub(" ", BIDI_CONTROL.sub("", text)))
    return _UTF8.header_encode(clean) if clean.strip() else " "


def _misread_run(run: list[_Word]) -> bool:
    data = b"".join(w.data for w in run if w.data is not None)
    return run[0].data is not None and _strict_text(data, run[0].charset) is None


def misread_charset(value: str) -> bool:
    """Whether a raw header value holds text its charset can't read: 8-bit bytes, or encoded
    words in an unknown charset or with bytes their charset can't decode, even joined with
    the adjacent words of their charset. ``POLICY`` reads such text as ``_lenient_text`` does."""
    if SURROGATE.search(value):
        return True
    return "=?" in value and any(_misread_run(run) for run in _word_runs(value))


def defuse_encoded_words(value: str) -> str:
    """``value`` with every run of adjacent encoded words in one charset that hides a control
    character (a line break, say) re-encoded without it: the stdlib's address parser raises
    on a decoded line break, and its fallbacks would read the decoded text as addresses. A run
    that is not strictly in its charset word by word (a character split across two words, a
    stray byte, GBK labelled gb2312, an unknown charset) is re-encoded too, as UTF-8 of its
    text (see ``_safe_run``): the stdlib would show each byte it can't read as U+FFFD."""
    if "=?" not in value:
        return value
    parts: list[str] = []
    end = 0
    for run in _word_runs(value):
        parts += [value[end : run[0].match.start()], _safe_run(value, run)]
        end = run[-1].match.end()
    parts.append(value[end:])
    return "".join(parts)
