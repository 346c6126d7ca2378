"""Cell-level pieces shared by the workbook writer (:mod:`finmodel.workbook.writer`) and the sheets it delegates
(:mod:`finmodel.workbook.charts`), so that neither imports the other's internals: the first period column, the Charts
sheet's name, text cells, sheet-name quoting, the value a formula cell must show after recalculation, and the
linking cells outside the model rows.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
from openpyxl.utils import get_column_letter

from finmodel.conventions import serial_to_datetime
from finmodel.workbook import styles

FIRST_COL = 5  # column E = period 1
CHARTS = "Charts"  # the sheet of native charts and their data block
LIVE_CASE = "live_case"  # the defined name of the live case selector (finmodel.workbook.selector)


def put_text(cell, text) -> None:
    """Write user text as text, never as a formula (a name like ``=HYPERLINK(...)`` stays a string)."""
    cell.value = "" if text is None else str(text)
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


def section_row(ws, r, text, last_col) -> None:
    """A section heading in row ``r``, its style across columns A to ``last_col``."""
    put_text(ws.cell(r, 1), text)
    proto = ws.cell(r, 1)
    proto.style = styles.SECTION
    for c in range(2, last_col + 1):
        ws.cell(r, c)._style = copy.copy(proto._style)
