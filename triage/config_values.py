"""The converters that turn one setting's text into its value; each raises ``ValueError`` on
bad input, and ``config`` turns that into a problem naming the variable."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time, timedelta
from email.headerregistry import Address as HeaderAddress
from email.headerregistry import HeaderRegistry
from pathlib import Path

from triage.models import Address

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    def convert(raw: str) -> int:
        value = int(raw)
        if not low <= value <= high:
            raise ValueError(raw)
        return value

    return convert


def absolute_path(raw: str) -> Path:
    """A path from ``/`` or ``~``: one that means the same whatever folder triage starts in."""
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise ValueError(raw)
    return path


def probability(raw: str) -> float:
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError(raw)
    return value


def log_level(raw: str) -> str:
    if raw.upper() not in LOG_LEVELS:
        raise ValueError(raw)
    return raw.upper()


_DURATION = re.compile(r"(\d+)\s*([dhms])", re.IGNORECASE)
_DURATION_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
OFF_WORDS = ("off", "no", "none", "false", "0")


def parse_duration(raw: str) -> timedelta:
    """``4h``, ``90m``, ``1d 12h``, ``45s``: a positive duration. Raises ``ValueError``."""
    text = raw.strip().lower()
    if not text or _DURATION.sub("", text).strip():
        raise ValueError(raw)
    total = timedelta()
    for amount, unit in _DURATION.findall(text):
        total += timedelta(**{_DURATION_UNITS[unit.lower()]: int(amount)})
    if total <= timedelta():
        raise ValueError(raw)
    return total


def optional_duration(raw: str) -> timedelta | None:
    return None if raw.strip().lower() in OFF_WORDS else parse_duration(raw)


def hours(raw: str) -> tuple[time, time] | None:
    if raw.strip().lower() in OFF_WORDS:
        return None
    start, sep, end = raw.partition("-")
    if not sep:
        raise ValueError(raw)
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


# \Flagged and keywords only: \Seen would mark invitations read, \Answered would make a deleted
# draft look sent by the user (``sync``), \Draft and \Deleted do not belong on received mail.
_FLAG = re.compile(r"^(\\Flagged|\$?[A-Za-z0-9_.-]{1,64})$")


# System flags' names written without their backslash: a keyword "Flagged" is not \Flagged.
_BARE_SYSTEM_FLAGS = frozenset({"flagged", "seen", "answered", "deleted", "draft", "recent"})


def flags(raw: str) -> tuple[str, ...]:
    if raw.strip().lower() in OFF_WORDS:
        return ()
    flags = tuple(raw.replace(",", " ").split())
    if not all(_FLAG.match(f) and f.lower() not in _BARE_SYSTEM_FLAGS for f in flags):
        raise ValueError(raw)
    return flags


def address(raw: str) -> Address:
    header = HeaderRegistry()("From", raw)
    addresses: tuple[HeaderAddress, ...] = getattr(header, "addresses", ())
    if len(addresses) != 1 or "@" not in addresses[0].addr_spec or header.defects:
        raise ValueError(raw)
    return Address(addresses[0].display_name, addresses[0].addr_spec)


def one_of(*choices: str) -> Callable[[str], str]:
    def convert(raw: str) -> str:
        if raw.lower() not in choices:
            raise ValueError(raw)
        return raw.lower()

    return convert
