"""Per-path export of ``programme`` and ``fund --first-loss --paths`` (issue 22): the file reproduces the command's
JSON statistics, so anyone can check them (frontier and compare: tests/test_fund_frontier.py,
tests/test_risk_fund_paths.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from finmodel import api
from finmodel.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
PROGRAMME = ROOT / "scenarios" / "pis_programme_2019.yaml"
SUBFUND = ROOT / "scenarios" / "pis_smart_city_subfund.yaml"
HIGH_RISK = ROOT / "scenarios" / "pis_high_risk_subfund.yaml"


def test_programme_paths_out_reproduces_the_json(tmp_path):
    out = api.programme(PROGRAMME, paths=300, seed=7, json_path=tmp_path / "p.json", paths_out=tmp_path / "p.csv")
    js = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    df = pd.read_csv(tmp_path / "p.csv", index_col="path")
    assert len(df) == 300 and list(df.index[:3]) == [0, 1, 2]
    # distributions: mean and numpy's linear percentiles of the columns (CSV keeps 10 significant digits)
    for name in ("projects_deployed", "commitments_deployed_krw", "orders_usd", "jobs"):
        d = js["distributions"][name]
        assert df[name].mean() == pytest.approx(d["mean"], rel=1e-9), name
        assert np.percentile(df[name], 50) == pytest.approx(d["p50"], rel=1e-9), name
    for t, d in js["tranches"].items():
        col = f"fund_{t}_loss" if t != "fund" else "fund_loss"
        assert df[col].mean() == pytest.approx(d["expected_loss_krw"], rel=1e-9, abs=1.0), t
        irr = df[f"fund_{t}_irr" if t != "fund" else "fund_irr"].dropna()
        assert irr.median() == pytest.approx(d["irr"]["p50"], rel=1e-8), t
    # what was deployed, candidate by candidate, adds up to the count per path
    deployed = df[[c for c in df.columns if c.endswith("_deployed") and c.startswith("c")]].sum(axis=1)
    np.testing.assert_allclose(deployed, df["projects_deployed"])
    assert out.written[-1] == tmp_path / "p.csv"


def test_fund_first_loss_paths_out_reproduces_the_solver(tmp_path):
    out = api.fund(
        SUBFUND,
        first_loss_case="base",
        paths=200,
        seed=3,
        max_expected_loss=0.01,
        paths_out=tmp_path / "f.csv",
    )
    fl = out.first_loss
    df = pd.read_csv(tmp_path / "f.csv", index_col="path")
    assert len(df) == 200
    # the solver's criterion on the same paths: the private tranche's expected loss within 1 % of contributions
    contrib = df["fund_private_contributions"]
    assert (df["fund_private_loss"].mean() / contrib.mean()) <= 0.01 + 1e-9
    assert fl.commitments["government"] + fl.commitments["public"] > 0 or fl.share == 0
    # tranche losses are contributions not returned: never negative, never above the contributions
    for t in ("government", "public", "private"):
        assert (df[f"fund_{t}_loss"] >= 0).all() and (df[f"fund_{t}_loss"] <= df[f"fund_{t}_contributions"] + 1).all()
    # each project: the fund's investment, what came back and the loss, by position (p1..p3), never by name
    for k in (1, 2, 3):
        inv, ret, loss = df[f"p{k}_invested"], df[f"p{k}_returned"], df[f"p{k}_loss"]
        assert (inv > 0).all()
        # the CSV keeps 10 significant digits of invested and returned: their difference, 1e-9 of them
        np.testing.assert_allclose(loss, np.maximum(0.0, inv - ret), rtol=1e-9, atol=1e-9 * float(inv.max()))


def test_paths_out_needs_paths():
    with pytest.raises(InputError, match="--paths-out"):
        api.fund(HIGH_RISK, first_loss_case="stress", paths_out="x.csv")
    with pytest.raises(InputError, match="--paths-out"):
        api.programme(PROGRAMME, paths=10, paths_out="x.txt")
