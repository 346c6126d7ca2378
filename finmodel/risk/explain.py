"""Default explained: which drivers cause the simulated defaults.

Two views, both in the JSON (``default_drivers``), the Risk sheet and a PNG chart:

* **Held at the deterministic value.** The first ``paths`` paths are re-run with one driver at a time held
  at its deterministic value (the scenario as entered) and every other driver on the *same* random numbers;
  the fall in the default probability is that driver's contribution on its own. Differences are paired (the
  same paths), so they are far more precise than two independent estimates.
* **Deciles.** The default rate by decile of each driver's per-path value (all paths of the run), e.g. the
  share of defaults among the 10 % of paths with the largest capex overrun.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from finmodel.risk import metrics

DEFAULT_EXPLAIN_PATHS = 5000
"""Paths re-run per held driver (the first ones of the run): a binomial standard error of at most 0.7
percentage points for each probability, less for the paired differences."""

ALL_HELD_PATHS = 1024
"""Paths of the check run with every driver held (it must give the deterministic case's default, 0 or 1)."""

SUMMARY_COLUMN = {
    "capex_overrun": ("capex_overrun", "capex overrun factor [x]"),
    "construction_delay": ("construction_delay_months", "construction delay [months]"),
    "opex": ("opex_factor", "opex factor [x]"),
    "demand": ("demand_mean", "mean demand factor over operations [x]"),
    "fx": ("fx_final", "FX factor at the end [x]"),
    "base_rate": ("base_rate_shift_mean", "mean base-rate shift [per year]"),
    "inflation": ("inflation_final", "price factor at the end [x]"),
    "political_event": ("political_event", "political event started (0/1)"),
}
"""Per-path column (:meth:`finmodel.risk.drivers.Draws.summary`) and label of each driver, for the deciles."""


def _defaulted(data: dict) -> np.ndarray:
    return np.isfinite(np.asarray(data["default_period"], dtype=float))


def explain(spec, data: dict, paths: int, run) -> dict:
    """The ``default_drivers`` block.

    ``data``: per-path results of the run; ``paths``: how many of its first paths to re-run per driver;
    ``run(spec, paths) -> per-path results`` evaluates a spec (serially or on the run's workers).
    """
    drivers = [d for d in spec.drivers if d in SUMMARY_COLUMN]
    all_def = _defaulted(data)
    m = min(int(paths), len(all_def))
    held = []
    if m > 0 and drivers:
        base = float(all_def[:m].mean())
        for d in drivers:
            sub = run(dataclasses.replace(spec, hold=(d,)), m)
            p = float(_defaulted(sub).mean())
            held.append({"driver": d, "p_default": base, "p_default_held": p, "contribution": base - p})
        everything = run(dataclasses.replace(spec, hold=tuple(drivers)), min(m, ALL_HELD_PATHS))
        all_held = float(_defaulted(everything).mean())
    else:
        base, all_held = float("nan"), float("nan")
    held.sort(key=lambda r: -r["contribution"])
    deciles = {}
    for d in drivers:
        col, label = SUMMARY_COLUMN[d]
        if col in data:
            deciles[d] = {"label": label, "bins": metrics.decile_table(data[col], all_def)}
    return {
        "paths_held": m,
        "p_default_first_paths": base,
        "p_default_all_held": all_held,
        "held": held,
        "deciles": deciles,
        "note": "p_default_held: default probability on the same first paths with that driver at its "
        "deterministic value and every other driver on the same random numbers; contribution = p_default - "
        "p_default_held. p_default_all_held: every driver held (reproduces the deterministic case).",
    }
