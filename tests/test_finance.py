"""finmodel.finance against numpy-financial (an outside reference) and against its own definitions."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finmodel.errors import InputError
from finmodel.finance import annualise, irr, npv, npv0, sign_changes

# numpy_financial.irr finds the root as an eigenvalue of the companion matrix (np.roots): for the
# well-conditioned conventional flows below its error is ~1e-14; ours is rounding-level too. 1e-10 absolute
# (a millionth of a basis point per period) leaves room for both and is the accuracy promised against
# Excel/LibreOffice.
IRR_ATOL = 1e-10
# NPV is a plain sum of products: both implementations round differently only in the last bits.
NPV_RTOL = 1e-12

FIXED_FLOWS = [
    [-100, 39, 59, 55, 20],  # numpy-financial docstring: 0.28095
    [-100, 0, 0, 74],  # negative IRR: -0.0955
    [-100, 100, 0, 7],  # 0.06206
    [-1000, 50, 50, 50, 50, 1050],  # a bond at par: exactly 0.05
    [0, 0, -500, 100, 200, 300, 0, 0],  # leading and trailing zeros do not matter
    [-1e9, *([1.1e8] * 20)],  # 20 periods, large amounts
    [-1, *([0] * 18), 1e-6],  # deeply negative rate (-0.5167) after many periods
    [-100, 1, 1, 1],  # -0.7655: Newton from 0.1 must reach far below zero
    [-1, 1000],  # 999 per period: far above the guess
]


@pytest.mark.parametrize("flows", FIXED_FLOWS)
def test_irr_matches_numpy_financial_on_fixed_flows(flows):
    assert irr(flows) == pytest.approx(npf.irr(flows), abs=IRR_ATOL)


def test_irr_known_values():
    # exact by construction: a par bond yields its coupon; -100 then 121 two periods later is 10 %
    assert irr([-1000, 50, 50, 50, 50, 1050]) == pytest.approx(0.05, abs=1e-14)
    assert irr([-100, 0, 121]) == pytest.approx(0.10, abs=1e-14)


def test_irr_zeroes_npv0():
    flows = np.array(FIXED_FLOWS[0], dtype=float)
    # the residual is relative to the size of the flows (100): 1e-12 of it is rounding noise
    assert npv0(irr(flows), flows) == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize(
    "flows",
    [
        [100, 50, 20],  # all inflows
        [-100, -50, -20],  # all outflows
        [0, 0, 0],  # all zero
        [-100, np.nan, 120],  # a NaN
        [-100, np.inf, 120],  # an infinity
        [1, -3, 3],  # two sign changes and no real root
        [5],  # a single value
    ],
)
def test_irr_nan_without_root(flows):
    assert np.isnan(irr(flows))


def test_irr_several_roots_returns_a_root():
    # -100, 230, -132 has roots 0.1 and 0.2: whichever is returned must zero the NPV
    flows = [-100, 230, -132]
    rate = irr(flows)
    assert rate == pytest.approx(0.1, abs=1e-12) or rate == pytest.approx(0.2, abs=1e-12)
    assert irr(flows, guess=0.25) == pytest.approx(0.2, abs=1e-12)
    assert irr(flows, guess=0.05) == pytest.approx(0.1, abs=1e-12)
    assert sign_changes(flows) == 2


def test_irr_mixed_paths_shapes():
    result = irr([[-100, 110], [100, 50], [0, 0], [-100, 0]])
    assert result.shape == (4,)
    np.testing.assert_allclose(result[[0]], [0.1], atol=1e-14)
    assert np.isnan(result[1:]).all()


def test_irr_guess_per_path_and_bad_guess():
    flows = np.array([[-100, 230, -132], [-100, 230, -132]])
    np.testing.assert_allclose(irr(flows, guess=np.array([0.05, 0.25])), [0.1, 0.2], atol=1e-12)
    with pytest.raises(InputError, match="guess"):
        irr(flows, guess=-1.5)
    with pytest.raises(InputError, match="shape"):
        irr(flows, guess=np.array([0.1, 0.1, 0.1]))
    with pytest.raises(InputError, match="dimensions"):
        irr(np.zeros((2, 2, 2)))


@settings(max_examples=200, deadline=None)
@given(
    outflows=st.lists(st.floats(1.0, 1e6), min_size=1, max_size=5),
    # zero or at least 1: amounts 1e300 times apart make np.roots (the reference) overflow, not a test of ours
    inflows=st.lists(st.one_of(st.just(0.0), st.floats(1.0, 1e6)), min_size=1, max_size=60),
)
def test_irr_matches_numpy_financial_on_random_conventional_flows(outflows, inflows):
    flows = np.array([-x for x in outflows] + inflows)
    if not (flows > 0).any():
        assert np.isnan(irr(flows))
        return
    ours = irr(flows)
    reference = npf.irr(flows)
    # Inflows tiny against outflows put the root near -1, where 1 + rate is tiny and np.roots loses relative
    # accuracy; such rates (below -99.9 % per period) mean nothing in a credit paper: compare where
    # 1 + r > 1e-3.
    # Rates far from 0 (e.g. 165473 for [-1, 165474]) are compared relatively: the solver pins ln(1 + r) to
    # rounding, so 1 + r is exact to ~1e-15 relative, not absolute.
    if reference > -0.999:
        assert ours == pytest.approx(reference, rel=1e-10, abs=IRR_ATOL)
    # our root always zeroes the NPV to rounding, relative to the size of the discounted flows
    scale = npv0(ours, np.abs(flows))
    assert abs(npv0(ours, flows)) <= 1e-9 * scale


def test_irr_10000_paths_in_one_call_equal_per_path_reference():
    rng = np.random.default_rng(20240601)
    paths, periods = 10_000, 24
    flows = rng.lognormal(2.0, 0.7, size=(paths, periods))
    construction = rng.integers(1, 6, size=paths)
    # conventional: a construction phase of outflows, then operating inflows
    flows = np.where(np.arange(periods) < construction[:, np.newaxis], -8.0 * flows, flows)
    result = irr(flows)
    reference = np.array([npf.irr(row) for row in flows])
    assert result.shape == (paths,)
    np.testing.assert_allclose(result, reference, rtol=0, atol=IRR_ATOL)


def test_npv_conventions_against_numpy_financial():
    flows = np.array([-40000.0, 5000, 8000, 12000, 30000])
    # numpy-financial docstring value
    assert npv0(0.08, flows) == pytest.approx(3065.22267, abs=1e-5)
    assert npv0(0.08, flows) == pytest.approx(npf.npv(0.08, flows), rel=NPV_RTOL)
    # Excel NPV discounts the first value one period: NPV = NPV0 / (1 + r); Excel's own documentation example
    assert npv(0.1, [-10000, 3000, 4200, 6800]) == pytest.approx(1188.44, abs=0.005)
    assert npv(0.08, flows) == pytest.approx(npf.npv(0.08, flows) / 1.08, rel=NPV_RTOL)
    assert npv(0.08, flows[1:]) + flows[0] == pytest.approx(npv0(0.08, flows), rel=NPV_RTOL)


def test_npv_vectorised_rates():
    rng = np.random.default_rng(7)
    flows = rng.normal(size=(500, 30))
    rates = rng.uniform(-0.05, 0.3, size=500)
    expected0 = np.array([npf.npv(r, row) for r, row in zip(rates, flows, strict=True)])
    np.testing.assert_allclose(npv0(rates, flows), expected0, rtol=NPV_RTOL, atol=1e-12)
    np.testing.assert_allclose(npv(rates, flows), expected0 / (1 + rates), rtol=NPV_RTOL, atol=1e-12)
    # one rate for every path
    expected = [npf.npv(0.07, row) for row in flows]
    np.testing.assert_allclose(npv0(0.07, flows), expected, rtol=NPV_RTOL, atol=1e-12)


def test_annualise():
    assert annualise(0.04, 2) == pytest.approx(0.0816, abs=1e-15)
    assert annualise(0.05, 1) == pytest.approx(0.05, abs=1e-15)
    np.testing.assert_allclose(annualise(np.array([0.01, np.nan]), 12), [1.01**12 - 1, np.nan])


def test_sign_changes():
    assert sign_changes([-1, 0, 0, 2, 3]) == 1
    assert sign_changes([0, 0, 0]) == 0
    np.testing.assert_array_equal(sign_changes([[-1, 2, -3], [1, 1, 1]]), [2, 0])
