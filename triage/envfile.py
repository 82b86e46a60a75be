"""The env file, read as systemd's ``EnvironmentFile`` reads it, and the process environment
over it: the variables, and every line the service and the commands would read differently.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv.parser import Binding, parse_stream

from triage.errors import ConfigError

# A KEY=value line whose value is not quoted and holds a backslash.
_UNQUOTED_BACKSLASH = re.compile(
    r"^[ \t]*(?:export[ \t]+)?([A-Za-z_]\w*)[ \t]*=[ \t]*(?![ \t'\"])[^\n]*\\", re.MULTILINE
)
# An assignment as python-dotenv reads it, up to its value; a quoted value (dotenv's own
# expressions); one backslash escape in it; a line break.
_ASSIGNMENT = re.compile(r"\s*(?:export[^\S\r\n]+)?([^=#\s]+)[^\S\r\n]*=[^\S\r\n]*")
_QUOTED = re.compile(r""""((?:\\"|[^"])*)"|'((?:\\'|[^'])*)'""")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NEWLINE = re.compile(r"\r\n|\n|\r")
# By the group of _QUOTED that matched: the characters after a backslash that python-dotenv and
# systemd read differently, what that is and the fix. In double quotes dotenv turns \t, \n, \a...
# into control characters and \' into ', where systemd keeps them as written; systemd unescapes
# only \", \\, \$ and \` (and joins lines at \<newline>), so dotenv keeps the backslash of the last
# two. In single quotes dotenv reads \\ and \' as \ and ', where systemd keeps every backslash.
_QUOTE_RULES = {
    1: (
        frozenset("'abfnrtv$`\n"),
        "systemd reads the backslashes in this double-quoted value otherwise than the commands "
        "(it keeps \\t, \\a... as written, and drops the one before $ or `)",
        "put the value in single quotes ('...')",
    ),
    2: (
        frozenset("\\'"),
        "systemd keeps \\\\ and \\' in this single-quoted value as written, where the commands "
        "read \\ and '",
        "write a backslash once, and put a value holding ' in double quotes",
    ),
}


@dataclass(frozen=True, repr=False)
class Environ(Mapping[str, str]):
    """The variables triage reads, and the problems found in the env file they came from.

    A ``Mapping`` of the variables, so it is read like ``os.environ``; ``problems`` are lines of
    the env file that the service would read otherwise (a backslash systemd drops or keeps, a
    line python-dotenv cannot read). ``load_settings`` lists them with its own, so one run
    reports every problem at once. The repr names the variables but never shows their values:
    passwords and tokens are among them.
    """

    variables: Mapping[str, str]
    problems: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> str:
        return self.variables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.variables)

    def __len__(self) -> int:
        return len(self.variables)

    def __repr__(self) -> str:
        return f"Environ(names={tuple(sorted(self.variables))!r}, problems={self.problems!r})"


_SEMICOLON_COMMENT = re.compile(r"^([ \t]*);", re.MULTILINE)


def read_env_file(path: Path) -> Environ:
    """Variables from an env file (``KEY=value`` lines, as systemd's EnvironmentFile reads them:
    no ``${...}`` expansion), every one of them, with the file's problems.

    A line the service would read otherwise than the commands (so the service and ``triage
    doctor`` would disagree) is a problem naming its variable and line, never its value: an
    unquoted value holding a backslash (systemd drops it: ``\\Flagged`` becomes ``Flagged``), a
    quoted value with a backslash escape the two read differently (``"pa\tss"``), a line
    python-dotenv cannot read (``A="x", "y"``; it sets nothing) or one without ``=``. None stops
    the rest of the file being read. Raises ``ConfigError`` when the file cannot be read.
    """
    try:
        with path.open(encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [f"--env-file {path}: cannot be read ({exc.__class__.__name__})"]
        ) from exc
    problems = _unquoted_backslashes(text, path)
    values: dict[str, str] = {}
    # systemd takes a line starting with ';' for a comment, as with '#'; python-dotenv does not
    read = _SEMICOLON_COMMENT.sub(r"\1#", text)
    for binding in parse_stream(io.StringIO(read)):
        problem = _binding_problem(binding, path)
        if problem is not None:
            problems.append(problem)
        if binding.key is not None and binding.value is not None:
            values[binding.key] = binding.value
    return Environ(values, tuple(text for _, text in sorted(problems)))


def _unquoted_backslashes(text: str, path: Path) -> list[tuple[int, str]]:
    """(line, problem) for each unquoted value holding a backslash."""
    unix = text.replace("\r\n", "\n")
    found = []
    for match in _UNQUOTED_BACKSLASH.finditer(unix):
        line = unix.count("\n", 0, match.start(1)) + 1
        found.append(
            (
                line,
                f"{match[1]} in {path}, line {line}: a backslash in an unquoted value is "
                "dropped by systemd; put the value in single quotes ('...')",
            )
        )
    return found


def _binding_problem(binding: Binding, path: Path) -> tuple[int, str] | None:
    """(line, problem) when the service would read one of python-dotenv's bindings (a line, or
    a quoted value over several) otherwise than the commands; None when it would not."""
    original = binding.original.string
    blank = original[: len(original) - len(original.lstrip())]  # the blank lines before it
    line = binding.original.line + len(_NEWLINE.findall(blank))
    assignment = _ASSIGNMENT.match(original)
    name = binding.key or (assignment[1] if assignment else "")
    where = f"{name} in {path}, line {line}" if name else f"{path}, line {line}"
    if binding.error:
        return line, (
            f"{where}: python-dotenv cannot read this line, so the commands would not set it "
            "(and systemd may); put the value in single quotes ('...'), nothing after them"
        )
    if binding.key is not None and binding.value is None:
        return line, f"{where}: there is no '=', so the line sets nothing; write NAME=value"
    quoted = _QUOTED.match(original, assignment.end()) if assignment else None
    if quoted is None:
        return None
    group = 1 if quoted[1] is not None else 2
    differ, what, fix = _QUOTE_RULES[group]
    if not any(escape[1] in differ for escape in _ESCAPE.finditer(quoted[group])):
        return None
    return line, f"{where}: {what}; {fix}"


def merged_environ(env_file: Path | None, environ: Mapping[str, str]) -> Environ:
    """The env file's variables overlaid by the process environment (the environment wins),
    with the env file's problems."""
    if env_file is None:
        return Environ(dict(environ))
    from_file = read_env_file(env_file)
    return Environ({**from_file.variables, **environ}, from_file.problems)
