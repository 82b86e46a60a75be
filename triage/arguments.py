"""What the command line accepts: every command, option and argument type of ``triage``.

``cli`` runs the command; this module only describes it (for ``--help`` and for argparse's usage
errors, exit code 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from triage import __version__
from triage.config import parse_duration
from triage.models import State


def parser() -> argparse.ArgumentParser:
    """The parser of every command and option (``--help`` lists them)."""
    parser = argparse.ArgumentParser(
        prog="triage",
        description="Never ignore an interview invitation: triage drafts the replies, "
        "you approve them.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        help="settings file (default: ./.env when present); variables already "
        "in the environment win",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _daemon_commands(commands)
    _queue_commands(commands)
    _detector_commands(commands)
    return parser


def _daemon_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """demo, auth, run, doctor, status, review: running triage and seeing how it is doing."""
    commands.add_parser("demo", help="run the whole path on a local demo mailbox (no account)")

    auth = commands.add_parser(
        "auth", help="get an OAuth2 refresh token in the browser (Gmail, Microsoft 365)"
    )
    auth.add_argument(
        "--write", type=Path, metavar="FILE", help="write it to FILE (mode 0600), not to stdout"
    )
    auth.add_argument(
        "--port",
        type=_port,
        default=0,
        help="the port on 127.0.0.1 the browser comes back to (default: any free one)",
    )

    run = commands.add_parser("run", help="watch the inbox and queue drafts (the daemon)")
    run.add_argument("--once", action="store_true", help="poll once and exit")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="poll once and show what would be queued, changing nothing",
    )

    commands.add_parser(
        "doctor",
        help="check the settings, the servers, the model, the templates and the files; "
        "exits 1 when a check fails",
    )

    status = commands.add_parser(
        "status", help="one screen: daemon health, last poll, queue counts, oldest invitation"
    )
    status.add_argument("--json", action="store_true", help="print JSON")

    commands.add_parser(
        "review", help="walk the waiting drafts one at a time: approve, edit, reject or skip"
    )


def _queue_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """queue list, show, approve, reject, edit."""
    queue = commands.add_parser("queue", help="review the drafts").add_subparsers(
        dest="queue_command", required=True, metavar="ACTION"
    )
    listing = queue.add_parser("list", help="list queue items, newest first")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument(
        "--state",
        type=_states,
        default=(),
        help="only these states (comma-separated): " + ", ".join(s.value for s in State),
    )
    for flag, text in (("--since", "detected at or after"), ("--until", "detected before")):
        listing.add_argument(
            flag,
            type=_moment_arg,
            metavar="WHEN",
            help=f"only items {text} WHEN: a time ago such as 2d or 12h, or a date "
            "such as 2026-11-20 (in TRIAGE_TIMEZONE)",
        )
    for name, text in (
        ("show", "show one item in full"),
        ("approve", "send the draft now"),
        ("reject", "decline the draft; nothing is sent"),
        ("edit", "edit the draft's body in $EDITOR"),
    ):
        sub = queue.add_parser(name, help=text)
        sub.add_argument("id", type=int)
        if name == "show":
            sub.add_argument("--json", action="store_true", help="print JSON")
            sub.add_argument(
                "--ics",
                type=Path,
                metavar="FILE",
                help="also write the accepted interview time as an .ics file",
            )
        if name == "approve":
            sub.add_argument(
                "--retry",
                action="store_true",
                help="send an item that failed before (check Sent first)",
            )


def _detector_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """train, eval, classify: the detector on its own."""
    train = commands.add_parser("train", help="rebuild the detector from the project's corpus")
    train.add_argument(
        "--corpus",
        type=Path,
        default=None,
        metavar="PATH",
        help="labelled mail to train on (default: the checkout's corpus/)",
    )
    train.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="DIR",
        help="where to write the model (default: the shipped triage/model/)",
    )
    train.add_argument("--seed", type=int, default=0)

    evaluate = commands.add_parser("eval", help="measure the detector on labelled mail")
    evaluate.add_argument(
        "path",
        nargs="?",
        type=Path,
        metavar="PATH",
        help="a JSONL file, a folder of JSONL files or of labelled .eml files "
        "(default: the project corpus's dev split)",
    )
    evaluate.add_argument(
        "--errors",
        type=int,
        default=50,
        metavar="N",
        help="list at most N misclassified messages (default 50)",
    )
    evaluate.add_argument(
        "--thresholds",
        action="store_true",
        help="also give invite detection at minimum scores 0.20 to 0.60, to choose "
        "TRIAGE_MIN_SCORE",
    )

    classify = commands.add_parser("classify", help="classify .eml files offline")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.add_argument("files", nargs="+", metavar="FILE", help=".eml files, or - for stdin")


def _moment_arg(value: str) -> Callable[[ZoneInfo, datetime], datetime]:
    """``2d`` / ``12h`` ago, or an ISO date or date-time (local time unless it has an offset).
    Resolved later, once the time zone is known."""
    try:
        ago = parse_duration(value)
    except ValueError:
        ago = None
    if ago is not None:
        return lambda zone, now: now - ago
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected a time ago such as 2d or 12h, or a date such as 2026-11-20"
        ) from None
    return lambda zone, now: moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _states(value: str) -> tuple[State, ...]:
    try:
        return tuple(State(v.strip()) for v in value.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"unknown state in {value!r}; states are: {', '.join(s.value for s in State)}"
        ) from None


def _port(value: str) -> int:
    """A TCP port, or 0 for any free one."""
    if not value.isdigit() or int(value) > 65535:  # the largest TCP port
        raise argparse.ArgumentTypeError(f"{value!r}: expected a port from 1 to 65535, or 0")
    return int(value)
