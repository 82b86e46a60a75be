"""The detector's tokenizer: one regular expression, registered with spaCy as ``triage.Words.v1``.

spaCy's rule-based English tokenizer spends most of its time on what the detector throws away
(URLs, addresses, numbers, punctuation runs: the model reads words only) and loads ~2,700 special
cases at start-up. This one splits text into runs of letters and digits, single punctuation
marks, English clitics the way spaCy's English tokenizer does ("don't" -> "do" "n't",
"candidate's" -> "candidate" "'s") and French and Italian elisions the way its French and
Italian ones do ("l'entretien" -> "l'" "entretien"), so rule phrases and training text are cut
alike. Against spaCy's English tokenizer it makes classification about half again as fast and
start-up 0.2 s shorter, with the same real-mail figures over three training seeds (README, "How
it decides"). ``triage.classify`` imports this module, which registers the tokenizer before a
model's config names it.

Given the words a classifier can use (``known``), every other word becomes ``UNKNOWN``: spaCy
adds each new word it meets to its vocabulary for good, and a daemon meets new names, codes and
links for months (40,000 messages of 60 new words each grew a process by 800 MB). The words as
written stay on the doc (``doc.user_data[ORIGINAL]``) for showing evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

if TYPE_CHECKING:
    from spacy.language import Language

_CLITIC = r"(?:s|m|re|ve|ll|d)\b"  # after the apostrophe of "'s", "'re", "'ll", ...
# French and Italian elisions, cut off as spaCy's French and Italian tokenizers do: "l'" "entretien"
_ELISION = r"\b(?:[cdjlmnst]|qu|un|all|dall|dell|nell|sull|quest|quell)'(?=[^\W\d_])"
_TOKEN = re.compile(
    r"[^\W_]+?(?=n't\b)"  # "do" of "don't"
    r"|n't\b"
    rf"|'{_CLITIC}"
    rf"|{_ELISION}"
    rf"|[^\W_]+(?:'(?!{_CLITIC})[^\W_]+)*"  # a word; "o'brien" whole
    r"|\S",  # any other mark, one at a time
    re.IGNORECASE,
)


UNKNOWN = "<word>"  # stands for a word outside ``known`` (not alphabetic: no model reads it)
ORIGINAL = "triage.words"  # doc.user_data key: the words as written
_CLITICS = frozenset(("'s", "'m", "'re", "'ve", "'ll", "'d", "n't"))


class Words:
    """``text -> Doc`` for a spaCy ``Language`` (``nlp.tokenizer``); nothing to save or load.

    ``known``: the lower-case words that may reach the doc as themselves (None: every word);
    single characters and clitics always do, being few. The classifier lower-cases text before
    it tokenizes, so a word's case never makes it unknown.
    """

    def __init__(self, vocab: Vocab, known: frozenset[str] | None = None) -> None:
        self.vocab = vocab
        self.known = known

    def __call__(self, text: str) -> Doc:
        words = _TOKEN.findall(text.replace("\u2019", "'"))
        known = self.known
        if known is None:
            return Doc(self.vocab, words=words)
        shown = [w if w in known or len(w) == 1 or w in _CLITICS else UNKNOWN for w in words]
        doc = Doc(self.vocab, words=shown)
        doc.user_data[ORIGINAL] = words
        return doc

    # spaCy's Language.to_disk / from_disk call these; the tokenizer has no state of its own.
    def to_disk(self, path: Path, **kwargs: Any) -> None:
        pass

    def from_disk(self, path: Path, **kwargs: Any) -> Words:
        return self

    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> Words:
        return self


def create_words() -> Callable[[Language], Words]:
    """The factory a model's config names (``[nlp.tokenizer]``); spaCy calls it with the nlp."""

    def make(nlp: Language) -> Words:
        return Words(nlp.vocab)

    return make


registry.tokenizers.register("triage.Words.v1", func=create_words)
