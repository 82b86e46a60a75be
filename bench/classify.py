"""Classification speed and start-up cost. Prints figures; asserts nothing.

    python bench/classify.py [--messages N]

- start-up: a fresh interpreter importing triage.classify and loading the shipped model
  (median of 5 runs);
- throughput: ``Classifier.classify`` on one core over messages of about 200 words built from the
  project's corpus (parse excluded: classification alone; the median of 5 passes, with the
  slowest and fastest, because a shared virtual machine's speed varies from minute to minute),
  and classification of already parsed messages;
- memory: resident size and spaCy's string count before and after classifying messages full of
  words never seen before (names, codes, links: what a daemon meets for months).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from unseen import resident_mb, unseen_words  # noqa: E402 (bench/unseen.py)

from triage.classify import Classifier, load_classifier  # noqa: E402
from triage.corpus import load, message_from_fields, project_corpus  # noqa: E402


def startup_seconds(runs: int = 5) -> float:
    code = "from triage.classify import load_classifier; load_classifier()"
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def messages_of(words: int, count: int) -> list[tuple[str, str]]:
    """(subject, body) pairs of about ``words`` words, cycling through the corpus."""
    examples = load(project_corpus())
    out = []
    for i in range(count):
        example = examples[i % len(examples)]
        text = example.message.text.split()
        while len(text) < words:
            text += examples[(i * 7 + len(text)) % len(examples)].message.text.split()
        out.append((example.message.subject, " ".join(text[:words])))
    return out


def memory(classifier: Classifier, count: int) -> str:
    rng = random.Random(0)
    opening = "We would like to invite you to an interview next week."
    before, strings = resident_mb(), len(classifier.nlp.vocab.strings)
    for _ in range(count):
        classifier.classify_text("Interview", f"{opening} {unseen_words(rng, 60)}")
    return (
        f"memory: {count:,} messages of 60 never-seen words each: resident {before:.0f} -> "
        f"{resident_mb():.0f} MB, spaCy strings {strings:,} -> "
        f"{len(classifier.nlp.vocab.strings):,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--words", type=int, default=200)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--fresh", type=int, default=20_000, help="messages for the memory check")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    print(f"start-up (import + model load, median of 5): {startup_seconds():.2f} s")
    classifier = load_classifier()
    batch = messages_of(args.words, args.messages)
    for subject, body in batch[:50]:  # warm up
        classifier.classify_text(subject, body)
    rates = []
    for _ in range(args.passes):  # this kind of machine's speed varies from minute to minute
        start = time.perf_counter()
        for subject, body in batch:
            classifier.classify_text(subject, body)
        rates.append(len(batch) / (time.perf_counter() - start))
    words = sum(len(b.split()) for _, b in batch) / len(batch)
    print(
        f"classification: {statistics.median(rates):,.0f} messages/s on one core, median of "
        f"{args.passes} passes (slowest {min(rates):,.0f}, fastest {max(rates):,.0f}; "
        f"{statistics.median(rates) * words:,.0f} words/s; {len(batch)} messages of "
        f"~{args.words} words)"
    )
    raw = [message_from_fields(s, b) for s, b in batch[:1000]]
    start = time.perf_counter()
    for message in raw:
        classifier.classify(message)
    classify_only = time.perf_counter() - start
    print(f"classification of parsed messages: {len(raw) / classify_only:,.0f} messages/s")
    print(memory(classifier, args.fresh))


if __name__ == "__main__":
    main()
