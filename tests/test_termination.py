"""Termination compensation (``termination``, finmodel.model.termination): the prepayment and the end of the concession
by hand, what a share below 1 leaves to the lenders and their cover, the Monte Carlo's political terminations,
the sponsors' insurance paying only what compensation does not, the validation rules, and LibreOffice's
recalculation of the Termination sheet.

Tolerances: hand-worked amounts are a few float64 sums and products of ~1e8, asserted at 1e-6 absolute (far below
the money tolerance of a cent); a loss discounted one period is asserted at 1e-12 relative.
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
from finmodel.risk import drivers as drv
from finmodel.risk import simulation as sim

ROOT = Path(__file__).resolve().parent.parent
IRAQ = ROOT / "scenarios" / "iraq_bismaya.yaml"
YEAR = 10  # the terminated case's year
ATOL = 1e-6


def _iraq(**termination):
    raw = yaml.safe_load(IRAQ.read_text(encoding="utf-8"))
    raw["termination"].update(termination)
    return raw


def _run(raw):
    return engine.run_scenario(scenario_from_dict(copy.deepcopy(raw), "test"))[0]


def _row(v, name):
    return np.asarray(v[name])[0]


def test_compensation_repays_the_senior_debt_and_ends_the_concession():
    full = {"debt_share": 1.0, "equity_share": 1.0, "collected": 1.0}
    r = _run(_iraq(event={"cause": "authority_default", "year": YEAR}, authority_default=full))
    v = r.values
    t = int(np.argmax(_row(v, "termination_flag")))
    assert _row(v, "model_year")[t] == YEAR and _row(v, "termination_flag").sum() == 1
    for p in ("d1", "d2"):
        before = sum(_row(v, f"{p}_{w}")[t] for w in ("opening", "draw", "interest_due"))
        before -= _row(v, f"{p}_interest_paid")[t] + _row(v, f"{p}_principal_paid")[t]
        assert before > 1e7
        assert _row(v, f"{p}_termination_paid")[t] == pytest.approx(before, abs=ATOL)  # debt_share 1.0
        assert np.all(np.abs(_row(v, f"{p}_closing")[t:]) < ATOL)
        assert np.all(_row(v, f"{p}_project_paid")[t + 1 :] == 0)
        assert v[f"{p}_default_loss"][0, 0] == pytest.approx(0, abs=ATOL)
    # the sponsors: their funding back (equity_share 1.0), nothing from operations from the termination on
    assert _row(v, "termination_equity_paid")[t] == pytest.approx(_row(v, "equity_funding").sum(), abs=ATOL)
    assert np.all(_row(v, "cash_to_equity")[t:] == 0)
    # the cover ratios and default counts read the concession's periods only
    assert np.all(np.isnan(_row(v, "dscr")[t + 1 :])) and not np.isnan(_row(v, "dscr")[t])
    assert r.metrics()["default_periods"] == 0 and r.metrics()["min_dscr"] == np.nanmin(_row(v, "dscr")[: t + 1])
    assert r.checks()["master_check"]


def test_a_share_below_one_leaves_the_rest_to_the_lenders_and_their_cover():
    raw = _iraq(event={"cause": "authority_default", "year": YEAR})
    raw["termination"]["authority_default"] = {"debt_share": 0.8, "equity_share": 0.0, "collected": 0.75}
    v = (r := _run(raw)).values
    t = int(np.argmax(_row(v, "termination_flag")))
    d1 = "d1"  # the K-SURE insured buyer credit: 95 % cover, claims on each unpaid instalment
    paid = _row(v, f"{d1}_termination_paid")[t]
    residual = _row(v, f"{d1}_closing")[t]
    assert residual == pytest.approx(paid * 0.4 / 0.6, rel=1e-12)  # 0.8 x 0.75 = 60 % paid
    # the loss at default: the residual never repaid, valued at the default date (one period back at the rate)
    growth = 1 + max(0.0, _row(v, f"{d1}_period_rate")[t])
    assert v[f"{d1}_default_loss"][0, 0] == pytest.approx(residual / growth, rel=1e-12)
    # the cover pays its share of the residual (the loan accelerated at termination) and nothing later
    claims = _row(v, f"{d1}_claim")
    assert claims[t] == pytest.approx(0.95 * residual, rel=1e-9) and np.all(claims[t + 1 :] == 0)
    # what the lenders lose, valued at the loan's rate: the uncovered 5 % of the residual, at the termination
    short = v[f"{d1}_schedule_pv"][0, 0] - v[f"{d1}_receipts_pv"][0, 0]
    assert short == pytest.approx(0.05 * residual * _row(v, f"{d1}_contract_df")[t], rel=1e-9)
    assert r.checks()["master_check"]  # indemnity, conservation, the guarantor's recoveries


def test_a_project_default_terminates_at_the_first_unpaid_senior_debt_service():
    v = (r := _run(_iraq())).values  # base: no default, no termination
    assert v["termination"][0, 0] == 0 and r.checks()["master_check"]
    raw = _iraq(project_default={"debt_share": 0.8})
    raw["revenues"][0]["amount"] = 65_500_000_000  # the `default` case: 42 % of the availability payment
    v = (r := _run(raw)).values
    t = int(np.argmax(_row(v, "termination_flag")))
    assert _row(v, "term_project_default_trigger")[t] == 1 and _row(v, "senior_shortfall")[t] > 0.01
    assert not _row(v, "senior_shortfall")[:t].any()
    assert _row(v, "termination_debt_share")[t] == 0.8 and _row(v, "termination_equity_paid").sum() == 0
    assert r.checks()["master_check"]


@pytest.fixture(scope="module")
def paths():
    sc, det = sim.prepare(IRAQ)
    spec = sim.make_spec(sc, "base", det, seed=7)
    n = 3000
    draws = sim.draws_for(spec, 0, n)
    v = det.model.evaluate({**det.solved, **drv.overrides(draws, spec.timing, spec.base_inputs)}, paths=n)
    return draws, v


def test_a_permanent_political_event_terminates_for_authority_default(paths):
    draws, v = paths
    political = draws.political_event.any(axis=1)
    assert political.sum() > 50  # Iraq, OECD category 7: the sample holds political terminations
    # from the event's first covered period, or (an event in construction) the first operating period
    start = int(np.argmax(v["operation_flag"][0] > 0))
    due = np.maximum(np.argmax(draws.political_event > 0, axis=1), start)
    term = np.argmax(v["termination_flag"] > 0, axis=1)
    assert np.all(v["termination"][:, 0] == political)  # Iraq states no project-default compensation
    np.testing.assert_array_equal(term[political], due[political])
    assert np.all(v["termination_debt_share"][political].max(axis=1) == 0.5)  # 100 % of debt, half collected
    # the prepayment: half of each senior balance after the termination period's debt service; the rest is lost
    rows = np.arange(len(term))[:, None]
    owed = np.zeros(len(term))
    for p in ("d1", "d2"):
        at = {w: v[f"{p}_{w}"][rows, term[:, None]][:, 0] for w in ("opening", "draw", "interest_due",
              "interest_paid", "principal_paid", "termination_paid", "closing")}  # fmt: skip
        before = at["opening"] + at["draw"] + at["interest_due"] - at["interest_paid"] - at["principal_paid"]
        np.testing.assert_allclose(at["termination_paid"][political], 0.5 * before[political], rtol=1e-12, atol=ATOL)
        np.testing.assert_allclose(at["closing"][political], 0.5 * before[political], rtol=1e-12, atol=ATOL)
        owed += before
    assert np.all(v["senior_loss"][political & (owed > 1.0), 0] > 0)  # where debt was left at the termination
    assert np.all(v["senior_loss"][political & (owed <= 1.0), 0] == 0)  # an event after the debt is repaid
    # the sponsors' insurer pays its 90 % of what the collected compensation leaves of their funding, net
    g5 = "g5"  # K-SURE overseas investment insurance of the sponsors' funding
    net = (v[f"{g5}_claim"] - v[f"{g5}_recovery"])[political].sum(axis=1)
    cum = v["equity_cum"][rows, term[:, None]][:, 0][political]
    comp = v["termination_equity_paid"][political].sum(axis=1)
    np.testing.assert_allclose(comp, 0.5 * cum, rtol=1e-12)
    late = np.argmax(draws.political_event > 0, axis=1)[political] >= start  # the event in operations: at once
    np.testing.assert_allclose(net[late], 0.9 * (cum - comp)[late], rtol=1e-9)
    assert np.all(net >= -ATOL) and np.all(net + comp <= v["equity_funding"][political].sum(axis=1) + ATOL)
    for name in v:
        if name.startswith("check_") and not name.endswith("_drawn"):  # drawn: a signed amount, not a path's
            assert np.all(v[name] > 0.5), name


def test_the_insurer_pays_what_compensation_does_not():
    raw = _iraq(event=None)
    raw["termination"]["authority_default"] = {"debt_share": 1.0, "equity_share": 0.5, "collected": 0.5}
    raw["guarantees"][4]["political_event_years"] = [9]  # transfer restriction in year 9 ...
    raw["termination"]["event"] = {"cause": "authority_default", "year": 9}  # ... and the concession ends
    v = (r := _run(raw)).values
    t = int(np.argmax(_row(v, "termination_flag")))
    insured = 0.9 * _row(v, "equity_cum")[t]
    comp = _row(v, "termination_equity_paid")[t]
    assert comp == pytest.approx(0.25 * _row(v, "equity_cum")[t], rel=1e-12)  # 0.5 x 0.5
    assert _row(v, "g5_claim").sum() == pytest.approx(insured - 0.9 * comp, rel=1e-12)
    assert r.checks()["master_check"]


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"event": {"cause": "voluntary", "year": 10}}, "termination.event.cause", "without one"),
        ({"event": {"cause": "authority_default", "year": 2}}, "termination.event.year", "operating year from 4"),
        ({"event": {"cause": "authority_default", "year": 24}}, "termination.event.year", "to 23"),
        ({"authority_default": {"debt_share": 1.2}}, "termination.authority_default.debt_share", ""),
    ],
)
def test_validation(change, where, words):
    with pytest.raises(InputError) as e:
        scenario_from_dict(_iraq(**change), "test")
    text = str(e.value)
    assert where in text and words in text


def test_termination_sheet_recalculation_parity(tmp_path, recalc):
    from finmodel import api
    from finmodel.workbook import parity, scenario_paths

    raw = _iraq(event={"cause": "authority_default", "year": YEAR})
    raw["termination"]["authority_default"] = {"debt_share": 0.7, "equity_share": 0.5}
    src = tmp_path / "terminated iraq.yaml"
    src.write_text(yaml.safe_dump(raw, sort_keys=False))
    path = tmp_path / "terminated.xlsx"
    result = api.run(str(src), ["base"], workbook=path).results[0]
    assert result.values["termination"][0, 0] == 1 and result.checks()["master_check"]
    assert scenario_paths.scenario_path("in_term_event_year") == "termination.event.year"
    recalculated = recalc(path)
    assert parity.compare(result, path, recalculated) == []
