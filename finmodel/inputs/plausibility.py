"""Plausibility warnings: values that are legal but unusual (a driver factor above 3, a tax rate above 60 %,
a margin above 15 %, an IRR above 100 %). The run goes on and says so; the bands are data
(``finmodel/data/plausibility.yaml``) with their reasons.
"""

from __future__ import annotations

import functools
from importlib import resources

import yaml


@functools.lru_cache(maxsize=1)
def bands() -> dict[str, float]:
    """``{name: value}`` of ``finmodel/data/plausibility.yaml``."""
    raw = yaml.safe_load(resources.files("finmodel.data").joinpath("plausibility.yaml").read_text("utf-8"))
    return {k: float(v["value"]) for k, v in raw.items()}


def scenario_warnings(scenario) -> list[tuple[str, str]]:
    """``(field path, message)`` for every input of ``scenario`` beyond its plausibility band.

    Facilities are named by their name (``debt.facilities[EDPF].rate.margin``)."""
    b = bands()
    out = []
    for key in ("revenue_factor", "capex_factor", "opex_factor"):
        v = getattr(scenario.drivers, key)
        if v > b["driver_factor_max"]:
            out.append(
                (
                    f"drivers.{key}",
                    f"{v:g} is above the plausible {b['driver_factor_max']:g} "
                    "(a percentage typed as a factor?); the run goes on",
                )
            )
    if scenario.tax.rate > b["tax_rate_max"]:
        out.append(
            ("tax.rate", f"{scenario.tax.rate:.0%} is above the plausible {b['tax_rate_max']:.0%}; the run goes on")
        )
    for f in scenario.debt.facilities:
        m = f.rate.margin
        if m is not None and m > b["margin_max"]:
            out.append(
                (
                    f"debt.facilities[{f.name}].rate.margin",
                    f"{m:.2%} is above the plausible {b['margin_max']:.0%} a year; the run goes on",
                )
            )
    return out


IRR_METRICS = ("project_irr", "project_irr_pre_tax", "equity_irr")


def result_warnings(result) -> list[tuple[str, str]]:
    """``(metric, message)`` for an IRR of one case above the plausible band."""
    limit = bands()["irr_max"]
    m = result.metrics()
    return [
        (
            f"cases.{result.case}.{k}" if result.case != "base" else k,
            f"{m[k]:.0%} a year is above the plausible {limit:.0%} (an input in the wrong unit?)",
        )
        for k in IRR_METRICS
        if m.get(k) is not None and m[k] > limit
    ]
