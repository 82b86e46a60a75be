"""The characters header and body text are cleaned of, and the blanks folded in it. Pure."""

from __future__ import annotations

import re

# C0 and C1 controls and the Unicode line separators: ``str.splitlines`` breaks lines at all of
# them, and the email package refuses (or, worse, folds) header values that contain them.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Unicode's bidirectional controls: a terminal that honours them would show the rest of a line
# reversed or reordered ("Trojan Source"); a mail needs none of them to read right.
BIDI_CONTROL = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
SURROGATE = re.compile(r"[\ud800-\udfff]")
WS = re.compile(r"[ \t\u00a0]+")
