"""TLS is verified: a self-signed server is refused unless its CA is named in TRIAGE_CA_FILE."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from triage.compose import build_email
from triage.config import load_settings
from triage.errors import OutboxError
from triage.local_servers import SmtpSink
from triage.models import Address, Reply
from triage.outbox import Outbox

REPLY = Reply("Dana <dana@x.io>", "Re: Interview", "<m1@x.io>", ("<m1@x.io>",), "Hi\n", "<r1@me>")
ME = Address("Jordan Avery", "jordan@example.net")


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[tuple[SmtpSink, Path]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with SmtpSink(ssl_context=context) as sink:
        yield sink, cert


def _outbox(sink: SmtpSink, **extra: str) -> Outbox:
    settings = load_settings(
        {
            "TRIAGE_SMTP_HOST": sink.host,
            "TRIAGE_SMTP_PORT": str(sink.port),
            "TRIAGE_SMTP_SECURITY": "ssl",
            **extra,
        }
    )
    return Outbox(settings.smtp, settings.ca_file, timeout=10)


def test_unknown_certificate_is_refused(tls_smtp: tuple[SmtpSink, Path]) -> None:
    sink, _ = tls_smtp
    with pytest.raises(OutboxError, match="CERTIFICATE_VERIFY_FAILED"):
        _outbox(sink).send(build_email(REPLY, ME, datetime.now(UTC)))
    assert sink.received == []


def test_certificate_trusted_through_ca_file_is_accepted(tls_smtp: tuple[SmtpSink, Path]) -> None:
    sink, cert = tls_smtp
    _outbox(sink, TRIAGE_CA_FILE=str(cert)).send(build_email(REPLY, ME, datetime.now(UTC)))
    assert [r.rcpt_tos for r in sink.received] == [["dana@x.io"]]
