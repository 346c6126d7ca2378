"""The result of a Monte Carlo run: per-path data, the summary metrics, the JSON.

Metric definitions: :mod:`finmodel.outputs.definitions` (the JSON, the Risk sheet and docs/metrics.md read them).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from finmodel.outputs import definitions
from finmodel.risk import metrics as mx
from finmodel.schema import riskdata

REFERENCES = ("cdr_10y", "recovery_mean", "full_recovery_share", "expected_loss_10y")
"""Published reference figures (finmodel/data/risk.yaml ``reference``) shown beside the simulated metrics."""

DEFINITIONS = definitions.SIMULATE_TERMS
"""The terms the metrics are defined with (:mod:`finmodel.outputs.definitions`); the JSON adds each metric pattern's."""


def irr_metrics(irr, hurdle: float, prefix: str = "equity_irr") -> dict[str, float | None]:
    """Percentiles and mean of an IRR over the paths that have one, the share without one, and the share of all
    paths below the hurdle (a path without an IRR is below it): :data:`finmodel.outputs.definitions.IRR_OVER_PATHS`.

    >>> m = irr_metrics(np.array([0.05, np.nan, 0.15]), hurdle=0.10)
    >>> m["equity_irr_p50"], m["equity_irr_mean"], round(m["equity_irr_missing_share"], 4)
    (0.1, 0.1, 0.3333)
    >>> round(m["p_equity_irr_below_hurdle"], 4)
    0.6667
    """
    x = np.asarray(irr, dtype=float)
    n = x.size
    ok = x[np.isfinite(x)]
    out: dict[str, float | None] = {}
    for q in (1, 5, 10, 50, 90, 95, 99):
        out[f"{prefix}_p{q}"] = float(np.percentile(ok, q)) if ok.size else None
    out[f"{prefix}_mean"] = float(np.mean(ok)) if ok.size else None
    out[f"{prefix}_missing_share"] = float(1.0 - ok.size / n) if n else None
    p = float(np.mean(~(np.nan_to_num(x, nan=-np.inf) >= hurdle))) if n else float("nan")
    out[f"p_{prefix}_below_hurdle"] = p
    out[f"p_{prefix}_below_hurdle_se"] = math.sqrt(p * (1.0 - p) / n) if n else float("nan")
    return out


@dataclasses.dataclass
class SimulationResult:
    """A Monte Carlo run: per-path results (arrays of shape (paths,)) and what produced them.

    Columns of ``paths_data``: the model metrics of :data:`finmodel.conventions.PATH_METRICS` (and the
    optional ones when the model has them), ``senior_loss`` [currency], the lender columns of
    :func:`finmodel.risk.simulation.lender_columns` (``default_period``, ``default_political``, ``ead_<p>``,
    ``loss_<p>``, ``claims_<g>``, ``recoveries_<g>``, ``cfads_negative``, ``senior_shortfall_total``), and the
    drivers: ``capex_overrun`` [ratio], ``construction_delay_months`` [months], ``opex_factor`` [ratio],
    ``demand_mean`` [ratio, mean over operating periods], ``fx_final`` [ratio], ``base_rate_shift_mean``
    [per year], ``inflation_final`` [ratio], ``political_event`` [1 = an event started],
    ``political_permanent`` [1 = not resolved], ``political_start_period`` [period index].
    """

    scenario: object
    case: str
    seed: int
    paths: int
    chunk_size: int
    deterministic: dict  # metrics of the deterministic case
    paths_data: dict
    lockup_dscr: float
    hurdle: float
    senior_debt: float
    periods_per_year: int = 1
    horizon_years: int = 0
    facilities: tuple = ()  # (prefix, name, senior, peak balance in the deterministic case)
    guarantors: tuple = ()  # (prefix, name)
    default_drivers: dict | None = None
    workers: int = 1

    # --- metrics ----------------------------------------------------------------------------------------

    def _default_inputs(self):
        d = self.paths_data
        dp = d.get("default_period")
        if dp is None:  # a model without the defaulted row: payment defaults from the metric
            dp = np.where(d["default_periods"] > 0, 0.0, np.nan)
        pol = d.get("default_political", np.zeros(self.paths))
        return dp, pol

    def cdr_curve(self) -> dict[str, list[float]]:
        dp, pol = self._default_inputs()
        return mx.cdr_curve(dp, pol, self.periods_per_year, max(self.horizon_years, 1))

    def summary(self) -> dict[str, float | None]:
        """The simulation metrics (JSON ``metrics``): flat names, numbers (definitions: :data:`DEFINITIONS`).

        Probabilities are shares of paths; ``*_se`` their binomial standard errors ``sqrt(p (1 - p) / N)``.
        Percentiles: numpy's linear interpolation between order statistics. Equity IRR statistics are over the
        paths with an IRR, ``equity_irr_missing_share`` the share without one (:func:`irr_metrics`).
        """
        d, n = self.paths_data, self.paths
        out: dict[str, float | None] = {}
        dp, pol = self._default_inputs()
        out.update(mx.default_metrics(dp, pol, self.periods_per_year, max(self.horizon_years, 1)))
        defaulted = np.isfinite(np.asarray(dp, dtype=float))
        out.update(
            mx.dscr_metrics(
                d["min_dscr"],
                d.get("cfads_negative", np.zeros(n)),
                d.get("senior_shortfall_total", np.zeros(n)),
                self.lockup_dscr,
            )
        )
        out.update(irr_metrics(d["equity_irr"], self.hurdle))
        # senior debt together, then each facility
        senior = [f for f in self.facilities if f[2] and f"ead_{f[0]}" in d]
        if senior:
            s_ead = sum(d[f"ead_{f[0]}"] for f in senior)
            s_exp = sum(f[3] for f in senior)
            out.update(mx.loss_metrics(d["senior_loss"], s_ead, defaulted, s_exp, "senior"))
        else:
            out.update(mx.loss_metrics(d["senior_loss"], np.zeros(n), defaulted, self.senior_debt, "senior"))
        for p_, _name, _senior, exposure in self.facilities:
            if f"loss_{p_}" in d:
                ead = d.get(f"ead_{p_}", np.zeros(n))
                out.update(mx.loss_metrics(d[f"loss_{p_}"], ead, defaulted, exposure, p_))
        for g, _name in self.guarantors:
            if f"claims_{g}" in d:
                out.update(mx.guarantor_metrics(d[f"claims_{g}"], d.get(f"recoveries_{g}"), g))
        if "lender_loss_after_cover" in d:
            out["lender_expected_loss_after_cover"] = float(np.mean(d["lender_loss_after_cover"]))
        if "guarantee_claims" in d:
            c = d["guarantee_claims"]
            out["guarantee_claims_expected"] = float(np.mean(c))
            out["guarantee_claims_p99"] = float(np.percentile(c, 99))
            pc = float(np.mean(c > mx.MONEY_TOL))
            out["p_guarantee_claim"] = pc
            out["p_guarantee_claim_se"] = math.sqrt(pc * (1.0 - pc) / n)
        for k in d:  # other modules' per-path losses (REDUCERS): <name>_loss columns
            if k.endswith("_loss") and k not in ("senior_loss", "lender_loss_after_cover"):
                stem = k[: -len("_loss")]
                pk = float(np.mean(d[k] > mx.MONEY_TOL))
                out[f"p_{stem}_loss"] = pk
                out[f"p_{stem}_loss_se"] = math.sqrt(pk * (1.0 - pk) / n)
                out[f"{stem}_expected_loss"] = float(np.mean(d[k]))
        out["paths"] = float(n)
        return out

    def lenders(self, summary: dict | None = None) -> list[dict]:
        """One row per facility and guarantor: name, role, exposure, EL, P99, LGD, recovery."""
        s = summary or self.summary()
        rows = []
        for p_, name, senior, exposure in self.facilities:
            if f"{p_}_expected_loss" not in s:
                continue
            rows.append(
                {
                    "id": p_,
                    "name": name,
                    "role": "senior lender" if senior else "subordinated lender",
                    "exposure": exposure,
                    "expected_loss": s[f"{p_}_expected_loss"],
                    "expected_loss_ratio": s[f"{p_}_expected_loss_ratio"],
                    "loss_p99": s[f"{p_}_loss_p99"],
                    "p_loss": s[f"p_{p_}_loss"],
                    "lgd": s[f"{p_}_lgd"],
                    "recovery_mean": s[f"{p_}_recovery_mean"],
                }
            )
        for g, name in self.guarantors:
            if f"{g}_claims_expected" not in s:
                continue
            rows.append(
                {
                    "id": g,
                    "name": name,
                    "role": "guarantor",
                    "exposure": None,
                    "expected_loss": s[f"{g}_expected_loss"],
                    "expected_loss_ratio": None,
                    "loss_p99": s[f"{g}_loss_p99"],
                    "p_loss": s[f"p_{g}_claim"],
                    "lgd": None,
                    "recovery_mean": None,
                }
            )
        return rows

    @staticmethod
    def references() -> dict[str, dict]:
        """The published reference figures with their sources."""
        return {k: riskdata.reference(k) for k in REFERENCES}

    def to_json(self) -> dict:
        """The output contract (README, JSON outputs) plus the run's seed, paths, default curve, lenders and drivers."""
        from finmodel.version import __version__

        metrics = self.summary()
        refs = self.references()
        return {
            "finmodel_version": __version__,
            "scenario": str(self.scenario.source),
            "scenario_sha256": self.scenario.sha256,
            "case": self.case,
            "seed": self.seed,
            "generated": _now(),
            "paths": self.paths,
            "financing": "as sized on the base case, held fixed across paths",
            "metrics": {k: _json_number(v) for k, v in metrics.items()},
            "cdr_curve": self.cdr_curve(),
            "lenders": [{k: _json_value(v) for k, v in r.items()} for r in self.lenders(metrics)],
            "default_drivers": _json_value(self.default_drivers),
            "definitions": definitions.simulate_definitions(metrics),
            "metric_info": {k: {"label": definitions.simulate_label(k)} for k in metrics},
            "references": {
                k: {"value": v["value"], "source": v["citation"], "url": v["url"], "confidence": v["confidence"]}
                for k, v in refs.items()
            },
            "deterministic": {k: _json_number(v) for k, v in self.deterministic.items()},
            "checks": {"paths_evaluated": bool(self.paths_data and len(self.paths_data["senior_loss"]) == self.paths)},
        }

    def dataframe(self):
        """Per-path results as a pandas DataFrame indexed by path number (0-based)."""
        import pandas as pd

        df = pd.DataFrame(self.paths_data)
        df.index.name = "path"
        return df


def _json_number(v):
    if v is None:
        return None
    v = float(v)
    return None if not math.isfinite(v) else v


def _json_value(v):
    """Numbers made JSON-safe (NaN, inf -> null) inside nested dicts and lists."""
    if isinstance(v, dict):
        return {k: _json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    if isinstance(v, (bool, str)) or v is None:
        return v
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return _json_number(v)
    return v


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
