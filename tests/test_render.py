from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from triage.compose import build_email, reply_subject
from triage.errors import RenderError
from triage.models import Address, Reply
from triage.render import Renderer

CONTEXT = {
    "greeting_name": "Zoë",
    "company": "",
    "role": "",
    "user_name": "Jordan",
    "signature": "Jordan Avery",
}


def test_missing_variable_is_an_error_not_an_empty_greeting() -> None:
    with pytest.raises(RenderError, match=r"invite_link\.txt\.j2"):
        Renderer().render("invite_link.txt.j2", {"company": ""})


def test_user_templates_override_and_run_in_the_sandbox(tmp_path: Path) -> None:
    (tmp_path / "invite_link.txt.j2").write_text("Yo {{ greeting_name }}")
    assert Renderer(tmp_path).render("invite_link.txt.j2", CONTEXT) == "Yo Zoë\n"
    (tmp_path / "invite_link.txt.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(RenderError):
        Renderer(tmp_path).render("invite_link.txt.j2", CONTEXT)


def test_template_syntax_in_values_is_printed_literally() -> None:
    body = Renderer().render("invite_link.txt.j2", {**CONTEXT, "greeting_name": "{{ 7*7 }}"})
    assert body.startswith("Hi {{ 7*7 }},")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Interview", "Re: Interview"),
        ("Re: Interview", "Re: Interview"),
        ("RE: re:Interview", "Re: Interview"),
        ("AW: Termin", "Re: Termin"),
        ("", "Re: your message"),
    ],
)
def test_reply_subject_does_not_stack(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_built_email_encodes_names_and_keeps_headers_single_line() -> None:
    reply = Reply(
        to="Zoë Ångström <zoe@verrine.example>",
        subject="Re: Entretien — Développeur",
        in_reply_to="<a@b>",
        references=("<r@x>", "<a@b>"),
        body="Merci beaucoup, Zoë.\n",
        message_id="<m1@example.net>",
    )
    msg = build_email(
        reply,
        Address("Jordan Avery", "jordan@example.net"),
        datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
    )
    raw = msg.as_bytes(policy=policy.SMTP)
    assert raw.isascii() and b"=?utf-8?" in raw  # the names and subject as encoded words
    back = message_from_bytes(raw, policy=policy.default)
    assert str(back["To"]) == "Zoë Ångström <zoe@verrine.example>"
    assert str(back["Subject"]) == "Re: Entretien — Développeur"
    assert back["References"] == "<r@x> <a@b>" and back["In-Reply-To"] == "<a@b>"
    assert back.get_body().get_content().rstrip() == "Merci beaucoup, Zoë."  # type: ignore[union-attr]
    assert back.get_body()["Content-Transfer-Encoding"] == "quoted-printable"  # type: ignore[index]


TEMPLATES = Path(__file__).parent.parent / "templates"


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.j2")))
def test_every_template_reads_cleanly_with_fields_present_or_missing(name: str) -> None:
    """Checked before the renderer's tidying (which folds doubled spaces and blank lines, and
    so would hide an empty field's mark: "for the  role", "at ."), for every combination."""
    env = Renderer()._env  # the sandboxed environment itself, untidied
    for company, role, greeting, windows, offered in [
        ("Brightloop", "Data Analyst", "Dana", ["Tue 17 Nov, 9:00-12:00 EST"], 2),
        ("", "", "", [], 0),
        ("Brightloop", "", "Dana", ["a", "b"], 1),
        ("", "Data Analyst", "", [], 2),
    ]:
        context = {
            "greeting_name": greeting,
            "company": company,
            "role": role,
            "slot": "Tuesday 17 November at 3:00 pm EST",
            "slot_local": "",
            "windows": windows,
            "offered_count": offered,
            "scheduling_link": "https://cal.com/dana",
            "user_name": "Jordan Avery",
            "signature": "Jordan Avery",
            "items": [],
            "count": 0,
        }
        raw = env.get_template(name).render(**context)
        for line in raw.splitlines():
            body = line.strip()
            assert "  " not in body, (name, context, line)
            for mark in (" ,", " .", " ;", "the role", "at .", "with .", "for the  "):
                assert mark not in body, (name, mark, line)
        assert "\n\n\n" not in raw.strip(), (name, raw)


def test_a_templates_own_expression_failing_is_a_render_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "reminder.txt.j2").write_text("{{ 100 // count }}")
    with pytest.raises(RenderError, match=r"reminder\.txt\.j2: ZeroDivisionError"):
        Renderer(tmp_path).render("reminder.txt.j2", {"count": 0})
