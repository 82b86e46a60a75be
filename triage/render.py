"""Reply bodies from Jinja2 templates, rendered in a sandbox. Pure once the templates are loaded.

One ``SandboxedEnvironment`` with ``StrictUndefined``: a template can't reach Python internals, and
a variable it names but isn't given is an error, never an empty greeting. Email content reaches a
template only as values in a small explicit context, so ``{{ 7*7 }}`` in a display name is printed
as those characters. Templates are looked up first in the user's folder (``TRIAGE_TEMPLATE_DIR``),
then in the shipped ``templates/``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from triage.errors import RenderError

_SPACES = re.compile(r"[ \t]{2,}")
_BLANKS = re.compile(r"\n{3,}")


def shipped_template_dir() -> Path:
    """``triage/templates`` in an installed wheel, else the repository's ``templates/``."""
    packaged = Path(str(files("triage"))) / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"


class Renderer:
    """Renders the named template with a context of plain values."""

    def __init__(self, user_dir: Path | None = None) -> None:
        dirs = [d for d in (user_dir, shipped_template_dir()) if d is not None]
        self._env = SandboxedEnvironment(
            loader=ChoiceLoader([FileSystemLoader(str(d)) for d in dirs]),
            undefined=StrictUndefined,
            autoescape=False,  # plain-text mail; nothing here is interpreted as HTML
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,  # read once: a template edited mid-run waits for a restart
        )

    def render(self, name: str, context: Mapping[str, object]) -> str:
        """The rendered text, tidied: no trailing spaces, no doubled spaces or blank lines.

        Raises ``RenderError`` naming the template when it is missing or fails.
        """
        try:
            text = self._env.get_template(name).render(**context)
        except TemplateError as exc:
            raise RenderError(f"template {name}: {exc}") from exc
        except Exception as exc:  # a template's own expression failed ("{{ 100 // count }}")
            raise RenderError(f"template {name}: {exc.__class__.__name__}: {exc}") from exc
        lines = [_SPACES.sub(" ", line).rstrip() for line in text.splitlines()]
        return _BLANKS.sub("\n\n", "\n".join(lines)).strip() + "\n"
