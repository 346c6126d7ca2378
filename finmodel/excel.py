"""The live workbook: every row of the model written as Excel formulas (FAST layout).

Layout, the same on every calculation sheet: column A label, B unit, C total (or the value of a named
scalar), D empty (the "previous period" of the first period), periods from column E, one column per
period, one formula per row. The Inputs sheet holds every input once (value in column C, a workbook-level
defined name per input, source in column D; by-year tables below; per-period inputs in the period
columns). Scalar results (metrics, checks) are named cells; every JSON metric is a defined name.

Nothing here computes: formulas come from :meth:`finmodel.rows.Expr.xl`, the same definitions the engine
evaluates.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from finmodel import __version__
from finmodel.errors import FinmodelError
from finmodel.rows import FormulaWriter

FIRST_COL = 5  # column E = period 1
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
FORMATS = {
    "money": '#,##0;(#,##0);"-"',
    "money2": '#,##0.00;(#,##0.00);"-"',
    "pct": "0.00%",
    "x": '0.00"x"',
    "date": "yyyy-mm-dd",
    "int": "0",
    "flag": "0",
    "check": "0",
    "number": "#,##0.00",
    "factor": "0.000000",
}
INPUT_FONT = Font(color="0000FF")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
SOLVED_FILL = PatternFill("solid", fgColor="E2EFDA")
HEAD_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
_CELL_NAME = re.compile(r"^[A-Za-z]{1,3}[0-9]+$|^[RrCc]([0-9]*|[0-9]+[RrCc][0-9]+)$")


def sheet_names(model) -> list[str]:
    """Inputs, then the calculation sheets in data-flow order; sheets added by other modules (fund, blending,
    guarantees ...) come before Outputs and Checks, in the order their first row was defined."""
    used = list(dict.fromkeys(row.sheet for row in model.rows.values()))
    known = [s for s in SHEET_ORDER if s in used or s == "Inputs"]
    extra = [s for s in used if s not in SHEET_ORDER]
    at = known.index("Outputs") if "Outputs" in known else len(known)
    return known[:at] + extra + known[at:]


def put_text(cell, text) -> None:
    """Write user text as text, never as a formula (a name like ``=HYPERLINK(...)`` stays a string)."""
    cell.value = "" if text is None else str(text)
    cell.data_type = "s"


def defined_name(name: str) -> str:
    if _CELL_NAME.match(name):
        raise FinmodelError(f"model name {name!r} would read as a cell address in a formula")
    return name


class Layout:
    """Where every input and row lives; fills a :class:`FormulaWriter`."""

    def __init__(self, model):
        self.model = model
        self.w = FormulaWriter(FIRST_COL, model.periods)
        self.input_cells: dict[str, tuple[int, int]] = {}  # scalar input -> (row, col) on Inputs
        self.series_rows: dict[str, int] = {}
        self.table_rows: dict[str, tuple[int, int]] = {}  # table -> (first row, last row)
        self.sheets = sheet_names(model)
        self.sheet_rows: dict[str, list] = {s: [] for s in self.sheets}  # sheet -> [("section", text) | ("row", name)]
        self._place()

    def _place(self):
        m, w = self.model, self.w
        r = HEADER_ROWS + 1
        groups: dict[str, list] = {}
        for inp in m.inputs.values():
            groups.setdefault(inp.group, []).append(inp)
        self.input_layout = []  # (kind, payload, excel row)
        for group, items in groups.items():
            self.input_layout.append(("section", group, r))
            r += 1
            for inp in items:
                if inp.kind == "scalar":
                    self.input_layout.append(("scalar", inp, r))
                    self.input_cells[inp.name] = (r, 3)
                    w.names[inp.name] = defined_name(inp.name)
                    r += 1
                elif inp.kind == "series":
                    self.input_layout.append(("series", inp, r))
                    w.cells[inp.name] = ("Inputs", r)
                    r += 1
            r += 1
        for inp in m.inputs.values():
            if inp.kind != "table":
                continue
            n = inp.value.shape[1]
            self.input_layout.append(("table", inp, r))
            first, last = r + 1, r + n
            self.table_rows[inp.name] = (first, last)
            w.tables[inp.name] = (f"Inputs!$B${first}:$B${last}", defined_name(inp.name))
            r = last + 2
        # calculation sheets
        next_row = {s: HEADER_ROWS + 1 for s in self.sheets}
        last_section = {s: None for s in self.sheets}
        for row in m.rows.values():
            sh = row.sheet
            if sh not in next_row:
                raise FinmodelError(f"row {row.name!r} on unknown sheet {sh!r}")
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

    def address(self, name: str) -> tuple[str, str]:
        """(sheet, cell) of a scalar (input or named result)."""
        if name in self.input_cells:
            r, c = self.input_cells[name]
            return "Inputs", f"{get_column_letter(c)}{r}"
        sh, r = self.w.cells[name]
        return sh, f"C{r}"


def write_workbook(results, path: str | Path, *, scenario, provenance: dict) -> Path:
    """Write the workbook of ``results[0]`` (live) and a Cases sheet comparing every result.

    Written to a temporary file in the target folder and renamed, so an interrupted run never leaves a
    broken file nor destroys the previous one.
    """
    live = results[0]
    model = live.model
    lay = Layout(model)
    w = lay.w
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in lay.sheets}
    periods = model.periods
    last_letter = get_column_letter(FIRST_COL + periods - 1)

    # --- Inputs -----------------------------------------------------------------------------------------
    ws = sheets["Inputs"]
    _headers(ws, "Inputs", periods, w, timing=False)
    for kind, item, r in lay.input_layout:
        if kind == "section":
            put_text(ws.cell(r, 1), item)
            ws.cell(r, 1).font = HEAD_FONT
            continue
        inp = item
        live_value = live.values[inp.name][0] if inp.name in live.values else inp.value[0]
        if kind == "scalar":
            put_text(ws.cell(r, 1), inp.label)
            put_text(ws.cell(r, 2), inp.unit)
            c = ws.cell(r, 3, float(live_value[0]))
            _style_input(c, inp)
            put_text(ws.cell(r, 4), inp.source)
            wb.defined_names[inp.name] = DefinedName(inp.name, attr_text=f"Inputs!$C${r}")
        elif kind == "series":
            put_text(ws.cell(r, 1), inp.label)
            put_text(ws.cell(r, 2), inp.unit)
            put_text(ws.cell(r, 4), inp.source)
            for t in range(periods):
                _style_input(ws.cell(r, FIRST_COL + t, float(live_value[t])), inp)
        else:  # table
            put_text(ws.cell(r, 1), f"{inp.label} [{inp.unit}]")
            ws.cell(r, 1).font = HEAD_FONT
            put_text(ws.cell(r, 2), "year")
            put_text(ws.cell(r, 4), inp.source)
            first, last = lay.table_rows[inp.name]
            for k in range(last - first + 1):
                put_text(ws.cell(first + k, 1), f"year {k + 1}")
                ws.cell(first + k, 2, k + 1)
                _style_input(ws.cell(first + k, 3, float(live_value[k])), inp)
            wb.defined_names[inp.name] = DefinedName(inp.name, attr_text=f"Inputs!$C${first}:$C${last}")

    # --- calculation sheets -----------------------------------------------------------------------------
    for sh in lay.sheets[1:]:
        ws = sheets[sh]
        w.current_sheet = sh
        _headers(ws, sh, periods, w, timing=sh not in ("Outputs", "Checks"))
        for kind, item, r in lay.sheet_rows[sh]:
            if kind == "section":
                put_text(ws.cell(r, 1), item)
                ws.cell(r, 1).font = HEAD_FONT
                continue
            row = item
            put_text(ws.cell(r, 1), row.label)
            put_text(ws.cell(r, 2), row.unit)
            fmt = FORMATS.get(row.fmt, FORMATS["number"])
            if row.scalar:
                c = ws.cell(r, 3, "=" + row.expr.xl(w, None))
                c.number_format = fmt
                wb.defined_names[row.name] = DefinedName(row.name, attr_text=f"{_q(sh)}!$C${r}")
                continue
            if row.total:
                ws.cell(r, 3, f"=SUM({get_column_letter(FIRST_COL)}{r}:{last_letter}{r})").number_format = fmt
            for t in range(periods):
                ws.cell(r, FIRST_COL + t, "=" + row.expr.xl(w, t)).number_format = fmt
        w.current_sheet = ""

    _provenance(sheets["Outputs"], provenance, live.case)
    if len(results) > 1:
        _cases_sheet(wb, results)
    wb.calculation.fullCalcOnLoad = True
    return atomic_save(wb, path)


def _q(sheet):
    return f"'{sheet}'" if not sheet.isalnum() else sheet


def _style_input(cell, inp):
    cell.font = INPUT_FONT
    cell.fill = SOLVED_FILL if inp.solved else INPUT_FILL
    cell.number_format = FORMATS.get(inp.fmt, FORMATS["number"])


def _headers(ws, title, periods, w, *, timing):
    put_text(ws.cell(1, 1), title)
    ws.cell(1, 1).font = TITLE_FONT
    put_text(ws.cell(2, 1), "Master check (1 = all checks pass)")
    ws.cell(2, 3, "=master_check")
    put_text(ws.cell(HEADER_ROWS, 1), "Label")
    put_text(ws.cell(HEADER_ROWS, 2), "Unit")
    put_text(ws.cell(HEADER_ROWS, 3), "Total / value")
    for c in (1, 2, 3):
        ws.cell(HEADER_ROWS, c).font = HEAD_FONT
    if timing or title == "Inputs":
        put_text(ws.cell(3, 2), "period end")
        put_text(ws.cell(4, 2), "period")
        for t in range(periods):
            col = FIRST_COL + t
            if title == "Timing":
                continue  # the Timing sheet's own rows carry these
            letter = get_column_letter(col)
            ws.cell(3, col, f"=Timing!{letter}${w.cells['period_end'][1]}").number_format = FORMATS["date"]
            ws.cell(4, col, f"=Timing!{letter}${w.cells['period'][1]}")
    ws.freeze_panes = ws.cell(HEADER_ROWS + 1, FIRST_COL)
    ws.column_dimensions["A"].width = 52
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 16
    ws.column_dimensions["D"].width = 3 if title != "Inputs" else 40
    for t in range(periods):
        ws.column_dimensions[get_column_letter(FIRST_COL + t)].width = 13


def _provenance(ws, prov: dict, case: str):
    r = ws.max_row + 2
    put_text(ws.cell(r, 1), "Provenance")
    ws.cell(r, 1).font = HEAD_FONT
    items = dict(prov)
    items.setdefault("case (live)", case)
    for k, (key, val) in enumerate(items.items(), start=1):
        put_text(ws.cell(r + k, 1), key)
        put_text(ws.cell(r + k, 3), val)


def _cases_sheet(wb, results):
    ws = wb.create_sheet("Cases")
    put_text(ws.cell(1, 1), "Cases (values; the first case is the live model)")
    ws.cell(1, 1).font = TITLE_FONT
    put_text(ws.cell(3, 1), "metric")
    base = results[0].metrics()
    for j, res in enumerate(results):
        put_text(ws.cell(3, 2 + 2 * j), res.case + (" (live)" if j == 0 else ""))
        if j:
            put_text(ws.cell(3, 3 + 2 * j), f"{res.case} - {results[0].case}")
    for i, name in enumerate(results[0].metric_names):
        put_text(ws.cell(4 + i, 1), name)
        for j, res in enumerate(results):
            v = res.metrics().get(name)
            ws.cell(4 + i, 2 + 2 * j, v)
            if j and v is not None and base.get(name) is not None:
                ws.cell(4 + i, 3 + 2 * j, v - base[name])
    ws.column_dimensions["A"].width = 30


def atomic_save(wb, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


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


def engine_value(values, name, t=None) -> float:
    a = values[name][0]
    return float(a[0] if t is None else a[t])


_ = np
