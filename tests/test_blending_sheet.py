"""The Blending sheet (finmodel.model.blending): grant elements of the modelled facilities and of the package,
cost of debt, finance mix; checked against the DAC closed forms, an independent PV of the modelled cash
flows, and the definitions in the module docstring.

Tolerances: the modelled rows and the references are the same arithmetic done in a different order on
float64 (sums of <= 80 discounted flows of ~1e8): they agree to ~1e-15 relative; 1e-10 (grant elements,
fractions) leaves room and is far inside the issue's 0.01 percentage point (1e-4).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from finmodel.inputs.grant_element import grant_element_cash_flows, grant_element_closed_form
from finmodel.inputs.validation import load_scenario, scenario_from_dict
from finmodel.model import engine
from finmodel.schema import load_raw

ROOT = Path(__file__).resolve().parent.parent
BOLIVIA = ROOT / "scenarios" / "bolivia_santa_cruz.yaml"
KUWAIT = ROOT / "scenarios" / "kuwait_abdullah.yaml"
GE_TOL = 1e-10  # [fraction]; see the module docstring


def _run(sc):
    return engine.evaluate_case(sc, "base", None, resize=True)


def _at_rate(res, rate):
    return res.model.evaluate({**res.solved, "in_ge_discount_rate": np.array([[rate]])})


def _single_loan_scenario(
    repayment, *, rate=0.02, grace=6, maturity=21, periods_per_year=1, upfront_fee=0.0, amount=100_000_000
):
    """Annual model (by default), one construction year: the whole loan is drawn in period 1 (t = 1 year) with
    no interest during construction, no fees (by default): the DAC assumptions (one disbursement, interest every
    period), shifted by one year. Relative to the drawdown: grace - 1 years with no principal, maturity - 1
    years. Fixed rate, no commitment fee, no DSRA, no capital grant."""
    raw = load_raw()
    raw["timeline"].update(construction_years=1, operation_years=20, periods_per_year=periods_per_year)
    raw["capex"]["phasing"] = [1.0]
    raw["revenues"] = [r for r in raw["revenues"] if r["kind"] != "capital_grant"]
    raw["debt"] = {
        "drawdown": "pro_rata",
        "facilities": [
            {
                "name": "Test loan",
                "kind": "other",
                "amount": amount,
                "rate": {"fixed": rate},
                "upfront_fee": upfront_fee,
                "commitment_fee": 0.0,
                "grace_years": grace,
                "maturity_years": maturity,
                "repayment": repayment,
            }
        ],
    }
    raw["dsra"] = {"months": 0}
    raw.pop("cases")
    return scenario_from_dict(raw, "test")


@pytest.mark.parametrize("repayment", ["equal", "annuity"])
@pytest.mark.parametrize("discount_rate", [0.05, 0.06, 0.07, 0.09, 0.10])
def test_modelled_grant_element_equals_dac_closed_form(repayment, discount_rate):
    res = _run(_single_loan_scenario(repayment))
    assert res.checks()["master_check"]
    v = _at_rate(res, discount_rate)
    assert v["default_periods"][0, 0] == 0
    drawn = v["d1_draw"][0]
    assert drawn[0] == pytest.approx(100_000_000, rel=1e-12) and np.all(drawn[1:] == 0)  # one disbursement
    expected = grant_element_closed_form(0.02, 20, 5, discount_rate, repayment=repayment, periods_per_year=1)
    assert v["d1_grant_element"][0, 0] == pytest.approx(expected, abs=GE_TOL)


def test_grace_convention_of_the_modelled_facility_is_pinned():
    """Facility grace is counted from financial close, the drawdown falls at the end of period 1: the DAC
    grace of the modelled loan (years from disbursement to the first repayment) is grace - 1 + 1."""
    v = _at_rate(_run(_single_loan_scenario("equal")), 0.07)
    first = int(np.argmax(v["d1_principal_paid"][0] > 0)) + 1  # period of the first instalment
    assert first == 7  # grace_years 6: no principal in periods 1-6
    dac_first_repayment = grant_element_closed_form(
        0.02, 20, 6, 0.07, periods_per_year=1, grace_convention="first_repayment"
    )
    assert v["d1_grant_element"][0, 0] == pytest.approx(dac_first_repayment, abs=GE_TOL)


def test_grant_element_is_zero_at_the_loan_rate_with_construction_interest():
    """Semi-annual, three construction years: drawdowns spread over six periods, interest during
    construction paid out of drawdowns. At the loan's own (annually compounded) rate every lender cash flow
    is fairly priced, so the grant element is zero: the IDC treatment loses nothing."""
    res = _run(load_scenario())  # default: EDPF 2.5 % fixed, no fees
    v = res.values
    assert np.count_nonzero(v["d1_draw"][0]) == 6 and np.sum(v["d1_interest"][0] * v["construction_flag"][0]) > 0
    own = (1 + 0.025 / 2) ** 2 - 1
    assert _at_rate(res, own)["d1_grant_element"][0, 0] == pytest.approx(0.0, abs=GE_TOL)


@pytest.mark.parametrize("path", [None, BOLIVIA, KUWAIT])
def test_rows_equal_an_independent_pv_of_the_modelled_cash_flows(path):
    res = engine.run(path)[0]
    v = res.values
    A = res.builder.scenario.timeline.periods_per_year
    rate = v["in_ge_discount_rate"][0, 0]
    t = v["period"][0] / A
    pv_disb, pv_ds = 0.0, 0.0
    for f in res.builder.facilities:
        draw = v[f.n("draw")][0]
        ds = (
            v["construction_flag"][0] * v[f.n("interest")][0] + v[f.n("interest_paid")][0] + v[f.n("principal_paid")][0]
        )
        if f in res.builder.sweep_facilities:
            ds = ds + v[f.n("sweep")][0]
        ge = grant_element_cash_flows(draw, ds, rate, A, times=t)
        assert v[f.n("grant_element")][0, 0] == pytest.approx(ge, abs=GE_TOL)
        fees = v[f.n("upfront_fee_paid")][0] + v[f.n("commitment_fee_paid")][0]
        ge_all_in = grant_element_cash_flows(draw, ds + fees, rate, A, times=t)
        assert v[f.n("grant_element_all_in")][0, 0] == pytest.approx(ge_all_in, abs=GE_TOL)
        disc = (1 + rate) ** -t
        pv_disb += np.sum(draw * disc)
        pv_ds += np.sum(ds * disc)
    pv_disb += np.sum(v["grants"][0] * (1 + rate) ** -t)
    assert v["package_grant_element"][0, 0] == pytest.approx(1 - pv_ds / pv_disb, abs=GE_TOL)
    assert v["subsidy_equivalent"][0, 0] == pytest.approx(pv_disb - pv_ds, rel=1e-10)


def test_package_grant_element_is_the_pv_weighted_average():
    v = engine.run(BOLIVIA)[0].values
    pv = [v[f"d{k}_pv_disbursed"][0, 0] for k in (1, 2, 3)] + [v["pv_grants"][0, 0]]
    ge = [v[f"d{k}_grant_element"][0, 0] for k in (1, 2, 3)] + [1.0]
    assert v["package_grant_element"][0, 0] == pytest.approx(np.dot(pv, ge) / np.sum(pv), abs=GE_TOL)
    assert v["subsidy_equivalent"][0, 0] == pytest.approx(np.dot(pv, ge), rel=1e-10)


def test_cost_of_debt_and_finance_mix_definitions():
    res = engine.run(BOLIVIA)[0]
    v, m = res.values, res.metrics()
    amounts = np.array([v[f"in_d{k}_amount"][0, 0] for k in (1, 2, 3)])
    rates = np.array([v[f"d{k}_close_rate"][0, 0] for k in (1, 2, 3)])
    assert m["wacd"] == pytest.approx(amounts @ rates / amounts.sum(), rel=1e-12)
    assert rates[0] == 0.0015 and rates[2] == pytest.approx(0.037 + 0.035, rel=1e-12)  # EDCF fixed; SOFR + margin
    drawn = np.array([np.sum(v[f"d{k}_draw"][0]) for k in (1, 2, 3)])
    koica = 20_000_000
    equity = np.sum(v["equity_funding"][0])
    total = drawn.sum() + equity + koica
    concessional = drawn[0] + koica  # EDCF + KOICA grant
    assert m["concessional_share"] == pytest.approx(concessional / total, rel=1e-12)
    assert m["mobilisation_ratio"] == pytest.approx((drawn[1] + drawn[2] + equity) / concessional, rel=1e-12)
    public = drawn[0] + drawn[1] + koica + equity * (0.2 * 0.4 + 0.2 * 1.0)  # PIS fund 40 % public; utility public
    assert m["private_per_public"] == pytest.approx((total - public) / public, rel=1e-12)
    # average charge rate: interest accrued + fees per currency-year outstanding (semi-annual: balances / 2)
    charges = sum(
        np.sum(v[f"d{k}_interest"][0] + v[f"d{k}_upfront_fee_paid"][0] + v[f"d{k}_commitment_fee_paid"][0])
        for k in (1, 2, 3)
    )
    debt_years = sum(np.sum(v[f"d{k}_opening"][0]) for k in (1, 2, 3)) / 2
    assert m["average_charge_rate_of_debt"] == pytest.approx(charges / debt_years, rel=1e-12)
    # all-in cost = the yield. Closed form: a fixed-rate facility without fees pays rate / 2 on its opening balance
    # every period (during construction out of its drawdowns), whatever its drawdown and repayment profile, so its
    # flows' IRR is exactly rate / 2 a period: (1 + 0.0015 / 2) ** 2 - 1 for EDCF. 1e-9: Newton's stopping step.
    assert m["d1_all_in_cost"] == pytest.approx((1 + 0.0015 / 2) ** 2 - 1, rel=1e-9)
    # the package: numpy-financial's IRR of the same dated flows (drawdowns against debt service and fees)
    import numpy_financial as npf

    flow = sum(
        -v[f"d{k}_draw"][0]
        + v["construction_flag"][0] * v[f"d{k}_interest"][0]
        + v[f"d{k}_interest_paid"][0]
        + v[f"d{k}_principal_paid"][0]
        + v[f"d{k}_upfront_fee_paid"][0]
        + v[f"d{k}_commitment_fee_paid"][0]
        for k in (1, 2, 3)
    )
    assert m["all_in_cost_of_debt"] == pytest.approx((1 + npf.irr(flow)) ** 2 - 1, rel=1e-9)
    # fees make the commercial facilities cost more than their rate; EDCF's 0.15 % keeps the package below them
    assert m["d3_all_in_cost"] > m["d3_average_charge_rate"] > 0


def test_no_concessional_finance_leaves_the_mobilisation_ratio_blank():
    m = engine.run(KUWAIT)[0].metrics()
    assert m["concessional_share"] == 0.0 and m["mobilisation_ratio"] is None
    assert m["grant_element_discount_rate"] == 0.05  # IMF: Kuwait is not an ODA recipient


def test_json_metrics_and_workbook_names(tmp_path):
    import openpyxl

    from finmodel import api

    out = api.run(str(BOLIVIA), workbook=tmp_path / "b.xlsx", json_path=tmp_path / "b.json")
    js = out.json()
    metrics = js["metrics"] if "metrics" in js else js[0]["metrics"]
    for key in (
        "package_grant_element",
        "wacd",
        "concessional_share",
        "mobilisation_ratio",
        "subsidy_equivalent",
        "all_in_cost_of_debt",
        "private_per_public",
        "d1_grant_element",
        "d2_grant_element",
        "d3_grant_element",
    ):
        assert isinstance(metrics[key], float), key
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    assert "Blending" in wb.sheetnames
    for key in metrics:
        assert key in wb.defined_names, key
    assert wb.defined_names["package_grant_element"].attr_text.startswith("Outputs!")
