"""From standard normal draws to model inputs: marginals, the Gaussian copula and the path processes.

Draws and the Gaussian copula (stated once)
-------------------------------------------
Each path draws independent standard normals (:mod:`finmodel.risk.rng`): ``e0[k]`` for every declared driver
``k`` (the first period), ``e[t, j]`` for every period ``t >= 2`` and every declared *process* ``j`` (demand,
FX, base rate, inflation), and one more, ``e_r``, for the resolution of a political event. The copula
correlates them: ``z0 = L e0`` with ``L L' = C`` (``C`` the scenario's correlation matrix over the declared
drivers, identity where none is given) and ``z[t] = L_p e[t]`` with ``L_p L_p' = C_p``, the sub-matrix of
``C`` among the processes. A per-path driver (capex overrun, delay, opex, political event) uses ``z0[k]``
through its marginal (``x = F^-1(Phi(z))``; normal and lognormal directly from ``z``); a process uses
``z0[j]`` as its first innovation and ``z[t, j]`` after. So a correlation ``rho`` between two per-path
drivers is the correlation of their normal scores; between a per-path driver and a process it is the
correlation with the process's first innovation (for demand and inflation: the stationary starting level,
which persists with the autocorrelation); between two processes, of same-period innovations.

Processes (``dt = 1 / periods_per_year`` years; ``a`` = annual autocorrelation, ``phi = a ** dt``)
----------------------------------------------------------------------------------------------------
* demand: ``x_1 = s z_1``, ``x_t = phi x_{t-1} + s sqrt(1 - phi^2) z_t`` (stationary, sd ``s``);
  factor ``exp(x_t - s^2 / 2)`` (mean 1) on user-fee revenues (``in_demand_factor``; an availability
  payment does not move with usage).
* FX: ``f_t = exp(sum_{u<=t} v sqrt(dt) z_u)``, a driftless log random walk from 1 at financial close: the value
  of one currency (``risk.fx.currency``, default the first of the ``fx`` block) against the scenario's fx path
  (``in_fx_factor``, :mod:`finmodel.model.fx`), whose median path it is. It moves only the lines stated in that
  currency (revenues and costs alike); a depreciation expected is the fx path's, seen by the deterministic case.
* base rate: Ornstein-Uhlenbeck shift from 0: ``r_t = r_{t-1} e^{-k dt} + v sqrt((1 - e^{-2 k dt}) / 2k) z_t``
  (``v sqrt(dt) z_t`` when ``k = 0``), added to every floating rate (``in_rate_shift_path``).
* inflation: deviation ``d_t`` of annual inflation, AR(1) as demand (not logged); price factor
  ``prod_{u<=t} (1 + d_u)^dt`` on revenues, opex and lifecycle costs (indexation follows prices).
* political event: the one draw of :func:`finmodel.risk.political.draw` (a Gaussian copula on the time to the
  first event, from ``z0`` of the driver; resolved or not from ``e_r``): a share of revenue lost while it lasts,
  to the end of the model when not resolved (creeping expropriation, a tariff never restored), and
  ``in_political_event`` (the guarantees' covered event) set from then on.
* construction delay ``d`` months = ``d * periods_per_year / 12`` periods: operating period ``j`` (1, 2, ...)
  earns ``min(1, max(0, j - d))`` of its revenue (the timetable, opex and debt service do not move:
  lenders' view of a late completion; extra construction cost is the capex driver). Delay and political
  interruption together form ``in_service_factor`` on every revenue.

Every neutral draw (sd 0, ``low = high``) gives exactly 1 (factors) or 0 (shifts), and a driver *held*
(:func:`sample` ``hold``) takes that neutral value whatever its draws, the other drivers keeping theirs: the
simulation with every driver held reproduces the deterministic case path for path.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from finmodel.risk import political
from finmodel.schema.risk import DRIVERS, NORMAL_CLIP_SD, SCALAR_DRIVERS, Distribution

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
        from finmodel.inputs.countries import get_country

        tl = scenario.timeline
        country = get_country(scenario.project.country, scenario.project.country_overrides)
        return cls(
            periods=int(round((tl.construction_years + tl.operation_years) * tl.periods_per_year)),
            periods_per_year=int(tl.periods_per_year),
            construction_periods=int(round(tl.construction_years * tl.periods_per_year)),
            oecd_category=None if country is None else country.oecd_risk_category,
        )


PROCESSES = ("demand", "fx", "base_rate", "inflation")
"""Drivers with an innovation every period (the others take one normal score per path)."""


def _factor(c: np.ndarray) -> np.ndarray:
    """``L`` with ``L L' = c``: Cholesky when positive definite, else (semi-definite, validated by the schema)
    the symmetric square root from the eigen-decomposition with eigenvalues clipped at 0."""
    try:
        return np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(c)
        return v @ np.diag(np.sqrt(np.clip(w, 0.0, None))) @ v.T


def correlation_matrix(risk) -> tuple[list[str], np.ndarray]:
    """Declared drivers (canonical order) and their correlation matrix ``C`` (identity where none given)."""
    names = risk.declared() if risk is not None else []
    c = np.eye(len(names))
    if risk is not None and risk.correlation is not None:
        idx = [names.index(d) for d in risk.correlation.drivers]
        m = np.array(risk.correlation.matrix, dtype=float)
        for a, i in enumerate(idx):
            for b, j in enumerate(idx):
                c[i, j] = m[a, b]
    return names, c


def copula_factor(risk) -> tuple[list[str], np.ndarray]:
    """Declared drivers (canonical order) and ``L`` with ``L L' = C`` over them (first-period scores)."""
    names, c = correlation_matrix(risk)
    return names, _factor(c)


def process_factor(risk) -> tuple[list[str], np.ndarray]:
    """Declared processes and ``L_p`` with ``L_p L_p' = C_p`` (their innovations after the first period)."""
    names, c = correlation_matrix(risk)
    idx = [i for i, n in enumerate(names) if n in PROCESSES]
    return [names[i] for i in idx], _factor(c[np.ix_(idx, idx)])


def draw_dims(risk, timing: Timing) -> int:
    """Standard normals per path: one per declared driver, one per process and later period, one for the
    resolution of a political event."""
    names, _ = correlation_matrix(risk)
    k_p = sum(1 for n in names if n in PROCESSES)
    return len(names) + (timing.periods - 1) * k_p + 1


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
    political_event: np.ndarray  # (n, T) 1 = permanent political loss (the covered event) in force
    revenue_interruption: np.ndarray  # (n, T) share of revenue lost to a political event [fraction]
    political_start: np.ndarray  # (n,) period index (0-based) in which the first event starts; T = none
    political_permanent: np.ndarray  # (n,) 1 = the event was not resolved
    operating_from: int = 0  # first operating period index (for the summaries)

    def summary(self) -> dict[str, np.ndarray]:
        """Per-path driver values for the path results file (one number per driver)."""
        T = self.demand.shape[1]
        op = slice(min(self.operating_from, T - 1), T)
        return {
            "capex_overrun": self.capex_overrun,
            "construction_delay_months": self.construction_delay,
            "opex_factor": self.opex,
            "demand_mean": row_sum(self.demand[:, op]) / max(T - op.start, 1),
            "fx_final": self.fx[:, -1],
            "base_rate_shift_mean": row_sum(self.base_rate) / T,
            "inflation_final": self.inflation[:, -1],
            "political_event": (self.political_start < T).astype(float),
            "political_permanent": self.political_permanent.astype(float),
            "political_start_period": self.political_start.astype(float),
        }


def row_sum(a: np.ndarray) -> np.ndarray:
    """Sum over the columns of ``a`` (n, T), column by column in a fixed order: the same bits for a path
    whatever ``n`` and the array's layout (numpy's pairwise reduction may group differently)."""
    a = np.asarray(a, dtype=float)
    acc = np.zeros(a.shape[0])
    for t in range(a.shape[1]):
        acc = acc + a[:, t]
    return acc


def _ar1(z0: np.ndarray, zt: np.ndarray, sd: float, autocorrelation: float, dt: float) -> np.ndarray:
    """Stationary AR(1) (n, T): first value ``sd z0``, innovations ``zt`` (n, T - 1); annual autocorrelation.

    Computed period by period on contiguous rows of a (T, n) array and returned as its (n, T) transpose (a
    view): the model reads the paths period-major (:mod:`finmodel.rows.code`), so no copy is made on the way."""
    phi = autocorrelation**dt
    n, T = z0.shape[0], zt.shape[1] + 1
    x = np.empty((T, n))
    x[0] = sd * z0
    scale = sd * math.sqrt(1.0 - phi * phi)
    zt = zt.T
    for t in range(1, T):
        x[t] = phi * x[t - 1] + scale * zt[t - 1]
    return x.T


def sample(risk, timing: Timing, z0: np.ndarray, zt: np.ndarray, z_res: np.ndarray, hold=()) -> Draws:
    """Driver values from correlated normal scores.

    ``z0`` (n, K): first-period scores over the declared drivers (canonical order, :func:`copula_factor`);
    ``zt`` (n, T - 1, K_p): later innovations of the declared processes (:func:`process_factor`); ``z_res``
    (n,): the resolution draw of a political event. Drivers named in ``hold`` take their neutral value.
    """
    n, T = z0.shape[0], timing.periods
    names, _ = copula_factor(risk)
    procs, _ = process_factor(risk)
    dt = 1.0 / timing.periods_per_year
    first = {name: z0[:, k] for k, name in enumerate(names)}
    later = {name: zt[:, :, k] for k, name in enumerate(procs)}
    ones, zeros = np.ones((n, T)), np.zeros((n, T))

    def given(name):
        return risk is not None and getattr(risk, name) is not None and name not in hold

    def scalar(name):
        if not given(name):
            return np.full(n, 0.0 if name == "construction_delay" else 1.0)
        return marginal(getattr(risk, name), first[name])

    demand = ones
    if given("demand"):
        s = risk.demand.sd
        demand = np.exp(_ar1(first["demand"], later["demand"], s, risk.demand.autocorrelation, dt) - 0.5 * s * s)
    fx = ones
    if given("fx"):
        # driftless in logs: the median path is the scenario's fx path (finmodel.model.fx), volatility 0 gives 1
        v = risk.fx.volatility
        innov = np.concatenate([first["fx"][np.newaxis, :], later["fx"].T], axis=0)  # (T, n), as in _ar1
        fx = np.exp(np.cumsum(v * math.sqrt(dt) * innov, axis=0)).T
    rate = zeros
    if given("base_rate"):
        v, k = risk.base_rate.volatility, risk.base_rate.mean_reversion
        decay = math.exp(-k * dt)
        scale = v * math.sqrt(dt) if k == 0 else v * math.sqrt((1.0 - math.exp(-2.0 * k * dt)) / (2.0 * k))
        rate_t, shocks = np.empty((T, n)), later["base_rate"].T  # period-major, as in _ar1
        prev = np.zeros(n)
        for t in range(T):
            prev = prev * decay + scale * (first["base_rate"] if t == 0 else shocks[t - 1])
            rate_t[t] = prev
        rate = rate_t.T
    infl = ones
    if given("inflation"):
        inf = risk.inflation
        dev = _ar1(first["inflation"], later["inflation"], inf.sd, inf.autocorrelation, dt)
        infl = np.exp(np.cumsum(dt * np.log1p(np.maximum(dev, -0.99)), axis=1))
    event, loss = zeros, zeros
    start, permanent = np.full(n, T), np.zeros(n, dtype=bool)
    if given("political_event"):
        event, loss, start, permanent = political.draw(
            risk.political_event,
            periods=T,
            periods_per_year=timing.periods_per_year,
            z=first["political_event"],
            z_res=z_res,
            oecd_category=timing.oecd_category,
        )
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
        political_start=start,
        political_permanent=permanent,
        operating_from=timing.construction_periods,
    )


def delay_availability(delay_months: np.ndarray, timing: Timing) -> np.ndarray:
    """Share of each period's revenue earned after a completion delay (n, T): 1 in construction."""
    d = np.asarray(delay_months, dtype=float).reshape(-1, 1) * timing.periods_per_year / 12.0
    op = np.arange(1, timing.periods + 1)[np.newaxis, :] - timing.construction_periods  # operating period no.
    return np.where(op >= 1, np.clip(op - d, 0.0, 1.0), 1.0)


def overrides(draws: Draws, timing: Timing, base_inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Model input overrides of the paths: the drivers applied on top of the scenario's own values.

    ``base_inputs`` holds the scenario's values of ``in_capex_factor`` and ``in_opex_factor`` (a case may
    have changed them) and tells which optional inputs the model has (``in_political_event``,
    ``in_political_termination``).
    """
    n = draws.capex_overrun.shape[0]
    service = delay_availability(draws.construction_delay, timing) * (1.0 - draws.revenue_interruption)
    out = {
        "in_capex_factor": base_inputs["in_capex_factor"].reshape(1, 1) * draws.capex_overrun.reshape(n, 1),
        "in_opex_factor": base_inputs["in_opex_factor"].reshape(1, 1) * draws.opex.reshape(n, 1),
        "in_demand_factor": draws.demand,
        "in_service_factor": service,
        "in_fx_factor": draws.fx,
        "in_inflation_factor": draws.inflation,
        "in_rate_shift_path": draws.base_rate,
    }
    if "in_political_event" in base_inputs:
        base_ev = base_inputs["in_political_event"].reshape(1, -1)
        out["in_political_event"] = np.maximum(base_ev, draws.political_event)
    if "in_political_termination" in base_inputs:  # a permanent political event terminates the concession
        out["in_political_termination"] = draws.political_event
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
        np.full(n, T),
        np.zeros(n, dtype=bool),
        timing.construction_periods,
    )


__all__ = [
    "DRIVERS",
    "PROCESSES",
    "SCALAR_DRIVERS",
    "Draws",
    "Timing",
    "copula_factor",
    "correlation_matrix",
    "delay_availability",
    "draw_dims",
    "marginal",
    "norm_cdf",
    "overrides",
    "process_factor",
    "sample",
    "neutral",
]
