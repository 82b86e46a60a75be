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

from triage.config import Auth, Secret, Security, Server, login_hint
from triage.errors import OAuth2Error, OutboxError
from triage.oauth import TokenSource, xoauth2
from triage.tls import tls_context

TIMEOUT_SECONDS = 60.0


_ANSWERED = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)  # the server's no


class Outbox:
    """Sends one message per call over a fresh SMTP connection."""

    def __init__(
        self,
        server: Server,
        ca_file: Path | None = None,
        timeout: float = TIMEOUT_SECONDS,
        tokens: TokenSource | None = None,
    ) -> None:
        self._server = server
        self._ca_file = ca_file
        self._timeout = timeout
        self._tokens = tokens  # access tokens, when the server's auth is oauth2 (XOAUTH2)

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
            try:
                smtp.starttls(context=context)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def send(self, message: EmailMessage) -> tuple[str, ...]:
        """Deliver ``message``; return the recipients the server refused while taking the rest.

        Raises ``OutboxError`` with the server's answer when nothing was accepted. Once the
        server has taken the message, the send is done: an error in saying goodbye (QUIT) after
        that is ignored, as a retry would send the reply twice.
        """
        where = f"SMTP {self._server.host}:{self._server.port}"
        token = self._access_token(where) if self._server.auth is Auth.OAUTH2 else None
        try:
            smtp = self._connect(tls_context(self._ca_file))
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            raise OutboxError(
                f"{where}: connecting failed: {exc.__class__.__name__}: {exc}", not_sent=True
            ) from exc
        try:
            try:
                self._login(smtp, token)
            except smtplib.SMTPAuthenticationError as exc:
                raise self._refused_login(where, token, exc) from exc
            except (smtplib.SMTPException, OSError, ValueError) as exc:  # before any mail
                raise OutboxError(
                    f"{where}: logging in failed: {exc.__class__.__name__}: {exc}", not_sent=True
                ) from exc
            refused = smtp.send_message(message)
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            # A reply code (451, 550, ...) or a recipient refused is the server's no; only a
            # connection lost mid-way leaves it unknown whether the message was taken.
            answered = isinstance(exc, _ANSWERED)
            raise OutboxError(
                f"{where}: sending failed: {exc.__class__.__name__}: {exc}", not_sent=answered
            ) from exc
        finally:
            _quit_quietly(smtp)
        return tuple(sorted(refused))

    def _refused_login(
        self, where: str, token: Secret | None, exc: smtplib.SMTPAuthenticationError
    ) -> OutboxError:
        """The error for a refused login, naming the settings to fix; a token it was given is
        forgotten (perhaps revoked: the next attempt asks for a new one)."""
        if token is not None and self._tokens is not None:
            self._tokens.forget()
        return OutboxError(
            f"{where}: the server refused the login for {self._server.user} "
            f"({exc.smtp_code}); {login_hint('smtp', self._server.auth)}",
            not_sent=True,
        )

    def check(self) -> None:
        """Connect, negotiate TLS and log in as ``send`` does, then QUIT: nothing is sent.

        Raises ``OutboxError`` saying whether connecting (TLS included) or logging in failed.
        """
        server = self._server
        where = f"SMTP {server.host}:{server.port}"
        token = self._access_token(where) if server.auth is Auth.OAUTH2 else None
        step = "connecting"
        try:
            with self._connect(tls_context(self._ca_file)) as smtp:
                step = f"logging in as {server.user}"
                self._login(smtp, token)
        except smtplib.SMTPAuthenticationError as exc:
            raise self._refused_login(where, token, exc) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise OutboxError(f"{where}: {step} failed: {exc.__class__.__name__}: {exc}") from exc

    def _login(self, smtp: smtplib.SMTP, token: Secret | None) -> None:
        """AUTH as the settings say: XOAUTH2 with ``token``, else the password, else not at all."""
        server = self._server
        if token is not None:
            smtp.ehlo_or_helo_if_needed()
            initial = xoauth2(server.user, token)
            # smtplib sends this as the initial response; a refusal then comes as a 334
            # challenge (the error in JSON) that wants an empty answer before the 535.
            smtp.auth("XOAUTH2", lambda ch=None: initial if ch is None else "")
        elif server.user:
            try:
                smtp.login(server.user, server.password.reveal())
            except UnicodeEncodeError:  # its text would show a character of the password
                raise OutboxError(
                    f"SMTP {server.host}:{server.port}: logging in as {server.user} failed: the "
                    "password has characters outside ASCII, which SMTP AUTH cannot carry",
                    not_sent=True,
                ) from None

    def _access_token(self, where: str) -> Secret:
        if self._tokens is None:
            raise OutboxError(
                f"{where}: TRIAGE_SMTP_AUTH=oauth2 but no OAuth2 token source", not_sent=True
            )
        try:
            return self._tokens.access_token()
        except OAuth2Error as exc:
            raise OutboxError(
                f"{where}: no access token for {self._server.user}: {exc}", not_sent=True
            ) from exc


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    """QUIT and close; a server that answers QUIT badly (or not at all) changes nothing."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()
