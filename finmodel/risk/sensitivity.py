"""One-at-a-time sensitivities (spider and tornado) and breakevens, every point a path of one model call.

Financing is sized on the base case and held fixed (lenders' view): a sensitivity moves one driver from the
case's value and re-evaluates the waterfall, not the sizing.

Drivers (:data:`DRIVERS`)
-------------------------
=========  ==============================================  ==========================================
name       change                                          model input
=========  ==============================================  ==========================================
revenue    every revenue x (1 + change)                    ``in_revenue_factor``
capex      construction cost x (1 + change)                ``in_capex_factor``
opex       opex and lifecycle costs x (1 + change)         ``in_opex_factor``
delay      first revenue ``change`` months late             ``in_service_factor`` (see drivers module)
rates      every base rate + change [per year]             ``in_rate_shift``
fx         value of the FX currency's lines x (1 + change)  ``in_fx_factor`` (every period; see finmodel.model.fx)
=========  ==============================================  ==========================================

Breakevens (:func:`breakevens`) are solved together by a vectorised multisection: each iteration places
``points`` trial values inside every problem's bracket, evaluates all of them as the paths of one call, and
keeps the sub-interval where the target is crossed; the bracket shrinks by ``points + 1`` per iteration.
The metric is assumed monotone in the driver over the bracket (the smallest crossing found is reported).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from finmodel.conventions import SENSITIVITY_METRICS
from finmodel.errors import InputError
from finmodel.risk import drivers as drv

METRICS = SENSITIVITY_METRICS  # the list lives in finmodel.conventions


@dataclasses.dataclass(frozen=True)
class Driver:
    name: str
    label: str
    unit: str  # how ``change`` is expressed: "fraction", "per year", "months"
    steps: tuple  # spider points (changes), base (0) excluded
    low: float  # tornado: the two changes compared
    high: float


DRIVERS = (
    Driver("revenue", "Revenue", "fraction", (-0.2, -0.1, 0.1, 0.2), -0.1, 0.1),
    Driver("capex", "Construction cost", "fraction", (-0.2, -0.1, 0.1, 0.2), -0.1, 0.1),
    Driver("opex", "Opex and lifecycle", "fraction", (-0.2, -0.1, 0.1, 0.2), -0.1, 0.1),
    Driver("delay", "Completion delay", "months", (3.0, 6.0, 12.0), 0.0, 6.0),
    Driver("rates", "Base rates", "per year", (-0.02, -0.01, 0.01, 0.02), -0.01, 0.01),
    Driver("fx", "FX (value of the local-currency lines)", "fraction", (-0.2, -0.1, 0.1, 0.2), -0.1, 0.1),
)
DRIVER_NAMES = tuple(d.name for d in DRIVERS)


class Context:
    """The model of a case with its solved financing, and how to turn driver changes into overrides."""

    def __init__(self, scenario, det):
        self.scenario = scenario
        self.det = det
        self.model = det.model
        self.timing = drv.Timing.of(scenario)
        self.base = {
            k: float(self.model.inputs[k].value.reshape(-1)[0])
            for k in ("in_revenue_factor", "in_capex_factor", "in_opex_factor", "in_rate_shift")
        }

    def overrides(self, changes: dict[str, np.ndarray]) -> tuple[dict, int]:
        """Overrides for paths where driver ``name`` takes ``changes[name][i]`` (0 = as in the case)."""
        n = max(len(np.atleast_1d(v)) for v in changes.values())
        T = self.timing.periods

        def col(name):
            return np.broadcast_to(np.asarray(changes.get(name, 0.0), dtype=float), (n,)).reshape(n, 1)

        ov = {
            "in_revenue_factor": self.base["in_revenue_factor"] * (1.0 + col("revenue")),
            "in_capex_factor": self.base["in_capex_factor"] * (1.0 + col("capex")),
            "in_opex_factor": self.base["in_opex_factor"] * (1.0 + col("opex")),
            "in_rate_shift": self.base["in_rate_shift"] + col("rates"),
            "in_service_factor": drv.delay_availability(col("delay")[:, 0], self.timing),
            "in_fx_factor": np.broadcast_to(1.0 + col("fx"), (n, T)),
        }
        return ov, n

    def evaluate(self, changes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Metrics (n,) of the paths given by ``changes``; one model call (padded to 2 paths if needed)."""
        ov, n = self.overrides(changes)
        pad = n == 1  # one path would use the scalar (Python float) evaluation mode
        if pad:
            ov = {k: np.concatenate([v, v]) for k, v in ov.items()}
        v = self.model.evaluate({**self.det.solved, **ov}, paths=2 if pad else n)
        out = {m: np.array(v[m][:n, 0], dtype=float) for m in METRICS if m in v}
        # the model's row (finmodel.model.default_loss): the DSRA drawn to the money tolerance, or debt service unpaid
        out["dsra_exhausted"] = np.array(v["dsra_exhausted"][:n, 0], dtype=float)
        return out


@dataclasses.dataclass
class SensitivityResult:
    """Spider points and tornado bars for each driver and metric; breakevens."""

    scenario: object
    case: str
    base: dict  # metric -> value at the case
    spider: list  # dicts: driver, change, unit, metric values
    tornado: list  # dicts: driver, low change, high change, metric at low / high
    breakevens: list
    det: object = None  # the case's engine.CaseResult (for the workbook)
    fund: list | None = None  # fund tranche IRRs by sensitivity point (finmodel.funds.sensitivity), if asked

    def to_json(self) -> dict:
        from finmodel.version import __version__

        metrics = {f"base_{k}": _num(v) for k, v in self.base.items()}
        for b in self.breakevens:
            metrics[f"breakeven_{b.name}"] = _num(b.value)
        return {
            "finmodel_version": __version__,
            "scenario": str(self.scenario.source),
            "scenario_sha256": self.scenario.sha256,
            "case": self.case,
            "generated": _now(),
            "financing": "as sized on the base case, held fixed",
            "metrics": metrics,
            "breakevens": [dataclasses.asdict(b) | {"value": _num(b.value)} for b in self.breakevens],
            "tornado": [{k: _num(v) if isinstance(v, float) else v for k, v in t.items()} for t in self.tornado],
            "spider": [{k: _num(v) if isinstance(v, float) else v for k, v in s.items()} for s in self.spider],
            "fund_tranches": self.fund,
            "checks": {"breakevens_found": all(b.value is not None for b in self.breakevens)},
        }


def _num(v):
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def sensitivities(ctx: Context, drivers=DRIVERS) -> tuple[dict, list, list]:
    """Spider and tornado points of every driver: all of them paths of ONE model call.

    Returns (base metrics, spider rows, tornado rows). Tornado rows are sorted by the swing of equity IRR.
    """
    points = [("base", 0.0)]
    for d in drivers:
        for s in sorted(set(d.steps) | {d.low, d.high}):
            if s != 0.0:
                points.append((d.name, s))
    changes = {d.name: np.array([s if name == d.name else 0.0 for name, s in points]) for d in drivers}
    res = ctx.evaluate(changes)
    base = {m: float(res[m][0]) for m in METRICS if m in res}
    value = {(name, s): {m: float(res[m][i]) for m in METRICS if m in res} for i, (name, s) in enumerate(points)}
    spider, tornado = [], []
    for d in drivers:
        for s in sorted(set(d.steps) | {0.0}):
            row = value[("base", 0.0)] if s == 0.0 else value[(d.name, s)]
            spider.append({"driver": d.name, "change": s, "unit": d.unit, **row})
        lo = value[("base", 0.0)] if d.low == 0.0 else value[(d.name, d.low)]
        hi = value[("base", 0.0)] if d.high == 0.0 else value[(d.name, d.high)]
        t = {"driver": d.name, "label": d.label, "unit": d.unit, "low": d.low, "high": d.high}
        for m in ("equity_irr", "min_dscr"):
            t[f"{m}_low"], t[f"{m}_high"] = lo[m], hi[m]
        tornado.append(t)
    tornado.sort(key=lambda t: -abs(_nz(t["equity_irr_high"]) - _nz(t["equity_irr_low"])))
    return base, spider, tornado


def _nz(x):
    return 0.0 if x is None or not math.isfinite(x) else x


@dataclasses.dataclass
class Breakeven:
    name: str
    label: str
    driver: str
    unit: str
    metric: str
    target: float
    value: float | None  # the driver change at which the target is reached; None if not reached
    note: str


@dataclasses.dataclass(frozen=True)
class _Problem:
    name: str
    label: str
    driver: str
    unit: str
    metric: str
    target: float
    lo: float
    hi: float
    sign: float  # breakeven variable x maps to change = sign * x

    def breached(self, res: dict, idx) -> np.ndarray:
        if self.metric == "dsra_exhausted":
            return res["dsra_exhausted"][idx] > 0
        v = res[self.metric][idx]
        return ~(np.nan_to_num(v, nan=-np.inf) > self.target)


def breakeven_problems(ctx: Context) -> list[_Problem]:
    hurdle = float(ctx.scenario.equity_discount_rate)
    return [
        _Problem(
            "revenue_fall",
            "Revenue fall to a minimum DSCR of 1.00x",
            "revenue",
            "fraction",
            "min_dscr",
            1.0,
            0.0,
            1.0,
            -1.0,
        ),
        _Problem(
            "capex_overrun",
            f"Capex overrun to an equity IRR at the hurdle ({hurdle:.1%})",
            "capex",
            "fraction",
            "equity_irr",
            hurdle,
            0.0,
            3.0,
            1.0,
        ),
        _Problem(
            "delay_months",
            "Completion delay that exhausts the DSRA (drawn to zero)",
            "delay",
            "months",
            "dsra_exhausted",
            0.0,
            0.0,
            120.0,
            1.0,
        ),
    ]


def breakevens(ctx: Context, *, points: int = 15, tol: float = 1e-6, max_iter: int = 12) -> list[Breakeven]:
    """Every breakeven at once by vectorised multisection (one model call per iteration for all problems).

    The result is the driver change (revenue *fall* as a positive fraction, capex overrun as a fraction,
    delay in months) within ``tol`` times the bracket width of the crossing.
    """
    probs = breakeven_problems(ctx)
    J = len(probs)

    def run(xs: np.ndarray) -> dict:  # xs: (J, k) trial values per problem -> results flattened row-major
        k = xs.shape[1]
        changes = {d: np.zeros(J * k) for d in DRIVER_NAMES}
        for j, p in enumerate(probs):
            changes[p.driver][j * k : (j + 1) * k] = p.sign * xs[j]
        return ctx.evaluate(changes)

    lo = np.array([p.lo for p in probs])
    hi = np.array([p.hi for p in probs])
    ends = run(np.stack([lo, hi], axis=1))
    status = []
    for j, p in enumerate(probs):
        b_lo, b_hi = bool(p.breached(ends, [2 * j])[0]), bool(p.breached(ends, [2 * j + 1])[0])
        status.append("at_base" if b_lo else ("bracketed" if b_hi else "not_reached"))
    active = np.array([s == "bracketed" for s in status])
    for _ in range(max_iter):
        if not active.any() or np.all((hi - lo)[active] <= tol * np.array([p.hi - p.lo for p in probs])[active]):
            break
        frac = np.arange(1, points + 1) / (points + 1)
        xs = lo[:, None] + (hi - lo)[:, None] * frac[None, :]
        res = run(xs)
        for j, p in enumerate(probs):
            if not active[j]:
                continue
            br = p.breached(res, np.arange(j * points, (j + 1) * points))
            first = int(np.argmax(br)) if br.any() else points
            new_lo = lo[j] if first == 0 else xs[j, first - 1]
            new_hi = hi[j] if first == points else xs[j, first]
            lo[j], hi[j] = new_lo, new_hi
    out = []
    for j, p in enumerate(probs):
        if status[j] == "at_base":
            value, note = 0.0, f"already breached in the case as given ({p.metric} vs {p.target:g})"
        elif status[j] == "not_reached":
            value, note = None, f"not reached up to {p.hi:g} {p.unit}"
        else:
            value, note = 0.5 * (lo[j] + hi[j]), f"within {hi[j] - lo[j]:.2g} {p.unit}"
        out.append(Breakeven(p.name, p.label, p.driver, p.unit, p.metric, p.target, value, note))
    return out


def run(scenario_path=None, case: str = "base", *, only=None, fund=None) -> SensitivityResult:
    """Sensitivities and breakevens of a case (financing sized on the base case).

    ``fund``: optional ``callable(drivers) -> rows``, each fund tranche's IRR by sensitivity point
    (:func:`finmodel.funds.sensitivity.tranche_sensitivities` for a portfolio file; ``finmodel sensitivity
    --portfolio``). The caller supplies it: the fund package builds on this one, not the other way round.
    """
    from finmodel.model.fx import simulated_currency
    from finmodel.risk.simulation import prepare

    drivers = DRIVERS
    if only:
        unknown = [d for d in only if d not in DRIVER_NAMES]
        if unknown:
            raise InputError([("--driver", f"expected one of {', '.join(DRIVER_NAMES)}, found {', '.join(unknown)}")])
        drivers = tuple(d for d in DRIVERS if d.name in only)
    sc, det = prepare(scenario_path, case)
    if simulated_currency(sc) is None:  # every line in the model currency: the FX driver has nothing to move
        if only and "fx" in only:
            raise InputError(
                [("--driver", "expected a scenario with lines in another currency (an fx block) for fx, found none")]
            )
        drivers = tuple(d for d in drivers if d.name != "fx")
    ctx = Context(sc, det)
    base, spider, tornado = sensitivities(ctx, drivers)
    rows = fund(drivers) if fund is not None else None
    return SensitivityResult(sc, case, base, spider, tornado, breakevens(ctx), det, rows)


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
