"""Recalculation parity of every shipped project scenario's workbook with both engines (LibreOffice and the
``formulas`` package): formula cells compared, mismatches, time. Prints a table; nothing is asserted (the tests
assert parity on the default workbook with both engines, on every scenario with LibreOffice).

    python benchmarks/parity_counts.py [--no-formulas]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [None, *sorted(p for p in (ROOT / "scenarios").glob("*.yaml") if not p.name.startswith("pis_"))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-formulas", action="store_true", help="LibreOffice only")
    args = ap.parse_args(argv)
    from finmodel import api
    from finmodel.workbook import parity, recalc, recalc_formulas

    print(f"{'workbook':28} {'expected':>9} {'LO mism.':>9} {'LO s':>6} {'formulas mism.':>15} {'formulas s':>11}")
    with tempfile.TemporaryDirectory() as d:
        for sc in SCENARIOS:
            name = "default" if sc is None else sc.stem
            path = Path(d) / f"{name}.xlsx"
            out = api.run(str(sc) if sc else None, workbook=path)
            result = out.results[0]
            expected = len(parity.expected_cells(result))
            t0 = time.perf_counter()
            lo = parity.compare(result, path, recalc.recalculate(path, Path(d) / f"{name}.lo.xlsx"))
            t_lo = time.perf_counter() - t0
            fm, t_fm = "-", 0.0
            if not args.no_formulas:
                t0 = time.perf_counter()
                fm = len(parity.compare(result, path, recalc_formulas.recalculate_values(path)))
                t_fm = time.perf_counter() - t0
            print(f"{name:28} {expected:>9,} {len(lo):>9} {t_lo:>6.1f} {fm!s:>15} {t_fm:>11.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
