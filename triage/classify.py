"""Interview-invitation detection with spaCy (imported by this module, tokenizer, training and
when only; the commands that do not classify never load it).

Two kinds of evidence meet in one spaCy ``Doc``:
- rules (``rules.RULES``): phrases, and pairs of phrases near each other, matched by one
  ``PhraseMatcher`` over lower-cased tokens; each rule that fires is appended to the doc as a
  feature token ``rule_<name>``;
- a trained ``textcat`` (bag of words and bigrams, shipped in ``triage/model/``) reads the doc,
  rule tokens included, so it has learnt how far to trust each rule.

The verdict is the most probable label; ``score`` is P(invite) + P(reschedule), and a message is
an invitation when the score reaches ``min_score`` (default chosen for recall), or when it
confirms an interview and asks for an answer. Without a trained model (a broken install), the
rule weights alone decide. Pure: loading reads the model once; classifying does no I/O.
"""

from __future__ import annotations

import enum
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import spacy
from spacy.attrs import IS_ALPHA, ORTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from triage.errors import TriageError
from triage.models import Label, Message, Verdict
from triage.rules import (
    ASKS_REPLY,
    DEFAULT_MIN_SCORE,
    INVITE_LABELS,
    JOB_WORDS,
    NO_JOB_WORDS_MIN_SCORE,
    RULES,
    SOCIAL_WORDS,
    Rule,
)
from triage.tokenizer import ORIGINAL, Words

MODEL_DIR = Path(__file__).parent / "model"
VOCABULARY = "vocabulary.txt"  # in the model folder: the words the model reads, one per line
MAX_CHARS = 6_000  # the newest part of an invitation says what it is in its first page
_RULE_BIAS = 1.0  # rules-only: evidence an invitation needs beyond what speaks against it
_JOB_WORDS = "job_words"  # the PhraseMatcher key of rules.JOB_WORDS (not a feature: a gate)
_SOCIAL_WORDS = "social_words"  # the key of rules.SOCIAL_WORDS (a gate too)
# The rules (``rules.RULES``) that say an interview is confirmed, besides the model's label
_CONFIRMED = frozenset({"confirmation", "interview_word"})
RULE_PREFIX = "rule_"  # a rule's hit reaches the model as this prefix and the rule's name


def model_words(words: Iterable[str], vocabulary: frozenset[str] | None) -> list[str]:
    """What the model reads of a message's ``words``: those of ``vocabulary`` (all when it is
    None) and every rule token, in order; ``<empty>`` when nothing is left."""
    kept = [w for w in words if vocabulary is None or w in vocabulary or w.startswith(RULE_PREFIX)]
    return kept or ["<empty>"]


class Topic(enum.Enum):
    """What the words of a message say it is about, whatever its phrasing (a gate, not a
    feature of the model)."""

    JOB = "job"  # a word of rules.JOB_WORDS
    SOCIAL = "social"  # no job word, and a social occasion (rules.SOCIAL_WORDS)
    NONE = "none"  # neither


# The score an invitation needs, by topic, when it does not continue a known interview thread
# (and at least TRIAGE_MIN_SCORE); no score reaches infinity.
_NEEDED = {Topic.NONE: NO_JOB_WORDS_MIN_SCORE, Topic.SOCIAL: math.inf}


def _no_thread() -> bool:
    return False


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True)
class Scores:
    """A message's label probabilities, the rules that fired (with their first wording) and its
    topic: all a verdict needs besides the threshold."""

    cats: dict[Label, float]
    fired: dict[str, str]
    topic: Topic


@dataclass(frozen=True)
class Classifier:
    """A tokenizer, compiled rules and (normally) a trained textcat; see ``load_classifier``."""

    nlp: Language
    phrases: PhraseMatcher
    rules: dict[str, Rule]
    min_score: float
    trained: bool
    vocabulary: frozenset[str] | None = field(default=None, repr=False)  # None: every word

    def featurize(self, subject: str, body: str) -> tuple[Doc, dict[str, str], Topic]:
        """The doc the textcat reads, the rules that fired (each with its first wording), and
        what the text is about (see ``Topic``)."""
        # Lower-cased: the bag-of-words model keys on exact token text, and real mail comes in
        # every casing (all-lower notes, ALL-CAPS headings).
        doc = self.nlp.make_doc(f"{subject}\n\n{body[:MAX_CHARS]}".lower())
        fired: dict[str, str] = {}
        gates: set[str] = set()  # which of the gate word lists matched
        spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for match_id, start, end in sorted(self.phrases(doc), key=lambda m: m[1]):
            key = self.nlp.vocab.strings[match_id]
            if key in (_JOB_WORDS, _SOCIAL_WORDS):
                gates.add(key)
            elif "#" in key:  # one side of a Near clause: combined below
                spans[key].append((start, end))
            else:
                fired.setdefault(key, _written(doc, start, end))
        for name, rule in self.rules.items():
            for index, near in enumerate(rule.near):
                hit = _near(spans[f"{name}#{index}a"], spans[f"{name}#{index}b"], near.window)
                if hit is not None and name not in fired:
                    fired[name] = _written(doc, *hit)
        # The model reads words only (and question marks): numbers, dates, punctuation runs,
        # addresses and links say more about a mail client's style than about an invitation.
        # Each word once, where it first appears: presence, not counts, so a long, wordy mail
        # ("the", "we", "will" forty times) does not drown the few words that decide.
        # Words outside the training vocabulary (names, companies, typos) are left out: the
        # model cannot learn an invitation by its sender's name.
        # (Read as hashes from one array: a Token object per word costs a third of the time.)
        orth, alpha = doc.to_array([ORTH, IS_ALPHA]).T.tolist()
        strings = self.nlp.vocab.strings
        question = strings["?"]
        keys = dict.fromkeys(h for h, a in zip(orth, alpha, strict=True) if a or h == question)
        words = [strings[h] for h in keys] + [f"{RULE_PREFIX}{name}" for name in sorted(fired)]
        doc = Doc(self.nlp.vocab, words=model_words(words, self.vocabulary))
        topic = (
            Topic.JOB
            if _JOB_WORDS in gates
            else Topic.SOCIAL
            if _SOCIAL_WORDS in gates
            else Topic.NONE
        )
        return doc, fired, topic

    def classify(
        self, message: Message, *, known_thread: Callable[[], bool] = _no_thread
    ) -> Verdict:
        """The verdict on ``message``. ``known_thread`` answers whether it replies to a thread
        holding an interview triage has already detected (so it need not name the job again);
        it is asked only when the answer decides the verdict."""
        return self.classify_text(message.subject, message.text, known_thread=known_thread)

    def classify_text(
        self, subject: str, body: str, *, known_thread: Callable[[], bool] = _no_thread
    ) -> Verdict:
        return self.decide(self.scores(subject, body), known_thread=known_thread)

    def scores(self, subject: str, body: str) -> Scores:
        """What the words say, before any threshold (the costly part of classifying)."""
        doc, fired, topic = self.featurize(subject, body)
        cats = self._textcat(doc) if self.trained else self._rule_scores(fired)
        return Scores(cats=cats, fired=fired, topic=topic)

    def decide(
        self,
        scores: Scores,
        *,
        known_thread: Callable[[], bool] = _no_thread,
        min_score: float | None = None,
    ) -> Verdict:
        """The verdict on ``scores`` at ``min_score`` (default: the classifier's own)."""
        if min_score is None:
            min_score = self.min_score
        cats, fired, topic = scores.cats, scores.fired, scores.topic
        label = max(cats, key=cats.__getitem__)
        score = round(cats[Label.INVITE] + cats[Label.RESCHEDULE], 4)
        needed = max(min_score, _NEEDED.get(topic, 0.0))
        in_thread = min_score <= score < needed and known_thread()
        if in_thread:
            needed = min_score
        is_invite = score >= needed
        if is_invite and label not in INVITE_LABELS:
            label = max(INVITE_LABELS, key=cats.__getitem__)
        elif not is_invite and label in INVITE_LABELS:  # the label agrees with the verdict
            label = max((lbl for lbl in Label if lbl not in INVITE_LABELS), key=cats.__getitem__)
        elif ASKS_REPLY in fired and (
            label is Label.CONFIRMATION
            or (label is Label.OTHER and not is_invite and _CONFIRMED.issubset(fired))
        ):
            # A confirmation that waits for the reader's answer, of an interview: the words
            # say it is about a job, or it continues a thread with one (not a barbecue). The
            # rules that an interview is confirmed and an answer asked ("your interview ... is
            # confirmed", "reply to confirm") say so when the model sees nothing in particular
            # ("other"; not a rejection, nor an invitation it already counts).
            is_invite = topic is Topic.JOB or known_thread()
            label = Label.CONFIRMATION if is_invite else label
        evidence = [
            f"rule {name} ({self.rules[name].label.value}): {phrase!r}"
            for name, phrase in fired.items()
        ]
        if in_thread:
            evidence.append("replies to a thread with an interview triage already detected")
        elif topic is Topic.SOCIAL:
            evidence.append("a social occasion and no word of a job search: not an interview")
        elif topic is Topic.NONE:
            evidence.append(f"no word of a job search: an invitation needs score {needed:.2f}")
        top = sorted(cats.items(), key=lambda kv: -kv[1])[:3]
        evidence.append("scores " + ", ".join(f"{lbl.value} {p:.2f}" for lbl, p in top))
        return Verdict(label=label, score=score, is_invite=is_invite, evidence=tuple(evidence))

    def _textcat(self, doc: Doc) -> dict[Label, float]:
        for _, component in self.nlp.pipeline:  # tok2vec (if any), then textcat
            doc = component(doc)
        return {label: float(doc.cats.get(label.value, 0.0)) for label in Label}

    def _rule_scores(self, fired: dict[str, str]) -> dict[Label, float]:
        """Rules only: the evidence per label turned into pseudo-probabilities."""
        totals: dict[Label, float] = defaultdict(float)
        for name in fired:
            totals[self.rules[name].label] += self.rules[name].weight
        invite = max(totals[lbl] for lbl in INVITE_LABELS)
        against = max((v for lbl, v in totals.items() if lbl not in INVITE_LABELS), default=0.0)
        p_invite = _logistic(invite - against - _RULE_BIAS)
        best_invite = max(INVITE_LABELS, key=lambda lbl: totals[lbl])
        best_other = (
            max((lbl for lbl in Label if lbl not in INVITE_LABELS), key=lambda lbl: totals[lbl])
            if against > 0
            else Label.OTHER
        )
        cats = dict.fromkeys(Label, 0.0)
        cats[best_invite] = p_invite
        cats[best_other] = 1.0 - p_invite
        return cats


def _written(doc: Doc, start: int, end: int) -> str:
    """The words ``doc[start:end]`` as the mail wrote them (the doc may show unknown words as
    ``tokenizer.UNKNOWN``)."""
    original: list[str] | None = doc.user_data.get(ORIGINAL)
    return " ".join(original[start:end]) if original is not None else doc[start:end].text


def _near(
    firsts: Sequence[tuple[int, int]], thens: Sequence[tuple[int, int]], window: int
) -> tuple[int, int] | None:
    """(start, end) of the first ``then`` span beginning within ``window`` tokens after a
    ``first`` span ends, or None."""
    for a_start, a_end in firsts:
        for b_start, b_end in thens:
            if a_end <= b_start <= a_end + window:
                return a_start, b_end
    return None


def _compile(
    nlp: Language,
    min_score: float,
    *,
    trained: bool,
    vocabulary: frozenset[str] | None = None,
) -> Classifier:
    nlp.tokenizer = Words(nlp.vocab)  # rules, training and run time cut text alike
    patterns: dict[str, list[Doc]] = {
        _JOB_WORDS: [nlp.make_doc(text) for text in JOB_WORDS],
        _SOCIAL_WORDS: [nlp.make_doc(text) for text in SOCIAL_WORDS],
    }
    for rule in RULES:
        if rule.phrases:
            patterns[rule.name] = [nlp.make_doc(text) for text in rule.phrases]
        for index, near in enumerate(rule.near):
            patterns[f"{rule.name}#{index}a"] = [nlp.make_doc(t) for t in near.first]
            patterns[f"{rule.name}#{index}b"] = [nlp.make_doc(t) for t in near.then]
    phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
    for key, docs in patterns.items():
        phrases.add(key, docs)
    if vocabulary is not None:  # only the words the rules or the model use reach a doc
        rule_words = {token.lower_ for docs in patterns.values() for doc in docs for token in doc}
        nlp.tokenizer = Words(nlp.vocab, known=vocabulary | rule_words)
    return Classifier(
        nlp=nlp,
        phrases=phrases,
        rules={rule.name: rule for rule in RULES},
        min_score=min_score,
        trained=trained,
        vocabulary=vocabulary,
    )


def rules_only(
    min_score: float = DEFAULT_MIN_SCORE, vocabulary: frozenset[str] | None = None
) -> Classifier:
    """A classifier from the rules alone (used to build training docs, and as the fallback)."""
    return _compile(spacy.blank("en"), min_score, trained=False, vocabulary=vocabulary)


def load_classifier(
    min_score: float = DEFAULT_MIN_SCORE, model_dir: Path = MODEL_DIR
) -> Classifier:
    """Load the shipped pipeline (about half a second) and compile the rules.

    Raises ``TriageError`` when the model folder exists but cannot be loaded.
    """
    if not (model_dir / "config.cfg").is_file():
        return rules_only(min_score)
    try:
        nlp = spacy.load(model_dir)
    except (OSError, ValueError) as exc:
        raise TriageError(
            f"the detector model in {model_dir} cannot be loaded ({exc}); "
            "reinstall triage or rebuild it with 'triage train'"
        ) from exc
    words = model_dir / VOCABULARY
    vocabulary = frozenset(words.read_text("utf-8").split()) if words.is_file() else None
    return _compile(nlp, min_score, trained=True, vocabulary=vocabulary)
