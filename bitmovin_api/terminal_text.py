"""Text someone else chose, made safe to show, and the rule that keeps it out of what we send.

A server's reply (``message``, ``developerMessage``, ``details``, a reason phrase), a stack output or a
``pulumi`` line reaches terminals and CI logs. A control character there is an instruction, not text:
ESC starts a terminal escape sequence, a newline starts a forged log line or a GitHub workflow command
(``::error::``), and the bidirectional controls reorder what is shown (Trojan Source, CVE-2021-42574).
So :func:`escape` writes every such character as a visible Python escape (``\\x1b``, ``\\n``,
``\\u202e``) and :func:`shown` also bounds the length. The same characters are refused in the free text
we send to Bitmovin (:func:`control_character_problem`), where the dashboard and every tool reading the
output would show them. The lowest layer of the product (standard library only), like ``redaction``.
"""

from __future__ import annotations

import unicodedata

# Bidirectional formatting characters (Trojan Source) and the Arabic letter mark.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SEPARATORS = frozenset("\u2028\u2029")  # Unicode line and paragraph separators
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NAMES = {
    "\n": "line feed",
    "\r": "carriage return",
    "\t": "tab",
    "\x1b": "escape",
    "\x00": "NUL",
    "\x7f": "delete",
}

MAX_SHOWN = 500
"""Characters of one piece of foreign text shown by default; the rest is counted, not shown."""


def is_unsafe(char: str) -> bool:
    """C0 and C1 control characters, DEL, the line and paragraph separators and the bidi controls."""
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F or char in _SEPARATORS or char in _BIDI


def _escaped(char: str) -> str:
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def escape(text: str) -> str:
    """``text`` with every unsafe character (:func:`is_unsafe`) written as a Python escape: one line of
    visible characters, whatever it held."""
    if not any(is_unsafe(char) for char in text):
        return text
    return "".join(_escaped(char) if is_unsafe(char) else char for char in text)


def shown(text: object, limit: int = MAX_SHOWN) -> str:
    """``text`` (any value, as ``str``) escaped and cut to ``limit`` characters, saying how many were left out."""
    value = escape(text if isinstance(text, str) else str(text))
    if len(value) <= limit:
        return value
    return f"{value[:limit]}… [{len(value) - limit} more characters not shown]"


def describe(char: str) -> str:
    """``U+000A (line feed)``: how a refused character is named in a message."""
    name = _NAMES.get(char) or unicodedata.name(char, "").lower()
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def without_control_characters(text: str) -> str:
    """``text`` with each run of unsafe characters (and the spaces around it) as one space, trimmed:
    what a value with a stray newline or tab most likely meant."""
    pieces, current = [], []
    for char in text:
        if is_unsafe(char):
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return " ".join(piece.strip() for piece in pieces if piece.strip())


def control_character_problem(value: str) -> str | None:
    """Why ``value``, free text sent to Bitmovin (an output's name or description, custom data), is
    refused: the first unsafe character and where it is; None when it has none."""
    for index, char in enumerate(value):
        if is_unsafe(char):
            return (
                f"contains the control character {describe(char)} at position {index + 1}: Bitmovin would "
                "store it, and the dashboard, logs and terminals that show the output would act on it"
            )
    return None
