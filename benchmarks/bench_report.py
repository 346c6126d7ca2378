"""Credit-paper benchmarks (issue 25): wall time of ``finmodel report`` of the embedded default, HTML and PDF.

Run: ``python benchmarks/bench_report.py [--repeat 3]``. Prints the best of ``repeat`` runs (other load only makes a
run slower) and the PDF's size. Targets (docs): <= 10 s deterministic, <= 30 s with ``--paths 20000``. Figures go
in the closing note; never in tests.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import finmodel

CASES = [
    ("default: every case, sensitivities, grant elements; HTML + PDF", dict()),
    ("default with --paths 20000 (lenders' view); HTML + PDF", dict(paths=20000, seed=0)),
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"{'report':64} {'best s':>8} {'PDF kB':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        html, pdf = Path(tmp) / "r.html", Path(tmp) / "r.pdf"
        for name, kw in CASES:
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                finmodel.report(html=html, pdf=pdf, **kw)
                times.append(time.perf_counter() - t0)
            print(f"{name:64} {min(times):8.2f} {pdf.stat().st_size / 1024:7.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
