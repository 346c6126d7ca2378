"""Lender metrics of a simulation, from per-path results: default curve, loss given default, expected and
P99 losses per facility and guarantor, realised recovery, DSCR statistics. Definitions: docs/metrics.md
("Monte Carlo metrics"); every function here takes plain arrays (one value per path), so it can be checked
on hand-made paths.

Conventions
-----------
* A path *defaults* in the first period in which senior debt service is left unpaid after the DSRA (payment
  default), or, with a guarantees block, a covered political event occurs (``defaulted`` row). Its default
  *year* counts from financial close: period index ``i`` (0-based) falls in year ``i // periods_per_year + 1``.
* ``cdr_Ny``: share of paths whose default year is ``<= N`` (cumulative default rate from financial close, the
  measure of Moody's project-finance studies); split into *political* (the default follows a political event,
  :func:`finmodel.risk.simulation.political_default`) and *payment* (all other defaults). Standard errors are
  binomial, ``sqrt(p (1 - p) / N)``.
* Loss of a facility on a path: its balance never repaid by the end of the model, discounted to the first period
  of default at the facility's own rate (the model row ``d{k}_default_loss``, :mod:`finmodel.model.default_loss`;
  :data:`finmodel.outputs.definitions.LOSS_AT_DEFAULT`).
  Exposure at default (EAD): its opening balance in the default period. Realised recovery of a defaulted
  path: ``1 - loss / EAD`` (clipped to [0, 1]); its average over defaulted paths compares with Moody's
  "average ultimate recovery". LGD = 1 - that average. Expected loss (EL) = mean loss over all paths; P99 =
  99th percentile of the loss over all paths (numpy linear interpolation).
"""

from __future__ import annotations

import math

import numpy as np

from finmodel.conventions import MONEY_TOLERANCE

MONEY_TOL = MONEY_TOLERANCE
"""A loss or claim counts when above a cent (the model's money tolerance, finmodel.conventions)."""


def _se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1.0 - p), 0.0) / n) if n else float("nan")


def default_years(default_period: np.ndarray, periods_per_year: int) -> np.ndarray:
    """Year from financial close (1, 2, ...) of each path's first default; ``inf`` without a default."""
    dp = np.asarray(default_period, dtype=float)
    return np.where(np.isnan(dp), np.inf, np.floor(np.nan_to_num(dp, nan=0.0) / periods_per_year) + 1.0)


def cdr_curve(default_period, political, periods_per_year: int, years: int) -> dict[str, list[float]]:
    """Cumulative default rate by year ``1 .. years``: total, payment and political (shares of all paths)."""
    y = default_years(default_period, periods_per_year)
    pol = np.asarray(political, dtype=float) > 0.5
    n = max(len(y), 1)
    grid = np.arange(1, years + 1)
    total = [(y <= k).sum() / n for k in grid]
    political_ = [((y <= k) & pol).sum() / n for k in grid]
    payment = [t - p for t, p in zip(total, political_, strict=True)]
    return {
        "years": [int(k) for k in grid],
        "total": [float(v) for v in total],
        "payment": [float(v) for v in payment],
        "political": [float(v) for v in political_],
    }


def default_metrics(default_period, political, periods_per_year: int, years: int) -> dict[str, float]:
    """``p_default``, ``cdr_5y`` and ``cdr_10y`` (total, payment, political) with binomial standard errors."""
    n = len(default_period)
    y = default_years(default_period, periods_per_year)
    pol = np.asarray(political, dtype=float) > 0.5
    out: dict[str, float] = {}

    def put(name, flags):
        p = float(np.mean(flags)) if n else float("nan")
        out[name] = p
        out[name + "_se"] = _se(p, n)

    put("p_default", np.isfinite(y))
    put("p_default_payment", np.isfinite(y) & ~pol)
    put("p_default_political", np.isfinite(y) & pol)
    for k in (5, 10):
        if k <= years:
            put(f"cdr_{k}y", y <= k)
            put(f"cdr_{k}y_payment", (y <= k) & ~pol)
            put(f"cdr_{k}y_political", (y <= k) & pol)
    return out


def loss_metrics(loss, ead, defaulted, exposure: float, prefix: str) -> dict[str, float | None]:
    """Expected loss, P99, LGD and realised recovery of one facility (or of the senior debt together).

    ``loss`` and ``ead`` [currency] per path; ``defaulted`` (bool per path); ``exposure``: the facility's
    peak balance in the deterministic case [currency], the base of ``_expected_loss_ratio``.
    """
    loss = np.asarray(loss, dtype=float)
    ead = np.asarray(ead, dtype=float)
    d = np.asarray(defaulted, dtype=bool) & (ead > MONEY_TOL)
    out: dict[str, float | None] = {
        f"{prefix}_expected_loss": float(loss.mean()) if loss.size else None,
        f"{prefix}_expected_loss_ratio": float(loss.mean()) / exposure if exposure > 0 and loss.size else None,
        f"{prefix}_loss_p99": float(np.percentile(loss, 99)) if loss.size else None,
        f"{prefix}_loss_p99_ratio": float(np.percentile(loss, 99)) / exposure if exposure > 0 and loss.size else None,
        f"p_{prefix}_loss": float(np.mean(loss > MONEY_TOL)) if loss.size else None,
    }
    if d.any():
        rec = np.clip(1.0 - loss[d] / ead[d], 0.0, 1.0)
        out[f"{prefix}_recovery_mean"] = float(rec.mean())
        out[f"{prefix}_lgd"] = 1.0 - float(rec.mean())
        out[f"{prefix}_full_recovery_share"] = float(np.mean(loss[d] <= MONEY_TOL))
        out[f"{prefix}_defaults"] = float(d.sum())
    else:
        out[f"{prefix}_recovery_mean"] = out[f"{prefix}_lgd"] = out[f"{prefix}_full_recovery_share"] = None
        out[f"{prefix}_defaults"] = 0.0
    return out


def guarantor_metrics(claims, recoveries, prefix: str) -> dict[str, float]:
    """Claims (expected, P99, probability) and the guarantor's loss = claims - recoveries (expected, P99)."""
    c = np.asarray(claims, dtype=float)
    r = np.zeros_like(c) if recoveries is None else np.asarray(recoveries, dtype=float)
    loss = c - r
    return {
        f"{prefix}_claims_expected": float(c.mean()),
        f"{prefix}_claims_p99": float(np.percentile(c, 99)),
        f"p_{prefix}_claim": float(np.mean(c > MONEY_TOL)),
        f"{prefix}_expected_loss": float(loss.mean()),
        f"{prefix}_loss_p99": float(np.percentile(loss, 99)),
    }


def dscr_metrics(min_dscr, cfads_negative, shortfall, lockup: float) -> dict[str, float | None]:
    """Minimum-DSCR statistics that stay meaningful when CFADS turns negative.

    A negative DSCR is not a ratio anyone can read (it only says CFADS < 0), so percentiles are of the
    minimum DSCR *floored at 0* (0.00x = cash flow at or below zero) and the share of such paths and the
    unpaid senior debt service are reported beside them; no average of ratios is taken.
    """
    d = np.asarray(min_dscr, dtype=float)
    n = len(d)
    fin = np.nan_to_num(d, nan=np.inf)  # no debt service on a path: no DSCR, never below a threshold
    out: dict[str, float | None] = {}
    for name, flags in (
        ("p_min_dscr_below_1", fin < 1.0),
        ("p_min_dscr_below_lockup", fin < lockup),
        ("p_cfads_negative", np.asarray(cfads_negative, dtype=float) > 0.5),
    ):
        p = float(np.mean(flags)) if n else float("nan")
        out[name] = p
        out[name + "_se"] = _se(p, n)
    finite = d[np.isfinite(d)]
    for q in (1, 10, 50, 90):
        out[f"min_dscr_p{q}"] = float(np.percentile(np.maximum(finite, 0.0), q)) if finite.size else None
    s = np.asarray(shortfall, dtype=float)
    out["senior_shortfall_expected"] = float(s.mean()) if s.size else None
    out["senior_shortfall_p99"] = float(np.percentile(s, 99)) if s.size else None
    return out


def decile_table(x, defaulted) -> list[dict[str, float]]:
    """Default rate by decile of a driver's per-path value: ``[{low, high, paths, default_rate}]``.

    Ties are kept together (bins are by value, edges at the 10 %, ..., 90 % quantiles; equal edges merge),
    so a driver with few distinct values (a 0/1 event) gives fewer rows.
    """
    x = np.asarray(x, dtype=float)
    d = np.asarray(defaulted, dtype=bool)
    ok = np.isfinite(x)
    x, d = x[ok], d[ok]
    if x.size == 0:
        return []
    distinct = np.unique(x)
    if distinct.size <= 10:
        return [
            {"low": float(v), "high": float(v), "paths": int((x == v).sum()), "default_rate": float(d[x == v].mean())}
            for v in distinct
        ]
    edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, 11)))
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    out = []
    for b in range(len(edges) - 1):
        sel = idx == b
        if sel.any():
            out.append(
                {
                    "low": float(edges[b]),
                    "high": float(edges[b + 1]),
                    "paths": int(sel.sum()),
                    "default_rate": float(d[sel].mean()),
                }
            )
    return out
