"""Structuring-solver benchmarks (issue 24): wall time and trials of typical solves.

Run: ``python benchmarks/bench_solve.py [--repeat 3]``. Prints the best of ``repeat`` runs (other load only makes
a run slower) and the number of trials (each a validated scenario with its financing re-sized). Figures go in the
README and the closing note; never in tests.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import finmodel

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    ("default: least availability payment for equity IRR 15 %", None,
     dict(targets=["equity_irr>=15%"], vary=["revenues[Availability payment].amount"])),
    ("default: grant x EDPF rate, least subsidy (IRR 16 %, DSCR 1.35x)", None,
     dict(targets=["equity_irr>=16%", "min_dscr>=1.35"],
          vary=["revenues[Viability-gap grant].amount", "debt.facilities[EDPF].rate.fixed"])),
    ("iraq: least availability payment for equity IRR 14 %", ROOT / "scenarios" / "iraq_bismaya.yaml",
     dict(targets=["equity_irr>=14%", "min_dscr>=1.3"], vary=["revenues[Availability payment].amount"])),
    ("bolivia: EDCF amount for CDR(10y) <= 2 %, 1,000 paths", ROOT / "scenarios" / "bolivia_santa_cruz.yaml",
     dict(targets=["cdr_10y<=2%"], vary=["debt.facilities.0.amount"], paths=1000, seed=5)),
]  # fmt: skip


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"{'solve':66} {'best s':>8} {'trials':>7} {'feasible':>9}")
    for name, scenario, kw in CASES:
        times, r = [], None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            r = finmodel.solve(scenario, **kw)
            times.append(time.perf_counter() - t0)
        print(f"{name:66} {min(times):8.2f} {r.data['trials']:7d} {str(r.feasible):>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
