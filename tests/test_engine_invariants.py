"""Invariants of the engine, property-based over random valid scenarios (hypothesis).

Each example mutates the embedded default scenario: revenue, capex and opex factors, a base-rate shift, the tax
rate, periods per year, repayment kinds, the cash sweep, the drawdown order, the DSRA, the lock-up ratio and
the shareholder loan; then solves and evaluates it.

Tolerances. Amounts are up to ~1e9 [USD]; a balance or a sum of a few hundred of them carries floating-point
error of order 1e9 * 1e-16 * 100 = 1e-5, so money identities are asserted to ``MONEY_ATOL = 1e-4`` [USD]
(a hundredth of a cent, far below the workbook's own 0.01 check tolerance, far above rounding). Vectorised
evaluation with the financing held fixed does exactly the same operations per path as the single-path run,
so it must agree to 1e-12 relative (plus MONEY_ATOL for zeros). When the solver runs on several paths at once
it iterates until *every* path is stable to 1e-11 relative, so a path may take more iterations than when it
runs alone: solved values then agree to ~1e-10 relative, and 1e-8 relative is asserted for them and for the
rows computed from them.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from finmodel.inputs.validation import scenario_from_dict
from finmodel.model import engine
from finmodel.schema import load_raw

MONEY_ATOL = 1e-4  # [USD]
EXAMPLES = 25


@st.composite
def scenarios(draw):
    """A raw scenario: the default, mutated within valid ranges."""
    raw = load_raw(None)
    raw["cases"] = {}
    P = draw(st.sampled_from([1, 2, 4, 12]))
    raw["timeline"]["periods_per_year"] = P
    raw["drivers"] = dict(
        revenue_factor=draw(st.floats(0.5, 1.5)),
        capex_factor=draw(st.floats(0.8, 1.5)),
        opex_factor=draw(st.floats(0.8, 1.3)),
        rate_shift=draw(st.floats(-0.01, 0.03)),
    )
    raw["tax"]["rate"] = draw(st.floats(0.0, 0.35))
    raw["tax"]["holiday_years"] = draw(st.integers(0, 6))
    raw["tax"]["loss_carry_forward"] = draw(st.booleans())
    fac = raw["debt"]["facilities"]
    # fixed-amount facilities: equal, annuity or a custom profile (sculpting is for sized facilities only,
    # see test_engine_reference.test_fixed_amount_sculpted_facility_is_sculpted)
    for f in fac[:2]:
        kind = draw(st.sampled_from(["equal", "annuity", "custom"]))
        f["repayment"] = kind
        if kind == "custom":
            years = int(f["maturity_years"] - f["grace_years"])
            w = draw(st.lists(st.integers(1, 5), min_size=years, max_size=years))
            prof = [x / sum(w) for x in w]
            prof[-1] = 1.0 - sum(prof[:-1])
            f["profile"] = prof
    fac[2]["repayment"] = draw(st.sampled_from(["sculpted", "equal", "annuity"]))
    fac[2]["cash_sweep"] = draw(st.booleans())
    raw["cash_sweep"] = draw(st.sampled_from([0.0, 0.25, 0.5, 1.0, draw(st.floats(0.0, 1.0))]))
    raw["debt"]["drawdown"] = draw(st.sampled_from(["pro_rata", "equity_first"]))
    raw["debt"]["sizing"]["max_gearing"] = draw(st.floats(0.5, 0.9))
    raw["debt"]["sizing"]["target_dscr"] = draw(st.floats(1.1, 1.6))
    raw["dsra"]["months"] = draw(st.sampled_from([m for m in (0, 3, 6, 12) if (m * P) % 12 == 0]))
    raw["lockup_dscr"] = draw(st.floats(1.0, 1.5))
    if draw(st.booleans()):
        raw["shareholder_loan"] = dict(share=draw(st.floats(0.0, 1.0)), rate=draw(st.floats(0.0, 0.12)))
    else:
        raw["shareholder_loan"] = None
    return raw


def evaluate(raw) -> engine.CaseResult:
    return engine.evaluate_case(scenario_from_dict(raw, "hypothesis"), "base", None, resize=True)


SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _close(a, b, what):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=MONEY_ATOL, err_msg=what)


def _le(a, b, what):
    assert np.all(np.asarray(a) <= np.asarray(b) + MONEY_ATOL), what


def cycling_sizing() -> dict:
    """Found by hypothesis: annual periods, equity first, revenue at 62.5 %, a target DSCR of 1.125 and no DSRA.
    A period tips into a payment default at the sizing point (the ledgers' default interest changes the tax
    deduction, hence CFADS, hence the DSCR capacity), so the sized amount stepped between the two sides of the
    jump and the solver raised "did not converge" (finmodel.model.engine._settle_cycle)."""
    raw = load_raw(None)
    raw["cases"] = {}
    raw["timeline"]["periods_per_year"] = 1
    raw["tax"].update(rate=0.25, holiday_years=0, loss_carry_forward=False)
    raw["debt"]["drawdown"] = "equity_first"
    raw["debt"]["facilities"][2]["cash_sweep"] = False
    raw["debt"]["sizing"]["target_dscr"] = 1.125
    raw["drivers"].update(revenue_factor=0.625, opex_factor=0.875)
    raw["lockup_dscr"] = 1.125
    raw["shareholder_loan"] = None
    raw["dsra"]["months"] = 0
    return raw


@SETTINGS
@given(scenarios())
@example(raw=cycling_sizing())
def test_engine_invariants(raw):
    res = evaluate(raw)
    v = {k: a[0] for k, a in res.values.items()}
    facs = res.builder.facilities
    defaulted = bool(np.any(v["default_flag"] > 0))

    # --- sources = uses ----------------------------------------------------------------------------------
    if np.all(v["grants"] <= v["uses"] + MONEY_ATOL):
        _close(v["debt_draws"] + v["equity_funding"] + v["grants"], v["uses"], "sources = uses per period")
        _close(v["sources"].sum(), v["uses"].sum(), "total sources = total uses")
    _close(v["debt_draws"], sum(v[f.n("draw")] for f in facs), "debt draws = sum of facility draws")
    _le(0, v["debt_draws"], "draws never negative")
    _le(0, v["equity_funding"], "sponsor funding never negative")
    _close(v["uses"], v["capex"] + v["upfront_fees"] + v["commitment_fees"] + v["idc"] + v["dsra_initial"], "uses")

    # --- the waterfall, step by step ----------------------------------------------------------------------
    def lag(x):
        return np.r_[0.0, x[:-1]]

    _close(v["cash_difference"], 0.0, "cash in = cash out")
    _close(v["cash_available"], v["cfads"] + lag(v["cash_retained"]), "cash available")
    _close(v["cash_after_senior"], v["cash_available"] - v["senior_paid"] + v["dsra_draw"], "after senior")
    _close(v["cash_after_dsra"], v["cash_after_senior"] - v["dsra_fund"] + v["dsra_release"], "after DSRA")
    _close(v["cash_after_sub"], v["cash_after_dsra"] - v["sub_paid"], "after subordinated debt")
    _close(v["cash_after_sweep"], v["cash_after_sub"] - v["sweep"], "after sweep")
    _close(v["cash_to_equity"], v["cash_after_sweep"] - v["cash_retained"], "to sponsors")
    _close(v["cash_to_equity"], v["shl_paid"] + v["dividends"], "sponsors: shareholder loan + dividends")
    # payments never exceed what is due nor the cash that can pay them
    _le(v["senior_paid"], v["senior_due"], "senior paid <= due")
    _le(v["senior_paid"], np.maximum(v["cash_available"], 0) + lag(v["dsra_balance"]), "senior paid <= cash + DSRA")
    _le(0, v["senior_paid"], "senior paid >= 0")
    _le(v["dsra_draw"], lag(v["dsra_balance"]), "DSRA draw <= DSRA balance")
    _le(v["sub_paid"], v["sub_due"], "sub paid <= due")
    _le(v["sub_paid"], np.maximum(v["cash_after_dsra"], 0), "sub paid <= cash after DSRA")
    _le(0, v["sweep"], "sweep >= 0")
    _le(v["sweep"], raw["cash_sweep"] * np.maximum(v["cash_after_sub"], 0), "sweep <= fraction of cash")
    _le(0, v["cash_to_equity"], "cash to sponsors >= 0")
    _le(0, v["dividends"], "dividends >= 0")
    # each tier's payment is shared among its facilities and adds up
    for tier, members in (("senior", [f for f in facs if f.senior]), ("sub", [f for f in facs if not f.senior])):
        paid = sum((v[f.n("interest_paid")] + v[f.n("principal_paid")] for f in members), np.zeros_like(v["cfads"]))
        _close(paid, v[f"{tier}_paid"], f"{tier}: facility payments add up to the tier's payment")
    if res.builder.sweep_facilities:
        _close(sum(v[f.n("sweep")] for f in res.builder.sweep_facilities), v["sweep"], "sweep shared out")
    # the rows each sponsor receives add up to the equity cash flow
    _close(sum(v[f"sponsor{k}_cf"] for k in range(1, len(raw["sponsors"]) + 1)), v["equity_cf"], "sponsor shares")

    # --- balances ------------------------------------------------------------------------------------------
    P = raw["timeline"]["periods_per_year"]
    for f in facs:
        closing = v[f.n("closing")]
        amount = v[f.i("amount")][0]
        tol = MONEY_ATOL + 1e-12 * abs(amount)
        assert np.all(closing >= -tol), f"{f.p}: balance negative {closing.min()}"
        _close(
            closing,
            v[f.n("opening")]
            + v[f.n("draw")]
            + v[f.n("interest_due")]
            - v[f.n("interest_paid")]
            - v[f.n("principal_paid")]
            - (v[f.n("sweep")] if f.n("sweep") in v else 0),
            f"{f.p} corkscrew",
        )
        _le(v[f.n("draw")].sum(), amount, f"{f.p}: never drawn beyond the commitment")
        mat = round(f.facility.maturity_years * P)
        after = v["period"] >= mat
        if not defaulted:
            assert np.all(np.abs(closing[after]) < tol), f"{f.p}: balance {closing[after].max()} left at maturity"
            _close(v[f.n("balance_at_maturity")], 0.0, f"{f.p}: balance at maturity")
    assert np.all(v["dsra_balance"] >= -MONEY_ATOL), "DSRA balance negative"
    if raw["shareholder_loan"]:
        assert np.all(v["shl_closing"] >= -MONEY_ATOL), "shareholder loan balance negative"

    # --- the checks hold whenever no default occurred -------------------------------------------------------
    checks = res.checks()
    assert checks["check_sources_uses"] and checks["check_cash_conserved"] and checks["check_dsra_non_negative"]
    # check_debt_sizing proves "sized at the smaller of the gearing cap and the DSCR capacity", also where the
    # fixed-amount facilities alone leave the sized ones nothing: (a) fixed commitments above max_gearing x uses
    # after grants, (b) fixed facilities whose scheduled debt service alone takes CFADS / target DSCR in a period
    # where a sized facility repays. The sized debt is then 0 and the check holds (issue 22: no input the schema
    # accepts fails an integrity check; it failed on both before).
    fixed = sum(f.facility.amount for f in facs if not f.sized)
    sz = raw["debt"]["sizing"]
    over_cap = fixed > sz["max_gearing"] * v["funding_need"].sum() + MONEY_ATOL
    if over_cap:
        assert all(v[f.i("amount")][0] <= MONEY_ATOL for f in facs if f.sized)
    if not defaulted:
        assert all(checks.values()), {k: c for k, c in checks.items() if not c}
    assert (res.metrics()["default_periods"] > 0) == defaulted


# --- vectorisation --------------------------------------------------------------------------------------------


@st.composite
def scenario_and_factors(draw):
    raw = draw(scenarios())
    factors = draw(st.lists(st.floats(0.5, 1.5), min_size=2, max_size=4))
    return raw, factors


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_and_factors())
def test_paths_equal_single_runs_with_financing_fixed(data):
    """Several revenue factors at once, financing held at the solved base: each path = its own run."""
    raw, factors = data
    res = evaluate(raw)
    m = res.model
    n = len(factors)
    fixed = {k: np.repeat(np.asarray(a), n, axis=0) for k, a in res.solved.items()}
    many = m.evaluate({**fixed, "in_revenue_factor": np.array(factors).reshape(n, 1)})
    for p, rf in enumerate(factors):
        one = m.evaluate({**res.solved, "in_revenue_factor": np.array([[rf]])})
        for name in m.rows:
            np.testing.assert_allclose(
                many[name][p], one[name][0], rtol=1e-12, atol=MONEY_ATOL, equal_nan=True, err_msg=f"{name}, path {p}"
            )


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_and_factors())
def test_solver_vectorised_over_paths(data):
    """The solver itself on several revenue factors at once: each path = the path solved alone."""
    raw, factors = data
    b = engine.build(scenario_from_dict(raw, "hypothesis"))
    n = len(factors)
    ov = {"in_revenue_factor": np.array(factors).reshape(n, 1)}
    solved = engine.solve(b, ov)
    many = b.model.evaluate({**ov, **solved})
    for p, rf in enumerate(factors):
        ov1 = {"in_revenue_factor": np.array([[rf]])}
        s1 = engine.solve(b, ov1)
        for k in s1:
            np.testing.assert_allclose(solved[k][p], s1[k][0], rtol=1e-8, atol=MONEY_ATOL, err_msg=k)
        one = b.model.evaluate({**ov1, **s1})
        # the solver stops when commitments move less than 1e-11 relative (1e-3 USD on 1e8); a joint solve may
        # stop an iteration later than a single one, so cash flows agree to a cent, not to rounding
        for name in ("cfads", "senior_paid", "dsra_balance", "equity_cf", "equity_irr", "min_dscr", "total_debt"):
            np.testing.assert_allclose(
                many[name][p], one[name][0], rtol=1e-8, atol=1e-2, equal_nan=True, err_msg=f"{name}, path {p}"
            )


def test_default_scenario_satisfies_invariants():
    # the unmutated default, as a fixed example outside hypothesis
    test_engine_invariants.hypothesis.inner_test(_default_raw())


def _default_raw():
    raw = load_raw(None)
    raw["cases"] = {}
    return raw


@pytest.mark.parametrize("P", [1, 4, 12])
def test_periodicities_satisfy_invariants(P):
    raw = _default_raw()
    raw["timeline"]["periods_per_year"] = P
    raw["dsra"]["months"] = 12
    test_engine_invariants.hypothesis.inner_test(raw)


def test_sizing_that_cycles_takes_the_least_debt_of_the_cycle(monkeypatch):
    seen = {}
    settle = engine._settle_cycle

    def spy(m, overrides, targets, recent, *args):
        seen["totals"] = [float(t[0, 0]) for t, _ in recent]
        return settle(m, overrides, targets, recent, *args)

    monkeypatch.setattr(engine, "_settle_cycle", spy)
    res = evaluate(cycling_sizing())
    totals = seen["totals"]  # the fixed point cycled: the last iterates' total debt [USD]
    assert len(totals) == engine.SETTLE_WINDOW and max(totals) - min(totals) > 1_000.0
    debt = sum(float(res.values[f"in_d{k}_amount"][0, 0]) for k in (1, 2, 3))
    assert debt == pytest.approx(min(totals), rel=1e-12)  # the lenders' conservative side of the cycle
    v = res.values
    assert v["check_sources_uses"][0, 0] == 1.0 and v["check_money_conserved"][0, 0] == 1.0
    assert v["check_debt_sizing"][0, 0] == 0.0  # and the model says plainly that the sizing rules are not met
    assert res.metrics()["min_dscr"] < 1.0


def test_a_sweep_under_a_cent_still_reduces_the_balance():
    """Found by the property test above (CI, 2026-12-07: cash_sweep 1e-09): a sweep smaller than the money
    tolerance left the waterfall as cash but was rounded away from the balance with the schedule. A sweep or a
    prepayment is money paid, however small: the corkscrew holds to the cent's fraction."""
    raw = load_raw(None)  # the embedded default: Kota Kinabalu, whose commercial loan takes the sweep
    raw["cash_sweep"] = 1e-9
    res = evaluate(raw)
    v = {n: a[0] for n, a in res.values.items()}
    (f,) = res.builder.sweep_facilities
    sweep = v[f.n("sweep")]
    assert ((sweep > 0) & (sweep < 0.01)).sum() >= 1  # the case: sweeps of a fraction of a cent
    flows = v[f.n("opening")] + v[f.n("draw")] + v[f.n("interest_due")] - v[f.n("interest_paid")]
    np.testing.assert_allclose(v[f.n("closing")], flows - v[f.n("principal_paid")] - sweep, rtol=1e-15, atol=1e-6)
