"""From standard normal draws to model inputs: marginals, the Gaussian copula and the path processes.

Gaussian copula (stated once)
-----------------------------
Each path draws, for every period ``t`` and every declared driver ``k``, an independent standard normal
``e[t, k]`` (:mod:`finmodel.risk.rng`). The copula correlates them within a period:
``z[t] = L e[t]`` with ``L L' = C`` (``C`` the scenario's correlation matrix, identity where no correlation
is given). A *scalar* driver (capex overrun, delay, opex) uses its period-1 draw ``z[1, k]`` through its
marginal (``x = F^-1(Phi(z))``; normal and lognormal directly from ``z``); a *process* (demand, FX, base
rate, inflation, political events) uses ``z[t, k]`` as its innovation of period ``t``. A correlation of
``rho`` between two scalar drivers is the correlation of their normal scores; between a scalar driver and
a process it is the correlation with the process's first innovation (for demand and inflation: the
stationary starting level, which persists with the autocorrelation); between two processes it is the
correlation of same-period innovations.

Processes (``dt = 1 / periods_per_year`` years; ``a`` = annual autocorrelation, ``phi = a ** dt``)
----------------------------------------------------------------------------------------------------
* demand: ``x_1 = s z_1``, ``x_t = phi x_{t-1} + s sqrt(1 - phi^2) z_t`` (stationary, sd ``s``);
  factor ``exp(x_t - s^2 / 2)`` (mean 1) on every revenue.
* FX: ``f_t = exp(sum_{u<=t} (ln(1 + drift) - v^2 / 2) dt + v sqrt(dt) z_u)`` (geometric Brownian motion
  from 1 at financial close, ``E[f] = (1 + drift)^years``) on every revenue (revenue earned in local currency,
  costs and debt in the model currency).
* base rate: Ornstein-Uhlenbeck shift from 0: ``r_t = r_{t-1} e^{-k dt} + v sqrt((1 - e^{-2 k dt}) / 2k) z_t``
  (``v sqrt(dt) z_t`` when ``k = 0``), added to every floating rate (``in_rate_shift_path``).
* inflation: deviation ``d_t`` of annual inflation, AR(1) as demand (not logged); price factor
  ``prod_{u<=t} (1 + d_u)^dt`` on revenues, opex and lifecycle costs (indexation follows prices).
* political event: an event starts in period ``t`` when ``z_t < Phi^-1(q)``, ``q = 1 - (1 - p)^dt`` the
  per-period probability of the annual ``p``; the first event cuts revenue by ``revenue_loss`` for
  ``duration_months`` and sets ``in_political_event`` (the guarantees' covered event) in those periods.
* construction delay ``d`` months = ``d * periods_per_year / 12`` periods: operating period ``j`` (1, 2, ...)
  earns ``min(1, max(0, j - d))`` of its revenue (the timetable, opex and debt service do not move:
  lenders' view of a late completion; extra construction cost is the capex driver).

Every neutral draw (sd 0, ``low = high``) gives exactly 1 (factors) or 0 (shifts): the simulation then
reproduces the deterministic case.
"""

from __future__ import annotations

import dataclasses
import math
import statistics

import numpy as np

from finmodel.errors import FinmodelError, InputError
from finmodel.risk.schema import DRIVERS, NORMAL_CLIP_SD, SCALAR_DRIVERS, Distribution

_ERFC = np.frompyfunc(math.erfc, 1, 1)


def norm_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF, ``Phi(z) = erfc(-z / sqrt 2) / 2`` (libm ``erfc``, accurate in both tails)."""
    z = np.asarray(z, dtype=float)
    return 0.5 * _ERFC(-z / math.sqrt(2.0)).astype(float)


def marginal(dist: Distribution, z: np.ndarray) -> np.ndarray:
    """Values of ``dist`` for standard normal scores ``z`` (the copula's ``F^-1(Phi(z))``).

    Normal: ``mean + sd z`` (``z`` clipped at +-6); lognormal with mean ``m`` and sd ``s`` of the variable:
    ``m exp(sigma z - sigma^2 / 2)``, ``sigma^2 = ln(1 + s^2 / m^2)``; triangular and uniform by their
    inverse CDF at ``u = Phi(z)``; fixed: the value. Degenerate parameters return the value exactly.
    """
    z = np.asarray(z, dtype=float)
    k = dist.kind
    if k == "fixed":
        return np.full(z.shape, float(dist.value))
    if k == "normal":
        return dist.mean + dist.sd * np.clip(z, -NORMAL_CLIP_SD, NORMAL_CLIP_SD)
    if k == "lognormal":
        sigma = math.sqrt(math.log1p((dist.sd / dist.mean) ** 2))
        return dist.mean * np.exp(sigma * z - 0.5 * sigma * sigma)
    u = norm_cdf(z)
    lo, hi = float(dist.low), float(dist.high)
    if k == "uniform":
        return lo + u * (hi - lo)
    mode = float(dist.mode)  # triangular
    width = hi - lo
    if width == 0.0:
        return np.full(z.shape, lo)
    fc = (mode - lo) / width
    left = lo + np.sqrt(u * width * (mode - lo))
    right = hi - np.sqrt((1.0 - u) * width * (hi - mode))
    return np.where(u < fc, left, right)


@dataclasses.dataclass(frozen=True)
class Timing:
    """What the drivers need to know about the model's calendar."""

    periods: int
    periods_per_year: int
    construction_periods: int
    oecd_category: int | None = None

    @classmethod
    def of(cls, scenario) -> Timing:
        from finmodel.countries import get_country

        tl = scenario.timeline
        country = get_country(scenario.project.country, scenario.project.country_overrides)
        return cls(
            periods=int(round((tl.construction_years + tl.operation_years) * tl.periods_per_year)),
            periods_per_year=int(tl.periods_per_year),
            construction_periods=int(round(tl.construction_years * tl.periods_per_year)),
            oecd_category=None if country is None else country.oecd_risk_category,
        )


def copula_factor(risk) -> tuple[list[str], np.ndarray]:
    """Declared drivers (canonical order) and ``L`` with ``L L' = C`` over them.

    Cholesky when ``C`` is positive definite; otherwise (semi-definite, validated by the schema) the
    symmetric square root from the eigen-decomposition with eigenvalues clipped at 0.
    """
    names = risk.declared() if risk is not None else []
    names = [n for n in names if n != "correlation"]
    c = np.eye(len(names))
    if risk is not None and risk.correlation is not None:
        idx = [names.index(d) for d in risk.correlation.drivers]
        m = np.array(risk.correlation.matrix, dtype=float)
        for a, i in enumerate(idx):
            for b, j in enumerate(idx):
                c[i, j] = m[a, b]
    try:
        factor = np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(c)
        factor = v @ np.diag(np.sqrt(np.clip(w, 0.0, None))) @ v.T
    return names, factor


def political_probability(event, timing: Timing) -> float:
    """Annual probability of a political event: the scenario's number, or the guarantees' OECD table."""
    p = event.annual_probability
    if p != "oecd":
        return float(p)
    if timing.oecd_category is None:
        raise InputError(
            [
                (
                    "risk.political_event.annual_probability",
                    "expected a number: the host country has no OECD risk category, found oecd",
                )
            ]
        )
    try:
        from finmodel.guarantees.data import political_hazard
    except ImportError as exc:  # pragma: no cover - the guarantees package ships with finmodel
        raise FinmodelError("annual_probability: oecd needs finmodel.guarantees (cover.yaml political_hazard)") from exc
    return float(political_hazard(timing.oecd_category))


@dataclasses.dataclass
class Draws:
    """The drivers of a set of paths, in their own units (see the module docstring)."""

    capex_overrun: np.ndarray  # (n,) factor [ratio]
    construction_delay: np.ndarray  # (n,) [months]
    opex: np.ndarray  # (n,) factor [ratio]
    demand: np.ndarray  # (n, T) factor
    fx: np.ndarray  # (n, T) factor
    base_rate: np.ndarray  # (n, T) shift [per year]
    inflation: np.ndarray  # (n, T) price factor
    political_event: np.ndarray  # (n, T) 1 = revenue interrupted by a political event
    revenue_interruption: np.ndarray  # (n, T) share of revenue lost [fraction]

    def summary(self) -> dict[str, np.ndarray]:
        """Per-path driver values for the path results file (one number per driver)."""
        return {
            "capex_overrun": self.capex_overrun,
            "construction_delay_months": self.construction_delay,
            "opex_factor": self.opex,
            "demand_mean": self.demand.mean(axis=1),
            "fx_final": self.fx[:, -1],
            "base_rate_shift_mean": self.base_rate.mean(axis=1),
            "inflation_final": self.inflation[:, -1],
            "political_event": (
                self.political_event.max(axis=1) if self.political_event.size else np.zeros(self.capex_overrun.shape)
            ),
        }


def _ar1(z: np.ndarray, sd: float, autocorrelation: float, dt: float) -> np.ndarray:
    """Stationary AR(1) over the columns of ``z`` (n, T): sd ``sd``, annual autocorrelation."""
    phi = autocorrelation**dt
    x = np.empty_like(z)
    x[:, 0] = sd * z[:, 0]
    scale = sd * math.sqrt(1.0 - phi * phi)
    for t in range(1, z.shape[1]):
        x[:, t] = phi * x[:, t - 1] + scale * z[:, t]
    return x


def sample(risk, timing: Timing, z: np.ndarray) -> Draws:
    """Driver values for correlated normal scores ``z`` (n, T, K) over the declared drivers (K in canonical
    order, see :func:`copula_factor`)."""
    n, T = z.shape[0], timing.periods
    names, _ = copula_factor(risk)
    dt = 1.0 / timing.periods_per_year
    col = {name: z[:, :, k] for k, name in enumerate(names)}
    ones, zeros = np.ones((n, T)), np.zeros((n, T))

    def scalar(name):
        d = getattr(risk, name) if risk is not None else None
        if d is None:
            return np.full(n, 0.0 if name == "construction_delay" else 1.0)
        return marginal(d, col[name][:, 0])

    demand = ones
    if risk is not None and risk.demand is not None:
        s = risk.demand.sd
        demand = np.exp(_ar1(col["demand"], s, risk.demand.autocorrelation, dt) - 0.5 * s * s)
    fx = ones
    if risk is not None and risk.fx is not None:
        v, mu = risk.fx.volatility, math.log1p(risk.fx.drift)
        fx = np.exp(np.cumsum((mu - 0.5 * v * v) * dt + v * math.sqrt(dt) * col["fx"], axis=1))
    rate = zeros
    if risk is not None and risk.base_rate is not None:
        v, k = risk.base_rate.volatility, risk.base_rate.mean_reversion
        decay = math.exp(-k * dt)
        scale = v * math.sqrt(dt) if k == 0 else v * math.sqrt((1.0 - math.exp(-2.0 * k * dt)) / (2.0 * k))
        rate = np.empty((n, T))
        prev = np.zeros(n)
        for t in range(T):
            prev = prev * decay + scale * col["base_rate"][:, t]
            rate[:, t] = prev
    infl = ones
    if risk is not None and risk.inflation is not None:
        dev = _ar1(col["inflation"], risk.inflation.sd, risk.inflation.autocorrelation, dt)
        infl = np.exp(np.cumsum(dt * np.log1p(np.maximum(dev, -0.99)), axis=1))
    event, loss = zeros, zeros
    if risk is not None and risk.political_event is not None:
        pe = risk.political_event
        p = political_probability(pe, timing)
        q = 1.0 - (1.0 - p) ** dt
        if q > 0:
            threshold = statistics.NormalDist().inv_cdf(q)
            hit = col["political_event"] < threshold
            first = np.where(hit.any(axis=1), np.argmax(hit, axis=1), T)  # first event period (T = none)
            length = pe.duration_months * timing.periods_per_year / 12.0
            t = np.arange(T)[np.newaxis, :]
            # share of each period inside [first, first + length): partial last period
            cover = np.clip(np.minimum(t + 1, first[:, None] + length) - np.maximum(t, first[:, None]), 0.0, 1.0)
            event = (cover > 0).astype(float)
            loss = pe.revenue_loss * cover
    return Draws(
        capex_overrun=scalar("capex_overrun"),
        construction_delay=scalar("construction_delay"),
        opex=scalar("opex"),
        demand=demand,
        fx=fx,
        base_rate=rate,
        inflation=infl,
        political_event=event,
        revenue_interruption=loss,
    )


def delay_availability(delay_months: np.ndarray, timing: Timing) -> np.ndarray:
    """Share of each period's revenue earned after a completion delay (n, T): 1 in construction."""
    d = np.asarray(delay_months, dtype=float).reshape(-1, 1) * timing.periods_per_year / 12.0
    op = np.arange(1, timing.periods + 1)[np.newaxis, :] - timing.construction_periods  # operating period no.
    return np.where(op >= 1, np.clip(op - d, 0.0, 1.0), 1.0)


def overrides(draws: Draws, timing: Timing, base_inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Model input overrides of the paths: the drivers applied on top of the scenario's own values.

    ``base_inputs`` holds the scenario's values of ``in_capex_factor`` and ``in_opex_factor`` (a case may
    have changed them) and tells which optional inputs the model has (``in_political_event``).
    """
    n = draws.capex_overrun.shape[0]
    demand = draws.demand * delay_availability(draws.construction_delay, timing) * (1.0 - draws.revenue_interruption)
    out = {
        "in_capex_factor": base_inputs["in_capex_factor"].reshape(1, 1) * draws.capex_overrun.reshape(n, 1),
        "in_opex_factor": base_inputs["in_opex_factor"].reshape(1, 1) * draws.opex.reshape(n, 1),
        "in_demand_factor": demand,
        "in_fx_factor": draws.fx,
        "in_inflation_factor": draws.inflation,
        "in_rate_shift_path": draws.base_rate,
    }
    if "in_political_event" in base_inputs:
        base_ev = base_inputs["in_political_event"].reshape(1, -1)
        out["in_political_event"] = np.maximum(base_ev, draws.political_event)
    return out


def neutral(timing: Timing, n: int) -> Draws:
    """Draws leaving every input as entered (used by sensitivities as the starting point)."""
    T = timing.periods
    return Draws(
        np.ones(n),
        np.zeros(n),
        np.ones(n),
        np.ones((n, T)),
        np.ones((n, T)),
        np.zeros((n, T)),
        np.ones((n, T)),
        np.zeros((n, T)),
        np.zeros((n, T)),
    )


__all__ = [
    "DRIVERS",
    "SCALAR_DRIVERS",
    "Draws",
    "Timing",
    "copula_factor",
    "delay_availability",
    "marginal",
    "norm_cdf",
    "overrides",
    "sample",
    "neutral",
]
