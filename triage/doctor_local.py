"""``triage doctor``'s local checks: the detector, the templates and the queue database."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

from triage import app
from triage.checks import Check, Status, blocked
from triage.config import Settings
from triage.errors import TriageError
from triage.samples import template_failures, template_names, used_templates

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
    skipped = blocked("model", "the detector", ("TRIAGE_MIN_SCORE",), broken)
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


def check_templates(settings: Settings, broken: Iterable[str]) -> list[Check]:
    """Every shipped template, as overridden by ``TRIAGE_TEMPLATE_DIR``, renders in the sandbox;
    a template there that triage never uses (a misspelt override) is a warning."""
    skipped = blocked("templates", "templates", ("TRIAGE_TEMPLATE_DIR",), broken)
    if skipped is not None:
        return [skipped]
    shipped = used_templates()
    user = template_names(settings.template_dir) if settings.template_dir else set()
    checks = []
    for name, exc in template_failures(app.renderer_for(settings), shipped):
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
