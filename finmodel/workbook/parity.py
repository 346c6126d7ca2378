"""Recalculation parity: what every formula cell of a written workbook must show after a spreadsheet
application recalculates it, taken from the engine's own evaluation.

Used by the tests and the benchmarks: write the workbook, recalculate it with headless LibreOffice
(:mod:`finmodel.workbook.recalc`) or with the ``formulas`` package
(:mod:`finmodel.workbook.recalc_formulas`), and compare each formula cell with :func:`expected_cells`.
"""

from __future__ import annotations

import math

import numpy as np
from openpyxl.utils import get_column_letter

from finmodel.workbook.cells import FIRST_COL, expected_value
from finmodel.workbook.layout import Layout
from finmodel.workbook.links import extra_cells

_v = expected_value  # a blank result is the empty text "" in the workbook; dates read back as datetimes


def expected_cells(result) -> dict[tuple[str, str], object]:
    """``{(sheet, "E12"): value}`` for every formula cell the workbook of ``result`` holds: the model rows
    and the linking cells around them (master check, period headings, Cover, Cases, Charts)."""
    model, values = result.model, result.values
    lay = Layout(model, getattr(result, "live_cases", None))
    T = model.periods
    out: dict[tuple[str, str], object] = {}
    for x in extra_cells(lay, result):
        out[(x.sheet, x.coordinate)] = x.value
    for sh in lay.sheets:
        for kind, item, r in lay.sheet_rows.get(sh, []):
            if kind != "row":
                continue
            a = values[item.name][0]
            if item.scalar:
                out[(sh, f"C{r}")] = _v(a[0], item.fmt)
                continue
            if item.total:
                out[(sh, f"C{r}")] = _v(np.nansum(a), item.fmt)
            for t in range(T):
                out[(sh, f"{get_column_letter(FIRST_COL + t)}{r}")] = _v(a[t], item.fmt)
    return out


def compare(result, formulas_path, recalculated_path, *, rtol=1e-9, atol=1e-6):
    """Mismatches between the recalculated workbook and the engine (see
    :func:`finmodel.workbook.recalc.compare_workbooks`).

    ``recalculated_path`` is the workbook LibreOffice recalculated, or the values another engine computed
    (``{(sheet, "A1"): value}``, :func:`finmodel.workbook.recalc_formulas.recalculate_values`).

    Tolerances: relative 1e-9 (a sum over a few hundred float64 terms carries error ~1e-13 relative; the
    spreadsheet adds its own rounding of the same order); absolute 1e-6 for values that should be zero and
    carry rounding residue (a balance repaid to 1e-9 of a currency unit). IRR cells: 1e-7 (both solve
    iteratively to their own tolerance).
    """
    from finmodel.workbook.recalc import compare_workbooks

    exp = expected_cells(result)
    irr_cells = _irr_cells(result)

    def expected(sheet, cell):
        return exp.get((sheet, cell), ...)

    found = compare_workbooks(formulas_path, recalculated_path, expected, rtol=rtol, atol=atol)
    return [m for m in found if not ((m.sheet, m.cell) in irr_cells and _close(m.expected, m.found, 1e-7))]


def _close(a, b, tol):
    return isinstance(a, float) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def _irr_cells(result):
    lay = Layout(result.model, getattr(result, "live_cases", None))
    cells = set()
    for sh in lay.sheets:
        for kind, item, r in lay.sheet_rows.get(sh, []):
            if kind == "row" and item.scalar and "IRR(" in item.expr.xl(lay.w, None):
                cells.add((sh, f"C{r}"))
    return cells
