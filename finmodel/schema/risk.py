"""The ``risk:`` block of a scenario file: which drivers are uncertain, how, and how they are correlated.

``preset: NAME`` starts from a preset of ``finmodel/data/risk.yaml`` (availability_ppp, utility_tariff,
toll_road, urban_transit, energy_ppa, smart_city_platform); a driver given next to it replaces the preset's
entry whole. Every driver is optional; an absent driver stays at its deterministic value (the scenario as entered and
its ``drivers`` block). The block is read by :mod:`finmodel.schema.project` (field ``Scenario.risk``) and used by
:mod:`finmodel.risk.drivers`.

Example (the units are stated once per key)::

    risk:
      capex_overrun: {kind: lognormal, mean: 1.05, sd: 0.08}       # factor on construction cost [ratio]
      construction_delay: {kind: triangular, low: 0, mode: 3, high: 12}   # delay to first revenue [months]
      opex: {kind: normal, mean: 1.0, sd: 0.05}                    # factor on opex and lifecycle [ratio]
      demand: {sd: 0.10, autocorrelation: 0.7}                     # AR(1) of log demand, per year
      fx: {volatility: 0.08, drift: -0.01}                         # local currency value, GBM [per year]
      base_rate: {volatility: 0.008, mean_reversion: 0.15}         # shift of base rates, OU [per year]
      inflation: {sd: 0.01, autocorrelation: 0.5}                  # deviation of inflation, AR(1) [per year]
      political_event: {annual_probability: oecd, revenue_loss: 0.5, duration_months: 12, resolution_probability: 0.85}
      correlation:
        drivers: [capex_overrun, construction_delay, demand, fx]
        matrix:
          - [1.0, 0.5, 0.0, 0.0]
          - [0.5, 1.0, 0.0, 0.0]
          - [0.0, 0.0, 1.0, 0.3]
          - [0.0, 0.0, 0.3, 1.0]
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from finmodel.schema import riskdata

PSD_TOLERANCE = 1e-10
"""A correlation matrix is accepted when its smallest eigenvalue is >= -1e-10 (round-off of a matrix typed
with a few decimals is ~1e-16; a genuinely indefinite matrix typed by hand has eigenvalues far below)."""

SYMMETRY_TOLERANCE = 1e-12
"""Entries (i, j) and (j, i) must agree within this (they are typed as the same decimal)."""

NORMAL_CLIP_SD = 6.0
"""Normal marginals are clipped at ``mean +- 6 sd`` (probability 2e-9): a factor or a delay stays >= 0."""

SCALAR_DRIVERS = ("capex_overrun", "construction_delay", "opex")
"""Drivers with one value per path (a marginal distribution)."""

PATH_DRIVERS = ("demand", "fx", "base_rate", "inflation", "political_event")
"""Drivers with one value per period (a stochastic process)."""

DRIVERS = SCALAR_DRIVERS + PATH_DRIVERS


class _RiskBlock(BaseModel):
    """Same rules as every scenario block: unknown keys are errors, values immutable and strictly typed."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


MAX_PARAMETER = 1e4
"""Largest magnitude of a distribution parameter: drivers are factors near 1 or delays in months, so anything
past this is a typo, and would overflow the draws."""

MAX_LOGNORMAL_CV = 10.0
"""Largest coefficient of variation (sd / mean) of a lognormal: sigma = sqrt(ln(1 + 100)) = 2.1 already puts the
99.9th percentile ~50 x the median."""


class Distribution(_RiskBlock):
    """A marginal distribution of a per-path driver.

    ``fixed`` (value), ``normal`` (mean, sd), ``lognormal`` (mean, sd of the variable itself, not of its
    logarithm), ``triangular`` (low, mode, high), ``uniform`` (low, high). ``sd: 0`` or ``low = high`` is a
    degenerate distribution: every path takes that value.
    """

    kind: Literal["fixed", "normal", "lognormal", "triangular", "uniform"] = Field(description="Distribution family.")
    value: float | None = Field(default=None, description="The value of a fixed distribution.")
    mean: float | None = Field(default=None, description="Mean (normal, lognormal).")
    sd: float | None = Field(default=None, ge=0, description="Standard deviation (normal, lognormal), >= 0.")
    low: float | None = Field(default=None, description="Lower bound (triangular, uniform).")
    mode: float | None = Field(default=None, description="Most likely value (triangular).")
    high: float | None = Field(default=None, description="Upper bound (triangular, uniform).")

    @model_validator(mode="after")
    def _parameters(self) -> Distribution:
        needs = {
            "fixed": ("value",),
            "normal": ("mean", "sd"),
            "lognormal": ("mean", "sd"),
            "triangular": ("low", "mode", "high"),
            "uniform": ("low", "high"),
        }[self.kind]
        given = [k for k in ("value", "mean", "sd", "low", "mode", "high") if getattr(self, k) is not None]
        missing = [k for k in needs if getattr(self, k) is None]
        extra = [k for k in given if k not in needs]
        if missing or extra:
            raise ValueError(
                f"expected {', '.join(needs)} for kind {self.kind}, found " + (", ".join(given) if given else "nothing")
            )
        big = [f"{k} {getattr(self, k):g}" for k in given if abs(getattr(self, k)) > MAX_PARAMETER]
        if big:
            raise ValueError(
                f"expected parameters within +-{MAX_PARAMETER:g} (factors are ratios near 1, delays "
                f"months), found {', '.join(big)}"
            )
        if self.kind == "lognormal" and not self.mean > 0:
            raise ValueError(f"expected a lognormal mean > 0, found {self.mean:g}")
        if self.kind == "lognormal" and self.sd > MAX_LOGNORMAL_CV * self.mean:
            raise ValueError(
                f"expected a lognormal sd at most {MAX_LOGNORMAL_CV:g} x its mean, found sd {self.sd:g} "
                f"for mean {self.mean:g}"
            )
        if self.kind == "triangular" and not (self.low <= self.mode <= self.high):
            raise ValueError(f"expected low <= mode <= high, found {self.low:g}, {self.mode:g}, {self.high:g}")
        if self.kind == "uniform" and not self.low <= self.high:
            raise ValueError(f"expected low <= high, found {self.low:g}, {self.high:g}")
        return self

    def support_low(self) -> float:
        """The smallest value the distribution takes in practice: a normal's ``mean - 6 sd`` (reached with
        probability 1e-9; draws below it are clipped there)."""
        if self.kind == "fixed":
            return self.value
        if self.kind == "normal":
            return self.mean - NORMAL_CLIP_SD * self.sd
        if self.kind == "lognormal":
            return self.mean if self.sd == 0 else 0.0
        return self.low


class Ar1(_RiskBlock):
    """A stationary AR(1) process of a log factor (demand) or of a rate deviation (inflation)."""

    sd: float = Field(ge=0, le=1.0, description="Stationary standard deviation [decimal, per year basis].")
    autocorrelation: float = Field(
        default=0.0,
        ge=0,
        le=1.0,
        description="Correlation of consecutive years' values [fraction], 0 <= x <= 1 (1: one level per path).",
    )


class Fx(_RiskBlock):
    """Value of a currency of the scenario's fx block against its fx path: a driftless log random walk from 1
    at close (``exp(volatility x sqrt(dt) x cumulative normals)``), so the median path is the fx block's path and
    a volatility of 0 reproduces the deterministic case. It moves only the lines stated in that currency."""

    volatility: float = Field(ge=0, le=1.0, description="Annual volatility of the log FX factor [decimal].")
    currency: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description="Which currency of the fx block the process moves (ISO 4217); default: the first.",
    )
    drift: float | None = Field(
        default=None,
        description="Not accepted: the FX process is centred on the scenario's fx path; a depreciation belongs "
        "in fx.<currency>.depreciation (or ppp, rates), where the deterministic case sees it too.",
    )

    @field_validator("drift")
    @classmethod
    def _no_drift(cls, drift):
        if drift is not None:
            raise ValueError(
                f"expected no drift (the FX process is centred on the scenario's fx path: state a depreciation as "
                f"fx.<currency>.depreciation, ppp or rates, where the deterministic case has it too), found "
                f"{drift!r}"
            )
        return drift


class BaseRate(_RiskBlock):
    """Shift of every base rate after financial close: Ornstein-Uhlenbeck from 0 (random walk if no reversion)."""

    volatility: float = Field(ge=0, le=0.1, description="Annual volatility of the shift [per year, decimal].")
    mean_reversion: float = Field(default=0.0, ge=0, le=10.0, description="Speed of mean reversion [per year].")


class PoliticalEvent(_RiskBlock):
    """Transfer restriction, breach of contract, unrest or creeping expropriation, as such events happen.

    Each period an event starts with the per-period probability equivalent to ``annual_probability`` (or,
    when ``oecd``, the table of ``finmodel/data/risk.yaml`` by the host country's OECD risk category). While
    it lasts it cuts revenue by ``revenue_loss``; after ``duration_months`` it is resolved (revenue restored)
    with probability ``resolution_probability``, otherwise it becomes permanent: the same share of revenue lost
    to the end of the model, and the covered event of political-risk guarantees (``in_political_event``).
    Absent fields take the calibrated defaults of ``risk.yaml`` (sourced, confidence L).
    """

    annual_probability: float | Literal["oecd"] = Field(
        default="oecd",
        description="Annual probability that an event starts [fraction], or oecd (by the host country's OECD "
        "category, finmodel/data/risk.yaml).",
    )
    revenue_loss: float | None = Field(
        default=None, ge=0, le=1.0, description="Share of revenue lost while an event lasts [fraction]."
    )
    duration_months: float | None = Field(
        default=None, gt=0, le=600, description="Months until an event is resolved or becomes permanent [months]."
    )
    resolution_probability: float | None = Field(
        default=None,
        ge=0,
        le=1.0,
        description="Probability that an event is resolved (revenue restored) rather than permanent [fraction].",
    )

    @model_validator(mode="after")
    def _probability(self) -> PoliticalEvent:
        p = self.annual_probability
        if p != "oecd" and not 0.0 <= p < 1.0:
            raise ValueError(f"expected an annual probability in [0, 1) such as 0.01, or oecd, found {p!r}")
        return self

    def resolved(self) -> dict[str, float]:
        """revenue_loss, duration_months and resolution_probability, calibrated defaults filled in."""
        out = riskdata.political_defaults()
        for k in out:
            if getattr(self, k) is not None:
                out[k] = float(getattr(self, k))
        return out


class Correlation(_RiskBlock):
    """Correlation of the drivers' standard normal draws (a Gaussian copula); absent pairs are independent."""

    drivers: list[Literal[DRIVERS]] = Field(min_length=2, description="Drivers, in the order of the matrix.")
    matrix: list[list[float]] = Field(description="Correlation matrix: symmetric, unit diagonal, PSD.")

    @model_validator(mode="after")
    def _matrix(self) -> Correlation:
        n = len(self.drivers)
        if len(set(self.drivers)) != n:
            dup = sorted({d for d in self.drivers if self.drivers.count(d) > 1})
            raise ValueError(f"expected each driver once, found {', '.join(dup)} repeated")
        if len(self.matrix) != n or any(len(r) != n for r in self.matrix):
            shape = f"{len(self.matrix)} rows of lengths {[len(r) for r in self.matrix]}"
            raise ValueError(f"expected a {n} x {n} matrix (one row and column per driver), found {shape}")
        c = np.array(self.matrix, dtype=float)
        problems = correlation_problems(c)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def correlation_problems(c: np.ndarray) -> list[str]:
    """What is wrong with a correlation matrix (empty list: symmetric, unit diagonal, entries in [-1, 1], PSD)."""
    out = []
    if not np.all(np.abs(np.diag(c) - 1.0) <= SYMMETRY_TOLERANCE):
        out.append(f"expected 1 on the diagonal, found {np.diag(c).tolist()}")
    if np.any(np.abs(c) > 1.0):
        out.append(f"expected entries in [-1, 1], found {c[np.abs(c) > 1.0].tolist()}")
    asym = np.abs(c - c.T)
    if np.any(asym > SYMMETRY_TOLERANCE):
        i, j = np.unravel_index(np.argmax(asym), asym.shape)
        out.append(
            f"expected a symmetric matrix, found {c[i, j]:g} at ({i + 1}, {j + 1}) and {c[j, i]:g} at "
            f"({j + 1}, {i + 1})"
        )
    if not out:
        low = float(np.linalg.eigvalsh(c).min())
        if low < -PSD_TOLERANCE:
            out.append(
                f"expected a positive semi-definite matrix (every eigenvalue >= 0), found the eigenvalue "
                f"{low:.4g}: the correlations are mutually inconsistent"
            )
    return out


PRESETS = riskdata.preset_names()
"""Names of the presets of ``finmodel/data/risk.yaml``."""


class Risk(_RiskBlock):
    """Uncertain drivers for ``finmodel simulate`` (distributions, processes, correlation)."""

    preset: Literal[PRESETS] | None = Field(
        default=None,
        description="Start from this preset of finmodel/data/risk.yaml; drivers given here replace the preset's.",
    )

    capex_overrun: Distribution | None = Field(
        default=None, description="Factor on construction cost [ratio], e.g. lognormal mean 1.05 sd 0.08."
    )
    construction_delay: Distribution | None = Field(
        default=None, description="Delay of first revenue after the planned completion [months], >= 0."
    )
    opex: Distribution | None = Field(default=None, description="Factor on opex and lifecycle costs [ratio].")
    demand: Ar1 | None = Field(default=None, description="Demand factor on revenue by period: AR(1) of its log.")
    fx: Fx | None = Field(default=None, description="FX factor on revenue by period: GBM from 1.")
    base_rate: BaseRate | None = Field(default=None, description="Shift of base rates by period [per year].")
    inflation: Ar1 | None = Field(
        default=None, description="Deviation of annual inflation from the indexation assumed [per year]: AR(1)."
    )
    political_event: PoliticalEvent | None = Field(default=None, description="Revenue interruption hazard.")
    correlation: Correlation | None = Field(default=None, description="Gaussian copula correlation.")

    @model_validator(mode="before")
    @classmethod
    def _expand_preset(cls, raw):
        """Fill the drivers a known preset declares and the block does not (an unknown preset is left to the
        field's own check, which names the presets)."""
        if isinstance(raw, dict) and isinstance(raw.get("preset"), str) and raw["preset"] in PRESETS:
            return {**riskdata.preset(raw["preset"]), **raw}
        return raw

    @model_validator(mode="after")
    def _consistent(self) -> Risk:
        for name in SCALAR_DRIVERS:
            d = getattr(self, name)
            if d is not None and d.support_low() < 0:
                what = "delay in months" if name == "construction_delay" else "factor"
                raise ValueError(
                    f"{name}: expected a {what} that cannot be negative (lognormal, or normal with "
                    f"mean >= 6 sd, or triangular / uniform / fixed >= 0), found kind {d.kind} with "
                    f"lowest value {d.support_low():g}"
                )
        if self.correlation is not None:
            absent = [d for d in self.correlation.drivers if getattr(self, d) is None]
            if absent:
                raise ValueError(
                    f"correlation.drivers: expected drivers declared in the risk block, found "
                    f"{', '.join(absent)} not declared"
                )
        return self

    def declared(self) -> list[str]:
        """The drivers given, in canonical order."""
        return [d for d in DRIVERS if getattr(self, d) is not None]
