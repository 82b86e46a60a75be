"""Rule evidence for the classifier: named features, each a set of phrases, or of phrases near
each other.

Data only (no spaCy here): ``classify.py`` compiles ``RULES`` into one spaCy ``PhraseMatcher``
over lower-cased tokens. A rule counts once however often it matches. Its weight is used only
when no trained model is installed; normally each hit becomes a feature token the trained model
weighs for itself. Perspective matters: an invitation addresses the reader as the candidate, so
the wording of someone arranging interviews of *other* people ("the candidate", "scorecard")
points away from an invitation.
"""

from __future__ import annotations

from dataclasses import dataclass

from triage.models import Label

ASKS_REPLY = "asks_reply"  # the rule whose hit makes a confirmation need an answer

# The invite score at or above which a message is an invitation (TRIAGE_MIN_SCORE's default). Set
# for recall: the highest threshold whose F2 score (recall weighted twice) on the corpus's dev
# split is within 0.005 of the best, mean of three training seeds: 0.880 at 0.35, against 0.880
# at 0.2 and 0.3 and 0.873 at 0.4.
DEFAULT_MIN_SCORE = 0.35

INVITE_LABELS = frozenset({Label.INVITE, Label.RESCHEDULE})

# An invitation names the interview, the job or the hiring around it, unless it continues a thread
# that does. Mail with none of these words (and outside such a thread) must score at least
# ``NO_JOB_WORDS_MIN_SCORE`` to count: meetings, parties and sales calls use an invitation's
# phrases ("would you be free", "give me a call") without them.
NO_JOB_WORDS_MIN_SCORE = 0.6
# fmt: off
JOB_WORDS: tuple[str, ...] = (
    "interview", "interviews", "interviewing", "interviewed", "interviewer", "interviewers",
    "position", "positions", "role", "roles", "job", "jobs", "vacancy", "vacancies", "opening",
    "openings", "application", "applications", "applied", "apply", "applying", "applicant",
    "candidate", "candidates", "candidacy", "resume", "resumes", "résumé", "cv", "cvs",
    "recruiter", "recruiters", "recruiting", "recruitment", "hiring", "hire", "hired", "talent",
    "career", "careers", "opportunity", "opportunities", "internship", "internships", "intern",
    "interns", "offer", "salary", "compensation", "screen", "screening", "onsite", "on-site",
    "team", "first round", "second round", "next round", "final round", "head of", "entretien",
    "entretiens", "candidature", "candidat", "poste", "recrutement", "stage", "emploi",
    "vorstellungsgespräch", "bewerbungsgespräch", "bewerbung", "stelle", "entrevista",
    "entrevistas", "candidatura", "puesto", "vacante", "rozmowa", "rozmowę", "rozmowy",
    "rekrutacja", "rekrutacji", "stanowisko", "stanowiska", "sollicitatie", "sollicitatiegesprek",
    "vacature", "functie", "colloquio", "posizione",
)
# fmt: on

# Social occasions: with none of JOB_WORDS, a message that names one of these invites the reader
# to a party, not to an interview, however much it sounds like an invitation ("are you free
# Saturday?"); it counts only in a known interview thread.
# fmt: off
SOCIAL_WORDS: tuple[str, ...] = (
    "barbecue", "barbeque", "bbq", "birthday", "party", "wedding", "picnic", "potluck",
    "housewarming", "baby shower", "bridal shower", "anniversary", "reunion", "sleepover",
    "playdate", "book club", "game night", "movie night", "christening", "graduation party",
)
# fmt: on

_MEETING = (
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
    "visit",
)


# "interview" in the languages of JOB_WORDS, and the words their invitations use for one
_INTERVIEW_NOUNS = (
    "interview", "entretien", "entretiens", "vorstellungsgespräch", "bewerbungsgespräch",
    "gespräch", "kennenlerngespräch", "entrevista", "entrevistas", "colloquio", "colloqui",
    "sollicitatiegesprek", "gesprek", "kennismakingsgesprek", "rozmowę", "rozmowa", "rozmowy",
)  # fmt: skip


def _pairs(firsts: tuple[str, ...], seconds: tuple[str, ...], sep: str = " ") -> tuple[str, ...]:
    return tuple(f"{a}{sep}{b}" for a in firsts for b in seconds)


@dataclass(frozen=True)
class Near:
    """Fires when a ``first`` phrase is followed by a ``then`` phrase within ``window`` tokens."""

    first: tuple[str, ...]
    then: tuple[str, ...]
    window: int


@dataclass(frozen=True)
class Rule:
    name: str
    label: Label
    weight: float
    phrases: tuple[str, ...] = ()
    near: tuple[Near, ...] = ()


# fmt: off
RULES: tuple[Rule, ...] = (
    # -- an invitation addressed to the reader ------------------------------------------------
    Rule("invites_you", Label.INVITE, 3.0, near=(
        Near(_pairs(("invite", "invited", "inviting"), ("you to", "you for")), _MEETING, 7),
        Near(_pairs(("like", "love", "want", "pleased", "happy", "delighted"),
                    ("invite", "schedule", "arrange", "set", "book", "organise", "organize"),
                    " to "), _MEETING, 7),
        Near(_pairs(("move", "moving"), ("you forward", "you ahead", "you on", "you along")),
             _MEETING, 7),
    )),
    Rule("asks_availability", Label.INVITE, 3.0, phrases=(
        "your availability", "when are you available", "when would you be available",
        "are you available", "would you be available", "would you be free", "are you free",
        "what times work", "times that work", "windows that work", "a time that works",
        "when works for you", "what works for you", "which times work",
        "send me a few times", "send a few times", "let me know when you are free",
        "let me know when you're free", "free for a", "time to chat", "time for a call",
        "suggest another time", "suggest a time", "propose a time", "slots that work",
        "suits you best", "works best for you", "a few slots", "confirm a slot",
        "let me know which", "reply with the option", "reply with your preferred",
        "how about", "can you do", "best number to reach you", "give me a call", "call me at",
        "let me know what works", "days that work", "time slots", "what time works",
        "convenient time", "at your convenience", "times and dates", "a good time",
    ), near=(
        Near(("does", "would", "will", "do", "could"),
             ("work for you", "works for you", "suit you", "suits you"), 16),
        Near(_pairs(("which", "what"), ("time", "times", "slot", "slots", "day", "days", "option")),
             ("work", "works", "suit", "suits", "best"), 4),
    )),
    Rule("you_are_interviewed", Label.INVITE, 2.5, near=(
        Near(("schedule you", "interview you", "get you in", "bring you in", "have you come",
              "have you in", "set you up", "line you up", "book you", "fly you", "invite you",
              "meet you", "speak with you", "talk to you", "see you"),
             (*_MEETING, "team", "office", "us", "group", "manager"), 6),
    )),
    Rule("scheduling_link", Label.INVITE, 2.5, phrases=(
        "select a time", "pick a time", "book a time", "choose a time", "grab a time",
        "find a time", "book a slot", "choose a slot", "self-schedule", "schedule your interview",
        "scheduling link", "schedule a time", "book your interview", "schedule your call",
        "book a call", "sign up for a time",
    )),
    Rule("next_stage", Label.INVITE, 1.5, phrases=(
        "next round", "next stage", "first round", "final round", "second round",
        "next step in our process", "next steps in our process", "moving you forward",
        "move you forward", "like to move forward with you", "progress your application",
    )),
    Rule("interview_format", Label.INVITE, 1.0, phrases=(
        "phone screen", "phone interview", "video interview", "technical interview",
        "onsite interview", "on-site interview", "panel interview", "video call",
        "zoom", "google meet", "microsoft teams", "calendly", "hiring manager",
    )),
    Rule("meet_you", Label.INVITE, 1.0, phrases=(
        "speak with you", "chat with you", "meet with you", "talk with you", "meet you",
        "speaking with you", "talking to you", "interview with us", "come in for",
    )),
    # -- the same in the other languages of JOB_WORDS (fr, de, es, pt, it, nl, pl) ---------------
    Rule("invites_you_translated", Label.INVITE, 3.0, near=(
        Near(("vous inviter", "vous convier", "vous invitons", "t'inviter", "sie einladen",
              "laden sie", "laden wir sie", "dich einladen", "laden dich", "te invitamos",
              "le invitamos", "invitarte", "invitarle", "invitarlo", "invitarla", "invitarti",
              "convidá-lo", "convidá-la", "convidar você", "te convidar", "convidamos",
              "uitnodigen", "nodigen je", "nodigen u", "zaprosić", "zapraszamy", "pan zaprosić"),
             _INTERVIEW_NOUNS, 8),
    )),
    Rule("asks_availability_translated", Label.INVITE, 3.0, phrases=(
        "vos disponibilités", "tes disponibilités", "êtes-vous disponible",
        "seriez-vous disponible", "es-tu disponible", "ihre verfügbarkeit", "deine verfügbarkeit",
        "haben sie zeit", "hast du zeit", "passt es ihnen", "passt ihnen", "tu disponibilidad",
        "su disponibilidad", "estás disponible", "está disponible", "te acomoda", "le acomoda",
        "sua disponibilidade", "você pode vir", "você está disponível", "sue disponibilità",
        "tue disponibilità", "è disponibile", "sei disponibile", "uw beschikbaarheid",
        "je beschikbaarheid", "schikt het", "past het u", "znajdzie pan czas",
        "znajdzie pani czas", "twoją dostępność", "pana dostępność", "pani dostępność",
    )),
    Rule("interview_word", Label.INVITE, 0.5, phrases=("interview", "interviews",
                                                       *_INTERVIEW_NOUNS[1:])),
    # -- moves or confirms an interview already arranged -------------------------------------
    Rule("reschedule", Label.RESCHEDULE, 3.5, phrases=(
        "need to reschedule", "have to reschedule", "reschedule your interview",
        "reschedule our", "move your interview", "push our call", "move our call",
        "new time for your interview", "postpone your interview", "postpone our",
    )),
    Rule("confirmation", Label.CONFIRMATION, 2.5, phrases=(
        "confirm your interview", "this confirms", "this is to confirm", "confirming your",
        "is confirmed", "looking forward to seeing you", "see you tomorrow",
    )),
    Rule(ASKS_REPLY, Label.CONFIRMATION, 1.0, phrases=(
        "reply to confirm", "please confirm", "confirm that you", "confirm you can",
        "confirm your attendance", "let us know if you can make", "rsvp",
    )),
    # -- not an invitation -----------------------------------------------------------------------
    Rule("rejection", Label.REJECTION, 5.0, phrases=(
        "regret to inform", "not to move forward", "not be moving forward",
        "won't be moving forward", "will not be moving forward", "decided not to proceed",
        "move forward with other", "moving forward with other", "move forward with another",
        "moving forward with another", "pursue other candidates", "other candidates whose",
        "not been selected", "were not selected", "position has been filled",
        "decided to go with another", "not able to offer you", "not progressing",
        "not to progress", "unable to offer you",
    )),
    Rule("unfortunately", Label.REJECTION, 2.0, phrases=("unfortunately",)),
    Rule("acknowledged", Label.APPLICATION_ACK, 3.5, phrases=(
        "received your application", "application has been received",
        "application has been submitted", "application was sent", "application was submitted",
        "if selected", "if you are selected", "if your qualifications", "if your skills",
        "if your experience", "under review", "reviewing your application", "will be in touch if",
        "we will contact you if", "should your profile", "if your background", "if your profile",
        "being reviewed", "will review your application", "received your resume",
        "received your cv", "keep your resume on file", "retain your resume",
        # fr, de, es, nl, it, pl
        "bien reçu votre candidature", "bien reçu ta candidature", "examiner votre candidature",
        "analyser votre candidature", "étudier votre candidature", "ihre bewerbung erhalten",
        "ihre bewerbung ist eingegangen", "deine bewerbung erhalten", "hemos recibido tu",
        "hemos recibido su", "je sollicitatie ontvangen", "uw sollicitatie ontvangen",
        "ricevuto la tua candidatura", "otrzymaliśmy twoje", "otrzymaliśmy pani",
    )),
    Rule("thanks_for_applying", Label.APPLICATION_ACK, 1.0, phrases=(
        "thank you for applying", "thanks for applying", "thank you for your application",
        "thank you for your interest", "merci d'avoir postulé", "merci d’avoir postulé",
        "merci pour votre candidature", "merci de votre candidature", "danke für ihre bewerbung",
        "danke für deine bewerbung", "gracias por tu candidatura", "gracias por postularte",
        "bedankt voor je sollicitatie", "grazie per la candidatura", "dziękujemy za aplikację",
    )),
    Rule("assessment", Label.ASSESSMENT, 3.0, phrases=(
        "coding challenge", "take-home", "take home assignment", "online assessment",
        "complete the assessment", "complete the test", "hackerrank", "codility",
        "coding test", "online test",
    )),
    Rule("offer", Label.OFFER, 4.5, phrases=(
        "pleased to offer", "offer letter", "extend an offer", "offer of employment",
        "verbal offer",
    )),
    Rule("outreach", Label.OUTREACH, 2.0, phrases=(
        "open to new opportunities", "interested in hearing more", "came across your profile",
        "exciting opportunity", "updated cv", "updated resume",
    )),
    Rule("newsletter", Label.ALERT, 3.5, phrases=(
        "unsubscribe", "job alert", "new jobs", "jobs matching", "recommended jobs",
        "manage your alerts", "email preferences", "view in browser", "tips to",
        "questions you'll be asked", "how to ace", "how to prepare for",
    )),
    Rule("other_candidate", Label.OTHER, 5.0, phrases=(
        "the candidate", "candidate's", "scorecard", "interview panel for", "debrief",
        "interview feedback", "submit your feedback", "on the panel", "sit on the",
        "join the panel",
    )),
    Rule("someone_else", Label.OTHER, 3.0, phrases=(
        "interview him", "interview her", "interview them", "interviewed him", "interviewed her",
        "his resume", "her resume", "his cv", "her cv", "meet him", "meet her", "with him",
        "with her", "the candidates", "candidates for", "he is available", "she is available",
        "he would like", "she would like", "his availability", "her availability",
        "their availability", "for the interviews", "interview schedule",
    )),
    Rule("written_by_candidate", Label.OTHER, 3.0, phrases=(
        "my resume", "my cv", "i applied", "i have applied", "my application", "i interviewed",
        "thank you for the interview", "thank you for interviewing me", "attached is my",
        "i would welcome the opportunity", "i am writing to", "position i applied",
    )),
    # An auto-reply speaks of its writer's absence in the first person and the present; "sorry,
    # I have been out of the office" or "our manager is out of the office until Monday" is a
    # person's note, common in real invitations.
    Rule("not_job", Label.OTHER, 4.0, phrases=(
        "webinar", "out of office", "automatic reply", "i'm out of the office",
        "i am out of the office", "i will be out of the office", "i'll be out of the office",
        "i am currently out", "i'm currently out", "limited access to email",
        "no access to email", "limited access to my email",
    )),
)
# fmt: on
