"""The run summary a financing officer reads: the scenario's own names, one line per facility, the constraint
that sized the debt with the slack of the other, a verdict per case, grouped sections, 100 columns."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from rich.console import Console

from cli import main
from finmodel.inputs import plausibility
from finmodel.inputs.validation import load_scenario
from finmodel.model import engine
from finmodel.outputs.summary import LABEL_WIDTH, WIDTH, label_width, summary
from finmodel.schema import load_raw


def _render(results, scenario) -> str:
    con = Console(width=100, record=True, color_system=None)
    with con.capture() as cap:
        con.print(summary(results, scenario))
    return cap.get()


@pytest.fixture(scope="module")
def default_run():
    return engine.run(None, ["base", "downside"]), load_scenario(None)


def test_names_sections_and_width(default_run):
    results, sc = default_run
    text = _render(results, sc)
    for name in [sc.project.name] + [s.name for s in sc.sponsors] + [f.name for f in sc.debt.facilities]:
        assert name in text, name
    for section in ("Returns", "Cover ratios", "Financing", "Sources and uses", "Blended finance", "Checks"):
        assert section in text
    assert "sponsor1_npv" not in text and "d1_grant_element" not in text  # labels, never internal keys
    assert all(len(line) <= 100 for line in text.splitlines())
    # one line per facility: kind, amount in millions, rate, grace / tenor, repayment
    line = next(ln for ln in text.splitlines() if ln.startswith("EDPF "))
    assert "edpf" in line and "90.0" in line and "2.50% fixed" in line and "5/20 y" in line and "equal" in line


def test_verdict_against_the_targets(default_run):
    results, sc = default_run
    text = _render(results, sc)
    m = results[0].metrics()
    assert m["min_dscr"] >= sc.debt.sizing.target_dscr and m["equity_irr"] >= sc.equity_discount_rate
    assert "base: meets targets (min DSCR 1.58x >= target 1.30x" in text
    down = results[1].metrics()
    assert down["min_dscr"] < sc.debt.sizing.target_dscr  # the lenders' downside breaches the sizing target
    assert "downside: misses targets (min DSCR" in text


def test_sizing_line_names_the_binding_constraint_and_the_slack(default_run):
    results, sc = default_run
    lim = engine.sizing_limits(results[0])
    assert lim["binding"] == "gearing"
    # the sized debt equals the gearing cap to the solver's tolerance (1e-11 relative, 1 USD is far above it)
    assert lim["debt"] == pytest.approx(lim["gearing_cap"], abs=1.0)
    assert lim["dscr_capacity"] > lim["debt"]
    text = _render(results, sc)
    slack = (lim["dscr_capacity"] - lim["debt"]) / 1e6
    assert "Debt sized by the gearing cap (gearing 75% of uses after grants): 335.3m USD." in text
    assert f"slack {slack:,.1f}m USD" in text


def test_a_demanding_dscr_target_sizes_the_debt(tmp_path):
    raw = copy.deepcopy(load_raw(None))
    raw["debt"]["sizing"]["target_dscr"] = 2.0  # at 1.30x gearing binds even at 95 %: CFADS covers it
    path = tmp_path / "geared.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    res = engine.run(path)[0]
    lim = engine.sizing_limits(res)
    assert lim["binding"] == "dscr" and lim["gearing_cap"] > lim["debt"]
    # at the DSCR capacity the minimum sizing DSCR meets the target (the engine's check_debt_sizing proves it)
    assert res.checks()["check_debt_sizing"]
    assert lim["debt"] == pytest.approx(lim["dscr_capacity"], rel=1e-6)  # bisection and fixed point ~1e-10
    text = _render([res], load_scenario(path))
    assert "Debt sized by the DSCR capacity at the target DSCR 2.00x" in text
    assert "gearing cap (gearing 75% of uses after grants) would allow" in text


def test_guarantees_by_name_and_fixed_debt(tmp_path):
    path = "scenarios/iraq_bismaya.yaml"
    results = engine.run(path, ["base", "default"])
    sc = load_scenario(path)
    text = _render(results, sc)
    for g in sc.guarantees:
        assert g.name in text
    assert "every facility amount is fixed by the scenario" in text
    assert "default: misses targets" in text and "default in " in text


def test_plausibility_warnings(tmp_path):
    raw = copy.deepcopy(load_raw(None))
    raw["tax"]["rate"] = 0.65
    raw["debt"]["facilities"][2]["rate"]["margin"] = 0.16
    raw["drivers"]["revenue_factor"] = 6.0
    path = tmp_path / "odd.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    fields = {f for f, _ in plausibility.scenario_warnings(load_scenario(path))}
    assert fields == {"tax.rate", "debt.facilities[Commercial bank loan].rate.margin", "drivers.revenue_factor"}
    res = engine.run(path)[0]
    assert res.metrics()["equity_irr"] > 1.0  # revenue x6: an IRR beyond the plausible band
    assert "equity_irr" in [f for f, _ in plausibility.result_warnings(res)]
    # the run goes on, prints them and writes them into the JSON
    from click.testing import CliRunner

    from cli import main

    js = tmp_path / "odd.json"
    r = CliRunner().invoke(main, ["run", str(path), "--quiet", "--json", str(js)])
    assert r.exit_code == 0, r.output
    assert "warning: tax.rate: 65% is above the plausible 60%" in r.output
    data = json.loads(js.read_text())
    kinds = {(w["kind"], w["field"]) for w in data["warnings"]}
    assert ("plausibility", "tax.rate") in kinds and ("plausibility", "equity_irr") in kinds


def test_brief_keeps_the_headline_and_says_where_the_rest_is(tmp_path, monkeypatch):
    """``finmodel run --brief``: verdict, financing, returns, cover ratios, sources and uses totals and the master
    check; the blended-finance, guarantee and lender sections are left to the full summary, and it says so."""
    monkeypatch.chdir(tmp_path)
    path = str(Path(__file__).resolve().parents[1] / "scenarios" / "iraq_bismaya.yaml")
    full = CliRunner().invoke(main, ["run", path])
    brief = CliRunner().invoke(main, ["run", path, "--brief"])
    assert full.exit_code == 0 and brief.exit_code == 0, (full.output, brief.output)
    for part in ("misses targets", "Financing (case base)", "Returns", "Minimum DSCR", "Total debt drawn", "Gearing"):
        assert part in brief.output, part
    assert "Master check (every check of the Checks sheet)" in brief.output
    for part in ("Blended finance", "Guarantees and insurance", "peak exposure", "Lenders"):
        assert part in full.output and part not in brief.output, part
    assert "--json and -o" in brief.output and "--json and -o" not in full.output
    assert len(brief.output.splitlines()) < len(full.output.splitlines()) / 2
    assert all(len(line) <= 100 for line in brief.output.splitlines() + full.output.splitlines())
    assert list(tmp_path.iterdir()) == []  # nothing written without -o / --json


def test_label_column_takes_the_width_one_case_leaves(default_run):
    """One case: long workbook labels stay on one line (the label column takes what the case column leaves of
    100 columns); three cases: the label column keeps its 56 characters."""
    assert label_width(1) > 80 and label_width(1) + 15 <= WIDTH
    assert label_width(3) == LABEL_WIDTH
    results, sc = default_run
    text = _render(results[:1], sc)
    label = "Senior debt service left unpaid (sum over the periods, undiscounted)"
    assert len(label) > LABEL_WIDTH and any(line.startswith(label) for line in text.splitlines())
