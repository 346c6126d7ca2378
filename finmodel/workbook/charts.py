"""Charts of a case: defined once, rendered twice (native Excel charts and matplotlib PNGs).

:func:`chart_specs` lists the charts of a model: CFADS against senior debt service, the DSCR profile against
the lock-up covenant and the sizing target, debt balances by facility, sources and uses of funds, and the
equity cash flows. :func:`write_sheet` draws them as native charts on the workbook's Charts sheet, reading
the live model rows (so they follow any change of the inputs); :func:`write_pngs` draws the same charts from
the engine's values with matplotlib (Agg backend, no display needed), for credit papers.

Horizontal lines (lock-up covenant, sizing target) and the sources-and-uses table are link rows on the
Charts sheet below the charts (:func:`data_cells`, which also gives the value each must show).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from finmodel.conventions import serials_to_datetime64
from finmodel.files import atomic_write, make_folder
from finmodel.funding import uses_lines
from finmodel.workbook import styles
from finmodel.workbook.cells import CHARTS, FIRST_COL, ExtraCell, put_text
from finmodel.workbook.cells import expected_value as _expected
from finmodel.workbook.cells import quote_sheet as _q

if TYPE_CHECKING:
    from finmodel.workbook.writer import Layout

CHART_ROW = 7  # first row of the chart grid on the Charts sheet
GRID_ROWS = 19  # sheet rows per chart in the grid
ANCHOR_COLS = ("A", "F")  # two charts side by side
WIDTH_CM, HEIGHT_CM = 16.0, 9.0


@dataclasses.dataclass(frozen=True)
class Series:
    """One series: a model row (or, with ``const``, a scalar input drawn as a horizontal line)."""

    name: str
    label: str
    kind: str = "bar"  # "bar" | "line" | "area"
    const: bool = False
    side: str = ""  # sources-and-uses charts: "uses" or "sources"


@dataclasses.dataclass(frozen=True)
class ChartSpec:
    """A chart: what it shows, over which periods, in which unit."""

    key: str  # file name of the PNG
    title: str
    unit: str  # "money" | "x"
    series: tuple[Series, ...]
    span: str = "all"  # "all" | "operations" | "debt_life" (senior debt service due) | "active" (non-zero)
    stacked: bool = False
    kind: str = "time"  # "time" | "sources_uses" | "structures" (one scalar per series, one column per result)


EQUITY_SOURCES = ["share_capital", "shl_draw"]


def chart_specs(model) -> list[ChartSpec]:
    """The charts this model can draw (a chart whose rows are missing is left out)."""
    rows, inputs = model.rows, model.inputs
    out = []
    if "cfads" in rows and "senior_due" in rows:
        out.append(
            ChartSpec(
                "cfads_debt_service",
                "CFADS and senior debt service",
                "money",
                (Series("cfads", "CFADS", "bar"), Series("senior_due", "Senior debt service", "line")),
                span="operations",
            )
        )
    if "dscr" in rows:
        ser = [Series("dscr", "DSCR", "line")]
        if "in_lockup_dscr" in inputs:
            ser.append(Series("in_lockup_dscr", "Lock-up covenant DSCR", "line", const=True))
        if "in_target_dscr" in inputs:
            ser.append(Series("in_target_dscr", "Sizing target DSCR", "line", const=True))
        out.append(
            ChartSpec(
                "dscr", "DSCR against the lock-up covenant and the sizing target", "x", tuple(ser), span="debt_life"
            )
        )
    closing = sorted((n for n in rows if re.fullmatch(r"d[0-9]+_closing", n)), key=lambda n: int(n[1:-8]))
    if closing:
        ser = tuple(Series(n, rows[n].label.split(":")[0], "area") for n in closing)
        out.append(ChartSpec("debt_balances", "Debt balances by facility (closing)", "money", ser, stacked=True))
    uses = [Series(n, rows[n].label, "bar", side="uses") for n in uses_lines(model)]
    draws = sorted((n for n in rows if re.fullmatch(r"d[0-9]+_draw", n)), key=lambda n: int(n[1:-5]))
    sources = [Series(n, rows[n].label.split(":")[0], "bar", side="sources") for n in draws]
    if all(n in rows for n in EQUITY_SOURCES):
        sources += [Series(n, rows[n].label, "bar", side="sources") for n in EQUITY_SOURCES]
    elif "equity_funding" in rows:
        sources.append(Series("equity_funding", rows["equity_funding"].label, "bar", side="sources"))
    if "grants" in rows:
        sources.append(Series("grants", rows["grants"].label, "bar", side="sources"))
    if uses and sources:
        out.append(
            ChartSpec(
                "sources_uses",
                "Sources and uses of funds",
                "money",
                tuple(uses + sources),
                stacked=True,
                kind="sources_uses",
            )
        )
    if "equity_cf" in rows:
        out.append(
            ChartSpec(
                "equity_cash_flows",
                "Equity cash flows (all sponsors)",
                "money",
                (Series("equity_cf", rows["equity_cf"].label, "bar"),),
            )
        )
    out += _fund_specs(rows)
    return out


def _fund_specs(rows) -> list[ChartSpec]:
    """The fund model's charts: each tranche's cash flows, and each tranche's loss under every structure run
    (PIS and GIF side by side when both are in the workbook)."""
    tranches = [m.group(1) for n in rows if (m := re.fullmatch(r"fund_([a-z0-9_]+)_cf", n))]
    if not tranches or "fund_calls" not in rows:
        return []
    cfs = tuple(Series(f"fund_{t}_cf", t, "bar") for t in tranches)
    losses = tuple(Series(f"fund_{t}_loss", t, "bar", side="structures") for t in tranches if f"fund_{t}_loss" in rows)
    out = [
        ChartSpec(
            "fund_tranche_cash_flows",
            "Fund cash flows by tranche (calls -, distributions +)",
            "money",
            cfs,
            stacked=True,
            span="active",
        )
    ]
    if losses:
        out.append(
            ChartSpec(
                "fund_tranche_losses",
                "Tranche losses by structure (contributions not returned)",
                "money",
                losses,
                kind="structures",
            )
        )
    return out


def span(spec: ChartSpec, values, periods: int) -> tuple[int, int]:
    """First and last period (0-based, inclusive) a time chart shows, from the live case's values."""
    flag = None
    if spec.span == "operations" and "operation_flag" in values:
        flag = values["operation_flag"][0] > 0.5
    elif spec.span == "debt_life" and "senior_due" in values:
        flag = np.nan_to_num(values["senior_due"][0]) > 0
        if not flag.any() and "operation_flag" in values:
            flag = values["operation_flag"][0] > 0.5
    elif spec.span == "active":  # the periods in which any series is non-zero
        flag = np.any(
            [np.nan_to_num(np.asarray(values[s.name][0], dtype=float)) != 0 for s in spec.series if s.name in values],
            axis=0,
        )
    if flag is None or not np.any(flag):
        return 0, periods - 1
    idx = np.flatnonzero(flag)
    return int(idx[0]), int(idx[-1])


def y_limit(spec: ChartSpec, result, t0: int, t1: int) -> float | None:
    """Top of the y axis of a cover-ratio chart: DSCRs soar when a loan is nearly repaid and would
    flatten the periods that matter, so the axis stops at 3 times the highest covenant or target line
    (or at the highest ratio, if lower), rounded up to a half. None for other charts (automatic)."""
    if spec.unit != "x":
        return None
    lines = [_scalar_value(result, s.name) for s in spec.series if s.const]
    ratios = [
        np.nanmax(np.asarray(result.values[s.name][0][t0 : t1 + 1], dtype=float), initial=0.0)
        for s in spec.series
        if not s.const
    ]
    high = max(ratios + lines + [0.0])
    cap = 3.0 * max(lines) if lines else high
    top = min(high * 1.1, cap) if cap > 0 else high * 1.1
    return float(np.ceil(max(top, 0.5) * 2.0) / 2.0)


# --- the data block on the Charts sheet -----------------------------------------------------------------


def _data_rows(specs):
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


def _scalar_value(result, name) -> float:
    if name in result.values:
        return float(result.values[name][0].ravel()[0])
    return float(result.model.inputs[name].value[0, 0])


def _total_formula(lay: Layout, name: str) -> str:
    sh, r = lay.w.cells[name]
    if lay.model.rows[name].total:
        return f"={_q(sh)}!$C${r}"
    return f"=SUM({lay.w.row_range(name)})"


def data_cells(lay: Layout, result) -> list[ExtraCell]:
    """Link cells of the Charts sheet's data block, with the value each must show after recalculation."""
    specs = chart_specs(lay.model)
    sides = {s.name: s.side for spec in specs for s in spec.series}
    rows = _data_rows(specs)
    out = []
    for key, r in rows.items():
        if not isinstance(key, tuple):
            continue
        kind, name = key
        if kind == "const":
            v = _scalar_value(result, name)
            fmt = lay.model.inputs[name].fmt if name in lay.model.inputs else "number"
            for t in range(lay.model.periods):
                out.append(ExtraCell(CHARTS, r, FIRST_COL + t, f"={name}", v, fmt))
        elif kind == "st":  # the live result's column links its metric; other results' columns are values
            out.append(ExtraCell(CHARTS, r, 3, f"={name}", _expected(_scalar_value(result, name)), "money"))
        else:
            side = sides[name]
            v = _expected(np.nansum(result.values[name][0]))
            out.append(ExtraCell(CHARTS, r, 3 if side == "uses" else 4, _total_formula(lay, name), v, "money"))
    return out


# --- native Excel charts ------------------------------------------------------------------------------


def write_sheet(ws, lay: Layout, result, results=None) -> None:
    """Labels of the Charts sheet's data block and the native charts (the link cells come from
    :func:`data_cells`, written by the workbook writer). ``results``: every result of the workbook, live first
    (a "structures" chart shows each one's value side by side: PIS and GIF)."""
    from openpyxl.chart import AreaChart, BarChart, LineChart, Reference
    from openpyxl.chart.series import SeriesLabel, StrRef

    wb = ws.parent
    model = lay.model
    specs = chart_specs(model)
    rows = _data_rows(specs)
    put_text(ws.cell(rows["title"], 1), "Chart data: links to the model (the charts read the model rows directly)")
    for c in range(1, lay.last_col + 1):
        ws.cell(rows["title"], c).style = styles.SECTION
    labels = {s.name: s.label for spec in specs for s in spec.series}
    for key, r in rows.items():
        if isinstance(key, tuple):
            put_text(ws.cell(r, 1), labels[key[1]])
            put_text(ws.cell(r, 2), "x" if key[0] == "const" else result.builder.cur)
    if not any(isinstance(k, tuple) and k[0] == "su" for k in rows):
        rows.pop("su_head")  # no sources and uses table (the fund model)
    if "su_head" in rows:
        put_text(ws.cell(rows["su_head"], 1), "Sources and uses of funds")
        put_text(ws.cell(rows["su_head"], 3), "Uses")
        put_text(ws.cell(rows["su_head"], 4), "Sources")
        for c in range(1, 5):
            ws.cell(rows["su_head"], c).style = styles.HEADER
    ws.column_dimensions["D"].width = 17
    others = [r for r in (results or [result]) if r is not result]
    if "st_head" in rows:
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
                    cell = ws.cell(r, c, _expected(_scalar_value(res, key[1])))
                    cell.style = styles.CALC
                    cell.number_format = styles.FORMATS["money"]
    ws.print_area = f"A1:L{rows['title'] - 1}"  # the charts; the data block is for reference

    timing = lay.titles.get("Timing", "Timing")
    period_row = lay.w.cells["period_end"][1]
    T = model.periods

    def row_ref(name, t0, t1):
        if name in lay.w.cells and name in model.rows:
            sh, r = lay.w.cells[name]
        else:  # a constant line: its row on the Charts sheet
            sh, r = CHARTS, rows[("const", name)]
        return Reference(wb[sh], min_col=FIRST_COL + t0, max_col=FIRST_COL + t1, min_row=r, max_row=r)

    for k, spec in enumerate(specs):
        if spec.kind == "structures":
            chart = BarChart()
            chart.type = "col"
            chart.gapWidth = 80
            first = rows[("st", spec.series[0].name)]
            last = rows[("st", spec.series[-1].name)]
            ncols = 1 + len(others)
            chart.add_data(
                Reference(ws, min_col=3, max_col=2 + ncols, min_row=rows["st_head"], max_row=last),
                titles_from_data=True,
            )
            chart.set_categories(Reference(ws, min_col=1, max_col=1, min_row=first, max_row=last))
        elif spec.kind == "sources_uses":
            chart = BarChart()
            chart.type = "col"
            chart.grouping = "stacked"
            chart.overlap = 100
            chart.gapWidth = 60
            for s in spec.series:
                r = rows[("su", s.name)]
                ref = Reference(ws, min_col=3, max_col=4, min_row=r, max_row=r)
                chart.add_data(ref, from_rows=True, titles_from_data=False)
                chart.series[-1].tx = SeriesLabel(strRef=StrRef(f"{_q(CHARTS)}!$A${r}"))
            chart.set_categories(Reference(ws, min_col=3, max_col=4, min_row=rows["su_head"], max_row=rows["su_head"]))
        else:
            t0, t1 = span(spec, result.values, T)
            kinds = {s.kind for s in spec.series}
            base = None
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
                base = base or ch
            for s in spec.series:
                ch = parts[s.kind]
                ch.add_data(row_ref(s.name, t0, t1), from_rows=True, titles_from_data=False)
                sh, r = lay.w.cells[s.name] if not s.const else (CHARTS, rows[("const", s.name)])
                ch.series[-1].tx = SeriesLabel(strRef=StrRef(f"{_q(sh)}!$A${r}"))
                if s.kind == "line":
                    ch.series[-1].smooth = False
                    ch.series[-1].marker.symbol = "none"
                    ch.series[-1].graphicalProperties.line.width = 28575 if not s.const else 19050
                    if s.const:
                        ch.series[-1].graphicalProperties.line.dashStyle = "dash"
            cats = Reference(
                wb[timing], min_col=FIRST_COL + t0, max_col=FIRST_COL + t1, min_row=period_row, max_row=period_row
            )
            for ch in parts.values():
                ch.set_categories(cats)
            chart = base
            for ch in parts.values():
                if ch is not base:
                    chart += ch
            chart.x_axis.number_format = "yyyy"
            chart.x_axis.tickLblPos = "low"  # below the plot even where values are negative
            top = y_limit(spec, result, t0, t1)
            if top is not None:
                chart.y_axis.scaling.min = 0
                chart.y_axis.scaling.max = top
            chart.x_axis.tickLblSkip = max(1, round((t1 - t0 + 1) / 12))
            chart.x_axis.tickMarkSkip = chart.x_axis.tickLblSkip
        chart.title = spec.title
        cur = result.builder.cur
        bn = cur == "KRW"  # KRW amounts read in billions (1 bn KRW ~ USD 0.7 m)
        money_fmt, money_unit = ('#,##0.0,,,"bn"', f"{cur} bn") if bn else ('#,##0,,"m"', f"{cur} m")
        chart.y_axis.number_format = money_fmt if spec.unit == "money" else '0.00"x"'
        chart.y_axis.title = money_unit if spec.unit == "money" else "x"
        chart.y_axis.majorGridlines = chart.y_axis.majorGridlines  # keep the default gridlines
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.legend.position = "b"
        chart.width, chart.height = WIDTH_CM, HEIGHT_CM
        anchor = f"{ANCHOR_COLS[k % 2]}{CHART_ROW + GRID_ROWS * (k // 2)}"
        ws.add_chart(chart, anchor)


# --- PNG ----------------------------------------------------------------------------------------------


def _dates(values, t0, t1):
    serial = values["period_end"][0][t0 : t1 + 1]
    return serials_to_datetime64(serial)


def literal_text(func):
    """Draw with every string taken literally: user text such as ``a $x$ b`` is never parsed as mathtext (which
    would change it or fail on unbalanced ``$``)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context({"text.parse_math": False}):
            return func(*args, **kwargs)

    return wrapper


@literal_text
def write_pngs(result, outdir: str | Path, *, dpi: int = 150) -> list[Path]:
    """Draw every chart of ``result`` (the engine's values) as ``<key>.png`` in ``outdir``; return the paths.

    matplotlib with the Agg backend (no display); figures are built with the object API, so no global
    pyplot state is touched.
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    outdir = make_folder(outdir)
    v = result.values
    cur = result.builder.cur
    T = result.model.periods
    written = []
    for spec in [s for s in chart_specs(result.model) if s.kind != "structures"]:  # one result: no comparison
        fig = Figure(figsize=(8.0, 4.5), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        scale = 1e6 if spec.unit == "money" else 1.0
        cmap = colormaps["tab20" if spec.kind == "sources_uses" else "tab10"]
        colours = [cmap(k % cmap.N) for k in range(len(spec.series))]
        if spec.kind == "sources_uses":
            bottoms = {"uses": 0.0, "sources": 0.0}
            for s, colour in zip(spec.series, colours, strict=True):
                val = np.nansum(v[s.name][0]) / scale
                ax.bar(
                    [s.side.capitalize()],
                    [val],
                    bottom=bottoms[s.side],
                    label=s.label,
                    width=0.5,
                    color=colour,
                    edgecolor="white",
                    linewidth=0.5,
                )
                bottoms[s.side] += val
            ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        else:
            t0, t1 = span(spec, v, T)
            x = _dates(v, t0, t1)
            ppy = max(1, round(365.25 / max(1.0, float(np.median(np.diff(x).astype(float))) if len(x) > 1 else 1)))
            width = 0.8 * 365.25 / ppy
            stack = np.zeros(t1 - t0 + 1)
            for s, colour in zip(spec.series, colours, strict=True):
                if s.const:
                    y = np.full(t1 - t0 + 1, _scalar_value(result, s.name))
                else:
                    y = np.asarray(v[s.name][0][t0 : t1 + 1], dtype=float) / scale
                if s.kind == "bar":
                    ax.bar(
                        x,
                        np.nan_to_num(y),
                        width=width,
                        label=s.label,
                        color=colour,
                        bottom=stack if spec.stacked else None,
                        zorder=2,
                    )
                    if spec.stacked:
                        stack = stack + np.nan_to_num(y)
                elif s.kind == "area":
                    y0 = stack.copy()
                    stack = stack + np.nan_to_num(y)
                    ax.fill_between(x, y0, stack, label=s.label, step="mid", alpha=0.85, color=colour, zorder=2)
                else:
                    ax.plot(
                        x,
                        y,
                        label=s.label,
                        linewidth=1.4 if s.const else 2.2,
                        color=colour,
                        linestyle="--" if s.const else "-",
                        zorder=3,
                    )
            top = y_limit(spec, result, t0, t1)
            if top is not None:
                ax.set_ylim(0, top)
            ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False)
            ax.axhline(0, color="black", linewidth=0.6)
        if spec.unit == "money":
            ax.set_ylabel(f"{cur} m")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))
        else:
            ax.set_ylabel("x")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:.2f}x"))
        ax.set_title(spec.title, fontsize=11)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        written.append(atomic_write(outdir / f"{spec.key}.png", lambda tmp, fig=fig: fig.savefig(tmp, format="png")))
    return written


def write_charts(results, outdir: str | Path) -> list[Path]:
    """PNG charts of the live case (``results[0]``) in ``outdir``: what ``finmodel run --charts DIR`` writes."""
    return write_pngs(results[0], outdir)
