"""Guarantees, insurance and default (finmodel.model.guarantees): hand-worked default cases, validation rules,
premiums, the Iraq Bismaya scenario, and property-based invariants (hypothesis). The ledgers party by party
(claims on what is unpaid, subrogation, workout) are tested in test_ledgers.py.

Tolerances. Hand-worked amounts are small decimals (tens of currency units) computed by the engine in float64
through a few dozen operations: they agree with the hand arithmetic to ~1e-13, asserted at 1e-9 absolute.
Invariants over random scenarios (amounts up to ~1e3 here) are asserted at 1e-7 absolute: sums of a few
dozen float64 terms of that size carry error ~1e-13, far below it.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finmodel.errors import InputError
from finmodel.inputs.cover_data import minimum_premium_upfront
from finmodel.inputs.validation import scenario_from_dict
from finmodel.model import engine
from finmodel.risk import political
from finmodel.schema import load_raw
from finmodel.schema.risk import PoliticalEvent

ROOT = Path(__file__).resolve().parent.parent
IRAQ = ROOT / "scenarios" / "iraq_bismaya.yaml"
TOL = 1e-9  # hand-worked amounts (see module docstring)
ATOL = 1e-7  # invariants


def small(**cover) -> dict:
    """A 5-period annual project built to be worked by hand.

    Period 1 = construction (capex 200, funded 100 debt / 100 equity; no IDC: the opening balance is 0);
    periods 2-5 = operations, revenue 60 a year, a lifecycle cost of 50 in operating year 3 (period 4).
    One facility: 100 at 10 % fixed, 4 equal instalments of 25 (grace 1 year, maturity 5 years).
    Contractual debt service: 35, 32.5, 30, 27.5. No DSRA, no tax.
    """
    g = dict(
        name="Cover",
        kind="eca_cover",
        insurer="kexim",
        facility="Loan",
        commercial_share=0.9,
        political_share=0.9,
        premium_rate=0.0,
        premium_basis="upfront",
        payout="instalments",
        recovery_rate=0.5,
        recovery_lag_years=1,
    )
    g.update(cover)
    return {
        "project": dict(
            name="Hand",
            country="VNM",
            sector="test",
            currency="USD",
            fx_to_krw=1000.0,
            fx_to_usd=1.0,
            borrower="spc",
            commercially_viable=True,
        ),
        "timeline": dict(start_date=dt.date(2027, 1, 1), construction_years=1, operation_years=4, periods_per_year=1),
        "capex": dict(amount=200.0, phasing=[1.0]),
        "revenues": [dict(name="AP", kind="availability", amount=60.0)],
        "lifecycle": [dict(name="Overhaul", amount=50.0, every_years=3)],
        "tax": dict(rate=0.0, depreciation_years=4),
        "sponsors": [dict(name="S", kind="sponsor", share=1.0)],
        "equity_discount_rate": 0.1,
        "debt": dict(
            facilities=[
                dict(
                    name="Loan",
                    kind="eca",
                    amount=100.0,
                    rate=dict(fixed=0.1),
                    grace_years=1,
                    maturity_years=5,
                    repayment="equal",
                )
            ]
        ),
        "dsra": dict(months=0),
        "lockup_dscr": 1.1,
        "guarantees": [g],
    }


def run_raw(raw):
    return engine.evaluate_case(scenario_from_dict(raw, "test"), "base", None, resize=True)


# --- hand-worked default cases -------------------------------------------------------------------------------


def test_instalment_cover_default_in_period_4_then_catch_up():
    r = run_raw(small())
    # Period 4: CFADS = 60 - 50 = 10; contractual debt service = interest 50 x 10 % = 5 + principal 25 = 30;
    # paid 10 -> unpaid 20: the payment default; claim 90 % x 20 = 18. Balance 50 + 5 - 10 = 45.
    # Period 5: CFADS 60 pays everything due: interest 4.5 + principal 45 = 49.5, of which the contractual
    # instalment 25 + 25 x 10 % = 27.5 (no claim: it is paid), default interest 4.5 - 2.5 = 2, and the arrears
    # 20: the catch-up 22 goes 90 % to the guarantor under subrogation, up to its claim with the default interest
    # on it (subrogated, the guarantor's): 18 + 18 x 10 % = 19.8 = 90 % x 22, all of it.
    np.testing.assert_allclose(r.row("senior_shortfall"), [0, 0, 0, 20, 0], atol=TOL)
    np.testing.assert_allclose(r.row("defaulted"), [0, 0, 0, 1, 1])
    np.testing.assert_allclose(r.row("d1_contract_ds"), [0, 35, 32.5, 30, 27.5], atol=TOL)
    np.testing.assert_allclose(r.row("d1_unpaid_instalment"), [0, 0, 0, 20, 0], atol=TOL)
    np.testing.assert_allclose(r.row("g1_claim"), [0, 0, 0, 18, 0], atol=TOL)
    np.testing.assert_allclose(r.row("d1_subrogated_interest"), [0, 0, 0, 0, 1.8], atol=TOL)
    np.testing.assert_allclose(r.row("d1_to_guarantor"), [0, 0, 0, 0, 19.8], atol=TOL)
    m = r.metrics()
    assert m["g1_claims"] == pytest.approx(18.0, abs=TOL)
    assert m["g1_recoveries"] == pytest.approx(19.8, abs=TOL)
    assert m["g1_net_cost"] == pytest.approx(-1.8, abs=TOL)  # claims - recoveries - premiums: its interest
    # lenders: 35 + 32.5 + 10 + 18 + (49.5 - 19.8) = 125.2 = contractual 125 + default interest on their own
    # arrears (2 x 10 % = 0.2); the 1.8 of interest on what the guarantor paid is not theirs: nothing lost, no gain
    assert r.row("d1_lender_receipts").sum() == pytest.approx(125.2, abs=TOL)
    # discounted at the loan's 10 %, receipts (.., 28 in period 4, 29.7 in 5) = the schedule (.., 30, 27.5):
    # -2 / 1.1^4 + 2.2 / 1.1^5 = 0. The old rule (lenders 31.5 in period 5) left them 1.8 / 1.1^5 better off.
    assert m["d1_receipts_pv"] == pytest.approx(m["d1_schedule_pv"], abs=TOL)
    assert m["d1_schedule_pv"] == pytest.approx(sum(x / 1.1**t for t, x in [(2, 35), (3, 32.5), (4, 30), (5, 27.5)]))
    assert m["d1_lender_loss"] == pytest.approx(0.0, abs=TOL)
    assert m["lender_loss_after_cover"] == pytest.approx(0.0, abs=TOL)
    # exposure before the default = 90 % x (opening + interest): period 2 = 0.9 x 110 = 99 (the peak)
    assert m["g1_peak_exposure"] == pytest.approx(99.0, abs=TOL)
    # equity: 25 and 27.5 before the default, nothing after (period 5 leaves 60 - 49.5 = 10.5, retained)
    np.testing.assert_allclose(r.row("cash_to_equity"), [0, 25, 27.5, 0, 0], atol=TOL)
    assert r.row("cash_retained")[4] == pytest.approx(10.5, abs=TOL)
    assert all(r.checks().values())  # a default is a result, not an error


def test_accelerated_cover_default_in_period_4():
    r = run_raw(small(payout="accelerated"))
    # Accelerated: claim 90 % x the balance after period 4's payment (50 + 5 - 10 = 45) = 40.5; period 5's
    # payment 49.5 goes 90 % to the guarantor up to its claim with its interest (40.5 x 1.1 = 44.55: all of
    # 90 % x 49.5), the rest 4.95 to the lenders
    np.testing.assert_allclose(r.row("g1_claim"), [0, 0, 0, 40.5, 0], atol=TOL)
    np.testing.assert_allclose(r.row("d1_to_guarantor"), [0, 0, 0, 0, 44.55], atol=TOL)
    m = r.metrics()
    assert m["g1_recoveries"] == pytest.approx(44.55, abs=TOL)
    assert r.row("d1_lender_receipts").sum() == pytest.approx(35 + 32.5 + 10 + 40.5 + 4.95, abs=TOL)
    # PV at 10 %: +20.5 in period 4 against -22.55 in period 5: equal to the schedule's
    assert m["d1_receipts_pv"] == pytest.approx(m["d1_schedule_pv"], abs=TOL)
    assert m["lender_loss_after_cover"] == pytest.approx(0.0, abs=TOL)
    assert all(r.checks().values())


def test_political_event_triggers_the_political_share():
    raw = small(political_share=1.0, political_event_years=[3])
    raw["lifecycle"] = []  # no payment default: only the political event
    r = run_raw(raw)
    # Event in model year 3 (period 3): nothing can be paid to the lenders that period (transfer restriction):
    # the instalment 25 + 75 x 10 % = 32.5 is unpaid, claim 100 % (political share) = 32.5; the cash (60) is
    # retained. Period 4 pays everything due (interest 8.25 + principal 57.5 = 65.75 from 120): the catch-up
    # 65.75 - 30 = 35.75 repays the guarantor's 32.5 with its default interest 3.25 under subrogation. Period 5
    # pays its instalment 27.5.
    np.testing.assert_allclose(r.row("defaulted"), [0, 0, 1, 1, 1])
    np.testing.assert_allclose(r.row("senior_paid"), [0, 35, 0, 65.75, 27.5], atol=TOL)
    np.testing.assert_allclose(r.row("g1_claim"), [0, 0, 32.5, 0, 0], atol=TOL)
    np.testing.assert_allclose(r.row("d1_to_guarantor"), [0, 0, 0, 35.75, 0], atol=TOL)
    m = r.metrics()
    assert m["g1_recoveries"] == pytest.approx(35.75, abs=TOL)
    assert m["lender_loss_after_cover"] == pytest.approx(0.0, abs=TOL)
    # lenders: 35 + 32.5 + 65.75 - 35.75 + 27.5 = 125 = contractual: fully covered, so no arrears of their own
    assert r.row("d1_lender_receipts").sum() == pytest.approx(125.0, abs=TOL)
    assert m["d1_receipts_pv"] == pytest.approx(m["d1_schedule_pv"], abs=TOL)
    np.testing.assert_allclose(r.row("cash_to_equity")[2:], 0.0, atol=TOL)  # locked up from the event on
    assert all(r.checks().values())


def test_no_default_no_claim_and_premiums():
    raw = small(premium_rate=0.02, premium_basis="upfront")
    raw["lifecycle"] = []
    r = run_raw(raw)
    m = r.metrics()
    assert m["guarantee_claims"] == 0 and m["lender_loss_after_cover"] == 0
    # upfront premium = 2 % x 90 % x 100 = 1.8 at financial close, financed: total uses 200 + 1.8
    assert m["g1_premiums"] == pytest.approx(1.8, abs=TOL)
    assert m["total_uses"] == pytest.approx(201.8, abs=TOL)
    # PV at 5 % (cover.yaml pv_discount_rate) one year after close: 1.8 / 1.05
    assert m["g1_premium_pv"] == pytest.approx(1.8 / 1.05, rel=1e-12)
    raw = small(premium_rate=0.01, premium_basis="running")
    raw["lifecycle"] = []
    r = run_raw(raw)
    # running: 1 % x 90 % x opening balance; period 2 opening = 100 -> 0.9, paid from CFADS
    assert r.row("g1_premium")[1] == pytest.approx(0.9, abs=TOL)
    assert r.row("cfads")[1] == pytest.approx(60 - 0.9, abs=TOL)


def test_scenario_without_guarantees_unchanged():
    raw = small()
    del raw["guarantees"]
    r = run_raw(raw)
    assert "g1_claim" not in r.values and "guarantee_claims" not in r.metrics()
    # the default still locks up period 4 only; period 5's cash after debt service goes to equity as before
    np.testing.assert_allclose(r.row("cash_to_equity"), [0, 25, 27.5, 0, 10.5], atol=TOL)
    np.testing.assert_allclose(r.row("defaulted"), [0, 0, 0, 1, 1])


def test_other_cover_kinds_hand_worked():
    raw = small()
    raw["lifecycle"] = []
    raw["guarantees"] = [
        dict(name="Bond", kind="performance_bond", contract_share=0.1, fee=0.01, sme_contract=True, called_in_year=1),
        dict(
            name="AP guarantee",
            kind="availability_guarantee",
            revenue="AP",
            share=0.8,
            fee=0.0,
            payer_default_years=[3],
        ),
        dict(name="PRI", kind="political_risk_insurance", share=0.9, premium_rate=0.01, political_event_years=[5]),
    ]
    r = run_raw(raw)
    m = r.metrics()
    # bond 10 % x capex 200 = 20; fee 1 % - SME preference 0.1 %p = 0.9 % -> 0.18; called in year 1: claim 20
    assert m["g1_premiums"] == pytest.approx(0.18, abs=TOL)
    assert m["g1_claims"] == pytest.approx(20.0, abs=TOL)
    # payer default in year 3 (period 3): claim 80 % x 60 = 48; the project loses 60 - 48 = 12 of CFADS
    assert m["g2_claims"] == pytest.approx(48.0, abs=TOL)
    assert r.row("cfads")[2] == pytest.approx(48.0, abs=TOL)
    # PRI: 90 % of sponsor funding (100) = 90 paid in period 5; premium 1 % x 90 in periods 1-5 = 4.5
    assert m["g3_claims"] == pytest.approx(90.0, abs=TOL)
    assert m["g3_premiums"] == pytest.approx(4.5, abs=TOL)
    assert all(r.checks().values())


# --- validation --------------------------------------------------------------------------------------------


def problems(raw):
    with pytest.raises(InputError) as exc:
        scenario_from_dict(raw, "test")
    return exc.value.problems


def test_ordinary_account_refuses_category_7():
    raw = load_raw(IRAQ)
    raw["guarantees"][0]["special_account"] = False
    found = problems(raw)
    assert any(
        p == "guarantees.0.special_account"
        and "KSURE-ORDINARY-ACCOUNT-CATEGORY" in msg
        and "category 7" in msg
        and "special account" in msg
        for p, msg in found
    )


def test_special_account_scope_and_cover_share():
    raw = small(insurer="ksure", special_account=True, commercial_share=0.99)  # Vietnam: category 4
    found = dict(problems(raw))
    assert "KSURE-SPECIAL-ACCOUNT-SCOPE" in found["guarantees.0.special_account"]
    assert "KSURE-COVER-SHARE" in found["guarantees.0.commercial_share"]
    raw = small(insurer="ksure", commercial_share=0.975)
    raw["project"]["sme_participation"] = True  # 97.5 % allowed for SMEs
    scenario_from_dict(raw, "test")


def test_bad_guarantee_input_named():
    raw = small(facility="Nope", recovery_rate=40)
    raw["guarantees"].append(dict(name="X", kind="insurance"))
    found = dict(problems(raw))
    assert "GUARANTEE-FACILITY" in found["guarantees.0.facility"]
    assert "0.08" in found["guarantees.0.recovery_rate"]  # a percentage where a decimal is meant
    assert "eca_cover" in found["guarantees.1.kind"]


# --- Iraq Bismaya ------------------------------------------------------------------------------------------


def test_iraq_cases():
    base, default, political = engine.run(IRAQ, ["base", "default", "political_event"])
    for r in (base, default, political):
        assert r.checks()["master_check"], r.case  # the defaulting cases pass their checks too
    mb, md, mp = base.metrics(), default.metrics(), political.metrics()
    assert mb["guarantee_claims"] == 0 and mb["lender_loss_after_cover"] == 0 and mb["default_periods"] == 0
    # the 42 % case: the project catches up over the years (default interest included), so the guarantors
    # recover every claim with its default interest under subrogation and the lenders receive exactly what they
    # are owed: discounted at each loan's rate, their receipts equal the contractual schedule (indemnity, no gain)
    assert md["default_periods"] > 0 and md["guarantee_claims"] > 0
    interest = sum(default.row(f"d{k}_subrogated_interest").sum() for k in (1, 2))
    assert interest > 0
    assert md["guarantee_recoveries"] == pytest.approx(md["guarantee_claims"] + interest, rel=1e-9)
    for k in (1, 2):
        assert md[f"d{k}_receipts_pv"] == pytest.approx(md[f"d{k}_schedule_pv"], rel=1e-9)
    assert md["lender_loss_after_cover"] == pytest.approx(0.0, abs=1e-3)  # 1e-3 of a dollar on ~600m of flows
    assert md["d1_lender_recovery_ratio"] == pytest.approx(1.0, rel=1e-12)
    assert mp["g5_claims"] > 0 and mp["g1_claims"] > 0  # political cover on the loan and on equity
    assert mb["g1_margin_difference"] == pytest.approx(0.055 - 0.0175, abs=1e-12)
    assert mb["guarantee_peak_exposure"] >= mb["g1_peak_exposure"] > 0


# --- data ---------------------------------------------------------------------------------------------------


def test_cover_data():
    # (a_7 x HOR + b_7) x 0.95 / 0.95 % = (1.1 x 13 + 1.8) % = 16.1 %
    assert minimum_premium_upfront(7, horizon_years=13, cover_share=0.95) == pytest.approx(0.161, abs=1e-12)
    assert np.isnan(minimum_premium_upfront(0, horizon_years=10, cover_share=0.95))


def test_political_events_by_oecd_category():
    """The one political-event draw (finmodel.risk.political) on the risk.yaml table: the probability rises with
    the category, and the share of paths with an event matches it."""
    oecd = PoliticalEvent()  # annual_probability: oecd, the other fields from risk.yaml
    p7 = political.annual_probability(oecd, 7)
    assert p7 > political.annual_probability(oecd, 2) >= 0
    n, periods, per_year = 20_000, 10, 2
    rng = np.random.default_rng(1)
    z, z_res = rng.standard_normal(n), rng.standard_normal(n)
    d = political.draw(oecd, periods=periods, periods_per_year=per_year, z=z, z_res=z_res, oecd_category=7)
    # an event starts within 5 years with probability P = 1 - (1 - p7) ** 5 (~7 % at p7 = 1.5 %): binomial, 6 sd
    share = 1 - (1 - p7) ** (periods / per_year)
    assert abs((d.start < periods).sum() - n * share) < 6 * np.sqrt(n * share * (1 - share))
    assert np.all(d.covered <= (d.start < periods)[:, None])  # the covered event only after an event started


# --- invariants (hypothesis) -----------------------------------------------------------------------------------


@st.composite
def covered(draw):
    raw = small(
        commercial_share=draw(st.floats(0.0, 0.95)),
        political_share=draw(st.floats(0.0, 1.0)),
        premium_rate=draw(st.floats(0.0, 0.2)),
        premium_basis=draw(st.sampled_from(["upfront", "running"])),
        premium_financed=draw(st.booleans()),
        payout=draw(st.sampled_from(["instalments", "accelerated"])),
        recovery_rate=draw(st.floats(0.0, 1.0)),
        recovery_lag_years=draw(st.integers(0, 2)),
        political_event_years=draw(st.lists(st.integers(1, 5), max_size=2)),
    )
    raw["revenues"][0]["amount"] = draw(st.floats(20.0, 120.0))
    # amounts are 0 or at least a millionth of a currency unit (scenario.MIN_AMOUNT)
    raw["lifecycle"][0]["amount"] = draw(st.one_of(st.just(0.0), st.floats(1e-3, 80.0)))
    raw["dsra"]["months"] = draw(st.sampled_from([0, 12]))
    return raw


def assert_invariants(v, p="g1"):
    claim, expo, prem = v[f"{p}_claim"], v[f"{p}_exposure"], v[f"{p}_premium"]
    assert np.all(claim <= expo + ATOL), "claim above cover x exposure"
    # independently: never more than the larger cover share x what the project left unpaid in the period, or
    # (accelerated) its balance
    share = np.maximum(v[f"in_{p}_commercial_share"], v[f"in_{p}_political_share"])
    unpaid = v["d1_interest_due"] + v["d1_principal_due"] - v["d1_interest_paid"] - v["d1_principal_paid"]
    assert np.all(claim <= share * np.maximum(unpaid, v["d1_closing"]) + ATOL)
    receipts, owed = v["d1_lender_receipts"].sum(axis=1), v["d1_lender_entitlement"].sum(axis=1)
    assert np.all(receipts <= owed + ATOL), "lenders received more than owed"
    # never more than it paid plus the default interest on what it paid (subrogated: the guarantor's)
    owed_g = claim.sum(axis=1) + v["d1_subrogated_interest"].sum(axis=1)
    assert np.all(v[f"{p}_recovery"].sum(axis=1) <= owed_g + ATOL), "guarantor recovered more than paid + interest"
    assert np.all(prem >= -ATOL), "negative premium"
    assert np.all(np.where(v["defaulted"] > 0, 0.0, np.abs(claim)) <= ATOL), "claim without a default or event"
    assert np.all(v["cash_difference"] <= ATOL) and np.all(v["cash_difference"] >= -ATOL)
    # equity receives nothing from the default on
    assert np.all(np.where(v["defaulted"] > 0, np.abs(v["cash_to_equity"]), 0.0) <= ATOL)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(covered())
def test_guarantee_invariants(raw):
    r = run_raw(raw)
    assert_invariants(r.values)
    assert all(r.checks().values()), {k: v for k, v in r.checks().items() if not v}


def test_invariants_vectorised_over_political_event_paths():
    """Monte Carlo shape: 500 paths of random political events (the one draw, category 7) in one evaluation."""
    raw = copy.deepcopy(small(political_share=1.0))
    r = run_raw(raw)
    rng = np.random.default_rng(7)
    z, z_res = rng.standard_normal(500), rng.standard_normal(500)
    ev = political.draw(PoliticalEvent(), periods=5, periods_per_year=1, z=z, z_res=z_res, oecd_category=7).covered
    ev[:50, 2] = 1.0  # make sure some paths have an event
    v = r.model.evaluate({**r.solved, "in_political_event": ev}, paths=500)
    assert_invariants(v)
    assert (v["g1_claim"].sum(axis=1) > 0).sum() >= 50
    assert np.all(v["master_check"] > 0.5)


def test_ksure_indemnity_hand_worked():
    """Issue 22: a K-SURE buyer-credit cover (95 %, instalments) indemnifies the lenders, never more.

    small(): loan 100 at 10 %, instalments 35, 32.5, 30, 27.5. Period 4 pays 10 of 30: unpaid 20, K-SURE pays
    95 % = 19; the lenders keep 1 of arrears. Period 5 pays everything due, 49.5: the instalment 27.5 and a
    catch-up of 22 = the arrears 20 + their default interest 2. Subrogation: K-SURE's 19 bears the contract rate,
    1.9 of that interest is K-SURE's, and it recovers 95 % x 22 = 20.9 = 19 + 1.9; the lenders keep 5 % x 22 =
    1.1 = their 1 + 0.1. Lenders: 35 + 32.5 + (10 + 19) + (27.5 + 1.1) = 125.1 = the schedule 125 + 0.1 of
    interest on their own arrears; discounted at 10 %, -1 / 1.1^4 + 1.1 / 1.1^5 = 0: the schedule's PV exactly.
    Under the old rule K-SURE recovered only its 19 and the lenders kept 3 (2.9 more than their own arrears'
    interest): 1.9 / 1.1^5 = 1.18 better off than if the project had paid.
    """
    r = run_raw(small(insurer="ksure", commercial_share=0.95, political_share=0.95))
    m = r.metrics()
    np.testing.assert_allclose(r.row("g1_claim"), [0, 0, 0, 19, 0], atol=TOL)
    np.testing.assert_allclose(r.row("d1_subrogated_interest"), [0, 0, 0, 0, 1.9], atol=TOL)
    np.testing.assert_allclose(r.row("d1_to_guarantor"), [0, 0, 0, 0, 20.9], atol=TOL)
    np.testing.assert_allclose(r.row("d1_lender_receipts"), [0, 35, 32.5, 29, 28.6], atol=TOL)
    schedule_pv = sum(x / 1.1**t for t, x in [(2, 35), (3, 32.5), (4, 30), (5, 27.5)])
    assert m["d1_schedule_pv"] == pytest.approx(schedule_pv, abs=TOL)
    assert m["d1_receipts_pv"] == pytest.approx(schedule_pv, abs=TOL)  # indemnified, not better off
    assert m["g1_recoveries"] == pytest.approx(20.9, abs=TOL) and m["g1_net_cost"] == pytest.approx(-1.9, abs=TOL)
    assert r.checks()["check_d1_indemnity"] and r.checks()["check_d1_guarantor_not_overpaid"]
    assert all(r.checks().values())
