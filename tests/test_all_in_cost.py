"""The all-in cost of debt as a yield (finmodel.model.blending): the IRR of the borrower's dated flows with its
lenders and guarantors (drawdowns in; interest, principal, fees and premiums out), per facility
(``d{k}_all_in_cost``) and for the package (``all_in_cost_of_debt``), annualised ``(1 + IRR) ** P - 1``; the old
balance-weighted average kept as ``d{k}_average_charge_rate`` and ``average_charge_rate_of_debt``.

Tolerances, each with its reason:

* ``YIELD_ATOL = 1e-9`` [per year] against numpy-financial's IRR of the same flows rebuilt from the schedule's
  rows: both find the period root to ~1e-12 (finmodel's Newton stops at a step of 1e-9 in ln(1 + rate), the next
  step being ~1e-18); annualising multiplies an error by at most ``P (1 + i) ** (P - 1)`` (about 2.2 for
  semi-annual periods). A flow left out (the 15 % upfront premium, a fee) moves a yield by 1e-3 or more.
* ``CLOSED_ATOL = 1e-10`` [per year] against the closed forms: the schedule is exact arithmetic on amounts of 1e8
  (a few ulps, 1e-15 relative) and the root is found to ~1e-12 as above.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest
from test_blending_sheet import _single_loan_scenario

from finmodel.model import engine
from finmodel.workbook.layout import Layout

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [None, ROOT / "scenarios" / "bolivia_santa_cruz.yaml", ROOT / "scenarios" / "iraq_bismaya.yaml"]
SCENARIOS += [ROOT / "scenarios" / "kuwait_abdullah.yaml", ROOT / "scenarios" / "kota_kinabalu.yaml"]
IRAQ = ROOT / "scenarios" / "iraq_bismaya.yaml"
YIELD_ATOL = 1e-9  # [per year]; see the module docstring
CLOSED_ATOL = 1e-10  # [per year]; see the module docstring


def _lender_flows(res, f) -> np.ndarray:
    """The facility's flows in the lender's sign, rebuilt from the schedule's rows (not the yield's own rows):
    - drawdowns + interest during construction (paid from drawdowns) + interest paid + principal paid (+ sweep)
    + upfront and commitment fees + the premiums for its cover declared by the guarantees [currency per period]."""
    v = res.values
    flows = -v[f.n("draw")][0] + v["construction_flag"][0] * v[f.n("interest")][0]
    for name in ("interest_paid", "principal_paid", "upfront_fee_paid", "commitment_fee_paid"):
        flows = flows + v[f.n(name)][0]
    if f in res.builder.sweep_facilities:
        flows = flows + v[f.n("sweep")][0]
    for c in res.builder.contributions["debt_premiums"]:
        if c.facility == f.p:
            flows = flows + v[c.name][0]
    return flows


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: "default" if p is None else p.stem)
def test_yields_match_numpy_financial_irr_of_the_dated_flows(path):
    res = engine.run(path)[0]
    m, P = res.metrics(), res.builder.scenario.timeline.periods_per_year
    package = 0.0
    for f in res.builder.facilities:
        flows = _lender_flows(res, f)
        package = package + flows
        assert m[f.n("all_in_cost")] == pytest.approx((1 + npf.irr(flows)) ** P - 1, abs=YIELD_ATOL), f.p
    assert m["all_in_cost_of_debt"] == pytest.approx((1 + npf.irr(package)) ** P - 1, abs=YIELD_ATOL)


def _loan(*, repayment="annuity", **terms):
    """One fixed-rate loan at 5 % (default 100m, 6/21 years), no commitment fee, no DSRA, no capital grant, one
    construction year, drawn whole in period 1 (:func:`test_blending_sheet._single_loan_scenario`); the upfront
    fee is paid then. Run with every check true and no default."""
    res = engine.evaluate_case(_single_loan_scenario(repayment, rate=0.05, **terms), "base", None, resize=True)
    assert res.checks()["master_check"] and res.metrics()["default_periods"] == 0
    return res


@pytest.mark.parametrize("repayment", ["equal", "annuity"])
@pytest.mark.parametrize("periods_per_year", [1, 2, 4])
def test_a_loan_at_par_without_fees_yields_its_rate(repayment, periods_per_year):
    """Every flow at the loan's own period rate r / P (IDC, drawdown profile and repayment profile whatever
    they are) has NPV 0 at r / P: the yield is (1 + r / P) ** P - 1 in closed form, the average charge rate r."""
    res = _loan(periods_per_year=periods_per_year, repayment=repayment)
    m = res.metrics()
    expected = (1 + 0.05 / periods_per_year) ** periods_per_year - 1
    assert m["d1_all_in_cost"] == pytest.approx(expected, abs=CLOSED_ATOL)
    assert m["all_in_cost_of_debt"] == pytest.approx(expected, abs=CLOSED_ATOL)
    assert m["d1_average_charge_rate"] == pytest.approx(0.05, abs=CLOSED_ATOL)


@pytest.mark.parametrize("fee", [0.01, 0.15])
def test_a_two_year_bullet_with_an_upfront_fee_has_the_closed_form_yield(fee):
    """Annual, drawn at t = 1, repaid whole with its interest at t = 2 (grace 1, maturity 2 years from close),
    upfront fee f paid at the drawdown: the lender pays (1 - f) x 10m and receives (1 + r) x 10m one year later,
    so the yield is (1 + r) / (1 - f) - 1 (r = 5 %: 6.06 % for a 1 % fee, 23.5 % for 15 %). The average charge
    rate spreads the fee over the one debt-year without time value: r + f (6 %, 20 %), the understatement of
    issue 22."""
    res = _loan(upfront_fee=fee, grace=1, maturity=2, repayment="equal", amount=1e7)  # small: the project repays it
    v, m = res.values, res.metrics()
    assert v["d1_draw"][0][0] == pytest.approx(1e7, rel=1e-12) and np.all(v["d1_draw"][0][1:] == 0)
    assert v["d1_principal_paid"][0][1] == pytest.approx(1e7, rel=1e-12)  # repaid whole at t = 2
    assert m["d1_all_in_cost"] == pytest.approx(1.05 / (1 - fee) - 1, abs=CLOSED_ATOL)
    assert m["d1_average_charge_rate"] == pytest.approx(0.05 + fee, abs=CLOSED_ATOL)


def test_a_facility_without_flows_has_no_yield():
    """The rule: no drawdown or no payment, no yield (blank in the workbook, NaN in the engine, null in the
    JSON), and the package's yield is that of the facilities that have flows."""
    res = engine.run(ROOT / "scenarios" / "bolivia_santa_cruz.yaml")[0]
    v = res.model.evaluate({**res.solved, "in_d2_amount": np.array([[0.0]])})
    assert np.all(v["d2_draw"] == 0)
    assert np.isnan(v["d2_all_in_cost"][0, 0]) and np.isnan(v["d2_average_charge_rate"][0, 0])
    assert np.isfinite(v["d1_all_in_cost"][0, 0]) and np.isfinite(v["all_in_cost_of_debt"][0, 0])
    formula = res.model.rows["d2_all_in_cost"].expr.xl(Layout(res.model, None).w, None)
    assert "IRR(" in formula  # a live IRR, blank when not applicable


def test_iraq_before_and_after():
    """Iraq Bismaya, base case: the 16 % x 95 % upfront K-SURE premium paid at close weighs as money at close.
    Before (balance-weighted average): package 7.22 %, K-SURE facility 7.14 %; the yield: 8.42 %, 8.60 %."""
    m = engine.run(IRAQ, ["base"])[0].metrics()
    assert m["average_charge_rate_of_debt"] == pytest.approx(0.0722, abs=5e-5)  # rounding of the quoted figure
    assert m["d1_average_charge_rate"] == pytest.approx(0.0714, abs=5e-5)
    assert m["all_in_cost_of_debt"] == pytest.approx(0.0842, abs=5e-5)
    assert m["d1_all_in_cost"] == pytest.approx(0.0860, abs=5e-5)
    assert m["d2_all_in_cost"] > m["d2_average_charge_rate"]  # the KEXIM upfront premium too
