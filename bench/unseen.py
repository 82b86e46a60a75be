"""What the benches' memory checks share: the process's resident size, and words that no
vocabulary holds (the names, codes and links a daemon meets for months)."""

from __future__ import annotations

import os
import random
import string
from pathlib import Path


def resident_mb() -> float:
    """Current resident size (Linux; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def unseen_words(rng: random.Random, count: int) -> str:
    """``count`` random nine-letter words, space-separated."""
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=9)) for _ in range(count))
