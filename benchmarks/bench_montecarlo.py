"""Monte Carlo benchmark: time and peak memory of simulations of the default scenario with a risk block.

    python benchmarks/bench_montecarlo.py                   # 100,000 paths, then the LibreOffice comparison
    python benchmarks/bench_montecarlo.py --paths 1000000   # a large run in chunks (memory stays bounded)
    python benchmarks/bench_montecarlo.py --workers auto    # chunks in every core's local process (default)
    python benchmarks/bench_montecarlo.py --workers 1       # one process

Each run is measured in a fresh subprocess, so peak memory (``ru_maxrss`` of that process and its children) is
the run's own. The model: the default scenario stretched to 30 years (27 operating), semi-annual: 60
periods, with the full waterfall, and guarantee claims / fund tranches as far as the model has them. Figures
are printed; nothing is asserted.

LibreOffice comparison: the same model as a workbook recalculated once by headless LibreOffice
(``finmodel.workbook.recalc.recalculate``): one path's worth of work, against the per-path time of the simulation.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RISK = {
    "preset": "smart_city_platform",  # capex, delay, opex, demand, political events (finmodel/data/risk.yaml)
    "fx": {"volatility": 0.06},
    "base_rate": {"volatility": 0.008, "mean_reversion": 0.15},
    "inflation": {"sd": 0.01, "autocorrelation": 0.5},
    "correlation": {
        "drivers": ["capex_overrun", "construction_delay", "demand", "fx"],
        "matrix": [[1, 0.6, 0, 0], [0.6, 1, 0, 0], [0, 0, 1, 0.3], [0, 0, 0.3, 1]],
    },
}


def scenario_file(folder: Path) -> str:
    import yaml

    from finmodel.schema import load_raw

    raw = load_raw()
    raw["risk"] = RISK
    raw["timeline"]["operation_years"] = 27  # 3 + 27 years, semi-annual: 60 periods (the target's shape)
    path = folder / "bench_risk.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return str(path)


def child(path: str, paths: int, chunk: int, workers: str) -> None:
    """Run one simulation in this process (and its workers) and print a JSON line of figures."""
    from finmodel.risk import simulation

    t0 = time.perf_counter()
    prepared = simulation.prepare(path)
    t1 = time.perf_counter()
    c1 = _cpu()
    res = simulation.simulate(path, paths=paths, seed=1, chunk_size=chunk or None, workers=workers, prepared=prepared)
    t2 = time.perf_counter()
    cpu = _cpu() - c1
    s = res.summary()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    periods = prepared[1].model.periods
    out = {
        "paths": paths,
        "periods": periods,
        "chunk": res.chunk_size,
        "workers": res.workers,
        "cpu_s": cpu,
        "prepare_s": t1 - t0,
        "simulate_s": t2 - t1,
        "peak_rss_mb": own,
        "peak_rss_worker_mb": kids,
        "p_default": s["p_default"],
        "equity_irr_p50": s["equity_irr_p50"],
        "has_guarantee_claims": "guarantee_claims_expected" in s,
    }
    print("RESULT " + json.dumps(out))


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure(path: str, paths: int, chunk: int, workers: str) -> dict:
    cmd = [sys.executable, __file__, "--child", path, str(paths), str(chunk), str(workers)]
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")]
    if not line:
        raise SystemExit(f"benchmark child failed:\n{p.stdout}\n{p.stderr}")
    return json.loads(line[0][len("RESULT ") :])


def report(r: dict) -> None:
    per = r["simulate_s"] / r["paths"] * 1e3
    print(
        f"{r['paths']:>9,} paths x {r['periods']} periods, chunk {r['chunk']:,}, workers {r['workers']}: "
        f"{r['simulate_s']:8.2f} s wall, {r['cpu_s']:.1f} s CPU ({per:.3f} ms/path; prepare {r['prepare_s']:.1f} s), "
        "peak RSS "
        f"{r['peak_rss_mb']:,.0f} MB (workers {r['peak_rss_worker_mb']:,.0f} MB); p_default {r['p_default']:.4f}, "
        f"equity IRR P50 {r['equity_irr_p50']:.2%}"
    )


def libreoffice(path: str, per_path_s: float) -> None:
    from finmodel.inputs.validation import load_scenario
    from finmodel.model import engine
    from finmodel.workbook import recalc, writer

    if not recalc.soffice_available():
        print("LibreOffice: soffice not on PATH; comparison skipped")
        return
    sc = load_scenario(path)
    res = engine.run(path)
    with tempfile.TemporaryDirectory() as tmp:
        wb = Path(tmp) / "bench.xlsx"
        writer.write_workbook(res, wb, scenario=sc, provenance=writer.provenance(sc, "base"))
        t0 = time.perf_counter()
        recalc.recalculate(wb, Path(tmp) / "recalc.xlsx")
        lo = time.perf_counter() - t0
    print(
        f"LibreOffice headless recalculation of the same model (one path): {lo:.2f} s "
        f"= {lo / per_path_s:,.0f} x the simulation's time per path ({per_path_s * 1e3:.3f} ms)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--chunk-size", type=int, default=0, help="0: automatic (as finmodel simulate)")
    ap.add_argument("--workers", default="auto", help="N or auto (every core), as finmodel simulate --workers")
    ap.add_argument("--large", type=int, default=0, help="also run this many paths (e.g. 1000000)")
    ap.add_argument("--no-libreoffice", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = scenario_file(Path(tmp))
        load = os.getloadavg()[0]
        print(
            f"cpu count {os.cpu_count()}, load average {load:.1f} before the run"
            + (" (machine under load: wall times are inflated)" if load > 0.5 * (os.cpu_count() or 1) else "")
        )
        r = measure(path, a.paths, a.chunk_size, a.workers)
        report(r)
        if a.large:
            report(measure(path, a.large, a.chunk_size, a.workers))
        if not a.no_libreoffice:
            libreoffice(path, r["simulate_s"] / r["paths"])


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        main()
