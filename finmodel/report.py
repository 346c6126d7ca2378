"""Outputs of a run: the JSON of the output contract and the terminal summary table."""

from __future__ import annotations

import json
from pathlib import Path

from finmodel import __version__
from finmodel.files import atomic_write


def case_json(result, scenario) -> dict:
    """``{"finmodel_version", "scenario", "scenario_sha256", "case", "metrics", "checks"}`` for one case."""
    return {
        "finmodel_version": __version__,
        "scenario": str(scenario.source),
        "scenario_sha256": scenario.sha256,
        "case": result.case,
        "financing": "sized on this case" if result.resized else "as sized on the base case",
        "metrics": result.metrics(),
        "checks": result.checks(),
    }


def run_json(results, scenario) -> dict:
    """One case: the case object itself; several: ``{"cases": [...]}`` with the provenance on top."""
    cases = [case_json(r, scenario) for r in results]
    if len(cases) == 1:
        return cases[0]
    return {
        "finmodel_version": __version__,
        "scenario": str(scenario.source),
        "scenario_sha256": scenario.sha256,
        "cases": cases,
    }


def write_json(data: dict, path) -> Path:
    """Write JSON atomically (temporary file, then rename)."""

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, allow_nan=False)
            fh.write("\n")

    return atomic_write(path, write)
