"""Outputs of a run: the JSON of the output contract and the terminal summary table."""

from __future__ import annotations

import json
import math
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


def fmt_metric(value, fmt: str, unit: str, currency: str) -> str:
    """A metric for the terminal, formatted by its row's format (the same one the workbook uses)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if fmt == "pct":
        return f"{value:.2%}"
    if fmt == "x":
        return f"{value:.2f}x"
    if fmt in ("money", "money2"):
        return f"{value / 1e6:,.1f}m {unit or currency}"
    if fmt in ("int", "check", "flag"):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def summary_table(results, scenario):
    """A rich Table: one column per case, one row per metric, the checks last."""
    from rich.table import Table

    cur = scenario.project.currency
    t = Table(title=f"{scenario.project.name}  [{scenario.source}]", title_justify="left")
    t.add_column("metric")
    for r in results:
        t.add_column(r.case + ("" if r.resized else " *"), justify="right")
    metrics = [r.metrics() for r in results]
    rows = results[0].model.rows
    for name in results[0].metric_names:
        row = rows[name]
        t.add_row(name, *[fmt_metric(m.get(name), row.fmt, row.unit, cur) for m in metrics])
    checks = [r.checks() for r in results]
    t.add_row("master check", *["[green]OK[/green]" if c["master_check"] else "[red]FAILED[/red]" for c in checks])
    failed = sorted({k for c in checks for k, ok in c.items() if not ok and k != "master_check"})
    for k in failed:
        t.add_row(f"  {k}", *["ok" if c.get(k, True) else "[red]failed[/red]" for c in checks])
    if any(not r.resized for r in results):
        t.caption = "* financing as sized on the base case"
    return t
