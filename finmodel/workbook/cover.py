"""The Cover sheet: the scenario, the master check and its status, headline results (live), provenance, contents.

Rows, fixed so that the live cells (:func:`cover_cells`) and the text (:func:`write_cover`) agree: 1 title, 2 master
check (C2) and its status (D2), 4-11 the Scenario block (9: the live case, 11: its financing, both live with a case
selector), 13 the headline title, from :data:`HEADLINE_ROW` one row per headline metric
(:data:`finmodel.conventions.HEADLINE_METRICS` the model has), then Provenance (its length varies: a fund lists
its projects) and Contents (a link to every sheet with what it holds).
"""

from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, PatternFill

from finmodel.conventions import HEADLINE_METRICS
from finmodel.workbook import styles
from finmodel.workbook.cells import CHARTS, LIVE_CASE, ExtraCell, expected_value, font, put_text, quote_sheet
from finmodel.workbook.headers import master_cells
from finmodel.workbook.layout import ANNUAL, CASES, COVER, Layout

HEADLINE_ROW = 14  # the first headline metric: below Scenario (rows 4-11) and the headline title (row 13)
PROVENANCE_LABELS = {
    "scenario": "Scenario file",
    "scenario_sha256": "Scenario SHA-256",
    "case": "Case",
    "seed": "Seed",
    "finmodel_version": "finmodel version",
    "generated": "Generated (UTC)",
}
SHEET_NOTES = {
    "Inputs": "every input once, with unit and source; change the blue cells",
    "Timing": "period dates and flags",
    "Operations": "capex, revenue, opex, lifecycle, EBITDA",
    "Debt": "facilities: drawdown, interest, fees, repayment",
    "Funding": "sources and uses during construction",
    "Tax": "depreciation, tax losses, tax",
    "Waterfall": "priority of payments, DSRA, lock-up, sweep",
    "Equity": "shareholder loans, dividends, sponsor cash flows",
    "Returns": "DSCR, LLCR, PLCR, project cash flows",
    "Guarantees": "cover, premiums, exposure; each guarantor's premiums, claims, recoveries, net cost",
    "Blending": "grant elements, all-in cost of debt (premiums included), finance mix",
    "Withholding": "withholding tax on interest paid abroad (gross-up) and on what sponsors abroad receive",
    "Ledgers": "each facility's lenders: owed, paid before / after default, claims, subrogation, receipts",
    "Outputs": "the metrics of the credit paper (named cells)",
    ANNUAL: "every period row rolled up by model year, headlines and charts",
    CASES: "every case side by side with differences",
    CHARTS: "native charts of the live model",
    "Checks": "every check and the master check",
}


def headline(result) -> list[str]:
    """The headline metrics of ``result``'s model, in :data:`~finmodel.conventions.HEADLINE_METRICS` order."""
    names = set(result.metric_names)
    return [n for n in HEADLINE_METRICS if n in names]


def cover_cells(lay: Layout, result) -> list[ExtraCell]:
    """Live cells of the Cover sheet: master check, its status, the live case and its financing (with a case
    selector), headline metrics; each with the value it must show after recalculation."""
    v = result.values
    ok = float(v["master_check"][0, 0]) == 1.0
    out = master_cells(COVER, v)
    out.append(
        ExtraCell(
            COVER, 2, 4, '=IF(master_check=1,"OK","CHECK FAILED")', "OK" if ok else "CHECK FAILED", "text", styles.CHECK
        )
    )
    if lay.cases is not None:  # rows 9 and 11 of the Scenario block (see _scenario_items)
        row, first, last = lay.live_case_rows
        out.append(ExtraCell(COVER, 9, 3, f"=Inputs!$D${row}", lay.cases.live_name, "text", styles.LINK))
        out.append(
            ExtraCell(
                COVER,
                11,
                3,
                f"=INDEX(Inputs!$D${first}:$D${last},{LIVE_CASE})",
                lay.cases.financing[lay.cases.live - 1],
                "text",
                styles.CALC,
            )
        )
    for r, name in enumerate(headline(result), start=HEADLINE_ROW):
        row = lay.model.rows[name]
        out.append(ExtraCell(COVER, r, 4, f"={name}", expected_value(v[name][0, 0], row.fmt), row.fmt))
    return out


def write_cover(ws, lay: Layout, live, results: list, scenario, prov: dict, sheetnames: list[str]) -> None:
    """The Cover sheet's text (its live cells are :func:`cover_cells`). ``live``: the live case's result;
    ``results``: every result of the workbook; ``prov``: provenance (:func:`~finmodel.workbook.writer.provenance`);
    ``sheetnames``: the workbook's sheets, for the contents."""
    project = getattr(scenario, "project", None)
    put_text(ws.cell(1, 1), getattr(project, "name", None) or "finmodel scenario")
    ws.cell(1, 1).style = styles.TITLE
    put_text(ws.cell(2, 1), "Master check (1 = all checks pass)")
    ws.cell(2, 1).font = font(bold=True)
    _block(ws, 4, "Scenario", _scenario_items(lay, live, results, project))
    items = [(PROVENANCE_LABELS.get(k, k), "(none)" if k == "seed" and not v else v) for k, v in prov.items()]
    heads = headline(live)
    _headline_block(ws, lay, heads)
    r = _block(ws, HEADLINE_ROW + len(heads) + 1, "Provenance", items) + 1
    _contents(ws, lay, r, sheetnames)
    ws.column_dimensions["C"].width = 66
    ws.column_dimensions["D"].width = 16
    ws["C2"].alignment = Alignment(horizontal="left")
    _status_format(ws)
    ws.freeze_panes = None
    styles.page_setup(ws)


def _section(ws, r: int, title: str) -> None:
    put_text(ws.cell(r, 1), title)
    for c in range(1, 5):
        ws.cell(r, c).style = styles.SECTION


def _block(ws, r: int, title: str, items: list[tuple]) -> int:
    """A section titled ``title`` at row ``r`` with one (label, value) per row; a value None is a live formula
    (:func:`cover_cells`). Returns the row after the block."""
    _section(ws, r, title)
    for k, (label, value) in enumerate(items, start=1):
        put_text(ws.cell(r + k, 1), label)
        if value is None:
            continue
        put_text(ws.cell(r + k, 3), value)
        ws.cell(r + k, 3).alignment = Alignment(horizontal="left")
    return r + len(items) + 1


def _scenario_items(lay: Layout, live, results: list, project) -> list[tuple]:
    """The Scenario block's (label, value) rows 5-11; with a case selector, rows 9 and 11 are live."""
    cases = ", ".join(res.case for res in results)
    more = "  (see the Cases sheet)" if len(results) > 1 else ""
    scen = [
        ("Project", getattr(project, "name", "")),
        ("Country", getattr(project, "country", "")),
        ("Sector", getattr(project, "sector", "")),
        ("Currency", getattr(project, "currency", "")),
        ("Live case (the formulas of this workbook)", None if lay.cases else live.case),
        ("Cases in this workbook", cases + more),
        ("Financing", None if lay.cases else ("solved in this case" if live.resized else "as sized in the base case")),
    ]
    if lay.cases is not None:
        scen[4] = ("Live case (Inputs: live_case)", None)
        scen[5] = ("Cases in this workbook", ", ".join(lay.cases.names) + more)
    return scen


def _headline_block(ws, lay: Layout, heads: list[str]) -> None:
    """The headline title (row above :data:`HEADLINE_ROW`) and each metric's label and unit (values: live)."""
    _section(ws, HEADLINE_ROW - 1, "Headline results (live: they recalculate with the model)")
    for r, name in enumerate(heads, start=HEADLINE_ROW):
        row = lay.model.rows[name]
        put_text(ws.cell(r, 1), row.label)
        put_text(ws.cell(r, 3), row.unit)
        ws.cell(r, 3).alignment = Alignment(horizontal="right")


def _contents(ws, lay: Layout, r: int, sheetnames: list[str]) -> None:
    """Contents from row ``r``: a hyperlink to every sheet but the Cover, with what the sheet holds."""
    _section(ws, r, "Contents")
    for k, name in enumerate([s for s in sheetnames if s != COVER], start=1):
        c = ws.cell(r + k, 1)
        put_text(c, name)
        c.hyperlink = f"#{quote_sheet(name)}!A1"
        c.font = font(color="0563C1", underline="single")
        model_name = next((m for m, t in lay.titles.items() if t == name), name)
        put_text(ws.cell(r + k, 3), SHEET_NOTES.get(model_name, ""))
        ws.cell(r + k, 3).style = styles.NOTE


def _status_format(ws) -> None:
    """D2 (OK / CHECK FAILED) green or red with the master check."""
    ok = PatternFill("solid", fgColor=styles.OK_FILL, bgColor=styles.OK_FILL)
    bad = PatternFill("solid", fgColor=styles.FAIL_FILL, bgColor=styles.FAIL_FILL)
    ws.conditional_formatting.add(
        "D2", FormulaRule(formula=["$C$2=1"], fill=ok, font=font(color=styles.OK_FONT, bold=True))
    )
    ws.conditional_formatting.add(
        "D2", FormulaRule(formula=["$C$2<>1"], fill=bad, font=font(color=styles.FAIL_FONT, bold=True))
    )
