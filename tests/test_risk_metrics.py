"""Lender metrics on hand-made paths (finmodel.risk.metrics), the political-event process, presets, the drivers
held at their deterministic values (finmodel.risk.explain) and invariance to workers and chunk size."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from finmodel.inputs.validation import scenario_from_dict
from finmodel.risk import drivers, metrics, political, simulation
from finmodel.schema import load_raw, riskdata

# --- metrics on hand-made paths ---------------------------------------------------------------------------


def test_default_curve_and_rates_by_hand():
    """Six paths, semi-annual: defaults in periods 0 (year 1), 9 (year 5), 10 (year 6), 19 (year 10), 25
    (year 13), none. Political: the year-5 and year-13 ones."""
    dp = np.array([0, 9, 10, 19, 25, np.nan])
    pol = np.array([0, 1, 0, 0, 1, 0])
    c = metrics.cdr_curve(dp, pol, periods_per_year=2, years=15)
    assert c["years"][0] == 1 and len(c["years"]) == 15
    assert c["total"][0] == pytest.approx(1 / 6)  # year 1: path 0
    assert c["total"][4] == pytest.approx(2 / 6)  # year 5: + path 1
    assert c["total"][9] == pytest.approx(4 / 6)  # year 10: + paths 2 and 3
    assert c["total"][14] == pytest.approx(5 / 6)
    assert c["political"][9] == pytest.approx(1 / 6) and c["payment"][9] == pytest.approx(3 / 6)
    m = metrics.default_metrics(dp, pol, periods_per_year=2, years=15)
    assert m["cdr_5y"] == pytest.approx(2 / 6) and m["cdr_10y"] == pytest.approx(4 / 6)
    assert m["cdr_10y_political"] == pytest.approx(1 / 6) and m["cdr_10y_payment"] == pytest.approx(3 / 6)
    assert m["p_default"] == pytest.approx(5 / 6) and m["p_default_political"] == pytest.approx(2 / 6)
    assert m["cdr_10y_se"] == pytest.approx(math.sqrt((4 / 6) * (2 / 6) / 6))
    assert "cdr_10y" not in metrics.default_metrics(dp, pol, periods_per_year=2, years=8)  # horizon too short


def test_loss_given_default_expected_and_p99_loss_by_hand():
    """Four defaulted paths of a 100-exposure facility (losses 0, 0, 20, 60 at EADs 100, 80, 100, 80) and
    96 paths without a default."""
    loss = np.zeros(100)
    ead = np.zeros(100)
    defaulted = np.zeros(100, dtype=bool)
    loss[:4], ead[:4], defaulted[:4] = [0, 0, 20, 60], [100, 80, 100, 80], True
    m = metrics.loss_metrics(loss, ead, defaulted, exposure=100.0, prefix="d1")
    assert m["d1_expected_loss"] == pytest.approx(0.8)  # (20 + 60) / 100 paths
    assert m["d1_expected_loss_ratio"] == pytest.approx(0.008)
    assert m["p_d1_loss"] == pytest.approx(0.02)
    # recoveries 1, 1, 0.8, 0.25: mean 0.7625
    assert m["d1_recovery_mean"] == pytest.approx(0.7625) and m["d1_lgd"] == pytest.approx(0.2375)
    assert m["d1_full_recovery_share"] == pytest.approx(0.5) and m["d1_defaults"] == 4
    # sorted losses: 98 zeros, 20, 60; numpy's linear rule at rank 0.99 * 99 = 98.01: 20 + 0.01 * (60 - 20)
    assert m["d1_loss_p99"] == pytest.approx(20.4)


def test_p99_loss_is_numpy_linear_percentile():
    loss = np.arange(101.0)  # 0 .. 100: the 99th percentile is exactly 99
    m = metrics.loss_metrics(loss, np.full(101, 100.0), np.ones(101, dtype=bool), exposure=100.0, prefix="x")
    assert m["x_loss_p99"] == pytest.approx(99.0) and m["x_loss_p99_ratio"] == pytest.approx(0.99)
    assert m["x_expected_loss"] == pytest.approx(50.0)


def test_guarantor_loss_is_claims_net_of_recoveries():
    m = metrics.guarantor_metrics(np.array([0.0, 10.0, 30.0, 0.0]), np.array([0.0, 4.0, 0.0, 0.0]), "g1")
    assert m["g1_claims_expected"] == pytest.approx(10.0) and m["p_g1_claim"] == pytest.approx(0.5)
    assert m["g1_expected_loss"] == pytest.approx(9.0)  # (6 + 30) / 4


def test_dscr_statistics_do_not_average_negative_ratios():
    """Negative minimum DSCRs (CFADS < 0) are floored at 0 in the percentiles and counted separately."""
    d = np.array([-8.0, -0.5, 0.9, 1.1, 1.3, np.nan])  # NaN: no debt service on that path
    m = metrics.dscr_metrics(d, cfads_negative=[1, 1, 0, 0, 0, 0], shortfall=[50.0, 10.0, 0, 0, 0, 0], lockup=1.15)
    assert m["p_min_dscr_below_1"] == pytest.approx(3 / 6) and m["p_min_dscr_below_lockup"] == pytest.approx(4 / 6)
    assert m["p_cfads_negative"] == pytest.approx(2 / 6)
    assert m["min_dscr_p10"] == pytest.approx(0.0)  # floored: not -5.0 as the raw ratios would say
    assert m["min_dscr_p50"] == pytest.approx(0.9)
    assert m["senior_shortfall_expected"] == pytest.approx(10.0)
    assert "avg_dscr" not in str(sorted(m))


def test_decile_table_by_hand():
    x = np.arange(100.0)
    d = x >= 90  # only the top decile defaults
    bins = metrics.decile_table(x, d)
    assert len(bins) == 10 and all(b["paths"] == 10 for b in bins)
    assert [b["default_rate"] for b in bins] == [0.0] * 9 + [1.0]
    two = metrics.decile_table(np.array([0.0, 0.0, 1.0, 1.0]), np.array([False, True, True, True]))
    assert two == [
        {"low": 0.0, "high": 0.0, "paths": 2, "default_rate": 0.5},
        {"low": 1.0, "high": 1.0, "paths": 2, "default_rate": 1.0},
    ]


# --- political events, presets ----------------------------------------------------------------------------


def _timing(periods=40, ppy=2, construction=6, category=7):
    return drivers.Timing(
        periods=periods, periods_per_year=ppy, construction_periods=construction, oecd_category=category
    )


def test_political_event_start_and_resolution_probabilities():
    """P(first event within t periods) = 1 - (1 - q)^t, q the per-period probability of the annual p; a share
    resolution_probability of events is resolved; revenue lost = revenue_loss while it lasts, and to the end
    when not resolved."""
    from finmodel.schema.risk import PoliticalEvent

    pe = PoliticalEvent(annual_probability=0.05, revenue_loss=0.4, duration_months=12, resolution_probability=0.7)
    tm = _timing()
    rng = np.random.default_rng(3)
    n = 200_000
    z, z_res = rng.standard_normal(n), rng.standard_normal(n)
    flags, loss, start, permanent = political.draw(
        pe, periods=tm.periods, periods_per_year=tm.periods_per_year, z=z, z_res=z_res
    )
    q = 1 - 0.95**0.5
    for t in (1, 10, 40):
        p = 1 - (1 - q) ** t
        se = math.sqrt(p * (1 - p) / n)
        assert abs(np.mean(start < t) - p) < 5 * se  # 5 se: a false alarm once in ~3 million runs
    started = start < tm.periods
    share = permanent[started].mean()
    assert abs(share - 0.3) < 5 * math.sqrt(0.21 / started.sum())
    i = int(np.flatnonzero(started & ~permanent & (start < 30))[0])  # a resolved event: 2 periods at 0.4
    s = start[i]
    assert np.allclose(loss[i, s : s + 2], 0.4) and loss[i, s + 2 :].sum() == 0 and flags[i].sum() == 0
    j = int(np.flatnonzero(permanent & (start < 30))[0])  # unresolved: 0.4 to the end, covered event after 1 year
    s = start[j]
    assert np.allclose(loss[j, s:], 0.4) and flags[j, : s + 2].sum() == 0 and flags[j, s + 2 :].all()


def test_oecd_hazard_comes_from_the_risk_data():
    from finmodel.schema.risk import PoliticalEvent

    pe = PoliticalEvent()  # every field from finmodel/data/risk.yaml
    assert pe.resolved() == riskdata.political_defaults()
    assert political.annual_probability(pe, 7) == riskdata.political_probability_by_category(7)
    assert riskdata.political_probability_by_category(7) > riskdata.political_probability_by_category(2)
    for key in ("cdr_10y", "recovery_mean"):
        ref = riskdata.reference(key)
        assert ref["citation"] and ref["confidence"] in ("H", "M", "L")


def test_preset_expands_and_a_given_driver_replaces_its_entry():
    raw = load_raw()
    raw["risk"] = {"preset": "toll_road", "demand": {"sd": 0.3, "autocorrelation": 0.5}}
    sc = scenario_from_dict(raw, "s.yaml")
    preset = riskdata.preset("toll_road")
    assert sc.risk.demand.sd == 0.3 and sc.risk.demand.autocorrelation == 0.5  # replaced whole
    assert sc.risk.capex_overrun.mean == preset["capex_overrun"]["mean"]  # from the preset
    assert sc.risk.preset == "toll_road"


def test_unknown_preset_exit_2_with_field_path(tmp_path):
    raw = load_raw()
    raw["risk"] = {"preset": "motorway"}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    r = CliRunner().invoke(main, ["validate", str(path)])
    assert r.exit_code == 2 and "risk.preset" in r.output and "toll_road" in r.output, r.output
    assert "Traceback" not in r.output


# --- held drivers, workers ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The default scenario (its shipped risk block, preset smart_city_platform) with a harsher political
    hazard and demand, so that defaults occur in a few hundred paths."""
    raw = load_raw()
    raw["risk"]["political_event"] = {"annual_probability": 0.05, "revenue_loss": 0.9}
    raw["risk"]["opex"] = {"kind": "lognormal", "mean": 1.0, "sd": 0.5}
    path = tmp_path_factory.mktemp("shipped") / "harsh.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return str(path), simulation.prepare(str(path))


def test_every_driver_held_reproduces_the_deterministic_run_path_for_path(shipped):
    path, (sc, det) = shipped
    spec = simulation.make_spec(sc, "base", det, seed=3)
    held = simulation.dataclasses.replace(spec, hold=tuple(spec.drivers))
    out = simulation.run_chunks(held, 50, 20)
    ref = det.metrics()
    for name in ("equity_irr", "project_irr", "equity_npv", "min_dscr", "min_llcr", "default_periods"):
        # rel 1e-12: the numpy (many paths) and plain-float (one path) evaluations of the same formulas may
        # round differently in the last bits of a long product or IRR iteration, never more
        assert out[name] == pytest.approx(np.full(50, ref[name]), rel=1e-12, abs=1e-9), name
    assert np.all(np.isnan(out["default_period"])) and not out["political_event"].any()
    free = simulation.run_chunks(spec, 50, 20)  # the same random numbers, drivers free: paths differ
    assert not np.allclose(free["equity_npv"], ref["equity_npv"])


def test_holding_the_only_cause_removes_the_defaults(tmp_path):
    """Opex is the only driver that moves (capex is degenerate, political events have probability 0): held,
    no path defaults; holding either other driver changes nothing, exactly."""
    raw = load_raw()
    raw["risk"] = {
        "opex": {"kind": "lognormal", "mean": 1.0, "sd": 0.6},
        "capex_overrun": {"kind": "lognormal", "mean": 1.0, "sd": 0.0},
        "political_event": {"annual_probability": 0.0},
    }
    path = tmp_path / "opex.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    res = simulation.simulate(str(path), paths=400, seed=5, workers=1, explain_paths=300)
    dd = res.default_drivers
    held = {h["driver"]: h for h in dd["held"]}
    p = float(np.isfinite(res.paths_data["default_period"][:300]).mean())
    assert p > 0.05  # informative: defaults occur
    assert dd["paths_held"] == 300 and dd["p_default_first_paths"] == p
    assert held["opex"]["p_default_held"] == 0.0 and held["opex"]["contribution"] == p
    assert held["capex_overrun"]["contribution"] == 0.0 and held["political_event"]["contribution"] == 0.0
    assert dd["p_default_all_held"] == 0.0
    assert [h["driver"] for h in res.to_json()["default_drivers"]["held"]][0] == "opex"  # largest first
    bins = dd["deciles"]["opex"]["bins"]
    assert bins[0]["default_rate"] == 0.0 and bins[-1]["default_rate"] > 0.5  # defaults sit in the top deciles


def test_results_identical_for_any_workers_and_chunk_size(shipped):
    path, prepared = shipped
    n = 2500
    ref = simulation.simulate(path, paths=n, seed=11, workers=1, chunk_size=n, prepared=prepared)
    for workers, chunk in ((2, 700), (2, None), (1, 333)):
        other = simulation.simulate(path, paths=n, seed=11, workers=workers, chunk_size=chunk, prepared=prepared)
        for k, v in ref.paths_data.items():
            assert np.array_equal(v, other.paths_data[k], equal_nan=True), (workers, chunk, k)
        assert ref.summary() == other.summary()
    assert ref.summary()["p_default"] > 0.02  # the comparison covers defaulted paths and their losses


def test_workers_option_is_checked():
    assert simulation.resolve_workers("auto") >= 1 and simulation.resolve_workers("3") == 3
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(simulation.InputError, match="--workers"):
            simulation.resolve_workers(bad)


def test_macro_factor_correlates_projects_and_keeps_marginals(shipped):
    """Two projects on one macro factor with rho: their demand scores correlate with rho; each keeps N(0, 1)."""
    path, (sc, det) = shipped
    a = simulation.dataclasses.replace(simulation.make_spec(sc, "base", det, seed=1), macro=(0.5, 99))
    b = simulation.dataclasses.replace(simulation.make_spec(sc, "base", det, seed=2), macro=(0.5, 99))
    n = 20_000
    da, db = simulation.draws_for(a, 0, n), simulation.draws_for(b, 0, n)
    za, zb = np.log(da.demand[:, 0]), np.log(db.demand[:, 0])  # first-period log demand: s z - s^2 / 2
    r = np.corrcoef(za, zb)[0, 1]
    assert abs(r - 0.5) < 0.03  # 0.03: ~4 standard errors of a correlation estimate from 20,000 pairs
    s = sc.risk.demand.sd
    assert abs(np.std(za) / s - 1) < 0.03  # the marginal is unchanged


def test_paths_without_an_irr_are_not_counted_as_minus_100_percent():
    """IRR statistics over paths: over the paths with an IRR, plus the share without one
    (finmodel.outputs.definitions)."""
    from finmodel.risk.results import irr_metrics

    irr = np.array([0.02, np.nan, 0.08, 0.12, np.nan, 0.20, 0.10, 0.06])
    ok = irr[np.isfinite(irr)]
    m = irr_metrics(irr, hurdle=0.09)
    for q in (1, 5, 10, 50, 90, 95, 99):
        assert m[f"equity_irr_p{q}"] == np.percentile(ok, q)  # the same numpy call on the same 6 values
    assert m["equity_irr_mean"] == np.mean(ok) and m["equity_irr_missing_share"] == 2 / 8
    assert m["equity_irr_p1"] > 0  # counting the two as -100 % would give a P1 of -1.0
    assert m["p_equity_irr_below_hurdle"] == 5 / 8  # 0.02, 0.08, 0.06 and the two without an IRR
    none = irr_metrics(np.array([np.nan, np.nan]), hurdle=0.09)
    assert none["equity_irr_p50"] is None and none["equity_irr_missing_share"] == 1.0
