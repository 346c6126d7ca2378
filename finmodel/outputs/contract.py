"""The JSON output contract of a run (run_json, case_json, metric_info, run_warnings) and its atomic writer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from finmodel.files import STDOUT, atomic_write
from finmodel.version import __version__


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


def metric_info(result, scenario) -> dict:
    """``{metric: {"label", "unit", "definition"}}``: the workbook label and unit of every metric (money in the
    currency) and its definition in words (:func:`finmodel.outputs.definitions.metric_definition`, as
    docs/metrics.md)."""
    from finmodel.outputs.definitions import metric_definition

    out = {}
    for n in result.metric_names:
        row = result.model.rows[n]
        unit = row.unit or (scenario.project.currency if row.fmt.startswith("money") else "")
        out[n] = {"label": row.label, "unit": unit, "definition": metric_definition(n, row.label)}
    return out


def run_warnings(scenario, results) -> list[dict]:
    """Eligibility warnings (blending rules the plan allows as exceptions) and plausibility warnings (legal but
    unusual values), as ``{"kind", "field", "message"}``; a case repeats a warning of the base case only when
    its own value differs."""
    from finmodel.inputs import plausibility
    from finmodel.inputs.findings import warnings_for

    out = [{"kind": "eligibility", "field": w.field_path, "message": w.message} for w in warnings_for(scenario)]
    seen = set()
    for r in results:
        for field, msg in plausibility.scenario_warnings(r.builder.scenario):
            if (field, msg) not in seen:
                seen.add((field, msg))
                where = field if r.case == "base" else f"cases.{r.case}: {field}"
                out.append({"kind": "plausibility", "field": where, "message": msg})
        out += [{"kind": "plausibility", "field": f, "message": m} for f, m in plausibility.result_warnings(r)]
    return out


def run_json(results, scenario, warnings=()) -> dict:
    """One case: the case object itself; several: ``{"cases": [...]}`` with the provenance on top. Both carry
    ``metric_info`` (label and unit of every metric key) and ``warnings`` (eligibility, plausibility)."""
    cases = [case_json(r, scenario) for r in results]
    extra = {"metric_info": metric_info(results[0], scenario), "warnings": list(warnings)}
    if len(cases) == 1:
        return {**cases[0], **extra}
    return {
        "finmodel_version": __version__,
        "scenario": str(scenario.source),
        "scenario_sha256": scenario.sha256,
        "cases": cases,
        **extra,
    }


def write_json(data: dict, path) -> Path | None:
    """Write JSON atomically (temporary file, then rename); ``path`` ``-``: to standard output (returns None)."""
    if str(path) == STDOUT:
        sys.stdout.write(json.dumps(data, indent=2, allow_nan=False) + "\n")
        sys.stdout.flush()
        return None

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, allow_nan=False)
            fh.write("\n")

    return atomic_write(path, write)
