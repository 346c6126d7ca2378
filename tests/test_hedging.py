"""Interest-rate swaps (``debt.facilities[].hedge``, finmodel.model.hedging): the settlement by hand, what it hedges
under a base-rate shift and over Monte Carlo base-rate paths, its place in CFADS, tax and the cost of debt, the
validation rules, and LibreOffice's recalculation of the Hedging sheet.

Tolerances: hand-worked settlements are a few float64 products of amounts of ~1e8, asserted at 1e-6 absolute;
"constant whatever the base rate" holds to float64 rounding of sums ~1e7, asserted at 1e-6 relative.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

from finmodel.errors import InputError
from finmodel.inputs.validation import scenario_from_dict
from finmodel.model import engine

ROOT = Path(__file__).resolve().parent.parent
IRAQ = ROOT / "scenarios" / "iraq_bismaya.yaml"
TRANCHE = 1  # the KEXIM-guaranteed commercial tranche: SOFR + 3 %


def _iraq(hedge=None):
    raw = yaml.safe_load(IRAQ.read_text(encoding="utf-8"))
    if hedge is not None:
        raw["debt"]["facilities"][TRANCHE]["hedge"] = hedge
    return raw


def _run(raw):
    return engine.run_scenario(scenario_from_dict(copy.deepcopy(raw), "test"))[0]


def test_settlement_by_hand():
    """d2's swap: 75 % of the opening balance, pay 3.8 % fixed, receive SOFR from the start of operations, for the
    facility's remaining years; settlement = notional x (3.8 % - SOFR) / 2 each half-year."""
    r = _run(_iraq({"share": 0.75, "swap_rate": 0.038}))
    v, sc = r.values, r.builder.scenario
    ppy, cons = sc.timeline.periods_per_year, sc.timeline.construction_years
    opening, flag = v["d2_opening"][0], v["operation_flag"][0]
    sofr = v["d2_swap_float"][0]
    expected = flag * 0.75 * opening * (0.038 - sofr) / ppy
    np.testing.assert_allclose(v["d2_swap_net"][0], expected, atol=1e-6)
    assert np.all(v["d2_swap_net"][0][: cons * ppy] == 0)  # construction: not hedged
    assert np.any(v["d2_swap_net"][0] != 0)
    assert all(r.checks().values())


def test_the_hedged_share_pays_a_fixed_rate_whatever_the_base_rate():
    """Shift every base rate by +2 %: the hedged facility's interest + settlement moves by the unhedged 25 % of
    the shift only; fully hedged, it does not move at all (the base stays above the zero floor)."""
    for share, moved in ((0.75, 0.25), (1.0, 0.0)):
        r = _run(_iraq({"share": share, "swap_rate": 0.038}))
        ops = r.values["operation_flag"][0] > 0
        cost = {}
        for shift in (0.0, 0.02):
            v = r.model.evaluate({**r.solved, "in_rate_shift": np.array([[shift]])})
            cost[shift] = (v["d2_interest_due"][0] + v["d2_swap_net"][0])[ops]
            opening = v["d2_opening"][0][ops]
        ppy = r.builder.scenario.timeline.periods_per_year
        np.testing.assert_allclose(cost[0.02] - cost[0.0], moved * 0.02 * opening / ppy, rtol=1e-6, atol=1e-6)


def test_monte_carlo_base_rate_paths_move_only_the_unhedged_part():
    """400 base-rate paths in one evaluation (no loop over paths): fully hedged, the facility's interest +
    settlement per unit of balance is the same on every path (swap rate + margin); unhedged, it varies."""
    rng = np.random.default_rng(3)
    for share, varies in ((1.0, False), (None, True)):
        r = _run(_iraq(None if share is None else {"share": share, "swap_rate": 0.038}))
        shape = r.model.inputs["in_rate_shift_path"].value.shape
        paths = rng.normal(0.0, 0.005, size=(400, shape[1])).cumsum(axis=1).clip(-0.03, 0.03)
        v = r.model.evaluate({**r.solved, "in_rate_shift_path": paths}, paths=400)
        cost = v["d2_interest_due"] + (v["d2_swap_net"] if share else 0.0)
        # per unit of balance: construction interest is capitalised unhedged, so the balance itself differs by path
        live = (v["operation_flag"][0] > 0) & (v["d2_opening"].min(axis=0) > 0)
        rate = cost[:, live] / v["d2_opening"][:, live]
        spread = np.ptp(rate, axis=0).max() / np.abs(rate).max()
        assert (spread > 1e-3) if varies else (spread < 1e-9), (share, spread)


def test_settlements_in_cfads_tax_and_cost_of_debt():
    """A swap paying fixed above the base costs the project: CFADS is lower by the settlements, they are
    deductible, and the facility's all-in yield and the package's rise (the issue's cost of debt)."""
    plain, hedged = _run(_iraq()), _run(_iraq({"share": 0.75, "swap_rate": 0.05}))
    net = hedged.values["d2_swap_net"][0]
    assert net.sum() > 0
    np.testing.assert_allclose(hedged.values["d2_swap_cf"][0], -net, atol=1e-9)
    np.testing.assert_allclose(hedged.values["d2_swap_deduction"][0], net, atol=1e-9)
    mp, mh = plain.metrics(), hedged.metrics()
    assert mh["d2_all_in_cost"] > mp["d2_all_in_cost"] and mh["all_in_cost_of_debt"] > mp["all_in_cost_of_debt"]
    assert mh["d1_all_in_cost"] == pytest.approx(mp["d1_all_in_cost"], rel=1e-9)  # the other facility untouched
    assert all(hedged.checks().values())


@pytest.mark.parametrize(
    ("facility", "hedge", "where", "words"),
    [
        (0, {"share": 0.5, "swap_rate": 0.04}, None, None),  # floating: accepted
        (1, {"share": 0.5, "swap_rate": 0.04, "years": 3.25}, "hedge.years", "whole number of periods"),
        (1, {"share": 0.5, "swap_rate": 0.04, "years": 40}, "hedge.years", "at most maturity_years"),
        (1, {"share": 0.0, "swap_rate": 0.04}, "hedge.share", ""),
        (1, {"share": 1.5, "swap_rate": 0.04}, "hedge.share", ""),
    ],
)
def test_validation(facility, hedge, where, words):
    raw = _iraq()
    raw["debt"]["facilities"][facility]["hedge"] = hedge
    if where is None:
        scenario_from_dict(raw, "test")
        return
    with pytest.raises(InputError) as e:
        scenario_from_dict(raw, "test")
    text = str(e.value)
    assert where in text and words in text


def test_a_fixed_rate_facility_cannot_be_swapped():
    raw = yaml.safe_load((ROOT / "finmodel" / "scenarios" / "default.yaml").read_text(encoding="utf-8"))
    raw["debt"]["facilities"][0]["hedge"] = {"share": 0.5, "swap_rate": 0.04}  # EDPF: fixed 2.5 %
    with pytest.raises(InputError, match="expected a floating-rate facility"):
        scenario_from_dict(raw, "test")


def test_hedging_sheet_recalculation_parity(tmp_path, recalc):
    from finmodel import api
    from finmodel.workbook import parity

    src = tmp_path / "hedged iraq.yaml"
    src.write_text(yaml.safe_dump(_iraq({"share": 0.75, "swap_rate": 0.038, "years": 8}), sort_keys=False))
    path = tmp_path / "hedged.xlsx"
    result = api.run(str(src), ["base"], workbook=path).results[0]
    assert result.values["d2_swap_net"][0].any() and result.checks()["master_check"]
    recalculated = recalc(path)
    assert parity.compare(result, path, recalculated) == []
