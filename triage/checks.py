"""The verdicts of ``triage doctor``: one frozen ``Check`` per thing looked at, with its status.

Shared by the doctor's checks: the settings and files (``doctor``), the servers
(``doctor_servers``), and the detector, templates and database (``doctor_local``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    WARN = "warn"  # works, but probably not as intended; does not fail the run
    FAIL = "fail"
    SKIP = "skip"  # not checked because a setting it needs is broken (that failure is listed)


_MARKS = {Status.PASS: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "-"}
_ASCII_MARKS = {
    Status.PASS: "[ok]",
    Status.WARN: "[warn]",
    Status.FAIL: "[FAIL]",
    Status.SKIP: "[skip]",
}


@dataclass(frozen=True)
class Check:
    """One verdict: ``name`` groups it (``config``, ``imap``...), ``hint`` says what to do about
    it, ``note`` what to do about it and the verdicts above it (printed on a line of its own,
    so it does not read as part of this one)."""

    name: str
    status: Status
    detail: str
    hint: str = ""
    note: str = ""

    def line(self, *, ascii_only: bool = False) -> str:
        """The verdict as printed: one line, two with a ``note``."""
        mark = (_ASCII_MARKS if ascii_only else _MARKS)[self.status]
        dash = "--" if ascii_only else "—"
        text = f"{mark} {self.detail}" + (f" {dash} {self.hint}" if self.hint else "")
        return text + (f"\n  {dash} {self.note}" if self.note else "")


def blocked(name: str, what: str, needs: tuple[str, ...], broken: Iterable[str]) -> Check | None:
    """A skip verdict when a variable the check depends on (by prefix) is broken."""
    hit = sorted(b for b in broken if b.startswith(needs))
    if not hit:
        return None
    return Check(name, Status.SKIP, f"{what} not checked", f"fix {', '.join(hit)} first")
