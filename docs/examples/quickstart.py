"""finmodel from Python, end to end: load a scenario, run its cases, read the tables, write the workbook and
JSON, simulate, the grant elements, and compare fund structures.

Run it from anywhere (it finds the shipped scenarios beside it)::

    python docs/examples/quickstart.py [OUTPUT_FOLDER]

The same lines work in a notebook cell by cell. The test suite runs this file (tests/test_api.py).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import finmodel

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def main(out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)

    # 1. Read and validate once. Bad input raises finmodel.errors.InputError naming the field path.
    sc = finmodel.load(SCENARIOS / "bolivia_santa_cruz.yaml")
    print(f"{sc.project.name} ({sc.project.country}), sha256 {sc.sha256[:12]}, cases {sc.case_names()}")

    # 2. Run the base case and the lenders' downside (financing as sized on the base case).
    res = finmodel.run(sc, cases=["base", "downside"])
    print(res.summary.loc[["equity_irr", "project_irr", "min_dscr", "gearing"]].round(4))

    # 3. Period cash flows: a DataFrame indexed by period-end dates, one column per model row [USD].
    cf = res["downside"].cashflows
    print(cf[["revenue", "cfads", "senior_due", "dscr"]].loc["2031"].round(0))
    print("unit of cfads:", cf.attrs["units"]["cfads"], "| label:", cf.attrs["labels"]["cfads"])

    # 4. The annual roll-up: flows summed, balances at year end, ratios at their minimum in the year.
    annual = res["downside"].annual
    print(annual[["revenue", "cfads", "dscr", "dsra_balance"]].head(6).round(2))

    # 5. Every check of the Checks sheet (the master check multiplies them all).
    assert res.checks["master_check"], res.checks[~res.checks]

    # 6. The live workbook (base case live, downside on the Cases sheet) and the JSON output contract.
    workbook = res.to_excel(out_dir / "bolivia.xlsx")
    js = res.to_json(out_dir / "bolivia.json")
    print("wrote", workbook, "and", js)

    # 7. Monte Carlo over the scenario's risk block: one row per path, and the summary probabilities. Two local
    #    processes (the same results as one); 500 paths re-run per driver held at its deterministic value.
    sim = finmodel.simulate(sc, paths=2_000, seed=7, workers=2, explain_paths=500)
    print(sim.summary[["p_default", "p_min_dscr_below_1", "equity_irr_p10", "equity_irr_p50"]].round(4))
    print({r["driver"]: round(r["contribution"], 4) for r in sim.raw.default_drivers["held"]})

    # 8. Grant elements of the modelled facilities and the package, with the ODA and tied-aid verdicts.
    ge = finmodel.grant_element(sc)
    print(ge.grant_elements[["kind", "grant_element", "oda_passes", "helsinki_passes"]])

    # 9. A PIS fund over a portfolio of projects, under PIS (subordinated) and GIF (pari passu) structures.
    cmp = finmodel.compare(SCENARIOS / "pis_smart_city_subfund.yaml", case="severe")
    print(cmp.tranches.xs("loss", axis=1, level="metric").map(lambda x: f"{x / 1e9:,.1f} bn KRW"))

    return {"result": res, "simulation": sim, "grant_elements": ge, "comparison": cmp, "written": [workbook, js]}


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="finmodel-quickstart-")))
