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
SC = ROOT / "scenarios"
CASES = [
    # the README's examples (issue 24), then the targets of the benchmark
    ("kota: least availability payment, equity IRR 12 %, min DSCR 1.30x", SC / "kota_kinabalu.yaml",
     dict(targets=["equity_irr>=12%", "min_dscr>=1.30"], vary=["revenues[Availability payment].amount"])),
    ("bolivia: KOICA grant x EDCF amount, least subsidy (IRR 12 %, 1.30x)", SC / "bolivia_santa_cruz.yaml",
     dict(targets=["equity_irr>=12%", "min_dscr>=1.30"],
          vary=["revenues[KOICA grant].amount", "debt.facilities[EDCF].amount"])),
    ("high-risk fund: government share, private EL <= 1 % (stress, 2,000)", SC / "pis_high_risk_subfund.yaml",
     dict(targets=["fund_private_expected_loss_ratio<=1%"], vary=["fund.tranches.government.share"],
          cases=["stress"], paths=2000, seed=7)),
    ("bolivia: grant x EDCF amount x EDCF rate, least subsidy (3 levers)", SC / "bolivia_santa_cruz.yaml",
     dict(targets=["equity_irr>=12%", "min_dscr>=1.30"],
          vary=["revenues[KOICA grant].amount", "debt.facilities[EDCF].amount", "debt.facilities[EDCF].rate.fixed"])),
    ("iraq: availability payment, P(min DSCR < 1) <= 20 % (20,000 paths)", SC / "iraq_bismaya.yaml",
     dict(targets=["p_min_dscr_below_1<=20%"], vary=["revenues[Availability payment].amount"], paths=20000,
          seed=7)),
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
