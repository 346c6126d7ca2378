"""Text that stays inert: user strings never become rich markup, terminal escape sequences, workbook-breaking
characters or chart markup.

One convention, applied here and nowhere else (:func:`inert`): every character that could act rather than show
is replaced by a visible escape of its code point -- ``\\xNN`` below U+0100 (``ESC`` -> ``\\x1b``, ``BEL`` ->
``\\x07``, ``CR`` -> ``\\x0d``, newline -> ``\\x0a``, ``DEL`` -> ``\\x7f``, C1 codes such as ``CSI`` ->
``\\x9b``), ``\\uNNNN`` above (bidi overrides ``\\u202e``, a line separator ``\\u2028``, a lone surrogate left
by a non-UTF-8 file name ``\\udcff``). Those characters are:

- every control character (Unicode category Cc: C0, DEL, C1);
- the bidirectional embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069 (they reorder what
  follows them on screen, CVE-2021-42574); right-to-left text itself is kept;
- the line and paragraph separators U+2028, U+2029 (Zl, Zp: line breaks in some terminals and viewers);
- lone surrogates (Cs: undecodable bytes of a file name; no writer can encode them).

Every other character, Korean, Arabic, emoji, prints as written. The escape is visible and unambiguous, so a
file name shown in a message, on a workbook's Cover or in a chart title still says which file it was.

Where it is applied: the command line's every line (:func:`inert`, :func:`inert_lines` before ``click.echo``;
rich output through :func:`text` and :func:`esc`), every text cell of a workbook
(``finmodel.workbook.cells.put_text`` and the values workbooks), every PNG chart's texts
(:func:`inert_figure`, called by ``finmodel.files.save_png``).
"""

from __future__ import annotations

import unicodedata

from rich.markup import escape
from rich.text import Text

_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
"""Explicit bidirectional embeddings, overrides, pops and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI)."""

_ACTIVE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
"""Unicode categories whose every character is escaped: controls, surrogates, line and paragraph separators."""


def is_active(ch: str) -> bool:
    """True if the character ``ch`` is one :func:`inert` escapes (a control, a bidi override, ...)."""
    return ch in _BIDI_CONTROLS or unicodedata.category(ch) in _ACTIVE_CATEGORIES


def inert(text) -> str:
    r"""``text`` with every active character (controls, bidi overrides, line separators, lone surrogates; see the
    module) shown as a visible ``\xNN`` / ``\uNNNN`` escape, so that nothing a user typed or named a file can
    move the cursor, recolour or retitle a terminal, reorder a line, or make a workbook unwritable.

    >>> inert("\x1b[31mred.yaml")
    '\\x1b[31mred.yaml'
    >>> inert("a\u202eb\nc"), inert("스마트시티 مشروع")
    ('a\\u202eb\\x0ac', '스마트시티 مشروع')
    """
    text = str(text)
    if not any(is_active(ch) for ch in text):
        return text
    out = []
    for ch in text:
        if is_active(ch):
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


def inert_figure(fig) -> None:
    """Make every text of a matplotlib figure inert before it is drawn: each title, axis label, legend entry and
    annotation passed through :func:`inert` and taken literally (never parsed as mathtext, so ``$x$`` or an
    unbalanced ``$`` in a name prints as written)."""
    for artist in fig.findobj(lambda a: hasattr(a, "set_parse_math") and hasattr(a, "get_text")):
        artist.set_text(inert(artist.get_text()))
        artist.set_parse_math(False)
