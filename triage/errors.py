"""The exceptions triage raises, and only these cross module boundaries.

    TriageError                 anything the user can act on; the CLI prints it and exits 1
    ├── ConfigError             one or more settings are missing or malformed (all listed at once)
    ├── MailboxError            the IMAP server could not be reached or refused a command
    ├── OutboxError             the SMTP server could not be reached or refused the message
    ├── OAuth2Error             the OAuth2 token endpoint could not be reached or said no
    ├── StoreError              the SQLite database could not be opened or written
    ├── RenderError             a reply template is missing or failed to render
    └── QueueError              a queue command does not apply (unknown id, wrong state)

Adapters translate third-party exceptions into these with ``raise ... from exc``; nothing above an
adapter catches a third-party exception. Messages never contain secrets.
"""

from __future__ import annotations


class TriageError(Exception):
    """Base class: a problem the user can do something about."""


class ConfigError(TriageError):
    """Settings are wrong. ``problems`` lists every one, each naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the configuration has {len(self.problems)} problem(s):\n{lines}")


class MailboxError(TriageError):
    """The IMAP server could not be reached, refused the login, or failed a command.
    ``login_refused``: the server said no to the login (a setting to fix, not an outage)."""

    def __init__(self, message: str, *, login_refused: bool = False) -> None:
        super().__init__(message)
        self.login_refused = login_refused


class OutboxError(TriageError):
    """The SMTP server could not be reached or did not accept the message. ``not_sent``: the
    server answered no, or was never reached, so nothing can have gone out (else, a connection
    lost mid-way, the message may or may not have been taken)."""

    def __init__(self, message: str, *, not_sent: bool = False) -> None:
        super().__init__(message)
        self.not_sent = not_sent


class OAuth2Error(TriageError):
    """The OAuth2 token endpoint could not be reached or refused the grant (``triage auth``, or
    an access token for IMAP/SMTP, where the adapters wrap it in their own error)."""


class StoreError(TriageError):
    """The queue database could not be opened, migrated or written."""


class RenderError(TriageError):
    """A reply template is missing, has a syntax error, or uses an undefined variable."""


class QueueError(TriageError):
    """A queue command names an unknown item or one in a state it does not apply to."""
