"""Claims waiting period and interest on claims (``claims_waiting_months``, ``waiting_interest`` of a loan cover):
hand-worked cases on the 5-period annual project of ``test_guarantees.small`` (tolerances as in test_ledgers:
amounts of tens of currency units through a few dozen float64 operations, asserted at 1e-9 absolute).

The rule: a claim arising in a period (the cover share of an unpaid instalment, or of the balance at acceleration)
is paid when its waiting period is over, grown at the loan's contract rate where the cover pays interest on
claims; project catch-up on the covered share during the wait reduces it (oldest claim first); claims still
waiting at the end of the model are paid in its last period. With interest on claims the lenders end exactly
where an immediate payment leaves them (the delay is at the loan's own rate); without it they bear the interest.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from test_guarantees import run_raw, small
from test_ledgers import assert_checks_pass, assert_no_party_overpaid, forty_percent, total

from finmodel.errors import FinmodelError
from finmodel.inputs.validation import scenario_from_dict

TOL = 1e-9


def _pv(v, name, p="d1"):
    df = np.cumprod(1 / (1 + np.broadcast_to(v[f"{p}_period_rate"], v[name].shape)), axis=1)
    return float((v[name] * df).sum())


def test_one_period_wait_with_interest_on_claims():
    """The 40 % case of test_ledgers with a 12-month wait (one annual period), interest on claims paid.

    Claims arise as before: 17.55 (period 3), 16.2 (4), 14.85 (5). Each is paid a period later with 10 % contract
    interest: 19.305 in period 4, 17.82 in period 5; the claim of period 5 is still waiting at the end of the
    model and is paid then, 14.85. The guarantor's claim on the project at the end is 19.305 x 1.1 + 17.82 +
    14.85 = 53.9055, as without a wait (17.55 x 1.1^2 + 16.2 x 1.1 + 14.85): the wait at the loan's own rate
    changes nothing for anyone in present value, so the lenders' loss is the same 2.99475.
    """
    r, v = forty_percent(small(claims_waiting_months=12, waiting_interest=True))
    r0, v0 = forty_percent(small())
    np.testing.assert_allclose(v["d1_claim_arising"][0], [0, 0, 17.55, 16.2, 14.85], atol=TOL)
    np.testing.assert_allclose(v["d1_claim_due"][0], [0, 0, 0, 19.305, 17.82], atol=TOL)
    np.testing.assert_allclose(v["d1_claim"][0], [0, 0, 0, 19.305, 17.82 + 14.85], atol=TOL)
    np.testing.assert_allclose(v["g1_claim"][0], v["d1_claim"][0], atol=TOL)
    np.testing.assert_allclose(v["d1_subrogated_interest"][0], [0, 0, 0, 0, 1.9305], atol=TOL)
    assert v["d1_guarantor_unrecovered"][0, -1] == pytest.approx(53.9055, abs=TOL)
    assert v0["d1_guarantor_unrecovered"][0, -1] == pytest.approx(53.9055, abs=TOL)
    assert v["d1_lender_loss"][0, 0] == pytest.approx(2.99475, abs=TOL)
    # the lenders' receipts have the same present value at the loan's rate with or without the wait
    assert _pv(v, "d1_lender_receipts") == pytest.approx(_pv(v0, "d1_lender_receipts"), abs=TOL)
    assert _pv(v, "d1_lender_receipts") < _pv(v, "d1_contract_schedule")
    # during the wait, the guarantor's exposure carries the claim waiting: 17.55 x 1.1 in period 4
    assert v["g1_exposure"][0, 3] >= 19.305 - TOL
    assert_no_party_overpaid(r, v)
    assert_checks_pass(r, v)


def test_one_period_wait_without_interest_on_claims():
    """The same wait, the cover paying no interest for it: claims 17.55 in period 4, 16.2 + 14.85 in period 5;
    the lenders bear the waiting interest (17.55 x 10 % in period 4, compounded to 1.9305 at the end, and 16.2 x
    10 % = 1.62 in period 5): it stays owed by the project, theirs, so their own claim on the project at the end
    is 5.9895 + 3.5505 = 9.54 of the 59.895 never paid; the workout at 50 % gives them 4.77 and the guarantor
    25.1775 (its 50.355): the lenders lose 4.77, against 2.99475 with interest on claims."""
    r, v = forty_percent(small(claims_waiting_months=12, waiting_interest=False))
    np.testing.assert_allclose(v["d1_claim"][0], [0, 0, 0, 17.55, 16.2 + 14.85], atol=TOL)
    assert v["d1_guarantor_unrecovered"][0, -1] == pytest.approx(50.355, abs=TOL)
    assert total(v, "d1_workout_guarantor") == pytest.approx(25.1775, abs=TOL)
    assert total(v, "d1_workout_lenders") == pytest.approx(4.77, abs=TOL)
    assert v["d1_lender_loss"][0, 0] == pytest.approx(4.77, abs=TOL)
    assert_no_party_overpaid(r, v)
    assert_checks_pass(r, v)


def test_catch_up_during_the_wait_cancels_the_claim():
    """test_guarantees' default in period 4 (unpaid 20, cover 90 %: a claim of 18 arises) with a one-period
    wait: in period 5 the project catches up 22 on its arrears before the claim is due. The covered share of the
    catch-up, 19.8 = the waiting claim with its interest (18 x 1.1), goes to the lenders and cancels the claim:
    the guarantor pays and recovers nothing, and the lenders receive 35 + 32.5 + 10 + 49.5 = 127 = the
    contractual 125 + the default interest 2, all theirs (the guarantor never paid): no loss, no gain."""
    r = run_raw(small(claims_waiting_months=12))
    v = r.model.evaluate(r.solved)
    np.testing.assert_allclose(v["d1_claim_arising"][0], [0, 0, 0, 18, 0], atol=TOL)
    np.testing.assert_allclose(v["d1_wait_reduction"][0], [0, 0, 0, 0, 19.8], atol=TOL)
    np.testing.assert_allclose(v["d1_claim"][0], 0.0, atol=TOL)
    np.testing.assert_allclose(v["d1_to_guarantor"][0], 0.0, atol=TOL)
    assert total(v, "d1_lender_receipts") == pytest.approx(127.0, abs=TOL)
    assert total(v, "d1_lender_entitlement") == pytest.approx(127.0, abs=TOL)
    assert v["d1_lender_loss"][0, 0] == pytest.approx(0.0, abs=TOL)
    assert _pv(v, "d1_lender_receipts") == pytest.approx(_pv(v, "d1_contract_schedule"), abs=TOL)
    assert v["g1_net_cost"][0, 0] == pytest.approx(0.0, abs=TOL)
    assert_no_party_overpaid(r, v)
    assert_checks_pass(r, v)


def test_accelerated_cover_waits_too():
    """Accelerated cover, the 40 % case, a two-period wait: the claim on the balance at acceleration (90 % of
    69.5 = 62.55 in period 3) waits two periods growing at 10 %, less the covered share of the payments made
    after the acceleration while it waits: 62.55 x 1.1 - 90 % x 12 = 58.005 after period 4, 58.005 x 1.1 - 90 % x
    11 = 53.9055 paid in period 5, the present value at the loan's rate of the immediate claim less the
    recoveries the guarantor would have taken; the lenders end no better than performance."""
    r, v = forty_percent(small(payout="accelerated", claims_waiting_months=24))
    np.testing.assert_allclose(v["d1_claim_arising"][0], [0, 0, 62.55, 0, 0], atol=TOL)
    # the catch-up reduces the waiting claim in the period it is paid; what is left grows at 10 %
    waiting_after_4 = 62.55 * 1.1 - 0.9 * 12.0
    np.testing.assert_allclose(v["d1_claim_wait1"][0, 3], waiting_after_4, atol=TOL)
    assert waiting_after_4 == pytest.approx(58.005, abs=TOL)
    np.testing.assert_allclose(v["d1_claim"][0], [0, 0, 0, 0, 53.9055], atol=TOL)
    assert_no_party_overpaid(r, v)
    assert_checks_pass(r, v)


@pytest.mark.parametrize("months", [3, 7, 18])
def test_a_wait_of_part_of_a_period_is_refused(months):
    raw = small(claims_waiting_months=months)  # annual periods: only 0, 12, 24, 36 are whole periods
    with pytest.raises(FinmodelError) as e:
        scenario_from_dict(copy.deepcopy(raw), "test")
    text = str(e.value)
    assert "guarantees[Cover].claims_waiting_months" in text or "guarantees.0.claims_waiting_months" in text
    assert "whole number of periods" in text and f"found {months} months" in text
