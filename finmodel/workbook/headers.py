"""The frame of every sheet: title (row 1), master check (row 2, C2 green when 1, red otherwise), period end date
and number (rows 3 and 4, links to Timing), column headings (row 5), column widths and frozen panes.

:func:`write_headers` writes the fixed text and the widths; the linking cells (C2, the period rows) are
:class:`~finmodel.workbook.cells.ExtraCell` s from :func:`master_cells` and :func:`period_header_cells`, each with
the value it must show after recalculation.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from finmodel.workbook import styles
from finmodel.workbook.cells import FIRST_COL, ExtraCell, check_format, expected_value, put_text, quote_sheet
from finmodel.workbook.layout import HEADER_ROWS, Layout

PERIOD_WIDTH = 14  # [characters] a period column: a money amount of 12 digits with separators


def write_headers(ws, title: str, periods: int, *, period_cols: bool, freeze: bool = True) -> None:
    """Rows 1 to :data:`~finmodel.workbook.layout.HEADER_ROWS` of sheet ``ws``, its column widths and panes.

    ``periods``: [periods] the model's period count; ``period_cols``: whether the sheet has period columns
    (Outputs and Checks have none); ``freeze``: freeze the panes below the headings (and right of column D)."""
    put_text(ws.cell(1, 1), title)
    ws.cell(1, 1).style = styles.TITLE
    put_text(ws.cell(2, 1), "Master check (1 = all checks pass)")
    ws.cell(2, 1).style = styles.NOTE
    heads = ["Label", "Unit", "Total / value", ""] if title not in ("Inputs",) else ["Input", "Unit", "Value", "Source"]
    last = FIRST_COL + periods - 1 if period_cols else 3
    for c in range(1, last + 1):
        cell = ws.cell(HEADER_ROWS, c)
        if c <= len(heads):
            put_text(cell, heads[c - 1])
        cell.style = styles.HEADER
    if period_cols:
        put_text(ws.cell(3, 2), "period end")
        put_text(ws.cell(4, 2), "period")
        ws.cell(3, 2).style = ws.cell(4, 2).style = styles.NOTE
    if freeze:
        ws.freeze_panes = ws.cell(HEADER_ROWS + 1, FIRST_COL if period_cols else 1)
    ws.column_dimensions["A"].width = 50
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 17
    ws.column_dimensions["D"].width = 3 if title != "Inputs" else 44
    if period_cols:
        for t in range(periods):
            ws.column_dimensions[get_column_letter(FIRST_COL + t)].width = PERIOD_WIDTH
    ws.sheet_view.zoomScale = 90


def master_cells(sheet: str, values) -> list[ExtraCell]:
    """C2 of ``sheet``: the master check (``values``: the engine's row values, (paths, periods) arrays)."""
    return [
        ExtraCell(sheet, 2, 3, "=master_check", expected_value(values["master_check"][0, 0]), "check", styles.CHECK)
    ]


def master_format(ws) -> None:
    """C2 green when the master check is 1, red otherwise."""
    check_format(ws, "C2")


def period_header_cells(lay: Layout, sheet: str, values) -> list[ExtraCell]:
    """Rows 3 and 4 of a sheet with period columns: period end date and number, linked to Timing."""
    w, out = lay.w, []
    timing = lay.titles.get("Timing", "Timing")
    for t in range(lay.model.periods):
        col = FIRST_COL + t
        letter = get_column_letter(col)
        out.append(
            ExtraCell(
                sheet,
                3,
                col,
                f"={quote_sheet(timing)}!{letter}${w.cells['period_end'][1]}",
                expected_value(values["period_end"][0, t], "date"),
                "date",
            )
        )
        out.append(
            ExtraCell(
                sheet,
                4,
                col,
                f"={quote_sheet(timing)}!{letter}${w.cells['period'][1]}",
                expected_value(values["period"][0, t]),
                "int",
            )
        )
    return out
