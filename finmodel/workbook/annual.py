"""The Annual sheet: every period row of the model rolled up by model year, live, with headlines and charts.

Model year *y* is the periods ``(y - 1) * ppy + 1 .. y * ppy`` (``ppy`` = ``in_periods_per_year``), the same
columns on every calculation sheet. Row 4 numbers the years (``=D4+1``); each annual cell picks its year's
periods from the source row by INDEX (``INDEX(row, (E$4-1)*in_periods_per_year+1):INDEX(row,
E$4*in_periods_per_year)``), so one formula is copied across each row (FAST) and no OFFSET/INDIRECT is needed:

==========  ==========================================================  ==============================
basis       rows (their kind: :func:`finmodel.rows.kinds.row_kind`)            formula over the year's periods
==========  ==========================================================  ==============================
sum         flows                                                       ``SUM``
year end    balances, counters, dates                                   the last period's value
year start  opening balances                                            the first period's value
minimum     ratios (DSCR, LLCR, rates, shares)                          ``MIN`` (blank if none)
maximum     flags (1 if set in any period of the year)                  ``MAX``
==========  ==========================================================  ==============================

The kinds and their roll-up are the API's (``finmodel.run(...).annual``): the sheet and the DataFrame agree.
Each basis is defined once, here, with both renderings (:class:`Basis`: the numpy value for the parity check,
the formula for the workbook). The headline block at the top links to the detailed rows below it and adds the
annual DSCR a credit paper quotes (annual CFADS / annual senior debt service due); the charts read the headlines.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from openpyxl.utils import get_column_letter

from finmodel.workbook import styles
from finmodel.workbook.cells import ExtraCell, expected_value, put_text, quote_sheet, section_row

ANNUAL = "Annual"
FIRST_COL = 5  # column E = year 1, as period 1 on the calculation sheets
HEADLINE = [
    "revenue",
    "opex",
    "ebitda",
    "cfads",
    "senior_due",
    "senior_paid",
    "dscr",
    "dsra_balance",
    "dividends",
    "equity_cf",
    "project_cf",
]
CHART_ROWS = 20  # rows left free below the headlines for the charts
SKIP_SHEETS = ("Inputs", "Timing", "Outputs", "Checks")


@dataclasses.dataclass(frozen=True)
class Basis:
    """How a period row becomes a yearly value: ``ev`` on a (years, ppy) array, ``xl`` on the year's cells."""

    name: str

    def ev(self, a: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            if self.name == "sum":
                return np.nansum(a, axis=1)
            if self.name == "year end":
                return a[:, -1]
            if self.name == "year start":
                return a[:, 0]
            finite = np.isfinite(a).any(axis=1)
            fill = {"minimum": np.inf, "maximum": -np.inf}.get(self.name, 0.0)
            b = np.where(np.isfinite(a), a, fill)
            v = b.min(axis=1) if self.name == "minimum" else b.max(axis=1)
            # a spreadsheet's MAX of no numbers is 0; MIN is guarded to a blank by the formula
            return np.where(finite, v, 0.0 if self.name == "maximum" else np.nan)

    def xl(self, rng: str, year: str, ppy: str) -> str:
        """The formula over the period row ``rng`` (absolute, whole row) for the year in cell ``year``: one
        formula copied across the row (FAST), the year's periods picked by INDEX (never OFFSET/INDIRECT)."""
        first = f"INDEX({rng},({year}-1)*{ppy}+1)"
        last = f"INDEX({rng},{year}*{ppy})"
        span = f"{first}:{last}"
        if self.name == "sum":
            return f"=SUM({span})"
        if self.name == "year end":
            return f"={last}"
        if self.name == "year start":
            return f"={first}"
        if self.name == "maximum":
            return f"=MAX({span})"
        return f'=IF(COUNT({span})=0,"",MIN({span}))'


_BASIS = {"sum": "sum", "last": "year end", "first": "year start", "min": "minimum", "max": "maximum"}


def bases(model) -> dict[str, Basis]:
    """The basis of every period row: its kind (:func:`finmodel.rows.kinds.row_kind`, the same roll-up as the API's
    ``Result.annual``) and that kind's aggregation (:data:`finmodel.rows.kinds.ROLLUP`)."""
    from finmodel.rows.kinds import ROLLUP, row_kinds

    return {name: Basis(_BASIS[ROLLUP[kind]]) for name, kind in row_kinds(model).items()}


@dataclasses.dataclass
class Line:
    """One row of the Annual sheet."""

    row: int
    label: str
    unit: str
    fmt: str
    basis: Basis | None = None
    source: tuple[str, int] | None = None  # (sheet title, Excel row) of the period row
    name: str = ""  # the model row
    link: int | None = None  # a headline: the Annual row it shows
    ratio: tuple[int, int] | None = None  # the annual DSCR: (CFADS row, debt service row) on this sheet


@dataclasses.dataclass
class Plan:
    years: int
    ppy: int
    lines: list[Line]
    sections: list[tuple[int, str]]
    chart_row: int


def plan(lay) -> Plan | None:
    """Where every annual row goes; None when the periods do not divide into whole years."""
    m = lay.model
    if "in_periods_per_year" not in m.inputs:
        return None
    ppy = int(m.inputs["in_periods_per_year"].value[0, 0])
    if ppy < 1 or m.periods % ppy:
        return None
    years = m.periods // ppy
    sources = [sh for sh in lay.sheets if not any(sh == lay.titles.get(s) for s in SKIP_SHEETS)]
    detail: list[tuple[str, object, int]] = [
        (sh, row, r) for sh in sources for kind, row, r in lay.sheet_rows[sh] if kind == "row" and not row.scalar
    ]
    by_name = {row.name: k for k, (_, row, _) in enumerate(detail)}
    basis = bases(m)
    heads = [n for n in HEADLINE if n in by_name]
    dscr = "cfads" in by_name and "senior_due" in by_name
    r = 6
    sections = [(r, "Headlines by model year")]
    r += 1
    head_rows = list(range(r, r + len(heads)))
    r += len(heads) + dscr
    chart_row = r + 1
    r = chart_row + (CHART_ROWS if heads else 0) + 1
    lines: list[Line] = []
    rows_of: dict[str, int] = {}
    current = None
    for sh, row, src in detail:
        if sh != current:
            if current is not None:
                r += 1
            sections.append((r, f"{sh} by model year"))
            r += 1
            current = sh
        lines.append(Line(r, row.label, row.unit, row.fmt, basis[row.name], (sh, src), row.name))
        rows_of[row.name] = r
        r += 1
    for n, hr in zip(heads, head_rows, strict=True):
        row = detail[by_name[n]][1]
        lines.append(Line(hr, row.label, row.unit, row.fmt, basis[n], name=n, link=rows_of[n]))
    if dscr:
        lines.append(
            Line(
                head_rows[-1] + 1 if heads else 7,
                "DSCR, annual (CFADS / senior debt service due)",
                "x",
                "x",
                ratio=(rows_of["cfads"], rows_of["senior_due"]),
            )
        )
    return Plan(years, ppy, lines, sections, chart_row)


def _q(sheet: str) -> str:
    return quote_sheet(sheet)


def cells(lay, result) -> list:
    """Every formula cell of the Annual sheet with the value it must show (the period headings, the rows, the
    totals), as :class:`finmodel.workbook.writer.ExtraCell`."""

    p = plan(lay)
    if p is None:
        return []
    v = result.values
    out = [ExtraCell(ANNUAL, 2, 3, "=master_check", expected_value(v["master_check"][0, 0]), "check", styles.CHECK)]
    timing = lay.titles.get("Timing", "Timing")
    w = lay.w
    ppy = w.names.get("in_periods_per_year", "in_periods_per_year")
    a, b = get_column_letter(w.first_col), get_column_letter(w.first_col + lay.model.periods - 1)
    dates = f"{_q(timing)}!${a}${w.cells['period_end'][1]}:${b}${w.cells['period_end'][1]}"
    for y in range(p.years):
        letter = get_column_letter(FIRST_COL + y)
        prev = get_column_letter(FIRST_COL + y - 1)
        t = (y + 1) * p.ppy - 1
        out.append(
            ExtraCell(
                ANNUAL,
                3,
                FIRST_COL + y,
                f"=INDEX({dates},{letter}$4*{ppy})",
                expected_value(v["period_end"][0, t], "date"),
                "date",
            )
        )
        out.append(ExtraCell(ANNUAL, 4, FIRST_COL + y, f"={prev}4+1", float(y + 1), "int", styles.CALC))
    last = get_column_letter(FIRST_COL + p.years - 1)
    for line in p.lines:
        yearly = _yearly(line, p, v)
        fmt = line.fmt
        for y in range(p.years):
            letter = get_column_letter(FIRST_COL + y)
            if line.link is not None:
                f, style = f"={letter}{line.link}", styles.CALC
            elif line.ratio is not None:
                c, d = line.ratio
                f, style = f'=IF({letter}{d}>0,{letter}{c}/{letter}{d},"")', styles.CALC
            else:
                sh, src = line.source
                f = line.basis.xl(f"{_q(sh)}!${a}{src}:${b}{src}", f"{letter}$4", ppy)
                style = styles.CALC
            out.append(ExtraCell(ANNUAL, line.row, FIRST_COL + y, f, expected_value(yearly[y], fmt), fmt, style))
        if line.basis is not None and line.basis.name == "sum":
            out.append(
                ExtraCell(
                    ANNUAL,
                    line.row,
                    3,
                    f"=SUM({get_column_letter(FIRST_COL)}{line.row}:{last}{line.row})",
                    expected_value(np.nansum(yearly), fmt),
                    fmt,
                    styles.CALC,
                )
            )
    return out


def _yearly(line: Line, p: Plan, v) -> np.ndarray:
    if line.ratio is not None:
        c = Basis("sum").ev(v["cfads"][0].reshape(p.years, p.ppy))
        d = Basis("sum").ev(v["senior_due"][0].reshape(p.years, p.ppy))
        with np.errstate(all="ignore"):
            return np.where(d > 0, c / np.where(d > 0, d, 1.0), np.nan)
    return line.basis.ev(np.asarray(v[line.name][0], dtype=float).reshape(p.years, p.ppy))


def write_sheet(ws, lay, result) -> None:
    """Labels, units, bases, section headings, formats and charts of the Annual sheet (its formula cells come
    from :func:`cells`, written by the workbook writer)."""

    p = plan(lay)
    put_text(ws.cell(1, 1), "Annual summary (live: each model year rolled up from the period rows)")
    ws.cell(1, 1).style = styles.TITLE
    put_text(ws.cell(2, 1), "Master check (1 = all checks pass)")
    ws.cell(2, 1).style = styles.NOTE
    put_text(ws.cell(3, 2), "year end")
    put_text(ws.cell(4, 2), "model year")
    ws.cell(3, 2).style = ws.cell(4, 2).style = styles.NOTE
    for c, text in enumerate(["Label", "Unit", "Total", "Basis"], start=1):
        put_text(ws.cell(5, c), text)
    last = FIRST_COL + p.years - 1
    for c in range(1, last + 1):
        ws.cell(5, c).style = styles.HEADER
    for r, text in p.sections:
        section_row(ws, r, text, last)
    for line in p.lines:
        put_text(ws.cell(line.row, 1), line.label)
        put_text(ws.cell(line.row, 2), line.unit)
        basis = "annual" if line.ratio else line.basis.name
        put_text(ws.cell(line.row, 4), basis)
        ws.cell(line.row, 4).style = styles.NOTE
    ws.freeze_panes = ws.cell(6, FIRST_COL)
    ws.column_dimensions["A"].width = min(80.0, max(30.0, max(len(x.label) for x in p.lines) * 1.05 + 2))
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 17
    ws.column_dimensions["D"].width = 10
    for y in range(p.years):
        ws.column_dimensions[get_column_letter(FIRST_COL + y)].width = 13
    _charts(ws, p, result)
    styles.page_setup(ws, print_titles="1:5", print_cols="A:D", periods=p.years)


def _charts(ws, p: Plan, result) -> None:
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.chart.series import SeriesLabel

    heads = {line.name or "dscr_annual": line for line in p.lines if line.link is not None or line.ratio}
    all_years = (FIRST_COL, FIRST_COL + p.years - 1)
    debt_years = all_years
    if "dscr_annual" in heads:  # the DSCR chart spans the years with senior debt service (in the case written)
        with_ds = np.flatnonzero(np.isfinite(_yearly(heads["dscr_annual"], p, result.values)))
        if with_ds.size:
            debt_years = (FIRST_COL + int(with_ds[0]), FIRST_COL + int(with_ds[-1]))

    def add(chart, names, title, axis_format, span=all_years):
        first, last = span
        years = Reference(ws, min_col=first, max_col=last, min_row=4, max_row=4)
        for n in names:
            if n not in heads:
                continue
            line = heads[n]
            ref = Reference(ws, min_col=first, max_col=last, min_row=line.row, max_row=line.row)
            chart.add_data(ref, from_rows=True, titles_from_data=False)
            chart.series[-1].tx = SeriesLabel(v=line.label)
        chart.set_categories(years)
        chart.title = title
        chart.y_axis.numFmt = axis_format
        chart.y_axis.delete = False
        chart.x_axis.delete = False
        chart.x_axis.title = "model year"
        chart.height, chart.width = 9.5, 17
        return chart

    bars = add(BarChart(), ["cfads", "senior_due", "dividends"], "CFADS, debt service, dividends", '#,##0,,"m"')
    ws.add_chart(bars, f"A{p.chart_row}")
    ratio = add(LineChart(), ["dscr_annual", "dscr"], "DSCR by year", '0.00"x"', debt_years)
    ws.add_chart(ratio, f"D{p.chart_row}")
