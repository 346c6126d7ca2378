"""Vectorised time-value-of-money functions over arrays shaped (paths, periods).

Conventions (stated once, used by every function here)
-----------------------------------------------------
* **Sign:** cash outflows (investment, debt service paid) are negative, inflows positive.
* **Rates are decimals** (0.05, never 5) and **per period**: a semi-annual model passes semi-annual rates.
  Use :func:`annualise` to turn a period rate into an annual effective rate.
* **Shape:** ``cash_flows`` is ``(paths, periods)``; a 1-D array is one path and the result is then a
  scalar. Period ``t`` is the ``t``-th column, ``t = 0, 1, ..., periods - 1``.
* No Python loop over paths: loops run over periods (Horner's scheme) or solver iterations only.
"""

from __future__ import annotations

import numpy as np

from finmodel.errors import InputError

__all__ = ["annualise", "irr", "npv", "npv0", "sign_changes"]

# Newton's method on h(u) (see below): stop when the step in u = ln(1 + rate) is below _NEWTON_TOL.
# Convergence is quadratic, so the step after one of 1e-9 is ~1e-18: u is then exact to rounding.
_NEWTON_TOL = 1e-9
_NEWTON_MAX_ITER = 50
# Bracketing fallback: sign scan on a grid of u = ln(1 + rate), i.e. rates from -1 + e^-14 (about -0.999999)
# to e^14 - 1 (about 1.2e6) per period, then bisection in u (grid step 0.2 / 2^64: far below rounding).
_SCAN_U = np.linspace(-14.0, 14.0, 141)
_BISECT_ITER = 64
_ACCUMULATE_MAX_PATHS = 128
"""Up to this many paths, IRR weights are powers built by ``np.multiply.accumulate`` down the periods (one
call, ~20x faster for a few paths: the paths left to Newton's last iterations and the bracketing fallback);
above it a loop over periods of row multiplications (contiguous rows: ~5x faster on thousands of paths).
Both compute ``w[k] = w[k - 1] * z`` in period order, so the weights are the same to the bit."""


def _as_paths(cash_flows) -> tuple[np.ndarray, bool]:
    """Return ``cash_flows`` as a float (paths, periods) array and whether the input was one path."""
    cf = np.asarray(cash_flows, dtype=float)
    if cf.ndim == 1:
        return cf[np.newaxis, :], True
    if cf.ndim != 2:
        raise InputError(
            f"cash_flows: expected an array shaped (paths, periods) or (periods,), "
            f"found {cf.ndim} dimensions with shape {cf.shape}"
        )
    return cf, False


def _per_path(value, paths: int, name: str) -> np.ndarray:
    """Broadcast a scalar or (paths,) argument to shape (paths,)."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(paths, float(arr))
    if arr.shape != (paths,):
        raise InputError(f"{name}: expected a scalar or an array of shape ({paths},), found shape {arr.shape}")
    return arr.astype(float, copy=True)


def _finish(result: np.ndarray, one_path: bool):
    return float(result[0]) if one_path else result


def sign_changes(cash_flows) -> np.ndarray:
    """Number of sign changes in each path's cash flows, zeros ignored.

    Parameters
    ----------
    cash_flows : array_like, shape (paths, periods) or (periods,)
        Cash flows [currency], outflows negative.

    Returns
    -------
    numpy.ndarray of int, shape (paths,), or int for one path
        0: no internal rate of return; 1: a *conventional* flow with exactly one IRR above -1;
        2 or more: there may be none, one or several IRRs (Descartes' rule of signs).
    """
    cf, one_path = _as_paths(cash_flows)
    s = np.sign(cf)
    # carry the last non-zero sign forward over zeros so that [-1, 0, 1] counts one change
    idx = np.where(s != 0, np.arange(s.shape[1]), 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    carried = np.take_along_axis(s, idx, axis=1)
    changes = ((carried[:, 1:] * carried[:, :-1]) < 0).sum(axis=1)
    return int(changes[0]) if one_path else changes


def npv(rate, cash_flows):
    """Net present value, Excel/LibreOffice ``NPV`` convention: the first value is discounted one period.

    Parameters
    ----------
    rate : float or array_like, shape (paths,)
        Discount rate per period [fraction per period]; must be > -1.
    cash_flows : array_like, shape (paths, periods) or (periods,)
        Cash flows [currency], outflows negative; column ``t`` falls at the end of period ``t + 1``.

    Returns
    -------
    numpy.ndarray, shape (paths,), or float for one path
        Net present value [currency] at the start of the first period.

    Notes
    -----
    .. math:: \\mathrm{NPV}(r, v) = \\sum_{t=1}^{n} \\frac{v_t}{(1 + r)^t}

    This is what a workbook formula ``=NPV(rate, range)`` computes, so an investment made "today" is added
    outside the function: ``npv(r, cf[:, 1:]) + cf[:, 0] == npv0(r, cf)``.

    Examples
    --------
    >>> round(npv(0.1, [-10000, 3000, 4200, 6800]), 6)
    1188.443412
    """
    cf, one_path = _as_paths(cash_flows)
    r = _per_path(rate, cf.shape[0], "rate")
    t = np.arange(1, cf.shape[1] + 1)
    result = (cf * (1.0 + r[:, np.newaxis]) ** -t).sum(axis=1)
    return _finish(result, one_path)


def npv0(rate, cash_flows):
    """Net present value with the numpy-financial convention: the first value falls at t = 0 (undiscounted).

    Parameters
    ----------
    rate : float or array_like, shape (paths,)
        Discount rate per period [fraction per period]; must be > -1.
    cash_flows : array_like, shape (paths, periods) or (periods,)
        Cash flows [currency], outflows negative; column ``t`` falls at the end of period ``t``.

    Returns
    -------
    numpy.ndarray, shape (paths,), or float for one path
        Net present value [currency] at t = 0.

    Notes
    -----
    .. math:: \\mathrm{NPV}_0(r, v) = \\sum_{t=0}^{n-1} \\frac{v_t}{(1 + r)^t} = (1 + r)\\,\\mathrm{NPV}(r, v)

    ``npv0(irr(cf), cf) == 0`` defines :func:`irr`.

    Examples
    --------
    >>> round(npv0(0.08, [-40000, 5000, 8000, 12000, 30000]), 5)
    3065.22267
    """
    cf, one_path = _as_paths(cash_flows)
    r = _per_path(rate, cf.shape[0], "rate")
    t = np.arange(cf.shape[1])
    result = (cf * (1.0 + r[:, np.newaxis]) ** -t).sum(axis=1)
    return _finish(result, one_path)


def instalment_share(repayment: str, k, n, period_rate, *, where=np.where):
    """Share of a loan's commitment repaid at instalment ``k`` of ``n`` (1-based) [fraction of commitment].

    ``"equal"``: equal principal instalments, ``1 / n``. ``"annuity"``: level debt service at ``period_rate``
    ``r``; the principal part of instalment ``k`` is ``r (1 + r)^(k - 1) / ((1 + r)^n - 1)`` (numpy-financial's
    ``ppmt`` of a unit loan), read as its limit ``1 / n`` when ``r = 0``.

    The one definition of the equal / annuity schedule: the debt rows evaluate it on model expressions
    (``where=rows.If``, so it is also their Excel formula) and the grant element's explicit schedule on numbers.

    Examples
    --------
    >>> import numpy as np
    >>> shares = instalment_share("annuity", np.arange(1, 5), 4, 0.05)
    >>> shares.round(4).tolist(), round(float(shares.sum()), 12)
    ([0.232, 0.2436, 0.2558, 0.2686], 1.0)
    >>> instalment_share("equal", 3, 4, 0.05)
    0.25
    """
    if repayment == "equal":
        return 1 / n
    if repayment == "annuity":
        r = period_rate
        return where(r > 0, r * (1 + r) ** (k - 1) / ((1 + r) ** n - 1), 1 / n)
    raise ValueError(f"expected repayment 'equal' or 'annuity', found {repayment!r}")


def annualise(period_rate, periods_per_year):
    """Annual effective rate equivalent to a rate per period.

    Parameters
    ----------
    period_rate : float or array_like
        Rate per period [fraction per period], e.g. a semi-annual IRR.
    periods_per_year : int
        Periods per year [1/year]: 1, 2, 4 or 12.

    Returns
    -------
    float or numpy.ndarray
        Annual effective rate [fraction per year], NaN where ``period_rate`` is NaN.

    Notes
    -----
    .. math:: r_{annual} = (1 + r_{period})^{A} - 1

    Examples
    --------
    >>> round(annualise(0.04, 2), 10)
    0.0816
    """
    result = np.power(1.0 + np.asarray(period_rate, dtype=float), periods_per_year) - 1.0
    return float(result) if np.ndim(result) == 0 else result


# --- IRR ------------------------------------------------------------------------------------------
#
# The solver works in u = ln(1 + rate), so every u is a valid rate > -1, on
#     h(u) = ln PV_in(u) - ln PV_out(u),
# where PV_in and PV_out are the present values of the inflows and of the (absolute) outflows. h(u) = 0
# exactly where NPV = 0. For a conventional flow h is strictly decreasing with slope -(D_in - D_out) (minus
# the gap between the Macaulay durations of inflows and outflows, at least one period) and nearly linear, so
# Newton's method on h converges in a few steps, and the root is as well conditioned as the present values.
# Present values use weights w_t = exp(-u t + min(u, 0) (n - 1)) in (0, 1] (powers of exp(-|u|)): for u < 0
# every weight is scaled by the same factor (1 + rate)^(n - 1), which cancels in h and in its slope, so
# nothing overflows.


class _Flows:
    """Inflow/outflow coefficients of the paths being solved, stored (periods, paths) so that loops over
    periods touch contiguous rows."""

    def __init__(self, cf: np.ndarray | None = None):
        if cf is None:
            return
        cft = np.ascontiguousarray(cf.T)
        t = np.arange(cft.shape[0], dtype=float)[:, np.newaxis]
        self.inflow = np.maximum(cft, 0.0)
        self.outflow = np.maximum(-cft, 0.0)
        self.inflow_t = self.inflow * t
        self.outflow_t = self.outflow * t

    def take(self, cols: np.ndarray) -> _Flows:
        sub = _Flows()
        for name in ("inflow", "outflow", "inflow_t", "outflow_t"):
            setattr(sub, name, np.ascontiguousarray(getattr(self, name)[:, cols]))
        return sub

    def weights(self, u: np.ndarray) -> np.ndarray:
        """w[t] = exp(-u t + min(u, 0) (n - 1)), all in (0, 1], shape (periods, paths)."""
        forward = u >= 0.0
        z = np.exp(-np.abs(u))  # 1/(1+r) for rate >= 0, (1+r) for rate < 0
        powers = np.empty_like(self.inflow)
        powers[0] = 1.0
        if powers.shape[1] <= _ACCUMULATE_MAX_PATHS:  # same products in the same order, one call
            powers[1:] = z
            np.multiply.accumulate(powers, axis=0, out=powers)
        else:
            for k in range(1, powers.shape[0]):
                np.multiply(powers[k - 1], z, out=powers[k])
        if forward.all():
            return powers
        return np.where(forward, powers, powers[::-1])

    def h(self, u: np.ndarray, slope: bool = True):
        """h(u) and, if asked, dh/du for each path."""
        w = self.weights(u)
        pv_in = np.einsum("ij,ij->j", self.inflow, w)
        pv_out = np.einsum("ij,ij->j", self.outflow, w)
        value = np.log(pv_in) - np.log(pv_out)
        if not slope:
            return value, None
        d_in = np.einsum("ij,ij->j", self.inflow_t, w) / pv_in
        d_out = np.einsum("ij,ij->j", self.outflow_t, w) / pv_out
        return value, d_out - d_in


def _newton(flows: _Flows, u0: np.ndarray) -> np.ndarray:
    """Vectorised Newton iteration on h(u) from ``u0``; returns u, NaN for paths where it fails.

    Every iteration evaluates all still-active paths (converged ones are frozen); once three quarters of them
    have stopped, the few left (typically flows with no root, which run to the iteration limit) are gathered
    into their own smaller arrays, so they no longer cost a full-width evaluation per iteration. A path's
    iterates do not depend on the other paths.
    """
    u = u0.copy()
    active = np.arange(u.shape[0])
    running = np.ones(u.shape[0], dtype=bool)  # over ``active``
    for _ in range(_NEWTON_MAX_ITER):
        ua = u[active]
        value, slope = flows.h(ua)
        step = -value / slope
        # a step longer than 2 in ln(1 + rate) (a factor e^2 on 1 + rate) is capped: keeps far starts sane
        new = ua + np.clip(step, -2.0, 2.0)
        failed = running & ~np.isfinite(new)
        ua = np.where(running, new, ua)
        ua[failed] = np.nan
        u[active] = ua
        running &= ~failed & ~(np.abs(step) <= _NEWTON_TOL)
        if not running.any():
            break
        if running.sum() * 4 <= running.size:
            keep = np.flatnonzero(running)
            flows, active, running = flows.take(keep), active[keep], np.ones(keep.size, dtype=bool)
    u[active[running]] = np.nan
    return u


def _bracket_bisect(flows: _Flows, u_guess: np.ndarray) -> np.ndarray:
    """Sign scan of NPV on a grid of u, then vectorised bisection; the root nearest ``u_guess`` wins."""

    def sign(u):
        w = flows.weights(u)
        return np.sign(np.einsum("ij,ij->j", flows.inflow, w) - np.einsum("ij,ij->j", flows.outflow, w))

    n = u_guess.shape[0]
    lo = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    best = np.full(n, np.inf)
    prev_u = _SCAN_U[0]
    prev_s = sign(np.full(n, prev_u))
    for u in _SCAN_U[1:]:
        s = sign(np.full(n, u))
        dist = np.abs(0.5 * (prev_u + u) - u_guess)
        take = (prev_s * s <= 0) & ((prev_s != 0) | (s != 0)) & (dist < best)
        lo[take], hi[take], best[take] = prev_u, u, dist[take]
        prev_u, prev_s = u, s
    result = np.full(n, np.nan)
    found = np.flatnonzero(np.isfinite(lo))
    if found.size == 0:
        return result
    flows = flows.take(found)
    a, b = lo[found], hi[found]
    sa = sign(a)
    for _ in range(_BISECT_ITER):
        m = 0.5 * (a + b)
        same = (sign(m) == sa) & (sa != 0)
        a = np.where(same, m, a)
        b = np.where(same, b, m)
    # the root is where the sign flips: the end carrying an exact zero if there is one, else the midpoint
    result[found] = np.where(sa == 0, a, 0.5 * (a + b))
    return result


def irr(cash_flows, *, guess=0.1):
    """Internal rate of return per period of each path: the rate at which :func:`npv0` is zero.

    Parameters
    ----------
    cash_flows : array_like, shape (paths, periods) or (periods,)
        Cash flows [currency], one column per period, outflows negative. Leading and trailing zeros do not
        change the result.
    guess : float or array_like, shape (paths,), keyword-only
        Starting rate of Newton's method [fraction per period]; 0.1 as in Excel and LibreOffice.

    Returns
    -------
    numpy.ndarray, shape (paths,), or float for one path
        IRR [fraction per period], > -1, or NaN where there is none. Use :func:`annualise` for an annual rate.

    Notes
    -----
    The IRR solves

    .. math:: \\sum_{t=0}^{n-1} \\frac{c_t}{(1 + \\mathrm{IRR})^t} = 0, \\qquad \\mathrm{IRR} > -1.

    **Rule for no or several roots.**

    * NaN when a path has no positive or no negative value (all same sign, or all zero), contains NaN or
      infinity, or no root is found: no exception is raised, so one bad path never stops a Monte Carlo run.
    * A *conventional* flow (exactly one sign change, zeros ignored; see :func:`sign_changes`) has exactly one
      root above -1 (Descartes' rule of signs) and that root is returned, whatever ``guess`` is.
    * With two or more sign changes there may be none, one or several roots. ``irr`` returns the root reached
      by the Newton iteration below started at ``guess`` (like Excel's ``IRR(range, guess)``, though Excel,
      which iterates on the NPV itself, may reach a different root); if Newton fails, the root nearest to
      ``guess`` (in ln(1 + rate)) among those found by a sign scan of rates from about -0.999999 to 1.2e6 per
      period; NaN if the scan finds none. Such a rate is not a reliable measure of return: check
      ``sign_changes(cash_flows) <= 1`` before relying on it.
    * Roots below about -0.999999 or above about 1.2e6 per period may be reported as NaN.

    **Method.** Newton's method runs on all paths at once (loop over iterations only) in u = ln(1 + rate),
    on h(u) = ln(PV of inflows) - ln(PV of outflows), which is zero exactly where the NPV is, and for a
    conventional flow is strictly decreasing and nearly linear (its slope is minus the gap between the
    Macaulay durations of outflows and inflows), so Newton converges in a few steps; steps are capped at 2 in
    u. It stops when the step in u is below 1e-9 (the next step would be ~1e-18). Paths where Newton fails
    within 50 iterations go to a
    vectorised bracketing fallback: a sign scan of the NPV on 141 points of u in [-14, 14], then 64 bisection
    steps, which pins the root to rounding.

    For conventional flows the result equals Excel's and LibreOffice's ``IRR`` (which stop Newton at a 1e-7
    step, after which the quadratic convergence leaves them at the root to rounding) and
    ``numpy_financial.irr`` (polynomial roots) to about 1e-12.

    References
    ----------
    pyxirr, ``docs/functions.md`` (NaN or None rather than an exception when there is no root);
    LibreOffice ``sc/source/core/tool/interpr2.cxx``, ``ScInterpreter::ScIRR``.

    Examples
    --------
    >>> round(irr([-100, 39, 59, 55, 20]), 10)
    0.2809484212
    >>> irr([[-100, 110], [100, 50], [0, 0]])
    array([0.1, nan, nan])
    """
    cf, one_path = _as_paths(cash_flows)
    paths = cf.shape[0]
    guesses = _per_path(guess, paths, "guess")
    if np.any(~(guesses > -1.0)):
        raise InputError(f"guess: expected a rate > -1 [fraction per period], found {guesses[~(guesses > -1.0)][0]!r}")
    result = np.full(paths, np.nan)
    solvable = np.isfinite(cf).all(axis=1) & (cf > 0).any(axis=1) & (cf < 0).any(axis=1)
    idx = np.flatnonzero(solvable)
    if idx.size:
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            flows = _Flows(cf[idx])
            u_guess = np.log1p(guesses[idx])
            found = _newton(flows, u_guess)
            retry = np.flatnonzero(np.isnan(found))
            if retry.size:
                found[retry] = _bracket_bisect(flows.take(retry), u_guess[retry])
            found = np.expm1(found)
        result[idx] = found
    return _finish(result, one_path)
