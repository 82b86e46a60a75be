"""``triage doctor``: one line per check against real servers; failures named, secrets never."""

from __future__ import annotations

import io
import ssl
import subprocess
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import USER_FROM, ImapAccount

from triage import doctor
from triage.checks import Check, Status
from triage.cli import main
from triage.config import load_settings
from triage.errors import OutboxError
from triage.local_servers import SmtpSink, free_port
from triage.outbox import Outbox
from triage.store import Store


def _lines(out: str) -> tuple[list[str], str]:
    """(the check lines, the summary line)."""
    lines = out.strip().splitlines()
    return lines[:-1], lines[-1]


def _has(lines: list[str], *parts: str) -> bool:
    return any(all(part in line for part in parts) for line in lines)


def test_a_good_configuration_passes_every_check(
    triage_env: dict[str, str],
    imap: ImapAccount,
    smtp: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if imap.kind == "pymap":  # Dovecot's test config has \Drafts and \Sent; pymap only Sent
        client = imap.client()
        client.create_folder("Drafts")
        client.logout()
    mine = tmp_path / "my-templates"
    mine.mkdir()
    (mine / "invite_link.txt.j2").write_text(
        "Hi {{ greeting_name or 'there' }},\n\nI'll book through {{ scheduling_link }}.\n\n"
        "{{ signature }}\n"
    )
    env_file = tmp_path / "triage.env"
    env_file.write_text(f"TRIAGE_IMAP_PASSWORD={imap.password}\nTRIAGE_TEMPLATE_DIR={mine}\n")
    env_file.chmod(0o600)
    monkeypatch.delenv("TRIAGE_IMAP_PASSWORD")  # only the file has it
    Store.open(Path(triage_env["TRIAGE_DB_PATH"])).close()

    assert main(["--env-file", str(env_file), "doctor"]) == 0
    out = capsys.readouterr().out
    checks, summary = _lines(out)
    assert all(line.startswith("✓ ") for line in checks), out
    assert summary.startswith("triage is ready") and "passed" in summary
    for expected in (
        (f"settings from {env_file} are valid",),
        ("env file", str(env_file), "TRIAGE_IMAP_PASSWORD", "is private (mode 0600)"),
        (f"IMAP login as {imap.user}", f"{imap.host}:{imap.port}"),
        ("watched folder 'INBOX'", "read-only"),
        ("Sent folder 'Sent'", "SPECIAL-USE"),
        ("Drafts folder 'Drafts'",),
        ("SMTP server answers", f"{smtp.host}:{smtp.port}"),
        ("spaCy detector loads", "sample invitation"),
        ("templates render", f"1 of them yours from {mine}"),
        ("queue database", "opens and is writable"),
    ):
        assert _has(checks, *expected), (expected, out)
    assert imap.password not in out
    assert smtp.received == []  # the SMTP check logs in and quits; it never sends


def test_a_broken_configuration_fails_naming_each_problem(
    triage_env: dict[str, str],
    imap: ImapAccount,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env_file = tmp_path / ".env"  # picked up by default: the test runs in tmp_path
    wrong = "wrong-" + imap.password
    env_file.write_text(
        f"TRIAGE_IMAP_PASSWORD={wrong}\nTRIAGE_TEMPLATE_DIR={tmp_path / 'missing'}\n"
    )
    env_file.chmod(0o644)
    monkeypatch.delenv("TRIAGE_IMAP_PASSWORD")
    monkeypatch.setenv("TRIAGE_SMTP_PORT", str(free_port()))  # nothing listens there

    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    checks, summary = _lines(out)
    failed = [line for line in checks if line.startswith("✗ ")]
    assert _has(failed, "TRIAGE_TEMPLATE_DIR", "is not a folder")
    assert checks[0].startswith("✗ TRIAGE_TEMPLATE_DIR")  # the settings come first
    assert checks[1] == "  — fix it in .env; .env.example explains each"  # a line of its own
    assert _has(failed, "env file (holds TRIAGE_IMAP_PASSWORD) .env", "every user (mode 0644)")
    assert _has(failed, "chmod 600 .env")
    assert _has(failed, f"logging in as {imap.user} failed", "check TRIAGE_IMAP_USER")
    assert _has(
        failed, "SMTP", "ConnectionRefusedError", "check TRIAGE_SMTP_HOST and TRIAGE_SMTP_PORT"
    )
    assert len(failed) == 4, out
    # What depends on the broken settings is skipped, naming them; the rest still runs.
    assert _has(checks, "- templates not checked", "fix TRIAGE_TEMPLATE_DIR first")
    assert _has(checks, "- IMAP folders not checked", "fix the login first")
    assert _has(checks, "✓ spaCy detector loads")
    assert _has(checks, "✓ queue database")
    assert summary.startswith("triage is NOT ready") and "4 failed" in summary
    assert wrong not in out and imap.password not in out


@pytest.mark.parametrize("imap", ["pymap"], indirect=True)  # folder logic: one server is enough
@pytest.mark.usefixtures("triage_env")
def test_missing_folders_fail_when_configured_and_warn_when_looked_for(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRIAGE_IMAP_FOLDER", "Jobs")
    monkeypatch.setenv("TRIAGE_SENT_FOLDER", "Sent Items")
    assert main(["doctor"]) == 1
    checks, _ = _lines(capsys.readouterr().out)
    assert _has(checks, "✗ IMAP", "opening folder 'Jobs'", "check TRIAGE_IMAP_FOLDER")
    assert _has(checks, "✗ IMAP", "opening folder 'Sent Items'", "check TRIAGE_SENT_FOLDER")
    assert _has(checks, "! no Drafts folder found", "set TRIAGE_DRAFTS_FOLDER")
    monkeypatch.setenv("TRIAGE_IMAP_FOLDER", "INBOX")
    monkeypatch.delenv("TRIAGE_SENT_FOLDER")
    monkeypatch.setenv("TRIAGE_DRAFTS_FOLDER", "off")
    assert main(["doctor"]) == 0  # found Sent by name; Drafts not wanted
    checks, summary = _lines(capsys.readouterr().out)
    assert _has(checks, "✓ Drafts folder not used") and "failed" not in summary


@pytest.mark.usefixtures("no_triage_env")
def test_config_errors_are_listed_at_once_and_independent_checks_still_run(
    smtp: SmtpSink,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_text(
        "TRIAGE_POLL_SECONDS=1\n"  # out of range
        "TRIAGE_IMAP_HOSTNAME=imap.example.net\n"  # a typo: TRIAGE_IMAP_HOST is missing
        "TRIAGE_IMAP_USER=jordan\nTRIAGE_IMAP_PASSWORD=pw\n"
        f"TRIAGE_SMTP_HOST={smtp.host}\nTRIAGE_SMTP_PORT={smtp.port}\nTRIAGE_SMTP_SECURITY=none\n"
        f"TRIAGE_FROM={USER_FROM}\nTRIAGE_DB_PATH={tmp_path / 'q.sqlite3'}\n"
    )
    env_file.chmod(0o600)

    assert main(["--env-file", str(env_file), "doctor"]) == 1
    out = capsys.readouterr().out
    checks, _ = _lines(out)
    failed = [line for line in checks if line.startswith("✗ ")]
    assert _has(failed, "TRIAGE_POLL_SECONDS='1' is not valid")
    assert _has(failed, "TRIAGE_IMAP_HOST is not set")
    assert _has(failed, "TRIAGE_IMAP_HOSTNAME is not a triage setting", "did you mean")
    assert checks[3] == f"  — fix these in {env_file}; .env.example explains each"
    assert not _has(failed, "fix these")  # not glued onto the last problem
    assert len(failed) == 3, out
    assert _has(checks, "- IMAP login and folders not checked", "fix TRIAGE_IMAP_HOST first")
    for independent in ("✓ SMTP server answers", "✓ spaCy detector", "templates render", "✓ queue"):
        assert _has(checks, independent), (independent, out)


def test_permissions_warn_for_the_group_and_fail_for_everyone(tmp_path: Path) -> None:
    env_file = tmp_path / "triage.env"
    env_file.write_text("TRIAGE_SMTP_PASSWORD=pw\nTRIAGE_IMAP_HOST=imap.example.net\n")
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "imap-password").write_text("pw")
    (credentials / "imap-password").chmod(0o444)
    environ = {"CREDENTIALS_DIRECTORY": str(credentials)}

    env_file.chmod(0o640)
    checks = doctor.check_permissions(env_file, {"TRIAGE_SMTP_PASSWORD": "pw"}, environ)
    assert [c.status for c in checks] == [Status.WARN, Status.FAIL]
    assert "readable by its group (mode 0640)" in checks[0].detail
    assert "credential" in checks[1].detail and "imap-password" in checks[1].detail
    assert checks[1].hint == f"chmod 600 {credentials / 'imap-password'}"
    env_file.chmod(0o644)  # readable by all, but it holds no secret
    [check] = doctor.check_permissions(env_file, {"TRIAGE_IMAP_HOST": "imap.example.net"}, {})
    assert check.status is Status.PASS and "holds no secret" in check.detail
    env_file.chmod(0o646)  # but whoever may change it can point triage at their own server
    [check] = doctor.check_permissions(env_file, {"TRIAGE_IMAP_HOST": "imap.example.net"}, {})
    assert check.status is Status.FAIL and "writable by every user" in check.detail


@pytest.mark.parametrize(
    "name",
    [
        "TRIAGE_IMAP_PASWORD",
        "TRIAGE_SMTP_PASSWD",
        "TRIAGE_OAUTH_SECRET",
        "API_KEY",
        "token",
        # No secret's word in the name, but "did you mean" names a secret setting.
        "TRIAGE_OAUTH2_REFRESH_TOKN",
        "TRIAGE_OAUTH2_CLIENT_SECERT",
        "TRIAGE_IMAP_PWD",
    ],
)
def test_a_misspelt_or_unknown_secret_counts_as_a_secret(tmp_path: Path, name: str) -> None:
    env_file = tmp_path / "triage.env"
    env_file.write_text(f"{name}=hunter2\n")
    env_file.chmod(0o644)
    [check] = doctor.check_permissions(env_file, {name: "hunter2"}, {})
    assert check.status is Status.FAIL and "readable by every user" in check.detail, check
    assert name in check.detail and "hunter2" not in check.detail + check.hint
    # A name that merely contains the letters is no secret: the file may be read by all.
    for harmless in ("TRIAGE_FLAG_KEYWORDS", "TRIAGE_OAUTH2_CLIENT_IDS", "TRIAGE_SMTP_USR"):
        [check] = doctor.check_permissions(env_file, {harmless: "$Interview"}, {})
        assert check.status is Status.PASS and "holds no secret" in check.detail, harmless


@pytest.mark.usefixtures("no_triage_env")
def test_a_backslash_in_the_env_file_is_listed_with_every_other_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = tmp_path / "bs.env"
    db = tmp_path / "q.sqlite3"
    env_file.write_text(
        "TRIAGE_FLAG_INVITES=\\Flagged\n"  # systemd would drop the backslash
        f"TRIAGE_IMAP_HOST=127.0.0.1\nTRIAGE_IMAP_PORT={free_port()}\nTRIAGE_IMAP_SECURITY=none\n"
        "TRIAGE_IMAP_USER=jordan\nTRIAGE_IMAP_PASSWORD=pw\n"
        f"TRIAGE_SMTP_HOST=127.0.0.1\nTRIAGE_SMTP_PORT={free_port()}\nTRIAGE_SMTP_SECURITY=none\n"
        f"TRIAGE_AVAILABILITY=Mon-Fri 9-17\nTRIAGE_FROM=\nTRIAGE_DB_PATH={db}\n"
    )
    env_file.chmod(0o600)

    assert main(["--env-file", str(env_file), "doctor"]) == 1
    out = capsys.readouterr().out
    checks, _ = _lines(out)
    assert checks[0].startswith(f"✗ TRIAGE_FLAG_INVITES in {env_file}, line 1: a backslash"), out
    assert checks[1].startswith("✗ TRIAGE_FROM is not set")
    assert checks[2].startswith("✗ TRIAGE_AVAILABILITY='Mon-Fri 9-17' is not valid")
    assert checks[3] == f"  — fix these in {env_file}; .env.example explains each"
    for name in ("TRIAGE_IMAP_HOST", "TRIAGE_IMAP_USER", "TRIAGE_IMAP_PASSWORD", "TRIAGE_SMTP"):
        assert not _has(checks, name, "not set"), out  # they are set, after the backslash
    assert _has(checks, "env file (holds TRIAGE_IMAP_PASSWORD)", "is private")
    assert _has(checks, f"✓ queue database {db}")  # the file's, not the default one


def test_warnings_and_skips_do_not_fail_the_run_failures_do() -> None:
    warned = [Check("a", Status.PASS, "fine"), Check("b", Status.WARN, "hm", "do this")]
    out = io.StringIO()  # no encoding: the marks fall back to ASCII
    assert doctor.report(warned, out) == 0
    assert out.getvalue().splitlines() == [
        "[ok] fine",
        "[warn] hm -- do this",
        "triage is ready (1 passed, 1 warned)",
    ]
    assert doctor.exit_code([*warned, Check("c", Status.SKIP, "x")]) == 0
    assert doctor.exit_code([*warned, Check("d", Status.FAIL, "broken")]) == 1


def test_template_errors_name_the_users_file_and_unused_overrides_warn(tmp_path: Path) -> None:
    (tmp_path / "confirmation.txt.j2").write_text("Hi {{ greting_name }}")  # a typo'd variable
    (tmp_path / "invite_slots.txt.j2").write_text("Hi")  # a misspelt template name
    settings = load_settings({"TRIAGE_TEMPLATE_DIR": str(tmp_path)})
    checks = doctor.check_templates(settings, ())
    assert [(c.status, c.hint.split(":")[0]) for c in checks] == [
        (Status.FAIL, f"fix {tmp_path}/confirmation.txt.j2"),
        (Status.WARN, "triage only uses"),
    ]
    assert "greting_name" in checks[0].detail
    assert "invite_slots.txt.j2 is never used" in checks[1].detail
    assert "invite_slot.txt.j2" in checks[1].hint


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[tuple[SmtpSink, Path]]:
    """An SMTP server with implicit TLS and a self-signed certificate for 127.0.0.1."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with SmtpSink(ssl_context=context) as sink:
        yield sink, cert


def test_smtp_tls_is_verified_and_an_unknown_certificate_says_what_to_do(
    tls_smtp: tuple[SmtpSink, Path],
) -> None:
    sink, cert = tls_smtp
    env = {"TRIAGE_SMTP_HOST": sink.host, "TRIAGE_SMTP_PORT": str(sink.port)}
    refused = doctor.check_smtp(load_settings(env), ())
    assert refused.status is Status.FAIL
    assert "CERTIFICATE_VERIFY_FAILED" in refused.detail and "TRIAGE_CA_FILE" in refused.hint
    trusted = doctor.check_smtp(load_settings({**env, "TRIAGE_CA_FILE": str(cert)}), ())
    assert trusted.status is Status.PASS
    assert "TLS, certificate verified with TRIAGE_CA_FILE" in trusted.detail
    assert sink.received == []


def _accept_only(password: str) -> Callable[..., AuthResult]:
    def authenticate(
        server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    return authenticate


def test_smtp_login_is_checked_and_a_refused_one_says_what_to_do() -> None:
    port = free_port()
    controller = Controller(
        Sink(),
        hostname="127.0.0.1",
        port=port,
        authenticator=_accept_only("smtp-Pa55"),
        auth_require_tls=False,  # loopback only, as TRIAGE_SMTP_SECURITY=none allows
    )
    controller.start()
    try:
        env = {
            "TRIAGE_SMTP_HOST": "127.0.0.1",
            "TRIAGE_SMTP_PORT": str(port),
            "TRIAGE_SMTP_SECURITY": "none",
            "TRIAGE_SMTP_USER": "jordan",
        }
        good = doctor.check_smtp(load_settings({**env, "TRIAGE_SMTP_PASSWORD": "smtp-Pa55"}), ())
        wrong = load_settings({**env, "TRIAGE_SMTP_PASSWORD": "nope-Pa55"})
        bad = doctor.check_smtp(wrong, ())
        reply = EmailMessage()
        reply["From"], reply["To"], reply["Subject"] = "jordan@example.net", "d@x.example", "Re: X"
        reply.set_content("Thursday suits me.\n")
        with pytest.raises(OutboxError) as approving:  # what approve and review show
            Outbox(wrong.smtp, timeout=10).send(reply)
    finally:
        controller.stop()
    assert good.status is Status.PASS and "SMTP login as jordan" in good.detail
    assert bad.status is Status.FAIL and "refused the login for jordan (535)" in bad.detail
    hint = "check TRIAGE_SMTP_USER and TRIAGE_SMTP_PASSWORD (or the smtp-password credential)"
    assert hint in bad.detail and bad.hint == ""  # said once
    assert "refused the login for jordan (535)" in str(approving.value)
    assert hint in str(approving.value)  # the same hint on approve
    assert "Pa55" not in bad.detail + bad.hint + str(approving.value)
