"""The subordination frontier: a hand-worked point (two projects, two paths, known losses), the portfolio run
(seeds, monotonicity), and `finmodel frontier` end to end (JSON to a file and to stdout, PNG, workbook, exit 2)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from finmodel.errors import InputError
from finmodel.funds import frontier as fr
from finmodel.funds import waterfall as wf

SHIPPED = Path(__file__).resolve().parent.parent / "scenarios" / "pis_high_risk_subfund.yaml"


def two_project_fund():
    """Commitments 10 / 30 / 60 (government / public / private), no fee, no preferred return, 3 annual periods."""
    terms = wf.FundTerms(
        name="hand",
        structure="pis",
        start_date=dt.date(2026, 1, 1),
        periods_per_year=1,
        term_years=3,
        investment_years=1,
        management_fee=0.0,
        tranches=(
            wf.TrancheTerms("government", 10.0),
            wf.TrancheTerms("public", 30.0),
            wf.TrancheTerms("private", 60.0),
        ),
        groups=(("government",), ("public",), ("private",)),
    )
    zero = np.zeros(3)
    projects = [wf.ProjectInput(f"p{k}", f"p{k}", "KRW", 1.0, 1.0, zero) for k in (1, 2)]
    return wf.build(terms, projects, 3)


def test_hand_worked_frontier_point():
    """Both projects take 50 in period 1. Path A returns 20 + 60 = 80 in period 3, path B 0 + 30 = 30.

    g = 0.2: government 20, public 80 x 30/90 = 26.67, private 53.33; the private tranche is paid first.
      A: 80 pays private 53.33 (loss 0), public 26.67 (loss 0), government 0 (loss 20).
      B: 30 pays private 30 (loss 23.33; IRR (30 / 53.33)^(1/2) - 1 = -25 %), the others nothing (losses 20, 26.67).
      private EL = 11.67, P(loss) = 1/2, government EL = 20.
    g = 0: public 33.33, private 66.67: A loss 0, B loss 36.67; private EL 18.33.
    Private EL removed per won of government EL at 0.2: (18.33 - 11.67) / 20 = 1/3; private capital per won of
    government EL: 53.33 / 20 = 2.67."""
    b = two_project_fund()
    ov = {
        "in_p1_equity_cf": np.array([[-50.0, 0.0, 20.0], [-50.0, 0.0, 0.0]]),
        "in_p2_equity_cf": np.array([[-50.0, 0.0, 60.0], [-50.0, 0.0, 30.0]]),
    }
    shares = fr.parse_steps([0.2])
    v = fr.evaluate_shares(b, shares, ov)
    priv = 60.0 * 80.0 / 90.0
    np.testing.assert_allclose(v["fund_private_loss"], [[0.0, 100 * 2 / 3 - 30], [0.0, priv - 30]], atol=1e-9)
    np.testing.assert_allclose(v["fund_government_loss"], [[0.0, 0.0], [20.0, 20.0]], atol=1e-9)
    assert v["fund_private_irr"][1, 1] == pytest.approx(-0.25, abs=1e-9)  # IRR solver tolerance is far tighter
    commit = fr.government_overrides(b.terms, shares)
    f = fr.Frontier(
        shares=shares,
        commitments=[{k[8:-11]: float(c[i, 0]) for k, c in commit.items()} for i in range(2)],
        private_loss=v["fund_private_loss"],
        private_irr=v["fund_private_irr"],
        government_loss=v["fund_government_loss"],
        paths=2,
        seed=0,
        tolerance=1e-6,  # amounts of ~100 here, not KRW billions
    )
    p0, p = f.points()
    assert p0["private_expected_loss"] == pytest.approx((100 * 2 / 3 - 30) / 2, abs=1e-9)
    assert p0["private_el_removed_per_won_gov_el"] is None  # no government tranche at 0
    assert p["commitments"] == pytest.approx({"government": 20.0, "public": 80 / 3, "private": priv})
    assert p["private_expected_loss"] == pytest.approx((priv - 30) / 2, abs=1e-9)
    assert p["private_p_loss"] == 0.5 and p["government_expected_loss"] == pytest.approx(20.0)
    assert p["private_el_removed_per_won_gov_el"] == pytest.approx(1 / 3, abs=1e-9)
    assert p["private_capital_per_won_gov_el"] == pytest.approx(priv / 20, abs=1e-9)


def test_steps_are_checked():
    assert fr.parse_steps("0.1, 0.05") == [0.0, 0.05, 0.1]
    for bad in ("5,10", "0.1,0.1", "a", "", "-0.1", "1"):
        with pytest.raises(InputError) as e:
            fr.parse_steps(bad)
        assert e.value.problems[0][0] == "--steps"


@pytest.fixture(scope="module")
def stress():
    return fr.frontier(SHIPPED, paths=64, seed=5, steps=[0.1, 0.3], case="stress")


def test_frontier_of_the_high_risk_portfolio(stress):
    pts = stress.points()
    el_p = [p["private_expected_loss"] for p in pts]
    el_g = [p["government_expected_loss"] for p in pts]
    # the same paths at every share: more government first loss never raises the private loss on any path
    assert np.all(np.diff(stress.private_loss, axis=0) <= 1.0)  # 1 KRW: the fund's money tolerance
    assert el_p[0] > el_p[1] > el_p[2] and el_g[0] == pytest.approx(0.0, abs=1.0) and el_g[1] < el_g[2]
    assert stress.simulated == {"santa_cruz": 5, "bismaya": 6}
    again = fr.frontier(SHIPPED, paths=64, seed=5, steps=[0.1, 0.3], case="stress")
    np.testing.assert_array_equal(again.private_loss, stress.private_loss)


def test_cli_frontier_writes_json_png_and_workbook(tmp_path):
    d = tmp_path / "out [1]"
    js, xl = d / "f.json", d / "f.xlsx"
    args = ["frontier", str(SHIPPED), "--paths", "16", "--seed", "1", "--steps", "0.2", "--case", "stress"]
    r = CliRunner().invoke(main, [*args, "--json", str(js), "-o", str(xl), "--charts", str(d)])
    assert r.exit_code == 0, r.output
    data = json.loads(js.read_text())
    assert [p["government_share"] for p in data["points"]] == [0.0, 0.2] and data["paths"] == 16
    assert (d / "frontier.png").stat().st_size > 10_000 and xl.exists()
    r = CliRunner().invoke(main, [*args, "--json", "-"])
    assert r.exit_code == 0
    assert json.loads(r.stdout)["points"] == data["points"]


def test_cli_frontier_bad_input_exits_2_and_writes_nothing(tmp_path):
    js = tmp_path / "f.json"
    r = CliRunner().invoke(main, ["frontier", str(SHIPPED), "--paths", "8", "--steps", "20", "--json", str(js)])
    assert r.exit_code == 2 and "--steps" in r.output and "never 5" in r.output and not js.exists()
    r = CliRunner().invoke(main, ["frontier", str(SHIPPED), "--paths", "8", "-o", str(tmp_path / "f.txt")])
    assert r.exit_code == 2 and "--output" in r.output


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_per_path_file_reproduces_the_frontier_statistics(tmp_path, suffix):
    import pandas as pd

    import finmodel

    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    po, js = tmp_path / f"frontier paths{suffix}", tmp_path / "f.json"
    out = finmodel.frontier(
        "scenarios/pis_high_risk_subfund.yaml", paths=60, seed=3, steps="0,0.2", json_path=js, paths_out=po
    )
    assert po in out.written
    df = pd.read_csv(po) if suffix == ".csv" else pd.read_parquet(po)
    head = ["government_share", "path", "fund_private_loss", "fund_government_loss", "fund_private_irr"]
    assert list(df.columns[:5]) == head
    assert list(df.columns[5:]) == [f"p{k}_{w}" for k in (1, 2) for w in ("invested", "returned", "loss")]
    points = json.loads(js.read_text())["points"]
    tol = json.loads(js.read_text())["loss_tolerance_krw"]
    assert sorted(df["government_share"].unique()) == [p["government_share"] for p in points]
    for p in points:
        at = df[df["government_share"] == p["government_share"]]
        assert list(at["path"]) == list(range(60))
        # 1e-9 relative: the CSV keeps 10 significant digits of each loss
        assert at["fund_private_loss"].mean() == pytest.approx(p["private_expected_loss"], rel=1e-9, abs=1e-3)
        assert at["fund_government_loss"].mean() == pytest.approx(p["government_expected_loss"], rel=1e-9, abs=1e-3)
        assert (at["fund_private_loss"] > tol).mean() == p["private_p_loss"]
        irr = at["fund_private_irr"].dropna().to_numpy()
        assert 1 - irr.size / 60 == pytest.approx(p["private_irr_undefined_share"], abs=1e-12)
        got = np.percentile(irr, [5, 50, 95])
        want = [p["private_irr_p5"], p["private_irr_p50"], p["private_irr_p95"]]
        assert got == pytest.approx(want, rel=1e-9, abs=1e-10)  # IRRs rounded to 10 digits in the CSV
    assert df.set_index(["government_share", "path"]).shape == out.paths.shape
    projects = json.loads(js.read_text())["projects"]
    for key, st in projects.items():  # the same project paths at every share; the JSON's statistics are theirs
        at0 = df[df["government_share"] == 0.0][f"{key}_loss"].to_numpy()
        at1 = df[df["government_share"] == 0.2][f"{key}_loss"].to_numpy()
        np.testing.assert_array_equal(at0, at1)
        assert at0.mean() == pytest.approx(st["expected_loss"], rel=1e-9, abs=1e-3)
