"""Fund tranche losses under Monte Carlo (finmodel.funds.montecarlo, `finmodel compare --paths`): the degenerate
case reproduces the deterministic fund, the same seed gives the same results, a project's paths are those of
`finmodel simulate` with its seed, and PIS shifts the loss probability onto the government tranche while GIF
(equal preferred returns: strictly pro rata) spreads it equally."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from finmodel.funds import model
from finmodel.funds import montecarlo as fund_paths
from finmodel.risk import simulation
from finmodel.schema import load_raw

ROOT = Path(__file__).resolve().parent.parent

DEGENERATE = {
    "capex_overrun": {"kind": "lognormal", "mean": 1.0, "sd": 0.0},
    "construction_delay": {"kind": "triangular", "low": 0, "mode": 0, "high": 0},
    "opex": {"kind": "normal", "mean": 1.0, "sd": 0.0},
    "demand": {"sd": 0.0, "autocorrelation": 0.7},
    "fx": {"volatility": 0.0},
    "base_rate": {"volatility": 0.0, "mean_reversion": 0.2},
    "inflation": {"sd": 0.0},
    "political_event": {"annual_probability": 0.0},
}

SEVERE = {
    "capex_overrun": {"kind": "lognormal", "mean": 1.10, "sd": 0.15},
    "fx": {"volatility": 0.25},  # on the ringgit lines (demand moves user fees only)
    "opex": {"kind": "normal", "mean": 1.0, "sd": 0.10},
}


def write_portfolio(tmp_path, risk, revenue_factor=1.0, management_fee=0.0, kk_stake=0.02):
    raw = load_raw()
    raw["risk"] = risk
    raw["drivers"]["revenue_factor"] = revenue_factor
    (tmp_path / "project.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    kk = load_raw()
    kk.pop("risk")  # the default scenario without its risk block: deterministic
    (tmp_path / "kk.yaml").write_text(yaml.safe_dump(kk, sort_keys=False), encoding="utf-8")
    data = {
        "fund": {
            "name": "test fund",
            "structure": "pis",
            "start_date": dt.date(2026, 1, 1),
            "periods_per_year": 1,
            "term_years": 20,
            "investment_years": 5,
            "management_fee": management_fee,
            "tranches": {  # equal preferred returns: GIF is then strictly pro rata to contributions
                "government": {"commitment": 10.0e9, "preferred_return": 0.0},
                "public": {"commitment": 30.0e9, "preferred_return": 0.0},
                "private": {"commitment": 60.0e9, "preferred_return": 0.0},
            },
        },
        "projects": [
            {"name": "kk", "scenario": "kk.yaml", "stake": kk_stake},  # no risk block: deterministic
            {"name": "risky", "scenario": "project.yaml", "stake": 0.2},
        ],
    }
    path = tmp_path / "portfolio.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def severe(tmp_path_factory):
    path = write_portfolio(tmp_path_factory.mktemp("severe"), SEVERE)
    return path, fund_paths.simulate_fund(path, paths=400, seed=5, chunk_size=150)


def test_degenerate_distributions_reproduce_the_deterministic_fund(tmp_path):
    path = write_portfolio(tmp_path, DEGENERATE, revenue_factor=0.5, management_fee=0.01)
    res = fund_paths.simulate_fund(path, paths=3, seed=0, chunk_size=2)  # chunks of 2 and 1 (the padded path)
    det = {r.structure: r.metrics() for r in model.compare(path)}
    some_loss = False
    for s in ("pis", "gif"):
        for t in ("government", "public", "private"):
            expected = det[s][f"fund_{t}_loss"]
            some_loss |= expected > 1.0
            assert res.losses[s][t] == pytest.approx(np.full(3, expected), rel=1e-9, abs=1e-3), (s, t)
            assert res.deterministic[s][t] == pytest.approx(expected, rel=1e-9, abs=1e-3)
    assert some_loss  # the case is not trivially lossless


def test_same_seed_same_results_whatever_the_chunk_size(severe):
    path, res = severe
    again = fund_paths.simulate_fund(path, paths=400, seed=5, chunk_size=400)
    for s in res.structures:
        for t in res.tranches[s]:
            assert np.array_equal(res.losses[s][t], again.losses[s][t]), (s, t)
    assert res.to_json()["structures"] == again.to_json()["structures"]
    other = fund_paths.simulate_fund(path, paths=400, seed=6, chunk_size=400)
    assert not np.array_equal(res.losses["pis"]["government"], other.losses["pis"]["government"])


def test_project_paths_are_those_of_simulate_with_seed_plus_index(severe):
    path, res = severe
    assert res.seeds == {"risky": 6}  # project 1 (0-based) of seed 5; kk has no risk block
    lp = res.portfolio
    sc, det = simulation.prepare(lp.paths[1])
    spec = simulation.make_spec(sc, "base", det, 6, keep_rows=("equity_cf",))
    chunk = simulation.run_chunk(spec, 0, 50)
    sim = simulation.simulate(lp.paths[1], paths=50, seed=6, chunk_size=50, prepared=(sc, det))
    assert np.array_equal(chunk["equity_irr"], sim.paths_data["equity_irr"], equal_nan=True)
    assert "equity_cf" not in sim.paths_data and chunk["equity_cf"].shape == (50, det.model.periods)


def test_pis_shifts_loss_probability_to_government_gif_spreads_it(severe):
    _, res = severe
    pis, gif = res.summary("pis"), res.summary("gif")
    p = {t: pis[f"fund_{t}_p_loss"] for t in ("government", "public", "private")}
    assert p["government"] > 0.05  # losses occur on this case
    assert p["government"] >= p["public"] >= p["private"]
    assert p["government"] > p["private"] + 2 * pis["fund_government_p_loss_se"]
    g = {t: gif[f"fund_{t}_p_loss"] for t in ("government", "public", "private")}
    assert g["government"] == g["public"] == g["private"] > 0.0
    # the same fund loss in total on every path, only allocated differently
    tot = {s: sum(res.losses[s][t] for t in res.tranches[s]) for s in ("pis", "gif")}
    assert np.all(tot["pis"] >= 0) and np.all(tot["gif"] >= 0)
    assert pis["fund_private_expected_loss"] < gif["fund_private_expected_loss"]
    assert pis["fund_government_expected_loss"] > gif["fund_government_expected_loss"]
    for s in ("pis", "gif"):
        m = res.summary(s)
        for t in res.tranches[s]:
            assert m[f"fund_{t}_loss_p99"] >= m[f"fund_{t}_expected_loss"] >= 0.0


def test_compare_paths_cli(severe, tmp_path):
    path, res = severe
    js = tmp_path / "c.json"
    r = CliRunner().invoke(main, ["compare", path, "--paths", "400", "--seed", "5", "--json", str(js)])
    assert r.exit_code == 0, r.output
    assert "Fund tranche losses" in r.output
    mc = json.loads(js.read_text())["monte_carlo"]
    assert mc["paths"] == 400 and mc["project_seeds"] == {"risky": 6}
    for s in ("pis", "gif"):
        for t in ("government", "public", "private"):
            assert mc["structures"][s][f"fund_{t}_p_loss"] == pytest.approx(res.summary(s)[f"fund_{t}_p_loss"])
            assert f"fund_{t}_expected_loss" in mc["structures"][s]
    plain = CliRunner().invoke(main, ["compare", path, "--json", str(js)])
    assert plain.exit_code == 0 and "Fund tranche losses" not in plain.output
    assert "monte_carlo" not in json.loads(js.read_text())
    bad = CliRunner().invoke(main, ["compare", path, "--paths", "0"])
    assert bad.exit_code == 2


def test_first_loss_on_monte_carlo_paths(tmp_path):
    """The Monte Carlo first loss: degenerate drivers give the deterministic solver's share; under the severe
    drivers, keeping the private tranche's expected loss at 0 needs a positive share, and a looser target
    (5 % of contributions) never needs more (the share is monotone in the target)."""
    from finmodel.funds import first_loss
    from finmodel.funds import portfolio as pf
    from finmodel.funds import waterfall as wf

    det_path = write_portfolio(tmp_path, DEGENERATE, revenue_factor=0.3, management_fee=0.01)
    lp = pf.load(det_path)
    det = first_loss.solve(model.build(wf.FundTerms.from_spec(lp.fund), pf.project_flows(lp, "base")))
    mc = fund_paths.first_loss_monte_carlo(det_path, paths=3, seed=0)
    assert det.share > 0.0  # informative: the deterministic case needs a first loss
    # xtol 1e-7 of commitments: both solvers stop on the same grid, the paths being the deterministic case
    assert mc.share == pytest.approx(det.share, abs=1e-7)


def test_first_loss_monte_carlo_tightens_with_the_target(severe):
    path, _ = severe
    strict = fund_paths.first_loss_monte_carlo(path, paths=200, seed=5, max_expected_loss=0.0)
    loose = fund_paths.first_loss_monte_carlo(path, paths=200, seed=5, max_expected_loss=0.05)
    assert strict.share > 0.0 and strict.attainable
    assert loose.share <= strict.share


def test_macro_correlation_option(severe):
    path, res = severe
    assert res.correlation == 0.0 and res.to_json()["macro_correlation"] == 0.0
    corr = fund_paths.simulate_fund(path, paths=60, seed=5, chunk_size=60, correlation=0.4)
    assert corr.to_json()["macro_correlation"] == 0.4
    for bad in (-0.1, 1.0):
        with pytest.raises(fund_paths.InputError, match="--correlation"):
            fund_paths.simulate_fund(path, paths=10, seed=5, correlation=bad)


def test_compare_paths_out_reproduces_the_monte_carlo_statistics(tmp_path):

    import pandas as pd

    import finmodel

    po, js = tmp_path / "tranche paths.csv", tmp_path / "c.json"
    out = finmodel.compare(
        "scenarios/pis_high_risk_subfund.yaml", paths=80, seed=2, json_path=js, paths_out=po, correlation=0.3
    )
    assert po in out.written
    df = pd.read_csv(po, index_col="path")
    assert list(df.index) == list(range(80))
    mc = json.loads(js.read_text())["monte_carlo"]
    tol = mc["loss_tolerance_krw"]
    checked = 0
    for structure, stats in mc["structures"].items():
        for key, value in stats.items():
            if not key.endswith("_p_loss"):
                continue
            tranche = key[len("fund_") : -len("_p_loss")]
            loss = df[f"{structure}_fund_{tranche}_loss"]
            assert (loss > tol).mean() == value
            # 1e-9 relative: the CSV keeps 10 significant digits of each loss
            assert loss.mean() == pytest.approx(stats[f"fund_{tranche}_expected_loss"], rel=1e-9, abs=1e-3)
            assert np.percentile(loss, 99) == pytest.approx(stats[f"fund_{tranche}_loss_p99"], rel=1e-9, abs=1e-3)
            checked += 1
    # column names are metric names and positions, never user text (a portfolio's project names are lower-case
    # identifiers by its schema, and still stay out of the columns: the JSON maps p<k> to the name)
    assert all(re.fullmatch(r"[a-z0-9_]+", c) for c in df.columns)
    tranche_cols = [c for c in df.columns if not re.match(r"p\d+_", c)]
    assert checked * 3 == len(tranche_cols) >= 12  # loss, IRR and multiple of every tranche of both structures
    for structure, stats in mc["structures"].items():
        for key in stats:
            if key.endswith("_p_loss"):
                t = f"{structure}_{key[: -len('_p_loss')]}"
                loss, irr, mult = df[f"{t}_loss"], df[f"{t}_irr"], df[f"{t}_multiple"]
                # independent invariants: a tranche that loses gets back less than it paid in, and an IRR, where
                # there is one, is negative exactly when the multiple is below 1
                assert (mult[loss > tol] < 1).all()
                both = irr.notna()
                assert ((irr[both] < 0) == (mult[both] < 1 - 1e-9)).all()
    # each project: invested, returned, loss = invested not returned; the JSON's statistics are the file's
    assert set(mc["projects"]) == {"p1", "p2"} and mc["projects"]["p1"]["name"] == "santa_cruz"
    for key, st in mc["projects"].items():
        inv, ret, loss = df[f"{key}_invested"], df[f"{key}_returned"], df[f"{key}_loss"]
        # the CSV keeps 10 significant digits of invested and returned: their difference, 1e-9 of them
        np.testing.assert_allclose(loss, np.maximum(0.0, inv - ret), rtol=1e-9, atol=1e-9 * float(inv.max()))
        assert (inv > 0).all()
        assert loss.mean() == pytest.approx(st["expected_loss"], rel=1e-9, abs=1e-3)
        assert (loss > tol).mean() == st["p_loss"]
