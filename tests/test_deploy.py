"""The systemd units and the install script: systemd-analyze accepts the units, rates their
sandbox at most 2.0, the daemon's code runs under the unit's seccomp filters, and install.sh
is idempotent and never overwrites settings."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from ctypes.util import find_library
from pathlib import Path

import pytest

from triage.config import default_db_path

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
SYSTEM_UNITS = ("triage.service", "triage@.service")
CREDENTIALS = ("imap-password", "smtp-password", "oauth2-refresh-token", "oauth2-client-secret")
MAX_EXPOSURE = 2.0

SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or (
    "/usr/bin/systemd-analyze" if Path("/usr/bin/systemd-analyze").exists() else None
)
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (Debian package systemd)"
)


def triage_executable() -> str:
    """The installed ``triage`` entry point (the real one beside python, not a pyenv shim)."""
    beside = Path(sys.executable).parent / "triage"
    found = str(beside) if beside.is_file() else shutil.which("triage")
    assert found, "the triage command is not installed (pip install -e .)"
    return found


def settings(unit: str) -> dict[str, list[str]]:
    """``Key=value`` lines of a unit file, values per key in order."""
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / unit).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def sandbox(unit: str) -> list[str]:
    """The settings after the ``# Sandbox.`` comment."""
    text = (DEPLOY / unit).read_text()
    lines = text.split("\n# Sandbox.", 1)[1].split("[Install]", 1)[0].splitlines()[1:]
    return [line for line in lines if line and not line.startswith("#")]


def analyze(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(
        [SYSTEMD_ANALYZE, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def user_env(tmp_path: Path) -> dict[str, str]:
    """A user manager needs $XDG_RUNTIME_DIR, even for offline analysis."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}


def with_real_executable(unit: str, directory: Path) -> Path:
    """A copy of the unit whose ExecStart= runs the installed triage, so verify can check it."""
    text = (DEPLOY / unit).read_text()
    text, count = re.subn(r"(?m)^ExecStart=\S*triage ", f"ExecStart={triage_executable()} ", text)
    assert count == 1, unit
    copy = directory / ("triage.service" if unit == "triage-user.service" else unit)
    copy.write_text(text)
    return copy


# -- the units -----------------------------------------------------------------------------------


@needs_systemd_analyze
@pytest.mark.parametrize("unit", [*SYSTEM_UNITS, "triage@work.service"])
def test_systemd_analyze_verifies_the_system_units(unit: str, tmp_path: Path) -> None:
    for name in SYSTEM_UNITS:
        with_real_executable(name, tmp_path)
    result = analyze("verify", str(tmp_path / unit))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # unknown keys are only warnings: none allowed


@needs_systemd_analyze
def test_systemd_analyze_verifies_the_user_unit(tmp_path: Path) -> None:
    copy = with_real_executable("triage-user.service", tmp_path)
    result = analyze("verify", "--user", str(copy), env=user_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr


def exposure(output: str) -> float:
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", output)
    assert match, output
    return float(match.group(1))


@needs_systemd_analyze
@pytest.mark.parametrize("unit", SYSTEM_UNITS)
def test_the_system_units_sandbox_rates_at_most_2(unit: str) -> None:
    result = analyze("security", "--offline=yes", "--no-pager", str(DEPLOY / unit))
    assert result.returncode == 0, result.stderr
    assert exposure(result.stdout) <= MAX_EXPOSURE, result.stdout


@needs_systemd_analyze
def test_the_user_unit_is_rated_too(tmp_path: Path) -> None:
    # The rating assumes a system service (capabilities, mount namespaces a user manager cannot
    # use), so the user unit gets no threshold; it keeps every seccomp-based protection instead.
    result = analyze(
        "security",
        "--user",
        "--offline=yes",
        "--no-pager",
        str(DEPLOY / "triage-user.service"),
        env=user_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert 0 < exposure(result.stdout) <= 10
    seccomp = {
        "NoNewPrivileges=yes",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "RestrictNamespaces=yes",
        "RestrictRealtime=yes",
        "RestrictSUIDSGID=yes",
        "LockPersonality=yes",
        "MemoryDenyWriteExecute=yes",
        "SystemCallArchitectures=native",
        "SystemCallFilter=@system-service",
        "SystemCallFilter=~@privileged @resources",
    }
    assert seccomp <= set(sandbox("triage-user.service"))
    assert seccomp <= set(sandbox("triage.service"))


def test_every_instance_gets_the_same_sandbox_its_own_files_and_credentials() -> None:
    assert sandbox("triage@.service") == sandbox("triage.service")
    single, template = settings("triage.service"), settings("triage@.service")
    assert single["EnvironmentFile"] == ["/etc/triage/triage.env"]
    assert template["EnvironmentFile"] == ["/etc/triage/%i.env"]
    assert single["StateDirectory"] == ["triage"]
    assert template["StateDirectory"] == ["triage/%i"]
    for unit, prefix in ((single, "triage."), (template, "triage@%i.")):
        # A relative source is looked up in the credential stores and skipped when absent;
        # an absolute path would fail the start when the file is missing.
        assert unit["LoadCredential"] == [f"{name}:{prefix}{name}" for name in CREDENTIALS]


def test_the_service_notifies_and_restarts_within_limits() -> None:
    for unit in (*SYSTEM_UNITS, "triage-user.service"):
        found = settings(unit)
        assert found["Type"] == ["notify"] and found["NotifyAccess"] == ["main"], unit
        assert found["WatchdogSec"] == ["5min"], unit
        assert found["Restart"] == ["on-failure"], unit
        assert found["StartLimitBurst"] and found["StartLimitIntervalSec"], unit
        assert found["ExecStart"][0].endswith("/triage run"), unit


def test_the_database_lands_in_the_state_directory_the_unit_names() -> None:
    unit = settings("triage.service")
    assert unit["StateDirectory"] == ["triage"]  # systemd sets STATE_DIRECTORY=/var/lib/triage
    assert default_db_path({"STATE_DIRECTORY": "/var/lib/triage"}) == Path(
        "/var/lib/triage/triage.sqlite3"
    )
    assert not any("TRIAGE_DB_PATH" in value for value in unit.get("Environment", []))


# -- the seccomp filters, applied to the demo ----------------------------------------------------

# Installs what systemd would for the unit's SystemCallFilter= (EPERM for the rest),
# MemoryDenyWriteExecute=yes and RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX (x86_64), checks
# that they bite, then runs `triage demo`: spaCy, numpy, SQLite, IMAP and SMTP.
SECCOMP_RUNNER = r"""
import ctypes, mmap, os, runpy, socket, struct, sys
allowed = sys.argv[1].split(",")
lib = ctypes.CDLL(sys.argv[2])
lib.seccomp_init.restype = ctypes.c_void_p
lib.seccomp_init.argtypes = [ctypes.c_uint32]
lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
lib.seccomp_load.argtypes = [ctypes.c_void_p]
ALLOW, EPERM, EAFNOSUPPORT = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 97
ctx = lib.seccomp_init(EPERM)
for name in allowed:
    nr = lib.seccomp_syscall_resolve_name(name.encode())
    if nr >= 0:
        assert lib.seccomp_rule_add(ctx, ALLOW, nr, 0) == 0, name
assert lib.seccomp_load(ctx) == 0

def i(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)
LD, JEQ, JSET, RET, AND = 0x20, 0x15, 0x45, 0x06, 0x54
prog = [
    i(LD, 0, 0, 4), i(JEQ, 1, 0, 0xC000003E), i(RET, 0, 0, EPERM),
    i(LD, 0, 0, 0),
    i(JEQ, 5, 0, 9), i(JEQ, 9, 0, 10), i(JEQ, 8, 0, 329), i(JEQ, 11, 0, 30), i(JEQ, 14, 0, 41),
    i(RET, 0, 0, ALLOW),
    # mmap: refuse PROT_WRITE|PROT_EXEC together
    i(LD, 0, 0, 32), i(AND, 0, 0, 6), i(JEQ, 0, 1, 6), i(RET, 0, 0, EPERM), i(RET, 0, 0, ALLOW),
    # mprotect, pkey_mprotect: refuse PROT_EXEC
    i(LD, 0, 0, 32), i(JSET, 0, 1, 4), i(RET, 0, 0, EPERM), i(RET, 0, 0, ALLOW),
    # shmat: refuse SHM_EXEC
    i(LD, 0, 0, 32), i(JSET, 0, 1, 0o100000), i(RET, 0, 0, EPERM), i(RET, 0, 0, ALLOW),
    # socket: AF_UNIX, AF_INET, AF_INET6 only
    i(LD, 0, 0, 16), i(JEQ, 3, 0, 1), i(JEQ, 2, 0, 2), i(JEQ, 1, 0, 10),
    i(RET, 0, 0, EAFNOSUPPORT), i(RET, 0, 0, ALLOW),
]
code = ctypes.create_string_buffer(b"".join(prog))
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
assert libc.prctl(22, 2, ctypes.byref(Prog(len(prog), ctypes.addressof(code))), 0, 0) == 0

for name, attempt in (
    ("W+X mmap", lambda: mmap.mmap(-1, 4096, prot=7)),
    ("AF_NETLINK", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)),
    ("setpriority", lambda: os.setpriority(os.PRIO_PROCESS, 0, 5)),
):
    try:
        attempt()
    except OSError:
        continue
    sys.exit(f"the filter let {name} through")
sys.argv = ["triage", "demo"]
runpy.run_module("triage", run_name="__main__", alter_sys=True)
"""


def syscall_group(name: str) -> set[str]:
    """The system calls in a systemd group, nested groups expanded."""
    result = analyze("syscall-filter", name)
    assert result.returncode == 0, result.stderr
    calls: set[str] = set()
    for line in result.stdout.splitlines()[1:]:
        entry = line.strip()
        if entry and not entry.startswith("#"):
            calls |= syscall_group(entry) if entry.startswith("@") else {entry}
    return calls


@needs_systemd_analyze
@pytest.mark.skipif(
    platform.system() != "Linux" or platform.machine() != "x86_64" or not find_library("seccomp"),
    reason="the filter is written for x86_64 Linux with libseccomp",
)
def test_the_demo_runs_under_the_units_seccomp_filters() -> None:
    found = settings("triage.service")
    assert found["MemoryDenyWriteExecute"] == ["yes"]
    assert found["RestrictAddressFamilies"] == ["AF_INET AF_INET6 AF_UNIX"]
    allowed: set[str] = set()
    for line in found["SystemCallFilter"]:
        denied = line.startswith("~")
        calls = set().union(*(syscall_group(g) for g in line.lstrip("~").split()))
        allowed = allowed - calls if denied else allowed | calls
    assert "execve" in allowed and "setrlimit" not in allowed

    result = subprocess.run(
        [sys.executable, "-c", SECCOMP_RUNNER, ",".join(sorted(allowed)), find_library("seccomp")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "== 6. What the SMTP server received" in result.stdout
    assert "state: sent" in result.stdout


# -- install.sh ----------------------------------------------------------------------------------


def run_install(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["bash", str(DEPLOY / "install.sh"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def snapshot(top: Path) -> dict[str, tuple[int, int, int, bytes]]:
    """Every path under ``top`` with its mode, owner, group and (for files) content."""
    shot = {}
    for path in sorted(top.rglob("*")):
        st = path.lstat()
        content = path.read_bytes() if path.is_file() else b""
        shot[str(path.relative_to(top))] = (st.st_mode, st.st_uid, st.st_gid, content)
    return shot


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o7777


def fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow"):
        (root / "etc" / name).write_text("")
    return root


def test_install_into_a_root_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    root = fake_root(tmp_path)
    binary = triage_executable()
    first = run_install("--root", str(root), "--bin", binary)
    assert "created  /" in first.stdout and "systemctl enable --now triage" in first.stdout

    etc, state = root / "etc" / "triage", root / "var" / "lib" / "triage"
    env_file = etc / "triage.env"
    assert mode(etc) == 0o750 and mode(state) == 0o700 and mode(env_file) == 0o640
    assert env_file.read_text() == (ROOT / ".env.example").read_text()
    for unit in SYSTEM_UNITS:
        installed = root / "etc" / "systemd" / "system" / unit
        assert mode(installed) == 0o644
        assert f"ExecStart={binary} run" in installed.read_text()
    if os.geteuid() == 0 and shutil.which("useradd"):
        passwd = (root / "etc" / "passwd").read_text()
        entry = next(line for line in passwd.splitlines() if line.startswith("triage:"))
        uid, gid, home, shell = entry.split(":")[2], entry.split(":")[3], *entry.split(":")[5:]
        assert home == "/var/lib/triage" and shell.endswith("/nologin")
        assert (state.stat().st_uid, state.stat().st_gid) == (int(uid), int(gid))
        assert (env_file.stat().st_uid, env_file.stat().st_gid) == (0, int(gid))
        assert (etc.stat().st_uid, etc.stat().st_gid) == (0, int(gid))

    env_file.write_text("TRIAGE_IMAP_HOST=imap.mine.example\n")  # the user's own settings
    before = snapshot(root)
    second = run_install("--root", str(root), "--bin", binary)
    assert snapshot(root) == before
    assert "Nothing to change" in second.stdout
    assert env_file.read_text() == "TRIAGE_IMAP_HOST=imap.mine.example\n"


def test_install_refreshes_a_unit_that_changed(tmp_path: Path) -> None:
    root = fake_root(tmp_path)
    run_install("--root", str(root), "--bin", triage_executable())
    run_install("--root", str(root), "--bin", "/opt/triage/bin/triage")
    unit = (root / "etc" / "systemd" / "system" / "triage.service").read_text()
    assert "ExecStart=/opt/triage/bin/triage run" in unit


@needs_systemd_analyze
def test_install_encrypted_loads_every_credential_encrypted(tmp_path: Path) -> None:
    root = fake_root(tmp_path)
    output = run_install("--root", str(root), "--bin", triage_executable(), "--encrypted")
    assert "systemd-creds encrypt --name=NAME" in output.stdout
    for unit in SYSTEM_UNITS:
        installed = root / "etc" / "systemd" / "system" / unit
        lines = installed.read_text().splitlines()
        assert not [line for line in lines if line.startswith("LoadCredential=")]
        loaded = [line for line in lines if line.startswith("LoadCredentialEncrypted=")]
        assert [line.split("=")[1].split(":")[0] for line in loaded] == list(CREDENTIALS)
        result = analyze("verify", str(installed))
        assert result.returncode == 0 and result.stderr == "", result.stderr


def test_install_user_unit_twice(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**user_env(tmp_path), "HOME": str(home), "XDG_CONFIG_HOME": ""}
    first = run_install("--user", "--bin", triage_executable(), env=env)
    assert "systemctl --user enable --now triage" in first.stdout
    config = home / ".config"
    env_file = config / "triage" / "triage.env"
    unit = config / "systemd" / "user" / "triage.service"
    assert mode(config / "triage") == 0o700 and mode(env_file) == 0o600
    assert f"ExecStart={triage_executable()} run" in unit.read_text()
    assert "EnvironmentFile=%E/triage/triage.env" in unit.read_text()

    env_file.write_text("TRIAGE_FROM=Me <me@example.net>\n")
    before = snapshot(home)
    second = run_install("--user", "--bin", triage_executable(), env=env)
    assert "Nothing to change" in second.stdout
    assert snapshot(home) == before


def test_install_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    script = str(DEPLOY / "install.sh")
    for args in (["--bogus"], ["--root", "relative/dir"], ["--root", str(tmp_path / "absent")]):
        result = subprocess.run(
            ["bash", script, *args], capture_output=True, text=True, check=False
        )
        assert result.returncode == 2, args
        assert "install.sh:" in result.stderr, args
