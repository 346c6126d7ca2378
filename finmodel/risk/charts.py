"""PNG charts of a simulation: distributions with reference lines, the default curve, the drivers of default.

Axes carry units (% for rates and probabilities, x for cover ratios); reference lines mark DSCR 1.00x, the
lock-up ratio, the equity hurdle and the published 10-year default rate, so a chart reads on its own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from finmodel.files import make_folder, save_png
from finmodel.workbook.pngs import literal_text

HIST_BINS = 40
BLUE, RED, GREY, ORANGE = "#4472C4", "#C00000", "#7F7F7F", "#ED7D31"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    plt = _plt()
    out = save_png(fig, path, dpi=110)
    plt.close(fig)
    return out


def dscr_display(values: np.ndarray) -> np.ndarray:
    """Minimum DSCR as charted: finite values floored at 0 (CFADS at or below zero) and capped at the 99th
    percentile (a path with almost no debt service has a huge ratio that would squash the axis)."""
    v = np.asarray(values, dtype=float)
    v = np.maximum(v[np.isfinite(v)], 0.0)
    if v.size:
        v = np.minimum(v, max(np.percentile(v, 99), 2.0))
    return v


@literal_text
def distribution_pngs(result, folder) -> list[Path]:
    """Histogram and CDF of equity IRR (% axis, hurdle line) and minimum DSCR (x axis, 1.00x and lock-up lines)."""
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    plt = _plt()
    folder = make_folder(folder)
    d = result.paths_data
    out = []
    specs = (
        ("equity_irr", "Equity IRR", [(result.hurdle, f"cost of equity {result.hurdle:.1%}")]),
        (
            "min_dscr",
            "Minimum DSCR",
            [(1.0, "1.00x: debt service not covered"), (result.lockup_dscr, f"lock-up {result.lockup_dscr:.2f}x")],
        ),
    )
    for name, label, lines in specs:
        if name not in d:
            continue
        if name == "min_dscr":
            v = dscr_display(d[name])
            fmt = FuncFormatter(lambda x, _p: f"{x:.2f}x")
            note = f"{np.mean(np.nan_to_num(d[name], nan=np.inf) < 0):.1%} of paths have CFADS < 0 (shown at 0.00x)"
        else:
            v = d[name][np.isfinite(d[name])]  # paths with an IRR (finmodel.outputs.definitions.IRR_OVER_PATHS)
            v = np.maximum(v, np.percentile(v, 1)) if v.size else v
            fmt = PercentFormatter(1.0)
            missing = 1.0 - v.size / max(d[name].size, 1)
            note = f"paths with an IRR; {missing:.1%} of paths have none (sponsors never repaid); left tail cut at P1"
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
        a1.hist(v, bins=HIST_BINS, color=BLUE)
        a1.set_title(f"{label}: histogram")
        a1.set_ylabel("paths")
        a2.plot(np.sort(v), np.arange(1, v.size + 1) / max(v.size, 1), color=BLUE)
        a2.set_title(f"{label}: cumulative distribution")
        a2.set_ylabel("share of paths")
        a2.yaxis.set_major_formatter(PercentFormatter(1.0))
        for ax in (a1, a2):
            ax.xaxis.set_major_formatter(fmt)
            ax.set_xlabel(label)
            for k, (x, text) in enumerate(lines):
                ax.axvline(x, color=(RED, ORANGE)[k % 2], lw=1.2, ls="--", label=text)
            ax.grid(alpha=0.3)
        a1.legend(fontsize=8)
        fig.suptitle(f"{result.paths:,} paths, seed {result.seed}, case {result.case}; {note}", fontsize=9)
        fig.tight_layout()
        out.append(_save(fig, folder / f"{name}_distribution.png"))
    return out


@literal_text
def risk_pngs(result, folder) -> list[Path]:
    """The default curve (cumulative default rate by year, split, with the published 10-year reference) and
    the drivers of default (held-driver contributions and default rate by decile)."""
    from matplotlib.ticker import PercentFormatter

    plt = _plt()
    folder = make_folder(folder)
    out = []
    curve = result.cdr_curve()
    ref = result.references()["cdr_10y"]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(curve["years"], curve["total"], color=BLUE, lw=2, label="all defaults")
    ax.plot(curve["years"], curve["payment"], color=GREY, label="payment default")
    ax.plot(curve["years"], curve["political"], color=RED, label="after a political event")
    ax.scatter([10], [ref["value"]], color="black", zorder=5, label=f"Moody's 10-year CDR {ref['value']:.1%}")
    ax.set_xlabel("years from financial close")
    ax.set_ylabel("cumulative default rate")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"Cumulative default rate, {result.paths:,} paths, seed {result.seed}", fontsize=10)
    fig.tight_layout()
    out.append(_save(fig, folder / "default_curve.png"))
    dd = result.default_drivers
    if dd and dd.get("held"):
        deciles = {k: v for k, v in dd["deciles"].items() if v["bins"]}
        ncol = 3
        nrow = 1 + (len(deciles) + ncol - 1) // ncol
        fig = plt.figure(figsize=(12, 3.2 * nrow))
        ax = fig.add_subplot(nrow, 1, 1)
        held = list(reversed(dd["held"]))
        ax.barh([h["driver"] for h in held], [h["contribution"] for h in held], color=BLUE)
        ax.axvline(0, color="black", lw=0.8)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("fall in P(default) when the driver is held at its deterministic value")
        ax.set_title(
            f"What drives default (P(default) {dd['p_default_first_paths']:.1%} on {dd['paths_held']:,} paths)",
            fontsize=10,
        )
        for i, block in enumerate(deciles.values()):
            a = fig.add_subplot(nrow, ncol, ncol + i + 1)
            bins = block["bins"]
            labels = [f"{b['low']:.3g}" if b["low"] == b["high"] else f"{b['low']:.3g}-{b['high']:.3g}" for b in bins]
            a.bar(range(len(bins)), [b["default_rate"] for b in bins], color=BLUE)
            a.set_xticks(range(len(bins)))
            a.set_xticklabels(labels, rotation=60, fontsize=6)
            a.yaxis.set_major_formatter(PercentFormatter(1.0))
            a.set_title(f"default rate by {block['label']}", fontsize=8)
        fig.tight_layout()
        out.append(_save(fig, folder / "default_drivers.png"))
    return out
