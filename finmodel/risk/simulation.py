"""Monte Carlo simulation in chunks of paths: serially, in local processes, or on a Dask cluster.

The financing is solved once on the base case and held fixed (lenders' view). A chunk of paths
``[start, stop)`` is one call of :func:`run_chunk`: regenerate the chunk's random numbers
(:mod:`finmodel.risk.rng`, keyed by path index), correlate them (:mod:`finmodel.risk.drivers`), evaluate the
model once for all the chunk's paths, and reduce each path to a few numbers (:data:`PATH_METRICS`). The
chunk's rows (~300 arrays of (paths, periods)) are dropped before the next chunk, so the working memory is
bounded by the chunk size whatever the number of paths; what is kept is ~18 float64 per path (for exact
percentiles and the per-path file: ~150 MB per million paths).

Because the draws of a path depend only on (seed, path index) and every model operation is element-wise
over paths, the results are identical whatever the chunk size and the number of workers.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Callable

import numpy as np

from finmodel.errors import InputError
from finmodel.risk import drivers as drv
from finmodel.risk import rng

DEFAULT_CHUNK_SIZE = 4096
"""Paths per chunk: ~0.4 GB of working memory for the default scenario (about 80 kB per path)."""

PATH_METRICS = (
    "equity_irr",
    "project_irr",
    "equity_npv",
    "min_dscr",
    "avg_dscr",
    "min_llcr",
    "default_periods",
    "lockup_periods",
)
"""Model metrics kept for every path (when the model has them)."""

OPTIONAL_METRICS = ("guarantee_claims", "guarantee_net_cost", "lender_loss_after_cover")
"""Metrics of optional modules kept when the model has them (finmodel.guarantees)."""

MAX_CACHED_MODELS = 2

REDUCERS: list[str] = []
"""Hook for other modules' per-path results: ``"package.module:function"`` names (strings, so that Dask
workers can import them). Each function is called as ``function(values, spec)`` with the chunk's evaluated rows
(name -> (paths, periods) arrays, e.g. ``equity_cf`` or ``sponsor2_cf`` for the fund's stake) and returns
name -> (paths,) arrays that join the path results. Columns named ``<tranche>_loss`` [currency] are summarised
as ``p_<tranche>_loss`` (share of paths with a loss above a cent) and ``<tranche>_expected_loss``: the place for
:mod:`finmodel.fund` to report each tranche's loss probability and expected loss from the simulated project
cash flows (``ProjectFlows.fund_series(periods, equity_cf=...)`` maps (paths, periods) flows on fund periods).
"""


@dataclasses.dataclass
class SimSpec:
    """Everything a worker needs to evaluate chunks (picklable; sent once to each Dask worker)."""

    scenario: object  # finmodel.scenario.Scenario, the case applied
    case: str
    sizing_case: bool
    solved: dict
    seed: int
    timing: drv.Timing
    drivers: list
    factor: np.ndarray
    base_inputs: dict
    metrics: tuple
    senior: list
    reducers: tuple = ()
    keep_rows: tuple = ()  # rows returned whole, (paths, periods), e.g. ("equity_cf",) for the fund (default none)
    token: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)


_MODELS: dict[str, object] = {}


def _model(spec: SimSpec):
    """The model of ``spec`` built once per process (workers keep it between chunks)."""
    m = _MODELS.get(spec.token)
    if m is None:
        from finmodel import engine

        m = engine.build(spec.scenario, sizing_case=spec.sizing_case).model
        while len(_MODELS) >= MAX_CACHED_MODELS:
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[spec.token] = m
    return m


def draws_for(spec: SimSpec, start: int, stop: int) -> drv.Draws:
    """The driver values of paths ``start .. stop - 1``."""
    T, K = spec.timing.periods, len(spec.drivers)
    n = stop - start
    if K == 0:
        return drv.neutral(spec.timing, n)
    e = rng.standard_normals(spec.seed, start, stop, T * K).reshape(n, T, K)
    z = correlate(e, spec.factor)  # Gaussian copula: correlate the drivers within each period
    return drv.sample(spec.scenario.risk, spec.timing, z)


def correlate(e: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``z[..., j] = sum_k factor[j, k] e[..., k]`` summed in a fixed order with element-wise operations.

    Not ``e @ factor.T``: a BLAS matrix product may sum in an order that depends on the array's size and on
    the number of BLAS threads (Dask workers run single-threaded BLAS), which would change the last bits of
    a path's draws with the chunk size or the worker.
    """
    ek = np.ascontiguousarray(np.moveaxis(e, -1, 0))  # (K, ...): each driver's draws contiguous
    z = np.empty_like(ek)
    for j in range(factor.shape[0]):
        acc = ek[0] * factor[j, 0]
        for k in range(1, factor.shape[1]):
            if factor[j, k] != 0.0:  # a Cholesky factor is lower-triangular; adding e * 0.0 changes nothing
                acc = acc + ek[k] * factor[j, k]
        z[j] = acc
    return np.moveaxis(z, 0, -1)


def senior_loss(values, senior: list[str]) -> np.ndarray:
    """Senior debt never repaid: the closing balances of senior facilities in the last period [currency].

    Undiscounted, no recovery beyond the model horizon (no cover); unpaid interest is capitalised into the
    balance, so it counts too. ``senior``: the facility prefixes (``d1`` ...) of the senior facilities.
    """
    total = np.zeros(values["period"].shape[0])
    for p in senior:
        total = total + values[f"{p}_closing"][:, -1]
    return total


def evaluate_paths(spec: SimSpec, overrides: dict, n: int) -> dict[str, np.ndarray]:
    """Evaluate ``n`` paths of overrides in one call; per-path metrics (n,)."""
    m = _model(spec)
    pad = n == 1  # one path would evaluate in the scalar (Python float) mode: keep the numpy one
    if pad:
        overrides = {
            k: np.concatenate([v, v]) if np.ndim(v) and np.shape(v)[0] == 1 else v for k, v in overrides.items()
        }
    # only the rows the path results need (no checks, no reporting rows), unless a reducer reads any row
    targets = None
    if not spec.reducers:
        targets = [*spec.metrics, "period", *(f"{p}_closing" for p in spec.senior), *spec.keep_rows]
    v = m.evaluate({**spec.solved, **overrides}, paths=2 if pad else n, targets=targets)
    out = {name: np.array(v[name][:n, 0], dtype=float) for name in spec.metrics if name in v}
    for name in spec.keep_rows:  # whole rows, only when asked (finmodel.fund.montecarlo): (n, periods)
        out[name] = np.array(v[name][:n], dtype=float, copy=True)
    out["senior_loss"] = np.array(senior_loss(v, spec.senior)[:n], dtype=float)
    for ref in spec.reducers:
        for k, a in _import(ref)(v, spec).items():
            out[k] = np.array(np.asarray(a, dtype=float)[:n], dtype=float)
    return out


def _import(ref: str):
    import importlib

    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def run_chunk(spec: SimSpec, start: int, stop: int) -> dict[str, np.ndarray]:
    """Per-path results of paths ``start .. stop - 1``: model metrics and the drivers' values."""
    draws = draws_for(spec, start, stop)
    ov = drv.overrides(draws, spec.timing, spec.base_inputs)
    out = evaluate_paths(spec, ov, stop - start)
    # copies: a column that is a view (fx[:, -1]) would keep the whole (paths, periods) array alive
    out.update({k: np.array(v, dtype=float, copy=True) for k, v in draws.summary().items()})
    return out


def chunks(paths: int, chunk_size: int) -> list[tuple[int, int]]:
    return [(a, min(a + chunk_size, paths)) for a in range(0, paths, chunk_size)]


def make_spec(scenario, case: str, det, seed: int, keep_rows: tuple = ()) -> SimSpec:
    """The spec of a simulation around the deterministic result ``det`` (engine.CaseResult).

    ``keep_rows``: model rows that :func:`run_chunk` returns whole, ``(paths, periods)`` (not for
    :func:`run_chunks`, whose collector keeps one number per path).
    """
    names, factor = drv.copula_factor(scenario.risk)
    m = det.model
    base_inputs = {k: np.asarray(m.inputs[k].value, dtype=float) for k in ("in_capex_factor", "in_opex_factor")}
    if "in_political_event" in m.inputs:
        base_inputs["in_political_event"] = np.asarray(m.inputs["in_political_event"].value, dtype=float)
    metrics = tuple(n for n in PATH_METRICS + OPTIONAL_METRICS if n in m.rows)
    spec = SimSpec(
        scenario=scenario,
        case=case,
        sizing_case=det.builder.sizing_case,
        solved=det.solved,
        seed=int(seed),
        timing=drv.Timing.of(scenario),
        drivers=names,
        factor=factor,
        base_inputs=base_inputs,
        metrics=metrics,
        senior=[f.p for f in det.builder.facilities if f.senior],
        reducers=tuple(REDUCERS),
        keep_rows=tuple(keep_rows),
    )
    _MODELS[spec.token] = m  # this process already has the model (workers build their own)
    return spec


def run_chunks(
    spec: SimSpec,
    paths: int,
    chunk_size: int,
    *,
    client=None,
    on_chunk: Callable[[int, int, dict], None] | None = None,
    window: int | None = None,
) -> dict[str, np.ndarray]:
    """Run every chunk and return the per-path results in path order.

    ``client``: None (this process, one chunk after another), a :class:`concurrent.futures.Executor` or a
    ``dask.distributed.Client`` (anything with ``submit(fn, *args) -> future`` and ``future.result()``). At most
    ``window`` chunks are in flight (default: twice the workers), so memory stays bounded on the client
    too. ``on_chunk(start, stop, results)`` is called in path order as chunks complete (progress, files).
    """
    parts = _Collector(paths)
    todo = chunks(paths, chunk_size)
    if client is None:
        for a, b in todo:
            res = run_chunk(spec, a, b)
            parts.put(a, b, res)
            if on_chunk:
                on_chunk(a, b, res)
        return parts.data
    spec_ref = spec
    if hasattr(client, "scatter"):  # dask: ship the spec to every worker once
        spec_ref = client.scatter(spec, broadcast=True)
        if window is None:
            window = 2 * max(1, len(client.scheduler_info().get("workers", {})))
    window = window or 4
    pending: dict[int, object] = {}
    done: dict[int, dict] = {}
    nxt_submit = nxt_emit = 0
    while nxt_emit < len(todo):
        while nxt_submit < len(todo) and len(pending) + len(done) < window:
            a, b = todo[nxt_submit]
            pending[nxt_submit] = client.submit(run_chunk, spec_ref, a, b)
            nxt_submit += 1
        fut = pending.pop(nxt_emit)
        done[nxt_emit] = fut.result()
        while nxt_emit in done:
            res = done.pop(nxt_emit)
            a, b = todo[nxt_emit]
            parts.put(a, b, res)
            if on_chunk:
                on_chunk(a, b, res)
            nxt_emit += 1
    return parts.data


class _Collector:
    """Per-path results written into arrays of the final length as chunks arrive (no second copy)."""

    def __init__(self, paths: int):
        self.paths = paths
        self.data: dict[str, np.ndarray] = {}

    def put(self, a: int, b: int, res: dict) -> None:
        for k, v in res.items():
            if k not in self.data:
                self.data[k] = np.full(self.paths, np.nan)
            self.data[k][a:b] = v


# --- results ----------------------------------------------------------------------------------------------


def _irr_for_percentiles(x: np.ndarray) -> np.ndarray:
    """Equity IRR with NaN (sponsors never get their money back: no root) counted as -100 %."""
    return np.where(np.isnan(x), -1.0, x)


@dataclasses.dataclass
class SimulationResult:
    """A Monte Carlo run: per-path results (arrays of shape (paths,)) and what produced them.

    Columns of ``paths_data``: the model metrics of :data:`PATH_METRICS` (and :data:`OPTIONAL_METRICS` when the
    model has them), ``senior_loss`` [currency], and the drivers: ``capex_overrun`` [ratio],
    ``construction_delay_months`` [months], ``opex_factor`` [ratio], ``demand_mean`` [ratio, mean over
    periods], ``fx_final`` [ratio], ``base_rate_shift_mean`` [per year], ``inflation_final`` [ratio],
    ``political_event`` [1 = an event].
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

    def summary(self) -> dict[str, float | None]:
        """The simulation metrics (JSON ``metrics``).

        Probabilities are shares of paths; ``*_se`` their binomial standard errors ``sqrt(p (1 - p) / N)``.
        Percentiles: numpy's linear interpolation between order statistics. Equity IRR percentiles count a
        path whose sponsors never recover their outlay (no IRR) as -100 %.
        """
        d, n = self.paths_data, self.paths
        out: dict[str, float | None] = {}

        def prob(name, flags):
            p = float(np.mean(flags))
            out[name] = p
            out[name + "_se"] = math.sqrt(p * (1.0 - p) / n)

        prob("p_default", d["default_periods"] > 0)
        dscr = d["min_dscr"]
        prob("p_min_dscr_below_1", np.nan_to_num(dscr, nan=np.inf) < 1.0)
        prob("p_min_dscr_below_lockup", np.nan_to_num(dscr, nan=np.inf) < self.lockup_dscr)
        irr = _irr_for_percentiles(d["equity_irr"])
        for q in (1, 5, 10, 50, 90, 95, 99):
            out[f"equity_irr_p{q}"] = float(np.percentile(irr, q))
        out["equity_irr_mean"] = float(np.mean(irr))
        prob("p_equity_irr_below_hurdle", irr < self.hurdle)
        finite = dscr[np.isfinite(dscr)]
        for q in (1, 10, 50, 90):
            out[f"min_dscr_p{q}"] = float(np.percentile(finite, q)) if finite.size else None
        loss = d["senior_loss"]
        out["senior_expected_loss"] = float(np.mean(loss))
        out["senior_expected_loss_ratio"] = float(np.mean(loss)) / self.senior_debt if self.senior_debt else None
        out["senior_loss_p99"] = float(np.percentile(loss, 99))
        prob("p_senior_loss", loss > 0.01)  # a cent: the model's money tolerance
        if "lender_loss_after_cover" in d:
            out["lender_expected_loss_after_cover"] = float(np.mean(d["lender_loss_after_cover"]))
        if "guarantee_claims" in d:
            c = d["guarantee_claims"]
            out["guarantee_claims_expected"] = float(np.mean(c))
            out["guarantee_claims_p99"] = float(np.percentile(c, 99))
            prob("p_guarantee_claim", c > 0.01)
        for k in d:
            if k.endswith("_loss") and k not in ("senior_loss", "lender_loss_after_cover"):
                stem = k[: -len("_loss")]
                prob(f"p_{stem}_loss", d[k] > 0.01)
                out[f"{stem}_expected_loss"] = float(np.mean(d[k]))
        out["paths"] = float(n)
        return out

    def to_json(self) -> dict:
        """The output contract (README, JSON outputs) plus the run's seed and number of paths."""
        from finmodel.version import __version__

        metrics = self.summary()
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


# --- the entry point ----------------------------------------------------------------------------------------


def prepare(scenario_path=None, case: str = "base"):
    """Load the scenario, solve the financing on the base case and evaluate ``case`` deterministically.

    ``scenario_path``: a scenario file, None (the embedded default) or an already loaded base
    :class:`~finmodel.scenario.Scenario` (not read again). Returns ``(scenario of the case, deterministic
    CaseResult)``.
    """
    from finmodel import engine
    from finmodel.scenario import Scenario, case_scenario, load_scenario

    base_sc = scenario_path if isinstance(scenario_path, Scenario) else load_scenario(scenario_path)
    sc = case_scenario(base_sc, case)  # raises the InputError listing the cases before any work
    base = engine.evaluate_case(base_sc, "base", None, resize=True)
    if case == "base":
        return base_sc, base
    return sc, engine.evaluate_case(sc, case, base.solved, resize=bool(base_sc.cases[case].resize_debt))


def check_options(paths: int, seed: int, chunk_size: int) -> None:
    problems = []
    if not isinstance(paths, int) or paths < 1:
        problems.append(("--paths", f"expected a whole number of paths >= 1, found {paths!r}"))
    if not isinstance(seed, int) or seed < 0:
        problems.append(("--seed", f"expected a whole number >= 0, found {seed!r}"))
    if not isinstance(chunk_size, int) or chunk_size < 1:
        problems.append(("--chunk-size", f"expected a whole number of paths >= 1, found {chunk_size!r}"))
    if problems:
        raise InputError(problems)


def simulate(
    scenario_path=None,
    *,
    paths: int,
    seed: int = 0,
    case: str = "base",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    client=None,
    on_chunk: Callable[[int, int, dict], None] | None = None,
    prepared=None,
) -> SimulationResult:
    """Monte Carlo over the ``risk:`` block of a scenario file.

    Parameters
    ----------
    scenario_path : path or None
        Scenario file (None: the embedded default scenario).
    paths : int, keyword-only
        Number of paths.
    seed : int
        Seed of the random numbers; the same seed gives the same results whatever ``chunk_size`` and
        ``client``.
    case : str
        Case whose scenario the drivers apply to (financing sized on the base case).
    chunk_size : int
        Paths evaluated per model call (bounds the working memory, ~80 kB per path for the default model).
    client : None, concurrent.futures.Executor or dask.distributed.Client
        Where the chunks run (None: in this process).
    on_chunk : callable(start, stop, results)
        Called in path order after each chunk (progress bars, per-path files).
    prepared : (scenario, CaseResult), optional
        The result of :func:`prepare`, to avoid solving twice.

    Returns
    -------
    SimulationResult
    """
    check_options(paths, seed, chunk_size)
    sc, det = prepared or prepare(scenario_path, case)
    if sc.risk is None:
        raise InputError(
            [("risk", "expected a risk block declaring the uncertain drivers (see finmodel schema), found nothing")],
            source=str(sc.source),
        )
    spec = make_spec(sc, case, det, seed)
    data = run_chunks(spec, paths, chunk_size, client=client, on_chunk=on_chunk)
    metrics = det.metrics()
    return SimulationResult(
        scenario=sc,
        case=case,
        seed=int(seed),
        paths=paths,
        chunk_size=chunk_size,
        deterministic=metrics,
        paths_data=data,
        lockup_dscr=float(sc.lockup_dscr),
        hurdle=float(sc.equity_discount_rate),
        senior_debt=float(metrics.get("senior_debt") or 0.0),
    )


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
