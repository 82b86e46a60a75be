"""triage: never ignore an interview invitation.

Watches an IMAP folder, recognises interview invitations, drafts a threaded acceptance and holds
it for the user's approval. Nothing is sent until the user approves the draft.
"""

__version__ = "0.1.0"
