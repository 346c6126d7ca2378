"""The calculation sheets (Timing, Operations, Debt, ... Outputs, Checks): every model row as Excel formulas.

One row per model row: label (A), unit (B), and either the value of a named scalar in column C (a workbook-level
defined name) or one formula per period from column E with the row's total in C where it has one. The formulas come
from :meth:`finmodel.rows.Expr.xl`, the same definitions the engine evaluates; nothing here computes. A formula
that only links (another sheet's cell, a named input) is styled *link*, the others *calc*, checks *check*.
"""

from __future__ import annotations

import copy
import re

from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from finmodel.workbook import styles
from finmodel.workbook.cells import (
    FIRST_COL,
    check_format,
    font,
    label_width,
    put_text,
    quote_sheet,
    section_row,
    styled,
)
from finmodel.workbook.headers import write_headers
from finmodel.workbook.layout import HEADER_ROWS, Layout
from finmodel.workbook.styles import FORMATS

LINK = re.compile(r"^=(?:'[^']+'|[A-Za-z_][A-Za-z0-9_.]*)!\$?[A-Z]{1,3}\$?[0-9]+$|^=in_[A-Za-z0-9_]+$")
"""A formula that only links: ``='Sheet'!E12``, ``=Debt!$C$4``, ``=in_tax_rate``."""


def write_sheet(wb, ws, lay: Layout, sh: str) -> None:
    """Calculation sheet ``sh`` (its title) of workbook ``wb`` on worksheet ``ws``: headers, sections, rows."""
    w = lay.w
    periods = lay.model.periods
    period_cols = sh not in (lay.titles.get("Outputs"), lay.titles.get("Checks"))
    w.current_sheet = sh
    write_headers(ws, sh, periods, period_cols=period_cols)
    check_cells = []
    for kind, item, r in lay.sheet_rows[sh]:
        if kind == "section":
            section_row(ws, r, item, lay.last_col if period_cols else 3)
            continue
        put_text(ws.cell(r, 1), item.label)
        put_text(ws.cell(r, 2), item.unit)
        if item.scalar:
            _write_scalar(wb, ws, lay, sh, item, r)
            if item.fmt == "check":
                check_cells.append(f"C{r}")
        else:
            _write_periods(ws, lay, item, r)
    if check_cells:
        check_format(ws, " ".join(check_cells))
    ws.column_dimensions["A"].width = label_width(item.label for kind, item, _ in lay.sheet_rows[sh] if kind == "row")
    w.current_sheet = ""
    styles.page_setup(ws, print_titles=f"1:{HEADER_ROWS}", print_cols="A:C", periods=periods if period_cols else 0)


def _write_scalar(wb, ws, lay: Layout, sh: str, row, r: int) -> None:
    """A named scalar row: its formula in column C, a workbook-level defined name pointing at it."""
    fmt = FORMATS.get(row.fmt, FORMATS["number"])
    f = row.expr.cell_formula(lay.w, None)
    role = styles.CHECK if row.fmt == "check" else (styles.LINK if LINK.match(f) else styles.CALC)
    styled(ws.cell(r, 3, f), role, fmt)
    wb.defined_names[row.name] = DefinedName(row.name, attr_text=f"{quote_sheet(sh)}!$C${r}")


def _write_periods(ws, lay: Layout, row, r: int) -> None:
    """A period row: one formula per period from column E (styled like the first), its total in column C.

    Cells after the first are constructed directly with the first's style array: ~13,000 formula cells in a
    model, and ``ws.cell`` with a named style is the slow path."""
    w, periods = lay.w, lay.model.periods
    fmt = FORMATS.get(row.fmt, FORMATS["number"])
    first = row.expr.cell_formula(w, 0)
    proto = styled(ws.cell(r, FIRST_COL, first), styles.LINK if LINK.match(first) else styles.CALC, fmt)
    cells = ws._cells
    for t in range(1, periods):
        col = FIRST_COL + t
        cells[(r, col)] = Cell(
            ws, row=r, column=col, value=row.expr.cell_formula(w, t), style_array=copy.copy(proto._style)
        )
    if row.total:
        last_letter = get_column_letter(lay.last_col)
        c = ws.cell(r, 3, f"=SUM({get_column_letter(FIRST_COL)}{r}:{last_letter}{r})")
        c._style = copy.copy(proto._style)
        c.font = font(bold=True, color=c.font.color)
