"""Engine benchmarks (issue 2): one deterministic case, and many paths in one call.

Run: ``python benchmarks/bench_engine.py [--paths 10000] [--repeat 5]``. Prints the best of ``repeat`` runs
(the machine's other load only ever makes a run slower). Figures go in the README; never in tests.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from finmodel import api
from finmodel.inputs.validation import load_scenario
from finmodel.model import engine


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--paths", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    sc = load_scenario()
    t0 = time.perf_counter()
    b = engine.build(sc)
    b.model.evaluate()  # compiles the generated code once
    t_build = time.perf_counter() - t0
    solved = engine.solve(b)
    model = b.model
    T = model.periods
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    print(
        f"default scenario: {len(model.rows)} rows, {T} periods ({sc.timeline.periods_per_year}/year), "
        f"{len(sc.debt.facilities)} facilities"
    )
    print(f"build + compile model:                {t_build * 1e3:8.1f} ms (once per scenario structure)")
    t_eval = best(lambda: model.evaluate(solved), args.repeat * 4)
    print(f"evaluate one case (solved financing): {t_eval * 1e3:8.1f} ms")
    t_solve = best(lambda: engine.solve(b), args.repeat)
    print(f"solve financing (sizing, sculpting):  {t_solve * 1e3:8.1f} ms")
    t_case = best(lambda: engine.evaluate_case(sc, "base", None, resize=True), args.repeat)
    print(f"one case end to end (build+solve+eval): {t_case * 1e3:6.1f} ms")

    P = args.paths
    over = {k: np.repeat(v, P, axis=0) for k, v in solved.items()}
    over["in_revenue_factor"] = np.linspace(0.6, 1.3, P).reshape(-1, 1)
    model.evaluate({k: v[:2] for k, v in over.items()})
    t_paths = best(lambda: model.evaluate(over), max(1, args.repeat // 2))
    print(f"{P:,} paths (revenue factor 0.6-1.3), one call: {t_paths:6.2f} s ({t_paths / P * 1e6:.0f} us/path)")

    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "kk.xlsx"
        t_run = best(lambda: api.run(None, None, workbook=out), max(1, args.repeat // 2))
    print(f"api.run default scenario incl. workbook:  {t_run:6.2f} s")


if __name__ == "__main__":
    main()
