"""The command line: parse arguments, call one use case, map errors to exit codes.

Exit codes: 0 success; 1 a problem the user can fix (one line saying what and what to do);
2 a usage error. A bug shows its traceback. Logging is configured here and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from triage import app, arguments, corpus, doctor, oauth, service
from triage.config import Settings, environ_with_file, load_settings
from triage.errors import QueueError, TriageError
from triage.evaluate import at_thresholds, by_threshold, report, scored
from triage.lock import DaemonLock
from triage.mailbox import Mailbox
from triage.models import QueueItem, State
from triage.parse import parse_message
from triage.present import (
    dry_run_text,
    ics,
    item_detail,
    item_json,
    item_table,
    status_json,
    status_text,
    verdict_json,
)
from triage.store import Store

log = logging.getLogger("triage")


def _setup_logging(verbose: bool) -> None:
    """One line per event on stderr; no timestamps under journald, which adds its own."""
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not os.environ.get("JOURNAL_STREAM"):
        fmt = "%(asctime)s " + fmt
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format=fmt,
        datefmt="%Y-%m-%d %H:%M:%S",
        stream=sys.stderr,
    )


def _env_file(args: argparse.Namespace) -> Path | None:
    """``--env-file``, else ./.env when there is one."""
    given: Path | None = args.env_file
    return Path(".env") if given is None and Path(".env").is_file() else given


def _settings(args: argparse.Namespace, need: Sequence[str] = ()) -> Settings:
    settings = load_settings(environ_with_file(_env_file(args)), need=need)
    if not args.verbose:
        logging.getLogger().setLevel(settings.log_level)
    return settings


def _run(args: argparse.Namespace) -> int:
    settings = _settings(args, need=("imap",))
    dry_and_new = args.dry_run and not settings.db_path.exists()  # then it leaves no file behind
    with Store.scratch() if dry_and_new else app.open_store(settings) as store:
        daemon = app.daemon_for(settings, store)
        if args.dry_run:  # changes nothing, so it may run beside a daemon
            report = daemon.poll_once(dry_run=True)
            print(dry_run_text(report.planned, report.noted))
            return 0
        # A second daemon, or a poll by hand beside one, on this database refuses: two pollers
        # could both find a draft missing from Drafts and both save it.
        with DaemonLock(settings.db_path):
            if args.once:
                daemon.poll_once()
            else:
                daemon.run()
    return 0


def _write_ics(item: QueueItem, path: Path) -> None:
    try:
        path.write_bytes(ics(item))
    except ValueError as exc:
        raise QueueError(f"{exc}: there is no calendar event to write") from exc
    except OSError as exc:
        raise QueueError(f"cannot write {path}: {exc.strerror}") from exc
    print(f"Wrote {path}.", file=sys.stderr)


def _edit_text(text: str) -> str:
    """``text`` as the user left it in ``$VISUAL`` or ``$EDITOR`` (UTF-8). Raises
    ``QueueError``, the draft unchanged, when the editor cannot run, fails, or leaves no text
    triage can read."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "draft.txt")
        path.write_text(text, encoding="utf-8")
        try:
            command = [*shlex.split(editor), str(path)]
            result = subprocess.run(command, check=False)  # noqa: S603
        except (OSError, ValueError) as exc:  # not found, not executable, unbalanced quotes
            raise QueueError(
                f"cannot run the editor ({editor}): {exc}; set VISUAL or EDITOR to one that "
                "works; the draft is unchanged"
            ) from exc
        if result.returncode != 0:
            raise QueueError(
                f"the editor ({editor}) exited with {result.returncode}; the draft is unchanged"
            )
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise QueueError(
                f"cannot read what the editor saved ({exc.__class__.__name__}; save it as "
                "UTF-8); the draft is unchanged"
            ) from exc


def _mailbox_if_configured(settings: Settings) -> Callable[[], Mailbox] | None:
    """The IMAP connection for keeping the Drafts folder in step, when IMAP is configured."""
    return app.mailbox_factory(settings) if settings.imap.host else None


def _queue(args: argparse.Namespace) -> int:
    action = args.queue_command
    settings = _settings(args, need=("imap", "smtp") if action == "approve" else ())
    now = app.utc_now()
    with app.open_store(settings) as store:
        if action == "list":
            _queue_list(args, settings, store, now)
        elif action == "show":
            item = store.get(args.id)
            print(
                json.dumps(item_json(item), indent=2, ensure_ascii=False)
                if args.json
                else item_detail(item, settings.timezone)
            )
            if args.ics:
                _write_ics(item, args.ics)
        elif action == "approve":
            outbox, mailbox = app.outbox_for(settings), app.mailbox_factory(settings)
            item = service.approve(args.id, settings, store, outbox, mailbox, now, retry=args.retry)
            print(f"Sent item {item.id} to {item.reply.to if item.reply else '?'}.")
            unfiled = [text for _, text in item.history if "filing the copy failed" in text]
            if unfiled:  # sent all the same; the daemon's next poll files it
                print(f"triage: warning: {unfiled[-1]}", file=sys.stderr)
        elif action == "reject":
            item = service.reject(args.id, store, now, mailbox=_mailbox_if_configured(settings))
            verb = "Dismissed" if item.state is State.DISMISSED else "Rejected"
            print(f"{verb} item {args.id}; nothing was sent.")
        elif action == "edit":
            _queue_edit(args.id, settings, store, now)
    return 0


def _queue_list(args: argparse.Namespace, settings: Settings, store: Store, now: datetime) -> None:
    zone = settings.timezone
    items = store.items(
        args.state,
        since=args.since(zone, now) if args.since else None,
        until=args.until(zone, now) if args.until else None,
    )
    if args.json:
        print(json.dumps([item_json(i) for i in items], indent=2, ensure_ascii=False))
    else:
        print(item_table(items))


def _queue_edit(item_id: int, settings: Settings, store: Store, now: datetime) -> None:
    item = store.get(item_id)
    if item.reply is None or item.state is not State.PENDING:
        raise QueueError(
            f"item {item_id} is {item.state.value}: only a pending draft can be edited"
        )
    body = _edit_text(item.reply.body)
    if body.rstrip() == item.reply.body.rstrip():
        print("No change.")
        return
    service.edit(item_id, body, settings, store, now, mailbox=_mailbox_if_configured(settings))
    print(f"Saved the edited draft of item {item_id}.")


def _classify(args: argparse.Namespace) -> int:
    settings = _settings(args)
    classifier = app.classifier_for(settings)
    status = 0
    for name in args.files:
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            print(f"triage: error: cannot read {name}: {exc.strerror}", file=sys.stderr)
            status = 1
            continue
        verdict = classifier.classify(parse_message(raw))
        if args.json:
            print(json.dumps(verdict_json(name, verdict), ensure_ascii=False))
        else:
            mark = "INVITE" if verdict.is_invite else "-"
            print(f"{name}: {verdict.label.value} (score {verdict.score:.2f}) {mark}")
    return status


def _train(args: argparse.Namespace) -> int:
    from triage import training  # noqa: PLC0415 - spaCy's training machinery loads only here

    path = args.corpus or corpus.project_corpus()
    if not path.exists():
        raise TriageError(
            f"no training corpus at {path}: run 'triage train' in a checkout of "
            "the repository, or name one with --corpus"
        )
    train_set, dev_set = corpus.split(corpus.load(path))
    output = training.train(
        train_set, dev_set, seed=args.seed, **({"output": args.output} if args.output else {})
    )
    print(f"Trained on {len(train_set)} messages (dev {len(dev_set)}); model written to {output}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    settings = _settings(args)
    classifier = app.classifier_for(settings)
    if args.path is None:
        examples = corpus.split(corpus.load(corpus.project_corpus()))[1]
    else:
        examples = corpus.load(args.path)
    scores = scored(classifier, examples)  # once, for the report and every threshold
    print(report([(e, classifier.decide(s)) for e, s in scores], show_errors=args.errors))
    if args.thresholds:
        print("\n".join(by_threshold(at_thresholds(classifier, scores))))
    return 0


def _auth(args: argparse.Namespace) -> int:
    """The OAuth2 loopback flow; the refresh token goes to stdout or --write FILE only."""
    settings = _settings(args, need=("oauth2",))
    if settings.oauth2 is None:  # load_settings sets it when "oauth2" is needed
        raise TriageError("OAuth2 is not configured")
    token = oauth.authorize(
        settings.oauth2,
        announce=lambda url: print(
            f"Open this address in a browser on this machine and allow access:\n\n{url}\n\n"
            "Waiting for the browser (5 minutes)...",
            file=sys.stderr,
            flush=True,
        ),
        login_hint=settings.imap.user,
        port=args.port,
    )
    if args.write:
        oauth.write_secret(args.write, token)
        where = f"written to {args.write} (mode 0600); under systemd use it as "
        where += f"LoadCredential=oauth2-refresh-token:{args.write.resolve()}"
    else:
        print(token.reveal())
        where = "printed above; put it in TRIAGE_OAUTH2_REFRESH_TOKEN in your env file (mode 0600)"
    print(f"Got a refresh token: {where}.", file=sys.stderr)
    return 0


def _doctor(args: argparse.Namespace) -> int:
    return doctor.report(doctor.diagnose(_env_file(args)), sys.stdout)


def _review(args: argparse.Namespace) -> int:
    from triage import review  # noqa: PLC0415 - rich loads only for the review

    settings = _settings(args, need=("imap", "smtp"))
    with app.open_store(settings) as store:
        tools = review.Tools(
            outbox=app.outbox_for(settings),
            mailbox=app.mailbox_factory(settings),
            clock=app.utc_now,
            edit_text=_edit_text,
            read_key=review.key_reader(sys.stdin),
        )
        review.review(store, settings, tools, review.console())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from triage.demo import run_demo  # noqa: PLC0415 - pymap and aiosmtpd load only for the demo

    return run_demo(sys.stdout)


def _status(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with app.open_store(settings) as store:
        daemon = service.daemon_status(settings, store)
        counts = store.counts()
        oldest = service.oldest_waiting(store)
    if args.json:
        print(json.dumps(status_json(daemon, counts, oldest), indent=2, ensure_ascii=False))
    else:
        print(status_text(daemon, counts, oldest, app.utc_now()))
    return 0


COMMANDS = {
    "run": _run,
    "status": _status,
    "queue": _queue,
    "review": _review,
    "classify": _classify,
    "demo": _demo,
    "auth": _auth,
    "doctor": _doctor,
    "train": _train,
    "eval": _eval,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments.parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, a usage error 2
        return int(exc.code or 0)
    _setup_logging(args.verbose)
    try:
        return COMMANDS[args.command](args)
    except TriageError as exc:
        print(f"triage: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as interrupt:
        for note in getattr(interrupt, "__notes__", ()):  # what was left how (a send cut short)
            print(f"\ntriage: {note}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `triage eval ... | head`: the reader has gone, which is no error
        # Python would report the failed flush of stdout at exit; point it at /dev/null instead
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
