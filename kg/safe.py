"""Text made safe for where it is written: spreadsheets, XML and terminals.

The graph keeps every character the reports hold (Turtle can say them all);
these functions apply only at the edge, when a value leaves for a format or a
device that would misread it.

Example:
    >>> csv_cell("=SUM(A1)")
    "'=SUM(A1)"
    >>> xml_text("a\\x1bb")
    'ab'
    >>> terminal_text("a\\x1b[31mb")
    'a\\\\x1b[31mb'
"""

from __future__ import annotations

import re

__all__ = ["csv_cell", "xml_text", "terminal_text"]

# OWASP's CSV injection advice: a cell a spreadsheet would read as a formula
# starts with one of these; a leading apostrophe makes it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Characters XML 1.0 forbids (§2.2): C0 controls but tab, newline and carriage
# return; surrogates; U+FFFE and U+FFFF.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# What a terminal would act on rather than show: C0 and C1 controls and DEL,
# newline and tab aside.
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula.

    Strings that start with ``= + - @``, tab or carriage return get a leading
    apostrophe; other values are returned unchanged.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def xml_text(value: str) -> str:
    """``value`` without the characters that XML 1.0 forbids (GraphML, GEXF)."""
    return _XML_FORBIDDEN.sub("", value)


def terminal_text(value: str) -> str:
    """``value`` with control characters shown as escapes (``\\x1b``), not sent to the terminal."""
    return _TERMINAL_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
