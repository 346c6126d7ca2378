"""Monte Carlo: reproducibility across chunkings and workers, the degenerate case, an analytic probability of
default, Dask. Path counts are small: the model evaluates ~0.15 ms per path on an idle machine; timings are
never asserted (benchmarks/bench_montecarlo.py reports them)."""

from __future__ import annotations

import concurrent.futures
import math
import statistics

import numpy as np
import pytest
import yaml

from conftest import in_ci
from finmodel.model import engine
from finmodel.risk import rng, simulation
from finmodel.schema import load_raw

RISK = {
    "capex_overrun": {"kind": "lognormal", "mean": 1.05, "sd": 0.08},
    "construction_delay": {"kind": "triangular", "low": 0, "mode": 0, "high": 6},
    "opex": {"kind": "normal", "mean": 1.0, "sd": 0.05},
    "demand": {"sd": 0.12, "autocorrelation": 0.7},
    "fx": {"volatility": 0.06},
    "base_rate": {"volatility": 0.008, "mean_reversion": 0.15},
    "inflation": {"sd": 0.01, "autocorrelation": 0.5},
    "political_event": {"annual_probability": 0.02, "revenue_loss": 1.0, "duration_months": 12},
    "correlation": {
        "drivers": ["capex_overrun", "construction_delay", "demand", "fx"],
        "matrix": [[1, 0.6, 0, 0], [0.6, 1, 0, 0], [0, 0, 1, 0.3], [0, 0, 0.3, 1]],
    },
}

DEGENERATE = {
    "capex_overrun": {"kind": "lognormal", "mean": 1.0, "sd": 0.0},
    "construction_delay": {"kind": "triangular", "low": 0, "mode": 0, "high": 0},
    "opex": {"kind": "normal", "mean": 1.0, "sd": 0.0},
    "demand": {"sd": 0.0, "autocorrelation": 0.7},
    "fx": {"volatility": 0.0},
    "base_rate": {"volatility": 0.0, "mean_reversion": 0.2},
    "inflation": {"sd": 0.0},
    "political_event": {"annual_probability": 0.0},
    "correlation": {"drivers": ["capex_overrun", "opex"], "matrix": [[1, 0.5], [0.5, 1]]},
}


def scenario_file(tmp_path, risk, name="risk.yaml", **changes):
    raw = load_raw()
    raw["risk"] = risk
    for k, v in changes.items():
        raw[k] = v
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def risky(tmp_path_factory):
    path = scenario_file(tmp_path_factory.mktemp("risk"), RISK)
    return path, simulation.prepare(path)


def test_block_random_numbers_do_not_depend_on_the_slice():
    whole = rng.standard_normals(11, 0, 3 * rng.BLOCK, 5)
    part = rng.standard_normals(11, rng.BLOCK - 7, 2 * rng.BLOCK + 3, 5)
    assert np.array_equal(whole[rng.BLOCK - 7 : 2 * rng.BLOCK + 3], part)
    assert not np.array_equal(whole, rng.standard_normals(12, 0, 3 * rng.BLOCK, 5))


def test_same_seed_same_results_whatever_the_chunk_size_and_workers(risky):
    path, prepared = risky
    n = 130
    ref = simulation.simulate(path, paths=n, seed=5, chunk_size=n, prepared=prepared)
    for chunk in (1, 17, 64):
        other = simulation.simulate(path, paths=n, seed=5, chunk_size=chunk, prepared=prepared)
        for k, v in ref.paths_data.items():
            assert np.array_equal(v, other.paths_data[k], equal_nan=True), (chunk, k)
        assert ref.summary() == other.summary()
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        pooled = simulation.simulate(path, paths=n, seed=5, chunk_size=29, client=pool, prepared=prepared)
    for k, v in ref.paths_data.items():
        assert np.array_equal(v, pooled.paths_data[k], equal_nan=True), k
    different = simulation.simulate(path, paths=n, seed=6, chunk_size=n, prepared=prepared)
    assert not np.array_equal(ref.paths_data["equity_irr"], different.paths_data["equity_irr"], equal_nan=True)


def test_drivers_vary_and_are_correlated(risky):
    path, prepared = risky
    res = simulation.simulate(path, paths=400, seed=1, chunk_size=400, prepared=prepared)
    d = res.paths_data
    assert d["capex_overrun"].std() > 0.05 and d["construction_delay_months"].max() <= 6.0
    # Gaussian copula rho 0.6 on the normal scores: Spearman's rho = (6/pi) asin(rho/2) = 0.58
    rank = np.corrcoef(
        np.argsort(np.argsort(d["capex_overrun"])), np.argsort(np.argsort(d["construction_delay_months"]))
    )
    # 400 paths: the standard error of a rank correlation ~ (1 - rho^2) / sqrt(n) ~ 0.033; 0.15 is > 4 se
    assert abs(rank[0, 1] - 6 / math.pi * math.asin(0.3)) < 0.15


def test_degenerate_distributions_reproduce_the_deterministic_case(tmp_path):
    path = scenario_file(tmp_path, DEGENERATE)
    sc, det = simulation.prepare(path)
    res = simulation.simulate(path, paths=5, seed=3, chunk_size=5, prepared=(sc, det))
    # exactly the deterministic case evaluated by the same (vectorised) evaluation
    vec = det.model.evaluate(det.solved, paths=2)
    for name in simulation.PATH_METRICS:
        assert np.array_equal(res.paths_data[name], np.full(5, vec[name][0, 0]), equal_nan=True), name
    # and the engine's deterministic run (scalar mode) to 1e-12 relative: Python-float and numpy evaluations of
    # the same formulas can differ in the last bit of an IRR (seen: 4e-16)
    metrics = det.metrics()
    for name in simulation.PATH_METRICS:
        assert res.paths_data[name] == pytest.approx(np.full(5, metrics[name]), rel=1e-12, abs=1e-12), name
    assert res.summary()["p_default"] == 0.0


def test_degenerate_overrun_equals_the_capex_overrun_case(tmp_path):
    risk = dict(DEGENERATE, capex_overrun={"kind": "fixed", "value": 1.15})
    path = scenario_file(tmp_path, risk)
    res = simulation.simulate(path, paths=3, seed=0, chunk_size=3)
    case = engine.run(path, ["capex_overrun"])[0].metrics()  # drivers.capex_factor 1.15, base financing
    for name in ("equity_irr", "min_dscr", "equity_npv"):
        assert res.paths_data[name] == pytest.approx(np.full(3, case[name]), rel=1e-12), name


def test_probability_of_default_matches_a_lognormal_opex_factor(tmp_path):
    """A lognormal opex factor (one per path, mean 1, sd s of the factor): F = exp(sigma Z - sigma^2 / 2),
    sigma^2 = ln(1 + s^2).

    Default (any unpaid senior debt service) happens exactly when F > F*, the breakeven factor found by
    bisection on the model, so P(default) = 1 - Phi((ln F* + sigma^2/2) / sigma). The simulation must agree
    within sampling error.
    """
    s = 0.6
    sigma = math.sqrt(math.log1p(s * s))
    path = scenario_file(tmp_path, {"opex": {"kind": "lognormal", "mean": 1.0, "sd": s}})
    sc, det = simulation.prepare(path)
    m = det.model
    lo, hi = 1.0, 4.0  # factor: no default at lo, default at hi
    grid = np.linspace(0, 1, 33)[1:-1]
    for _ in range(6):  # vectorised multisection on the factor: 31 points per call
        xs = lo + (hi - lo) * grid
        v = m.evaluate({**det.solved, "in_opex_factor": xs[:, None]}, paths=len(xs))
        bad = v["default_periods"][:, 0] > 0
        assert bad[-1] and not bad[0] if _ == 0 else True  # the bracket holds a crossing
        first_bad = int(np.argmax(bad))
        hi = xs[first_bad]
        lo = xs[first_bad - 1] if first_bad else lo
    f_star = 0.5 * (lo + hi)
    p = 1.0 - statistics.NormalDist().cdf((math.log(f_star) + 0.5 * sigma * sigma) / sigma)
    n = 1500
    res = simulation.simulate(path, paths=n, seed=2024, chunk_size=500, prepared=(sc, det))
    got = res.summary()["p_default"]
    se = math.sqrt(p * (1 - p) / n)  # binomial standard error of a share of n independent paths
    assert 0.05 < p < 0.5  # the test is informative: a probability well inside (0, 1)
    print(f"P(default): simulated {got:.4f}, analytic {p:.4f}, binomial se {se:.4f}")
    assert abs(got - p) < 4 * se, (got, p, se)  # 4 se: a false alarm once in ~16,000 runs
    # each path defaults exactly when its factor is above F* (up to the bisection bracket around F*)
    factor = res.paths_data["opex_factor"]
    mismatch = (res.paths_data["default_periods"] > 0) != (factor > f_star)
    assert np.all(np.abs(factor[mismatch] - f_star) <= hi - lo)


def test_dask_local_cluster_gives_the_same_results(risky):
    """The same chunks on a Dask LocalCluster (two worker processes) give the local result bit for bit.

    dask[distributed] is the optional extra ``finmodel[distributed]``: skipped without it, except in CI
    (.ci/run installs it), where a missing Dask is a failure.
    """
    try:
        import dask.distributed as distributed
    except ImportError:
        if in_ci():
            pytest.fail("dask[distributed] is not installed; CI installs finmodel[distributed]", pytrace=False)
        pytest.skip("dask[distributed] not installed (optional extra finmodel[distributed])")
    path, prepared = risky
    n = 2048  # a few thousand paths: several chunks per worker, still a few seconds
    ref = simulation.simulate(path, paths=n, seed=9, chunk_size=n, workers=1, prepared=prepared)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        with distributed.Client(lc) as client:
            res = simulation.simulate(path, paths=n, seed=9, chunk_size=300, client=client, prepared=prepared)
    for k, v in ref.paths_data.items():
        assert np.array_equal(v, res.paths_data[k], equal_nan=True), k
    assert ref.summary() == res.summary()


def fund_like_reducer(values, spec):
    """A stand-in for a fund tranche: loses what the fund sponsor's cash flows fall short of 1.2x its outlay."""
    cf = values["sponsor2_cf"]
    paid_in = -np.where(cf < 0, cf, 0).sum(axis=1)
    back = np.where(cf > 0, cf, 0).sum(axis=1)
    return {"tranche_a_loss": np.maximum(0.0, 1.2 * paid_in - back)}


def test_reducer_hook_adds_tranche_losses(risky, monkeypatch):
    path, prepared = risky
    monkeypatch.setattr(simulation, "REDUCERS", [f"{__name__}:fund_like_reducer"])
    res = simulation.simulate(path, paths=64, seed=4, chunk_size=32, prepared=prepared)
    s = res.summary()
    assert "tranche_a_loss" in res.paths_data and "p_tranche_a_loss" in s and "tranche_a_expected_loss" in s
    assert s["tranche_a_expected_loss"] == pytest.approx(res.paths_data["tranche_a_loss"].mean())


def test_freed_chunk_memory_is_reused_without_page_faults():
    """finmodel.risk.heap: after the first chunk, a chunk's rows come from pages the process already has
    (on glibc; elsewhere nothing is changed and there is nothing to check). Each child process allocates a
    chunk's worth of rows (60 rows of 2 MiB, as a 4,096-path chunk of the 60-period model), frees them, and
    counts the page faults of two more such chunks."""
    import platform
    import subprocess
    import sys

    from finmodel.risk import heap

    if platform.libc_ver()[0] != "glibc":
        assert heap.keep_freed_memory() is False
        return
    code = (
        "import resource, sys\n"
        "import numpy as np\n"
        "from finmodel.risk import heap\n"
        "if sys.argv[1] == 'on':\n"
        "    assert heap.keep_freed_memory()\n"
        "def chunk():\n"
        "    rows = [np.ones(256 << 10) for _ in range(60)]\n"
        "    del rows\n"
        "chunk()\n"
        "f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "chunk()\n"
        "chunk()\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)\n"
    )
    faults = {}
    for mode in ("on", "off"):
        run = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, check=True)
        faults[mode] = int(run.stdout)
    assert faults["off"] > 10_000  # glibc's defaults: 2 x 120 MiB faulted in again (61,400 measured)
    assert faults["on"] < 1_000  # the same pages reused (0 measured)
