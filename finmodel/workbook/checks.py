"""The Checks sheet's explanations: which check failed, why it can fail, and what to run.

Beside each check cell (column C, 1 = OK): column D says OK or FAILED (a formula), column E why the check can
fail and what to do. Row 3 sums it up. The commonest failure in an edited workbook is a *stale financing*: the
debt commitments, the sculpted profile and the funding split are solved by finmodel and held as (green) inputs;
an edit that changes the uses or the CFADS makes them inconsistent, and the sizing checks say so. The remedy is
to hand the workbook back: ``finmodel run THIS_WORKBOOK.xlsx -o NEW.xlsx`` reads every input as edited and
solves the financing again.

The texts are fixed sentences chosen by the check's name; no user text enters a formula. The check rows
themselves (column C) are model rows, written with the other calculation sheets.
"""

from __future__ import annotations

import re

from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill

from finmodel.workbook import styles
from finmodel.workbook.cells import ExtraCell, put_text
from finmodel.workbook.layout import HEADER_ROWS, Layout

RERUN = "finmodel run THIS_WORKBOOK.xlsx -o NEW.xlsx"
_STALE = (
    "If you edited inputs (capex, phasing, grants, revenue, opex, rates, timing), the solved financing is stale: "
    f"re-solve with {RERUN}"
)
_WHY = [
    (r"check_sources_uses", "Sources (debt, sponsor funding, grants) differ from uses. " + _STALE),
    (
        r"check_cash_conserved",
        "Cash in differs from cash out: a formula was changed by hand; regenerate the workbook with " + RERUN,
    ),
    (r"check_d\d+_repaid", "Not repaid at maturity, and no default flagged. " + _STALE),
    (r"check_d\d+_non_negative", "Balance negative: more repaid than owed. " + _STALE),
    (r"check_dsra_non_negative", "DSRA balance negative. " + _STALE),
    (r"check_d\d+_drawn", "The solved commitment is not what the facility draws. " + _STALE),
    (r"check_debt_sizing", "Debt not at the smaller of the gearing cap and the DSCR capacity. " + _STALE),
]
_COMPILED = [(re.compile(p + "$"), t) for p, t in _WHY]
GENERIC = "See the check's label. If you edited inputs, re-solve the financing with " + RERUN + "."
SUMMARY_OK = "All checks pass."
SUMMARY_FAILED = (
    "A check failed: see column D and the reason in column E. After editing inputs, re-solve the financing: " + RERUN
)


def why(name: str) -> str:
    """Why the check ``name`` can fail and what to run."""
    for pattern, text in _COMPILED:
        if pattern.match(name):
            return text
    return GENERIC


def check_rows(lay: Layout) -> list[tuple[str, int]]:
    """(check name, Excel row) of every check cell on the Checks sheet, the master check excluded."""
    title = lay.titles.get("Checks")
    if title is None:
        return []
    return [
        (row.name, r)
        for kind, row, r in lay.sheet_rows[title]
        if kind == "row" and row.fmt == "check" and row.name != "master_check"
    ]


def status_formula(r: int) -> str:
    """OK / FAILED beside the check in row ``r``. The check cell holds TRUE/FALSE (a comparison) or 1/0, so the
    test is ``IF(C7, ...)``: in Excel ``TRUE=1`` is FALSE (a logical never equals a number; LibreOffice
    coerces it), which would show FAILED beside every passing comparison."""
    return f'=IF(C{r},"OK","FAILED")'


def summary_formula() -> str:
    return f'=IF(master_check=1,"{SUMMARY_OK}","{SUMMARY_FAILED}")'


def status_cells(lay: Layout, result) -> list[ExtraCell]:
    """The Checks sheet's status column (OK / FAILED beside each check) and its summary line (row 3)."""
    title = lay.titles.get("Checks")
    if title is None:
        return []
    v = result.values
    ok = float(v["master_check"][0, 0]) == 1.0
    out = [ExtraCell(title, 3, 1, summary_formula(), SUMMARY_OK if ok else SUMMARY_FAILED, "text", styles.CHECK)]
    for name, r in check_rows(lay):
        out.append(
            ExtraCell(
                title,
                r,
                4,
                status_formula(r),
                "OK" if float(v[name][0, 0]) == 1.0 else "FAILED",
                "text",
                styles.CALC,
            )
        )
    return out


def write_reasons(ws, lay: Layout) -> None:
    """Column E of the Checks sheet: why each check can fail and what to run (fixed text, see :func:`why`)."""
    put_text(ws.cell(HEADER_ROWS, 4), "Status")
    put_text(ws.cell(HEADER_ROWS, 5), "If it fails: why, and what to run")
    ws.cell(HEADER_ROWS, 4).style = ws.cell(HEADER_ROWS, 5).style = styles.HEADER
    rows = check_rows(lay)
    for name, r in rows:
        put_text(ws.cell(r, 5), why(name))
        ws.cell(r, 5).style = styles.NOTE
    if rows:
        bad = PatternFill("solid", fgColor=styles.FAIL_FILL, bgColor=styles.FAIL_FILL)
        ws.conditional_formatting.add(
            " ".join(f"D{r}" for _, r in rows),
            CellIsRule(operator="equal", formula=['"FAILED"'], fill=bad, font=Font(color=styles.FAIL_FONT, bold=True)),
        )
    ws.column_dimensions["D"].width = 10
    ws.column_dimensions["E"].width = 100
