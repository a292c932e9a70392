"""Text from the database made safe for an operator's terminal (security review L9).

Client names come from anyone who registers a client; athlete names come from Intervals.icu
profiles. Printed raw, ESC sequences could erase lines, set the window title or hide text, and
bidi controls could reorder what the operator reads. Every C0 and C1 control, DEL, line and
paragraph separators and the Unicode bidi formatting characters are shown as escapes instead.
"""

from __future__ import annotations

import unicodedata

# Unicode bidi formatting characters (UAX #9 §2): marks, embeddings, overrides, isolates.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _needs_escape(char: str) -> bool:
    category = unicodedata.category(char)
    return category in ("Cc", "Zl", "Zp") or char in BIDI_CONTROLS


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_safe(text: str | None) -> str:
    """`text` with control and bidi characters written as ``\\x1b`` / ``\\u202e`` escapes."""
    if not text:
        return ""
    return "".join(_escape(c) if _needs_escape(c) else c for c in text)
