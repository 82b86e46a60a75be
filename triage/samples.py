"""What every reply template and the reminder digest are tried with before any real mail: a
context with every name a template is given, once filled in and once empty ("", 0, []), so both
sides of a template's ``{% if %}`` run. A name a template uses that is not here fails, as it
would at run time (StrictUndefined). Used by ``triage doctor`` and at the daemon's start."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from triage.errors import RenderError
from triage.remind import TEMPLATE as REMINDER
from triage.render import Renderer, shipped_template_dir

_LINK = "https://calendly.example/verrine/interview"
_ITEM = {  # one entry of the reminder digest
    "id": 1,
    "state": "action",
    "company": "Verrine",
    "role": "Backend Engineer",
    "sender": "Verrine Careers <careers@verrine.example>",
    "subject": "Book your interview",
    "age": "5 hours",
    "deadline": "Fri 11 Dec 17:00 CET",
    "first_slot": "Tue 08 Dec 10:00 CET",
    "links": [_LINK],
    "draft": ["Hi Dana,", "", "Tuesday at 10:00 works for me."],
    "reason": "no-reply sender",
}
_FULL: dict[str, object] = {
    "greeting_name": "Dana",
    "company": "Verrine",
    "role": "Backend Engineer",
    "slot": "Tuesday 8 December at 10:00 CET",
    "slot_local": "Tuesday 8 December at 10:00 CET",
    "windows": ["Mon 7 Dec, 10:00–12:00 CET", "Tue 8 Dec, 14:00–16:00 CET"],
    "offered_count": 2,
    "scheduling_link": _LINK,
    "user_name": "Jordan Avery",
    "signature": "Jordan",
    "count": 2,
    "items": [_ITEM, {**_ITEM, "id": 2, "state": "failed", "company": "", "deadline": ""}],
}
SAMPLE_CONTEXTS: tuple[Mapping[str, object], ...] = (
    _FULL,
    {name: type(value)() for name, value in _FULL.items()},
)


def template_names(folder: Path) -> set[str]:
    """The templates (``*.j2``) in ``folder``; none when it can't be read."""
    try:
        return {p.name for p in folder.iterdir() if p.is_file() and p.name.endswith(".j2")}
    except OSError:
        return set()


def used_templates() -> set[str]:
    """The templates triage renders: the shipped reply templates and the reminder digest."""
    return template_names(shipped_template_dir()) | {REMINDER}


def template_failures(
    renderer: Renderer,
    names: Iterable[str],
    contexts: Iterable[Mapping[str, object]] = SAMPLE_CONTEXTS,
) -> list[tuple[str, RenderError]]:
    """Each of the templates ``names`` that fails with one of ``contexts``, and how. The
    daemon's start tries the filled-in context only (a digest always lists an item, a user
    always has a name); ``doctor`` also the empty one, to find what could fail one day."""
    failures = []
    for name in sorted(names):
        try:
            for context in contexts:
                renderer.render(name, context)
        except RenderError as exc:
            failures.append((name, exc))
    return failures
