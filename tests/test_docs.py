"""The docs stay honest: the README's commands exist, and the demo it promises works."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from triage.cli import COMMANDS, main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_the_two_readme_commands_are_there() -> None:
    assert "pip install . && triage demo" in README
    assert "bash .ci/run" in README
    assert (ROOT / ".ci" / "run").is_file()


def test_every_command_in_the_readme_exists(capsys: pytest.CaptureFixture[str]) -> None:
    used = set(re.findall(r"(?m)(?:`|^)triage ([a-z]+)", README))
    assert used, "the README shows no commands"
    assert used <= set(COMMANDS), used - set(COMMANDS)
    for sub in set(re.findall(r"triage queue ([a-z]+)", README)):
        assert main(["queue", sub, "--help"]) == 0, sub
    capsys.readouterr()


def test_demo_runs_end_to_end_and_cleans_up() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "triage", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "== 6. What the SMTP server received" in out
    assert "In-Reply-To: <" in out and "state: sent" in out
    assert "\\Answered" in out and "messages in INBOX marked \\Seen by triage: 0 of 12" in out
