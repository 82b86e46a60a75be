"""Interview-invitation detection with spaCy. The only module that imports spaCy.

``Classifier.classify(message)`` reads the subject and the newest part of the body (quoted history
and signature already removed by ``parse``), finds the phrase evidence of ``rules.PHRASES`` with a
``PhraseMatcher`` and a ``Matcher`` over lower-cased tokens of a blank English pipeline, and
turns the per-label sums
into a ``Verdict``: the label with the most evidence, an invite score in 0..1, and the phrases that
decided it. Pure: loading builds the pipeline in memory; classifying does no I/O.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher

from triage.models import Label, Message, Verdict
from triage.rules import INVITE_LABELS, RULES, Rule

_BIAS = 1.0  # evidence an invitation needs beyond what speaks against it
_MAX_CHARS = 20_000  # the newest part of any real invitation is far shorter


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True)
class Classifier:
    """A compiled pipeline and matchers; build it once with ``load_classifier``."""

    nlp: Language
    phrases: PhraseMatcher
    patterns: Matcher
    rules: dict[str, Rule]
    min_score: float

    def classify(self, message: Message) -> Verdict:
        return self.classify_text(message.subject, message.text)

    def evidence(self, subject: str, body: str) -> dict[str, str]:
        """The rules that fire on the text, each with the first wording that matched it."""
        doc = self.nlp.make_doc(f"{subject}\n\n{body[:_MAX_CHARS]}")
        fired: dict[str, str] = {}
        for match_id, start, end in sorted(
            [*self.phrases(doc), *self.patterns(doc)], key=lambda m: m[1]
        ):
            fired.setdefault(self.nlp.vocab.strings[match_id], doc[start:end].text.lower())
        return fired

    def classify_text(self, subject: str, body: str) -> Verdict:
        fired = self.evidence(subject, body)
        totals: dict[Label, float] = defaultdict(float)
        for name in fired:
            totals[self.rules[name].label] += self.rules[name].weight
        invite = max(totals[lbl] for lbl in INVITE_LABELS)
        against = max((v for lbl, v in totals.items() if lbl not in INVITE_LABELS), default=0.0)
        score = round(_logistic(invite - against - _BIAS), 4)
        if score >= self.min_score:
            label = max(INVITE_LABELS, key=lambda lbl: totals[lbl])
        elif against > 0:
            label = max((lbl for lbl in totals if lbl not in INVITE_LABELS), key=totals.__getitem__)
        else:
            label = Label.OTHER
        evidence = tuple(
            f"{name} ({self.rules[name].label.value} {self.rules[name].weight:+g}): {phrase!r}"
            for name, phrase in fired.items()
        )
        return Verdict(
            label=label, score=score, is_invite=label in INVITE_LABELS, evidence=evidence
        )


def load_classifier(min_score: float = 0.5) -> Classifier:
    """Build the pipeline and compile the rules (about a tenth of a second)."""
    nlp = spacy.blank("en")
    phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
    patterns = Matcher(nlp.vocab)
    for rule in RULES:
        if rule.phrases:
            phrases.add(rule.name, [nlp.make_doc(text) for text in rule.phrases])
        if rule.patterns:
            patterns.add(rule.name, list(rule.patterns))
    return Classifier(
        nlp=nlp,
        phrases=phrases,
        patterns=patterns,
        rules={rule.name: rule for rule in RULES},
        min_score=min_score,
    )
