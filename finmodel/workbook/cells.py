"""Cell-level pieces shared by every sheet writer of the workbook: the first period column, the Charts sheet's name,
text cells, styled cells, fonts, the check format, sheet-name quoting, the value a formula cell must show after
recalculation, and the linking cells outside the model rows (:class:`ExtraCell`, written by :func:`write_cells`).
"""

from __future__ import annotations

import copy
import dataclasses
import textwrap

import numpy as np
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from finmodel.conventions import serial_to_datetime
from finmodel.term import inert
from finmodel.workbook import styles

FIRST_COL = 5  # column E = period 1
CHARTS = "Charts"  # the sheet of native charts and their data block
LIVE_CASE = "live_case"  # the defined name of the live case selector (finmodel.workbook.inputs)


def put_text(cell, text) -> None:
    """Write user text as text, never as a formula (a name like ``=HYPERLINK(...)`` stays a string), made inert
    (:func:`finmodel.term.inert`: a file name holding ``ESC`` or ``BEL`` shows them as ``\\x1b``, ``\\x07``)."""
    cell.value = "" if text is None else inert(text)
    cell.data_type = "s"


def quote_sheet(sheet) -> str:
    """A sheet name as a formula reference needs it: quoted (``'Sheet name'!A1``) unless alphanumeric."""
    sheet = str(sheet).replace("'", "''")
    return f"'{sheet}'" if not sheet.isalnum() else sheet


def expected_value(x, fmt: str = ""):
    """What a formula cell of format ``fmt`` shows after a full recalculation of an engine value ``x``: the
    empty text for a blank (NaN), a datetime for a date serial, else the number (as openpyxl reads it back)."""
    x = float(x)
    if np.isnan(x):
        return ""
    if fmt == "date":
        return serial_to_datetime(x)
    return x


@dataclasses.dataclass
class ExtraCell:
    """A linking cell outside the model rows (Cover, Cases, Charts) and the engine value it must show."""

    sheet: str
    row: int
    col: int
    formula: str  # with the leading "="
    value: object  # expected value after recalculation (float, str, or datetime for dates)
    fmt: str = "number"
    style: str = styles.LINK

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.col)}{self.row}"


def choose(cells: list[str]) -> str:
    """A live cell of an input that cases change: the live case's value among ``cells`` (one per case)."""
    return f"=CHOOSE({LIVE_CASE},{','.join(cells)})"


def label_width(labels, *, least=30, most=80) -> float:
    """Width of the label column: the longest label (units are in the next column, so a longer label
    would be cut off), within [least, most] characters."""
    longest = max((len(str(x)) for x in labels), default=0)
    return float(min(most, max(least, longest * 1.05 + 2)))


LINE_HEIGHT = 13.0  # [points] one line of the workbook's 10-point text with its leading (Excel's default row: 12.75)
PROSE_CHARS = 1.1  # [characters per column unit] of ordinary text: a column unit is one digit "0" wide, and
# letters and spaces are narrower on average (a 22-unit column holds "The government pays only", 24 characters)


def wrapped_lines(text, width: float) -> int:
    """Lines ``text`` takes wrapped (at spaces) in a column ``width`` units wide (:data:`PROSE_CHARS`). A
    spreadsheet neither sizes a row to wrapped text when it opens a file nor prints what a row cannot show, so a
    row that holds wrapped text is given this many lines."""
    chars = max(1, int(width * PROSE_CHARS))
    return max(1, len(textwrap.wrap(str(text), chars)))


def section_row(ws, r, text, last_col) -> None:
    """A section heading in row ``r``, its style across columns A to ``last_col``."""
    put_text(ws.cell(r, 1), text)
    proto = ws.cell(r, 1)
    proto.style = styles.SECTION
    for c in range(2, last_col + 1):
        ws.cell(r, c)._style = copy.copy(proto._style)


def font(**kw) -> Font:
    """A font in the workbook's face and size (a bare ``Font()`` would fall back to a serif face)."""
    return Font(name=styles.FONT_NAME, size=styles.FONT_SIZE, **kw)


def styled(cell, role: str, number_format: str):
    """``cell`` given the named style ``role`` (:mod:`finmodel.workbook.styles`) and ``number_format``; returned."""
    cell.style = role
    cell.number_format = number_format
    return cell


def check_format(ws, ref: str) -> None:
    """Check cells ``ref`` (a range list) green when 1, red otherwise (conditional formatting)."""
    ok = PatternFill("solid", fgColor=styles.OK_FILL, bgColor=styles.OK_FILL)
    bad = PatternFill("solid", fgColor=styles.FAIL_FILL, bgColor=styles.FAIL_FILL)
    ws.conditional_formatting.add(
        ref, CellIsRule(operator="equal", formula=["1"], fill=ok, font=Font(color=styles.OK_FONT, bold=True))
    )
    ws.conditional_formatting.add(
        ref, CellIsRule(operator="notEqual", formula=["1"], fill=bad, font=Font(color=styles.FAIL_FONT, bold=True))
    )


def write_cells(sheets: dict, extras: list[ExtraCell]) -> None:
    """Write the linking cells ``extras`` onto ``sheets`` (title -> worksheet; cells of other sheets are skipped).

    The first cell of each (sheet, style, format) is styled through openpyxl; the others copy its style array
    (``ws.cell`` and named-style assignment are the slow path for thousands of cells)."""
    protos = {}
    for x in extras:
        ws = sheets.get(x.sheet)
        if ws is None:
            continue
        key = (x.sheet, x.style, x.fmt)
        proto = protos.get(key)
        if proto is None:
            fmt = styles.FORMATS.get(x.fmt, styles.FORMATS["number"])
            protos[key] = styled(ws.cell(x.row, x.col, x.formula), x.style, fmt)
        else:
            ws._cells[(x.row, x.col)] = Cell(
                ws, row=x.row, column=x.col, value=x.formula, style_array=copy.copy(proto._style)
            )
