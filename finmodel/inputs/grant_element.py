"""Grant element of a loan: the DAC/IMF closed forms, the same from an actual cash-flow schedule, and the
discount-rate methods (DAC 2018 ODA test, IMF unified 5 %, OECD Arrangement differentiated discount rate).

The grant element of a loan is its face value less the present value of the debt service the borrower
pays, as a fraction of the face value (of the present value of disbursements where they are spread):

.. math:: GE = 1 - \\frac{PV(\\text{debt service})}{PV(\\text{disbursements})}

finmodel returns grant elements as fractions (0.45 = 45 %), like every other rate; the DAC and the IMF
publish them in percent.

Why one module of 600-odd lines: the closed forms, the cash-flow form and the discount-rate methods are one
published method, checked against one another and against the DAC's and the IMF's tables (tests/test_grant_element.py);
split, the conventions they share (grace, periodicity, the discount rate) would be read in three places.

Grace convention
----------------
finmodel's ``grace_years`` is the number of **years from commitment (disbursement) with no principal
repayment**; the first instalment falls at the end of the first period after the grace period, i.e. at
``grace_years + 1/A`` years (A = periods per year). Interest is paid every period from the first.

The DAC formulas are written with G = "grace period", defined by the DAC as the *interval between the
commitment date and the date of the first repayment of principal*, and INT = G - 1/A, "the interval between
the commitment date and the first repayment date minus the interval between two successive repayments"
(World Bank IDA, "Grant element calculations", quoting DAC/OECD). So:

    finmodel grace_years  =  INT  =  G - 1/A,        G (DAC)  =  grace_years + 1/A.

With that mapping the closed forms equal the present value of the explicit schedule of
:func:`loan_schedule` to rounding error (tested to 1e-10 for both profiles, A = 1, 2, 4, 12 and discount
rates 5, 6, 7, 9, 10 % and a DDR; ``tests/test_grant_element.py``). Callers holding a DAC/IMF-style grace
(years to the first repayment) pass ``grace_convention="first_repayment"``.
The loan sources quoting "40 years including 10 years grace" (EDCF) are read as finmodel grace_years.

Reference comparisons (``tests/test_grant_element.py``)
-------------------------------------------------------
- DAC formulas as printed (G, INT = G - 1/A), evaluated independently with G = grace_years + 1/A: equal to
  1e-10; reading finmodel's grace as the DAC's G instead moves EDCF-type terms by about half a point.
- Hand-worked: a 0 % loan repaid in one instalment at t = 2 (annual, grace 1): GE = 1 - 1.1**-2 = 17.355 %.
- Published exercise (ADMS 4540 "Mongolia" ODA loan: 7 %, 5 years interest only, 20 level semi-annual
  payments, 10 %), reference built from numpy-financial PMT/PV: 17.82 %, equal to 1e-12.
- EDCF Sri Lanka 2020 terms (0.15 %, 40 years incl. 10 grace, semi-annual equal principal): 76.90 % at 7 %
  (DAC LMIC), 86.24 % at 10 % (old DAC convention), 66.08 % at 5 % (IMF).
No published IMF-calculator output was found in the sources searched; the calculator's definitions
(grace = interval to the first principal repayment) are the DAC's and are pinned by the first test above.

References
----------
.. [1] OECD DAC, "Calculation of the grant element" (annex to the DAC Statistical Reporting Directives,
   DCD/DAC/STAT(2018)9/FINAL), equal-principal and annuity formulas.
.. [2] World Bank IDA, "Grant element calculations": definitions of grace period and interval,
   http://ida.worldbank.org/financing/grant-element-calculations
.. [3] IMF, "Calculation of Grant Element" (concessionality calculator), unified 5 % discount rate since
   11 October 2013, http://www.imf.org/external/np/pdr/conc/calculator/default.aspx
.. [4] OECD Arrangement on Officially Supported Export Credits, Chapter III (tied aid) and its annex on the
   differentiated discount rates: DDR = CIRR + (10 - CIRR)/4 for CIRR < 10 %, rounded to 10 basis points.
.. [5] S. Scott, "The grant element method of measuring the concessionality of loans and debt relief",
   OECD Development Centre Working Paper 339 (2017).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from finmodel import conventions
from finmodel.errors import InputError
from finmodel.finance import instalment_share
from finmodel.inputs.instruments import preset

__all__ = [
    "REPAYMENT_PROFILES",
    "LoanSchedule",
    "DiscountRate",
    "GrantElementReport",
    "grant_element_closed_form",
    "grant_element_cash_flows",
    "loan_schedule",
    "discount_rate_for",
    "differentiated_discount_rate",
    "grant_element_report",
]

REPAYMENT_PROFILES = ("equal", "annuity")
PERIODS_PER_YEAR = conventions.PERIODS_PER_YEAR


# --- input checks -----------------------------------------------------------------------------------


MAX_MATURITY_YEARS = 100
"""Longest loan accepted, in years: a bound on the work (periods) as much as on plausibility (the longest DAC
reporting terms are 40-50 years)."""


def _check_terms(annual_rate, maturity_years, grace_years, periods_per_year, repayment, grace_convention):
    """Validate loan terms (arrays allowed); return float arrays (R, M, INT) and A. Raise InputError."""
    problems = []
    if repayment not in REPAYMENT_PROFILES:
        problems.append(("repayment", f"expected one of {', '.join(REPAYMENT_PROFILES)}, found {repayment!r}"))
    if periods_per_year not in PERIODS_PER_YEAR:
        problems.append(("periods_per_year", f"expected one of 1, 2, 4, 12, found {periods_per_year!r}"))
    if grace_convention not in ("no_principal", "first_repayment"):
        problems.append(
            ("grace_convention", f"expected 'no_principal' or 'first_repayment', found {grace_convention!r}")
        )
    try:
        R = np.asarray(annual_rate, dtype=float)
        M = np.asarray(maturity_years, dtype=float)
        G = np.asarray(grace_years, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError([("", f"loan terms must be numbers: {exc}")]) from None
    if problems:
        raise InputError(problems)
    A = int(periods_per_year)
    INT = G - 1.0 / A if grace_convention == "first_repayment" else G

    if np.any(~np.isfinite(R)) or np.any(R < 0) or np.any(R >= 1):
        problems.append(("annual_rate", f"expected a decimal annual rate in [0, 1) (0.02 for 2 %), found {_show(R)}"))
    if np.any(~np.isfinite(M)) or np.any(M <= 0) or np.any(M > MAX_MATURITY_YEARS):
        problems.append(
            ("maturity_years", f"expected a positive number of years up to {MAX_MATURITY_YEARS}, found {_show(M)}")
        )
    if np.any(~np.isfinite(G)) or np.any(INT < -conventions.YEARS_TOLERANCE):
        lo = "1/periods_per_year" if grace_convention == "first_repayment" else "0"
        problems.append(("grace_years", f"expected years >= {lo}, found {_show(G)}"))
    elif np.any(INT >= M - conventions.YEARS_TOLERANCE):
        problems.append(
            (
                "grace_years",
                f"expected fewer years than the maturity ({_show(M)}): the last "
                f"instalment must fall after the grace period, found {_show(G)}",
            )
        )
    for name, arr in (("maturity_years", M), ("grace_years", INT)):
        if np.all(np.isfinite(arr)) and np.any(
            np.abs(arr * A - np.round(arr * A)) > conventions.INTEGER_TOLERANCE * max(1.0, A)
        ):
            problems.append((name, f"expected a whole number of periods at {A} per year, found {_show(arr)}"))
    if problems:
        raise InputError(problems)
    return R, M, np.maximum(INT, 0.0), A


def _check_discount(discount_rate, field="discount_rate"):
    I = np.asarray(discount_rate, dtype=float)
    if np.any(~np.isfinite(I)) or np.any(I <= 0) or np.any(I >= 1):
        raise InputError(
            [(field, f"expected a decimal annual discount rate in (0, 1) (0.05 for 5 %), found {_show(I)}")]
        )
    return I


def _show(arr) -> str:
    arr = np.asarray(arr)
    return repr(arr.item()) if arr.ndim == 0 else np.array2string(arr, threshold=6)


def _out(x):
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


# --- closed forms -----------------------------------------------------------------------------------


def grant_element_closed_form(
    annual_rate,
    maturity_years,
    grace_years,
    discount_rate,
    *,
    repayment="equal",
    periods_per_year=2,
    grace_convention="no_principal",
):
    """Grant element of a loan disbursed at commitment, by the DAC closed-form formulas.

    Vectorised: every numeric argument may be a numpy array; they broadcast together.

    Parameters
    ----------
    annual_rate : float or array_like
        Interest rate R [fraction per year], e.g. 0.0015. Paid every period on the outstanding balance.
    maturity_years : float or array_like
        M: years from commitment to the last repayment, grace included [years].
    grace_years : float or array_like
        Years from commitment with no principal repayment [years] (finmodel convention: the first
        instalment falls at ``grace_years + 1/A``). With ``grace_convention="first_repayment"``, the DAC/IMF
        grace G instead: years from commitment to the first principal repayment.
    discount_rate : float or array_like
        I [fraction per year], e.g. 0.09 (DAC LDC/LIC), 0.05 (IMF), or a DDR.
    repayment : {"equal", "annuity"}
        ``"equal"``: equal principal instalments (declining debt service); ``"annuity"``: level debt
        service (principal + interest) over the repayment periods.
    periods_per_year : {1, 2, 4, 12}
        A, interest and repayment periods per year.
    grace_convention : {"no_principal", "first_repayment"}
        How ``grace_years`` is read (see the module docstring).

    Returns
    -------
    float or ndarray
        Grant element [fraction of face value]; negative when the loan rate exceeds the discount rate.

    Notes
    -----
    With INT = years with no principal (= finmodel ``grace_years`` = DAC G - 1/A),
    :math:`D = (1+I)^{1/A} - 1` and :math:`r = R/A` [1]_:

    equal principal

    .. math:: GE = \\left[1 - \\frac{r}{D}\\right]
              \\left[1 - \\frac{(1+D)^{-A\\,INT} - (1+D)^{-A\\,M}}{D\\,(A M - A\\,INT)}\\right]

    annuity, with :math:`DR = M - INT`, :math:`NR = A\\,DR`, :math:`C_1 = (1+I)^{INT}`,
    :math:`C_2 = (1+I)^{DR}`:

    .. math:: Z_G = \\frac{R (1 - 1/C_1)}{A D}, \\quad Z_M = \\frac{1}{(1+r)^{NR} - 1} + 1, \\quad
              Z_X = r\\, Z_M \\frac{1}{C_1} \\frac{1 - 1/C_2}{D}, \\quad GE = 1 - Z_G - Z_X

    (:math:`Z_G` is the present value of the interest paid during the grace period, :math:`Z_X` that of
    the level instalments.) For R = 0 the annuity is read as its limit (equal instalments, = equal principal).

    References
    ----------
    .. [1] OECD DAC, "Calculation of the grant element", annex to the DAC Statistical Reporting Directives.

    Examples
    --------
    EDCF LMIC terms (Sri Lanka 2020: 0.15 %, 40 years incl. 10 grace) at the DAC 2018 LMIC rate of 7 %:

    >>> round(grant_element_closed_form(0.0015, 40, 10, 0.07), 4)
    0.769
    >>> grant_element_closed_form(0.0015, 40, 10, np.array([0.05, 0.07, 0.09])).round(4)
    array([0.6608, 0.769 , 0.8376])
    """
    R, M, INT, A = _check_terms(annual_rate, maturity_years, grace_years, periods_per_year, repayment, grace_convention)
    I = _check_discount(discount_rate)
    D = (1.0 + I) ** (1.0 / A) - 1.0
    r = R / A
    if repayment == "equal":
        pv_principal = ((1.0 + D) ** (-A * INT) - (1.0 + D) ** (-A * M)) / (D * (A * M - A * INT))
        ge = (1.0 - r / D) * (1.0 - pv_principal)
        return _out(ge)
    DR = M - INT
    NR = A * DR
    C1 = (1.0 + I) ** INT
    C2 = (1.0 + I) ** DR
    ZG = R * (1.0 - 1.0 / C1) / (A * D)
    with np.errstate(divide="ignore", invalid="ignore"):
        ZM = 1.0 / ((1.0 + r) ** NR - 1.0) + 1.0
        rZM = np.where(r > 0, r * ZM, 1.0 / NR)  # limit r -> 0: r*ZM -> 1/NR
    ZX = rZM * (1.0 / C1) * (1.0 - 1.0 / C2) / D
    return _out(1.0 - ZG - ZX)


# --- schedules and cash-flow PV ---------------------------------------------------------------------


@dataclass(frozen=True)
class LoanSchedule:
    """Debt service of a unit loan disbursed at t = 0. Arrays have one entry per period end, index 0 = t 0.

    Attributes
    ----------
    times : ndarray
        Period ends [years from commitment]: 0, 1/A, 2/A, ..., M.
    disbursements : ndarray
        1 at index 0, else 0 [fraction of face value].
    interest : ndarray
        Interest paid at each period end [fraction of face value].
    principal : ndarray
        Principal repaid at each period end [fraction of face value].
    debt_service : ndarray
        interest + principal [fraction of face value].
    balance : ndarray
        Outstanding principal after the period's repayment [fraction of face value].
    periods_per_year : int
        A.
    """

    times: np.ndarray
    disbursements: np.ndarray
    interest: np.ndarray
    principal: np.ndarray
    debt_service: np.ndarray
    balance: np.ndarray
    periods_per_year: int


def loan_schedule(
    annual_rate, maturity_years, grace_years, *, repayment="equal", periods_per_year=2, grace_convention="no_principal"
) -> LoanSchedule:
    """Explicit period-by-period debt service of a unit loan disbursed at commitment (t = 0).

    Parameters
    ----------
    annual_rate : float
        [fraction per year]; period rate = annual_rate / periods_per_year (nominal, as in the DAC formulas).
    maturity_years : float
        Years to the last repayment [years].
    grace_years : float
        Years with no principal repayment [years]; the first instalment is at ``grace_years + 1/A``.
    repayment : {"equal", "annuity"}
    periods_per_year : {1, 2, 4, 12}
    grace_convention : {"no_principal", "first_repayment"}

    Returns
    -------
    LoanSchedule

    Examples
    --------
    >>> s = loan_schedule(0.10, 3, 1, repayment="equal", periods_per_year=1)
    >>> s.debt_service.round(4).tolist()
    [0.0, 0.1, 0.6, 0.55]
    """
    R, M, INT, A = _check_terms(annual_rate, maturity_years, grace_years, periods_per_year, repayment, grace_convention)
    if R.ndim or M.ndim or INT.ndim:
        raise InputError([("", "loan_schedule takes scalar terms; use grant_element_closed_form for arrays")])
    n = int(round(float(M) * A))
    n_grace = int(round(float(INT) * A))
    n_rep = n - n_grace
    r = float(R) / A
    interest = np.zeros(n + 1)
    principal = np.zeros(n + 1)
    balance = np.zeros(n + 1)
    balance[0] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):  # r = 0: the annuity's limit is taken (1 / n_rep)
        share = np.broadcast_to(instalment_share(repayment, np.arange(1, n_rep + 1), n_rep, r), (n_rep,))
    for k in range(1, n + 1):  # one loan, n <= 480 periods: a loop over periods, never over paths
        interest[k] = balance[k - 1] * r
        if k > n_grace:  # the last instalment repays what is left (float residue, ~1e-16)
            principal[k] = balance[k - 1] if k == n else share[k - n_grace - 1]
        balance[k] = balance[k - 1] - principal[k]
    disb = np.zeros(n + 1)
    disb[0] = 1.0
    return LoanSchedule(
        times=np.arange(n + 1) / A,
        disbursements=disb,
        interest=interest,
        principal=principal,
        debt_service=interest + principal,
        balance=balance,
        periods_per_year=A,
    )


def grant_element_cash_flows(disbursements, debt_service, discount_rate, periods_per_year, *, times=None):
    """Grant element of an actual schedule: 1 - PV(debt service) / PV(disbursements).

    This is what a modelled facility gives (any drawdown, sculpted or irregular repayment, fees included in
    ``debt_service`` if they should count).

    Parameters
    ----------
    disbursements : array_like, shape (periods,) or (paths, periods)
        Amounts lent in each period [currency], non-negative.
    debt_service : array_like, same shape (or broadcastable)
        Interest + principal (+ fees) paid by the borrower in each period [currency], non-negative.
    discount_rate : float or array_like of shape (paths,)
        I [fraction per year].
    periods_per_year : int
        A; without ``times``, entry k of the arrays falls at k/A years after commitment (k = 0 is the
        commitment date, undiscounted).
    times : array_like, shape (periods,), optional
        Explicit times of the entries [years from commitment].

    Returns
    -------
    float or ndarray of shape (paths,)
        Grant element [fraction of PV of disbursements]; NaN where nothing is disbursed.

    Notes
    -----
    .. math:: GE = 1 - \\frac{\\sum_k DS_k (1+I)^{-t_k}}{\\sum_k L_k (1+I)^{-t_k}}

    Discounting at :math:`(1+I)^{-t}` equals the DAC's per-period rate :math:`D = (1+I)^{1/A} - 1`.

    Examples
    --------
    >>> s = loan_schedule(0.0015, 40, 10, repayment="equal", periods_per_year=2)
    >>> round(grant_element_cash_flows(s.disbursements, s.debt_service, 0.07, 2), 4)
    0.769
    """
    L = np.asarray(disbursements, dtype=float)
    DS = np.asarray(debt_service, dtype=float)
    problems = []
    if L.ndim not in (1, 2) or DS.ndim not in (1, 2):
        problems.append(("", "expected arrays shaped (periods,) or (paths, periods)"))
    elif L.shape[-1] != DS.shape[-1]:
        problems.append(("debt_service", f"expected {L.shape[-1]} periods like disbursements, found {DS.shape[-1]}"))
    if np.any(L < 0) or np.any(DS < 0):
        problems.append(("", "disbursements and debt_service are amounts paid, expected >= 0 (found negative values)"))
    if periods_per_year not in PERIODS_PER_YEAR and times is None:
        problems.append(("periods_per_year", f"expected one of 1, 2, 4, 12, found {periods_per_year!r}"))
    if problems:
        raise InputError(problems)
    I = _check_discount(discount_rate)
    n = L.shape[-1]
    t = np.arange(n) / periods_per_year if times is None else np.asarray(times, dtype=float)
    if t.shape != (n,):
        raise InputError([("times", f"expected {n} times, found shape {t.shape}")])
    if I.ndim == 1:
        I = I[:, None]
    v = (1.0 + I) ** (-t)
    pv_l = np.sum(L * v, axis=-1)
    pv_ds = np.sum(DS * v, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ge = np.where(pv_l > 0, 1.0 - pv_ds / np.where(pv_l > 0, pv_l, 1.0), np.nan)
    return _out(ge)


# --- discount rates and thresholds --------------------------------------------------------------------


@dataclass(frozen=True)
class DiscountRate:
    """A discount rate chosen by a method, with the concessionality threshold that goes with it.

    Attributes
    ----------
    rate : float
        [fraction per year].
    method : str
        ``"dac2018"``, ``"imf"``, ``"ddr"`` or ``"rate"``.
    threshold : float or None
        Minimum grant element for the test that goes with the method [fraction]: DAC ODA test for
        ``dac2018`` (45 / 15 / 10 %), Helsinki minimum concessionality for ``ddr`` (35 %, 50 % LDC, 80 %
        above the LMIC ceiling), IMF 35 % for ``imf``; None when no country is given or no test applies.
    test : str
        Name of the test the threshold belongs to.
    basis : str
        Why this rate (e.g. "LMIC", "CIRR 0.0450").
    source : str
        Citation of the rate and threshold.
    """

    rate: float
    method: str
    threshold: float | None
    test: str
    basis: str
    source: str


METHODS = ("dac2018", "imf", "ddr", "rate")


def differentiated_discount_rate(cirr, *, rounded=True):
    """OECD Arrangement differentiated discount rate (DDR) for tied-aid concessionality.

    Parameters
    ----------
    cirr : float or array_like
        Commercial Interest Reference Rate of the currency [fraction per year], e.g. 0.045 (not 4.5).
    rounded : bool
        Round to the nearest 10 basis points, as the Arrangement does.

    Returns
    -------
    float or ndarray
        DDR [fraction per year].

    Notes
    -----
    In percent, DDR = CIRR + (10 - CIRR)/4 for CIRR < 10, else CIRR; in decimals
    DDR = CIRR + (0.10 - CIRR) x 0.25. Parameters from the ``helsinki_tied_aid`` preset.

    Examples
    --------
    >>> differentiated_discount_rate(0.045)
    0.059
    >>> differentiated_discount_rate(0.045, rounded=False)
    0.05875
    """
    c = np.asarray(cirr, dtype=float)
    if np.any(~np.isfinite(c)) or np.any(c < 0) or np.any(c >= 1):
        raise InputError([("cirr", f"expected a decimal CIRR in [0, 1) (0.045 for 4.5 %), found {_show(c)}")])
    p = preset("helsinki_tied_aid")
    cap, share, step = p["ddr_cirr_cap"], p["ddr_margin_share"], p["ddr_rounding"]
    ddr = np.where(c < cap, c + (cap - c) * share, c)
    if rounded:
        ddr = np.round(ddr / step) * step
        ddr = np.round(ddr, 10)  # drop the binary noise of step multiples (0.059000000000000004)
    return _out(ddr)


def discount_rate_for(method, country=None, cirr=None, rate=None) -> DiscountRate:
    """The discount rate of a grant-element method, and the threshold of the test it belongs to.

    Parameters
    ----------
    method : {"dac2018", "imf", "ddr", "rate"}
        ``"dac2018"``: DAC ODA loan test since 2018, by the country's group (LDC/LIC 9 %, LMIC 7 %,
        UMIC 6 %); ``"imf"``: IMF/World Bank unified 5 %; ``"ddr"``: OECD Arrangement DDR from ``cirr``;
        ``"rate"``: the given ``rate``.
    country : finmodel.inputs.countries.Country, optional
        Needed for ``"dac2018"``; gives the threshold for ``"ddr"``.
    cirr : float, optional
        CIRR [fraction per year], needed for ``"ddr"``.
    rate : float, optional
        [fraction per year], needed for ``"rate"``.

    Returns
    -------
    DiscountRate

    Raises
    ------
    InputError
        Unknown method, a missing or bad argument, or a high-income country under ``"dac2018"`` (not on
        the DAC list of ODA recipients).

    Examples
    --------
    >>> from finmodel.inputs.countries import get_country
    >>> d = discount_rate_for("dac2018", get_country("VNM"))
    >>> d.rate, d.threshold
    (0.07, 0.15)
    >>> discount_rate_for("ddr", get_country("KHM"), cirr=0.045).threshold
    0.5
    """
    if method not in METHODS:
        raise InputError([("method", f"expected one of {', '.join(METHODS)}, found {method!r}")])
    if method == "rate":
        if rate is None:
            raise InputError([("discount_rate", "method 'rate' needs a discount rate")])
        r = float(_check_discount(rate))
        return DiscountRate(rate=r, method=method, threshold=None, test="", basis="given rate", source="user input")
    if method == "imf":
        p = preset("imf_unified")
        return DiscountRate(
            rate=float(p["discount_rate"]),
            method=method,
            threshold=float(p["concessional_threshold"]),
            test="IMF concessionality (debt limits policy)",
            basis="unified discount rate",
            source=p.param("discount_rate").source,
        )
    if method == "dac2018":
        if country is None:
            raise InputError([("country", "method 'dac2018' needs the recipient country (or give a discount rate)")])
        p = preset("dac_oda_test")
        if country.lic_or_ldc:
            key, basis = "ldc_lic", ("LDC" if country.ldc else "LIC")
        elif country.income_group in ("LMIC", "UMIC"):
            key, basis = country.income_group.lower(), country.income_group
        else:
            raise InputError(
                [
                    (
                        "country",
                        f"{country.iso3} is {country.income_group}: not on the DAC list of "
                        f"ODA recipients: the DAC 2018 test has no discount rate for it",
                    )
                ]
            )
        return DiscountRate(
            rate=float(p[f"{key}_discount_rate"]),
            method=method,
            threshold=float(p[f"{key}_threshold"]),
            test="DAC ODA loan test (2018)",
            basis=basis,
            source=p.param(f"{key}_threshold").source,
        )
    # ddr
    if cirr is None:
        raise InputError([("cirr", "method 'ddr' needs the CIRR of the loan currency")])
    ddr = float(differentiated_discount_rate(cirr))
    threshold, test = None, "Helsinki tied-aid minimum concessionality"
    if country is not None:
        threshold = helsinki_min_concessionality(country)
    return DiscountRate(
        rate=ddr,
        method=method,
        threshold=threshold,
        test=test,
        basis=f"CIRR {float(cirr):.4f}",
        source=preset("helsinki_tied_aid").param("min_concessionality").source,
    )


def helsinki_min_concessionality(country) -> float:
    """Minimum tied-aid concessionality for ``country``: 50 % LDC, 35 % up to the LMIC ceiling, else 80 %."""
    p = preset("helsinki_tied_aid")
    if country.ldc:
        return float(p["min_concessionality_ldc"])
    if country.income_group in p["eligible_income_groups"]:
        return float(p["min_concessionality"])
    return float(p["exception_concessionality"])


# --- one call for the command line ----------------------------------------------------------------------


@dataclass(frozen=True)
class GrantElementReport:
    """Grant element of loan terms by both methods, with the test that applies.

    Attributes
    ----------
    grant_element_closed_form, grant_element_cash_flows : float
        [fraction]; equal to rounding error (see the module docstring).
    discount_rate : float
        [fraction per year].
    method, basis, test, source : str
        How the discount rate was chosen, and the test the threshold belongs to.
    threshold : float or None
        [fraction].
    passes : bool or None
        grant element >= threshold; None without a threshold.
    annual_rate, maturity_years, grace_years, repayment, periods_per_year, country :
        The inputs.
    grace_convention : str
        Always the finmodel one in the report ("years with no principal; first instalment at grace + 1/A").
    """

    annual_rate: float
    maturity_years: float
    grace_years: float
    repayment: str
    periods_per_year: int
    country: str | None
    method: str
    discount_rate: float
    basis: str
    grant_element_closed_form: float
    grant_element_cash_flows: float
    threshold: float | None
    passes: bool | None
    test: str
    source: str
    grace_convention: str = "years with no principal repayment; first instalment at grace_years + 1/periods_per_year"

    def to_dict(self) -> dict:
        return asdict(self)


def grant_element_report(
    annual_rate,
    maturity_years,
    grace_years,
    *,
    repayment="equal",
    periods_per_year=2,
    method="rate",
    discount_rate=None,
    country=None,
    cirr=None,
) -> GrantElementReport:
    """Grant element of loan terms by the closed form and by the PV of the explicit schedule, with the test.

    Parameters are those of :func:`grant_element_closed_form` and :func:`discount_rate_for`; ``country`` is
    a :class:`finmodel.inputs.countries.Country` or None.
    """
    d = discount_rate_for(method, country=country, cirr=cirr, rate=discount_rate)
    ge_cf = grant_element_closed_form(
        annual_rate, maturity_years, grace_years, d.rate, repayment=repayment, periods_per_year=periods_per_year
    )
    s = loan_schedule(annual_rate, maturity_years, grace_years, repayment=repayment, periods_per_year=periods_per_year)
    ge_pv = grant_element_cash_flows(s.disbursements, s.debt_service, d.rate, periods_per_year)
    threshold = d.threshold
    if method == "rate" and country is not None:  # show the DAC test at the given rate, for information
        try:
            threshold = discount_rate_for("dac2018", country).threshold
        except InputError:
            threshold = None
    passes = None if threshold is None else bool(ge_cf >= threshold - conventions.RATE_TOLERANCE)
    return GrantElementReport(
        annual_rate=float(annual_rate),
        maturity_years=float(maturity_years),
        grace_years=float(grace_years),
        repayment=repayment,
        periods_per_year=int(periods_per_year),
        country=None if country is None else country.iso3,
        method=method,
        discount_rate=d.rate,
        basis=d.basis,
        grant_element_closed_form=ge_cf,
        grant_element_cash_flows=ge_pv,
        threshold=threshold,
        passes=passes,
        test=d.test if d.test or threshold is None else "DAC ODA loan test (2018), at the given rate",
        source=d.source,
    )
