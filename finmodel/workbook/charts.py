"""The Charts sheet: native Excel charts reading the live model rows, so they follow any change of the inputs.

The charts are those of :func:`~finmodel.workbook.chart_specs.chart_specs`, two side by side from row
:data:`CHART_ROW`, :data:`GRID_ROWS` rows each. Below them a data block holds what the charts need that is not a
model row: horizontal lines (lock-up covenant, sizing target) as link rows over the period columns, the sources and
uses table, and for a fund one value per structure run. Its link cells are :func:`data_cells`, each with the value
it must show after recalculation; :func:`write_sheet` writes the labels and the charts.
"""

from __future__ import annotations

import numpy as np
from openpyxl.chart import AreaChart, BarChart, LineChart, Reference
from openpyxl.chart.series import SeriesLabel, StrRef

from finmodel.workbook import styles
from finmodel.workbook.cells import CHARTS, FIRST_COL, ExtraCell, put_text
from finmodel.workbook.cells import expected_value as _expected
from finmodel.workbook.cells import quote_sheet as _q
from finmodel.workbook.chart_specs import ChartSpec, chart_specs, scalar_value, span, y_limit
from finmodel.workbook.layout import Layout

CHART_ROW = 7  # first row of the chart grid on the Charts sheet
GRID_ROWS = 19  # sheet rows per chart in the grid
ANCHOR_COLS = ("A", "F")  # two charts side by side
WIDTH_CM, HEIGHT_CM = 16.0, 9.0  # [cm] size of each chart


# --- the data block -------------------------------------------------------------------------------------------


def data_rows(specs: list[ChartSpec]) -> dict:
    """Rows of the data block: ("const", Series) rows, then ("su", Series) rows, then ("st", Series) rows (a
    "structures" chart); -> {key: excel row}."""
    r = CHART_ROW + GRID_ROWS * ((len(specs) + 1) // 2) + 1
    out = {"title": r}
    r += 1
    seen = set()
    for spec in specs:
        for s in spec.series:
            if s.const and s.name not in seen:
                out[("const", s.name)] = r
                seen.add(s.name)
                r += 1
    for kind, tag, always in (("sources_uses", "su", True), ("structures", "st", False)):
        if not always and not any(spec.kind == kind for spec in specs):
            continue
        r += 1
        out[f"{tag}_head"] = r  # a table of one value per series (sources / uses, or one per structure)
        r += 1
        for spec in specs:
            if spec.kind == kind:
                for s in spec.series:
                    out[(tag, s.name)] = r
                    r += 1
    return out


def _total_formula(lay: Layout, name: str) -> str:
    sh, r = lay.w.cells[name]
    if lay.model.rows[name].total:
        return f"={_q(sh)}!$C${r}"
    return f"=SUM({lay.w.row_range(name)})"


def data_cells(lay: Layout, result) -> list[ExtraCell]:
    """Link cells of the Charts sheet's data block, with the value each must show after recalculation."""
    specs = chart_specs(lay.model)
    sides = {s.name: s.side for spec in specs for s in spec.series}
    rows = data_rows(specs)
    out = []
    for key, r in rows.items():
        if not isinstance(key, tuple):
            continue
        kind, name = key
        if kind == "const":
            v = scalar_value(result, name)
            fmt = lay.model.inputs[name].fmt if name in lay.model.inputs else "number"
            for t in range(lay.model.periods):
                out.append(ExtraCell(CHARTS, r, FIRST_COL + t, f"={name}", v, fmt))
        elif kind == "st":  # the live result's column links its metric; other results' columns are values
            out.append(ExtraCell(CHARTS, r, 3, f"={name}", _expected(scalar_value(result, name)), "money"))
        else:
            side = sides[name]
            v = _expected(np.nansum(result.values[name][0]))
            out.append(ExtraCell(CHARTS, r, 3 if side == "uses" else 4, _total_formula(lay, name), v, "money"))
    return out


# --- native Excel charts ------------------------------------------------------------------------------------


def write_sheet(ws, lay: Layout, result, results: list | None = None) -> None:
    """Labels of the Charts sheet's data block and the native charts (the link cells come from
    :func:`data_cells`, written by the workbook writer). ``results``: every result of the workbook, live first
    (a "structures" chart shows each one's value side by side: PIS and GIF)."""
    specs = chart_specs(lay.model)
    rows = data_rows(specs)
    others = [r for r in (results or [result]) if r is not result]
    _write_data_labels(ws, lay, result, specs, rows)
    if "st_head" in rows:
        _write_structures_table(ws, rows, result, others)
    ws.print_area = f"A1:L{rows['title'] - 1}"  # the charts; the data block is for reference
    for k, spec in enumerate(specs):
        if spec.kind == "structures":
            chart = _structures_chart(ws, spec, rows, 1 + len(others))
        elif spec.kind == "sources_uses":
            chart = _sources_uses_chart(ws, spec, rows)
        else:
            chart = _time_chart(ws, lay, spec, rows, result)
        _finish(chart, spec, result.builder.cur)
        ws.add_chart(chart, f"{ANCHOR_COLS[k % 2]}{CHART_ROW + GRID_ROWS * (k // 2)}")


def _write_data_labels(ws, lay: Layout, result, specs: list[ChartSpec], rows: dict) -> None:
    """The data block's title, each row's label and unit, and the sources-and-uses heading (``rows`` loses its
    ``su_head`` key when there is no such table: the fund model)."""
    put_text(ws.cell(rows["title"], 1), "Chart data: links to the model (the charts read the model rows directly)")
    for c in range(1, lay.last_col + 1):
        ws.cell(rows["title"], c).style = styles.SECTION
    labels = {s.name: s.label for spec in specs for s in spec.series}
    for key, r in rows.items():
        if isinstance(key, tuple):
            put_text(ws.cell(r, 1), labels[key[1]])
            put_text(ws.cell(r, 2), "x" if key[0] == "const" else result.builder.cur)
    if not any(isinstance(k, tuple) and k[0] == "su" for k in rows):
        rows.pop("su_head")
    if "su_head" in rows:
        put_text(ws.cell(rows["su_head"], 1), "Sources and uses of funds")
        put_text(ws.cell(rows["su_head"], 3), "Uses")
        put_text(ws.cell(rows["su_head"], 4), "Sources")
        for c in range(1, 5):
            ws.cell(rows["su_head"], c).style = styles.HEADER
    ws.column_dimensions["D"].width = 17


def _write_structures_table(ws, rows: dict, result, others: list) -> None:
    """One column per result (the live one's cells link, :func:`data_cells`; the others are values as run)."""
    put_text(ws.cell(rows["st_head"], 1), "By structure (first column live, the others as run)")
    for c, res in enumerate([result, *others], start=3):
        put_text(ws.cell(rows["st_head"], c), getattr(res, "structure", res.case))
        ws.cell(rows["st_head"], c).style = styles.HEADER
    for c in (1, 2):
        ws.cell(rows["st_head"], c).style = styles.HEADER
    for key, r in rows.items():
        if isinstance(key, tuple) and key[0] == "st":
            put_text(ws.cell(r, 2), result.builder.cur)
            for c, res in enumerate(others, start=4):
                cell = ws.cell(r, c, _expected(scalar_value(res, key[1])))
                cell.style = styles.CALC
                cell.number_format = styles.FORMATS["money"]


def _structures_chart(ws, spec: ChartSpec, rows: dict, ncols: int) -> BarChart:
    """Columns: each series' value under each of ``ncols`` structures (the table's columns C onwards)."""
    chart = BarChart()
    chart.type = "col"
    chart.gapWidth = 80
    first = rows[("st", spec.series[0].name)]
    last = rows[("st", spec.series[-1].name)]
    chart.add_data(
        Reference(ws, min_col=3, max_col=2 + ncols, min_row=rows["st_head"], max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=1, max_col=1, min_row=first, max_row=last))
    return chart


def _sources_uses_chart(ws, spec: ChartSpec, rows: dict) -> BarChart:
    """Two stacked columns, uses and sources, one segment per line of the table."""
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 60
    for s in spec.series:
        r = rows[("su", s.name)]
        chart.add_data(
            Reference(ws, min_col=3, max_col=4, min_row=r, max_row=r), from_rows=True, titles_from_data=False
        )
        chart.series[-1].tx = SeriesLabel(strRef=StrRef(f"{_q(CHARTS)}!$A${r}"))
    chart.set_categories(Reference(ws, min_col=3, max_col=4, min_row=rows["su_head"], max_row=rows["su_head"]))
    return chart


def _time_chart(ws, lay: Layout, spec: ChartSpec, rows: dict, result):
    """A chart over the periods of :func:`~finmodel.workbook.chart_specs.span`: one chart per kind of series (area,
    bar, line) combined into the first, categories the period end dates on Timing."""
    wb = ws.parent
    t0, t1 = span(spec, result.values, lay.model.periods)
    parts = _chart_parts(spec)
    for s in spec.series:
        ch = parts[s.kind]
        sh, r = lay.w.cells[s.name] if not s.const else (CHARTS, rows[("const", s.name)])
        ch.add_data(
            Reference(wb[sh], min_col=FIRST_COL + t0, max_col=FIRST_COL + t1, min_row=r, max_row=r),
            from_rows=True,
            titles_from_data=False,
        )
        ch.series[-1].tx = SeriesLabel(strRef=StrRef(f"{_q(sh)}!$A${r}"))
        if s.kind == "line":
            ch.series[-1].smooth = False
            ch.series[-1].marker.symbol = "none"
            ch.series[-1].graphicalProperties.line.width = 28575 if not s.const else 19050  # [EMU] 2.25 pt, 1.5 pt
            if s.const:
                ch.series[-1].graphicalProperties.line.dashStyle = "dash"
    period_row = lay.w.cells["period_end"][1]
    timing = wb[lay.titles.get("Timing", "Timing")]
    cats = Reference(timing, min_col=FIRST_COL + t0, max_col=FIRST_COL + t1, min_row=period_row, max_row=period_row)
    for ch in parts.values():
        ch.set_categories(cats)
    chart, *rest = parts.values()
    for ch in rest:
        chart += ch
    chart.x_axis.number_format = "yyyy"
    chart.x_axis.tickLblPos = "low"  # below the plot even where values are negative
    top = y_limit(spec, result, t0, t1)
    if top is not None:
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = top
    chart.x_axis.tickLblSkip = max(1, round((t1 - t0 + 1) / 12))  # about 12 year labels
    chart.x_axis.tickMarkSkip = chart.x_axis.tickLblSkip
    return chart


def _chart_parts(spec: ChartSpec) -> dict:
    """kind -> an empty openpyxl chart, for each kind of series in ``spec`` (area, bar, line: drawing order)."""
    kinds = {s.kind for s in spec.series}
    parts = {}
    for kind in ("area", "bar", "line"):
        if kind not in kinds:
            continue
        ch = {"area": AreaChart, "bar": BarChart, "line": LineChart}[kind]()
        if kind == "bar":
            ch.type = "col"
            ch.gapWidth = 40
        if spec.stacked and kind != "line":
            ch.grouping = "stacked"
            if kind == "bar":
                ch.overlap = 100
        parts[kind] = ch
    return parts


def _finish(chart, spec: ChartSpec, cur: str) -> None:
    """Title, axes (money in millions, KRW in billions, or x-multiples), legend below, size."""
    chart.title = spec.title
    bn = cur == "KRW"  # KRW amounts read in billions (1 bn KRW ~ USD 0.7 m)
    money_fmt, money_unit = ('#,##0.0,,,"bn"', f"{cur} bn") if bn else ('#,##0,,"m"', f"{cur} m")
    chart.y_axis.number_format = money_fmt if spec.unit == "money" else '0.00"x"'
    chart.y_axis.title = money_unit if spec.unit == "money" else "x"
    chart.y_axis.majorGridlines = chart.y_axis.majorGridlines  # keep the default gridlines
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.width, chart.height = WIDTH_CM, HEIGHT_CM
