"""Outputs of a simulation: the Risk sheet of the workbook, charts, per-path CSV / Parquet, JSON.

The Risk sheet holds *values* (simulation results are not a formula of the workbook's inputs), labelled as
such with the seed, the number of paths and the provenance of the run. It is added to the workbook written by
:func:`finmodel.workbook.writer.write_workbook` (the deterministic case, live): the workbook is written to a temporary
file, opened, given the sheet and saved under the final name by rename, so a failure never leaves a
half-written file nor destroys an existing one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from finmodel.errors import InputError
from finmodel.files import atomic_write, make_folder, save_png
from finmodel.workbook.pngs import literal_text

HIST_BINS = 40
RISK_SHEET = "Risk"


def check_paths_out(path) -> Path | None:
    """Validate ``--paths-out`` before any work: ``.csv``, or ``.parquet`` with pyarrow installed."""
    if path is None:
        return None
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputError([("--paths-out", f"expected a .csv or .parquet file name, found {str(path)!r}")])
    if p.exists() and p.is_dir():
        raise InputError([("--paths-out", f"expected a file name, found the folder {str(path)!r}")])
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError(
                [
                    (
                        "--paths-out",
                        "Parquet needs the pyarrow package, which is not installed "
                        "(pip install pyarrow); or give a .csv file name",
                    )
                ]
            ) from None
    return p


def write_paths(result, path) -> Path:
    """Per-path results (one row per path, ``path`` 0-based) as CSV or Parquet, by the file's suffix."""
    return write_frame(result.dataframe(), path, _prov(result))


def write_frame(df, path, provenance: dict) -> Path:
    """A per-path DataFrame as CSV (10 significant digits) or Parquet (``provenance`` in the file's metadata),
    by the file's suffix (:func:`check_paths_out`), written atomically: what every ``--paths-out`` writes."""
    path = check_paths_out(path)
    df = df.copy()
    df.attrs = {}
    if path.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df.reset_index(), preserve_index=False)
        meta = {**(table.schema.metadata or {}), **{k.encode(): str(v).encode() for k, v in provenance.items()}}
        return atomic_write(path, lambda tmp: pq.write_table(table.replace_schema_metadata(meta), tmp))
    return atomic_write(path, lambda tmp: df.to_csv(tmp, float_format="%.10g"))


def _prov(result) -> dict:
    from finmodel.version import __version__

    return {
        "finmodel_version": __version__,
        "scenario": str(result.scenario.source),
        "scenario_sha256": result.scenario.sha256 or "",
        "case": result.case,
        "seed": result.seed,
        "paths": result.paths,
    }


def write_json(result, path) -> Path:
    from finmodel.outputs import contract

    return contract.write_json(result.to_json(), path)


def histogram(values: np.ndarray, bins: int = HIST_BINS):
    """(bin lower edges, bin upper edges, counts) of the finite values."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=int)
    counts, edges = np.histogram(v, bins=bins)
    return edges[:-1], edges[1:], counts


def cdf_points(values: np.ndarray, points: int = 101):
    """(quantile level, value) pairs of the empirical distribution at levels 0, 1 %, ..., 100 %."""
    v = values[np.isfinite(values)]
    levels = np.linspace(0.0, 1.0, points)
    if v.size == 0:
        return levels, np.full(points, np.nan)
    return levels, np.quantile(v, levels)


REFERENCE_OF = {
    "cdr_10y": "cdr_10y",
    "senior_recovery_mean": "recovery_mean",
    "senior_full_recovery_share": "full_recovery_share",
    "senior_expected_loss_ratio": "expected_loss_10y",
}
"""Metric -> published reference figure (finmodel/data/risk.yaml ``reference``)."""


def _note(key: str) -> str:
    """Definition shown beside a metric on the Risk sheet (:func:`finmodel.outputs.definitions.simulate_definition`)."""
    from finmodel.outputs.definitions import simulate_definition

    return simulate_definition(key)


def _label(key: str) -> str:
    """Label shown beside a metric on the Risk sheet (:func:`finmodel.outputs.definitions.simulate_label`)."""
    from finmodel.outputs.definitions import simulate_label

    return simulate_label(key)


def _fmt(key: str) -> str:
    if (
        key.endswith("_se")
        or "irr" in key
        or key.startswith(("p_", "cdr_"))
        or key.endswith(("_ratio", "_recovery_mean", "_lgd", "_share"))
    ):
        return "0.00%"
    if key.startswith("min_dscr"):
        return '0.00"x"'
    return "#,##0.00"


def _header(ws, r, c, names, bold):
    from finmodel.workbook.cells import put_text

    for j, h in enumerate(names):
        put_text(ws.cell(r, c + j), h)
        ws.cell(r, c + j).font = bold


def _num(v):
    return None if v is None or not np.isfinite(v) else float(v)


def add_risk_sheet(wb, result) -> None:
    """Add the Risk sheet (values, definitions, references and native charts) to an openpyxl workbook."""
    from openpyxl.styles import Font

    from finmodel.workbook.cells import put_text

    if RISK_SHEET in wb.sheetnames:
        del wb[RISK_SHEET]
    ws = wb.create_sheet(RISK_SHEET)
    bold = Font(bold=True)
    put_text(ws.cell(1, 1), "Risk: Monte Carlo simulation results (values, not live formulas)")
    ws.cell(1, 1).font = Font(bold=True, size=14)
    put_text(
        ws.cell(2, 1),
        f"{result.paths:,} paths, seed {result.seed}, case {result.case}; financing as sized "
        "on the base case, held fixed across paths. Re-run finmodel simulate to update. Definitions: docs/metrics.md.",
    )
    r = 4
    for k, v in _prov(result).items():
        put_text(ws.cell(r, 1), k)
        put_text(ws.cell(r, 2), v)
        r += 1
    r += 1
    refs = result.references()
    _header(ws, r, 1, ["metric", "value", "definition", "published reference", "source", "label"], bold)
    r += 1
    for k, v in result.summary().items():
        put_text(ws.cell(r, 1), k)
        ws.cell(r, 2, _num(v)).number_format = _fmt(k)
        put_text(ws.cell(r, 3), _note(k))
        if k in REFERENCE_OF:
            ref = refs[REFERENCE_OF[k]]
            ws.cell(r, 4, float(ref["value"])).number_format = "0.00%"
            put_text(ws.cell(r, 5), f"{ref['citation']} (confidence {ref['confidence']})")
        put_text(ws.cell(r, 6), _label(k))  # the registry's label, as the JSON's metric_info
        r += 1
    r += 1
    put_text(ws.cell(r, 1), "deterministic case")
    ws.cell(r, 1).font = bold
    r += 1
    for k, v in result.deterministic.items():
        put_text(ws.cell(r, 1), k)
        ws.cell(r, 2, v)
        r += 1
    charts = []
    col = 7
    col, made = _distribution_tables(ws, result, col, bold)
    charts += made
    col, made = _curve_table(ws, result, col, bold)
    charts += made
    col = _lender_table(ws, result, col, bold)
    col = _driver_tables(ws, result, col, bold)
    anchor_col = col + 1  # charts to the right of every table
    for i, ch in enumerate(charts):
        ch.width, ch.height = 18, 8
        ws.add_chart(ch, ws.cell(4 + 17 * i, anchor_col).coordinate)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 60


def _distribution_tables(ws, result, col, bold):
    """Histogram and CDF tables of equity IRR and minimum DSCR (floored at 0.00x, 1.00x and lock-up lines)."""
    from openpyxl.chart import BarChart, Reference, ScatterChart, Series

    from finmodel.risk.charts import dscr_display
    from finmodel.workbook.cells import put_text

    d = result.paths_data
    charts = []
    for name, label, fmt in (("equity_irr", "Equity IRR", "0.00%"), ("min_dscr", "Minimum DSCR", '0.00"x"')):
        if name not in d:
            continue
        values = dscr_display(d[name]) if name == "min_dscr" else d[name]
        lo, hi, counts = histogram(values)
        top = 4
        put_text(ws.cell(top, col), f"{label}: histogram ({result.paths:,} paths)")
        ws.cell(top, col).font = bold
        for j, h in enumerate(("from", "to", "paths")):
            put_text(ws.cell(top + 1, col + j), h)
        for i, (a, b, c) in enumerate(zip(lo, hi, counts, strict=True)):
            ws.cell(top + 2 + i, col, float(a)).number_format = fmt
            ws.cell(top + 2 + i, col + 1, float(b)).number_format = fmt
            ws.cell(top + 2 + i, col + 2, int(c))
        n_bins = len(counts)
        if n_bins:
            bar = BarChart()
            bar.title = f"{label}: histogram" + (" (floored at 0.00x)" if name == "min_dscr" else "")
            bar.y_axis.title = "paths"
            bar.add_data(
                Reference(ws, min_col=col + 2, min_row=top + 1, max_row=top + 1 + n_bins), titles_from_data=True
            )
            bar.set_categories(Reference(ws, min_col=col, min_row=top + 2, max_row=top + 1 + n_bins))
            bar.gapWidth = 0
            bar.legend = None
            charts.append(bar)
        levels, q = cdf_points(values)
        ctop = top + 2 + max(n_bins, 1) + 2
        put_text(ws.cell(ctop, col), f"{label}: cumulative distribution")
        ws.cell(ctop, col).font = bold
        put_text(ws.cell(ctop + 1, col), "value")
        put_text(ws.cell(ctop + 1, col + 1), "share of paths at or below")
        for i, (lv, qv) in enumerate(zip(levels, q, strict=True)):
            ws.cell(ctop + 2 + i, col, None if not np.isfinite(qv) else float(qv)).number_format = fmt
            ws.cell(ctop + 2 + i, col + 1, float(lv)).number_format = "0%"
        sc = ScatterChart()
        sc.title = f"{label}: cumulative distribution"
        sc.style = 13
        sc.x_axis.title = label
        sc.x_axis.number_format = fmt
        sc.y_axis.title = "share of paths"
        sc.y_axis.number_format = "0%"
        xs = Reference(ws, min_col=col, min_row=ctop + 2, max_row=ctop + 1 + len(levels))
        ys = Reference(ws, min_col=col + 1, min_row=ctop + 2, max_row=ctop + 1 + len(levels))
        s = Series(ys, xs, title="CDF")
        s.marker.symbol = "none"
        sc.series.append(s)
        # reference lines: two points each (x, 0) - (x, 1)
        lines = [(result.hurdle, "hurdle")]
        if name == "min_dscr":
            lines = [(1.0, "1.00x"), (result.lockup_dscr, "lock-up")]
        rtop = ctop + 2 + len(levels) + 1
        put_text(ws.cell(rtop, col), "reference lines")
        for i, (x, text) in enumerate(lines):
            rr = rtop + 1 + 2 * i
            for j, yv in enumerate((0.0, 1.0)):
                ws.cell(rr + j, col, float(x)).number_format = fmt
                ws.cell(rr + j, col + 1, yv)
                put_text(ws.cell(rr + j, col + 2), text)
            line = Series(
                Reference(ws, min_col=col + 1, min_row=rr, max_row=rr + 1),
                Reference(ws, min_col=col, min_row=rr, max_row=rr + 1),
                title=text,
            )
            line.marker.symbol = "none"
            sc.series.append(line)
        charts.append(sc)
        col += 4
    return col, charts


def _curve_table(ws, result, col, bold):
    """Cumulative default rate by year from financial close (total, payment, political) and its chart."""
    from openpyxl.chart import LineChart, Reference

    from finmodel.workbook.cells import put_text

    curve = result.cdr_curve()
    put_text(ws.cell(4, col), "Cumulative default rate by year from financial close")
    ws.cell(4, col).font = bold
    _header(ws, 5, col, ["year", "all defaults", "payment", "political"], bold)
    for i, y in enumerate(curve["years"]):
        ws.cell(6 + i, col, int(y))
        for j, k in enumerate(("total", "payment", "political")):
            ws.cell(6 + i, col + 1 + j, float(curve[k][i])).number_format = "0.00%"
    n = len(curve["years"])
    ref = result.references()["cdr_10y"]
    put_text(ws.cell(7 + n, col), f"published: 10-year {ref['value']:.1%}, {ref['citation'][:120]}")
    ch = LineChart()
    ch.title = "Cumulative default rate (years from financial close)"
    ch.y_axis.title = "share of paths"
    ch.y_axis.number_format = "0%"
    ch.x_axis.title = "year"
    ch.add_data(Reference(ws, min_col=col + 1, max_col=col + 3, min_row=5, max_row=5 + n), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=col, min_row=6, max_row=5 + n))
    return col + 5, [ch]


def _lender_table(ws, result, col, bold):
    """Expected loss, P99, LGD per facility and guarantor."""
    from finmodel.workbook.cells import put_text

    rows = result.lenders()
    put_text(ws.cell(4, col), "Each facility and guarantor")
    ws.cell(4, col).font = bold
    heads = [
        "party",
        "role",
        "peak balance",
        "expected loss",
        "EL / peak",
        "P99 loss",
        "LGD",
        "mean recovery",
        "P(loss)",
    ]
    _header(ws, 5, col, heads, bold)
    for i, r in enumerate(rows):
        put_text(ws.cell(6 + i, col), r["name"])
        put_text(ws.cell(6 + i, col + 1), r["role"])
        vals = (
            r["exposure"],
            r["expected_loss"],
            r["expected_loss_ratio"],
            r["loss_p99"],
            r["lgd"],
            r["recovery_mean"],
            r["p_loss"],
        )
        fmts = ("#,##0", "#,##0", "0.00%", "#,##0", "0.0%", "0.0%", "0.00%")
        for j, (v, f) in enumerate(zip(vals, fmts, strict=True)):
            ws.cell(6 + i, col + 2 + j, _num(v)).number_format = f
    return col + len(heads) + 1


def _driver_tables(ws, result, col, bold):
    """Default probability with each driver held at its deterministic value, and default rate by decile."""
    from finmodel.workbook.cells import put_text

    dd = result.default_drivers
    if not dd or not dd.get("held"):
        return col
    put_text(ws.cell(4, col), f"What drives default ({dd['paths_held']:,} paths, same random numbers)")
    ws.cell(4, col).font = bold
    _header(
        ws, 5, col, ["driver held at its deterministic value", "P(default)", "P(default) held", "contribution"], bold
    )
    r = 6
    for h in dd["held"]:
        put_text(ws.cell(r, col), h["driver"])
        for j, k in enumerate(("p_default", "p_default_held", "contribution")):
            ws.cell(r, col + 1 + j, _num(h[k])).number_format = "0.00%"
        r += 1
    put_text(ws.cell(r, col), "every driver held")
    ws.cell(r, col + 2, _num(dd["p_default_all_held"])).number_format = "0.00%"
    r += 2
    for block in dd["deciles"].values():
        put_text(ws.cell(r, col), f"default rate by {block['label']}")
        ws.cell(r, col).font = bold
        r += 1
        _header(ws, r, col, ["from", "to", "paths", "default rate"], bold)
        r += 1
        for b in block["bins"]:
            ws.cell(r, col, b["low"])
            ws.cell(r, col + 1, b["high"])
            ws.cell(r, col + 2, b["paths"])
            ws.cell(r, col + 3, b["default_rate"]).number_format = "0.00%"
            r += 1
        r += 1
    return col + 5


def _workbook_with_sheet(path, det, scenario, provenance, add_sheet) -> Path:
    """The live workbook of ``det`` plus one values sheet (``add_sheet(wb)``), saved atomically at ``path``."""
    from openpyxl import load_workbook

    from finmodel.workbook import writer

    def write(tmp):
        writer.write_workbook([det], tmp, scenario=scenario, provenance=provenance)
        wb = load_workbook(tmp)
        add_sheet(wb)
        wb.calculation.fullCalcOnLoad = True
        wb.save(tmp)

    return atomic_write(path, write, suffix=".xlsx")


def write_workbook(result, det, path) -> Path:
    """The deterministic case's live workbook plus the Risk sheet, saved atomically at ``path``."""
    from finmodel.workbook import writer

    prov = writer.provenance(result.scenario, result.case, seed=result.seed)
    return _workbook_with_sheet(path, det, result.scenario, prov, lambda wb: add_risk_sheet(wb, result))


def histogram_png(result, folder) -> list[Path]:
    """Histogram and CDF charts (PNG) of equity IRR and minimum DSCR into ``folder`` (reference lines, units:
    :func:`finmodel.risk.charts.distribution_pngs`)."""
    from finmodel.risk import charts

    return charts.distribution_pngs(result, folder)


# --- sensitivities ----------------------------------------------------------------------------------------

SENSITIVITY_SHEET = "Sensitivity"


def add_sensitivity_sheet(wb, res) -> None:
    """Tornado, spider and breakeven tables (values) on a Sensitivity sheet (:mod:`finmodel.risk.sensitivity_sheet`)."""
    from finmodel.risk import sensitivity_sheet

    sensitivity_sheet.write(wb, res)


def write_sensitivity_workbook(res, path) -> Path:
    """The case's live workbook plus the Sensitivity sheet, saved atomically."""
    from finmodel.workbook import writer

    prov = writer.provenance(res.scenario, res.case)
    return _workbook_with_sheet(path, res.det, res.scenario, prov, lambda wb: add_sensitivity_sheet(wb, res))


def change_text(change: float, unit: str, *, signed: bool = True) -> str:
    """A driver change as people say it: ``+10 %`` (a fraction), ``+100 bp`` (a rate), ``+6 months``."""
    sign = "+" if signed and change > 0 else ""
    if unit == "fraction":
        return f"{sign}{change * 100:g} %"
    if unit == "per year":
        return f"{sign}{change * 1e4:g} bp"
    return f"{sign}{change:g} {unit}"


def _range_text(t) -> str:
    lo, hi, unit = t["low"], t["high"], t["unit"]
    if lo == -hi and lo != 0:
        return "\u00b1" + change_text(hi, unit, signed=False)
    return " / ".join(change_text(x, unit) for x in (lo, hi) if x != 0) or change_text(0.0, unit)


@literal_text
def sensitivity_pngs(res, folder) -> list[Path]:
    """Tornado (equity IRR, minimum DSCR; bars sorted by their swing, labelled with the driver's range and the
    metric at each end) and spider charts (x: change in %, IRR in %) as PNG files in ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    folder = make_folder(folder)
    out = []
    specs = (("equity_irr", "Equity IRR", 100.0, "{:.1f} %"), ("min_dscr", "Minimum DSCR", 1.0, "{:.2f}x"))
    for metric, label, scale, fmt in specs:
        base = res.base[metric]

        def swing(t, metric=metric, base=base):
            v = [t[f"{metric}_{k}"] for k in ("low", "high")]
            return max((abs(x - base) for x in v if x is not None and np.isfinite(x)), default=0.0)

        rows = sorted(res.tornado, key=swing)  # largest swing on top (barh draws from the bottom)
        fig, ax = plt.subplots(figsize=(10, 0.55 * len(rows) + 1.8))
        for i, t in enumerate(rows):
            for k, color in (("low", "#C00000"), ("high", "#4472C4")):
                v = t[f"{metric}_{k}"]
                if v is None or not np.isfinite(v) or t[k] == 0:
                    continue
                ax.barh(i, (v - base) * scale, left=base * scale, color=color, alpha=0.85)
                ax.annotate(
                    fmt.format(v * scale),
                    (v * scale, i),
                    xytext=(4 if v >= base else -4, 0),
                    textcoords="offset points",
                    va="center",
                    ha="left" if v >= base else "right",
                    fontsize=8,
                )
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([f"{t['label']} {_range_text(t)}" for t in rows])
        ax.axvline(base * scale, color="black", lw=0.8)
        ax.margins(x=0.15)
        ax.set_xlabel(label + (" [%]" if scale == 100 else " [x]"))
        ax.set_title(
            f"{label}: one driver at a time, case {res.case} (base {fmt.format(base * scale)}); bars sorted by swing",
            fontsize=10,
        )
        ax.legend(
            handles=[
                Patch(color="#C00000", alpha=0.85, label="driver down (- change)"),
                Patch(color="#4472C4", alpha=0.85, label="driver up (+ change)"),
            ],
            fontsize=8,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            ncol=2,
            frameon=False,
        )
        fig.tight_layout()
        out.append(save_png(fig, folder / f"tornado_{metric}.png"))
        plt.close(fig)
    labels = {t["driver"]: t["label"] for t in res.tornado}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, (metric, label) in zip(axes, (("equity_irr", "Equity IRR"), ("min_dscr", "Minimum DSCR")), strict=True):
        for k, name in enumerate(dict.fromkeys(s["driver"] for s in res.spider)):
            pts = [s for s in res.spider if s["driver"] == name and s["unit"] != "months"]
            if pts:
                unit = "(%-points)" if pts[0]["unit"] == "per year" else ""
                # lines that coincide (revenue and FX move the same cash) stay visible: wide under narrow, dashed
                ax.plot(
                    [p["change"] for p in pts],
                    [p[metric] for p in pts],
                    marker="os^Dv"[k % 5],
                    ms=4,
                    lw=3.2 - 0.5 * k,
                    ls=("-", "--", "-.", ":")[k % 4],
                    label=f"{labels.get(name, name)} {unit}".strip(),
                )
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        if metric == "equity_irr":
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        else:
            ax.axhline(1.0, color="#C00000", lw=0.8, ls=":")
        ax.axvline(0.0, color="black", lw=0.6)
        ax.grid(alpha=0.3)
        ax.set_xlabel("change in the driver [%; base rates: %-points]")
        ax.set_ylabel(label + (" [%]" if metric == "equity_irr" else " [x]"))
        ax.set_title(f"Spider: {label}, case {res.case}", fontsize=10)
        ax.legend(fontsize=7)
    fig.tight_layout()
    out.append(save_png(fig, folder / "spider.png"))
    plt.close(fig)
    return out
