"""The live workbook: every row of the model written as Excel formulas (FAST layout).

Layout, the same on every calculation sheet: column A label, B unit, C total (or the value of a named
scalar), D empty (the "previous period" of the first period), periods from column E, one column per
period, one formula per row. Row 2 of every sheet shows the master check (C2, green when 1, red
otherwise); rows 3 and 4 the period end date and number (links to Timing); row 5 the column headings;
panes frozen below and to the right of them.

Sheets: Cover (scenario, provenance, live case, master check status, headline results, contents),
Inputs (every input once, grouped, with unit, value, source and data validation; a workbook-level defined
name per input; by-year tables below; per-period inputs in the period columns), Timing and the calculation
sheets of the model, Outputs (the metrics, each a defined name), Cases (when several cases run), Charts
(native charts reading the live rows) and Checks.

Styles come from the workbook template (:mod:`finmodel.workbook.styles`): inputs blue on light yellow, solved
inputs purple on light green, calculations black, links to other sheets green, checks green/red.

Nothing here computes: formulas come from :meth:`finmodel.rows.Expr.xl`, the same definitions the engine
evaluates. Cells that only link (Cover, Cases, Charts) are listed by :func:`extra_cells` together with the
engine value they must show, which :mod:`finmodel.parity` compares after recalculation.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

import numpy as np
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from finmodel.errors import FinmodelError, InputError
from finmodel.files import atomic_write
from finmodel.rows import FormulaWriter
from finmodel.version import __version__
from finmodel.workbook import annual as workbook_annual
from finmodel.workbook import styles
from finmodel.workbook.cells import CHARTS, FIRST_COL, LIVE_CASE, ExtraCell, choose, put_text
from finmodel.workbook.cells import expected_value as _expected
from finmodel.workbook.cells import label_width as _label_width
from finmodel.workbook.cells import quote_sheet as _q
from finmodel.workbook.cells import section_row as _section
from finmodel.workbook.styles import FORMATS

HEADER_ROWS = 5  # title, master check, period end, period number, column headings
SHEET_ORDER = [
    "Inputs",
    "Timing",
    "Operations",
    "Debt",
    "Funding",
    "Tax",
    "Waterfall",
    "Equity",
    "Returns",
    "Outputs",
    "Checks",
]
COVER, CASES, ANNUAL = "Cover", "Cases", "Annual"
RESERVED = {COVER, CASES, CHARTS, ANNUAL}
_CELL_NAME = re.compile(r"^[A-Za-z]{1,3}[0-9]+$|^[RrCc]([0-9]*|[0-9]+[RrCc][0-9]+)$")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")
_LINK = re.compile(r"^=(?:'[^']+'|[A-Za-z_][A-Za-z0-9_.]*)!\$?[A-Z]{1,3}\$?[0-9]+$|^=in_[A-Za-z0-9_]+$")
HEADLINE = [  # metrics shown live on the Cover sheet, when the model has them
    "equity_irr",
    "project_irr",
    "equity_npv",
    "min_dscr",
    "avg_dscr",
    "min_llcr",
    "total_uses",
    "total_debt",
    "gearing",
    "lockup_periods",
    "default_periods",
]
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
    "Ledgers": "each facility's lenders: owed, paid before / after default, claims, subrogation, receipts",
    "Outputs": "the metrics of the credit paper (named cells)",
    ANNUAL: "every period row rolled up by model year, headlines and charts",
    CASES: "every case side by side with differences",
    CHARTS: "native charts of the live model",
    "Checks": "every check and the master check",
}


def sheet_names(model) -> list[str]:
    """Inputs, then the calculation sheets in data-flow order; sheets added by other modules (fund, blending,
    guarantees ...) come before Outputs and Checks, in the order their first row was defined."""
    used = list(dict.fromkeys(row.sheet for row in model.rows.values()))
    known = [s for s in SHEET_ORDER if s in used or s == "Inputs"]
    extra = [s for s in used if s not in SHEET_ORDER]
    at = known.index("Outputs") if "Outputs" in known else len(known)
    return known[:at] + extra + known[at:]


def safe_sheet_title(name: str, taken=()) -> str:
    """A valid, unique worksheet title: no ``[]:*?/\\'``, not blank, at most 31 characters."""
    title = _BAD_SHEET_CHARS.sub("_", str(name)).strip() or "Sheet"
    if title.lower() == "history":  # reserved by Excel
        title = "History_"
    title = title[:31]
    lowered = {t.lower() for t in taken}
    base, k = title, 2
    while title.lower() in lowered:
        suffix = f" ({k})"
        title = base[: 31 - len(suffix)] + suffix
        k += 1
    return title


def defined_name(name: str) -> str:
    if _CELL_NAME.match(name):
        raise FinmodelError(f"model name {name!r} would read as a cell address in a formula")
    return name


class Layout:
    """Where every input and row lives; fills a :class:`FormulaWriter`.

    ``sheets`` are the worksheet titles (sanitised) of Inputs and the calculation sheets, in order;
    ``titles`` maps each model sheet name to its title.
    """

    def __init__(self, model, cases=None):
        self.model = model
        self.cases = cases  # a finmodel.workbook.selector.LiveCases, or None: no live case selector
        self.w = FormulaWriter(FIRST_COL, model.periods)
        self.input_cells: dict[str, tuple[int, int]] = {}  # scalar input -> (row, col) on Inputs
        self.case_rows: dict[str, list[int]] = {}  # input some case changes -> its value row per case
        self.live_case_rows: tuple[int, int, int] | None = None  # (selector row, first, last row of the list)
        self.series_rows: dict[str, int] = {}
        self.table_rows: dict[str, tuple[int, int]] = {}  # table -> (first row, last row)
        self.titles: dict[str, str] = {}
        for s in sheet_names(model):
            self.titles[s] = safe_sheet_title(s, list(self.titles.values()) + sorted(RESERVED))
        self.sheets = list(self.titles.values())
        self.sheet_rows: dict[str, list] = {s: [] for s in self.sheets}  # title -> [(kind, item, excel row)]
        self._place()

    def _place(self):
        m, w = self.model, self.w
        r = HEADER_ROWS + 1
        self.input_layout = []  # (kind, payload, excel row)
        if self.cases is not None:
            n = len(self.cases.names) + len(self.cases.not_live)
            self.input_layout.append(("section", "Live case (every sheet models the case chosen here)", r))
            self.live_case_rows = (r + 1, r + 2, r + 1 + len(self.cases.names))
            self.input_layout.append(("live_case", None, r + 1))
            r += n + 3
        groups: dict[str, list] = {}
        for inp in m.inputs.values():
            groups.setdefault(inp.group, []).append(inp)
        for group, items in groups.items():
            if not any(inp.kind != "table" for inp in items):
                continue
            self.input_layout.append(("section", group, r))
            r += 1
            for inp in items:
                if inp.kind == "scalar":
                    self.input_layout.append(("scalar", inp, r))
                    self.input_cells[inp.name] = (r, 3)
                    w.names[inp.name] = defined_name(inp.name)
                    r = self._case_rows(inp.name, r + 1)
                elif inp.kind == "series":
                    self.input_layout.append(("series", inp, r))
                    self.series_rows[inp.name] = r
                    w.cells[inp.name] = ("Inputs", r)
                    r = self._case_rows(inp.name, r + 1)
            r += 1
        tables = [inp for inp in m.inputs.values() if inp.kind == "table"]
        if tables:
            self.input_layout.append(("section", "Tables by year (year 1 = the first year from the start date)", r))
            r += 1
        for inp in tables:
            n = inp.value.shape[1]
            self.input_layout.append(("table", inp, r))
            first, last = r + 1, r + n
            self.table_rows[inp.name] = (first, last)
            w.tables[inp.name] = (f"Inputs!$B${first}:$B${last}", defined_name(inp.name))
            r = last + 2
        # calculation sheets
        next_row = {s: HEADER_ROWS + 1 for s in self.sheets}
        last_section = {s: None for s in self.sheets}
        for row in _grouped_by_section(m.rows.values()):
            sh = self.titles.get(row.sheet)
            if sh is None:
                raise FinmodelError(f"row {row.name!r} on unknown sheet {row.sheet!r}")
            if row.section and row.section != last_section[sh]:
                if last_section[sh] is not None:
                    next_row[sh] += 1
                self.sheet_rows[sh].append(("section", row.section, next_row[sh]))
                next_row[sh] += 1
                last_section[sh] = row.section
            rr = next_row[sh]
            self.sheet_rows[sh].append(("row", row, rr))
            if row.scalar:
                w.names[row.name] = defined_name(row.name)
            w.cells[row.name] = (sh, rr)
            next_row[sh] += 1

    def _case_rows(self, name: str, r: int) -> int:
        """Rows below an input that some case changes: one value row per case; returns the next free row."""
        if self.cases is None or not self.cases.varying(name):
            return r
        n = len(self.cases.names)
        self.case_rows[name] = list(range(r, r + n))
        return r + n

    def address(self, name: str) -> tuple[str, str]:
        """(sheet, cell) of a scalar (input or named result)."""
        if name in self.input_cells:
            r, c = self.input_cells[name]
            return "Inputs", f"{get_column_letter(c)}{r}"
        sh, r = self.w.cells[name]
        return sh, f"C{r}"

    def sheet_of(self, model_sheet: str) -> str:
        return self.titles[model_sheet]

    @property
    def last_col(self) -> int:
        return FIRST_COL + self.model.periods - 1


def _grouped_by_section(rows) -> list:
    """The rows with each sheet's sections together (a section once per sheet, where it first appears); the
    order within a section, and of sections, stays the order of definition."""
    rows = list(rows)
    first: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows):
        first.setdefault((row.sheet, row.section), i)
    return sorted(rows, key=lambda row: first[(row.sheet, row.section)])


def _period_header_cells(lay: Layout, sheet: str, values) -> list[ExtraCell]:
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
                f"={_q(timing)}!{letter}${w.cells['period_end'][1]}",
                _expected(values["period_end"][0, t], "date"),
                "date",
            )
        )
        out.append(
            ExtraCell(
                sheet,
                4,
                col,
                f"={_q(timing)}!{letter}${w.cells['period'][1]}",
                _expected(values["period"][0, t]),
                "int",
            )
        )
    return out


def _master_cells(sheet: str, values) -> list[ExtraCell]:
    return [ExtraCell(sheet, 2, 3, "=master_check", _expected(values["master_check"][0, 0]), "check", styles.CHECK)]


def cover_cells(lay: Layout, result) -> list[ExtraCell]:
    """Live cells of the Cover sheet: master check, its status, headline metrics."""
    v = result.values
    ok = float(v["master_check"][0, 0]) == 1.0
    out = _master_cells(COVER, v)
    out.append(
        ExtraCell(
            COVER, 2, 4, '=IF(master_check=1,"OK","CHECK FAILED")', "OK" if ok else "CHECK FAILED", "text", styles.CHECK
        )
    )
    if lay.cases is not None:  # rows 9 and 11 of the Scenario block (see _write_cover)
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
    r = _cover_headline_row(result)
    for name in _headline(result):
        row = lay.model.rows[name]
        out.append(ExtraCell(COVER, r, 4, f"={name}", _expected(v[name][0, 0], row.fmt), row.fmt))
        r += 1
    return out


def _headline(result) -> list[str]:
    names = set(result.metric_names)
    return [n for n in HEADLINE if n in names]


def _cover_headline_row(result) -> int:
    """First headline metric row: below Scenario (rows 4-11) and the headline title (row 13); Provenance, whose
    length varies (a fund lists its projects), follows the headline results."""
    return 14


def cases_cells(lay: Layout, result) -> list[ExtraCell]:
    """The Cases sheet's live column: each metric of the live model, recalculated."""
    v = result.values
    out = _master_cells(CASES, v)
    for i, name in enumerate(result.metric_names):
        row = lay.model.rows[name]
        out.append(ExtraCell(CASES, CASES_FIRST_ROW + i, 3, f"={name}", _expected(v[name][0, 0], row.fmt), row.fmt))
    return out


CASES_FIRST_ROW = 10


def check_status_cells(lay: Layout, result) -> list[ExtraCell]:
    """The Checks sheet's status column (OK / FAILED beside each check) and its summary line (row 3)."""
    from finmodel.workbook import checks as wc

    title = lay.titles.get("Checks")
    if title is None:
        return []
    v = result.values
    ok = float(v["master_check"][0, 0]) == 1.0
    out = [
        ExtraCell(title, 3, 1, wc.summary_formula(), wc.SUMMARY_OK if ok else wc.SUMMARY_FAILED, "text", styles.CHECK)
    ]
    for name, r in wc.check_rows(lay):
        out.append(
            ExtraCell(
                title,
                r,
                4,
                wc.status_formula(r),
                "OK" if float(v[name][0, 0]) == 1.0 else "FAILED",
                "text",
                styles.CALC,
            )
        )
    return out


def _write_check_reasons(ws, lay) -> None:
    """Column E of the Checks sheet: why each check can fail and what to run (fixed text, see workbook_checks)."""
    from finmodel.workbook import checks as wc

    put_text(ws.cell(HEADER_ROWS, 4), "Status")
    put_text(ws.cell(HEADER_ROWS, 5), "If it fails: why, and what to run")
    ws.cell(HEADER_ROWS, 4).style = ws.cell(HEADER_ROWS, 5).style = styles.HEADER
    rows = wc.check_rows(lay)
    for name, r in rows:
        put_text(ws.cell(r, 5), wc.why(name))
        ws.cell(r, 5).style = styles.NOTE
    if rows:
        bad = PatternFill("solid", fgColor=styles.FAIL_FILL, bgColor=styles.FAIL_FILL)
        ws.conditional_formatting.add(
            " ".join(f"D{r}" for _, r in rows),
            CellIsRule(operator="equal", formula=['"FAILED"'], fill=bad, font=Font(color=styles.FAIL_FONT, bold=True)),
        )
    ws.column_dimensions["D"].width = 10
    ws.column_dimensions["E"].width = 100


def live_case_cells(lay: Layout, result) -> list[ExtraCell]:
    """The live case selector's formula cells on Inputs: the live case's name and, for every input that cases
    change, the live cell(s) choosing the live case's value (see :mod:`finmodel.workbook.selector`)."""
    cases = lay.cases
    if cases is None:
        return []
    row, first, last = lay.live_case_rows
    out = [
        ExtraCell("Inputs", row, 4, f"=INDEX($A${first}:$A${last},{LIVE_CASE})", cases.live_name, "text", styles.CALC)
    ]
    for name in cases.values:
        inp = lay.model.inputs[name]
        v = result.values[name][0]
        case_rows = lay.case_rows.get(name)
        if inp.kind == "scalar":
            r, c = lay.input_cells[name]
            cells = [(r, c, [f"C{k}" for k in case_rows])]
        elif inp.kind == "series":
            r = lay.series_rows[name]
            cells = [
                (r, FIRST_COL + t, [f"{get_column_letter(FIRST_COL + t)}{k}" for k in case_rows])
                for t in range(lay.model.periods)
            ]
        else:
            first_row, last_row = lay.table_rows[name]
            cells = [
                (
                    first_row + j,
                    3,
                    [f"{get_column_letter(FIRST_COL + k)}{first_row + j}" for k in range(len(cases.names))],
                )
                for j in range(last_row - first_row + 1)
            ]
        for j, (r, c, refs) in enumerate(cells):
            out.append(ExtraCell("Inputs", r, c, choose(refs), _expected(v[j], inp.fmt), inp.fmt, styles.CALC))
    return out


def extra_cells(lay: Layout, result) -> list[ExtraCell]:
    """Every linking cell the writer adds around the model rows, with its expected value."""
    from finmodel.workbook import charts

    out = cover_cells(lay, result)
    out += cases_cells(lay, result)
    out += live_case_cells(lay, result)
    out += check_status_cells(lay, result)
    for sh in lay.sheets:
        out += _master_cells(sh, result.values)
        if sh not in (lay.titles.get("Timing"), lay.titles.get("Outputs"), lay.titles.get("Checks")):
            out += _period_header_cells(lay, sh, result.values)
    out += workbook_annual.cells(lay, result)
    out += _master_cells(CHARTS, result.values)
    out += _period_header_cells(lay, CHARTS, result.values)
    out += charts.data_cells(lay, result)
    return out


# --- writing -----------------------------------------------------------------------------------------


MAX_COLUMNS = 16_384
"""Columns of an Excel worksheet (A to XFD): a model with more periods cannot be a workbook."""


def check_columns(periods: int) -> None:
    """Refuse (InputError) a workbook whose period columns would pass Excel's last column."""
    need = FIRST_COL + int(periods) - 1
    if need > MAX_COLUMNS:
        raise InputError(
            [
                (
                    "--output",
                    f"expected a model that fits a worksheet ({MAX_COLUMNS:,} columns, "
                    f"{MAX_COLUMNS - FIRST_COL + 1:,} periods at most), found {int(periods):,} "
                    f"periods ({need:,} columns); write --json only, or use fewer periods",
                )
            ]
        )


def write_workbook(results, path: str | Path, *, scenario, provenance: dict, embed: dict | None = None) -> Path:
    """Write the workbook of ``results[0]`` (live) and, for several results, a Cases sheet comparing them.

    Written to a temporary file in the target folder and renamed, so an interrupted run never leaves a
    broken file nor destroys the previous one.
    """
    from finmodel.workbook import charts

    live = results[0]
    model = live.model
    check_columns(model.periods)
    lay = Layout(model, getattr(live, "live_cases", None))
    w = lay.w
    wb = styles.load_template()
    cover = wb[COVER]
    sheets = {name: wb.create_sheet(name) for name in lay.sheets}
    extras = extra_cells(lay, live)
    at_checks = wb.sheetnames.index(lay.titles["Checks"]) if "Checks" in lay.titles else len(wb.sheetnames)
    annual = workbook_annual.plan(lay) is not None
    if annual:
        sheets[ANNUAL] = wb.create_sheet(ANNUAL, at_checks)
        at_checks += 1
    if len(results) > 1:
        sheets[CASES] = wb.create_sheet(CASES, at_checks)
        at_checks += 1
    sheets[CHARTS] = wb.create_sheet(CHARTS, at_checks)
    sheets[COVER] = cover
    periods = model.periods
    last_letter = get_column_letter(lay.last_col)

    _write_inputs(wb, sheets["Inputs"], lay, live)

    # --- calculation sheets -----------------------------------------------------------------------------
    no_periods = {lay.titles.get("Outputs"), lay.titles.get("Checks")}
    for sh in lay.sheets[1:]:
        ws = sheets[sh]
        w.current_sheet = sh
        _headers(ws, sh, periods, period_cols=sh not in no_periods)
        check_cells = []
        for kind, item, r in lay.sheet_rows[sh]:
            if kind == "section":
                _section(ws, r, item, 3 if sh in no_periods else lay.last_col)
                continue
            row = item
            put_text(ws.cell(r, 1), row.label)
            put_text(ws.cell(r, 2), row.unit)
            fmt = FORMATS.get(row.fmt, FORMATS["number"])
            if row.scalar:
                f = "=" + row.expr.xl(w, None)
                role = styles.CHECK if row.fmt == "check" else (styles.LINK if _LINK.match(f) else styles.CALC)
                _styled(ws.cell(r, 3, f), role, fmt)
                if row.fmt == "check":
                    check_cells.append(f"C{r}")
                wb.defined_names[row.name] = DefinedName(row.name, attr_text=f"{_q(sh)}!$C${r}")
                continue
            first = "=" + row.expr.xl(w, 0)
            role = styles.LINK if _LINK.match(first) else styles.CALC
            proto = _styled(ws.cell(r, FIRST_COL, first), role, fmt)
            cells = ws._cells  # direct construction: ~13,000 formula cells, ws.cell() is the slow path
            for t in range(1, periods):
                col = FIRST_COL + t
                cells[(r, col)] = Cell(
                    ws, row=r, column=col, value="=" + row.expr.xl(w, t), style_array=copy.copy(proto._style)
                )
            if row.total:
                c = ws.cell(r, 3, f"=SUM({get_column_letter(FIRST_COL)}{r}:{last_letter}{r})")
                c._style = copy.copy(proto._style)
                c.font = _font(bold=True, color=c.font.color)
        if check_cells:
            _check_format(ws, " ".join(check_cells))
        ws.column_dimensions["A"].width = _label_width(
            item.label for kind, item, _ in lay.sheet_rows[sh] if kind == "row"
        )
        w.current_sheet = ""
        styles.page_setup(
            ws, print_titles=f"1:{HEADER_ROWS}", print_cols="A:C", periods=0 if sh in no_periods else periods
        )

    _write_extra(sheets, extras)
    if annual:
        workbook_annual.write_sheet(sheets[ANNUAL], lay, live)
    if "Checks" in lay.titles:
        _write_check_reasons(sheets[lay.titles["Checks"]], lay)
    _write_cover(cover, lay, live, results, scenario, provenance, wb.sheetnames)
    if len(results) > 1:
        _write_cases(sheets[CASES], lay, results, scenario)
    _headers(sheets[CHARTS], CHARTS, periods, period_cols=True, freeze=False)
    charts.write_sheet(sheets[CHARTS], lay, live, results)
    styles.page_setup(sheets[CHARTS])
    for ws in sheets.values():
        _master_format(ws)
    if embed is not None:  # the scenario behind the workbook, for `finmodel export` / `finmodel run WORKBOOK`
        from finmodel.workbook import read as workbook_read

        workbook_read.embed(wb, **embed)
    wb.active = 0
    wb.calculation.fullCalcOnLoad = True
    return atomic_save(wb, path)


def _font(**kw) -> Font:
    """A font in the workbook's face and size (a bare ``Font()`` would fall back to a serif face)."""
    return Font(name=styles.FONT_NAME, size=styles.FONT_SIZE, **kw)


def _styled(cell, role, number_format):
    cell.style = role
    cell.number_format = number_format
    return cell


def _headers(ws, title, periods, *, period_cols, freeze=True):
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
            ws.column_dimensions[get_column_letter(FIRST_COL + t)].width = 14
    ws.sheet_view.zoomScale = 90


def _write_extra(sheets, extras):
    protos = {}  # (sheet, style, format) -> a styled cell whose style the others copy (ws.cell is the slow path)
    for x in extras:
        ws = sheets.get(x.sheet)
        if ws is None:
            continue
        key = (x.sheet, x.style, x.fmt)
        proto = protos.get(key)
        if proto is None:
            protos[key] = _styled(ws.cell(x.row, x.col, x.formula), x.style, FORMATS.get(x.fmt, FORMATS["number"]))
        else:
            ws._cells[(x.row, x.col)] = Cell(
                ws, row=x.row, column=x.col, value=x.formula, style_array=copy.copy(proto._style)
            )


def _master_format(ws):
    _check_format(ws, "C2")


def _check_format(ws, ref):
    ok = PatternFill("solid", fgColor=styles.OK_FILL, bgColor=styles.OK_FILL)
    bad = PatternFill("solid", fgColor=styles.FAIL_FILL, bgColor=styles.FAIL_FILL)
    ws.conditional_formatting.add(
        ref, CellIsRule(operator="equal", formula=["1"], fill=ok, font=Font(color=styles.OK_FONT, bold=True))
    )
    ws.conditional_formatting.add(
        ref, CellIsRule(operator="notEqual", formula=["1"], fill=bad, font=Font(color=styles.FAIL_FONT, bold=True))
    )


# --- Inputs ------------------------------------------------------------------------------------------

_FRACTION_UNITS = ("fraction", "of commitment", "on undrawn", "fraction of cash")


def _validation_rule(inp) -> tuple:
    """(type, operator, formula1, formula2, message) for an input, from its format and unit."""
    unit = (inp.unit or "").lower()
    if inp.fmt == "date":
        return ("date", "greaterThan", "1", None, "Enter a date (yyyy-mm-dd).")
    if inp.name == "in_periods_per_year":
        return ("list", None, '"1,2,4,12"', None, "Periods per year: 1, 2, 4 or 12.")
    if unit.startswith("1 = yes"):
        return ("whole", "between", "0", "1", "Enter 1 (yes) or 0 (no).")
    if inp.fmt == "int":
        return ("whole", "greaterThanOrEqual", "0", None, f"Enter a whole number of {inp.unit or 'units'} >= 0.")
    if inp.fmt == "pct":
        if any(u in unit for u in _FRACTION_UNITS):
            return (
                "decimal",
                "between",
                "0",
                "1",
                "Enter a fraction between 0 and 1 as a decimal (0.25 for 25 %), not a percentage number.",
            )
        return ("decimal", "between", "-1", "1", "Rates are decimals between -1 and 1 (0.05 for 5 % a year), never 5.")
    if inp.fmt in ("money", "money2"):
        return (
            "decimal",
            "greaterThanOrEqual",
            "0",
            None,
            f"Enter a positive amount in {inp.unit or 'the model currency'} (costs are entered as positive).",
        )
    return ("decimal", "greaterThanOrEqual", "0", None, f"Enter a number >= 0 [{inp.unit}].")


def _passes(rule, x) -> bool:
    kind, op, f1, f2, _ = rule
    if not np.isfinite(x):
        return False
    if kind == "list":
        return x in {float(s) for s in f1.strip('"').split(",")}
    if kind == "whole" and not float(x).is_integer():
        return False
    lo = float(f1) if f1 is not None else None
    if op == "between":
        return lo <= x <= float(f2)
    if op == "greaterThanOrEqual":
        return x >= lo
    if op == "greaterThan":
        return x > lo
    return True


class _Validations:
    """Data validation of the input cells, one rule object per distinct rule."""

    def __init__(self, ws):
        self.ws = ws
        self.by_rule: dict[tuple, list[str]] = {}

    def add(self, rule, cell, inp):
        if not _passes(rule, float(cell.value)):  # a case outside the usual range: numbers only
            rule = ("decimal", "between", "-1E+300", "1E+300", "Enter a number.")
        self.by_rule.setdefault(rule, []).append(cell.coordinate)

    def write(self):
        for (kind, op, f1, f2, msg), cells in self.by_rule.items():
            dv = DataValidation(
                type=kind,
                operator=op,
                formula1=f1,
                formula2=f2,
                allow_blank=False,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle="finmodel input",
                error=msg,
                sqref=" ".join(cells),
            )
            self.ws.add_data_validation(dv)


def _write_inputs(wb, ws, lay, live):
    periods = lay.model.periods
    _headers(ws, "Inputs", periods, period_cols=True)
    dvs = _Validations(ws)
    for kind, item, r in lay.input_layout:
        if kind == "section":
            _section(ws, r, item, 4)
            continue
        if kind == "live_case":
            _write_live_case(wb, ws, lay, dvs)
            continue
        inp = item
        live_value = live.values[inp.name][0] if inp.name in live.values else inp.value[0]
        role = styles.SOLVED if inp.solved else styles.INPUT
        fmt = FORMATS.get(inp.fmt, FORMATS["number"])
        rule = _validation_rule(inp)
        label = inp.label
        cases = lay.cases if lay.cases is not None and lay.cases.varying(inp.name) else None
        if kind == "scalar":
            put_text(ws.cell(r, 1), label)
            put_text(ws.cell(r, 2), inp.unit)
            if cases is None:
                c = _styled(ws.cell(r, 3, float(live_value[0])), role, fmt)
                dvs.add(rule, c, inp)
            else:  # the live cell: live_case_cells
                _write_case_rows(wb, ws, lay, inp, [3], role, fmt, rule, dvs)
            put_text(ws.cell(r, 4), inp.source)
            ws.cell(r, 4).style = styles.NOTE
            wb.defined_names[inp.name] = DefinedName(inp.name, attr_text=f"Inputs!$C${r}")
        elif kind == "series":
            put_text(ws.cell(r, 1), label)
            put_text(ws.cell(r, 2), inp.unit)
            put_text(ws.cell(r, 4), inp.source)
            ws.cell(r, 4).style = styles.NOTE
            cols = [FIRST_COL + t for t in range(periods)]
            for t, col in enumerate(cols):
                if cases is None:
                    dvs.add(rule, _styled(ws.cell(r, col, float(live_value[t])), role, fmt), inp)
            if cases is not None:  # the live cells: live_case_cells
                _write_case_rows(wb, ws, lay, inp, cols, role, fmt, rule, dvs)
            last = get_column_letter(cols[-1])
            wb.defined_names[inp.name] = DefinedName(inp.name, attr_text=f"Inputs!$E${r}:${last}${r}")
        else:  # table
            put_text(ws.cell(r, 1), label)
            ws.cell(r, 1).font = _font(bold=True)
            put_text(ws.cell(r, 2), "year")
            put_text(ws.cell(r, 3), inp.unit)
            put_text(ws.cell(r, 4), inp.source)
            ws.cell(r, 4).style = styles.NOTE
            first, last = lay.table_rows[inp.name]
            for k in range(last - first + 1):
                put_text(ws.cell(first + k, 1), f"  year {k + 1}")
                ws.cell(first + k, 2, k + 1).alignment = Alignment(horizontal="center")
                if cases is None:
                    dvs.add(rule, _styled(ws.cell(first + k, 3, float(live_value[k])), role, fmt), inp)
            if cases is not None:  # the live cells: live_case_cells
                _write_case_table(wb, ws, lay, inp, role, fmt, rule, dvs)
            wb.defined_names[inp.name] = DefinedName(inp.name, attr_text=f"Inputs!$C${first}:$C${last}")
    dvs.write()
    ws.column_dimensions["A"].width = _label_width(inp.label for inp in lay.model.inputs.values())
    styles.page_setup(ws, print_titles=f"1:{HEADER_ROWS}", print_cols="A:D", periods=periods)


def case_input_name(name: str, k: int) -> str:
    """The defined name of case ``k``'s value of an input that cases change (``in_capex_factor_case2``)."""
    return defined_name(f"{name}_case{k}")


def _write_live_case(wb, ws, lay, dvs):
    """The selector: ``live_case`` (a case number), the live case's name, and the list of cases."""
    cases = lay.cases
    row, first, last = lay.live_case_rows
    put_text(ws.cell(row, 1), "Live case (enter a case number from the list below)")
    put_text(ws.cell(row, 2), "#")
    c = _styled(ws.cell(row, 3, cases.live), styles.INPUT, FORMATS["int"])
    dvs.by_rule.setdefault(
        ("whole", "between", "1", str(len(cases.names)), f"Enter a case number from 1 to {len(cases.names)}."), []
    ).append(c.coordinate)
    wb.defined_names[LIVE_CASE] = DefinedName(LIVE_CASE, attr_text=f"Inputs!$C${row}")
    _styled(ws.cell(row, 4, f"=INDEX($A${first}:$A${last},{LIVE_CASE})"), styles.CALC, FORMATS["text"])
    ws.cell(row, 4).font = _font(bold=True)
    for k, name in enumerate(cases.names, start=1):
        put_text(ws.cell(first + k - 1, 1), name)
        ws.cell(first + k - 1, 1).alignment = Alignment(indent=1)
        put_text(ws.cell(first + k - 1, 2), "case")
        _styled(ws.cell(first + k - 1, 3, k), styles.NOTE, FORMATS["int"])
        put_text(ws.cell(first + k - 1, 4), cases.financing[k - 1])
        ws.cell(first + k - 1, 4).style = styles.NOTE
    for j, (name, why) in enumerate(cases.not_live.items()):
        r = last + 1 + j
        put_text(ws.cell(r, 1), name)
        ws.cell(r, 1).alignment = Alignment(indent=1)
        put_text(ws.cell(r, 2), "not live")
        put_text(ws.cell(r, 4), f"{why} (finmodel run SCENARIO --case {name} -o OUT.xlsx)")
        ws.cell(r, 4).style = styles.NOTE


def _write_case_rows(wb, ws, lay, inp, cols, role, fmt, rule, dvs):
    """One value row per case below an input that cases change (scalars: column C; series: the periods)."""
    for k, (r, name) in enumerate(zip(lay.case_rows[inp.name], lay.cases.names, strict=True), start=1):
        put_text(ws.cell(r, 1), name)
        ws.cell(r, 1).alignment = Alignment(indent=2)
        ws.cell(r, 1).style = styles.NOTE
        put_text(ws.cell(r, 2), f"case {k}")
        ws.cell(r, 2).style = styles.NOTE
        values = lay.cases.values[inp.name][k - 1]
        for j, col in enumerate(cols):
            dvs.add(rule, _styled(ws.cell(r, col, float(values[j])), role, fmt), inp)
        a, b = get_column_letter(cols[0]), get_column_letter(cols[-1])
        ref = f"Inputs!${a}${r}" + (f":${b}${r}" if len(cols) > 1 else "")
        wb.defined_names[case_input_name(inp.name, k)] = DefinedName(case_input_name(inp.name, k), attr_text=ref)


def _write_case_table(wb, ws, lay, inp, role, fmt, rule, dvs):
    """A by-year table that cases change: one value column per case (from column E), headed by the case."""
    first, last = lay.table_rows[inp.name]
    for k, name in enumerate(lay.cases.names, start=1):
        col = FIRST_COL + k - 1
        put_text(ws.cell(first - 1, col), name)
        ws.cell(first - 1, col).style = styles.NOTE
        values = lay.cases.values[inp.name][k - 1]
        for j in range(last - first + 1):
            dvs.add(rule, _styled(ws.cell(first + j, col, float(values[j])), role, fmt), inp)
        letter = get_column_letter(col)
        wb.defined_names[case_input_name(inp.name, k)] = DefinedName(
            case_input_name(inp.name, k), attr_text=f"Inputs!${letter}${first}:${letter}${last}"
        )


# --- Cover, Cases ------------------------------------------------------------------------------------


def _write_cover(ws, lay, live, results, scenario, prov: dict, sheetnames):
    project = getattr(scenario, "project", None)
    put_text(ws.cell(1, 1), getattr(project, "name", None) or "finmodel scenario")
    ws.cell(1, 1).style = styles.TITLE
    put_text(ws.cell(2, 1), "Master check (1 = all checks pass)")
    ws.cell(2, 1).font = _font(bold=True)

    def block(r, title, items):
        put_text(ws.cell(r, 1), title)
        for c in range(1, 5):
            ws.cell(r, c).style = styles.SECTION
        for k, (label, value) in enumerate(items, start=1):
            put_text(ws.cell(r + k, 1), label)
            if value is None:  # a live formula (cover_cells)
                continue
            put_text(ws.cell(r + k, 3), value)
            ws.cell(r + k, 3).alignment = Alignment(horizontal="left")
        return r + len(items) + 1

    cases = ", ".join(res.case for res in results)
    scen = [
        ("Project", getattr(project, "name", "")),
        ("Country", getattr(project, "country", "")),
        ("Sector", getattr(project, "sector", "")),
        ("Currency", getattr(project, "currency", "")),
        ("Live case (the formulas of this workbook)", None if lay.cases else live.case),
        ("Cases in this workbook", cases + ("  (see the Cases sheet)" if len(results) > 1 else "")),
        ("Financing", None if lay.cases else ("solved in this case" if live.resized else "as sized in the base case")),
    ]
    if lay.cases is not None:
        scen[4] = ("Live case (Inputs: live_case)", None)
        scen[5] = (
            "Cases in this workbook",
            ", ".join(lay.cases.names) + ("  (see the Cases sheet)" if len(results) > 1 else ""),
        )
    block(4, "Scenario", scen)
    labels = {
        "scenario": "Scenario file",
        "scenario_sha256": "Scenario SHA-256",
        "case": "Case",
        "seed": "Seed",
        "finmodel_version": "finmodel version",
        "generated": "Generated (UTC)",
    }
    items = [(labels.get(k, k), "(none)" if k == "seed" and not v else v) for k, v in prov.items()]
    r = _cover_headline_row(live) - 1
    put_text(ws.cell(r, 1), "Headline results (live: they recalculate with the model)")
    for c in range(1, 5):
        ws.cell(r, c).style = styles.SECTION
    for k, name in enumerate(_headline(live), start=1):
        row = lay.model.rows[name]
        put_text(ws.cell(r + k, 1), row.label)
        put_text(ws.cell(r + k, 3), row.unit)
        ws.cell(r + k, 3).alignment = Alignment(horizontal="right")
    r = block(r + len(_headline(live)) + 2, "Provenance", items) + 1
    put_text(ws.cell(r, 1), "Contents")
    for c in range(1, 5):
        ws.cell(r, c).style = styles.SECTION
    for k, name in enumerate([s for s in sheetnames if s != COVER], start=1):
        c = ws.cell(r + k, 1)
        put_text(c, name)
        c.hyperlink = f"#{_q(name)}!A1"
        c.font = _font(color="0563C1", underline="single")
        model_name = next((m for m, t in lay.titles.items() if t == name), name)
        put_text(ws.cell(r + k, 3), SHEET_NOTES.get(model_name, ""))
        ws.cell(r + k, 3).style = styles.NOTE
    ws.column_dimensions["C"].width = 66
    ws.column_dimensions["D"].width = 16
    ws["C2"].alignment = Alignment(horizontal="left")
    ok = PatternFill("solid", fgColor=styles.OK_FILL, bgColor=styles.OK_FILL)
    bad = PatternFill("solid", fgColor=styles.FAIL_FILL, bgColor=styles.FAIL_FILL)
    ws.conditional_formatting.add(
        "D2", FormulaRule(formula=["$C$2=1"], fill=ok, font=_font(color=styles.OK_FONT, bold=True))
    )
    ws.conditional_formatting.add(
        "D2", FormulaRule(formula=["$C$2<>1"], fill=bad, font=_font(color=styles.FAIL_FONT, bold=True))
    )
    ws.freeze_panes = None
    styles.page_setup(ws)


def _write_cases(ws, lay, results, scenario):
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
    heads = ["Metric", "Unit", "Live model (recalculates)"]
    cols = []  # (result, value column, difference column or None)
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
    for k, text in enumerate(heads, start=1):
        put_text(ws.cell(5, k), text)
        ws.cell(5, k).style = styles.HEADER
    ws.row_dimensions[5].height = 30
    cases_info = getattr(scenario, "cases", {}) or {}
    put_text(ws.cell(6, 1), "Description")
    put_text(ws.cell(7, 1), "Financing")
    put_text(ws.cell(8, 1), "Master check (as run)")
    for res, vc, _ in cols:
        desc = "the scenario as written" if res.case == "base" else getattr(cases_info.get(res.case), "description", "")
        put_text(ws.cell(6, vc), desc or "")
        if res.case == "base" or (res is live and res.resized):
            fin = "debt sized in this case"
        elif res.resized:
            fin = "debt re-sized for this case"
        else:
            fin = "debt as sized in the base case (as signed)"
        put_text(ws.cell(7, vc), fin)
        ok = res.checks().get("master_check", False)
        put_text(ws.cell(8, vc), "OK" if ok else "CHECK FAILED")
        ws.cell(8, vc).font = _font(bold=True, color=styles.OK_FONT if ok else styles.FAIL_FONT)
        for rr in (6, 7, 8):
            ws.cell(rr, vc).alignment = Alignment(wrap_text=True, vertical="top", horizontal="right")
    ws.row_dimensions[6].height = 42
    ws.row_dimensions[7].height = 28
    base = live.metrics()
    for i, name in enumerate(live.metric_names):
        r = CASES_FIRST_ROW + i
        row = lay.model.rows[name]
        fmt = FORMATS.get(row.fmt, FORMATS["number"])
        put_text(ws.cell(r, 1), row.label)
        put_text(ws.cell(r, 2), row.unit)
        for res, vc, dc in cols:
            v = res.metrics().get(name)
            _styled(ws.cell(r, vc, v), styles.CALC, fmt)
            if dc is not None and v is not None and base.get(name) is not None:
                d = ws.cell(r, dc, v - base[name])
                _styled(d, styles.NOTE, fmt)
    put_text(ws.cell(9, 1), "Metrics")
    for k in range(1, len(heads) + 1):
        ws.cell(9, k).style = styles.SECTION
    ws.column_dimensions["A"].width = _label_width(lay.model.rows[n].label for n in live.metric_names)
    ws.column_dimensions["B"].width = 12
    for k in range(3, len(heads) + 1):
        ws.column_dimensions[get_column_letter(k)].width = 22
    ws.freeze_panes = "D10"
    styles.page_setup(ws)


def atomic_save(wb, path) -> Path:
    """Save ``wb`` to ``path`` through a temporary file (see :func:`finmodel.files.atomic_write`)."""
    return atomic_write(path, wb.save)


def provenance(scenario, case: str, *, seed=None) -> dict:
    """What every output says about where it came from."""
    return {
        "finmodel_version": __version__,
        "scenario": str(scenario.source),
        "scenario_sha256": scenario.sha256 or "",
        "case": case,
        "seed": "" if seed is None else str(seed),
        "generated": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
    }


__all__ = [
    "FIRST_COL",
    "HEADER_ROWS",
    "Layout",
    "ExtraCell",
    "atomic_save",
    "extra_cells",
    "provenance",
    "put_text",
    "safe_sheet_title",
    "sheet_names",
    "write_workbook",
]
_ = FormulaWriter
