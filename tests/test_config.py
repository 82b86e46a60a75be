from __future__ import annotations

from pathlib import Path

import pytest

from triage.config import KNOWN, Secret, Security, load_settings, merged_environ
from triage.envfile import read_env_file
from triage.errors import ConfigError

GOOD = {
    "TRIAGE_IMAP_HOST": "imap.example.net",
    "TRIAGE_IMAP_USER": "jordan@example.net",
    "TRIAGE_IMAP_PASSWORD": "hunter2-imap",
    "TRIAGE_SMTP_HOST": "smtp.example.net",
    "TRIAGE_SMTP_USER": "jordan@example.net",
    "TRIAGE_SMTP_PASSWORD": "hunter2-smtp",
    "TRIAGE_FROM": "Jordan Avery <jordan@example.net>",
}


def test_defaults_are_secure_and_documented_values() -> None:
    s = load_settings(GOOD, need=("imap", "smtp"))
    assert s.imap.security is Security.SSL and s.imap.port == 993
    assert s.smtp.security is Security.SSL and s.smtp.port == 465
    assert s.imap_folder == "INBOX" and s.poll_seconds == 60 and s.lookback_days == 14
    assert s.from_address is not None and s.from_address.addr == "jordan@example.net"
    assert s.signature == "Jordan Avery"


def test_every_problem_is_reported_at_once_naming_the_variable() -> None:
    env = {
        "TRIAGE_IMAP_PORT": "ninety",
        "TRIAGE_POLL_SECONDS": "-3",
        "TRIAGE_TIMEZONE": "Mars/Olympus",
        "TRIAGE_SMTP_SECURITY": "tls-please",
        "TRIAGE_FROM": "not an address",
        "TRIAGE_IMAP_PASWORD": "typo",
    }
    with pytest.raises(ConfigError) as info:
        load_settings(env, need=("imap", "smtp"))
    text = str(info.value)
    for name in (
        "TRIAGE_IMAP_HOST",
        "TRIAGE_IMAP_USER",
        "TRIAGE_IMAP_PASSWORD",
        "TRIAGE_IMAP_PORT",
        "TRIAGE_POLL_SECONDS",
        "TRIAGE_TIMEZONE",
        "TRIAGE_SMTP_SECURITY",
        "TRIAGE_FROM",
        "TRIAGE_SMTP_HOST",
    ):
        assert name in text, name
    assert "TRIAGE_IMAP_PASWORD is not a triage setting; did you mean TRIAGE_IMAP_PASSWORD?" in text
    assert len(info.value.problems) >= 9


@pytest.mark.parametrize("zone", ["Europe", "America/", "Europe/" + "x" * 300, "../../etc"])
def test_a_time_zone_that_names_a_folder_or_too_long_a_path_is_a_setting_problem(zone: str) -> None:
    with pytest.raises(ConfigError, match="TRIAGE_TIMEZONE"):
        load_settings({"TRIAGE_TIMEZONE": zone})


@pytest.mark.parametrize("value", ["\\Seen", "\\Flagged \\Answered", "$Interview \\Deleted"])
def test_flags_that_would_mark_mail_read_answered_or_deleted_are_refused(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({**GOOD, "TRIAGE_FLAG_INVITES": value})
    assert "TRIAGE_FLAG_INVITES" in str(info.value) and "never \\Seen" in str(info.value)
    settings = load_settings({**GOOD, "TRIAGE_FLAG_INVITES": "\\Flagged $Interview job-search"})
    assert settings.flag_invites == ("\\Flagged", "$Interview", "job-search")


def test_plaintext_is_refused_except_on_loopback() -> None:
    with pytest.raises(ConfigError, match="TRIAGE_IMAP_SECURITY=none is refused"):
        load_settings({**GOOD, "TRIAGE_IMAP_SECURITY": "none"}, need=("imap",))
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.53"):
        s = load_settings({**GOOD, "TRIAGE_IMAP_HOST": host, "TRIAGE_IMAP_SECURITY": "none"})
        assert s.imap.port == 143


def test_smtp_auth_needs_both_user_and_password() -> None:
    with pytest.raises(ConfigError, match="TRIAGE_SMTP_USER and TRIAGE_SMTP_PASSWORD"):
        load_settings({**GOOD, "TRIAGE_SMTP_PASSWORD": ""}, need=("smtp",))
    s = load_settings({**GOOD, "TRIAGE_SMTP_USER": "", "TRIAGE_SMTP_PASSWORD": ""})
    assert not s.smtp.user and not s.smtp.password


def test_commands_that_need_no_server_need_no_server_settings() -> None:
    s = load_settings({"TRIAGE_DB_PATH": "/tmp/x.sqlite3"})
    assert s.db_path == Path("/tmp/x.sqlite3")


def test_secrets_never_show_in_reprs_or_errors() -> None:
    s = load_settings(GOOD, need=("imap", "smtp"))
    assert "hunter2" not in repr(s) and "hunter2" not in str(s)
    assert repr(Secret("x")) == "<SECRET>" and s.imap.password.reveal() == "hunter2-imap"
    with pytest.raises(ConfigError) as info:
        load_settings({**GOOD, "TRIAGE_IMAP_PORT": "bad"}, need=("imap",))
    assert "hunter2" not in str(info.value)


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / "triage.env"
    env_file.write_text('TRIAGE_IMAP_FOLDER="Jobs"\nTRIAGE_POLL_SECONDS=30\n# comment\n')
    merged = merged_environ(env_file, {"TRIAGE_POLL_SECONDS": "90"})
    s = load_settings(merged)
    assert s.imap_folder == "Jobs" and s.poll_seconds == 90


def test_an_unquoted_backslash_is_refused_as_systemd_would_drop_it(tmp_path: Path) -> None:
    """systemd's EnvironmentFile reads an unquoted \\Flagged as Flagged; the commands (and
    doctor) would keep the backslash, so the service would silently differ from them."""
    env_file = tmp_path / "triage.env"
    env_file.write_text(
        "TRIAGE_FLAG_INVITES=\\Flagged $Interview\nTRIAGE_IMAP_PASSWORD=a\\b\n"
        "TRIAGE_SIGNATURE='Jordan \\ Avery'\n# a comment with \\Drafts\n"
    )
    with pytest.raises(ConfigError) as info:
        load_settings(merged_environ(env_file, {}))
    assert [p.split(" ")[0] for p in info.value.problems] == [
        "TRIAGE_FLAG_INVITES",
        "TRIAGE_IMAP_PASSWORD",
    ]
    assert "single quotes" in str(info.value)
    env_file.write_text(
        "TRIAGE_FLAG_INVITES = '\\Flagged $Interview'\nTRIAGE_SIGNATURE='a ${b}'\n"
        "TRIAGE_SENT_FOLDER=\n"
    )
    merged = merged_environ(env_file, {})
    assert merged["TRIAGE_FLAG_INVITES"] == "\\Flagged $Interview"  # as systemd reads it too
    assert merged["TRIAGE_SIGNATURE"] == "a ${b}"  # no expansion, as in systemd
    example = merged_environ(Path(__file__).parent.parent / ".env.example", {})
    assert example["TRIAGE_FLAG_INVITES"] == "\\Flagged $Interview"  # the shipped example too


def test_a_backslash_does_not_hide_the_rest_of_the_env_file(tmp_path: Path) -> None:
    """The backslash is one problem among the file's others, all listed at once; the variables
    after it are read (none reported as not set)."""
    env_file = tmp_path / "triage.env"
    lines = [f"{name}={value}" for name, value in GOOD.items() if name != "TRIAGE_FROM"]
    env_file.write_text(
        "TRIAGE_FLAG_INVITES=\\Flagged\n"
        + "\n".join(lines)
        + "\nTRIAGE_AVAILABILITY=Mon-Fri 9-17\nTRIAGE_FROM=\n"
    )
    with pytest.raises(ConfigError) as info:
        load_settings(merged_environ(env_file, {}), need=("imap", "smtp"))
    problems = info.value.problems
    assert [p.split(" ")[0].split("=")[0] for p in problems] == [
        "TRIAGE_FLAG_INVITES",  # the file's own problem first
        "TRIAGE_FROM",
        "TRIAGE_AVAILABILITY",
    ], problems
    assert "backslash" in problems[0] and "TRIAGE_FROM is not set" in problems[1]
    assert "hunter2" not in str(info.value)


def test_a_line_dotenv_cannot_read_is_refused_naming_its_variable_and_line(
    tmp_path: Path,
) -> None:
    """python-dotenv drops such a line (the commands would not set it) where systemd may read
    it (``"a", "b"`` as ``a, b``): the service and the commands would differ."""
    env_file = tmp_path / "triage.env"
    env_file.write_text(
        "# dates\n\n"
        'TRIAGE_BLACKOUT_DATES="2026-12-24", "2026-12-31"\n'
        "TRIAGE_FLAG_INVITES='\\Flagged' $Job\n"
        'TRIAGE_IMAP_PASSWORD="hunter2-unclosed\n'
        "TRIAGE_SIGNATURE\n"
        "TRIAGE_POLL_SECONDS=30\n"
        "= hunter2-no-name\n"
    )
    environ = merged_environ(env_file, {})
    assert dict(environ) == {"TRIAGE_POLL_SECONDS": "30"}  # the rest of the file is read
    assert [p.split(": ")[0] for p in environ.problems] == [
        f"TRIAGE_BLACKOUT_DATES in {env_file}, line 3",
        f"TRIAGE_FLAG_INVITES in {env_file}, line 4",
        f"TRIAGE_IMAP_PASSWORD in {env_file}, line 5",
        f"TRIAGE_SIGNATURE in {env_file}, line 6",
        f"{env_file}, line 8",
    ]
    assert all("single quotes ('...')" in p for p in environ.problems[:3])
    assert "there is no '='" in environ.problems[3]
    assert "hunter2" not in "".join(environ.problems)  # a value may be a password
    with pytest.raises(ConfigError) as info:
        load_settings(environ)
    assert info.value.problems[:5] == list(environ.problems)


@pytest.mark.parametrize(
    ("written", "dotenv_reads"),
    [
        ('"pa\\tss\\a"', "pa\tss\a"),  # systemd: pa\tss\a, as written
        ('"it\\\'s"', "it's"),  # systemd: it\'s
        ('"\\$5 \\`x\\`"', "\\$5 \\`x\\`"),  # systemd: $5 `x`
        ("'a\\\\b'", "a\\b"),  # systemd: a\\b
    ],
)
def test_a_quoted_backslash_read_otherwise_by_systemd_is_refused(
    tmp_path: Path, written: str, dotenv_reads: str
) -> None:
    env_file = tmp_path / "triage.env"
    env_file.write_text(f"TRIAGE_SMTP_USER=jordan\nTRIAGE_SMTP_PASSWORD={written}\n")
    environ = merged_environ(env_file, {})
    assert environ["TRIAGE_SMTP_PASSWORD"] == dotenv_reads
    [problem] = environ.problems
    assert problem.startswith(f"TRIAGE_SMTP_PASSWORD in {env_file}, line 2: systemd "), problem
    assert written[1:-1] not in problem  # never the value: it may be a password


def test_a_quoted_backslash_both_read_alike_is_no_problem(tmp_path: Path) -> None:
    env_file = tmp_path / "triage.env"
    env_file.write_text(
        "TRIAGE_FLAG_INVITES='\\Flagged $Interview'\n"  # single quotes: no escapes at all
        'TRIAGE_SIGNATURE="Jordan \\"JA\\" Avery \\\\ \\d"\n'  # \" and \\ alike; \d kept by both
        'TRIAGE_IMAP_FOLDER="Jobs"\n'
    )
    environ = merged_environ(env_file, {})
    assert environ.problems == ()
    assert environ["TRIAGE_FLAG_INVITES"] == "\\Flagged $Interview"
    assert environ["TRIAGE_SIGNATURE"] == 'Jordan "JA" Avery \\ \\d'


def test_the_environment_repr_names_the_variables_but_never_shows_a_value(
    tmp_path: Path,
) -> None:
    env_file = tmp_path / "triage.env"
    env_file.write_text(
        "TRIAGE_IMAP_PASSWORD=hunter2-imap\nTRIAGE_OAUTH2_REFRESH_TOKEN=1//0gRefresh\n"
    )
    environ = merged_environ(env_file, {"TRIAGE_SMTP_PASSWORD": "hunter2-smtp"})
    for shown in (repr(environ), str(environ), f"{environ}", f"{[environ]}"):
        assert "hunter2" not in shown and "0gRefresh" not in shown, shown
        assert "TRIAGE_IMAP_PASSWORD" in shown and "TRIAGE_OAUTH2_REFRESH_TOKEN" in shown
    assert environ["TRIAGE_IMAP_PASSWORD"] == "hunter2-imap"  # still there to be read


def test_a_value_is_shown_as_written_not_as_a_python_repr() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({**GOOD, "TRIAGE_FLAG_INVITES": "\\Seen", "TRIAGE_MIN_SCORE": "35%"})
    text = str(info.value)
    assert "TRIAGE_FLAG_INVITES='\\Seen' is not valid" in text  # one backslash, as written
    assert "'\\\\Seen'" not in text
    assert "TRIAGE_MIN_SCORE='35%' is not valid" in text


def test_a_system_flag_written_without_its_backslash_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({**GOOD, "TRIAGE_FLAG_INVITES": "Flagged $Interview"})
    assert "TRIAGE_FLAG_INVITES" in str(info.value)


def test_password_from_systemd_credentials_wins(tmp_path: Path) -> None:
    (tmp_path / "imap-password").write_text("from-credential\n")
    s = load_settings({**GOOD, "CREDENTIALS_DIRECTORY": str(tmp_path)}, need=("imap",))
    assert s.imap.password.reveal() == "from-credential"


def test_every_setting_is_in_env_example_with_a_comment() -> None:
    example = (Path(__file__).parent.parent / ".env.example").read_text().splitlines()
    for name in KNOWN:
        lines = [i for i, line in enumerate(example) if line.lstrip("# ").startswith(name + "=")]
        assert lines, f"{name} missing from .env.example"
        assert example[lines[0] - 1].startswith("#"), f"{name} has no comment above it"


def test_a_line_starting_with_a_semicolon_is_a_comment_as_systemd_reads_it(tmp_path: Path) -> None:
    env = tmp_path / "triage.env"
    env.write_text("; triage settings\n  ; indented too\n# and this\nTRIAGE_FROM=a@b.example\n")
    read = read_env_file(env)
    assert read.problems == () and dict(read) == {"TRIAGE_FROM": "a@b.example"}


@pytest.mark.parametrize("value", ["queue.sqlite3", "state/triage.sqlite3", "./q.db"])
def test_a_queue_path_that_depends_on_the_starting_folder_is_refused(value: str) -> None:
    # Two daemons started in two folders would each take their own queue and lock, and both
    # draft the same invitations.
    with pytest.raises(ConfigError, match=r"TRIAGE_DB_PATH.*an absolute path"):
        load_settings({"TRIAGE_DB_PATH": value})


def test_a_queue_path_from_home_is_absolute() -> None:
    assert load_settings({"TRIAGE_DB_PATH": "~/q.sqlite3"}).db_path == Path.home() / "q.sqlite3"


def test_a_relative_xdg_data_home_is_ignored_as_the_spec_says() -> None:
    settings = load_settings({"XDG_DATA_HOME": "relxdg"})
    assert settings.db_path == Path.home() / ".local" / "share" / "triage" / "triage.sqlite3"
