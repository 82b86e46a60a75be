"""Labelled mail for training and evaluation: the project's corpus, JSONL files and .eml folders.

Every example goes through the same path as live mail: it is turned into an RFC 5322 message and
read by ``parse.parse_message``, so training and evaluation see exactly the text the daemon sees
(HTML converted, quoted history and signature cut).

Formats:
- the project's ``corpus/*.jsonl`` (see ``corpus/README.md``): fields id, label, subject, from,
  body, format;
- any JSONL file with subject, body and label (e.g. the shared evaluation corpus); labels outside
  triage's set count as ``other``;
- a folder of ``.eml`` files labelled by an ``X-Triage-Label`` header or by the name of the
  sub-folder they are in (``invite/foo.eml``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from triage.errors import TriageError
from triage.models import Label, Message
from triage.parse import parse_message

DEV_SHARE = 20  # percent of the project's corpus held out as the dev split
POSITIVE = frozenset({Label.INVITE, Label.RESCHEDULE})
NEUTRAL = frozenset({Label.CONFIRMATION})  # counts neither way when scoring invite detection


@dataclass(frozen=True)
class Example:
    """One labelled message, parsed."""

    id: str
    label: Label
    message: Message
    kind: str = ""
    source: str = ""  # where it comes from: the JSONL "source" field, else the file's name


def to_label(value: str) -> Label:
    try:
        return Label(value.strip().lower())
    except ValueError:
        return Label.OTHER


def in_dev(example_id: str) -> bool:
    """The stable split: a hash of the id, so adding examples never moves old ones."""
    digest = hashlib.blake2b(example_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 100 < DEV_SHARE


def message_from_fields(subject: str, body: str, sender: str = "", html: bool = False) -> Message:
    """Build and parse a message from bare fields, as if it had arrived by IMAP."""
    msg = EmailMessage()
    msg["From"] = sender or "Someone <someone@example.org>"
    msg["To"] = "reader@example.net"
    msg["Subject"] = " ".join(subject.split())
    msg.set_content(body, subtype="html" if html else "plain")
    return parse_message(msg.as_bytes(policy=SMTP))


def _jsonl_examples(path: Path) -> Iterable[Example]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                message = message_from_fields(
                    row.get("subject") or "",
                    row["body"],
                    row.get("from") or "",
                    html=row.get("format") == "html",
                )
                yield Example(
                    str(row.get("id", f"{path.stem}-{number}")),
                    to_label(row["label"]),
                    message,
                    row.get("kind", ""),
                    str(row.get("source") or path.stem),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise TriageError(f"{path}:{number}: not a labelled message ({exc})") from exc


def _eml_examples(folder: Path) -> Iterable[Example]:
    for path in sorted(folder.rglob("*.eml")):
        raw = path.read_bytes()
        header = next(
            (
                line
                for line in raw.split(b"\n\n", 1)[0].splitlines()
                if line.lower().startswith(b"x-triage-label:")
            ),
            b"",
        )
        if not header and path.parent == folder:
            raise TriageError(
                f"{path}: no label; give it an X-Triage-Label header or put it in a folder "
                "named after its label (invite/, rejection/, ...)"
            )
        label = header.split(b":", 1)[1].decode("ascii", "replace") if header else path.parent.name
        yield Example(str(path.relative_to(folder)), to_label(label), parse_message(raw))


def load(path: Path) -> list[Example]:
    """Examples from a JSONL file, a folder of JSONL files, or a folder of .eml files."""
    if path.is_file():
        return list(_jsonl_examples(path))
    if not path.is_dir():
        raise TriageError(f"{path}: no such file or folder")
    jsonl = sorted(path.glob("*.jsonl"))
    if jsonl:
        return [e for file in jsonl for e in _jsonl_examples(file)]
    return list(_eml_examples(path))


def project_corpus() -> Path:
    """The repository's ``corpus/`` (training needs a checkout: the corpus is not installed)."""
    return Path(__file__).resolve().parent.parent / "corpus"


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(train, dev) by ``in_dev``."""
    dev = [e for e in examples if in_dev(e.id)]
    train = [e for e in examples if not in_dev(e.id)]
    return train, dev
