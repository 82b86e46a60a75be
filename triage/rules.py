"""Rule evidence for the classifier: named features, each a set of phrases and token patterns.

Data only (no spaCy here): ``classify.py`` compiles ``RULES`` into a spaCy ``PhraseMatcher`` and
``Matcher`` over lower-cased tokens. A rule counts once however often it matches; its weight
(log-odds style, positive for its label) is added to its label's total. Perspective matters: an
invitation addresses the reader as the candidate, so the wording of someone arranging interviews
of *other* people ("the candidate", "scorecard") counts against an invitation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triage.models import Label

Pattern = list[dict[str, Any]]


def _any(*words: str) -> dict[str, Any]:
    return {"LOWER": {"IN": list(words)}}


def _gap(n: int) -> dict[str, Any]:
    return {"OP": f"{{0,{n}}}"}


_MEETING = _any(
    "interview",
    "interviews",
    "call",
    "chat",
    "conversation",
    "screen",
    "screening",
    "meeting",
    "discussion",
    "round",
    "session",
    "video",
    "onsite",
    "on-site",
)


@dataclass(frozen=True)
class Rule:
    name: str
    label: Label
    weight: float
    phrases: tuple[str, ...] = ()
    patterns: tuple[Pattern, ...] = ()


RULES: tuple[Rule, ...] = (
    # -- an invitation addressed to the reader ------------------------------------------------
    Rule(
        "invites_you",
        Label.INVITE,
        3.0,
        patterns=(
            [
                _any("invite", "invited", "inviting"),
                {"LOWER": "you"},
                _any("to", "for"),
                _gap(6),
                _MEETING,
            ],
            [
                _any("like", "love", "want", "pleased", "happy", "delighted"),
                {"LOWER": "to"},
                _any("invite", "schedule", "arrange", "set", "book", "organise", "organize"),
                _gap(6),
                _MEETING,
            ],
            [
                {"LOWER": "move"},
                {"LOWER": "you"},
                _any("forward", "ahead", "on", "along"),
                _any("to", "in", "into", "with"),
                _gap(5),
                _MEETING,
            ],
        ),
    ),
    Rule(
        "asks_availability",
        Label.INVITE,
        3.0,
        phrases=(
            "your availability",
            "when are you available",
            "when would you be available",
            "are you available",
            "would you be available",
            "would you be free",
            "are you free",
            "what times work",
            "times that work",
            "windows that work",
            "a time that works",
            "when works for you",
            "what works for you",
            "which times work",
            "send me a few times",
            "send a few times",
            "let me know when you are free",
            "let me know when you're free",
            "free for a",
            "time to chat",
            "time for a call",
            "suggest another time",
            "suggest a time",
            "propose a time",
            "slots that work",
            "suits you best",
            "works best for you",
            "a few slots",
            "confirm a slot",
            "let me know which",
            "reply with the option",
            "reply with your preferred",
        ),
        patterns=(
            [
                _any("does", "would", "will", "do", "could"),
                _gap(16),
                _any("work", "suit"),
                {"LOWER": "for", "OP": "?"},
                {"LOWER": "you"},
            ],
            [
                _any("which", "what"),
                _any("time", "times", "slot", "slots", "day", "days", "option"),
                _gap(3),
                _any("work", "works", "suit", "suits", "best"),
            ],
        ),
    ),
    Rule(
        "scheduling_link",
        Label.INVITE,
        2.5,
        phrases=(
            "select a time",
            "pick a time",
            "book a time",
            "choose a time",
            "grab a time",
            "find a time",
            "book a slot",
            "choose a slot",
            "self-schedule",
            "schedule your interview",
            "scheduling link",
            "schedule a time",
            "book your interview",
            "schedule your call",
            "book a call",
            "sign up for a time",
        ),
    ),
    Rule(
        "next_stage",
        Label.INVITE,
        1.5,
        phrases=(
            "next round",
            "next stage",
            "first round",
            "final round",
            "second round",
            "next step in our process",
            "next steps in our process",
            "moving you forward",
            "move you forward",
            "like to move forward with you",
            "progress your application",
        ),
    ),
    Rule(
        "interview_format",
        Label.INVITE,
        1.0,
        phrases=(
            "phone screen",
            "phone interview",
            "video interview",
            "technical interview",
            "onsite interview",
            "on-site interview",
            "panel interview",
            "video call",
            "zoom",
            "google meet",
            "microsoft teams",
            "calendly",
            "hiring manager",
        ),
    ),
    Rule(
        "meet_you",
        Label.INVITE,
        1.0,
        phrases=(
            "speak with you",
            "chat with you",
            "meet with you",
            "talk with you",
            "meet you",
            "speaking with you",
            "talking to you",
            "interview with us",
            "come in for",
        ),
    ),
    Rule("interview_word", Label.INVITE, 0.5, phrases=("interview", "interviews", "entretien")),
    # -- moves or confirms an interview already arranged -------------------------------------
    Rule(
        "reschedule",
        Label.RESCHEDULE,
        3.5,
        phrases=(
            "need to reschedule",
            "have to reschedule",
            "reschedule your interview",
            "reschedule our",
            "move your interview",
            "push our call",
            "move our call",
            "new time for your interview",
            "postpone your interview",
            "postpone our",
        ),
    ),
    Rule(
        "confirmation",
        Label.CONFIRMATION,
        2.5,
        phrases=(
            "confirm your interview",
            "this confirms",
            "this is to confirm",
            "confirming your",
            "is confirmed",
            "looking forward to seeing you",
            "see you tomorrow",
        ),
    ),
    # -- not an invitation -----------------------------------------------------------------------
    Rule(
        "rejection",
        Label.REJECTION,
        5.0,
        phrases=(
            "regret to inform",
            "not to move forward",
            "not be moving forward",
            "won't be moving forward",
            "will not be moving forward",
            "decided not to proceed",
            "move forward with other",
            "moving forward with other",
            "move forward with another",
            "moving forward with another",
            "pursue other candidates",
            "other candidates whose",
            "not been selected",
            "were not selected",
            "position has been filled",
            "decided to go with another",
            "not able to offer you",
            "not progressing",
            "not to progress",
            "unable to offer you",
        ),
    ),
    Rule("unfortunately", Label.REJECTION, 2.0, phrases=("unfortunately",)),
    Rule(
        "acknowledged",
        Label.APPLICATION_ACK,
        3.5,
        phrases=(
            "received your application",
            "application has been received",
            "application has been submitted",
            "application was sent",
            "application was submitted",
            "if selected",
            "if you are selected",
            "if your qualifications",
            "if your skills",
            "if your experience",
            "under review",
            "reviewing your application",
            "will be in touch if",
            "we will contact you if",
            "should your profile",
        ),
    ),
    Rule(
        "thanks_for_applying",
        Label.APPLICATION_ACK,
        1.0,
        phrases=(
            "thank you for applying",
            "thanks for applying",
            "thank you for your application",
            "thank you for your interest",
        ),
    ),
    Rule(
        "assessment",
        Label.ASSESSMENT,
        3.0,
        phrases=(
            "coding challenge",
            "take-home",
            "take home assignment",
            "online assessment",
            "complete the assessment",
            "complete the test",
            "hackerrank",
            "codility",
            "coding test",
            "online test",
        ),
    ),
    Rule(
        "offer",
        Label.OFFER,
        4.5,
        phrases=(
            "pleased to offer",
            "offer letter",
            "extend an offer",
            "offer of employment",
            "verbal offer",
        ),
    ),
    Rule(
        "outreach",
        Label.OUTREACH,
        2.0,
        phrases=(
            "open to new opportunities",
            "interested in hearing more",
            "came across your profile",
            "exciting opportunity",
            "updated cv",
            "updated resume",
        ),
    ),
    Rule(
        "newsletter",
        Label.ALERT,
        3.5,
        phrases=(
            "unsubscribe",
            "job alert",
            "new jobs",
            "jobs matching",
            "recommended jobs",
            "manage your alerts",
            "email preferences",
            "view in browser",
            "tips to",
            "questions you'll be asked",
            "how to ace",
            "how to prepare for",
        ),
    ),
    Rule(
        "other_candidate",
        Label.OTHER,
        5.0,
        phrases=(
            "the candidate",
            "candidate's",
            "scorecard",
            "interview panel for",
            "debrief",
            "interview feedback",
            "submit your feedback",
            "on the panel",
            "sit on the",
            "join the panel",
        ),
    ),
    Rule(
        "not_job",
        Label.OTHER,
        4.0,
        phrases=(
            "webinar",
            "out of office",
            "automatic reply",
            "out of the office",
        ),
    ),
)

INVITE_LABELS = frozenset({Label.INVITE, Label.RESCHEDULE})
