"""The TLS context of every connection triage makes to a mail server (IMAP and SMTP alike)."""

from __future__ import annotations

import ssl
from pathlib import Path


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Certificate and host-name verification on, with the system CAs plus ``ca_file``."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context
