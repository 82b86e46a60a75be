"""The SMTP adapter. The only module that imports smtplib.

TLS is on unless the settings say ``none`` (allowed only towards loopback), always with an
``ssl.create_default_context()`` so certificates and host names are verified (smtplib's own
default does not verify). Every smtplib, socket or TLS error leaves as ``OutboxError``.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from triage.config import Security, Server
from triage.errors import OutboxError
from triage.mailbox import tls_context

TIMEOUT_SECONDS = 60.0


class Outbox:
    """Sends one message per call over a fresh SMTP connection."""

    def __init__(
        self, server: Server, ca_file: Path | None = None, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        self._server = server
        self._ca_file = ca_file
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"Outbox({self._server.host}:{self._server.port})"

    def _connect(self, context: ssl.SSLContext) -> smtplib.SMTP:
        server = self._server
        if server.security is Security.SSL:
            return smtplib.SMTP_SSL(
                server.host, server.port, timeout=self._timeout, context=context
            )
        smtp = smtplib.SMTP(server.host, server.port, timeout=self._timeout)
        if server.security is Security.STARTTLS:
            smtp.starttls(context=context)
        return smtp

    def send(self, message: EmailMessage) -> tuple[str, ...]:
        """Deliver ``message``; return the recipients the server refused while taking the rest.

        Raises ``OutboxError`` with the server's answer when nothing was accepted.
        """
        server = self._server
        where = f"SMTP {server.host}:{server.port}"
        try:
            with self._connect(tls_context(self._ca_file)) as smtp:
                if server.user:
                    smtp.login(server.user, server.password.reveal())
                refused = smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise OutboxError(
                f"{where}: the server refused the login for {server.user} "
                f"({exc.smtp_code}); check TRIAGE_SMTP_USER and the password"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise OutboxError(f"{where}: sending failed: {exc.__class__.__name__}: {exc}") from exc
        return tuple(sorted(refused))
