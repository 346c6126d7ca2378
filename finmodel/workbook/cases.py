"""The Cases sheet (written when several cases run): every case's metrics side by side, with differences.

Columns: A metric, B unit, C the live model (a formula per metric: it recalculates with the case chosen on Inputs,
:mod:`finmodel.workbook.selector`), then per case its value as run and, after the live case, its difference from
the live case. Rows 6-8 describe each case (description, financing, master check as run); the metrics start at
:data:`CASES_FIRST_ROW`.

Printed (landscape A4, one page wide), the headings (row 5) repeat on every page; a case's description and financing
wrap in rows tall enough to show all of them (a long description used to be cut off at a fixed row height).
"""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from finmodel.workbook import styles
from finmodel.workbook.cells import (
    LINE_HEIGHT,
    ExtraCell,
    expected_value,
    font,
    label_width,
    put_text,
    styled,
    wrapped_lines,
)
from finmodel.workbook.headers import master_cells
from finmodel.workbook.layout import CASES, Layout
from finmodel.workbook.styles import FORMATS

CASES_FIRST_ROW = 10  # below the headings (5), the case notes (6-8) and the Metrics section (9)
CASE_WIDTH = 22  # [characters] each case's value (and difference) column
NOTE_HEIGHTS = {6: 42.0, 7: 28.0}  # [points] rows 6 (description) and 7 (financing) at least: 3 and 2 lines


def cases_cells(lay: Layout, result) -> list[ExtraCell]:
    """The Cases sheet's live column: each metric of the live model, recalculated."""
    v = result.values
    out = master_cells(CASES, v)
    for i, name in enumerate(result.metric_names):
        row = lay.model.rows[name]
        out.append(
            ExtraCell(CASES, CASES_FIRST_ROW + i, 3, f"={name}", expected_value(v[name][0, 0], row.fmt), row.fmt)
        )
    return out


def write_cases(ws, lay: Layout, results: list, scenario) -> None:
    """The Cases sheet's text and values (its live column is :func:`cases_cells`); ``results[0]`` is live."""
    live = results[0]
    put_text(ws.cell(1, 1), "Cases")
    ws.cell(1, 1).style = styles.TITLE
    put_text(ws.cell(2, 1), "Master check (1 = all checks pass)")
    ws.cell(2, 1).style = styles.NOTE
    put_text(
        ws.cell(3, 1),
        f"Live case: {live.case} when written. Column C recalculates with the case chosen on "
        "the Inputs sheet (live_case) and with its inputs; the case columns are the values as run.",
    )
    ws.cell(3, 1).style = styles.NOTE
    heads, cols = _columns(results)
    for k, text in enumerate(heads, start=1):
        put_text(ws.cell(5, k), text)
        ws.cell(5, k).style = styles.HEADER
    ws.row_dimensions[5].height = 30
    _case_notes(ws, live, cols, getattr(scenario, "cases", {}) or {})
    _metric_rows(ws, lay, live, cols)
    put_text(ws.cell(9, 1), "Metrics")
    for k in range(1, len(heads) + 1):
        ws.cell(9, k).style = styles.SECTION
    ws.column_dimensions["A"].width = label_width(lay.model.rows[n].label for n in live.metric_names)
    ws.column_dimensions["B"].width = 12
    for k in range(3, len(heads) + 1):
        ws.column_dimensions[get_column_letter(k)].width = CASE_WIDTH
    ws.freeze_panes = "D10"
    styles.page_setup(ws, print_titles="5:5")


def _columns(results: list) -> tuple[list[str], list[tuple]]:
    """The headings, and per result (result, value column, difference column or None) from column D."""
    live = results[0]
    heads = ["Metric", "Unit", "Live model (recalculates)"]
    cols = []
    c = 4
    for j, res in enumerate(results):
        heads.append(res.case + (" (live case, as run)" if j == 0 else ""))
        if j:
            heads.append(f"{res.case} - {live.case}")
            cols.append((res, c, c + 1))
            c += 2
        else:
            cols.append((res, c, None))
            c += 1
    return heads, cols


def _financing(res, live) -> str:
    if res.case == "base" or (res is live and res.resized):
        return "debt sized in this case"
    if res.resized:
        return "debt re-sized for this case"
    return "debt as sized in the base case (as signed)"


def _case_notes(ws, live, cols: list[tuple], cases_info: dict) -> None:
    """Rows 6-8: each case's description, financing and master check as run, wrapped in rows tall enough for the
    longest (at least :data:`NOTE_HEIGHTS`)."""
    for r, label in ((6, "Description"), (7, "Financing"), (8, "Master check (as run)")):
        put_text(ws.cell(r, 1), label)
        ws.cell(r, 1).alignment = Alignment(vertical="top")
    lines = {6: 1, 7: 1}
    for res, vc, _ in cols:
        desc = "the scenario as written" if res.case == "base" else getattr(cases_info.get(res.case), "description", "")
        notes = {6: desc or "", 7: _financing(res, live)}
        for r, text in notes.items():
            put_text(ws.cell(r, vc), text)
            lines[r] = max(lines[r], wrapped_lines(text, CASE_WIDTH))
        ok = res.checks().get("master_check", False)
        put_text(ws.cell(8, vc), "OK" if ok else "CHECK FAILED")
        ws.cell(8, vc).font = font(bold=True, color=styles.OK_FONT if ok else styles.FAIL_FONT)
        for rr in (6, 7, 8):
            ws.cell(rr, vc).alignment = Alignment(wrap_text=True, vertical="top", horizontal="right")
    for r, n in lines.items():
        ws.row_dimensions[r].height = max(NOTE_HEIGHTS[r], LINE_HEIGHT * n)


def _metric_rows(ws, lay: Layout, live, cols: list[tuple]) -> None:
    """From :data:`CASES_FIRST_ROW`: per metric its label, unit, each case's value and difference from the live."""
    base = live.metrics()
    for i, name in enumerate(live.metric_names):
        r = CASES_FIRST_ROW + i
        row = lay.model.rows[name]
        fmt = FORMATS.get(row.fmt, FORMATS["number"])
        put_text(ws.cell(r, 1), row.label)
        put_text(ws.cell(r, 2), row.unit)
        for res, vc, dc in cols:
            v = res.metrics().get(name)
            styled(ws.cell(r, vc, v), styles.CALC, fmt)
            if dc is not None and v is not None and base.get(name) is not None:
                styled(ws.cell(r, dc, v - base[name]), styles.NOTE, fmt)
