"""``triage eval``: how well the detector does on labelled mail. Pure: values in, report out.

Two views. Per label: precision, recall and F1, and the confusion matrix. Invite detection, the
figure that matters: positives are ``invite`` and ``reschedule``, ``confirmation`` counts neither
way, everything else is negative; a miss is the worst error, a false alarm the second worst. It
is also given per source (mailbox, or file of the corpus) when there is more than one, and, on
request, at other thresholds (``by_threshold``), to choose ``TRIAGE_MIN_SCORE``.

Labelled mail is scarce (a job search brings a few dozen invitations), so each rate is given with
its 95 % Wilson interval: 33 of 37 invitations found is a recall of 0.89, but anything from 0.75 to
0.96 would be found that often.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from triage.corpus import NEUTRAL, POSITIVE, Example
from triage.models import Label, Verdict

if TYPE_CHECKING:
    from triage.classify import Classifier, Scores

THRESHOLDS = tuple(step / 20 for step in range(4, 13))  # 0.20, 0.25, ... 0.60


@dataclass(frozen=True)
class Detection:
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def recall(self) -> float:
        found = self.true_positives + self.false_negatives
        return self.true_positives / found if found else 1.0

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def false_alarm_rate(self) -> float:
        negatives = self.false_positives + self.true_negatives
        return self.false_positives / negatives if negatives else 0.0


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of the rate ``hits / n`` (95 % for the default ``z``): unlike
    the rate plus or minus two standard errors, it stays within 0 and 1 and is not empty at 0 of
    n or n of n (Newcombe 1998, method 3)."""
    if n == 0:
        return 0.0, 1.0
    p = hits / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def intervals(d: Detection) -> str:
    """Recall, precision and false-alarm rate as 95 % intervals, for the report."""
    recall = wilson(d.true_positives, d.true_positives + d.false_negatives)
    precision = wilson(d.true_positives, d.true_positives + d.false_positives)
    alarms = wilson(d.false_positives, d.false_positives + d.true_negatives)
    return (
        f"95% intervals (Wilson): recall {recall[0]:.3f}-{recall[1]:.3f}  "
        f"precision {precision[0]:.3f}-{precision[1]:.3f}  "
        f"false alarms {alarms[0]:.2%}-{alarms[1]:.2%}"
    )


def _shown(hits: int, n: int, width: int, digits: int = 3) -> str:
    """``hits / n`` for a table, or "n/a" when there is nothing to divide by (no invitations
    for a recall, nothing flagged for a precision): not a perfect 1.000."""
    return f"{hits / n:>{width}.{digits}f}" if n else f"{'n/a':>{width}}"


def detection(pairs: Sequence[tuple[Example, Verdict]]) -> Detection:
    counts: Counter[str] = Counter()
    for example, verdict in pairs:
        if example.label in NEUTRAL:
            continue
        positive = example.label in POSITIVE
        counts[
            ("t" if positive == verdict.is_invite else "f") + ("p" if verdict.is_invite else "n")
        ] += 1
    return Detection(counts["tp"], counts["fp"], counts["fn"], counts["tn"])


def _recall(d: Detection, width: int) -> str:
    return _shown(d.true_positives, d.true_positives + d.false_negatives, width)


def _precision(d: Detection, width: int) -> str:
    return _shown(d.true_positives, d.true_positives + d.false_positives, width)


def f2(d: Detection) -> float:
    """The F-score with recall weighted twice as much as precision (a miss costs more)."""
    p, r = d.precision, d.recall
    return 5 * p * r / (4 * p + r) if p + r else 0.0


def scored(classifier: Classifier, examples: Sequence[Example]) -> list[tuple[Example, Scores]]:
    """Each example's scores: the costly part of a verdict, done once however many thresholds it
    is then decided at (``Classifier.decide``)."""
    return [(e, classifier.scores(e.message.subject, e.message.text)) for e in examples]


def at_thresholds(
    classifier: Classifier, scores: Sequence[tuple[Example, Scores]]
) -> list[tuple[float, list[tuple[Example, Verdict]]]]:
    """The ``scored`` examples decided at each of ``THRESHOLDS`` (the gates move with the
    threshold, so each verdict is decided again, not cut from one score)."""
    return [
        (min_score, [(e, classifier.decide(s, min_score=min_score)) for e, s in scores])
        for min_score in THRESHOLDS
    ]


def by_threshold(runs: Sequence[tuple[float, Sequence[tuple[Example, Verdict]]]]) -> list[str]:
    """Invite detection at each minimum score of ``runs`` (the same mail classified with each)."""
    rows = ["", f"{'min score':>9} {'recall':>7} {'prec':>6} {'f2':>6} {'false alarms':>13}"]
    for min_score, pairs in runs:
        d = detection(pairs)
        rows.append(
            f"{min_score:>9.2f} {_recall(d, 7)} {_precision(d, 6)} {f2(d):>6.3f} "
            f"{d.false_alarm_rate:>13.2%}"
        )
    return rows


def _per_label(pairs: Sequence[tuple[Example, Verdict]]) -> list[str]:
    rows = [f"{'label':<16} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>5}"]
    for label in Label:
        tp = sum(e.label is label and v.label is label for e, v in pairs)
        predicted = sum(v.label is label for _, v in pairs)
        actual = sum(e.label is label for e, _ in pairs)
        if not actual and not predicted:
            continue
        p = tp / predicted if predicted else 0.0
        r = tp / actual if actual else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        rows.append(f"{label.value:<16} {p:>6.3f} {r:>6.3f} {f1:>6.3f} {actual:>5}")
    return rows


def _confusion(pairs: Sequence[tuple[Example, Verdict]]) -> list[str]:
    labels = [lbl for lbl in Label if any(e.label is lbl or v.label is lbl for e, v in pairs)]
    short = {lbl: lbl.value[:6] for lbl in labels}
    rows = ["gold \\ predicted " + " ".join(f"{short[lbl]:>6}" for lbl in labels)]
    counts = Counter((e.label, v.label) for e, v in pairs)
    for gold in labels:
        cells = " ".join(f"{counts[(gold, pred)] or '.':>6}" for pred in labels)
        rows.append(f"{gold.value:<17}{cells}")
    return rows


def _by_source(pairs: Sequence[tuple[Example, Verdict]]) -> list[str]:
    """Invite detection per source, when the mail comes from more than one: one mailbox whose
    owner hires (and so reads colleagues' interview plans) can carry most of the errors."""
    sources = sorted({e.source for e, _ in pairs})
    if len(sources) < 2:
        return []
    w = min(40, max(len("source"), *map(len, sources)))
    rows = ["", f"{'source':<{w}} {'n':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'recall':>7} {'prec':>6}"]
    for source in sources:
        d = detection([(e, v) for e, v in pairs if e.source == source])
        n = d.true_positives + d.false_positives + d.false_negatives + d.true_negatives
        rows.append(
            f"{source[:w]:<{w}} {n:>5} {d.true_positives:>4} {d.false_positives:>4} "
            f"{d.false_negatives:>4} {_recall(d, 7)} {_precision(d, 6)}"
        )
    return rows


def report(pairs: Sequence[tuple[Example, Verdict]], *, show_errors: int = 50) -> str:
    """The full text report: detection figures, per-label table, confusion matrix, errors."""
    d = detection(pairs)
    lines = [
        f"messages: {len(pairs)}",
        f"invite detection: recall {_recall(d, 0)}  precision {_precision(d, 0)}  "
        f"false alarms {d.false_alarm_rate:.2%}  (tp {d.true_positives}, fp {d.false_positives}, "
        f"fn {d.false_negatives}, tn {d.true_negatives}; confirmations not counted)",
        intervals(d),
        "",
        *_per_label(pairs),
        "",
        *_confusion(pairs),
        *_by_source(pairs),
    ]
    errors = [
        (e, v) for e, v in pairs if e.label not in NEUTRAL and (e.label in POSITIVE) != v.is_invite
    ]
    if errors:
        lines += ["", f"invite-detection errors ({len(errors)}; first {show_errors}):"]
        for example, verdict in errors[:show_errors]:
            kind = "MISSED" if example.label in POSITIVE else "FALSE ALARM"
            lines.append(
                f"  {kind:<11} {example.id:<28} gold {example.label.value:<15} "
                f"got {verdict.label.value} ({verdict.score:.2f}) "
                f"{example.message.subject[:60]!r}"
            )
    return "\n".join(lines)
