"""Mail servers on 127.0.0.1 for the demo and the tests: pymap (IMAP, in memory) and aiosmtpd.

Both run inside this process on their own event-loop threads, start in well under a second and
stop when their ``with`` block ends. They accept plaintext connections on loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import ssl
import threading
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from aiosmtpd.controller import Controller
from pymap.backend import backends
from pymap.service import services

from triage.errors import TriageError

LOOPBACK = "127.0.0.1"

# The servers log every command (aiosmtpd at INFO, pymap at DEBUG with the LOGIN line); the demo
# and the tests need only their warnings.
logging.getLogger("mail.log").setLevel(logging.WARNING)
logging.getLogger("pymap").setLevel(logging.WARNING)


class ImapLogin(Protocol):
    """An IMAP account on a local server: ``PymapServer``, or a test's Dovecot mailbox."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def user(self) -> str: ...
    @property
    def password(self) -> str: ...


def local_environ(imap: ImapLogin, smtp: SmtpSink, sender: str, db_path: Path) -> dict[str, str]:
    """The settings of a ``triage`` pointed at local servers (plaintext: loopback only)."""
    return {
        "TRIAGE_IMAP_HOST": imap.host,
        "TRIAGE_IMAP_PORT": str(imap.port),
        "TRIAGE_IMAP_USER": imap.user,
        "TRIAGE_IMAP_PASSWORD": imap.password,
        "TRIAGE_IMAP_SECURITY": "none",
        "TRIAGE_SMTP_HOST": smtp.host,
        "TRIAGE_SMTP_PORT": str(smtp.port),
        "TRIAGE_SMTP_SECURITY": "none",
        "TRIAGE_FROM": sender,
        "TRIAGE_DB_PATH": str(db_path),
    }


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class PymapServer:
    """pymap's in-memory ``dict`` backend with one user, on a free loopback port."""

    def __init__(self, user: str = "demouser", password: str = "demopass") -> None:  # noqa: S107
        self.host = LOOPBACK
        self.port = free_port()
        self.user = user
        self.password = password
        self._loop: asyncio.AbstractEventLoop | None = None  # made by the server's thread
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pymap", daemon=True)

    def _args(self) -> argparse.Namespace:
        parser = argparse.ArgumentParser(add_help=False)
        parser.add_argument("--debug", action="store_true")
        parser.set_defaults(skip_services=[], passlib_cfg=None)
        subparsers = parser.add_subparsers(dest="backend", required=True)
        backend_type = backends["dict"]
        backend_type.add_subparser("dict", subparsers).set_defaults(backend_type=backend_type)
        services["imap"].add_arguments(parser)
        return parser.parse_args(
            [
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--no-tls",
                "dict",
                "--demo-user",
                self.user,
                "--demo-password",
                self.password,
            ]
        )

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        args = self._args()
        backend, config = await args.backend_type.init(args)
        config.apply_context()
        service = services["imap"](backend, config)
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            await service.start(stack)
            self._ready.set()
            await self._stop.wait()

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to the starting thread  # noqa: BLE001
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    def start(self) -> PymapServer:
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            self.stop()  # a server half started is not left running
            raise TriageError(f"the demo IMAP server (pymap) did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and self._thread.is_alive():
            loop.call_soon_threadsafe(stop.set)
        self._thread.join(10)

    def __enter__(self) -> PymapServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass
class Received:
    """One message as the SMTP server took it."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class _SinkHandler:
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                bytes(envelope.original_content or envelope.content),
            )
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """An aiosmtpd server that keeps every message it receives in ``received``."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.host = LOOPBACK
        self.port = free_port()
        self._handler = _SinkHandler()
        self._controller = Controller(
            self._handler, hostname=self.host, port=self.port, ssl_context=ssl_context
        )

    @property
    def received(self) -> list[Received]:
        return self._handler.received

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._controller.stop()
