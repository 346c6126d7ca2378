"""The charts of a case, defined once (:func:`chart_specs`) and drawn twice: as native Excel charts on the workbook's
Charts sheet (:mod:`finmodel.workbook.charts`) and as matplotlib PNGs (:mod:`finmodel.workbook.pngs`).

The charts: CFADS against senior debt service, the DSCR profile against the lock-up covenant and the sizing target,
debt balances by facility, sources and uses of funds, the equity cash flows; for a fund, each tranche's cash flows
and each tranche's loss under every structure run. A chart whose rows the model lacks is left out.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from finmodel.model.funding import uses_lines


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
    lines = [scalar_value(result, s.name) for s in spec.series if s.const]
    ratios = [
        np.nanmax(np.asarray(result.values[s.name][0][t0 : t1 + 1], dtype=float), initial=0.0)
        for s in spec.series
        if not s.const
    ]
    high = max(ratios + lines + [0.0])
    cap = 3.0 * max(lines) if lines else high
    top = min(high * 1.1, cap) if cap > 0 else high * 1.1
    return float(np.ceil(max(top, 0.5) * 2.0) / 2.0)


def scalar_value(result, name: str) -> float:
    """The value of scalar ``name`` in ``result`` (a named result, else the model's input) [the row's unit]."""
    if name in result.values:
        return float(result.values[name][0].ravel()[0])
    return float(result.model.inputs[name].value[0, 0])
