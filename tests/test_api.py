"""The public Python API (``finmodel.load / run / simulate / fund / compare``) and its pandas results.

Reference values are the engine's own arrays (the API is a view of them, never a second calculation) and
hand roll-ups of them; the quickstart example is executed end to end.
"""

from __future__ import annotations

import hashlib
import json
import math
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import finmodel
from finmodel.errors import InputError
from finmodel.model import engine
from finmodel.outputs import contract
from finmodel.outputs.results import ROLLUP, row_kinds
from finmodel.risk import simulation
from finmodel.schema import load_raw, reading

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BOLIVIA = SCENARIOS / "bolivia_santa_cruz.yaml"
PORTFOLIO = SCENARIOS / "pis_smart_city_subfund.yaml"


@pytest.fixture(scope="module")
def bolivia():
    return finmodel.run(finmodel.load(BOLIVIA), cases=["base", "downside"])


@pytest.fixture
def reads(monkeypatch):
    """Count the scenario files read (every load goes through ``finmodel.schema.reading.read``)."""
    calls = []
    real = reading.read

    def counting(path):
        calls.append(path)
        return real(path)

    monkeypatch.setattr(reading, "read", counting)
    return calls


# --- load ---------------------------------------------------------------------------------------------------


def test_load_keeps_the_hash_of_the_bytes_read():
    sc = finmodel.load(BOLIVIA)
    assert sc.sha256 == hashlib.sha256(BOLIVIA.read_bytes()).hexdigest()
    assert sc.source == str(BOLIVIA) and sc.case == "base"
    assert finmodel.load(sc) is sc  # a loaded scenario is taken as is


def test_load_a_mapping_hashes_its_canonical_json():
    raw = load_raw(BOLIVIA)
    a, b = finmodel.load(raw), finmodel.load(dict(reversed(list(raw.items()))))
    assert a.source == finmodel.api.DICT_SOURCE
    assert a.sha256 == b.sha256  # key order does not matter
    raw["equity_discount_rate"] = 0.13
    assert finmodel.load(raw).sha256 != a.sha256


def test_load_bad_mapping_names_the_field():
    raw = load_raw(BOLIVIA)
    raw["debt"]["facilities"][0]["rate"]["fixed"] = 8
    with pytest.raises(InputError) as exc:
        finmodel.load(raw)
    assert ("debt.facilities.0.rate.fixed", "expected a decimal such as 0.08, found 8") in exc.value.problems


# --- run: one read, the engine's numbers ----------------------------------------------------------------------


def test_run_reads_the_scenario_file_once(reads, tmp_path):
    res = finmodel.run(BOLIVIA, cases=["base", "downside", "imf_method"], json_path=tmp_path / "r.json")
    assert reads == [BOLIVIA]
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["scenario_sha256"] == hashlib.sha256(BOLIVIA.read_bytes()).hexdigest()
    assert [c["case"] for c in data["cases"]] == list(res)


def test_run_of_a_loaded_scenario_reads_nothing(reads):
    sc = finmodel.load(BOLIVIA)
    reads.clear()
    finmodel.run(sc, cases=["downside"])
    assert reads == []


def test_run_from_a_mapping_applies_cases():
    raw = load_raw(BOLIVIA)
    res = finmodel.run(raw, cases=["base", "downside"])
    ref = engine.run(BOLIVIA, ["base", "downside"])
    for r in ref:
        assert res[r.case].metrics.to_dict() == pytest.approx(
            {k: (math.nan if v is None else v) for k, v in r.metrics().items()}, nan_ok=True, rel=0, abs=0
        )


def test_unknown_case_is_refused_before_any_work(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("solved before the case names were checked")

    monkeypatch.setattr(engine, "evaluate_case", boom)
    with pytest.raises(InputError) as exc:
        finmodel.run(BOLIVIA, cases=["base", "nope"])
    assert "expected a case name (base, downside, imf_method, devaluation), found 'nope'" in exc.value.format()


def test_bad_output_path_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "run_scenario", lambda *a, **k: pytest.fail("ran before checking the output path"))
    with pytest.raises(InputError, match="expected a .xlsx file name"):
        finmodel.run(BOLIVIA, workbook=tmp_path / "out.txt")
    assert list(tmp_path.iterdir()) == []


def test_cashflows_are_the_engine_rows_by_period_end(bolivia):
    raw = bolivia.results[1]
    cf = bolivia["downside"].cashflows
    period_rows = [n for n, r in raw.model.rows.items() if not r.scalar]
    assert list(cf.columns) == period_rows
    assert len(cf) == raw.model.periods == 2 * (3 + 37)
    assert isinstance(cf.index, pd.DatetimeIndex) and cf.index.is_monotonic_increasing
    # semi-annual periods from 2028-01-01 over 40 years: the first ends 2028-06-30, the last 2067-12-31
    assert cf.index[0] == pd.Timestamp("2028-06-30") and cf.index[-1] == pd.Timestamp("2067-12-31")
    for name in ("revenue", "cfads", "dscr", "d1_closing", "equity_cf"):
        np.testing.assert_array_equal(cf[name].to_numpy(), raw.values[name][0])  # a view, not a recalculation
    assert cf.attrs["units"]["revenue"] == "USD" and cf.attrs["labels"]["dscr"] == "DSCR"
    assert set(cf.attrs["kinds"]) == set(cf.columns) and set(cf.attrs["kinds"].values()) <= set(ROLLUP)


def test_row_kinds_of_known_rows(bolivia):
    kinds = row_kinds(bolivia.results[0].model)
    expected = {
        "revenue": "flow",
        "cfads": "flow",
        "d1_interest": "flow",
        "d1_draw": "flow",
        "d1_profile": "flow",
        "d1_opening": "opening",
        "senior_opening": "opening",
        "d1_undrawn": "opening",
        "d1_closing": "balance",
        "dsra_balance": "balance",
        "tax_losses": "balance",
        "d1_cum_draw": "balance",
        "cash_retained": "balance",
        "d1_cum_profile": "balance",
        "dscr": "ratio",
        "llcr": "ratio",
        "d1_rate": "ratio",
        "operation_flag": "flag",
        "lockup_flag": "flag",
        "period": "counter",
        "period_end": "date",
    }
    assert {n: kinds[n] for n in expected} == expected


def test_annual_roll_up_by_hand(bolivia):
    case = bolivia["downside"]
    cf, annual = case.cashflows, case.annual
    assert len(annual) == 3 + 37 and annual.index[0] == pd.Timestamp("2028-12-31")
    year4 = cf.iloc[6:8]  # the first operating year: periods 7 and 8
    row = annual.iloc[3]
    assert row["revenue"] == year4["revenue"].sum()
    assert row["d1_closing"] == year4["d1_closing"].iloc[-1]
    assert row["d1_opening"] == year4["d1_opening"].iloc[0]
    assert row["dscr"] == year4["dscr"].min()
    assert row["operation_flag"] == 1.0 and annual.iloc[2]["last_construction_flag"] == 1.0
    assert annual["period_end"].iloc[3] == annual.index[3]
    # flows over the whole life are the same in both tables (summing order: 1e-12 relative)
    for name in ("revenue", "cfads", "senior_due", "equity_cf"):
        assert annual[name].sum() == pytest.approx(cf[name].sum(), rel=1e-12)


def test_metrics_and_checks_are_the_engine_s(bolivia):
    raw = bolivia.results[0]
    m = bolivia.metrics
    assert list(m.index) == raw.metric_names
    assert m["equity_irr"] == raw.metrics()["equity_irr"]
    assert m.attrs["units"]["min_dscr"] == raw.model.rows["min_dscr"].unit
    assert bolivia.checks.to_dict() == raw.checks() and bolivia.checks.index[-1] == "master_check"
    assert list(bolivia.summary.columns) == ["base", "downside"]
    assert bolivia.summary.loc["equity_irr", "downside"] == bolivia["downside"].metrics["equity_irr"]


def test_to_json_is_the_output_contract(bolivia, tmp_path):
    path = bolivia.to_json(tmp_path / "a b [1].json")
    assert json.loads(path.read_text()) == json.loads(json.dumps(contract.run_json(bolivia.results, bolivia.scenario)))


def test_to_excel_writes_the_live_workbook(bolivia, tmp_path):
    import openpyxl

    path = bolivia.to_excel(tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(path)
    assert "Cases" in wb.sheetnames
    assert set(bolivia.results[0].metric_names) <= set(wb.defined_names)
    assert path in bolivia.written


# --- simulate, fund, compare ------------------------------------------------------------------------------------


def test_simulate_is_the_risk_layer_s_run(reads):
    sim = finmodel.simulate(BOLIVIA, paths=300, seed=11, chunk_size=128)
    assert reads == [BOLIVIA]
    ref = simulation.simulate(BOLIVIA, paths=300, seed=11, chunk_size=128)
    pd.testing.assert_frame_equal(sim.paths, ref.dataframe())
    assert sim.summary.to_dict() == pytest.approx(
        {k: (math.nan if v is None else v) for k, v in ref.summary().items()}, nan_ok=True, rel=0, abs=0
    )
    with pytest.raises(InputError, match="--paths"):
        finmodel.simulate(BOLIVIA, paths=0)


def test_simulate_writes_json(tmp_path):
    sim = finmodel.simulate(BOLIVIA, paths=50, seed=1)
    data = json.loads(sim.to_json(tmp_path / "s.json").read_text())
    assert data["paths"] == 50 and data["seed"] == 1
    assert data["scenario_sha256"] == hashlib.sha256(BOLIVIA.read_bytes()).hexdigest()


def test_fund_is_callable_and_still_the_package():
    import finmodel.funds.portfolio  # noqa: F401 (binds the package to finmodel.fund)

    assert callable(finmodel.fund) and finmodel.funds.portfolio.__name__ == "finmodel.funds.portfolio"
    f = finmodel.fund(PORTFOLIO)
    assert list(f.tranches.index) == ["government", "public", "private", "fund"]
    structure = f.results[0].structure
    assert f.tranches.loc["private", (structure, "irr")] == f.metrics["fund_private_irr"]
    assert f.json()["scenario_sha256"] == hashlib.sha256(PORTFOLIO.read_bytes()).hexdigest()


def test_compare_tranches_side_by_side(tmp_path):
    cmp = finmodel.compare(PORTFOLIO, case="severe", json_path=tmp_path / "c.json")
    assert list(cmp.structures) == ["pis", "gif"]
    loss = cmp.tranches.xs("loss", axis=1, level="metric")
    net = cmp.tranches.xs("distributions", axis=1, level="metric") - cmp.tranches.xs(
        "contributions", axis=1, level="metric"
    )
    for s in ("pis", "gif"):
        tranches = loss.drop(index="fund")[s]
        m = cmp.structures[s].metrics
        # conservation: the tranches' net results sum to the fund's; the tranche losses add up to the fund's loss
        # plus what a tranche gains while the fund loses (under PIS the private tranche ends just above par here)
        assert net.loc["fund", s] == pytest.approx(net.drop(index="fund")[s].sum(), rel=1e-12)
        gains = net.drop(index="fund")[s].clip(lower=0).sum()
        assert tranches.sum() == pytest.approx(loss.loc["fund", s] + gains, rel=1e-12)
        assert m["fund_tranche_losses"] == pytest.approx(tranches.sum(), rel=1e-12)
        assert loss.loc["fund", s] == m["fund_loss"]
    assert loss.loc["private", "pis"] <= loss.loc["private", "gif"]  # subordination protects the private tranche
    assert json.loads((tmp_path / "c.json").read_text())["case"] == "severe"
    cf = cmp.structures["pis"].cashflows
    assert isinstance(cf.index, pd.DatetimeIndex) and cf.attrs["currency"] == "KRW"


# --- habits ------------------------------------------------------------------------------------------------------


def test_import_finmodel_is_light():
    heavy = "('numpy', 'pandas', 'finmodel.model.engine')"
    code = f"import sys, finmodel; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_quickstart_runs_end_to_end(tmp_path, capsys):
    ns = runpy.run_path(str(ROOT / "docs" / "examples" / "quickstart.py"), run_name="quickstart")
    out = ns["main"](tmp_path / "out [1]")
    for path in out["written"]:
        assert path.exists() and path.stat().st_size > 0
    assert out["result"].checks["master_check"]
    assert len(out["simulation"].paths) == 2000
    assert "Santa Cruz" in capsys.readouterr().out


def test_fund_commands_read_each_project_scenario_once(reads):
    """Portfolio, its Monte Carlo and its tranche sensitivities work from the scenarios loaded with the portfolio
    (cases applied to the bytes already read and hashed), never from a second read of a project file."""
    finmodel.compare(PORTFOLIO, paths=20, seed=3)
    assert reads and len(reads) == len(set(map(str, reads)))
    reads.clear()
    iraq = SCENARIOS / "iraq_bismaya.yaml"  # not in the portfolio: its one read is the command's own
    finmodel.api.sensitivity(iraq, only=["revenue"], portfolio=PORTFOLIO)
    assert iraq in reads and len(reads) == len(set(map(str, reads)))
