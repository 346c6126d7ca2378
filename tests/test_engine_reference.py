"""The engine against reference values from outside finmodel: numpy-financial and a case worked by hand.

Tolerances, each with its reason:

* ``IRR_ATOL = 1e-9`` on annualised IRRs: finmodel.finance.irr and numpy_financial.irr both find the period
  root to ~1e-12 (rounding level for well-conditioned flows); annualising ``(1 + i) ** P - 1`` multiplies an
  error by at most ``P (1 + i) ** (P - 1)`` (about 2.3 for semi-annual periods), so 1e-9 leaves a wide margin
  and still catches a wrong convention (one period of shift moves an IRR by 1e-3 or more).
* ``MONEY_RTOL = 1e-12`` for NPVs and schedules recomputed from the same rows: the same sums of products in a
  different order differ by a few ulps (1e-15 relative); 1e-12 leaves room. Values that should be zero are
  compared with an absolute tolerance of ``1e-12`` of the amounts involved.
* ``SOLVED_RTOL = 1e-9`` where the engine solves (debt sizing and sculpting, the debt fraction): the fixed
  point stops when commitments are stable to 1e-11 relative (``engine.REL_TOL``), so anything derived from
  them agrees with a closed form to ~1e-10; 1e-9 is the tolerance promised for sizing.
* Hand-worked case: amounts of order 100; the engine solves the debt fraction to 1e-11 relative, so 1e-9
  absolute/relative.
"""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest

from finmodel.inputs.validation import scenario_from_dict
from finmodel.model import engine
from finmodel.schema import load_raw

IRR_ATOL = 1e-9
MONEY_RTOL = 1e-12
SOLVED_RTOL = 1e-9
HAND_TOL = 1e-9


def run_raw(raw, source="test") -> engine.CaseResult:
    """Solve and evaluate the base case of a raw scenario mapping."""
    return engine.evaluate_case(scenario_from_dict(raw, source), "base", None, resize=True)


def row(result, name):
    return result.values[name][0]


def one_facility(facility: dict, **changes) -> dict:
    """The default scenario with a single facility, no cases; ``changes`` replace top-level blocks."""
    raw = load_raw(None)
    raw["cases"] = {}
    raw["debt"]["facilities"] = [facility]
    raw["debt"].pop("sizing", None)
    raw.update(changes)
    return raw


@pytest.fixture(scope="module")
def default():
    (result,) = engine.run(None)
    return result


# --- IRR and NPV of the default scenario ------------------------------------------------------------------


def test_default_runs_clean(default):
    # the reference comparisons below assume a base case with no default and every check passing
    assert default.metrics()["default_periods"] == 0
    assert all(default.checks().values())


@pytest.mark.parametrize(
    "metric, flows",
    [("project_irr", "project_cf"), ("project_irr_pre_tax", "project_cf_pre_tax"), ("equity_irr", "equity_cf")],
)
def test_irr_matches_numpy_financial(default, metric, flows):
    P = default.builder.scenario.timeline.periods_per_year
    period_irr = npf.irr(row(default, flows))
    assert default.metrics()[metric] == pytest.approx((1 + period_irr) ** P - 1, abs=IRR_ATOL)


def test_npv_matches_numpy_financial_excel_convention(default):
    sc = default.builder.scenario
    P = sc.timeline.periods_per_year
    kp = (1 + sc.equity_discount_rate) ** (1 / P) - 1  # period rate equivalent to the annual cost of equity
    # Excel's NPV discounts the first flow one period; numpy_financial.npv does not: divide by (1 + kp)
    cf = row(default, "equity_cf")
    assert default.metrics()["equity_npv"] == pytest.approx(npf.npv(kp, cf) / (1 + kp), rel=MONEY_RTOL)
    for k, sp in enumerate(sc.sponsors, start=1):
        # each sponsor's flows are its share of the equity cash flow
        expected = npf.npv(kp, sp.share * cf) / (1 + kp)
        assert default.metrics()[f"sponsor{k}_npv"] == pytest.approx(expected, rel=MONEY_RTOL)


def test_dscr_metrics_recomputed(default):
    cfads, due = row(default, "cfads"), row(default, "senior_due")
    on = due > 0
    dscr = cfads[on] / due[on]
    m = default.metrics()
    assert m["min_dscr"] == pytest.approx(dscr.min(), rel=MONEY_RTOL)
    assert m["avg_dscr"] == pytest.approx(dscr.mean(), rel=MONEY_RTOL)


# --- annuity -----------------------------------------------------------------------------------------------

ANNUITY_AMOUNT = 200e6  # [USD]
ANNUITY_RATE = 0.06  # [per year]


@pytest.mark.parametrize("periods_per_year", [1, 2, 4, 12])
def test_annuity_schedule_matches_pmt_ipmt_ppmt(periods_per_year):
    # grace 4 years > construction 3 years: interest in operating year 4 is paid from the waterfall, so the
    # balance at the start of repayment is the commitment (interest during construction was funded by draws)
    raw = one_facility(
        dict(
            name="Annuity loan",
            kind="commercial",
            amount=ANNUITY_AMOUNT,
            rate={"fixed": ANNUITY_RATE},
            upfront_fee=0.0,
            commitment_fee=0.0,
            grace_years=4,
            maturity_years=18,
            repayment="annuity",
        )
    )
    raw["timeline"]["periods_per_year"] = periods_per_year
    raw["dsra"]["months"] = 12  # a whole number of periods for every periodicity
    res = run_raw(raw)
    assert res.metrics()["default_periods"] == 0  # revenue covers the debt service: schedule = payments
    assert all(res.checks().values())
    P = periods_per_year
    flag = row(res, "d1_repay_flag") > 0
    idx = np.flatnonzero(flag)
    n = (18 - 4) * P
    assert idx[0] == 4 * P and len(idx) == n  # first instalment in period 4P + 1 (0-based index 4P)
    # fully drawn, IDC capitalised through drawdowns: the balance when repayment starts is the commitment
    assert row(res, "d1_cum_draw")[-1] == pytest.approx(ANNUITY_AMOUNT, rel=MONEY_RTOL)
    assert row(res, "d1_opening")[idx[0]] == pytest.approx(ANNUITY_AMOUNT, rel=MONEY_RTOL)
    r = ANNUITY_RATE / P  # finmodel's period rate: annual / periods per year
    k = np.arange(1, n + 1)
    pmt = -npf.pmt(r, n, ANNUITY_AMOUNT)
    principal, interest = row(res, "d1_principal_paid")[idx], row(res, "d1_interest_paid")[idx]
    # principal due = opening balance - scheduled balance: a difference of commitment-sized numbers, so its
    # rounding error is relative to the commitment (observed 1.5e-13 of it), not to the instalment
    atol = MONEY_RTOL * ANNUITY_AMOUNT
    np.testing.assert_allclose(principal, -npf.ppmt(r, k, n, ANNUITY_AMOUNT), rtol=1e-12, atol=atol)
    np.testing.assert_allclose(interest, -npf.ipmt(r, k, n, ANNUITY_AMOUNT), rtol=1e-12, atol=atol)
    np.testing.assert_allclose(principal + interest, pmt, rtol=1e-12, atol=atol)
    # no principal outside the repayment periods; nothing left at maturity
    assert np.all(row(res, "d1_principal_paid")[~flag] == 0)
    assert abs(row(res, "d1_closing")[idx[-1]]) < atol


# --- sculpted ----------------------------------------------------------------------------------------------

TARGET_DSCR = 1.35
SCULPT_RATE = 0.07  # [per year]


@pytest.fixture(scope="module")
def sculpted():
    # the only (senior) facility, sized; max gearing 0.95 so that the DSCR constraint binds
    raw = one_facility(
        dict(
            name="Sculpted loan",
            kind="commercial",
            share=1.0,
            rate={"fixed": SCULPT_RATE},
            upfront_fee=0.01,
            commitment_fee=0.005,
            grace_years=3,
            maturity_years=18,
            repayment="sculpted",
        )
    )
    raw["debt"]["sizing"] = {"max_gearing": 0.95, "target_dscr": TARGET_DSCR}
    return run_raw(raw)


def test_sculpted_binds_on_dscr(sculpted):
    m = sculpted.metrics()
    assert m["gearing"] < 0.95 - 1e-3  # the gearing cap does not bind ...
    assert m["min_dscr"] == pytest.approx(TARGET_DSCR, rel=SOLVED_RTOL)  # ... the DSCR does
    assert m["default_periods"] == 0
    assert all(sculpted.checks().values())


def test_sculpted_debt_service_is_cfads_over_target(sculpted):
    flag = row(sculpted, "d1_repay_flag") > 0
    ds = row(sculpted, "d1_interest_due") + row(sculpted, "d1_principal_due")
    cfads = row(sculpted, "cfads")
    np.testing.assert_allclose(ds[flag], cfads[flag] / TARGET_DSCR, rtol=SOLVED_RTOL)
    assert flag.sum() == (18 - 3) * 2


def test_sculpted_size_is_pv_of_debt_service(sculpted):
    flag = row(sculpted, "d1_repay_flag") > 0
    ds = (row(sculpted, "d1_interest_due") + row(sculpted, "d1_principal_due"))[flag]
    r = SCULPT_RATE / 2
    # PV at the loan's period rate from the start of repayment: the first instalment discounted one period
    pv = npf.npv(r, np.r_[0.0, ds])
    amount = sculpted.solved["in_d1_amount"][0, 0]
    assert amount == pytest.approx(pv, rel=SOLVED_RTOL)
    # fully drawn, so the balance at the start of repayment is that PV
    assert row(sculpted, "d1_opening")[flag][0] == pytest.approx(pv, rel=SOLVED_RTOL)
    assert abs(row(sculpted, "d1_closing")[flag][-1]) < 1e-9 * amount


# --- equal principal and the grace convention --------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2])  # the two fixed-amount, equal-principal facilities of the default scenario
def test_equal_principal(default, k):
    f = default.builder.scenario.debt.facilities[k - 1]
    assert f.repayment == "equal" and f.amount is not None
    P = default.builder.scenario.timeline.periods_per_year
    flag = row(default, f"d{k}_repay_flag") > 0
    n = round((f.maturity_years - f.grace_years) * P)
    assert flag.sum() == n
    np.testing.assert_allclose(row(default, f"d{k}_principal_due")[flag], f.amount / n, rtol=MONEY_RTOL)
    np.testing.assert_allclose(row(default, f"d{k}_principal_paid")[flag], f.amount / n, rtol=MONEY_RTOL)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_grace_convention(default, k):
    # grace = years with no principal; the first instalment falls at the end of the first period after grace;
    # the balance is zero at maturity_years
    f = default.builder.scenario.debt.facilities[k - 1]
    P = default.builder.scenario.timeline.periods_per_year
    g, mat = round(f.grace_years * P), round(f.maturity_years * P)
    period = row(default, "period")
    principal = row(default, f"d{k}_principal_paid")
    closing = row(default, f"d{k}_closing")
    amount = default.solved.get(f"in_d{k}_amount", np.array([[f.amount]]))[0, 0] if f.amount is None else f.amount
    assert np.all(principal[period <= g] == 0)
    assert principal[period == g + 1][0] > 0
    assert np.all(principal[period > mat] == 0)
    assert closing[period == g][0] == pytest.approx(amount, rel=MONEY_RTOL)  # nothing repaid during grace
    assert np.all(np.abs(closing[period >= mat]) < 1e-9 * amount)
    assert abs(closing[period == mat - 1][0]) > 0  # ... and not before the last instalment
    assert row(default, f"d{k}_maturity_flag")[period == mat][0] == 1


# --- a small case worked by hand ---------------------------------------------------------------------------


def hand_case_raw() -> dict:
    """Annual periods; 2 construction years (so there is interest during construction: with one annual
    construction period the loan's opening balance would be 0 and IDC 0); 3 operating years; capex 100
    phased 50 / 50, no contingency; an availability payment of 40 a year, not indexed; no opex, no tax; one
    loan of 60 at 10 %, equal principal over 3 years after 2 years' grace, no fees; no DSRA; no shareholder
    loan; one sponsor; debt drawn pro rata with equity."""
    raw = load_raw(None)
    raw.update(cases={}, opex=[], lifecycle=[], shareholder_loan=None, cash_sweep=0.0)
    raw["timeline"].update(construction_years=2, operation_years=3, periods_per_year=1)
    raw["capex"].update(amount=100.0, phasing=[0.5, 0.5], contingency=0.0)
    raw["revenues"] = [dict(name="Availability payment", kind="availability", amount=40.0, indexation=0.0)]
    raw["tax"].update(rate=0.0, holiday_years=0)
    raw["sponsors"] = [dict(name="Sponsor", kind="sponsor", share=1.0)]
    raw["debt"] = dict(
        drawdown="pro_rata",
        facilities=[
            dict(
                name="Term loan",
                kind="commercial",
                amount=60.0,
                rate={"fixed": 0.10},
                upfront_fee=0.0,
                commitment_fee=0.0,
                grace_years=2,
                maturity_years=5,
                repayment="equal",
            )
        ],
    )
    raw["dsra"] = {"months": 0}
    raw["equity_discount_rate"] = 0.12
    return raw


def test_hand_worked_case():
    res = run_raw(hand_case_raw(), "hand")
    v = {k: a[0] for k, a in res.values.items()}

    # Construction. Interest accrues on the opening balance, so year 1 has none. Debt draws a fraction f of
    # each year's uses (pro rata with equity):
    #   year 1: uses U1 = 50,               draw D1 = 50 f
    #   year 2: IDC = 10 % x D1 = 5 f,      uses U2 = 50 + 5 f,   draw D2 = f (50 + 5 f)
    # The loan is fully drawn: D1 + D2 = 60  =>  5 f^2 + 100 f - 60 = 0  =>  f = sqrt(112) - 10 = 0.5830052...
    f = math.sqrt(112) - 10
    assert 5 * f**2 + 100 * f - 60 == pytest.approx(0, abs=1e-12)
    d1, idc = 50 * f, 5 * f
    u2 = 50 + idc
    d2 = f * u2
    assert d1 + d2 == pytest.approx(60, abs=1e-12)
    e1, e2 = 50 - d1, u2 - d2  # equity funds the rest: 20.8497..., 22.0653...
    assert res.solved["in_debt_fraction"][0, 0] == pytest.approx(f, abs=HAND_TOL)
    np.testing.assert_allclose(v["idc"], [0, idc, 0, 0, 0], atol=HAND_TOL)
    np.testing.assert_allclose(v["uses"], [50, u2, 0, 0, 0], atol=HAND_TOL)
    np.testing.assert_allclose(v["debt_draws"], [d1, d2, 0, 0, 0], atol=HAND_TOL)
    np.testing.assert_allclose(v["equity_funding"], [e1, e2, 0, 0, 0], atol=HAND_TOL)
    np.testing.assert_allclose(v["sources"], v["uses"], atol=HAND_TOL)
    # balance at the end of construction = 60 (IDC was paid by the draws, not added to the balance)
    assert v["d1_closing"][1] == pytest.approx(60, abs=HAND_TOL)

    # Operations, years 3-5: CFADS = revenue 40 (no opex, no tax). Equal principal 60 / 3 = 20 a year.
    # Interest = 10 % of the opening balance: 6, 4, 2. Debt service 26, 24, 22.
    # DSCR = 40/26 = 1.5385, 40/24 = 1.6667, 40/22 = 1.8182: none below the 1.15 lock-up, no DSRA.
    np.testing.assert_allclose(v["cfads"], [0, 0, 40, 40, 40], atol=HAND_TOL)
    np.testing.assert_allclose(v["d1_principal_paid"], [0, 0, 20, 20, 20], atol=HAND_TOL)
    np.testing.assert_allclose(v["d1_interest_paid"], [0, 0, 6, 4, 2], atol=HAND_TOL)
    np.testing.assert_allclose(v["senior_paid"], [0, 0, 26, 24, 22], atol=HAND_TOL)
    np.testing.assert_allclose(v["dscr"][2:], [40 / 26, 40 / 24, 40 / 22], rtol=HAND_TOL)
    assert np.all(np.isnan(v["dscr"][:2]))  # blank where no debt service falls due
    np.testing.assert_allclose(v["d1_closing"], [d1, 60, 40, 20, 0], atol=HAND_TOL)
    # LLCR at the start of year 3: (40/1.1 + 40/1.1^2 + 40/1.1^3) / 60 = 99.474 / 60 = 1.6579 (the minimum:
    # year 4 gives (40/1.1 + 40/1.21) / 40 = 1.7355, year 5 40/1.1/20 = 1.8182)
    llcr3 = (40 / 1.1 + 40 / 1.1**2 + 40 / 1.1**3) / 60

    # Equity: cash to the sponsor = 40 - debt service = 14, 16, 18.
    # Equity cash flows: -e1, -e2, 14, 16, 18; project cash flows: -50, -50, 40, 40, 40.
    equity_cf = [-e1, -e2, 14, 16, 18]
    np.testing.assert_allclose(v["equity_cf"], equity_cf, atol=HAND_TOL)
    np.testing.assert_allclose(v["project_cf"], [-50, -50, 40, 40, 40], atol=HAND_TOL)

    # Equity IRR: the rate i with -e1 - e2/(1+i) + 14/(1+i)^2 + 16/(1+i)^3 + 18/(1+i)^4 = 0, found by
    # bisection (the NPV falls from +5.15 at i = 0 to -3.2 at i = 10 %, one sign change)
    def npv_at(i, flows):
        return sum(cf / (1 + i) ** t for t, cf in enumerate(flows))

    def bisect(flows, lo=0.0, hi=0.10):
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if npv_at(mid, flows) > 0 else (lo, mid)
        return (lo + hi) / 2

    equity_irr = bisect(equity_cf)  # 4.4709 %
    project_irr = bisect([-50, -50, 40, 40, 40])  # 7.6136 %
    assert equity_irr == pytest.approx(npf.irr(equity_cf), abs=1e-12)  # numpy-financial confirms the equation
    assert project_irr == pytest.approx(npf.irr([-50, -50, 40, 40, 40]), abs=1e-12)

    m = res.metrics()
    assert m["equity_irr"] == pytest.approx(equity_irr, abs=HAND_TOL)  # annual periods: no annualising
    assert m["project_irr"] == pytest.approx(project_irr, abs=HAND_TOL)
    assert m["min_dscr"] == pytest.approx(40 / 26, rel=HAND_TOL)
    assert m["avg_dscr"] == pytest.approx((40 / 26 + 40 / 24 + 40 / 22) / 3, rel=HAND_TOL)
    assert m["min_llcr"] == pytest.approx(llcr3, rel=HAND_TOL)
    assert m["total_capex"] == pytest.approx(100, abs=HAND_TOL)
    assert m["total_debt"] == pytest.approx(60, abs=HAND_TOL)
    assert m["total_equity"] == pytest.approx(e1 + e2, abs=HAND_TOL)  # 42.915
    assert m["gearing"] == pytest.approx(60 / (60 + e1 + e2), abs=HAND_TOL)  # = f
    # Equity NPV at 12 %, Excel convention (first flow discounted one year)
    assert m["equity_npv"] == pytest.approx(sum(cf / 1.12 ** (t + 1) for t, cf in enumerate(equity_cf)), abs=HAND_TOL)
    # payback: cumulative equity cash -20.85, -42.92, -28.92, -12.92, +5.08: negative for 4 years
    assert m["sponsor1_payback_years"] == 4
    assert m["default_periods"] == 0 and m["lockup_periods"] == 0
    assert all(res.checks().values())


# --- debt sizing: findings of the property tests ----------------------------------------------------------


def _default_with(mutate) -> engine.CaseResult:
    raw = load_raw(None)
    raw["cases"] = {}
    mutate(raw)
    return run_raw(raw)


def test_sizing_check_with_a_cash_sweep():
    # A sized annuity facility, DSCR binding (gearing cap 0.9), half the free cash swept. The sweep prepays
    # the sized loan, so the debt service actually due later is below schedule and the actual DSCR never
    # falls to the target (min 1.80 here); the debt was sized on *scheduled* debt service, on which the DSCR
    # is the target. check_debt_sizing used the actual DSCR and failed on this correctly sized structure
    # (fixed in finmodel/model/checks.py: dscr_sized is CFADS / scheduled senior debt service).
    def mutate(raw):
        raw["debt"]["facilities"][2]["repayment"] = "annuity"
        raw["debt"]["sizing"]["max_gearing"] = 0.9
        raw["cash_sweep"] = 0.5

    res = _default_with(mutate)
    flag = row(res, "d3_repay_flag") > 0
    assert row(res, "sweep").sum() > 0
    assert np.nanmin(row(res, "dscr")[flag]) > 1.30 + 0.1  # the actual DSCR stays well above target
    with np.errstate(invalid="ignore", divide="ignore"):
        scheduled = row(res, "cfads")[flag] / row(res, "senior_scheduled_ds")[flag]
    assert np.nanmin(scheduled) == pytest.approx(1.30, rel=1e-6)  # checks.SIZING_TOLERANCE
    assert all(res.checks().values())


def test_sizing_check_when_fixed_facilities_breach_the_target():
    # Default scenario, revenue x 0.6, re-sized: EDPF + ECA scheduled debt service alone gives a DSCR of 0.970
    # in a period where the sculpted commercial loan repays (target 1.30). The solver sculpts that loan to
    # zero debt service there and sizes it (95.6 m USD) on the other periods; no payment default occurs
    # (the DSRA and cash cover it), yet check_debt_sizing = 0 because min DSCR (0.970) != target and the
    # gearing cap does not bind.
    res = _default_with(lambda raw: raw["drivers"].update(revenue_factor=0.6))
    assert res.metrics()["default_periods"] == 0
    assert res.checks()["check_debt_sizing"]


def test_fixed_amount_sculpted_facility_is_sculpted():
    # Default scenario with the ECA loan (fixed 110 m USD, grace 3, maturity 15 years, semi-annual) set to
    # repayment: sculpted. Found: d2_profile = 0 everywhere; d2_principal_due = 0 until period 30 (maturity),
    # then 110 m USD at once; senior shortfall 77.5 m USD, payment default in periods 30-33. Expected: either
    # debt service sculpted to CFADS / target DSCR like a sized facility, or the scenario rejected as bad input.
    res = _default_with(lambda raw: raw["debt"]["facilities"][1].update(repayment="sculpted"))
    assert row(res, "d2_profile").sum() == pytest.approx(1.0, rel=1e-9)
    assert res.metrics()["default_periods"] == 0
