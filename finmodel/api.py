"""The library entry points the command line calls: one function per command, no printing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from finmodel import engine, excel, report
from finmodel.files import check_output_path
from finmodel.scenario import load_scenario


@dataclasses.dataclass
class RunOutput:
    scenario: object
    results: list
    written: list[Path]

    def json(self) -> dict:
        return report.run_json(self.results, self.scenario)


def run(scenario_path=None, cases=None, *, workbook=None, json_path=None) -> RunOutput:
    """Run the cases of a scenario; write the workbook and/or JSON if asked. Inputs are checked first,
    so bad input never leaves a file behind."""
    wb_path = check_output_path(workbook, ".xlsx", "--output")
    js_path = check_output_path(json_path, ".json", "--json")
    sc = load_scenario(scenario_path)
    results = engine.run(scenario_path, cases)
    written = []
    if wb_path is not None:
        written.append(
            excel.write_workbook(results, wb_path, scenario=sc, provenance=excel.provenance(sc, results[0].case))
        )
    if js_path is not None:
        written.append(report.write_json(report.run_json(results, sc), js_path))
    return RunOutput(sc, results, written)


def integrity_failures(results) -> list[str]:
    """One line per case whose integrity checks fail: the case and each failed check's name and label.

    Every check on the Checks sheet is an integrity check (sources = uses, cash conserved, balances repaid
    unless in default and never negative, DSRA never negative, commitments drawn, debt sized as solved): a
    failure means the model cannot be trusted, not that the project is weak. Covenant breaches and payment
    defaults are results (rows and metrics), never checks.
    """
    lines = []
    for r in results:
        failed = [n for n, ok in r.checks().items() if not ok and n != "master_check"]
        if failed:
            names = "; ".join(f"{n} ({r.model.rows[n].label})" for n in failed)
            lines.append(f"case {r.case}: {names}")
    return lines


def summary(out: RunOutput):
    return report.summary_table(out.results, out.scenario)


def validate(path):
    """Validate a scenario file (and every case in it), a fund portfolio file (and its projects), or a programme
    file (and its candidates' scenarios).

    Returns the base Scenario, or None for a portfolio or programme; raises InputError with every problem."""
    from finmodel.scenario import load_raw, validate_file

    raw = load_raw(path)
    if isinstance(raw, dict) and "projects" in raw and "project" not in raw:
        from finmodel.fund import portfolio

        portfolio.load(path)
        return None
    if isinstance(raw, dict) and "pipeline" in raw and "project" not in raw:
        from finmodel.fund import programme

        programme.load(path)
        return None
    return validate_file(path)
