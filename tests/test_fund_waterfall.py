"""Fund waterfall: hand-worked loss allocations (PIS subordinated, GIF pari passu) and property tests.

Hand-worked cases use one project whose KRW cash flows are the fund's (stake 1, FX 1), no fee, no
preferred return, and no cash flows after the term (exit value 0), so that the fund's loss is simply
contributions - distributions and each tranche's share of it can be worked out on paper.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finmodel.funds import waterfall as wf

TOL = 1e-6  # [KRW] amounts of ~1e2 here; float error ~1e-13


def terms(structure="pis", commitments=(20.0, 30.0, 50.0), prefs=(0.0, 0.0, 0.0), fee=0.0, term=3):
    names = ("government", "public", "private")
    groups = (("government",), ("public",), ("private",)) if structure == "pis" else (names,)
    return wf.FundTerms(
        name="test",
        structure=structure,
        start_date=dt.date(2026, 1, 1),
        periods_per_year=1,
        term_years=term,
        investment_years=1,
        management_fee=fee,
        tranches=tuple(wf.TrancheTerms(n, c, p) for n, c, p in zip(names, commitments, prefs, strict=True)),
        groups=groups,
    )


def run(structure, cf, **kw):
    t = terms(structure, term=len(cf), **kw)
    p = wf.ProjectInput("p", "Project", "KRW", 1.0, 1.0, np.asarray(cf, dtype=float))
    b = wf.build(t, [p], len(cf))
    return b, b.model.evaluate()


def metric(v, name):
    return float(v[name][0, 0])


def losses(v):
    return [metric(v, f"fund_{n}_loss") for n in ("government", "public", "private")]


def test_loss_smaller_than_government_leaves_public_and_private_whole():
    # calls 100 (20/30/50); 90 back: private 50 first, then public 30, then government 10 -> loss 10, all government's
    b, v = run("pis", [-100.0, 0.0, 90.0])
    assert losses(v) == pytest.approx([10.0, 0.0, 0.0], abs=TOL)
    assert metric(v, "fund_loss") == pytest.approx(10.0, abs=TOL)
    assert sum(losses(v)) == pytest.approx(metric(v, "fund_loss"), abs=TOL)
    assert metric(v, "master_check") == 1.0


def test_loss_beyond_government_and_public_hits_private():
    # 40 back: private gets 40 of its 50; public and government nothing -> losses 20, 30, 10 = 60
    b, v = run("pis", [-100.0, 0.0, 40.0])
    assert losses(v) == pytest.approx([20.0, 30.0, 10.0], abs=TOL)
    assert sum(losses(v)) == pytest.approx(metric(v, "fund_loss"), abs=TOL) == 60.0
    assert metric(v, "master_check") == 1.0


def test_loss_between_government_and_public_layers():
    # 65 back: private 50, public 15 -> government loses 20 (all), public 15, private 0
    b, v = run("pis", [-100.0, 65.0])
    assert losses(v) == pytest.approx([20.0, 15.0, 0.0], abs=TOL)


def test_pari_passu_splits_the_loss_pro_rata():
    # GIF: 40 back for 100 called: every tranche gets 40% back, loses 60% of its contribution
    b, v = run("gif", [-100.0, 0.0, 40.0])
    assert losses(v) == pytest.approx([12.0, 18.0, 30.0], abs=TOL)
    assert sum(losses(v)) == pytest.approx(metric(v, "fund_loss"), abs=TOL)
    assert metric(v, "fund_government_multiple") == pytest.approx(0.4, abs=1e-12)
    assert metric(v, "master_check") == 1.0


def test_profit_above_hurdles_shared_pro_rata_to_commitments():
    b, v = run("pis", [-100.0, 0.0, 150.0])
    assert losses(v) == [0.0, 0.0, 0.0]
    # 100 repays capital, 50 excess shared 20/30/50
    assert [metric(v, f"fund_{n}_distributions") for n in ("government", "public", "private")] == pytest.approx(
        [30.0, 45.0, 75.0], abs=TOL
    )


def test_private_preferred_return_is_paid_from_junior_capital():
    # private 10% preferred return, senior to the public side's capital: after 2 periods private's hurdle is
    # 50 * 1.1^2 = 60.5; 70 back: private 60.5, public 9.5, government 0. Tranche losses (20 + 20.5 + 0) exceed
    # the fund's loss (30) by private's preferred return (10.5): the cost of subordination to the public side.
    b, v = run("pis", [-100.0, 0.0, 70.0], prefs=(0.0, 0.0, 0.10))
    assert metric(v, "fund_private_distributions") == pytest.approx(60.5, abs=TOL)
    assert losses(v) == pytest.approx([20.0, 20.5, 0.0], abs=TOL)
    assert metric(v, "fund_loss") == pytest.approx(30.0, abs=TOL)
    assert metric(v, "fund_tranche_losses") - metric(v, "fund_loss") == pytest.approx(10.5, abs=TOL)
    assert metric(v, "check_fund_loss_allocated") == 1.0  # net results still sum to the fund's
    assert metric(v, "master_check") == 1.0


def test_management_fee_is_called_and_lost_first_by_government():
    # fee 1% a year: on commitments (100) in the investment period (year 1), on invested cost (100) in years
    # 2 and 3: calls 100 + 3; 100 back -> the 3 of fees are the government's loss
    b, v = run("pis", [-100.0, 0.0, 100.0], fee=0.01)
    assert metric(v, "fund_management_fees") == pytest.approx(3.0, abs=TOL)
    assert metric(v, "fund_contributions") == pytest.approx(103.0, abs=TOL)
    assert losses(v) == pytest.approx([3.0, 0.0, 0.0], abs=TOL)


# --- property tests ------------------------------------------------------------------------------------------

T = 8
INVEST = 3  # calls in the first periods, distributions after (a fund's usual shape)


@pytest.fixture(scope="module")
def models():
    """One model per structure, evaluated with overrides (commitments, cash flows) for every example."""
    out = {}
    for s in ("pis", "gif"):
        t = terms(s, term=T)
        p = wf.ProjectInput("p", "Project", "KRW", 1.0, 1.0, np.zeros(T))
        out[s] = wf.build(t, [p], T).model
    return out


amounts = st.floats(min_value=0.0, max_value=1e11, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e6, max_value=1e11, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(
    commitments=st.tuples(positive, positive, positive),
    calls=st.lists(amounts, min_size=INVEST, max_size=INVEST),
    dists=st.lists(amounts, min_size=T - INVEST, max_size=T - INVEST),
    structure=st.sampled_from(["pis", "gif"]),
)
def test_losses_sum_to_fund_loss_and_follow_the_order(models, commitments, calls, dists, structure):
    total = sum(commitments)
    if sum(calls) > total:  # a fund calls at most its commitments (checked by check_fund_within_commitments)
        calls = [c * total / sum(calls) * (1 - 1e-12) for c in calls]
    cf = np.array([-c for c in calls] + dists)
    m = models[structure]
    ov = {"in_p1_equity_cf": cf.reshape(1, -1)}
    for n, c in zip(("government", "public", "private"), commitments, strict=True):
        ov[f"in_fund_{n}_commitment"] = [c]
    v = m.evaluate(ov)
    names = ("government", "public", "private")
    C = np.array([metric(v, f"fund_{n}_contributions") for n in names])
    L = np.array([metric(v, f"fund_{n}_loss") for n in names])
    scale = max(1.0, float(np.sum(calls)), float(np.sum(dists)))
    tol = 1e-9 * scale
    assert metric(v, "master_check") == 1.0
    assert L.sum() == pytest.approx(metric(v, "fund_loss"), abs=tol)
    assert metric(v, "fund_loss") == pytest.approx(max(0.0, sum(calls) - sum(dists)), abs=tol)
    assert np.all(L >= 0) and np.all(L <= C + tol)
    if structure == "pis":
        # a tranche loses only once every tranche below it in the loss order has lost everything
        if L[2] > tol:
            assert L[0] == pytest.approx(C[0], abs=tol) and L[1] == pytest.approx(C[1], abs=tol)
        if L[1] > tol:
            assert L[0] == pytest.approx(C[0], abs=tol)
    else:
        # pari passu: everyone loses the same fraction of what they put in
        ratios = L / np.where(C > 0, C, 1.0)
        assert ratios == pytest.approx(np.full(3, ratios[0]), abs=1e-9)
