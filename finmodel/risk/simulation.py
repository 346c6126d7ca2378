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

Why one module of 600-odd lines: the chunk runner, its serial, process and Dask drivers and the options they
share are one mechanism whose invariants (same draws, same results, bounded memory) are read together.
"""

from __future__ import annotations

import dataclasses
import math
import os
import uuid
from collections.abc import Callable

import numpy as np

from finmodel.conventions import PATH_METRICS  # re-exported
from finmodel.errors import InputError
from finmodel.risk import drivers as drv
from finmodel.risk import heap, rng
from finmodel.risk.results import SimulationResult  # re-exported: finmodel.risk.simulation.SimulationResult

DEFAULT_CHUNK_SIZE = 4096
"""Paths per chunk: ~0.25 GB peak per process on the 60-period benchmark (about 40 kB per path on top of
~85 MB of Python and numpy). On the 2-core benchmark machine 4,096 took ~6 % less CPU per path than 2,048 (fewer
numpy calls per path), 8,192 only ~2 % less again for ~0.45 GB per process (over 1 GB in all for a million
paths with two workers)."""

OPTIONAL_METRICS = ("guarantee_claims", "guarantee_net_cost", "lender_loss_after_cover")
"""Metrics of optional modules kept when the model has them (finmodel.model.guarantees)."""

MAX_CACHED_MODELS = 2

REDUCERS: list[str] = []
"""Hook for other modules' per-path results: ``"package.module:function"`` names (strings, so that Dask
workers can import them). Each function is called as ``function(values, spec)`` with the chunk's evaluated rows
(name -> (paths, periods) arrays, e.g. ``equity_cf`` or ``sponsor2_cf`` for the fund's stake) and returns
name -> (paths,) arrays that join the path results. Columns named ``<tranche>_loss`` [currency] are summarised
as ``p_<tranche>_loss`` (share of paths with a loss above a cent) and ``<tranche>_expected_loss``: the place for
:mod:`finmodel.funds` to report each tranche's loss probability and expected loss from the simulated project
cash flows (``ProjectFlows.fund_series(periods, equity_cf=...)`` maps (paths, periods) flows on fund periods).
"""


@dataclasses.dataclass
class SimSpec:
    """Everything a worker needs to evaluate chunks (picklable; sent once to each Dask worker)."""

    scenario: object  # finmodel.schema.Scenario, the case applied
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
    facilities: tuple = ()  # (prefix, name, senior) of every facility, for the lender metrics
    guarantors: tuple = ()  # (prefix, name) of every guarantee with claims, for the guarantor metrics
    hold: tuple = ()  # drivers held at their deterministic value (finmodel.risk.explain)
    macro: tuple = ()  # (rho, seed): a shared factor mixed into demand and political draws (fund portfolios)
    token: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)


_MODELS: dict[str, object] = {}


def _model(spec: SimSpec):
    """The model of ``spec`` built once per process (workers keep it between chunks)."""
    m = _MODELS.get(spec.token)
    if m is None:
        from finmodel.model import engine

        m = engine.build(spec.scenario, sizing_case=spec.sizing_case).model
        while len(_MODELS) >= MAX_CACHED_MODELS:
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[spec.token] = m
    return m


def draws_for(spec: SimSpec, start: int, stop: int) -> drv.Draws:
    """The driver values of paths ``start .. stop - 1`` (layout of the draws: :mod:`finmodel.risk.drivers`)."""
    T, K = spec.timing.periods, len(spec.drivers)
    n = stop - start
    if K == 0:
        return drv.neutral(spec.timing, n)
    procs, pfactor = drv.process_factor(spec.scenario.risk)
    kp = len(procs)
    e = rng.standard_normals(spec.seed, start, stop, K + (T - 1) * kp + 1)
    z0 = correlate(e[:, :K], spec.factor)  # Gaussian copula: the drivers' first-period scores
    zt = np.zeros((n, T - 1, 0))
    if kp:  # stored process by process and period by period (a period's paths contiguous): see drivers.sample
        innov = e[:, K : K + (T - 1) * kp].reshape(n, T - 1, kp)
        zt = correlate(np.ascontiguousarray(innov.transpose(2, 1, 0)).transpose(2, 1, 0), pfactor)
    if spec.macro:
        z0, zt = _mix_macro(spec, start, stop, z0, zt, procs)
    return drv.sample(spec.scenario.risk, spec.timing, z0, zt, e[:, -1], hold=spec.hold)


MACRO_STREAM = 1
"""Random-number stream of the shared macro factor (:func:`finmodel.risk.rng.standard_normals`)."""

MACRO_DRIVERS = ("demand", "political_event")
"""Drivers that load on a fund portfolio's shared macro factor (:func:`_mix_macro`)."""


def _mix_macro(spec: SimSpec, start: int, stop: int, z0, zt, procs):
    """Load demand and political-event scores on a shared factor: ``z' = sqrt(rho) M + sqrt(1 - rho) z``.

    ``M`` (one standard normal per path and period) comes from its own stream, seeded by the portfolio, so
    every project of the fund sees the same ``M`` on a path: the scores of two projects then correlate with
    ``rho``; each project's own marginals are unchanged (``z'`` is standard normal).
    """
    rho, seed = spec.macro
    T = spec.timing.periods
    m = rng.standard_normals(seed, start, stop, T, stream=MACRO_STREAM)
    a, b = math.sqrt(rho), math.sqrt(1.0 - rho)
    z0, zt = z0.copy(order="K"), zt.copy(order="K")  # keep the period-major layout of zt
    for k, name in enumerate(spec.drivers):
        if name in MACRO_DRIVERS:
            z0[:, k] = a * m[:, 0] + b * z0[:, k]
    for j, name in enumerate(procs):
        if name in MACRO_DRIVERS:
            zt[:, :, j] = a * m[:, 1:] + b * zt[:, :, j]
    return z0, zt


def correlate(e: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``z[..., j] = sum_k factor[j, k] e[..., k]`` summed in a fixed order with element-wise operations.

    Not ``e @ factor.T``: a BLAS matrix product may sum in an order that depends on the array's size and on
    the number of BLAS threads (Dask workers run single-threaded BLAS), which would change the last bits of
    a path's draws with the chunk size or the worker. The result has ``e``'s memory layout.
    """
    z = np.empty_like(e)
    for j in range(factor.shape[0]):
        acc = e[..., 0] * factor[j, 0]
        for k in range(1, factor.shape[1]):
            if factor[j, k] != 0.0:  # a Cholesky factor is lower-triangular; adding e * 0.0 changes nothing
                acc = acc + e[..., k] * factor[j, k]
        z[..., j] = acc
    return z


LENDER_ROWS = ("periods_in_default", "cfads_negative", "senior_shortfall_total")
"""Rows read for the lender metrics (when the model has them)."""


def path_targets(spec: SimSpec, m) -> frozenset | None:
    """The rows the path results need (no checks, no reporting rows); None (every row) when a reducer may
    read any row."""
    if spec.reducers:
        return None
    fac = [f"{p}_{w}" for p, _, _ in spec.facilities for w in ("ead", "default_loss")]
    gua = [f"{p}_{w}" for p, _ in spec.guarantors for w in ("claims", "recoveries")]
    extra = [r for r in (*LENDER_ROWS, *fac, *gua) if r in m.rows]
    return frozenset([*spec.metrics, "period", "senior_loss", *spec.keep_rows, *extra])


def evaluate_paths(spec: SimSpec, overrides: dict, n: int) -> dict[str, np.ndarray]:
    """Evaluate ``n`` paths of overrides in one call; per-path metrics (n,)."""
    m = _model(spec)
    pad = n == 1  # one path would evaluate in the scalar (Python float) mode: keep the numpy one
    if pad:
        overrides = {
            k: np.concatenate([v, v]) if np.ndim(v) and np.shape(v)[0] == 1 else v for k, v in overrides.items()
        }
    v = m.evaluate({**spec.solved, **overrides}, paths=2 if pad else n, targets=path_targets(spec, m))
    out = {name: np.array(v[name][:n, 0], dtype=float) for name in spec.metrics if name in v}
    for name in spec.keep_rows:  # whole rows, only when asked (finmodel.funds.montecarlo): (n, periods)
        out[name] = np.array(v[name][:n], dtype=float, copy=True)
    out.update(lender_columns(v, spec, n))
    out["senior_loss"] = np.array(v["senior_loss"][:n, 0], dtype=float)  # finmodel.model.default_loss
    for ref in spec.reducers:
        for k, a in _import(ref)(v, spec).items():
            out[k] = np.array(np.asarray(a, dtype=float)[:n], dtype=float)
    return out


def lender_columns(v, spec: SimSpec, n: int) -> dict[str, np.ndarray]:
    """Per-path lender data: first default period, cash shortfalls, each facility's exposure at default and
    final loss, each guarantor's claims and recoveries.

    * ``default_period``: index (0-based) of the first period with ``defaulted`` (a payment default: senior
      debt service unpaid after the DSRA, or, with a guarantees block, the covered political event); NaN if
      none.
    * ``ead_<p>``, ``loss_<p>``: the facility's exposure and economic loss at default [currency], the model rows
      ``<p>_ead`` and ``<p>_default_loss`` (defined, with the discounting, in :mod:`finmodel.model.default_loss`).
    * ``cfads_negative`` (1 if CFADS < 0 in a period with senior debt service due) and
      ``senior_shortfall_total`` (senior debt service left unpaid, summed over periods, undiscounted
      [currency]): the model rows of the same names (:mod:`finmodel.model.default_loss`).
    """
    out = {}
    if "periods_in_default" in v:  # ``defaulted`` is permanent: the last periods_in_default periods
        count = np.asarray(v["periods_in_default"][:n, 0], dtype=float)
        out["default_period"] = np.where(count > 0, v["period"].shape[1] - count, np.nan)
    for p, _, _ in spec.facilities:  # rows of finmodel.model.default_loss
        if f"{p}_default_loss" in v:
            out[f"ead_{p}"] = np.array(v[f"{p}_ead"][:n, 0], dtype=float)
            out[f"loss_{p}"] = np.array(v[f"{p}_default_loss"][:n, 0], dtype=float)
    for p, _ in spec.guarantors:
        for w in ("claims", "recoveries"):
            if f"{p}_{w}" in v:
                out[f"{w}_{p}"] = np.array(v[f"{p}_{w}"][:n, 0], dtype=float)
    for name in ("cfads_negative", "senior_shortfall_total"):  # rows of finmodel.model.default_loss
        if name in v:
            out[name] = np.array(v[name][:n, 0], dtype=float)
    return out


def _import(ref: str):
    import importlib

    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def run_chunk(spec: SimSpec, start: int, stop: int) -> dict[str, np.ndarray]:
    """Per-path results of paths ``start .. stop - 1``: model metrics and the drivers' values."""
    heap.keep_freed_memory()  # the next chunk reuses this one's pages (finmodel.risk.heap)
    draws = draws_for(spec, start, stop)
    ov = drv.overrides(draws, spec.timing, spec.base_inputs)
    out = evaluate_paths(spec, ov, stop - start)
    # copies: a column that is a view (fx[:, -1]) would keep the whole (paths, periods) array alive
    out.update({k: np.array(v, dtype=float, copy=True) for k, v in draws.summary().items()})
    if "default_period" in out:
        out["default_political"] = political_default(out["default_period"], draws, spec)
    return out


POLITICAL_ATTRIBUTION_YEARS = 1.0
"""A default counts as caused by a political event when it starts while the event lasts or within this many
years after its end (the DSRA and reserves absorb the first months of an interruption), or at any time after
an event that was not resolved."""


def political_default(default_period: np.ndarray, draws: drv.Draws, spec: SimSpec) -> np.ndarray:
    """1 where the path's default is attributed to a political event (see :data:`POLITICAL_ATTRIBUTION_YEARS`)."""
    risk = spec.scenario.risk
    if risk is None or risk.political_event is None or "political_event" in spec.hold:
        return np.zeros_like(default_period)
    ppy = spec.timing.periods_per_year
    length = risk.political_event.resolved()["duration_months"] * ppy / 12.0
    start = draws.political_start.astype(float)
    dp = np.nan_to_num(default_period, nan=-1.0)
    window = dp < start + length + POLITICAL_ATTRIBUTION_YEARS * ppy
    hit = (dp >= start) & (window | draws.political_permanent)
    return (hit & ~np.isnan(default_period)).astype(float)


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
    for k in ("in_political_event", "in_political_termination"):
        if k in m.inputs:
            base_inputs[k] = np.asarray(m.inputs[k].value, dtype=float)
    metrics = tuple(n for n in PATH_METRICS + OPTIONAL_METRICS if n in m.rows)
    facilities = tuple((f.p, f.facility.name, bool(f.senior)) for f in det.builder.facilities)
    guarantors = tuple(
        (f"g{k}", g.name)
        for k, g in enumerate(getattr(scenario, "guarantees", None) or [], start=1)
        if f"g{k}_claims" in m.rows
    )
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
        facilities=facilities,
        guarantors=guarantors,
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


# --- the entry point ----------------------------------------------------------------------------------------


def prepare(scenario_path=None, case: str = "base"):
    """Load the scenario, solve the financing on the base case and evaluate ``case`` deterministically.

    ``scenario_path``: a scenario file, None (the embedded default) or an already loaded base
    :class:`~finmodel.schema.Scenario` (not read again). Returns ``(scenario of the case, deterministic
    CaseResult)``.
    """
    from finmodel.inputs.validation import case_scenario, load_scenario
    from finmodel.model import engine
    from finmodel.schema import Scenario

    base_sc = scenario_path if isinstance(scenario_path, Scenario) else load_scenario(scenario_path)
    sc = case_scenario(base_sc, case)  # raises the InputError listing the cases before any work
    base = engine.evaluate_case(base_sc, "base", None, resize=True)
    if case == "base":
        return base_sc, base
    return sc, engine.evaluate_case(sc, case, base.solved, resize=bool(base_sc.cases[case].resize_debt))


KEPT_BYTES_PER_PATH = 512
"""Memory kept for each path until the end of a run: ~20 float64 results, times ~3 for the copies that the
percentiles and the per-path file's DataFrame make (an upper estimate: README, 1,000,000 paths, 440 MB peak)."""

CHUNK_BYTES_PER_PATH_PERIOD = 1_700
"""Working memory of one path inside a chunk, per model period: up to ~300 rows of float64 (80 kB per path at
the default scenario's 60 periods when every row is kept, as for a fund's reducers; ~11 kB measured for a
simulation's own metrics, which free rows as they go and keep a period block's inner rows in two period
buffers), with headroom."""

ESTIMATE_PERIODS = 60
"""Periods assumed before the scenario is read (30 years, semi-annual)."""


def memory_estimate(paths: int, chunk_size: int, periods: int = ESTIMATE_PERIODS, workers: int = 1) -> int:
    """Bytes a simulation of ``paths`` paths in chunks of ``chunk_size`` needs at its peak (an estimate): what
    is kept for every path in this process plus one chunk's working arrays in every busy worker (each local
    process evaluates its own chunk; never more busy workers than chunks). A Dask cluster's memory is its own:
    pass ``workers=1``."""
    chunk = min(paths, chunk_size)
    per_chunk = chunk * periods * CHUNK_BYTES_PER_PATH_PERIOD
    return paths * KEPT_BYTES_PER_PATH + busy_workers(paths, chunk, workers) * per_chunk


def busy_workers(paths: int, chunk_size: int, workers: int) -> int:
    """Workers that hold a chunk at the same time: at most one per chunk."""
    return max(1, min(int(workers), math.ceil(paths / max(1, min(paths, chunk_size)))))


MEMORY_SHARE = 0.75
"""Share of the machine's (or the container's) memory a run may plan to use: the rest is the system's."""


def memory_limit() -> int:
    """The memory a run may plan to use: :data:`MEMORY_SHARE` of the machine's physical memory, or of the
    container's limit if lower."""
    limit = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for f in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(f, encoding="ascii") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit():
            limit = min(limit, int(text))
    return int(limit * MEMORY_SHARE)


def check_memory(paths: int, chunk_size: int, periods: int = ESTIMATE_PERIODS, workers: int = 1) -> None:
    """Refuse (InputError) a run whose :func:`memory_estimate` passes :func:`memory_limit`, naming the option to
    change: ``--paths`` when what is kept per path alone is too much, ``--workers`` when one worker would fit,
    else ``--chunk-size``."""
    chunk = min(paths, chunk_size)
    busy = busy_workers(paths, chunk, workers)
    need, have = memory_estimate(paths, chunk, periods, busy), memory_limit()
    if need <= have:
        return
    kept = paths * KEPT_BYTES_PER_PATH
    if kept > have / 2:
        option, advice = "--paths", "use fewer paths"
    elif busy > 1 and memory_estimate(paths, chunk, periods, 1) <= have:
        option, advice = "--workers", "use fewer --workers or a smaller --chunk-size"
    else:
        option, advice = "--chunk-size", "use a smaller --chunk-size or fewer paths"
    gb = 1024**3
    raise InputError(
        [
            (
                option,
                f"expected a run that fits in memory (limit {have / gb:,.1f} GB, {MEMORY_SHARE:.0%} of "
                f"this machine's), found {paths:,} paths in chunks of {chunk:,} over {periods} periods on {busy} "
                f"worker{'s' if busy > 1 else ''} (each holds its own chunk): an estimated {need / gb:,.1f} GB; "
                f"{advice}",
            )
        ]
    )


def check_options(paths: int, seed: int, chunk_size: int, workers: int = 1) -> None:
    """Refuse (InputError) bad ``--paths``, ``--seed`` or ``--chunk-size`` values, then a run that does not fit
    in memory on ``workers`` local processes (:func:`check_memory`, before the scenario is read: 60 periods)."""
    problems = []
    if not isinstance(paths, int) or isinstance(paths, bool) or paths < 1:
        problems.append(("--paths", f"expected a whole number of paths >= 1, found {paths!r}"))
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0 or seed >= 2**63:
        problems.append(("--seed", f"expected a whole number from 0 to 2**63 - 1, found {seed!r}"))
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        problems.append(("--chunk-size", f"expected a whole number of paths >= 1, found {chunk_size!r}"))
    if problems:
        raise InputError(problems)
    check_memory(paths, chunk_size, workers=workers)


def resolve_workers(workers) -> int:
    """``workers``: a whole number >= 1, or "auto" / None (every core this process may use)."""
    import os

    if workers is None or workers == "auto":
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not Linux
            return max(1, os.cpu_count() or 1)
    try:
        w = int(workers)
    except (TypeError, ValueError):
        w = 0
    if w < 1 or str(workers).strip() != str(w):
        raise InputError([("--workers", f"expected a whole number of processes >= 1 or auto, found {workers!r}")])
    return w


def auto_chunk_size(paths: int, workers: int) -> int:
    """Paths per chunk when none is given: at most :data:`DEFAULT_CHUNK_SIZE`, a multiple of the random-number
    block (:data:`finmodel.risk.rng.BLOCK`, so no block is drawn twice), and small enough that every worker
    gets about four chunks. Results do not depend on it."""
    target = math.ceil(paths / (4 * max(workers, 1)))
    size = rng.BLOCK * max(1, math.ceil(target / rng.BLOCK))
    return min(DEFAULT_CHUNK_SIZE, size)


def local_pool(workers: int):
    """A pool of ``workers`` local processes (forked where the platform allows: workers inherit the built
    model), or None for one worker."""
    if workers <= 1:
        return None
    import concurrent.futures
    import multiprocessing

    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def simulate(
    scenario_path=None,
    *,
    paths: int,
    seed: int = 0,
    case: str = "base",
    chunk_size: int | None = None,
    client=None,
    workers=1,
    explain_paths: int = 0,
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
        Seed of the random numbers; the same seed gives the same results whatever ``chunk_size``,
        ``workers`` and ``client``.
    case : str
        Case whose scenario the drivers apply to (financing sized on the base case).
    chunk_size : int or None
        Paths evaluated per model call (bounds the working memory, ~40 kB per path for the default model);
        None: :func:`auto_chunk_size`.
    client : None, concurrent.futures.Executor or dask.distributed.Client
        Where the chunks run (None: ``workers`` local processes, or this process for 1).
    workers : int or "auto"
        Local processes when no ``client`` is given ("auto": every core).
    explain_paths : int
        Paths re-run per driver held at its deterministic value (:mod:`finmodel.risk.explain`); 0: none.
    on_chunk : callable(start, stop, results)
        Called in path order after each chunk of the main run (progress bars, per-path files).
    prepared : (scenario, CaseResult), optional
        The result of :func:`prepare`, to avoid solving twice.

    Returns
    -------
    SimulationResult
    """
    n_workers = resolve_workers(workers) if client is None else 1
    chunk_size = chunk_size if chunk_size is not None else auto_chunk_size(paths, n_workers)
    check_options(paths, seed, chunk_size, n_workers)
    if not isinstance(explain_paths, int) or explain_paths < 0:
        raise InputError([("--explain-paths", f"expected a whole number >= 0, found {explain_paths!r}")])
    sc, det = prepared or prepare(scenario_path, case)
    if sc.risk is None:
        raise InputError(
            [("risk", "expected a risk block declaring the uncertain drivers (see finmodel schema), found nothing")],
            source=str(sc.source),
        )
    spec = make_spec(sc, case, det, seed)
    pool = local_pool(n_workers) if client is None and paths > chunk_size else None
    if pool is not None:  # generated once here: forked workers inherit it instead of each generating its own
        _model(spec).compiled(False, path_targets(spec, _model(spec)))
    where = client if client is not None else pool
    try:
        data = run_chunks(spec, paths, chunk_size, client=where, on_chunk=on_chunk)
        drivers_block = None
        if explain_paths and "default_period" in data:
            from finmodel.risk import explain

            def rerun(s, m):
                return run_chunks(s, m, min(chunk_size, m), client=where if m > chunk_size else None)

            drivers_block = explain.explain(spec, data, explain_paths, rerun)
    finally:
        if pool is not None:
            pool.shutdown()
    metrics = det.metrics()
    ppy = spec.timing.periods_per_year
    facilities = tuple(
        (p, name, senior, float(np.max(det.values[f"{p}_closing"][0])) if f"{p}_closing" in det.values else 0.0)
        for p, name, senior in spec.facilities
    )
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
        periods_per_year=ppy,
        horizon_years=int(math.ceil(spec.timing.periods / ppy)),
        facilities=facilities,
        guarantors=spec.guarantors,
        default_drivers=drivers_block,
        workers=n_workers if client is None else 0,
    )
