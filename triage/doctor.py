"""``triage doctor``: is this installation ready to run as a service?

Each check is a small function returning a frozen ``Check``: the settings, the permissions of the
files holding secrets, the IMAP login and folders, the SMTP login (nothing is sent), the detector,
the templates, the queue database. Network and database access go through the adapters
(``Mailbox``, ``Outbox``, ``Store``, via ``app``); the checks only read file modes and list the
template folders themselves. No check writes to a mailbox or sends mail, and no line ever shows
a secret: details come from the adapters' errors, which never carry one.

A configuration error does not stop the doctor: every problem is listed, then the settings are
read again without the broken variables, and each later check that depends on one of them is
shown as skipped, naming the variables to fix; the others still run.

Verdicts: ``pass``; ``warn``, something works but is probably not what you want (no Sent folder,
an env file with a password readable by its group) and does not fail the run; ``fail``, triage
cannot work this way, or a secret is readable by every user of the machine; ``skip``, not checked
because of a failure listed above it. The exit code is 1 when any check failed, else 0.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import stat
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from triage import app
from triage.config import (
    KNOWN,
    Security,
    Server,
    Settings,
    environ_with_file,
    load_settings,
    read_env_file,
)
from triage.errors import ConfigError, MailboxError, OutboxError, RenderError, TriageError
from triage.mailbox import Mailbox
from triage.remind import TEMPLATE as REMINDER_TEMPLATE
from triage.render import shipped_template_dir

# The doctor waits at most this long for a server: a firewall that drops packets should not
# keep it quiet for the daemon's full timeout.
TIMEOUT_SECONDS = 15.0
NEED = ("imap", "smtp")  # the daemon polls, and approving sends: a service needs both
_NAME = re.compile(r"\bTRIAGE_[A-Z0-9_]+")
# Environment variables holding secrets (also read from $CREDENTIALS_DIRECTORY files).
_SECRET = re.compile(r"_(PASSWORD|SECRET|TOKEN)$")


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
    """One verdict: ``name`` groups it (``config``, ``imap``...), ``hint`` says what to do."""

    name: str
    status: Status
    detail: str
    hint: str = ""

    def line(self, *, ascii_only: bool = False) -> str:
        mark = (_ASCII_MARKS if ascii_only else _MARKS)[self.status]
        dash = "--" if ascii_only else "—"
        return f"{mark} {self.detail}" + (f" {dash} {self.hint}" if self.hint else "")


# -- the settings ------------------------------------------------------------------------------


def _names(problem: str) -> set[str]:
    """The variables a configuration problem names (never the one a "did you mean" suggests)."""
    return set(_NAME.findall(problem.partition("; did you mean")[0]))


def check_config(
    environ: Mapping[str, str], source: str
) -> tuple[list[Check], Settings | None, frozenset[str]]:
    """The settings' verdicts, the settings (read without the broken variables when some are
    broken; None if even that fails) and the names of the broken known variables."""
    try:
        settings = load_settings(environ, need=NEED)
    except ConfigError as exc:
        problems = exc.problems
    else:
        return (
            [Check("config", Status.PASS, f"settings from {source} are valid")],
            settings,
            frozenset(),
        )
    checks = [Check("config", Status.FAIL, problem) for problem in problems]
    hint = f"fix {'these' if len(problems) > 1 else 'it'} in {source}; .env.example explains each"
    checks[-1] = replace(checks[-1], hint=hint)
    broken = set().union(*(_names(p) for p in problems))
    partial: Settings | None = None
    for _ in range(3):  # dropping a variable can only remove problems; a few rounds suffice
        try:
            partial = load_settings({k: v for k, v in environ.items() if k not in broken})
            break
        except ConfigError as exc:
            more = set().union(*(_names(p) for p in exc.problems)) - broken
            if not more:
                break
            broken |= more
    return checks, partial, frozenset(name for name in broken if name in KNOWN)


def _blocked(name: str, what: str, needs: tuple[str, ...], broken: Iterable[str]) -> Check | None:
    """A skip verdict when a variable the check depends on (by prefix) is broken."""
    hit = sorted(b for b in broken if b.startswith(needs))
    if not hit:
        return None
    return Check(name, Status.SKIP, f"{what} not checked", f"fix {', '.join(hit)} first")


# -- file permissions --------------------------------------------------------------------------


def check_secret_file(path: Path, what: str) -> Check:
    """A file that holds a secret: only its owner should read it (and nobody else write it)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        return Check("permissions", Status.WARN, f"{what} {path}: cannot stat ({exc.strerror})")
    fix = f"chmod 600 {path}"
    if mode & (stat.S_IROTH | stat.S_IWOTH):
        how = "readable" if mode & stat.S_IROTH else "writable"
        detail = f"{what} {path} is {how} by every user (mode {mode:04o})"
        return Check("permissions", Status.FAIL, detail, fix)
    if mode & (stat.S_IRGRP | stat.S_IWGRP):
        return Check(
            "permissions",
            Status.WARN,
            f"{what} {path} is readable by its group (mode {mode:04o})",
            f"{fix}, unless that group is meant to read it",
        )
    return Check("permissions", Status.PASS, f"{what} {path} is private (mode {mode:04o})")


def check_permissions(
    env_file: Path | None, file_values: Mapping[str, str], environ: Mapping[str, str]
) -> list[Check]:
    """The env file, when it holds a secret, and every file in ``$CREDENTIALS_DIRECTORY``."""
    checks = []
    if env_file is not None:
        secrets = sorted(k for k, v in file_values.items() if _SECRET.search(k) and v.strip())
        if secrets:
            checks.append(check_secret_file(env_file, f"env file (holds {', '.join(secrets)})"))
        else:
            checks.append(_settings_file(env_file))
    directory = environ.get("CREDENTIALS_DIRECTORY")
    if directory:
        try:
            files = sorted(p for p in Path(directory).iterdir() if p.is_file())
        except OSError as exc:
            hint = "check CREDENTIALS_DIRECTORY"
            detail = f"credentials directory {directory}: cannot list ({exc.strerror})"
            return [*checks, Check("permissions", Status.WARN, detail, hint)]
        checks += [check_secret_file(path, "credential") for path in files]
    return checks


def _settings_file(path: Path) -> Check:
    """An env file without secrets may be read by all, but not changed: whoever can change it
    can send triage's mail, and its password, to their own server."""
    try:
        writable = path.stat().st_mode & stat.S_IWOTH
    except OSError as exc:
        return Check("permissions", Status.WARN, f"env file {path}: cannot stat ({exc.strerror})")
    if writable:
        detail = f"env file {path} is writable by every user"
        return Check("permissions", Status.FAIL, detail, f"chmod o-w {path}")
    return Check("permissions", Status.PASS, f"env file {path} holds no secret")


# -- the servers -------------------------------------------------------------------------------


def _transport(server: Server, ca_file: Path | None) -> str:
    if server.security is Security.NONE:
        return "no TLS: loopback only"
    how = "STARTTLS" if server.security is Security.STARTTLS else "TLS"
    return f"{how}, certificate verified" + (" with TRIAGE_CA_FILE" if ca_file else "")


def network_hint(exc: TriageError, proto: str) -> str:
    """What to do about a failed connection or login, from the error the adapter raised."""
    var = f"TRIAGE_{proto.upper()}_"
    by_cause: tuple[tuple[type[BaseException], str], ...] = (
        (socket.gaierror, f"the host name does not resolve: check {var}HOST"),
        (ConnectionRefusedError, f"nothing answers there: check {var}HOST and {var}PORT"),
        (
            ssl.SSLCertVerificationError,
            f"the certificate does not match {var}HOST or comes from an unknown CA "
            "(name a private CA in TRIAGE_CA_FILE)",
        ),
        (
            ssl.SSLError,
            f"TLS failed: does {var}SECURITY suit {var}PORT? (ssl: 993/465, starttls: 143/587)",
        ),
        (TimeoutError, f"no answer in time: check {var}HOST, {var}PORT and any firewall"),
    )
    for kind, hint in by_cause:
        if isinstance(exc.__cause__, kind):
            return hint
    if "no access token" in str(exc):
        return "check the TRIAGE_OAUTH2_* settings, or get a new token with 'triage auth'"
    if "logging in" in str(exc) or "refused the login" in str(exc):
        return (
            f"check {var}USER and the password or token "
            "(Gmail and Microsoft 365 want an app password or TRIAGE_IMAP_AUTH=oauth2)"
        )
    return f"check the {var}* settings"


def check_imap(settings: Settings, broken: Iterable[str]) -> list[Check]:
    """Log in, then find the watched folder, the Sent folder and the Drafts folder."""
    needs = ("TRIAGE_IMAP_", "TRIAGE_OAUTH2_", "TRIAGE_CA_FILE", "TRIAGE_TIMEOUT_SECONDS")
    skipped = _blocked("imap", "IMAP login and folders", needs, broken)
    if skipped is not None:
        return [skipped]
    server = settings.imap
    try:
        with app.mailbox_factory(settings)() as box:
            login = Check(
                "imap",
                Status.PASS,
                f"IMAP login as {server.user} ({server.host}:{server.port}, "
                f"{_transport(server, settings.ca_file)})",
            )
            return [login, *_folders(box, settings)]
    except MailboxError as exc:
        folders = Check("imap", Status.SKIP, "IMAP folders not checked", "fix the login first")
        return [Check("imap", Status.FAIL, str(exc), network_hint(exc, "imap")), folders]


def _folders(box: Mailbox, settings: Settings) -> list[Check]:
    sent_hint = "replies won't be filed: set TRIAGE_SENT_FOLDER to your mail client's Sent folder"
    checks = [
        _folder(box, "watched folder", settings.imap_folder, "TRIAGE_IMAP_FOLDER", "read-only"),
        _special(box, "Sent folder", settings.sent_folder, "TRIAGE_SENT_FOLDER", sent_hint),
    ]
    if settings.save_drafts:
        drafts_hint = "set TRIAGE_DRAFTS_FOLDER to your mail client's Drafts folder, or off"
        variable = "TRIAGE_DRAFTS_FOLDER"
        checks.append(_special(box, "Drafts folder", settings.drafts_folder, variable, drafts_hint))
    else:
        checks.append(
            Check("imap", Status.PASS, "Drafts folder not used (TRIAGE_DRAFTS_FOLDER=off)")
        )
    return checks


def _special(
    box: Mailbox, what: str, configured: str | None, variable: str, missing_hint: str
) -> Check:
    """The Sent or Drafts folder: the configured one, else the server's SPECIAL-USE one."""
    find = box.find_sent_folder if what.startswith("Sent") else box.find_drafts_folder
    try:
        folder = find(configured)
    except MailboxError as exc:
        return Check("imap", Status.FAIL, str(exc), f"check {variable}")
    if folder is None:
        return Check("imap", Status.WARN, f"no {what} found", missing_hint)
    how = f"from {variable}" if configured else "found by SPECIAL-USE or its usual name"
    return _folder(box, what, folder, variable, how)


def _folder(box: Mailbox, what: str, folder: str, variable: str, how: str) -> Check:
    """Open ``folder`` read-only (EXAMINE): it exists and can be read."""
    try:
        status = box.open_folder(folder, readonly=True)
    except MailboxError as exc:
        return Check("imap", Status.FAIL, str(exc), f"check {variable} (names are case-sensitive)")
    return Check("imap", Status.PASS, f"{what} {folder!r}: {status.exists} messages ({how})")


def check_smtp(settings: Settings, broken: Iterable[str]) -> Check:
    """Connect, negotiate TLS and log in (when a user is set), then QUIT: nothing is sent."""
    needs = (
        "TRIAGE_SMTP_",
        "TRIAGE_IMAP_AUTH",
        "TRIAGE_OAUTH2_",
        "TRIAGE_CA_FILE",
        "TRIAGE_TIMEOUT_SECONDS",
    )
    skipped = _blocked("smtp", "SMTP login", needs, broken)
    if skipped is not None:
        return skipped
    server = settings.smtp
    try:
        app.outbox_for(settings).check()
    except OutboxError as exc:
        return Check("smtp", Status.FAIL, str(exc), network_hint(exc, "smtp"))
    where = f"{server.host}:{server.port}, {_transport(server, settings.ca_file)}"
    if server.user:
        return Check("smtp", Status.PASS, f"SMTP login as {server.user} ({where}); nothing sent")
    return Check(
        "smtp", Status.PASS, f"SMTP server answers ({where}; no login: TRIAGE_SMTP_USER is empty)"
    )


# -- the detector, the templates, the database -------------------------------------------------

SAMPLE_INVITE = (
    "Interview invitation: Backend Engineer",
    "Hi Jordan,\n\nThank you for applying to the Backend Engineer role at Verrine. We would "
    "like to invite you to a 45-minute video interview with our engineering lead. Are you "
    "available on Tuesday at 10:00 or Wednesday at 14:00? Please let us know which suits you.\n\n"
    "Best regards,\nDana",
)
SAMPLE_REJECTION = (
    "Your application to Verrine",
    "Hi Jordan,\n\nThank you for your interest in the Backend Engineer role. After careful "
    "consideration we regret to inform you that we will not be moving forward with your "
    "application. We wish you every success in your search.\n\nBest regards,\nDana",
)


def check_model(settings: Settings, broken: Iterable[str]) -> Check:
    """The shipped spaCy pipeline loads and tells a sample invitation from a rejection."""
    skipped = _blocked("model", "the detector", ("TRIAGE_MIN_SCORE",), broken)
    if skipped is not None:
        return skipped
    started = time.perf_counter()
    try:
        classifier = app.classifier_for(settings)
    except TriageError as exc:
        return Check("model", Status.FAIL, str(exc))
    seconds = time.perf_counter() - started
    invite = classifier.classify_text(*SAMPLE_INVITE)
    rejection = classifier.classify_text(*SAMPLE_REJECTION)
    scores = f"sample invitation {invite.score:.2f}, rejection {rejection.score:.2f}"
    if not invite.is_invite or rejection.is_invite:
        hint = (
            "reinstall triage, or rebuild the model with 'triage train' and check TRIAGE_MIN_SCORE"
        )
        return Check("model", Status.FAIL, f"the detector misjudges its samples ({scores})", hint)
    if not classifier.trained:
        hint = "reinstall triage (triage/model/ is missing) or run 'triage train'"
        return Check("model", Status.WARN, f"no trained model: rules only ({scores})", hint)
    return Check("model", Status.PASS, f"spaCy detector loads in {seconds:.1f} s ({scores})")


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
# Everything a reply template or the reminder digest is given, once filled in and once empty
# ("", 0, []), so both sides of a template's {% if %} run. A name a template uses that is not
# here fails, as it would at run time (StrictUndefined).
SAMPLE_CONTEXTS: tuple[Mapping[str, object], ...] = (
    _FULL,
    {name: type(value)() for name, value in _FULL.items()},
)


def _template_names(folder: Path) -> set[str]:
    try:
        return {p.name for p in folder.iterdir() if p.is_file() and p.name.endswith(".j2")}
    except OSError:
        return set()


def check_templates(settings: Settings, broken: Iterable[str]) -> list[Check]:
    """Every shipped template, as overridden by ``TRIAGE_TEMPLATE_DIR``, renders in the sandbox;
    a template there that triage never uses (a misspelt override) is a warning."""
    skipped = _blocked("templates", "templates", ("TRIAGE_TEMPLATE_DIR",), broken)
    if skipped is not None:
        return [skipped]
    shipped = _template_names(shipped_template_dir()) | {REMINDER_TEMPLATE}
    user = _template_names(settings.template_dir) if settings.template_dir else set()
    renderer = app.renderer_for(settings)
    checks = []
    for name in sorted(shipped):
        try:
            for context in SAMPLE_CONTEXTS:
                renderer.render(name, context)
        except RenderError as exc:
            where = f"{settings.template_dir}/" if name in user else "the shipped "
            hint = f"fix {where}{name}" if name in user else "reinstall triage"
            checks.append(Check("templates", Status.FAIL, str(exc), hint))
    for name in sorted(user - shipped):
        hint = "triage only uses: " + ", ".join(sorted(shipped))
        checks.append(
            Check("templates", Status.WARN, f"{settings.template_dir}/{name} is never used", hint)
        )
    if not any(c.status is Status.FAIL for c in checks):
        mine = f", {len(user & shipped)} of them yours from {settings.template_dir}" if user else ""
        checks.insert(0, Check("templates", Status.PASS, f"{len(shipped)} templates render{mine}"))
    return checks


def _writable(path: Path) -> bool:
    """Whether ``path``, or the nearest folder above it that exists, may be written."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return os.access(path, os.W_OK)


def check_database(settings: Settings) -> Check:
    """The queue database opens and is writable (with its folder, for SQLite's journal files).

    A database that does not exist yet is not created: the service creates it, as its own user.
    """
    path = settings.db_path
    hint = "check TRIAGE_DB_PATH: the service's user must be able to write it and its folder"
    if not path.exists():
        if _writable(path.parent):
            return Check("database", Status.PASS, f"queue database {path} will be created")
        return Check("database", Status.FAIL, f"queue database {path} cannot be created", hint)
    try:
        with app.open_store(settings):
            pass
    except TriageError as exc:
        return Check("database", Status.FAIL, str(exc), hint)
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return Check("database", Status.FAIL, f"queue database {path} is read-only", hint)
    return Check("database", Status.PASS, f"queue database {path} opens and is writable")


# -- all of it ---------------------------------------------------------------------------------


def diagnose(env_file: Path | None) -> list[Check]:
    """Every check, in order; the settings come from ``env_file`` under the environment."""
    checks: list[Check] = []
    file_values: dict[str, str] = {}
    if env_file is not None:
        try:
            file_values = read_env_file(env_file)
        except ConfigError as exc:
            checks += [Check("config", Status.FAIL, p, "check --env-file") for p in exc.problems]
            env_file = None
    environ = environ_with_file(env_file)
    source = str(env_file) if env_file else "the environment"
    found, settings, broken = check_config(environ, source)
    checks += found
    checks += check_permissions(env_file, file_values, environ)
    if settings is None:
        return checks
    settings = replace(settings, timeout_seconds=min(settings.timeout_seconds, TIMEOUT_SECONDS))
    checks += check_imap(settings, broken)
    checks.append(check_smtp(settings, broken))
    checks.append(check_model(settings, broken))
    checks += check_templates(settings, broken)
    if not any(b.startswith("TRIAGE_DB_PATH") for b in broken):
        checks.append(check_database(settings))
    return checks


def exit_code(checks: Sequence[Check]) -> int:
    """1 when any check failed; warnings and skips alone do not fail the run."""
    return 1 if any(c.status is Status.FAIL for c in checks) else 0


def report(checks: Sequence[Check], out: TextIO) -> int:
    """Print one line per check and a summary to ``out``; return the exit code."""
    ascii_only = not _can_print(out, "✓✗—–")
    for check in checks:
        print(check.line(ascii_only=ascii_only), file=out)
    counts = {s: sum(c.status is s for c in checks) for s in Status}
    tally = ", ".join(f"{counts[s]} {_COUNTED[s]}" for s in Status if counts[s])
    verdict = "triage is NOT ready" if exit_code(checks) else "triage is ready"
    print(f"{verdict} ({tally})", file=out)
    return exit_code(checks)


_COUNTED = {
    Status.PASS: "passed",
    Status.WARN: "warned",
    Status.FAIL: "failed",
    Status.SKIP: "skipped",
}


def _can_print(out: TextIO, text: str) -> bool:
    try:
        text.encode(getattr(out, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
