"""The charts of a case as PNG files, for credit papers: the charts of
:func:`~finmodel.workbook.chart_specs.chart_specs` drawn from the engine's values with matplotlib (Agg backend, no
display; figures built with the object API, so no global pyplot state is touched). ``finmodel run --charts DIR``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from finmodel.conventions import serials_to_datetime64
from finmodel.files import make_folder, save_png
from finmodel.workbook.chart_specs import ChartSpec, chart_specs, scalar_value, span, y_limit

MONEY_SCALE = 1e6  # money axes in millions of the model currency


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
    ``dpi``: [dots per inch] of the 8 x 4.5 inch figures."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    outdir = make_folder(outdir)
    written = []
    for spec in [s for s in chart_specs(result.model) if s.kind != "structures"]:  # one result: no comparison
        fig = Figure(figsize=(8.0, 4.5), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        if spec.kind == "sources_uses":
            _draw_sources_uses(ax, spec, result)
        else:
            _draw_time(ax, spec, result)
        _axes(ax, spec, result.builder.cur)
        fig.tight_layout()
        written.append(save_png(fig, outdir / f"{spec.key}.png"))
    return written


def _colours(spec: ChartSpec) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab20" if spec.kind == "sources_uses" else "tab10"]
    return [cmap(k % cmap.N) for k in range(len(spec.series))]


def _draw_sources_uses(ax, spec: ChartSpec, result) -> None:
    """Two stacked bars, uses and sources [millions], one segment per line, legend on the right."""
    bottoms = {"uses": 0.0, "sources": 0.0}
    for s, colour in zip(spec.series, _colours(spec), strict=True):
        val = np.nansum(result.values[s.name][0]) / MONEY_SCALE
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


def _draw_time(ax, spec: ChartSpec, result) -> None:
    """Series over the chart's periods against the period end dates: bars (stacked if the chart is), areas
    (stacked), lines (covenant and target lines dashed); legend below."""
    v = result.values
    t0, t1 = span(spec, v, result.model.periods)
    x = serials_to_datetime64(v["period_end"][0][t0 : t1 + 1])
    days = float(np.median(np.diff(x).astype(float))) if len(x) > 1 else 1  # [days] between period ends
    ppy = max(1, round(365.25 / max(1.0, days)))
    width = 0.8 * 365.25 / ppy  # [days] a bar: 80 % of a period
    scale = MONEY_SCALE if spec.unit == "money" else 1.0
    stack = np.zeros(t1 - t0 + 1)
    for s, colour in zip(spec.series, _colours(spec), strict=True):
        if s.const:
            y = np.full(t1 - t0 + 1, scalar_value(result, s.name))
        else:
            y = np.asarray(v[s.name][0][t0 : t1 + 1], dtype=float) / scale
        if s.kind == "bar":
            bottom = stack if spec.stacked else None
            ax.bar(x, np.nan_to_num(y), width=width, label=s.label, color=colour, bottom=bottom, zorder=2)
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


def _axes(ax, spec: ChartSpec, cur: str) -> None:
    """The y axis in ``cur`` millions (money) or x-multiples, the title, light horizontal gridlines."""
    from matplotlib.ticker import FuncFormatter

    if spec.unit == "money":
        ax.set_ylabel(f"{cur} m")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))
    else:
        ax.set_ylabel("x")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:.2f}x"))
    ax.set_title(spec.title, fontsize=11)
    ax.grid(axis="y", alpha=0.3)


def write_charts(results: list, outdir: str | Path) -> list[Path]:
    """PNG charts of the live case (``results[0]``) in ``outdir``: what ``finmodel run --charts DIR`` writes."""
    return write_pngs(results[0], outdir)
