"""The credit paper's charts: matplotlib figures rendered as SVG text, inlined into the HTML.

Each function takes facts already computed (numbers, lists, the engine's values) and returns one ``<svg>``
element as a string. What makes them fit a self-contained page (:func:`svg_text`):

- no XML prolog, DOCTYPE, metadata nor namespace declarations (inline SVG in HTML5 needs none), ``xlink:href``
  written as SVG 2's ``href``: the page holds no external reference (no ``http``, no ``//``);
- text kept as text (``svg.fonttype: none``): sharp when printed, searchable in the PDF;
- every user string taken literally (:func:`finmodel.term.inert_figure`: never mathtext, controls escaped) and
  escaped by matplotlib's SVG writer (``<script>`` in a name is text);
- deterministic: a fixed hash salt per chart, no date, so the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import re

import numpy as np

from finmodel.conventions import serials_to_datetime64
from finmodel.term import inert_figure
from finmodel.workbook.chart_specs import chart_specs, span, y_limit
from finmodel.workbook.pngs import literal_text

BLUE, RED, GREY, ORANGE, GREEN = "#1f4e79", "#c00000", "#7f7f7f", "#ed7d31", "#548235"
PALETTE = ("#1f4e79", "#2e75b6", "#548235", "#7030a0", "#bf9000", "#00b0a0", "#843c0c", "#7f7f7f")
"""Sources, facilities and structures; uses are orange, never one of these."""
WIDTH = 7.0  # [inches] a full-width chart: ~ the A4 text width at the paper's margins
FONT = 8.5  # [points] tick and legend text

_PROLOG = re.compile(r"\A.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_COMMENTS = re.compile(r"<!--.*?-->\s*", re.S)


def figure(height: float, width: float = WIDTH, ncols: int = 1):
    """A figure of the paper's style (object API: no pyplot state) and its axes."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasSVG(fig)
    axes = [fig.add_subplot(1, ncols, k + 1) for k in range(ncols)]
    for ax in axes:
        ax.tick_params(labelsize=FONT)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.grid(axis="y", alpha=0.3, zorder=0)
    return fig, (axes[0] if ncols == 1 else axes)


def svg_text(fig, key: str) -> str:
    """The figure as one inline ``<svg>`` element (see the module); ``key`` salts its element ids."""
    import matplotlib

    inert_figure(fig)
    fig.tight_layout()
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"finmodel-paper-{key}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    out = _PROLOG.sub("", buf.getvalue(), count=1)
    out = _COMMENTS.sub("", _METADATA.sub("", out))
    out = _NAMESPACES.sub("", out).replace("xlink:href=", "href=")
    out = re.sub(
        r'<svg width="[^"]*" height="[^"]*"', f'<svg class="chart" role="img" aria-label="{key}"', out, count=1
    )
    return out.strip()


def _money_axis(ax, currency: str, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(f"{currency} m", fontsize=FONT)


def _pct_axis(ax, axis: str = "y", decimals=None) -> None:
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=decimals))


def _legend(ax, ncol: int = 3, below: bool = True) -> None:
    if below:
        ax.legend(fontsize=FONT, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=ncol, frameon=False)
    else:
        ax.legend(fontsize=FONT, frameon=False)


@literal_text
def financing_bar(parts: list[tuple[str, float]], currency: str) -> str:
    """One horizontal bar of the financing plan, a segment per source [currency m] in :func:`colour` order, its
    share written on it; no legend: the plan's table beside it shows each source's colour."""
    fig, ax = figure(0.95, width=WIDTH)
    total = sum(v for _, v in parts) or 1.0
    left = 0.0
    for k, (_label, value) in enumerate(parts):
        m = value / 1e6
        ax.barh([0], [m], left=left, color=colour(k), height=0.7, zorder=2)
        if value / total >= 0.05:
            ax.text(left + m / 2, 0, f"{value / total:.0%}", ha="center", va="center", color="white", fontsize=FONT)
        left += m
    ax.set_yticks([])
    ax.set_xlim(0, left)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", alpha=0.3)
    _money_axis(ax, currency, "x")
    return svg_text(fig, "financing_plan")


def colour(k: int) -> str:
    """The colour of the ``k``-th source of the financing plan (chart and table alike)."""
    return PALETTE[k % len(PALETTE)]


@literal_text
def sources_uses_waterfall(uses: list[tuple[str, float]], sources: list[tuple[str, float]], currency: str) -> str:
    """Uses adding up to total uses, then each source taking its part back down to zero, as horizontal bars read
    top to bottom [currency m]."""
    labels, lefts, widths, colours = [], [], [], []
    level = 0.0
    for label, value in uses:
        labels.append(f"use: {label}")
        lefts.append(level)
        widths.append(value / 1e6)
        colours.append(ORANGE)
        level += value / 1e6
    labels.append("Total uses")
    lefts.append(0.0)
    widths.append(level)
    colours.append(GREY)
    for k, (label, value) in enumerate(sources):
        level -= value / 1e6
        labels.append(f"source: {label}")
        lefts.append(level)
        widths.append(value / 1e6)
        colours.append(colour(k))
    fig, ax = figure(0.26 * len(labels) + 0.7)
    y = np.arange(len(labels))[::-1]
    ax.barh(y, widths, left=lefts, color=colours, height=0.7, zorder=2)
    top = max(a + w for a, w in zip(lefts, widths, strict=True))
    for yi, a, w in zip(y, lefts, widths, strict=True):
        ax.text(a + w + 0.01 * top, yi, f"{w:,.1f}", ha="left", va="center", fontsize=FONT - 0.5)
    ax.set_yticks(y, [_wrap(s, 48) for s in labels], fontsize=FONT - 0.5)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", alpha=0.3)
    _money_axis(ax, currency, "x")
    ax.set_xlim(0, top * 1.1)
    return svg_text(fig, "sources_uses")


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _dates(result, t0: int, t1: int):
    return serials_to_datetime64(result.values["period_end"][0][t0 : t1 + 1])


@literal_text
def debt_profile(result, currency: str) -> str | None:
    """Closing balances by facility, stacked [currency m] (the workbook's ``debt_balances`` chart)."""
    spec = next((s for s in chart_specs(result.model) if s.key == "debt_balances"), None)
    if spec is None:
        return None
    t0, t1 = span(spec, result.values, result.model.periods)
    x = _dates(result, t0, t1)
    ys = [np.nan_to_num(np.asarray(result.values[s.name][0][t0 : t1 + 1], dtype=float)) / 1e6 for s in spec.series]
    fig, ax = figure(2.5)
    ax.stackplot(x, ys, labels=[s.label for s in spec.series], colors=PALETTE[: len(ys)], step="post", zorder=2)
    _money_axis(ax, currency)
    _legend(ax)
    return svg_text(fig, "debt_profile")


@literal_text
def cover_ratios(result, lockup: float, default: float = 1.0) -> str | None:
    """DSCR and LLCR by period against the lock-up and default (1.00x) lines, over the senior debt's life."""
    spec = next((s for s in chart_specs(result.model) if s.key == "dscr"), None)
    if spec is None:
        return None
    t0, t1 = span(spec, result.values, result.model.periods)
    x = _dates(result, t0, t1)
    fig, ax = figure(2.5)
    for name, label, colour in (("dscr", "DSCR", BLUE), ("llcr", "LLCR", GREEN)):
        if name in result.values:
            ax.plot(x, np.asarray(result.values[name][0][t0 : t1 + 1], dtype=float), color=colour, lw=2, label=label)
    ax.axhline(lockup, color=ORANGE, ls="--", lw=1.3, label=f"lock-up {lockup:.2f}x")
    ax.axhline(default, color=RED, ls="--", lw=1.3, label=f"default {default:.2f}x")
    top = y_limit(spec, result, t0, t1)
    ax.set_ylim(0, top if top is not None else None)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1f}x"))
    _legend(ax, ncol=4)
    return svg_text(fig, "cover_ratios")


@literal_text
def grant_elements(rows: list[dict], dac: float | None, helsinki: float | None) -> str:
    """Grant element per facility and of the package (bars) against the DAC and Helsinki thresholds (lines)."""
    fig, ax = figure(2.6)
    names = [_wrap(r["name"], 18) for r in rows]
    values = [r["grant_element"] or 0.0 for r in rows]
    colours = [GREY if r["kind"] == "package" else BLUE for r in rows]
    ax.bar(names, values, color=colours, width=0.6, zorder=2)
    for k, v in enumerate(values):
        ax.text(k, max(v, 0), f"{v:.1%}", ha="center", va="bottom", fontsize=FONT)
    if dac is not None:
        ax.axhline(dac, color=ORANGE, ls="--", lw=1.3, label=f"DAC ODA minimum {dac:.0%}")
    if helsinki is not None:
        ax.axhline(helsinki, color=RED, ls="--", lw=1.3, label=f"Helsinki tied-aid minimum {helsinki:.0%}")
    ax.axhline(0, color="black", lw=0.6)
    ax.tick_params(axis="x", labelsize=FONT)
    _pct_axis(ax, decimals=0)
    if dac is not None or helsinki is not None:
        _legend(ax, ncol=2)
    return svg_text(fig, "grant_elements")


@literal_text
def tornado(rows: list[dict], base: float, metric_label: str) -> str:
    """Tornado: the metric at each driver's low and high move, bars from the base value, widest on top."""
    rows = sorted(rows, key=lambda r: abs((r["high"] or base) - (r["low"] or base)))
    fig, ax = figure(0.45 * len(rows) + 1.1)
    y = np.arange(len(rows))
    lows = [(r["low"] if r["low"] is not None else base) - base for r in rows]
    highs = [(r["high"] if r["high"] is not None else base) - base for r in rows]
    ax.barh(y, lows, left=base, color=RED, height=0.6, label="driver at its low move", zorder=2)
    ax.barh(y, highs, left=base, color=BLUE, height=0.6, label="driver at its high move", zorder=2)
    ax.set_yticks(y, [r["label"] for r in rows], fontsize=FONT)
    ax.axvline(base, color="black", lw=0.8)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", alpha=0.3)
    _pct_axis(ax, "x")
    ax.set_xlabel(f"{metric_label} (base {base:.2%})", fontsize=FONT)
    _legend(ax, ncol=2)
    return svg_text(fig, "tornado")


@literal_text
def default_curve(curve: dict, reference: dict | None) -> str:
    """Cumulative default rate by year from close (all, payment, political) and the published 10-year point."""
    fig, ax = figure(2.8)
    ax.plot(curve["years"], curve["total"], color=BLUE, lw=2, label="all defaults")
    ax.plot(curve["years"], curve["payment"], color=GREY, lw=1.3, label="payment default")
    ax.plot(curve["years"], curve["political"], color=RED, lw=1.3, label="after a political event")
    if reference is not None:
        ax.scatter(
            [10], [reference["value"]], color="black", zorder=5, label=f"published 10-year {reference['value']:.1%}"
        )
    ax.set_xlabel("years from financial close", fontsize=FONT)
    ax.set_ylim(bottom=0)
    _pct_axis(ax)
    _legend(ax, ncol=4)
    return svg_text(fig, "default_curve")


@literal_text
def default_drivers(held: list[dict]) -> str:
    """Fall in P(default) when each driver is held at its deterministic value (bars)."""
    held = list(reversed(held))
    fig, ax = figure(0.32 * len(held) + 1.0)
    ax.barh([h["driver"].replace("_", " ") for h in held], [h["contribution"] for h in held], color=BLUE, zorder=2)
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", alpha=0.3)
    _pct_axis(ax, "x", decimals=1)
    ax.set_xlabel("fall in P(default) with the driver held at its deterministic value", fontsize=FONT)
    return svg_text(fig, "default_drivers")


@literal_text
def distributions(panels: list[dict]) -> str:
    """Histograms side by side: each panel ``{"title", "values", "lines": [(x, label)], "unit": "x"|"pct"}``."""
    from matplotlib.ticker import FuncFormatter

    fig, axes = figure(2.5, ncols=len(panels))
    axes = axes if isinstance(axes, list) else [axes]
    for ax, p in zip(axes, panels, strict=True):
        ax.hist(p["values"], bins=40, color=BLUE, zorder=2)
        for k, (x, label) in enumerate(p["lines"]):
            ax.axvline(x, color=(RED, ORANGE)[k % 2], ls="--", lw=1.2, label=label)
        ax.set_title(p["title"], fontsize=FONT + 1)
        ax.set_ylabel("paths", fontsize=FONT)
        if p["unit"] == "pct":
            _pct_axis(ax, "x", decimals=0)
        else:
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1f}x"))
        if p["lines"]:
            ax.legend(fontsize=FONT - 1, frameon=False)
    return svg_text(fig, "distributions")


@literal_text
def tranche_bars(tranches: list[str], values: dict[str, list[float]], title: str, unit: str) -> str:
    """Grouped bars, one group per tranche, one bar per structure (PIS, GIF); ``unit`` ``"krw"`` or ``"pct"``."""
    fig, ax = figure(2.4)
    x = np.arange(len(tranches))
    width = 0.8 / max(1, len(values))
    for k, (structure, vals) in enumerate(values.items()):
        v = np.asarray([np.nan if a is None else a for a in vals], dtype=float)
        ax.bar(
            x + (k - (len(values) - 1) / 2) * width,
            v / (1e9 if unit == "krw" else 1.0),
            width=width,
            color=PALETTE[k],
            label=structure.upper(),
            zorder=2,
        )
    ax.set_xticks(x, tranches, fontsize=FONT)
    if unit == "pct":
        _pct_axis(ax, decimals=0)
    else:
        ax.set_ylabel("KRW bn", fontsize=FONT)
    ax.set_title(title, fontsize=FONT + 1)
    _legend(ax, ncol=len(values), below=False)
    return svg_text(fig, f"tranches_{unit}")


@literal_text
def frontier(points: list[dict]) -> str:
    """Private expected loss and P(loss) against the government's first-loss share."""
    fig, ax = figure(2.6)
    g = [p["government_share"] for p in points]
    ax.plot(
        g,
        [p["private_expected_loss_ratio"] for p in points],
        color=BLUE,
        lw=2,
        marker="o",
        ms=3,
        label="private expected loss / contributions",
    )
    ax.plot(g, [p["private_p_loss"] for p in points], color=ORANGE, lw=1.5, marker="s", ms=3, label="P(private loss)")
    ax.set_xlabel("government first-loss share of commitments", fontsize=FONT)
    _pct_axis(ax, "x", decimals=0)
    _pct_axis(ax, decimals=1)
    ax.set_ylim(bottom=0)
    _legend(ax, ncol=2)
    return svg_text(fig, "frontier")
