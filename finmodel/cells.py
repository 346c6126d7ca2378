"""Cell-level pieces shared by the workbook writer (:mod:`finmodel.excel`) and the sheets it delegates
(:mod:`finmodel.charts`), so that neither imports the other's internals: the first period column, the Charts
sheet's name, text cells, sheet-name quoting, the value a formula cell must show after recalculation, and the
linking cells outside the model rows.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from openpyxl.utils import get_column_letter

from finmodel import styles
from finmodel.conventions import serial_to_datetime

FIRST_COL = 5  # column E = period 1
CHARTS = "Charts"  # the sheet of native charts and their data block


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
