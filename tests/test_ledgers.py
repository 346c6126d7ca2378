"""Ledgers party by party (finmodel.model.ledgers, finmodel.model.guarantees, finmodel.rows.totals): hand-worked
default cases to
the cent, the double count of the old rules caught by the new check, premiums in sources and uses and in the
cost of debt, declared contributions for every instrument, and property tests over random scenarios and
default timings.

Tolerances. Hand-worked amounts are small decimals (tens of currency units) computed in float64 through a few
dozen operations: they agree with the hand arithmetic to ~1e-13, asserted at 1e-9 absolute (far inside a cent).
Invariants over random scenarios (amounts up to ~1e3) are asserted at 1e-7 absolute: sums of a few dozen
float64 terms of that size carry error ~1e-13. Iraq figures (hundreds of millions) are compared relative 1e-9.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_guarantees import covered, run_raw, small

from finmodel.errors import FinmodelError
from finmodel.model import engine
from finmodel.model.funding import uses_lines
from finmodel.workbook.chart_specs import chart_specs

ROOT = Path(__file__).resolve().parent.parent
IRAQ = ROOT / "scenarios" / "iraq_bismaya.yaml"
TOL = 1e-9  # hand-worked amounts (see module docstring)
ATOL = 1e-7  # invariants

# Revenue 60 a year x service factor (in_service_factor: every revenue, availability payments included): CFADS 60
# in period 2, then 13, 12, 11 = 40 % of the contractual debt service of periods 3-5 (32.5, 30, 27.5; see
# small()): a payment default in period 3, after which the project pays 40 % of each contractual instalment and
# never catches up.
FORTY_PERCENT = np.array([[1.0, 1.0, 13 / 60, 12 / 60, 11 / 60]])


def forty_percent(raw):
    """Evaluate ``raw`` (no lifecycle cost) with the project paying 40 % of debt service from period 3 on."""
    raw["lifecycle"] = []
    r = run_raw(raw)
    v = r.model.evaluate({**r.solved, "in_service_factor": FORTY_PERCENT})
    return r, v


def total(v, name):
    return float(v[name][0].sum())


def assert_checks_pass(r, v):
    failed = [n for n in r.builder.check_names if v[n][0, 0] < 0.5]
    assert failed == [] and v["master_check"][0, 0] > 0.5


# --- the three hand-worked cases of the issue ---------------------------------------------------------------------


def test_instalment_cover_project_pays_40_percent():
    """(1) Instalment cover 90 %, recovery rate 50 %: default in period 3, the project pays 40 % afterwards.

    Loan 100 at 10 %, 4 equal instalments of 25: contractual debt service 35, 32.5, 30, 27.5 (periods 2-5).
    Period 3: paid 13 of 32.5 -> unpaid 19.5, claim 90 % = 17.55; balance 75 + 7.5 - 13 = 69.5.
    Period 4: contractual 30 (performing balance 50: interest 5 + principal 25); the Debt sheet's interest is
    6.95 (default interest 1.95 on the arrears 19.5); paid 12 -> unpaid 18, claim 16.2; balance 64.45.
    Period 5: contractual 27.5; interest 6.445 (default interest 3.945); paid 11 -> unpaid 16.5, claim 14.85;
    balance 59.895, never paid. Subrogation: the guarantor's claims bear the contract rate, its default interest
    17.55 x 10 % = 1.755 in period 4 and (17.55 + 1.755 + 16.2) x 10 % = 3.5505 in period 5, so its claim on the
    project at the end is 48.6 + 5.3055 = 53.9055 and the lenders' own is 59.895 - 53.9055 = 5.9895 (their 10 % of
    each arrear with its interest: 1.95 x 1.1^2 + 1.8 x 1.1 + 1.65). Workout 50 % = 29.9475: 26.95275 to the
    guarantor, 2.99475 to the lenders. No catch-up, so nothing passes to the guarantor under subrogation before.
    Lenders receive 35 + 13 + 12 + 11 + 48.6 + 2.99475 = 122.59475 <= owed 125 + their default interest
    (5.895 - 5.3055 = 0.5895) = 125.5895: loss 2.99475, half of their own 5.9895.
    """
    r, v = forty_percent(small())
    np.testing.assert_allclose(v["defaulted"][0], [0, 0, 1, 1, 1])
    np.testing.assert_allclose(v["d1_contract_ds"][0], [0, 35, 32.5, 30, 27.5], atol=TOL)
    np.testing.assert_allclose(v["d1_project_paid"][0], [0, 35, 13, 12, 11], atol=TOL)
    np.testing.assert_allclose(v["d1_paid_after_default"][0], [0, 0, 13, 12, 11], atol=TOL)
    np.testing.assert_allclose(v["d1_default_interest"][0], [0, 0, 0, 1.95, 3.945], atol=TOL)
    np.testing.assert_allclose(v["d1_claim"][0], [0, 0, 17.55, 16.2, 14.85], atol=TOL)
    np.testing.assert_allclose(v["d1_to_guarantor"][0], 0.0, atol=TOL)
    assert total(v, "d1_workout") == pytest.approx(29.9475, abs=TOL)
    np.testing.assert_allclose(v["d1_subrogated_interest"][0], [0, 0, 0, 1.755, 3.5505], atol=TOL)
    assert total(v, "d1_workout_guarantor") == pytest.approx(26.95275, abs=TOL)
    assert total(v, "d1_lender_receipts") == pytest.approx(122.59475, abs=TOL)
    assert total(v, "d1_lender_entitlement") == pytest.approx(125.5895, abs=TOL)
    assert v["d1_lender_loss"][0, 0] == pytest.approx(2.99475, abs=TOL)
    # guarantor: claims 48.6 - recoveries 26.95275 - premiums 0 = net cost 21.64725
    assert v["g1_claims"][0, 0] == pytest.approx(48.6, abs=TOL)
    assert v["g1_recoveries"][0, 0] == pytest.approx(26.95275, abs=TOL)
    assert v["g1_net_cost"][0, 0] == pytest.approx(21.64725, abs=TOL)
    assert v["d1_receipts_pv"][0, 0] < v["d1_schedule_pv"][0, 0]  # a loss: less than performance
    assert_checks_pass(r, v)


def test_accelerated_cover_with_later_project_payments():
    """(2) Accelerated cover 90 %: the same default; the balance after period 3's payment, 69.5, is accelerated.

    Claim 90 % x 69.5 = 62.55 in period 3. The project's later payments (12, 11) go 90 % to the guarantor under
    subrogation (10.8, 9.9), 10 % to the lenders (1.2, 1.1). The guarantor's claim bears the contract rate: 62.55
    + 6.255 - 10.8 = 58.005 after period 4, + 5.8005 - 9.9 = 53.9055 at the end; the lenders' own 10 %: 6.95 x 1.1
    - 1.2 = 6.445, x 1.1 - 1.1 = 5.9895 (the two add up to the 59.895 never paid). Workout 50 % = 29.9475:
    26.95275 to the guarantor, 2.99475 to the lenders. Lenders: 35 + 13 + 62.55 + 1.2 + 1.1 + 2.99475 = 115.84475
    <= owed 125 + 5.895 - 12.0555 (the guarantor's interest) = 118.8395. Guarantor: 62.55 - (20.7 + 26.95275) =
    net cost 14.89725.
    """
    r, v = forty_percent(small(payout="accelerated"))
    np.testing.assert_allclose(v["d1_claim"][0], [0, 0, 62.55, 0, 0], atol=TOL)
    np.testing.assert_allclose(v["d1_to_guarantor"][0], [0, 0, 0, 10.8, 9.9], atol=TOL)
    np.testing.assert_allclose(v["d1_lender_receipts"][0], [0, 35, 13 + 62.55, 1.2, 1.1 + 2.99475], atol=TOL)
    assert total(v, "d1_workout_guarantor") == pytest.approx(26.95275, abs=TOL)
    assert total(v, "d1_lender_receipts") == pytest.approx(115.84475, abs=TOL)
    assert v["d1_lender_loss"][0, 0] == pytest.approx(118.8395 - 115.84475, abs=TOL)
    assert v["g1_recoveries"][0, 0] == pytest.approx(47.65275, abs=TOL)
    assert v["g1_net_cost"][0, 0] == pytest.approx(14.89725, abs=TOL)
    np.testing.assert_allclose(v["g1_exposure"][0], [90, 99, 74.25, 0, 0], atol=TOL)  # nothing left to claim
    assert_checks_pass(r, v)


def two_loans(raw=None):
    """small() (or ``raw``, built on it) with the loan split into A (covered) and B (uncovered), 50 each, same
    terms."""
    raw = small() if raw is None else raw
    loan = raw["debt"]["facilities"][0]
    raw["debt"]["facilities"] = [dict(loan, name="A", amount=50.0), dict(loan, name="B", amount=50.0)]
    raw["guarantees"][0]["facility"] = "A"
    return raw


def test_uncovered_facility_in_default():
    """(3) An uncovered facility in default next to a covered one (same terms: every amount of (1) halves).

    B (uncovered): paid 17.5 + 6.5 + 6 + 5.5 = 35.5; no claim, nothing to a guarantor; never paid 29.9475,
    recovered at the uncovered workout rate 80 % (cover.yaml workout.uncovered_recovery_rate) = 23.958:
    lenders receive 59.458 of the 65.4475 owed (contractual 62.5 + default interest 2.9475): loss 5.9895.
    A (covered): claims 8.775 + 8.1 + 7.425 = 24.3, with their default interest 26.95275 at the end; workout 50 %
    x 29.9475 = 14.97375: 13.476375 to the guarantor, 1.497375 to the lenders: receipts 35.5 + 24.3 + 1.497375
    = 61.297375 <= owed 62.5 + 2.9475 - 2.65275 = 62.79475.
    """
    r, v = forty_percent(two_loans())
    assert "d2_claim" not in v and v["in_d2_recovery_rate"][0, 0] == pytest.approx(0.8)
    assert total(v, "d2_project_paid") == pytest.approx(35.5, abs=TOL)
    assert total(v, "d2_unpaid_at_end") == pytest.approx(29.9475, abs=TOL)
    assert total(v, "d2_workout_lenders") == pytest.approx(23.958, abs=TOL)
    assert total(v, "d2_lender_receipts") == pytest.approx(59.458, abs=TOL)
    assert total(v, "d2_lender_entitlement") == pytest.approx(65.4475, abs=TOL)
    assert v["d2_lender_loss"][0, 0] == pytest.approx(5.9895, abs=TOL)
    assert total(v, "d1_claim") == pytest.approx(24.3, abs=TOL)
    assert total(v, "d1_workout_guarantor") == pytest.approx(13.476375, abs=TOL)
    assert total(v, "d1_lender_receipts") == pytest.approx(61.297375, abs=TOL)
    assert v["g1_net_cost"][0, 0] == pytest.approx(24.3 - 13.476375, abs=TOL)
    assert v["lender_loss_after_cover"][0, 0] == pytest.approx(62.79475 - 61.297375, abs=TOL)
    assert_checks_pass(r, v)


def test_subordinated_facility_in_default_on_its_own():
    """B subordinated, the senior loan A always paid: B's own shortfall is its default.

    CFADS 30 from period 3. Period 3: senior 16.25 paid, B gets 13.75 of 16.25 (2.5 unpaid): B in default, its
    balance 27.5. Period 4: contractual 15 (performing 25: 2.5 + 12.5), interest 2.75 (default interest 0.25),
    paid 15 -> 15.25. Period 5: contractual 13.75, interest 1.525 (0.275), paid 30 - 13.75 = 16.25 -> 0.525 never
    paid: workout 80 % = 0.42. B receives 17.5 + 13.75 + 15 + 16.25 + 0.42 = 62.92 of 63.025 owed: loss 0.105.
    """
    raw = two_loans()
    raw["lifecycle"] = []
    raw["debt"]["facilities"][1]["seniority"] = "subordinated"
    r = run_raw(raw)
    v = r.model.evaluate({**r.solved, "in_service_factor": np.array([[1.0, 1.0, 0.5, 0.5, 0.5]])})
    np.testing.assert_allclose(v["defaulted"][0], 0.0)
    np.testing.assert_allclose(v["sub_defaulted"][0], [0, 0, 1, 1, 1])
    np.testing.assert_allclose(v["d2_project_paid"][0], [0, 17.5, 13.75, 15, 16.25], atol=TOL)
    np.testing.assert_allclose(v["d2_default_interest"][0], [0, 0, 0, 0.25, 0.275], atol=TOL)
    assert total(v, "d2_workout") == pytest.approx(0.42, abs=TOL)
    assert total(v, "d2_lender_receipts") == pytest.approx(62.92, abs=TOL)
    assert v["d2_lender_loss"][0, 0] == pytest.approx(0.105, abs=TOL)
    assert_checks_pass(r, v)  # a default is a result: repaid-at-maturity allows B's own default


def test_old_rules_double_count_is_caught():
    """The rules before this change claimed every contractual instalment after the default and added a recovery
    rate on top of the payments the project keeps making. Recomputed from the same rows, on Iraq's default case,
    the lenders would receive about twice what they are owed: the per-facility check now fails on that."""
    r = engine.run(IRAQ, ["default"])[0]
    v, m = r.values, r.metrics()
    for f, g, share in (("d1", "g1", 0.95), ("d2", "g2", 0.60)):
        acc = v[f"in_{g}_accelerated"][0, 0]
        start, prev = v["default_start"][0], np.concatenate([[0.0], v["defaulted"][0][:-1]])
        due = v[f"{f}_interest_due"][0] + v[f"{f}_principal_due"][0]
        paid = v[f"{f}_project_paid"][0]
        old_owed = (1 - acc) * (start * (due - paid) + prev * v[f"{f}_scheduled_ds"][0]) + acc * start * v[
            f"{f}_closing"
        ][0]
        old_receipts = paid.sum() + share * old_owed.sum() + (1 - share) * 0.40 * old_owed.sum()
        owed = total(v, f"{f}_lender_entitlement")
        # the double count: measured 1.75x (K-SURE) and 1.42x (KEXIM) of contractual debt service + default
        # interest (1.94x and 1.64x of contractual debt service alone)
        assert old_receipts > 1.3 * owed
        assert total(v, f"{f}_lender_receipts") <= owed * (1 + 1e-12)  # now: never more than owed
        assert r.checks()[f"check_{f}_lenders_not_overpaid"]
    # the check itself fails if the lenders are paid a claim on top of what the project paid
    bad = dict(v)
    bad["d1_lender_receipts"] = v["d1_lender_receipts"] + v["d1_paid_after_default"]
    assert not (bad["d1_lender_receipts"].sum() < v["d1_lender_entitlement"].sum() + 0.01)
    assert m["guarantee_claims"] > 0


# --- premiums: sources and uses, cost of debt ---------------------------------------------------------------------


def test_iraq_premiums_in_uses_chart_and_cost_of_debt():
    r = engine.run(IRAQ, ["base"])[0]
    v, m = r.values, r.metrics()
    # K-SURE 16 % x 95 % x 330m = 50.16m upfront + KEXIM 0.5 % x 60 % x 90m = 0.27m upfront and 1.2 % a year
    # on 60 % of its balance during construction: every financed premium is one line of uses
    assert total(v, "g1_premium_financed") == pytest.approx(0.16 * 0.95 * 330e6, rel=1e-12)
    assert total(v, "premiums_financed") == pytest.approx(
        total(v, "g1_premium_financed") + total(v, "g2_premium_financed"), rel=1e-12
    )
    assert m["uses_premiums_financed"] == pytest.approx(total(v, "premiums_financed"), rel=1e-12)
    lines = uses_lines(r.model)
    assert lines == ["capex_use", "upfront_fees", "commitment_fees", "idc", "dsra_initial", "premiums_financed"]
    assert sum(total(v, n) for n in lines) == pytest.approx(m["total_uses"], rel=1e-12)
    su = next(s for s in chart_specs(r.model) if s.key == "sources_uses")
    uses = sum(total(v, s.name) for s in su.series if s.side == "uses")
    sources = sum(total(v, s.name) for s in su.series if s.side == "sources")
    assert uses == pytest.approx(sources, rel=1e-12) and uses == pytest.approx(m["total_uses"], rel=1e-12)
    # average charge rate with premiums: 5.44 % before (interest + fees) -> about 7.2 %; no time value
    charges = sum(total(v, f"d{k}_interest") + total(v, f"d{k}_ge_fees") for k in (1, 2))
    premiums = total(v, "g1_premium") + total(v, "g2_premium")
    years = sum(total(v, f"d{k}_opening") for k in (1, 2)) / 2
    assert charges / years == pytest.approx(0.05435, abs=5e-5)  # what the Blending sheet showed before
    assert m["average_charge_rate_of_debt"] == pytest.approx((charges + premiums) / years, rel=1e-12)
    assert 0.071 < m["average_charge_rate_of_debt"] < 0.073
    d1_years = total(v, "d1_opening") / 2
    assert m["d1_average_charge_rate"] == pytest.approx(
        (total(v, "d1_interest") + total(v, "d1_ge_fees") + total(v, "g1_premium")) / d1_years, rel=1e-12
    )


def _debt_yield(v, ks):
    """The yield of the borrower's dated flows with the lenders and guarantors of facilities ``ks``, rebuilt from the
    ledger rows (drawdowns out; IDC, interest and principal paid, fees and every premium for the facility's cover
    back), by numpy-financial, annualised for the semi-annual model."""
    import numpy_financial as npf

    flow = 0.0
    for k in ks:
        flow = flow - v[f"d{k}_draw"][0] + v["construction_flag"][0] * v[f"d{k}_interest"][0]
        flow = flow + v[f"d{k}_interest_paid"][0] + v[f"d{k}_principal_paid"][0] + v[f"d{k}_ge_fees"][0]
        flow = flow + v[f"g{k}_premium"][0]  # Iraq: g1 covers d1 (K-SURE), g2 covers d2 (KEXIM)
    return (1 + npf.irr(flow)) ** 2 - 1


def test_iraq_all_in_cost_is_the_yield_of_the_dated_flows():
    """Issue 22: the all-in cost is the IRR of dated flows. The 16 % x 95 % K-SURE premium is paid at close: as money
    at close it costs 8.42 % a year on the package (8.60 % on facility 1), where the balance-weighted average of
    charges, which gives it no time value, says 7.22 % (7.14 %)."""
    r = engine.run(IRAQ, ["base"])[0]
    v, m = r.values, r.metrics()
    assert r.checks() and all(r.checks().values())
    # numpy-financial's IRR and ours solve the same polynomial; both stop at steps ~1e-12: 1e-9 relative
    assert m["d1_all_in_cost"] == pytest.approx(_debt_yield(v, [1]), rel=1e-9)
    assert m["d2_all_in_cost"] == pytest.approx(_debt_yield(v, [2]), rel=1e-9)
    assert m["all_in_cost_of_debt"] == pytest.approx(_debt_yield(v, [1, 2]), rel=1e-9)
    assert round(m["all_in_cost_of_debt"], 4) == 0.0842 and round(m["average_charge_rate_of_debt"], 4) == 0.0722
    assert round(m["d1_all_in_cost"], 4) == 0.0860 and round(m["d1_average_charge_rate"], 4) == 0.0714
    # the yield is above the average exactly because the upfront premium weighs as money at close
    assert m["all_in_cost_of_debt"] > m["average_charge_rate_of_debt"]


def test_premium_tax_treatment():
    """Financed premiums are capitalised and depreciated; premiums paid in operations are expensed."""
    raw = small(premium_rate=0.02, premium_basis="upfront")
    raw["lifecycle"], raw["tax"]["rate"] = [], 0.2
    r = run_raw(raw)
    # capitalised cost = capex 200 + the financed premium 2 % x 90 % x 100 = 1.8, depreciated over 4 years
    assert total(r.values, "capitalised_cost") == pytest.approx(201.8, abs=TOL)
    assert r.row("depreciation")[1] == pytest.approx(201.8 / 4, abs=TOL)
    raw = small(premium_rate=0.01, premium_basis="running")
    raw["lifecycle"], raw["tax"]["rate"] = [], 0.2
    r = run_raw(raw)
    # running premium in period 2: 1 % x 90 % x 100 = 0.9, a tax deduction; taxable 60 - 50 - 10 - 0.9 = -0.9
    assert r.row("premiums_expensed")[1] == pytest.approx(0.9, abs=TOL)
    assert r.row("taxable_income")[1] == pytest.approx(60 - 50 - 10 - 0.9, abs=TOL)


# --- declared contributions -----------------------------------------------------------------------------------


ALL_KINDS = [
    dict(
        name="ECA",
        kind="eca_cover",
        insurer="kexim",
        facility="A",
        commercial_share=0.9,
        political_share=0.9,
        premium_rate=0.02,
        premium_basis="upfront",
        premium_financed=False,
        recovery_rate=0.5,
        recovery_lag_years=1,
    ),
    dict(
        name="PRG",
        kind="partial_risk_guarantee",
        guarantor="kexim",
        facility="B",
        share=0.5,
        risks="all",
        fee=0.01,
        upfront_fee=0.005,
        recovery_rate=0.5,
        recovery_lag_years=0,
    ),
    dict(name="Bond", kind="performance_bond", contract_share=0.1, fee=0.01, sme_contract=False),
    dict(
        name="AP guarantee", kind="availability_guarantee", revenue="AP", share=0.8, fee=0.01, payer_default_years=[3]
    ),
    dict(name="PRI", kind="political_risk_insurance", share=0.9, premium_rate=0.01, political_event_years=[5]),
]
# what each instrument must add to the shared totals (line names of finmodel.model.guarantees)
LOAN_COVER = {
    "debt_premiums": None,
    "uses": ["premiums_financed"],
    "cfads": ["cfads_guarantee_cash"],
    "tax_deductions": ["premiums_expensed"],
    "equity_cf": ["equity_guarantee_cash"],
}
EXPECTED = {
    "g1": {**LOAN_COVER, "debt_premiums": ["g1_premium_in_cost"]},  # financed part 0 here: paid by sponsors
    "g2": {**LOAN_COVER, "debt_premiums": ["g2_premium_in_cost"]},
    "g3": {},  # paid by the contractor: no project cash
    "g4": {"cfads": ["cfads_guarantee_cash", "cfads_lost_payments"], "tax_deductions": ["premiums_expensed"]},
    "g5": {"equity_cf": ["equity_guarantee_cash"]},
}


def _refs(expr):
    return {n for n, _ in expr.refs()}


def test_every_instrument_declares_its_contributions():
    raw = two_loans()
    raw["guarantees"] = copy.deepcopy(ALL_KINDS)
    r = run_raw(raw)
    b, rows = r.builder, r.model.rows
    for p, wants in EXPECTED.items():
        prefix = f"{p}_"
        for total_name, lines in wants.items():
            declared = {c.name: c for c in b.contributions[total_name]}
            for line in lines:
                assert line in declared, (p, total_name, line)
                assert any(n.startswith(prefix) for n in _refs(declared[line].expr)), (p, line)
        for total_name, cs in b.contributions.items():
            if total_name not in wants:
                assert not any(n.startswith(prefix) for c in cs for n in _refs(c.expr)), (p, total_name)
    # each total is the visible sum of its declared lines
    for line in ("premiums_financed",):
        assert line in _refs(rows["uses"].expr) and rows[line].sheet == "Funding"
    assert {"cfads_guarantee_cash", "cfads_lost_payments"} <= _refs(rows["cfads"].expr)
    assert "equity_guarantee_cash" in _refs(rows["equity_cf"].expr)
    assert "premiums_expensed" in _refs(rows["taxable_income"].expr)
    assert {"g1_premium_in_cost"} <= _refs(rows["d1_debt_charges"].expr)
    assert {"g2_premium_in_cost"} <= _refs(rows["d2_debt_charges"].expr)
    assert all(r.checks().values()), {k: x for k, x in r.checks().items() if not x}
    # the ECA's upfront premium (2 % x 90 % x 50 = 0.9) is paid by the sponsors: in the equity flows, not in uses
    v = r.values
    assert total(v, "g1_premium_sponsors") == pytest.approx(0.9, abs=TOL)
    assert total(v, "g1_premium_financed") == pytest.approx(0.0, abs=TOL)


@pytest.mark.parametrize("left_out", ["uses", "cfads", "equity_cf"])
def test_a_missing_contribution_fails_the_cash_check(monkeypatch, left_out):
    """Leaving a line out is impossible to miss: with one total's guarantee line dropped, the cash between the
    project, its sponsors and the guarantors no longer equals what the totals carry beyond their own lines."""
    raw = two_loans()
    raw["guarantees"] = copy.deepcopy(ALL_KINDS)
    raw["guarantees"][0]["premium_financed"] = left_out == "uses"
    assert run_raw(raw).checks()["check_guarantee_cash_declared"]
    original = engine.Builder.contribute

    def dropping(self, total, *a, **kw):
        if total != left_out:
            original(self, total, *a, **kw)

    monkeypatch.setattr(engine.Builder, "contribute", dropping)
    assert not run_raw(raw).checks()["check_guarantee_cash_declared"]


def test_contribution_after_the_total_is_an_error():
    r = run_raw(small())
    with pytest.raises(FinmodelError, match="after the total was built"):
        r.builder.contribute("uses", "late_line", r.model.ref("capex_use"), "late", owner="test")
    with pytest.raises(FinmodelError, match="unknown shared total"):
        r.builder.contribute("nope", "x", r.model.ref("capex_use"), "x", owner="test")


def test_no_row_edited_after_it_was_built(monkeypatch):
    """Rows are never amended: building the model never assigns a row's expression twice."""
    from finmodel import rows as rows_mod

    seen = {}
    original = rows_mod.Row.__setattr__

    def spy(self, key, value):
        if key == "expr":
            assert self.name not in seen, f"row {self.name!r} edited after it was built"
            seen[self.name] = True
        original(self, key, value)

    monkeypatch.setattr(rows_mod.Row, "__setattr__", spy)
    raw = two_loans()
    raw["guarantees"] = copy.deepcopy(ALL_KINDS)
    run_raw(raw)
    assert len(seen) > 100


# --- property tests ----------------------------------------------------------------------------------------------


@st.composite
def scenarios(draw):
    raw = draw(covered())  # random cover terms, revenue, lifecycle cost, DSRA (test_guarantees)
    # claims waiting period of 0, 1 or 2 (annual) periods, with or without interest on claims
    raw["guarantees"][0]["claims_waiting_months"] = draw(st.sampled_from([0, 12, 24]))
    raw["guarantees"][0]["waiting_interest"] = draw(st.booleans())
    raw = two_loans(raw) if draw(st.booleans()) else raw
    # default timing: a demand factor per period (0 = nothing paid that period)
    demand = draw(st.lists(st.floats(0.0, 1.3), min_size=5, max_size=5))
    return raw, np.array([demand])


def assert_no_party_overpaid(r, v):
    facs = [f.p for f in r.builder.facilities]
    for p in facs:
        rec, owed = v[f"{p}_lender_receipts"].sum(axis=1), v[f"{p}_lender_entitlement"].sum(axis=1)
        assert np.all(rec <= owed + ATOL), "lenders received more than owed"
        # independently of the ledger's definitions: never more than everything the project paid the facility
        # plus what it still owes at the end
        paid = (v[f"{p}_interest_paid"] + v[f"{p}_principal_paid"]).sum(axis=1)
        assert np.all(rec <= paid + v[f"{p}_closing"][:, -1] + ATOL)
        if f"{p}_claim" in v:
            claims = v[f"{p}_claim"].sum(axis=1)
            rec_g = (v[f"{p}_to_guarantor"] + v[f"{p}_workout_guarantor"]).sum(axis=1)
            owed_g = claims + v[f"{p}_subrogated_interest"].sum(axis=1)
            assert np.all(rec_g <= owed_g + ATOL), "guarantor recovered more than it paid + interest"
            assert np.all(v[f"{p}_claim"] >= -ATOL) and np.all(v[f"{p}_to_guarantor"] >= -ATOL)
        # indemnity, independently of the ledger's PV rows: discounted at the loan's own (period) rate, the
        # lenders' receipts never exceed what the contractual schedule would have paid them
        df = np.cumprod(1 / (1 + np.broadcast_to(v[f"{p}_period_rate"], v[f"{p}_lender_receipts"].shape)), axis=1)
        rec_pv = (v[f"{p}_lender_receipts"] * df).sum(axis=1)
        sched_pv = (v[f"{p}_contract_schedule"] * df).sum(axis=1)
        assert np.all(rec_pv <= sched_pv + ATOL), f"{p}: lenders better off than under performance"
        np.testing.assert_allclose(v[f"{p}_receipts_pv"][:, 0], rec_pv, rtol=1e-12, atol=ATOL)
    for g in (k for k in range(1, 9) if f"g{k}_net_cost" in v):
        # each guarantor's net cost = claims - recoveries - premiums (its result = premiums - claims + recoveries),
        # to the cent, from the cash rows of its ledger
        cash = v[f"g{g}_claim"] - v[f"g{g}_recovery"] - v[f"g{g}_premium"]
        np.testing.assert_allclose(v[f"g{g}_net_cost"][:, 0], cash.sum(axis=1), atol=0.01)
    claim, expo = v["g1_claim"], v["g1_exposure"]
    assert np.all(claim <= expo + ATOL), "claim above cover x exposure"
    assert np.all(np.where(v["defaulted"] > 0, 0.0, np.abs(claim)) <= ATOL), "claim without a default or event"
    assert np.all(v["g1_premium"] >= -ATOL)
    np.testing.assert_allclose(v["cash_difference"], 0.0, atol=ATOL)
    assert np.all(np.where(v["defaulted"] > 0, np.abs(v["cash_to_equity"]), 0.0) <= ATOL)
    # sources = uses including premiums, and the sources-and-uses chart balances
    np.testing.assert_allclose(v["sources"].sum(axis=1), v["uses"].sum(axis=1), atol=ATOL)
    lines = uses_lines(r.model)
    np.testing.assert_allclose(sum(v[n].sum(axis=1) for n in lines), v["uses"].sum(axis=1), atol=ATOL)
    su = next(s for s in chart_specs(r.model) if s.key == "sources_uses")
    uses = sum(v[s.name].sum(axis=1) for s in su.series if s.side == "uses")
    sources = sum(v[s.name].sum(axis=1) for s in su.series if s.side == "sources")
    np.testing.assert_allclose(uses, sources, atol=ATOL)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_no_party_receives_more_than_owed(case):
    raw, demand = case
    r = run_raw(raw)
    v = r.model.evaluate({**r.solved, "in_service_factor": demand})
    assert_no_party_overpaid(r, v)
    assert_checks_pass(r, v)


def test_vectorised_over_default_timings():
    """Monte Carlo shape: 400 paths of random demand (default timings) in one evaluation, no loop over paths."""
    raw = two_loans()
    r = run_raw(raw)
    rng = np.random.default_rng(11)
    demand = rng.uniform(0.0, 1.3, size=(400, 5))
    v = r.model.evaluate({**r.solved, "in_service_factor": demand}, paths=400)
    assert_no_party_overpaid(r, v)
    assert (v["d1_claim"].sum(axis=1) > 0).sum() > 50
    assert np.all(v["master_check"] > 0.5)


# --- while here: max_gearing and fx_to_usd ------------------------------------------------------------------------


def test_usd_figures_of_a_non_usd_scenario():
    raw = small()
    raw["project"].update(currency="KRW", fx_to_usd=1 / 1380)
    m = run_raw(raw).metrics()
    for k in ("total_uses", "total_debt", "total_equity", "equity_npv"):
        assert m[f"{k}_usd"] == pytest.approx(m[k] / 1380, rel=1e-12)
    assert "total_uses_usd" not in run_raw(small()).metrics()  # a USD scenario needs no conversion


def test_max_gearing_as_described():
    """max_gearing = debt (all facilities) / uses after capital grants, in the schema and in the solver."""
    from finmodel.schema import Sizing

    desc = Sizing.model_fields["max_gearing"].description
    assert "all facilities" in desc and "uses after capital grants" in desc
    raw = small()
    raw["revenues"] += [dict(name="Grant", kind="capital_grant", amount=50.0, phasing=[1.0])]
    raw["revenues"][0]["amount"] = 200.0  # the DSCR capacity does not bind
    loan = raw["debt"]["facilities"][0]
    loan.pop("amount")
    loan["share"] = 1.0
    raw["debt"]["sizing"] = dict(max_gearing=0.4, target_dscr=1.2)
    m = run_raw(raw).metrics()
    # uses 200 (capex, no fees or IDC) - grant 50 = 150: debt 40 % x 150 = 60 (the solver converges to 1e-11
    # relative: engine.REL_TOL; asserted at 1e-9)
    assert m["total_debt"] == pytest.approx(0.4 * (m["total_uses"] - m["total_grants"]), rel=1e-9)
    assert m["total_debt"] == pytest.approx(60.0, rel=1e-9)


# --- recalculation parity of the ledgers (LibreOffice) ------------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.parametrize("wait", [0, 24], ids=["no wait", "two-period claims wait"])
def test_ledgers_recalculation_parity_with_workout(tmp_path, recalc, wait):
    """A default that is never cured (revenue 30 < debt service 35 from the first instalment): claims on both
    payouts' rows, subrogation and workout recoveries are all non-zero; the recalculated workbook equals the
    engine in every formula cell (tolerances of finmodel.workbook.parity.compare). With a claims waiting period (one
    cover paying interest on claims, the other not), the waiting rows too."""
    import yaml

    from finmodel import api
    from finmodel.workbook import parity

    raw = two_loans()
    raw["revenues"][0]["amount"] = 30.0
    raw["guarantees"].append(dict(small()["guarantees"][0], name="Cover B", facility="B", payout="accelerated"))
    if wait:
        raw["guarantees"][0].update(claims_waiting_months=wait, waiting_interest=True)
        raw["guarantees"][1].update(claims_waiting_months=wait, waiting_interest=False)
    src = tmp_path / "never cured [ledgers].yaml"
    src.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    path = tmp_path / "ledgers.xlsx"
    result = api.run(str(src), ["base"], workbook=path).results[0]
    v = result.values
    assert total(v, "d1_workout") > 0 and total(v, "d2_claim") > 0 and total(v, "d2_to_guarantor") > 0
    assert total(v, "d1_workout_guarantor") > 0 and result.checks()["master_check"]
    if wait:
        assert total(v, "d1_claim_arising") > 0 and total(v, "d2_claim_arising") > 0
    recalculated = recalc(path)
    assert recalculated.exists()
    assert parity.compare(result, path, recalculated) == []
