from __future__ import annotations

import base64
import time

import pytest
from conftest import MAIL
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.corpus import message_from_fields
from triage.parse import MAX_HEADER_CHARS, clean_header, newest_part, parse_message


def _parse(name: str):  # type: ignore[no-untyped-def]
    return parse_message((MAIL / name).read_bytes())


def test_unknown_charset_is_read_as_far_as_possible() -> None:
    m = _parse("invite_unknown_charset.eml")
    assert "interview" in m.text.lower()
    assert any("LookupError" in d for d in m.defects)


def test_latin1_body_and_html_only_body_are_decoded() -> None:
    assert "Genève" in _parse("invite_latin1.eml").full_text
    html = _parse("invite_html_only.eml")
    assert "<" not in html.text and "video interview" in html.text


def test_quoted_history_is_not_the_newest_part() -> None:
    m = _parse("rejection_quoting_invite.eml")
    assert "wrote:" in m.full_text
    assert "wrote:" not in m.text and ">" not in m.text


def test_outlook_and_attribution_quotes_are_cut() -> None:
    text = "Great, Tuesday works.\n\n-----Original Message-----\nFrom: X\nWould you be free?"
    assert newest_part(text) == "Great, Tuesday works."
    text = "Thanks!\n\nOn Tue, 3 Mar 2026 at 10:12, Dana Smith <dana@x.io>\nwrote:\n> invite"
    assert newest_part(text) == "Thanks!"
    text = "Sounds good\n\nFrom: Dana <dana@x.io>\nSent: Monday\nTo: me\nSubject: hi\n\nold"
    assert newest_part(text) == "Sounds good"


def test_an_outlook_html_reply_drops_the_message_it_quotes() -> None:
    """Outlook puts the quoted message after its reply header block, not inside it: a
    rejection quoting the invitation must not read as the invitation."""
    html = (
        "<html><body><div>Thank you for your time. Unfortunately we have decided to move "
        "forward with other candidates.</div><div>Dana</div><div id='appendonsend'></div>"
        "<hr><div id='divRplyFwdMsg'><b>From:</b> Dana &lt;dana@x.io&gt;<br><b>Sent:</b> "
        "Monday, November 2, 2026<br><b>Subject:</b> Interview</div><div>We would like to "
        "invite you to an interview. Are you available on Tuesday at 2pm?</div></body></html>"
    )
    m = message_from_fields("RE: Interview", html, html=True)
    assert "invite you" not in m.text and "other candidates" in m.text
    assert "invite you" in m.full_text  # still there to read


@pytest.mark.parametrize(
    "quoted",
    [
        # Lotus Notes: a name line, a date line, then To/cc/Subject with no From line.
        "Mira Okonkwo\n03/04/2026 10:12 AM\nTo: Tomas Lindqvist/Ops@Northwind\ncc:\n"
        "Subject: Re: interview\n\nWe would like to invite you to an interview.",
        # The same in a tokenised archive's spacing, with the name on the date line.
        '" mira okonkwo " on 03 / 04 / 2026 10 : 12 : 43 am\nto : tomas @ northwind . com\n'
        "cc :\nsubject : re : interview\nwe would like to invite you to an interview .",
        # No date line above the block: the block itself starts the quote.
        "To: Tomas Lindqvist\nSubject: interview\nWe would like to invite you.",
    ],
)
def test_header_block_without_from_line_starts_the_quote(quoted: str) -> None:
    text = f"Tomas,\nplease ask facilities for a badge.\n{quoted}"
    assert newest_part(text) == "Tomas,\nplease ask facilities for a badge."


def test_a_short_cover_note_is_read_with_what_it_forwards() -> None:
    forwarded = (
        "---------- Forwarded message ---------\nFrom: Mira Okonkwo <mira@northwind.io>\n"
        "Date: Tue, 3 Mar 2026 at 10:12\nSubject: Interview\nTo: Tomas <t@x.net>\n\n"
        "We would like to invite you to an interview on Friday.\n\n"
        "On Mon, 2 Mar 2026, Tomas <t@x.net> wrote:\n> I applied last week."
    )
    newest = newest_part(f"Tomas, please see below.\n\n{forwarded}")
    assert newest == (
        "Tomas, please see below.\n\nWe would like to invite you to an interview on Friday."
    )
    # A long note stands on its own; a reply's quote is history, never read as new text.
    long_note = "Tomas, " + "here is a long update on the project. " * 12
    assert "invite" not in newest_part(f"{long_note}\n\n{forwarded}")
    reply = "Thanks!\n\nOn Tue, 3 Mar 2026 at 10:12, Mira <mira@northwind.io> wrote:\n> invite"
    assert newest_part(reply) == "Thanks!"


@pytest.mark.parametrize(
    ("separator", "header"),
    [
        ("---------- Message transféré ---------", "De : Mira <mira@northwind.io>\nObjet : Poste"),
        ("---------- Weitergeleitete Nachricht ---------", "Von: Mira <m@n.io>\nBetreff: Stelle"),
        ("---------- Mensagem encaminhada ---------", "De: Mira <m@n.io>\nData: 3/3/2026"),
        ("---------- Doorgestuurd bericht ---------", "Van: Mira <m@n.io>\nOnderwerp: Functie"),
    ],
)
def test_forwards_in_other_languages_are_read_with_their_cover_note(
    separator: str, header: str
) -> None:
    invite = "We would like to invite you to an interview."
    text = f"Tomas, see below.\n\n{separator}\n{header}\n\n{invite}"
    assert newest_part(text) == f"Tomas, see below.\n\n{invite}"


@pytest.mark.parametrize(
    "quote",
    [
        "Em ter., 3 de mar. de 2026 às 10:12, Mira <mira@northwind.io> escreveu:\n> convite",
        "De: Mira <mira@northwind.io>\nEnviado: lunes, 2 de marzo de 2026\nPara: Tomas\nAsunto: x",
        "Da: Mira <mira@northwind.io>\nInviato: lunedì 2 marzo 2026\nA: Tomas\nOggetto: x",
        "Van: Mira <mira@northwind.io>\nVerzonden: maandag 2 maart 2026\nAan: Tomas",
    ],
)
def test_replies_in_other_languages_are_cut_at_their_quote(quote: str) -> None:
    assert newest_part(f"Obrigado!\n\n{quote}\n\nold text") == "Obrigado!"


def test_to_line_in_the_newest_text_is_not_a_quote() -> None:
    text = "Agenda for the call:\nTo: decide the date\nThen: book the room"
    assert newest_part(text) == text


def test_missing_message_id_and_threading_headers() -> None:
    assert _parse("invite_no_message_id.eml").message_id is None
    m = _parse("invite_re_subject.eml")
    assert m.message_id and len(m.references) == 2


def test_bidirectional_controls_never_reach_a_terminal_or_a_draft() -> None:
    """U+202E and its kin would show the rest of a line reversed in a terminal that honours
    them (queue list, queue show, review), and in the draft's To and Subject."""
    raw = (
        "From: =?utf-8?q?Dana_=E2=80=AEsreyeR?= <dana@x.io>\r\n"
        "Subject: =?utf-8?q?Interview_=E2=81=A6txt.exe=E2=81=A9?=\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hi \u200fJordan\u202e, see you\u2066 soon.\r\n"
    ).encode()
    m = parse_message(raw)
    bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    assert m.sender is not None
    for text in (m.subject, m.sender.name, m.text, m.full_text):
        assert not any(ch in text for ch in bidi), repr(text)
    assert m.subject == "Interview txt.exe" and m.text == "Hi Jordan, see you soon."


def test_hostile_headers_are_sanitised() -> None:
    raw = (
        b"From: =?utf-8?q?Eve=0D=0ABcc:_x@evil.test?= <eve@x.io>\r\n"
        b"Subject: =?utf-8?q?hi=0D=0AX-Injected:_1?=\r\n"
        b"Message-ID: <a\x00b@x.io>\r\n\r\nbody\r\n"
    )
    m = parse_message(raw)
    assert "\r" not in m.subject and "\n" not in m.subject
    assert m.sender is not None and "\n" not in m.sender.name and "\r" not in m.sender.name
    assert m.message_id is None  # an id with a NUL in it is no id
    assert clean_header("a\r\nb\x00c") == "a b c"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    m = parse_message(raw)
    assert isinstance(m.text, str)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"Content-Type: multipart/mixed; boundary=x\r\n",
                b"--x\r\n",
                b"--x--\r\n",
                b"Content-Transfer-Encoding: base64\r\n",
                b"Content-Type: text/plain; charset=klingon\r\n",
                b"Subject: =?utf-8?b?!!!?=\r\n",
                b"\r\n",
                b"@@@===\r\n",
                b"From: <<<>>>\r\n",
                b"Content-Type: text/html\r\n",
                b"<p>interview</p>\r\n",
            ]
        ),
        max_size=40,
    )
)
def test_broken_mime_never_raises(parts: list[bytes]) -> None:
    assert isinstance(parse_message(b"".join(parts)).full_text, str)


BOGUS_SUBJECT = "=?x-bogus-charset?Q?Einladung_zum_Vorstellungsgespr=E4ch?="
CHARSET_DEFECT = "text in an unknown or wrong charset, read as UTF-8 or cp1252"


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        (BOGUS_SUBJECT, "Einladung zum Vorstellungsgespräch"),  # Latin-1 bytes
        # UTF-8 bytes in an unknown charset
        ("=?x-bogus-charset?B?R2VzcHLDpGNoIMO8YmVyIENhZsOp?=", "Gespräch über Café"),
        ("=?utf-8?q?Gespr=E4ch_=93heute=94?=", "Gespräch “heute”"),  # cp1252, said to be UTF-8
        ("=?x-bogus?q?Caf=E9_=81ok?=", "Café ok"),  # 0x81 is no character in cp1252
    ],
)
def test_a_header_in_an_unknown_or_wrong_charset_is_read_as_utf8_else_cp1252(
    encoded: str, decoded: str
) -> None:
    """As a body part in an unknown charset is: no U+FFFD for each byte, and a defect."""
    raw = (
        f"From: {encoded} <dana@x.io>\r\nSubject: {encoded}\r\n"
        "Content-Type: text/plain; charset=x-bogus-charset\r\n\r\n"
    ).encode() + "Vorstellungsgespräch am Dienstag".encode("latin-1")
    m = parse_message(raw)
    assert m.subject == decoded
    assert m.sender is not None and m.sender.name == decoded
    assert f"Subject: {CHARSET_DEFECT}" in m.defects and f"From: {CHARSET_DEFECT}" in m.defects
    assert m.text == "Vorstellungsgespräch am Dienstag"  # the body, read as before


def test_8bit_header_text_is_read_as_utf8_else_cp1252() -> None:
    raw = b"Subject: Caf\xe9 and \xc3\xa9t\xc3\xa9\r\nFrom: Zo\xeb <zoe@x.io>\r\n\r\nhi\r\n"
    m = parse_message(raw)
    assert m.subject == "Café and été"
    assert m.sender is not None and m.sender.name == "Zoë"
    assert f"Subject: {CHARSET_DEFECT}" in m.defects


def test_a_header_in_an_unknown_charset_is_still_sanitised() -> None:
    raw = (
        b"From: =?x-bogus?q?Dana=E4=0D=0ABcc:_eve@evil.test?= <dana@x.io>\r\n"
        b"Subject: =?x-bogus?q?Gespr=E4ch=0D=0AX-Injected:_1=00?= =?x-bogus?q?=E2=80=AEtxt?=\r\n"
        b"\r\nbody\r\n"
    )
    m = parse_message(raw)
    # Adjacent words of one charset are read as one run: the NUL becomes a space, as the line
    # break does, and U+202E is dropped.
    assert m.subject == "Gespräch X-Injected: 1 txt"
    assert m.sender is not None and m.sender.name == "Danaä Bcc: eve@evil.test"
    assert m.sender.addr == "dana@x.io" and len(m.to) == 0  # no address added


def test_no_replacement_character_reaches_the_reply_subject() -> None:
    from test_hostile import CALENDAR, INVITE_TEXT, ME, assert_clean_reply, head, text_part

    from triage.classify import load_classifier
    from triage.pipeline import decide
    from triage.render import Renderer

    raw = head(BOGUS_SUBJECT) + text_part(INVITE_TEXT, "x-bogus-charset")
    _, plan = decide(
        raw,
        load_classifier(),
        ME,
        Renderer(),
        reply_message_id="<r@example.net>",
        calendar=CALENDAR,
    )
    assert plan.reply is not None
    assert plan.reply.subject == "Re: Einladung zum Vorstellungsgespräch"
    assert_clean_reply(plan.reply)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=60),
    st.sampled_from(["x-bogus", "utf-8", "us-ascii", "iso-8859-1", "gb2312", "shift_jis"]),
    st.integers(min_value=0, max_value=60),
)
def test_encoded_words_never_give_replacement_or_control_characters(
    data: bytes, charset: str, split: int
) -> None:
    """Whatever the bytes and however they are split over two adjacent words."""
    first, second = (
        "".join(f"={byte:02X}" for byte in part) for part in (data[:split], data[split:])
    )
    subject = f"=?{charset}?q?{first}?=\r\n =?{charset}?q?{second}?="
    m = parse_message(f"Subject: {subject}\r\n\r\nbody\r\n".encode())
    if not any("\ufffd" in data.decode(c, "ignore") for c in ("utf-8", "gb18030")):
        assert "\ufffd" not in m.subject  # unless the sender wrote one
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in m.subject), repr(m.subject)
    assert not any(ch in m.subject for ch in "\u2028\u2029\u202e\u2066"), repr(m.subject)


def _subject(encoded: bytes) -> tuple[str, tuple[str, ...]]:
    """The subject and the defects of a mail with this raw Subject."""
    m = parse_message(b"Subject: " + encoded + b"\r\nFrom: a@x.io\r\n\r\nbody\r\n")
    return m.subject, m.defects


GESPRAECH = "Einladung zum Vorstellungsgespräch"
_CUT = GESPRAECH.encode().index(b"\xc3") + 1  # inside the two bytes of "ä"


@pytest.mark.parametrize(
    "encoded",
    [
        b"=?utf-8?b?%s?= =?utf-8?b?%s?="
        % (
            base64.b64encode(GESPRAECH.encode()[:_CUT]),
            base64.b64encode(GESPRAECH.encode()[_CUT:]),
        ),
        b"=?UTF-8?Q?Einladung_zum_Vorstellungsgespr=C3?=\r\n =?utf-8?q?=A4ch?=",
        b"=?x-bogus?Q?Einladung_zum_Vorstellungsgespr=C3?=\t=?X-BOGUS?Q?=A4ch?=",
    ],
)
def test_a_character_split_over_adjacent_encoded_words_is_read_whole(encoded: bytes) -> None:
    """Adjacent words of one charset, parted by white space only, are joined as bytes before
    they are decoded: a sender may split a character over them."""
    subject, defects = _subject(encoded)
    assert subject == GESPRAECH
    if b"bogus" not in encoded:
        assert f"Subject: {CHARSET_DEFECT}" not in defects  # read in its own charset


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        # One stray byte: the rest of the word is still read in its charset.
        (b"=?utf-8?q?Einladung_zum_Vorstellungsgespr=C3=A4ch_=FF?=", GESPRAECH),
        (b"=?utf-8?q?Gespr=C3=A4ch=FE_heute?=", "Gespräch heute"),
        # GBK labelled gb2312, Windows-1252 labelled Latin-1 or ASCII, and their kin: read in
        # the superset.
        (b"=?gb2312?b?%s?=" % base64.b64encode("面试邀请丂".encode("gbk")), "面试邀请丂"),
        (b"=?GBK?b?%s?=" % base64.b64encode("面试€".encode("gb18030")), "面试€"),
        (b"=?iso-8859-1?q?=93Gespr=E4ch=94?=", "“Gespräch”"),
        (b"=?us-ascii?q?Caf=E9?=", "Café"),
        (b"=?ks_c_5601-1987?b?%s?=" % base64.b64encode("똠방".encode("cp949")), "똠방"),
        (b"=?shift_jis?b?%s?=" % base64.b64encode("面接①".encode("cp932")), "面接①"),
        (b"=?big5?b?%s?=" % base64.b64encode("面試𡃁".encode("big5hkscs")), "面試𡃁"),
        # UTF-8 text under another label: UTF-8 before the superset, which would garble it.
        (b"=?gb2312?b?%s?=" % base64.b64encode("面试邀请".encode()), "面试邀请"),
        (b"=?us-ascii?q?Caf=C3=A9?=", "Café"),
    ],
)
def test_a_known_charset_that_does_not_fit_keeps_what_it_can_read(
    encoded: bytes, decoded: str
) -> None:
    """Not the whole word as Windows-1252: that is for an unknown charset, or one that reads
    none of the word's 8-bit bytes. The defect is still recorded."""
    subject, defects = _subject(encoded)
    assert subject == decoded
    assert f"Subject: {CHARSET_DEFECT}" in defects


def test_a_seven_bit_charset_that_does_not_fit_is_not_read_as_ascii() -> None:
    """Its bytes are ASCII, so UTF-8 would read them, escape sequences and all."""
    data = "面接のご案内 ①".encode("iso2022_jp_2004")  # ① is not in ISO-2022-JP
    subject, defects = _subject(b"=?iso-2022-jp?b?%s?=" % base64.b64encode(data))
    assert subject.startswith("面接のご案内") and "$B" not in subject
    assert f"Subject: {CHARSET_DEFECT}" in defects


def test_encoded_words_are_joined_only_with_adjacent_words_of_their_charset() -> None:
    assert _subject(b"=?utf-8?q?Caf=C3=A9?= und =?utf-8?q?Th=C3=A9?=") == ("Café und Thé", ())
    # A space the sender encoded at the end of a re-encoded run is kept.
    subject, _ = _subject(b"=?x-bogus?q?Caf=E9_?= =?utf-8?q?ok?=")
    assert subject == "Café ok"
    # A different charset starts a new run: its bytes are not read with the one before.
    subject, _ = _subject(b"=?utf-8?q?Gespr=C3=A4ch?= =?iso-8859-1?q?_=FCber?=")
    assert subject == "Gespräch über"


def test_thousands_of_split_encoded_words_are_read_in_linear_time() -> None:
    """Every character split over two words, up to the header's length limit."""
    encoded = b"\r\n ".join(b"=?utf-8?q?=C3?= =?utf-8?q?=A4?=" for _ in range(20_000))
    started = time.perf_counter()
    subject, defects = _subject(encoded)
    assert time.perf_counter() - started < 3.0
    read, cut_word = subject.split(" ")  # the header is cut inside its last encoded word
    assert set(read) == {"ä"} and len(read) > 400 and cut_word == "=?ut"
    assert f"Subject: more than {MAX_HEADER_CHARS} characters, the rest skipped" in defects
