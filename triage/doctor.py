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

import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from triage.checks import Check, Status
from triage.config import (
    KNOWN,
    Settings,
    closest_setting,
    environ_with_file,
    load_settings,
    read_env_file,
)
from triage.doctor_local import check_database, check_model, check_templates
from triage.doctor_servers import check_imap, check_smtp, network_hint
from triage.errors import ConfigError

__all__ = [
    "Check",
    "Status",
    "check_config",
    "check_database",
    "check_imap",
    "check_model",
    "check_permissions",
    "check_secret_file",
    "check_smtp",
    "check_templates",
    "diagnose",
    "exit_code",
    "network_hint",
    "report",
]

# The doctor waits at most this long for a server: a firewall that drops packets should not
# keep it quiet for the daemon's full timeout.
TIMEOUT_SECONDS = 15.0
NEED = ("imap", "smtp")  # the daemon polls, and approving sends: a service needs both
_NAME = re.compile(r"\bTRIAGE_[A-Z0-9_]+")
# Environment variables holding secrets (also read from $CREDENTIALS_DIRECTORY files).
_SECRET = re.compile(r"_(PASSWORD|SECRET|TOKEN)$")
# Other names that may hold one: a misspelt setting (TRIAGE_IMAP_PASWORD) or another program's
# (API_KEY) still puts the secret in the file. A misspelling these miss (TRIAGE_OAUTH2_REFRESH_TOKN)
# counts when the setting it is closest to is a secret, as the "did you mean" names it.
_MAYBE_SECRET = re.compile(r"PASS|PASW|SECRET|TOKEN|KEY(?![A-Z])", re.IGNORECASE)


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
    checks[-1] = replace(checks[-1], note=hint)  # about them all: on a line of its own
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
        secrets = sorted(k for k, v in file_values.items() if _is_secret(k) and v.strip())
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


def _is_secret(name: str) -> bool:
    """Whether the variable ``name`` holds, or may hold, a secret."""
    if name in KNOWN:
        return _SECRET.search(name) is not None
    if _MAYBE_SECRET.search(name):
        return True
    close = closest_setting(name)
    return close is not None and _SECRET.search(close) is not None


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


# -- all of it ---------------------------------------------------------------------------------


def diagnose(env_file: Path | None) -> list[Check]:
    """Every check, in order; the settings come from ``env_file`` under the environment."""
    checks: list[Check] = []
    file_values: Mapping[str, str] = {}
    if env_file is not None:
        try:  # a line the service would read otherwise is a problem listed with the settings'
            file_values = read_env_file(env_file).variables
        except ConfigError as exc:  # the file cannot be read at all
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
