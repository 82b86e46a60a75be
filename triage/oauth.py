"""OAuth2 for IMAP and SMTP (XOAUTH2): access tokens from a refresh token, and ``triage auth``.

``TokenSource`` exchanges the refresh token for an access token at the token endpoint (a form
POST, RFC 6749 section 6), keeps it, and fetches a new one ``MARGIN_SECONDS`` before it expires.
``authorize`` runs the loopback flow with PKCE (RFC 8252, RFC 7636) that gives the refresh token
once. Only the standard library's urllib and http.server speak HTTP here.

Tokens and secrets never appear in logs, reprs or errors: errors are ``OAuth2Error`` naming the
endpoint. A provider that rotates refresh tokens (Microsoft returns a new one with each access
token) is followed in memory, and the first rotation in a process logs a warning saying what to
do when the configured token stops working; triage writes secrets nowhere by itself.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import http.server
import json
import logging
import math
import os
import secrets
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from triage.config import OAuth2, Secret
from triage.errors import OAuth2Error, TriageError

log = logging.getLogger(__name__)

MARGIN_SECONDS = 60.0  # an access token is renewed this long before it expires
TIMEOUT_SECONDS = 30.0
DEFAULT_LIFETIME = 3600  # seconds, when the endpoint does not say (expires_in is optional)
MAX_ANSWER_BYTES = 64 * 1024
_SECRET_FIELDS = ("refresh_token", "client_secret", "code", "code_verifier")
# What a provider needs on the authorization request to issue a refresh token at all.
_AUTH_EXTRA = {"google": {"access_type": "offline", "prompt": "consent"}}


def xoauth2(user: str, access_token: Secret) -> str:
    """The SASL XOAUTH2 initial response, before base64: ``user=U^Aauth=Bearer T^A^A``."""
    return f"user={user}\x01auth=Bearer {access_token.reveal()}\x01\x01"


def endpoint_name(url: str) -> str:
    """The URL without query, fragment or user info: what errors and logs may show."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path or '/'}"


def post_form(
    url: str, fields: Mapping[str, str], *, timeout: float = TIMEOUT_SECONDS
) -> dict[str, object]:
    """POST ``fields`` as a form to an OAuth2 endpoint and return its JSON object.

    Raises ``OAuth2Error`` naming the endpoint and, for a refusal, the OAuth2 error code and
    description; no field value (the secrets) is ever part of the message.
    """
    where = endpoint_name(url)
    if urlsplit(url).scheme not in ("https", "http"):  # config allows http for loopback only
        raise OAuth2Error(f"the token endpoint {where} is not an http(s) address")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=urlencode(fields).encode("ascii"),
        headers={"Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 - the scheme is checked above
            request, timeout=timeout, context=ssl.create_default_context()
        ) as response:
            body = response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        reason = _refusal(exc, [v for k, v in fields.items() if k in _SECRET_FIELDS])
        raise OAuth2Error(f"the token endpoint {where} refused the request: {reason}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        cause = getattr(exc, "reason", None) or exc
        raise OAuth2Error(f"the token endpoint {where} could not be reached: {cause}") from exc
    try:
        answer = json.loads(body)
    except ValueError as exc:
        raise OAuth2Error(f"the token endpoint {where} did not answer with JSON") from exc
    if not isinstance(answer, dict):
        raise OAuth2Error(f"the token endpoint {where} did not answer with a JSON object")
    return answer


def _refusal(exc: urllib.error.HTTPError, secret_values: Sequence[str]) -> str:
    """``HTTP 400 invalid_grant: description`` from an OAuth2 error answer, secrets removed."""
    text = f"HTTP {exc.code}"
    try:
        answer = json.loads(exc.read(MAX_ANSWER_BYTES))
    except (ValueError, OSError):
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        text += f" {answer['error']}"
        description = answer.get("error_description")
        if isinstance(description, str) and description.strip():
            text += f": {description.strip().splitlines()[0][:200]}"
    for value in secret_values:
        if len(value) >= 4:
            text = text.replace(value, "<SECRET>")
    return text


def _client_fields(config: OAuth2) -> dict[str, str]:
    fields = {"client_id": config.client_id}
    if config.client_secret:
        fields["client_secret"] = config.client_secret.reveal()
    return fields


class TokenSource:
    """Access tokens for one OAuth2 client and refresh token.

    ``access_token()`` returns the kept token, or fetches a new one when there is none or it
    expires within ``margin`` seconds by ``clock`` (monotonic seconds). Thread-safe. Raises
    ``OAuth2Error``.
    """

    def __init__(
        self,
        config: OAuth2,
        *,
        clock: Callable[[], float] = time.monotonic,
        margin: float = MARGIN_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self._config = config
        self._refresh_token = config.refresh_token
        self._clock = clock
        self._margin = margin
        self._timeout = timeout
        self._token: Secret | None = None
        self._expires = 0.0
        self._lock = threading.Lock()
        self._warned_rotation = False

    def __repr__(self) -> str:
        return f"TokenSource({endpoint_name(self._config.token_url)}, token=<SECRET>)"

    def access_token(self) -> Secret:
        with self._lock:
            now = self._clock()
            if self._token is None or now >= self._expires - self._margin:
                self._token, self._expires = self._fetch(now)
            return self._token

    def forget(self) -> None:
        """Drop the kept token (a server refused it): the next call fetches a new one."""
        with self._lock:
            self._token = None

    def _fetch(self, now: float) -> tuple[Secret, float]:
        config = self._config
        where = endpoint_name(config.token_url)
        fields = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token.reveal(),
            **_client_fields(config),
        }
        try:
            answer = post_form(config.token_url, fields, timeout=self._timeout)
        except OAuth2Error as exc:
            if "invalid_grant" in str(exc):
                raise OAuth2Error(
                    f"{exc}; the refresh token was revoked or has expired: run 'triage auth' "
                    "and update TRIAGE_OAUTH2_REFRESH_TOKEN"
                ) from exc
            raise
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise OAuth2Error(f"the token endpoint {where} answered without an access_token")
        lifetime = answer.get("expires_in", DEFAULT_LIFETIME)
        try:
            seconds = float(lifetime) if isinstance(lifetime, (int, float, str)) else math.nan
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds):
            seconds = float(DEFAULT_LIFETIME)
        self._note_rotation(answer.get("refresh_token"), where)
        log.debug("got an access token from %s, valid for %.0f s", where, seconds)
        return Secret(token), now + seconds

    def _note_rotation(self, new: object, where: str) -> None:
        if not isinstance(new, str) or not new or new == self._refresh_token.reveal():
            return
        self._refresh_token = Secret(new)
        if self._warned_rotation:
            log.debug("the token endpoint %s issued another new refresh token", where)
            return
        self._warned_rotation = True
        log.warning(
            "the token endpoint %s issued a new refresh token (this provider rotates them); "
            "triage uses it until it exits. The configured one works only as long as the "
            "provider allows: if logins start failing, run 'triage auth' and update "
            "TRIAGE_OAUTH2_REFRESH_TOKEN",
            where,
        )


# -- triage auth: the loopback flow with PKCE ---------------------------------------------------


class _Loopback(http.server.HTTPServer):
    """Waits on 127.0.0.1 for the browser to come back from the authorization endpoint."""

    def __init__(self, port: int, state: str) -> None:
        try:
            super().__init__(("127.0.0.1", port), _Redirect)
        except OSError as exc:
            raise OAuth2Error(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc
        self.state = state
        self.code: str | None = None
        self.error: str | None = None
        self.timeout = 0.5  # handle_request() returns this often to look at the clock

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def answer(self, query: dict[str, list[str]]) -> str | None:
        """Take the browser's answer; the page to show, or None when it is not one."""
        first = {k: v[0] for k, v in query.items() if v}
        if "code" not in first and "error" not in first:
            return None
        if not secrets.compare_digest(first.get("state", ""), self.state):
            self.error = "the browser came back with another state (an old tab?)"
        elif "error" in first:
            self.error = first["error"] + (
                f": {first['error_description'][:200]}" if "error_description" in first else ""
            )
        else:
            self.code = first["code"]
            return "triage: signed in. You can close this tab and go back to the terminal.\n"
        return f"triage: authorization failed: {self.error}\n"

    def wait(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while self.code is None and self.error is None:
            if time.monotonic() > deadline:
                raise OAuth2Error(f"no answer from the browser within {timeout:.0f} s")
            self.handle_request()
        if self.error is not None:
            raise OAuth2Error(f"the authorization failed: {self.error}")
        assert self.code is not None
        return self.code


class _Redirect(http.server.BaseHTTPRequestHandler):
    server: _Loopback
    timeout = 5  # a browser's idle pre-connection must not block the wait

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        page = self.server.answer(parse_qs(parts.query)) if parts.path == "/" else None
        status = 404 if page is None else (200 if self.server.code else 400)
        body = (page or "not found\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request line holds the authorization code."""


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize(
    config: OAuth2,
    *,
    announce: Callable[[str], object],
    login_hint: str = "",
    port: int = 0,
    timeout: float = 300.0,
) -> Secret:
    """Get a refresh token through the browser: listen on ``http://127.0.0.1:port/`` (any free
    port for 0), pass the authorization URL to ``announce`` (the user opens it), wait up to
    ``timeout`` seconds for the browser to bring back a code, and exchange it with the PKCE
    verifier at the token endpoint. Raises ``OAuth2Error``.
    """
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    with _Loopback(port, state) as loopback:
        params = {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": loopback.redirect_uri,
            "scope": config.scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **_AUTH_EXTRA.get(config.provider, {}),
            **({"login_hint": login_hint} if login_hint else {}),
        }
        joiner = "&" if urlsplit(config.auth_url).query else "?"
        announce(config.auth_url + joiner + urlencode(params))
        code = loopback.wait(timeout)
        redirect_uri = loopback.redirect_uri
    answer = post_form(
        config.token_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            **_client_fields(config),
        },
    )
    refresh = answer.get("refresh_token")
    if not isinstance(refresh, str) or not refresh:
        raise OAuth2Error(
            f"the token endpoint {endpoint_name(config.token_url)} gave no refresh token: the "
            "scope must ask for offline access (Microsoft: offline_access)"
        )
    return Secret(refresh)


def write_secret(path: Path, value: Secret) -> None:
    """Write ``value`` to ``path`` readable by its owner only (mode 0600, even if it existed)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(value.reveal() + "\n")
    except OSError as exc:
        raise TriageError(f"cannot write {path}: {exc.strerror}") from exc
