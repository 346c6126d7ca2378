"""Programme runs: validation (field path, exit 2), deployment against capacity, scaling of candidates,
reproducibility by seed, and `finmodel programme` end to end on the shipped file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from finmodel.errors import InputError
from finmodel.funds import programme as pg

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "scenarios" / "pis_programme_2019.yaml"


def programme_dict(**changes):
    d = {
        "programme": {"name": "t", "deployment_years": 2},
        "fund": {
            "name": "f",
            "structure": "pis",
            "start_date": dt.date(2026, 1, 1),
            "term_years": 20,
            "investment_years": 5,
            "management_fee": 0.0,
            "tranches": {
                "government": {"commitment": 10.0e9},
                "public": {"commitment": 30.0e9},
                "private": {"commitment": 60.0e9},
            },
        },
        "pipeline": [
            {
                "name": "a",
                "country": "MYS",
                "sector": "water",
                "size": 0.5e12,
                "probability_of_close": 1.0,
                "scenario": "default",
                "latest_year": 1,
            },
            {
                "name": "b",
                "country": "MYS",
                "sector": "mobility",
                "size": 0.3e12,
                "probability_of_close": 1.0,
                "template": "default",
                "earliest_year": 2,
                "orders_share": 0.5,
            },
        ],
    }
    for k, v in changes.items():
        d[k] = v
    return d


def write(tmp_path, d, name="p.yaml"):
    f = tmp_path / name
    f.write_text(yaml.safe_dump(d, sort_keys=False))
    return f


def test_validation_names_the_field(tmp_path):
    d = programme_dict()
    d["pipeline"][0]["probability_of_close"] = 40
    d["pipeline"][1]["country"] = "XXX"
    d["pipeline"][1]["scenario"] = "default"  # and template: both
    d["programme"]["deployment_years"] = 6
    with pytest.raises(InputError) as e:
        pg.load(write(tmp_path, d))
    where = {p for p, _ in e.value.problems}
    assert "pipeline.0.probability_of_close" in where
    d = programme_dict()
    d["pipeline"][1]["country"] = "XXX"
    d["pipeline"][1]["scenario"] = "default"
    d["programme"]["deployment_years"] = 6
    with pytest.raises(InputError) as e:
        pg.load(write(tmp_path, d))
    where = {p for p, _ in e.value.problems}
    assert {"pipeline.1", "pipeline.1.country", "programme.deployment_years"} <= where
    r = CliRunner().invoke(main, ["programme", str(write(tmp_path, d)), "--paths", "4"])
    assert r.exit_code == 2 and "pipeline.1.country" in r.output and "Traceback" not in r.output


def test_high_risk_candidate_needs_a_co_investor(tmp_path):
    from finmodel.schema import default_scenario_bytes

    text = default_scenario_bytes().decode().replace("kind: eca", "kind: commercial")
    assert "kind: commercial" in text
    (tmp_path / "no_eca.yaml").write_text(text)
    d = programme_dict()
    d["pipeline"][0].update(country="IRQ", scenario="no_eca.yaml")  # category 7, no ECA / MDB facility
    with pytest.raises(InputError) as e:
        pg.load(write(tmp_path, d))
    assert e.value.problems[0][0] == "pipeline.0.co_investors"
    d["pipeline"][0]["co_investors"] = ["eca"]
    pg.load(write(tmp_path, d))


def test_candidates_are_their_scenario_scaled_to_size(tmp_path):
    lp = pg.load(write(tmp_path, programme_dict()))
    a, b = lp.candidates
    from finmodel.inputs.validation import load_scenario
    from finmodel.model import engine

    m = engine.evaluate_case(load_scenario(None), "base", None, resize=True).metrics()
    fx = 1380.0  # the default scenario's KRW per USD
    assert a.scale == pytest.approx(0.5e12 / (m["total_uses"] * fx), rel=1e-12)
    assert a.fund_equity_krw == pytest.approx(0.20 * m["total_equity"] / m["total_uses"] * 0.5e12, rel=1e-12)
    assert a.orders_usd == pytest.approx(m["total_capex"] / m["total_uses"] * 0.5e12 / fx, rel=1e-12)
    assert b.orders_usd == pytest.approx(0.5 * m["total_capex"] / m["total_uses"] * 0.3e12 / fx, rel=1e-12)
    assert a.jobs == pytest.approx(a.orders_usd / 1e10 * 33000, rel=1e-12)


def test_deployment_takes_candidates_in_order_of_close_within_capacity():
    closed = np.array([[True, True, True], [True, False, True], [False, False, False]])
    year = np.array([[2, 1, 1], [1, 1, 1], [1, 1, 1]])
    equity = np.array([50.0, 40.0, 30.0])
    got = pg.deploy(closed, year, equity, 80.0)
    # path 0: year-1 closes first (b 40, c 30 -> 70), then a (50) no longer fits
    # path 1: a 50 then c 30 = 80 fits exactly; path 2: nothing closes
    np.testing.assert_array_equal(got, [[False, True, True], [True, False, True], [False, False, False]])


def test_certain_closes_give_a_degenerate_programme(tmp_path):
    """Every candidate closes in a known year (probability 1, one-year windows): every path is the same, with both
    candidates deployed (0.5 + 0.3 trn KRW x ~5% fund equity << 100 bn KRW). The candidates use the default
    scenario without its risk block, so their cash flows are deterministic too."""
    from finmodel.schema import load_raw

    raw = load_raw()
    raw.pop("risk")
    write(tmp_path, raw, "plain.yaml")
    d = programme_dict()
    d["pipeline"][0]["scenario"] = "plain.yaml"
    d["pipeline"][1].pop("template")
    d["pipeline"][1]["scenario"] = "plain.yaml"
    lp = pg.load(write(tmp_path, d))
    r = pg.simulate(lp, paths=5, seed=3)
    assert r.deployed.all() and (r.year[:, 0] == 1).all() and (r.year[:, 1] == 2).all()
    for k in ("orders_usd", "jobs", "commitments_deployed_krw", "fund_private_loss", "fund_private_irr"):
        assert np.ptp(r.per_path[k]) == 0.0, k
    assert r.per_path["orders_usd"][0] == pytest.approx(sum(c.orders_usd for c in lp.candidates), rel=1e-12)
    assert (r.per_path["master_check"] == 1.0).all()


def test_programme_is_reproducible_by_seed():
    lp = pg.load(SHIPPED)
    a = pg.simulate(lp, paths=40, seed=11, chunk_size=16)
    b = pg.simulate(lp, paths=40, seed=11, chunk_size=40)  # chunking does not change a path
    c = pg.simulate(lp, paths=40, seed=12)
    for k in ("orders_usd", "commitments_deployed_krw", "fund_private_irr", "fund_government_loss"):
        np.testing.assert_array_equal(a.per_path[k], b.per_path[k])
    np.testing.assert_array_equal(a.deployed, b.deployed)
    assert not np.array_equal(a.per_path["orders_usd"], c.per_path["orders_usd"])
    # every shipped project scenario has a risk block: every candidate is simulated, candidate k with seed + k
    assert a.simulated == {c.spec.name: 11 + k for k, c in enumerate(lp.candidates)}


def test_cli_programme_on_the_shipped_file(tmp_path):
    d = tmp_path / "out [x]"
    r = CliRunner().invoke(
        main,
        [
            "programme",
            str(SHIPPED),
            "--paths",
            "24",
            "--seed",
            "2",
            "--json",
            "-",
            "--charts",
            str(d),
            "-o",
            str(d / "p.xlsx"),
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["reference"]["orders_usd"] == 2.0e10 and data["paths"] == 24
    assert set(data["tranches"]) == {"government", "public", "private", "fund"}
    assert "not counted as -100 %" in data["irr_statistics"]  # the rule for IRR statistics over paths
    assert all(0 <= t["irr"]["undefined_share"] <= 1 for t in data["tranches"].values())
    assert data["drivers"]["investable_capacity_krw"] == pytest.approx(1.5e12 * 0.95 / 1.15, rel=1e-12)
    assert data["drivers"]["fund_checks_passed_share"] == 1.0  # the shipped pipeline stays well within capacity
    assert (d / "programme.png").stat().st_size > 10_000 and (d / "p.xlsx").exists()


def test_validate_accepts_the_shipped_programme_and_names_a_missing_scenario(tmp_path):
    r = CliRunner().invoke(main, ["validate", str(SHIPPED)])
    assert r.exit_code == 0 and r.output.startswith("OK")
    d = programme_dict()
    d["pipeline"][0]["scenario"] = "nosuch.yaml"
    r = CliRunner().invoke(main, ["validate", str(write(tmp_path, d))])
    assert r.exit_code == 2 and "pipeline.0.scenario" in r.output and "no such file" in r.output
