"""The Sensitivity sheet: breakevens, tornado and spider as values, styled like the model's sheets.

Labels and units, never snake_case names: the metrics are labelled from the model's own rows (the labels the
Outputs sheet shows), the drivers by their labels; every number has the format of its unit (changes in
fractions and rates as percentages, months as numbers, IRRs as percentages, DSCRs as multiples). The sheet's
named styles are the workbook's (:mod:`finmodel.workbook.styles`).
"""

from __future__ import annotations

import numpy as np
from openpyxl.styles import Alignment

from finmodel.workbook import styles
from finmodel.workbook.styles import FORMATS

SHEET = "Sensitivity"


def _change_format(unit: str) -> str:
    """Number format of a driver change by its unit."""
    return FORMATS["pct"] if unit in ("fraction", "per year") else FORMATS["number"]


def _metric_format(fmt: str) -> str:
    return FORMATS.get(fmt, FORMATS["number"])


def _num(v):
    return None if v is None or not np.isfinite(v) else float(v)


def write(wb, res) -> None:
    """Add (or replace) the Sensitivity sheet of ``res`` (a sensitivity result with ``det``, the case's run)."""
    from finmodel.workbook.cells import label_width as _label_width
    from finmodel.workbook.cells import put_text
    from finmodel.workbook.cells import section_row as _section

    if SHEET in wb.sheetnames:
        del wb[SHEET]
    ws = wb.create_sheet(SHEET)
    rows = res.det.model.rows
    labels = {d.name: d.label for d in _drivers()}

    def label_of(metric):
        row = rows.get(metric)
        return (row.label, row.unit, row.fmt) if row is not None else (metric.replace("_", " "), "", "number")

    def cell(r, c, value, fmt=None, style=styles.CALC):
        x = ws.cell(r, c, value)
        x.style = style
        if fmt:
            x.number_format = fmt
        return x

    def text(r, c, value, style=None):
        put_text(ws.cell(r, c), value)
        if style:
            ws.cell(r, c).style = style

    def header(r, heads):
        for j, h in enumerate(heads, start=1):
            text(r, j, h, styles.HEADER)
            ws.cell(r, j).alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        ws.row_dimensions[r].height = 42  # three lines of a wrapped metric label

    metrics = [k for k in res.spider[0] if k not in ("driver", "change", "unit")] if res.spider else []
    width = max(8, 3 + len(metrics))
    text(1, 1, "Sensitivities and breakevens", styles.TITLE)
    text(
        2,
        1,
        f"Case {res.case}: one driver moved at a time, the financing as sized on the base case. Values, not "
        "live formulas: run finmodel sensitivity again to update.",
        styles.NOTE,
    )
    r = 4
    _section(ws, r, "Breakevens: the driver change at which the target is reached", width)
    r += 1
    header(r, ["Breakeven", "Change", "Unit", "Note"])
    r += 1
    for b in res.breakevens:
        text(r, 1, b.label)
        cell(r, 2, _num(b.value), _change_format(b.unit))
        text(r, 3, b.unit)
        text(r, 4, b.note, styles.NOTE)
        r += 1
    r += 1
    _section(ws, r, "Tornado: each driver at its low and high change (sorted by the swing of the equity IRR)", width)
    r += 1
    irr, _, irr_fmt = label_of("equity_irr")
    dscr, _, dscr_fmt = label_of("min_dscr")
    header(
        r,
        ["Driver", "Low change", "High change", "Unit", f"{irr}: low", f"{irr}: high", f"{dscr}: low", f"{dscr}: high"],
    )
    r += 1
    for t in res.tornado:
        text(r, 1, t["label"])
        cell(r, 2, t["low"], _change_format(t["unit"]), styles.INPUT)
        cell(r, 3, t["high"], _change_format(t["unit"]), styles.INPUT)
        text(r, 4, t["unit"])
        for j, (k, fmt) in enumerate(
            (
                ("equity_irr_low", irr_fmt),
                ("equity_irr_high", irr_fmt),
                ("min_dscr_low", dscr_fmt),
                ("min_dscr_high", dscr_fmt),
            )
        ):
            cell(r, 5 + j, _num(t[k]), _metric_format(fmt))
        r += 1
    r += 1
    _section(ws, r, "Spider: each driver moved alone", width)
    r += 1
    heads = [label_of(m) for m in metrics]
    header(r, ["Driver", "Change", "Unit", *[f"{lab} [{unit}]" if unit else lab for lab, unit, _ in heads]])
    r += 1
    for s in res.spider:
        text(r, 1, labels.get(s["driver"], s["driver"]))
        cell(r, 2, s["change"], _change_format(s["unit"]), styles.INPUT)
        text(r, 3, s["unit"])
        for j, (m, (_, _, fmt)) in enumerate(zip(metrics, heads, strict=True)):
            cell(r, 4 + j, _num(s[m]), _metric_format(fmt))
        r += 1
    texts = [b.label for b in res.breakevens] + [t["label"] for t in res.tornado]
    ws.column_dimensions["A"].width = _label_width(texts, least=28, most=60)
    for c in range(2, width + 1):
        ws.column_dimensions[ws.cell(1, c).column_letter].width = 16
    ws.column_dimensions["D"].width = 18
    ws.freeze_panes = "B4"
    styles.page_setup(ws)


def _drivers():
    from finmodel.risk.sensitivity import DRIVERS

    return DRIVERS
