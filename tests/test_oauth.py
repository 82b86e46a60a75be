"""OAuth2 (XOAUTH2) for Gmail and Microsoft 365.

A fake provider on 127.0.0.1 plays the token endpoint (refresh and authorization-code grants,
checking the client, the secret and PKCE), the authorization endpoint (it redirects the "browser"
back with a code) and an introspection endpoint. Against it: the token source (kept, renewed
before expiry, rotation, errors without secrets), ``triage auth`` end to end, a real Dovecot whose
oauth2 passdb asks the fake endpoint whether the XOAUTH2 token is good, and aiosmtpd with an
XOAUTH2 handler that checks the string it receives.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult
from servers import DovecotServer, dovecot_binary

from triage import app
from triage.compose import build_email
from triage.config import Auth, OAuth2, Secret, Settings, load_settings
from triage.errors import ConfigError, MailboxError, OAuth2Error, OutboxError
from triage.local_servers import LOOPBACK, free_port
from triage.mailbox import Mailbox
from triage.models import Address, Reply
from triage.oauth import TokenSource, authorize, post_form, xoauth2
from triage.outbox import Outbox

# The SMTP server requires AUTH over plain loopback, which aiosmtpd warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

CLIENT_ID = "triage-test-client"
CLIENT_SECRET = "client-secret-9f8e7d6c"
REFRESH = "refresh-token-1a2b3c4d"
USER = "jordan@example.net"
SECRETS = (CLIENT_SECRET, REFRESH)


class _Endpoints(BaseHTTPRequestHandler):
    """The fake provider's HTTP side; the decisions are ``FakeProvider``'s."""

    protocol_version = "HTTP/1.1"
    server: _ProviderServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != "/authorize":
            self._reply(404, b"", {})
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self._reply(302, b"", {"Location": self.server.provider.authorize(query)})

    def do_POST(self) -> None:
        provider = self.server.provider
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self.path == "/introspect":
            provider.introspected.append(form.get("token", ""))
            active = form.get("token") in provider.active
            status, answer = 200, {"active": active, **({"email": USER} if active else {})}
        elif self.path == "/token":
            provider.token_forms.append(form)
            status, answer = provider.grant(form)
            if provider.broken:
                self._reply(200, b"<html>maintenance</html>", {})
                return
        else:
            self._reply(404, b"", {})
            return
        self._reply(status, json.dumps(answer).encode(), {"Content-Type": "application/json"})


class _ProviderServer(ThreadingHTTPServer):
    def __init__(self, provider: FakeProvider) -> None:
        super().__init__((LOOPBACK, 0), _Endpoints)
        self.provider = provider


class FakeProvider:
    """Token, authorization and introspection endpoints on a free loopback port."""

    def __init__(self) -> None:
        self.reset()
        self._server = _ProviderServer(self)
        self.url = f"http://{LOOPBACK}:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def reset(self) -> None:
        """Forget every token and request: as new, for the next test."""
        self.refresh_tokens = {REFRESH}
        self.active: set[str] = set()  # access tokens the introspection endpoint vouches for
        self.codes: dict[str, tuple[str, str]] = {}  # code -> (PKCE challenge, redirect_uri)
        self.authorize_queries: list[dict[str, str]] = []
        self.token_forms: list[dict[str, str]] = []
        self.introspected: list[str] = []
        self.expires_in: object = 3600
        self.rotate = False
        self.deny = False
        self.echo_secrets = False  # a careless endpoint that quotes what it got in its error
        self.broken = False  # answers 200 with HTML

    def authorize(self, query: dict[str, str]) -> str:
        """Where the authorization endpoint sends the browser back to."""
        self.authorize_queries.append(query)
        if self.deny:
            answer = {"error": "access_denied", "error_description": "the user said no"}
        else:
            code = secrets.token_urlsafe(12)
            self.codes[code] = (query["code_challenge"], query["redirect_uri"])
            answer = {"code": code}
        return query["redirect_uri"] + "?" + urlencode({**answer, "state": query["state"]})

    def grant(self, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                said = f" (got {form.get('refresh_token')})" if self.echo_secrets else ""
                return 400, {"error": "invalid_grant", "error_description": "bad token" + said}
            answer: dict[str, object] = {}
            if self.rotate:
                answer["refresh_token"] = self._new_refresh_token()
        elif form.get("grant_type") == "authorization_code":
            challenge, redirect_uri = self.codes.pop(form.get("code", ""), ("", ""))
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if (
                not challenge
                or base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge
                or form.get("redirect_uri") != redirect_uri
            ):
                return 400, {"error": "invalid_grant", "error_description": "PKCE or code"}
            answer = {"refresh_token": self._new_refresh_token()}
        else:
            return 400, {"error": "unsupported_grant_type"}
        token = "access-" + secrets.token_urlsafe(16)
        self.active.add(token)
        return 200, {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            **answer,
        }

    def _new_refresh_token(self) -> str:
        token = "refresh-" + secrets.token_urlsafe(16)
        self.refresh_tokens.add(token)
        return token

    def __enter__(self) -> FakeProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture(scope="module")
def module_provider() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def provider(module_provider: FakeProvider) -> FakeProvider:
    """The fake provider, as new (it is shared with the module's Dovecot, slow to stop)."""
    module_provider.reset()
    return module_provider


def oauth_env(provider: FakeProvider, **extra: str) -> dict[str, str]:
    return {
        "TRIAGE_IMAP_AUTH": "oauth2",
        "TRIAGE_IMAP_HOST": LOOPBACK,
        "TRIAGE_IMAP_SECURITY": "none",
        "TRIAGE_IMAP_USER": USER,
        "TRIAGE_SMTP_HOST": LOOPBACK,
        "TRIAGE_SMTP_SECURITY": "none",
        "TRIAGE_FROM": f"Jordan Avery <{USER}>",
        "TRIAGE_OAUTH2_TOKEN_URL": provider.url + "/token",
        "TRIAGE_OAUTH2_AUTH_URL": provider.url + "/authorize",
        "TRIAGE_OAUTH2_SCOPE": "mail offline_access",
        "TRIAGE_OAUTH2_CLIENT_ID": CLIENT_ID,
        "TRIAGE_OAUTH2_CLIENT_SECRET": CLIENT_SECRET,
        "TRIAGE_OAUTH2_REFRESH_TOKEN": REFRESH,
        **extra,
    }


def oauth_settings(provider: FakeProvider, **extra: str) -> Settings:
    return load_settings(oauth_env(provider, **extra), need=("imap", "smtp"))


def oauth_config(provider: FakeProvider, **extra: str) -> OAuth2:
    config = oauth_settings(provider, **extra).oauth2
    assert config is not None
    return config


def assert_no_secret(text: str, *more: str) -> None:
    for value in (*SECRETS, *more):
        assert value not in text, "a secret leaked"


# -- settings -----------------------------------------------------------------------------------


def test_presets_fill_in_endpoints_and_smtp_follows_imap() -> None:
    env = {
        "TRIAGE_IMAP_AUTH": "oauth2",
        "TRIAGE_IMAP_HOST": "outlook.office365.com",
        "TRIAGE_IMAP_USER": USER,
        "TRIAGE_SMTP_HOST": "smtp.office365.com",
        "TRIAGE_SMTP_SECURITY": "starttls",
        "TRIAGE_FROM": USER,
        "TRIAGE_OAUTH2_PROVIDER": "microsoft",
        "TRIAGE_OAUTH2_CLIENT_ID": CLIENT_ID,
        "TRIAGE_OAUTH2_REFRESH_TOKEN": REFRESH,
    }
    s = load_settings(env, need=("imap", "smtp"))
    assert s.oauth2 is not None
    assert s.oauth2.token_url.startswith("https://login.microsoftonline.com/")
    assert "offline_access" in s.oauth2.scope and "SMTP.Send" in s.oauth2.scope
    assert not s.oauth2.client_secret  # Microsoft public clients have none
    assert s.smtp.auth is Auth.OAUTH2 and s.smtp.user == USER  # follows IMAP's auth and login
    relay = load_settings({**env, "TRIAGE_SMTP_AUTH": "password"}, need=("imap", "smtp"))
    assert relay.smtp.auth is Auth.PASSWORD and relay.smtp.user == ""  # a relay without AUTH
    assert load_settings({"TRIAGE_DB_PATH": "/tmp/x"}).oauth2 is None
    google = load_settings(
        {**env, "TRIAGE_OAUTH2_PROVIDER": "google", "TRIAGE_OAUTH2_CLIENT_SECRET": CLIENT_SECRET},
        need=("oauth2",),
    )
    assert google.oauth2 is not None and google.oauth2.scope == "https://mail.google.com/"


def test_missing_oauth2_settings_are_reported_together_naming_them() -> None:
    env = {
        "TRIAGE_IMAP_AUTH": "oauth2",
        "TRIAGE_IMAP_HOST": "imap.gmail.com",
        "TRIAGE_IMAP_USER": USER,
        "TRIAGE_FROM": USER,
        "TRIAGE_OAUTH2_PROVIDER": "google",
        "TRIAGE_OAUTH2_AUTH_URL": "http://accounts.example.com/auth",
    }
    with pytest.raises(ConfigError) as info:
        load_settings(env, need=("imap", "oauth2"))
    text = str(info.value)
    for name in (
        "TRIAGE_OAUTH2_CLIENT_ID",
        "TRIAGE_OAUTH2_CLIENT_SECRET",
        "TRIAGE_OAUTH2_REFRESH_TOKEN",
        "TRIAGE_OAUTH2_AUTH_URL='http://accounts.example.com/auth' is not valid",
    ):
        assert name in text, name
    assert "TRIAGE_IMAP_PASSWORD" not in text  # OAuth2 needs no password
    with pytest.raises(ConfigError, match="TRIAGE_OAUTH2_PROVIDER='yahoo' is not valid"):
        load_settings({**env, "TRIAGE_OAUTH2_PROVIDER": "yahoo"})
    with pytest.raises(ConfigError, match="TRIAGE_IMAP_AUTH='kerberos' is not valid"):
        load_settings({**env, "TRIAGE_IMAP_AUTH": "kerberos"})


def test_secrets_may_come_from_the_credentials_directory(tmp_path: Path) -> None:
    (tmp_path / "oauth2-refresh-token").write_text("from-credential-rt\n")
    (tmp_path / "oauth2-client-secret").write_text("from-credential-cs\n")
    env = {
        "TRIAGE_IMAP_AUTH": "oauth2",
        "TRIAGE_OAUTH2_PROVIDER": "google",
        "TRIAGE_OAUTH2_CLIENT_ID": CLIENT_ID,
        "TRIAGE_OAUTH2_REFRESH_TOKEN": "from-env",
        "CREDENTIALS_DIRECTORY": str(tmp_path),
    }
    s = load_settings(env)
    assert s.oauth2 is not None
    assert s.oauth2.refresh_token.reveal() == "from-credential-rt"
    assert s.oauth2.client_secret.reveal() == "from-credential-cs"
    assert "from-credential" not in repr(s) and "from-env" not in repr(s)


# -- the token source ---------------------------------------------------------------------------


def test_access_token_is_kept_and_renewed_a_minute_before_it_expires(
    provider: FakeProvider,
) -> None:
    now = [1000.0]
    source = TokenSource(oauth_config(provider), clock=lambda: now[0])
    first = source.access_token()
    assert source.access_token() == first
    assert provider.token_forms == [
        {
            "grant_type": "refresh_token",
            "refresh_token": REFRESH,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
    ]
    now[0] += 3600 - 61  # 61 s left: still good
    assert source.access_token() == first and len(provider.token_forms) == 1
    now[0] += 2  # 59 s left: renewed
    second = source.access_token()
    assert second != first and len(provider.token_forms) == 2
    source.forget()  # a server refused it
    assert source.access_token() not in (first, second) and len(provider.token_forms) == 3


def test_missing_expires_in_means_an_hour(provider: FakeProvider) -> None:
    provider.expires_in = None
    now = [0.0]
    source = TokenSource(oauth_config(provider), clock=lambda: now[0])
    source.access_token()
    now[0] = 3600 - 61
    source.access_token()
    assert len(provider.token_forms) == 1


def test_a_rotated_refresh_token_is_used_and_reported_once(
    provider: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    provider.rotate = True
    now = [0.0]
    source = TokenSource(oauth_config(provider), clock=lambda: now[0])
    with caplog.at_level(logging.DEBUG, logger="triage"):
        for _ in range(3):
            source.access_token()
            now[0] += 3600
    used = [form["refresh_token"] for form in provider.token_forms]
    assert used[0] == REFRESH and len(set(used)) == 3  # each refresh used the newest one
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "triage auth" in warnings[0].getMessage()
    assert_no_secret(caplog.text, *used, *provider.refresh_tokens, *provider.active)


def test_errors_name_the_endpoint_but_never_a_secret(
    provider: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = oauth_config(provider)
    provider.refresh_tokens.clear()  # revoked
    provider.echo_secrets = True  # and the endpoint quotes it back
    source = TokenSource(config)
    with pytest.raises(OAuth2Error) as info:
        source.access_token()
    text = str(info.value)
    assert provider.url + "/token" in text and "invalid_grant" in text and "triage auth" in text
    assert_no_secret(text)
    assert_no_secret(repr(source) + repr(config) + repr(oauth_settings(provider)))

    provider.broken = True
    provider.refresh_tokens.add(REFRESH)
    with pytest.raises(OAuth2Error, match="did not answer with JSON"):
        TokenSource(config).access_token()

    closed = oauth_config(provider, TRIAGE_OAUTH2_TOKEN_URL=f"http://{LOOPBACK}:{free_port()}/t")
    with pytest.raises(OAuth2Error, match=r"token endpoint http://127\.0\.0\.1:\d+/t could not"):
        TokenSource(closed, timeout=5).access_token()
    assert_no_secret(caplog.text)


def test_xoauth2_string() -> None:
    assert xoauth2(USER, Secret("ya29.tok")) == f"user={USER}\x01auth=Bearer ya29.tok\x01\x01"


# -- triage auth: the loopback flow with PKCE ---------------------------------------------------


def play_browser(pages: list[str]) -> Any:
    """``announce`` for ``authorize``: open the URL as a browser would (following the
    provider's redirect back to triage's loopback server), in a thread."""

    def open_url(url: str) -> None:
        def run() -> None:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    pages.append(response.read().decode())
            except urllib.error.HTTPError as exc:  # triage's page for a failure
                pages.append(exc.read().decode())

        threading.Thread(target=run, daemon=True).start()

    return open_url


def test_loopback_flow_gets_a_refresh_token_with_pkce(provider: FakeProvider) -> None:
    pages: list[str] = []
    config = load_settings(oauth_env(provider), need=("oauth2",)).oauth2
    assert config is not None
    token = authorize(config, announce=play_browser(pages), login_hint=USER, timeout=10)
    assert token.reveal() in provider.refresh_tokens and token.reveal() != REFRESH
    query = provider.authorize_queries[0]
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"].startswith("http://127.0.0.1:") and query["login_hint"] == USER
    assert query["client_id"] == CLIENT_ID and query["scope"] == "mail offline_access"
    form = provider.token_forms[0]
    assert form["grant_type"] == "authorization_code" and form["client_secret"] == CLIENT_SECRET
    assert provider.codes == {}  # the code was redeemed (and PKCE checked) by the endpoint
    for _ in range(50):  # the browser's thread reads the page after the flow has ended
        if pages:
            break
        time.sleep(0.05)
    assert pages and "signed in" in pages[0]
    assert repr(token) == "<SECRET>"


def test_loopback_flow_reports_a_denial_and_a_wrong_state(provider: FakeProvider) -> None:
    config = oauth_config(provider)
    provider.deny = True
    with pytest.raises(OAuth2Error, match="access_denied: the user said no"):
        authorize(config, announce=play_browser([]), timeout=10)

    def forged(url: str) -> None:
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        play_browser([])(redirect + "?code=stolen&state=not-the-one")

    with pytest.raises(OAuth2Error, match="another state"):
        authorize(config, announce=forged, timeout=10)
    with pytest.raises(OAuth2Error, match="no answer from the browser within 1 s"):
        authorize(config, announce=lambda url: None, timeout=1)
    assert provider.token_forms == []  # nothing was exchanged


def _run_triage_auth(provider: FakeProvider, tmp_path: Path, *args: str) -> tuple[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env |= oauth_env(provider)
    del env["TRIAGE_OAUTH2_REFRESH_TOKEN"]  # what triage auth is for
    process = subprocess.Popen(
        [sys.executable, "-m", "triage", "auth", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:
            seen.append(line)
            if line.startswith(provider.url + "/authorize?"):
                play_browser([])(line.strip())
                break
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, "".join(seen) + err
    return out, "".join(seen) + err


def test_triage_auth_prints_the_token_only_to_stdout(
    provider: FakeProvider, tmp_path: Path
) -> None:
    out, err = _run_triage_auth(provider, tmp_path)
    token = out.strip()
    assert out == token + "\n" and token in provider.refresh_tokens
    assert token not in err and "TRIAGE_OAUTH2_REFRESH_TOKEN" in err


def test_triage_auth_writes_a_file_only_its_owner_reads(
    provider: FakeProvider, tmp_path: Path
) -> None:
    target = tmp_path / "refresh-token"
    target.write_text("old")
    target.chmod(0o644)
    out, err = _run_triage_auth(provider, tmp_path, "--write", str(target))
    token = target.read_text().strip()
    assert token in provider.refresh_tokens and out == ""
    assert target.stat().st_mode & 0o777 == 0o600
    assert token not in err and "LoadCredential=oauth2-refresh-token:" in err


# -- IMAP: Dovecot's oauth2 passdb asks the fake endpoint ---------------------------------------

DOVECOT_OAUTH2 = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = {host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = xoauth2
mail_location = maildir:{d}/mail/%u
default_login_user = nobody
default_internal_user = root
default_internal_group = root
first_valid_uid = 1
auth_failure_delay = 0
passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {d}/dovecot-oauth2.conf.ext
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={d}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
}}
# No growing delay for logins from an address that just failed one (the test fails one).
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""

INTROSPECTION = """\
introspection_mode = post
introspection_url = {url}/introspect
username_attribute = email
active_attribute = active
active_value = true
"""


class OAuth2Dovecot(DovecotServer):
    """The test Dovecot, but logging in only with XOAUTH2 tokens the fake provider vouches for."""

    def __init__(self, directory: Path, provider_url: str) -> None:
        super().__init__(directory)
        self.provider_url = provider_url

    def start(self) -> OAuth2Dovecot:
        d = self.dir
        for sub in ("run", "state", "mail", "home"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("mail", "home"):
            os.chown(d / sub, 65534, 65534)
        (d / "dovecot-oauth2.conf.ext").write_text(INTROSPECTION.format(url=self.provider_url))
        (d / "dovecot.conf").write_text(DOVECOT_OAUTH2.format(d=d, host=self.host, port=self.port))
        binary = dovecot_binary()
        assert binary is not None
        subprocess.run([binary, "-c", str(d / "dovecot.conf")], check=True, timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not listen on {self.port}: see {d}/dovecot.log")


@pytest.fixture(scope="module")
def oauth_dovecot(module_provider: FakeProvider) -> Iterator[OAuth2Dovecot]:
    if dovecot_binary() is None:
        if os.environ.get("TEST_REQUIRE_DOVECOT"):
            pytest.fail("dovecot is required here (TEST_REQUIRE_DOVECOT) but not installed")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    directory = Path(tempfile.mkdtemp(prefix="triage-dovecot-oauth2-"))
    directory.chmod(0o755)
    server = OAuth2Dovecot(directory, module_provider.url).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_imap_logs_in_with_xoauth2_at_dovecot(
    provider: FakeProvider, oauth_dovecot: OAuth2Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = oauth_settings(provider, TRIAGE_IMAP_PORT=str(oauth_dovecot.port))
    tokens = TokenSource(oauth_config(provider))
    with Mailbox(settings.imap, tokens=tokens, timeout=10) as box:
        assert box.open_folder("INBOX").exists == 0
    issued = tokens.access_token().reveal()
    assert provider.introspected == [issued]  # Dovecot checked exactly the token triage got

    provider.active.clear()  # the server no longer accepts it
    with pytest.raises(MailboxError, match=f"logging in as {USER} failed") as info:
        Mailbox(settings.imap, tokens=tokens, timeout=10).__enter__()
    assert_no_secret(str(info.value), issued)
    assert len(provider.token_forms) == 1
    with Mailbox(settings.imap, tokens=tokens, timeout=10) as box:  # forgot it, got a new one
        box.open_folder("INBOX")
    assert len(provider.token_forms) == 2
    assert_no_secret(caplog.text, issued, *provider.active)


def test_imap_reports_a_token_endpoint_failure_as_a_mailbox_error(
    provider: FakeProvider,
) -> None:
    provider.refresh_tokens.clear()
    settings = oauth_settings(provider, TRIAGE_IMAP_PORT=str(free_port()))
    with pytest.raises(MailboxError, match=r"no access token for .*invalid_grant") as info:
        Mailbox(settings.imap, tokens=TokenSource(oauth_config(provider))).__enter__()
    assert_no_secret(str(info.value))


# -- SMTP: aiosmtpd with an XOAUTH2 mechanism ---------------------------------------------------


class XOAuth2Handler:
    """Accepts XOAUTH2 with a token the fake provider issued; keeps what it received."""

    def __init__(self, provider: FakeProvider) -> None:
        self.provider = provider
        self.logins: list[str] = []
        self.messages: list[bytes] = []

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802
        if len(args) < 2:  # no initial response: smtplib always sends one
            return AuthResult(success=False, handled=False)
        decoded = base64.b64decode(args[1]).decode()
        self.logins.append(decoded)
        fields = dict(part.split("=", 1) for part in decoded.split("\x01") if part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        if fields.get("user") == USER and token in self.provider.active:
            return AuthResult(success=True, auth_data=USER)
        # As Gmail does: the error as a 334 challenge, an empty answer, then 535.
        await server.challenge_auth(json.dumps({"status": "401"}))
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def xoauth2_smtp(provider: FakeProvider) -> Iterator[tuple[XOAuth2Handler, int]]:
    handler = XOAuth2Handler(provider)
    port = free_port()
    controller = Controller(
        handler,
        hostname=LOOPBACK,
        port=port,
        auth_require_tls=False,
        auth_required=True,
        authenticator=lambda *args: AuthResult(success=False),
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


REPLY = Reply("Dana <dana@x.io>", "Re: Interview", "<m1@x.io>", ("<m1@x.io>",), "Hi\n", "<r1@me>")
ME = Address("Jordan Avery", USER)


def test_smtp_sends_the_xoauth2_string(
    provider: FakeProvider, xoauth2_smtp: tuple[XOAuth2Handler, int]
) -> None:
    handler, port = xoauth2_smtp
    settings = oauth_settings(provider, TRIAGE_SMTP_PORT=str(port))
    tokens = TokenSource(oauth_config(provider))
    Outbox(settings.smtp, tokens=tokens, timeout=10).send(build_email(REPLY, ME, datetime.now(UTC)))
    token = tokens.access_token()
    assert handler.logins == [f"user={USER}\x01auth=Bearer {token.reveal()}\x01\x01"]
    assert len(handler.messages) == 1

    provider.active.clear()
    with pytest.raises(OutboxError, match=r"refused the login .*OAuth2 token's scope") as info:
        Outbox(settings.smtp, tokens=tokens, timeout=10).send(
            build_email(REPLY, ME, datetime.now(UTC))
        )
    assert_no_secret(str(info.value), token.reveal())
    assert len(handler.messages) == 1
    assert tokens.access_token() != token  # the refused token was dropped
    assert len(provider.token_forms) == 2


def test_imap_and_smtp_share_one_token_through_the_wiring(
    provider: FakeProvider,
    oauth_dovecot: OAuth2Dovecot,
    xoauth2_smtp: tuple[XOAuth2Handler, int],
) -> None:
    handler, smtp_port = xoauth2_smtp
    settings = oauth_settings(
        provider, TRIAGE_IMAP_PORT=str(oauth_dovecot.port), TRIAGE_SMTP_PORT=str(smtp_port)
    )
    app._token_source.cache_clear()  # one source per OAuth2 client and process; a new process
    with app.mailbox_factory(settings)() as box:
        box.open_folder("INBOX")
    app.outbox_for(settings).send(build_email(REPLY, ME, datetime.now(UTC)))
    assert len(provider.token_forms) == 1 and len(handler.messages) == 1


@pytest.mark.parametrize(
    "answer",
    [
        b"garbage\r\n\r\n",  # no status line
        b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"a":',  # cut short
    ],
)
def test_a_garbled_answer_from_the_token_endpoint_is_an_oauth2_error(answer: bytes) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(answer)

        server = threading.Thread(target=serve)
        server.start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/token"
        with pytest.raises(OAuth2Error, match="token endpoint"):
            post_form(url, {"grant_type": "refresh_token"}, timeout=5)
        server.join(timeout=5)
