"""Terminal text that stays inert: user strings never become rich markup nor terminal escape sequences.

Every string that comes from a user (a scenario's names, a file path, a case name) reaches rich as a
:func:`text` object (never parsed for markup) or, inside a markup string we wrote, through :func:`esc`;
and through :func:`inert` before ``click.echo``.
"""

from __future__ import annotations

import unicodedata

from rich.markup import escape
from rich.text import Text


def inert(text) -> str:
    """``text`` with every control character (ESC, CR, BEL, NUL, C1 codes...) shown as a visible
    ``\\xNN`` escape, so that nothing a user typed can move the cursor, recolour or retitle a terminal.
    Newlines are kept only when ``text`` is a message of several lines we wrote (see :func:`inert_lines`)."""
    out = []
    for ch in str(text):
        if unicodedata.category(ch) == "Cc":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def inert_lines(text) -> str:
    """:func:`inert` line by line: a multi-line message keeps its line breaks, nothing else."""
    return "\n".join(inert(line) for line in str(text).split("\n"))


def esc(text) -> str:
    """A user string made safe for rich: control characters made visible, then markup escaped
    (``a [/] b`` and ``/home/x/[draft] s.yaml`` print as written)."""
    return escape(inert(text))


def text(value, style: str | None = None) -> Text:
    """A rich Text of a user string: printed exactly as written (no markup), control characters visible."""
    return Text(inert(value), style=style or "")
