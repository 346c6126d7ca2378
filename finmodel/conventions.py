"""The conventions of the model, stated once: periods, dates (EDATE, the Excel serial epoch), names, tolerances.

Every module that needs one of these imports it from here; none writes its own copy. The README's
"Conventions" section says the same in words.

Examples
--------
>>> import datetime as dt
>>> excel_serial(dt.date(2027, 1, 1))
46388.0
>>> serial_to_date(46388.0)
datetime.date(2027, 1, 1)
>>> edate(dt.date(2027, 1, 31), 1)          # Excel EDATE: the day clamped to the month's length
datetime.date(2027, 2, 28)
>>> period_end(dt.date(2027, 1, 1), 1, 2)   # period 1 of a semi-annual model ends the day before 2027-07-01
datetime.date(2027, 6, 30)
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import numpy as np

# --- periods ------------------------------------------------------------------------------------------------

PERIODS_PER_YEAR = (1, 2, 4, 12)
"""Allowed model periods per year. Period ``k`` (1-based) ends ``k / periods_per_year`` years after the start
date (financial close); cash flows fall at period ends."""

# --- dates --------------------------------------------------------------------------------------------------

EXCEL_EPOCH = dt.date(1899, 12, 30)
"""Day 0 of Excel / LibreOffice date serials (the 1900 date system, with Excel's 1900 leap-year bug absorbed:
serials from 1900-03-01 on are exact)."""

_EPOCH64 = np.datetime64(EXCEL_EPOCH, "D")


def excel_serial(d: dt.date) -> float:
    """Excel / LibreOffice date serial of ``d`` [days since :data:`EXCEL_EPOCH`]."""
    return float((d - EXCEL_EPOCH).days)


def serial_to_date(x: float) -> dt.date:
    """The date of an Excel serial (whole days; a fraction of a day is dropped)."""
    return EXCEL_EPOCH + dt.timedelta(days=int(x))


def serial_to_datetime(x: float) -> dt.datetime:
    """The datetime of an Excel serial, as openpyxl reads a date cell back."""
    return dt.datetime.combine(EXCEL_EPOCH, dt.time()) + dt.timedelta(days=x)


def serials_to_datetime64(serials) -> np.ndarray:
    """Excel serials (any shape) as ``datetime64[D]`` (whole days)."""
    return _EPOCH64 + np.asarray(serials).astype("int64").astype("timedelta64[D]")


def edate(d: dt.date, months: int) -> dt.date:
    """Excel ``EDATE``: ``d`` moved by whole ``months``, the day clamped to the target month's length."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def edate_serials(serial, months) -> np.ndarray:
    """Excel ``EDATE`` on date serials (numpy, broadcast; months truncated to whole months as Excel does): the
    same day ``months`` later, clipped to the month's end. Returns serials (float)."""
    serial, months = np.broadcast_arrays(np.asarray(serial, dtype=float), np.asarray(months, dtype=float))
    d = serials_to_datetime64(serial)
    m = d.astype("datetime64[M]")
    day = (d - m.astype("datetime64[D]")).astype(int)
    m2 = m + months.astype("int64").astype("timedelta64[M]")
    last = ((m2 + np.timedelta64(1, "M")).astype("datetime64[D]") - m2.astype("datetime64[D]")).astype(int) - 1
    out = m2.astype("datetime64[D]") + np.minimum(day, last).astype("timedelta64[D]")
    return (out - _EPOCH64).astype(float)


def period_end(start: dt.date, k: int, per_year: int) -> dt.date:
    """End date of period ``k`` (1-based): the day before ``EDATE(start, k * 12 / per_year)``."""
    return edate(start, k * 12 // per_year) - dt.timedelta(days=1)


# --- names --------------------------------------------------------------------------------------------------

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,79}")
"""Every input and row name: lower-case ASCII identifier chosen by finmodel (``d1_closing``), never user text.

Names become Python identifiers in the generated evaluation code and defined names in the workbook, so they
are checked where they are created (:mod:`finmodel.rows`) and again by :mod:`finmodel.rows.code` before any code
is compiled.
"""


def check_name(name) -> str:
    """``name`` if it matches :data:`NAME_PATTERN`; else a FinmodelError (a bug: names are never user text)."""
    if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None:
        from finmodel.errors import FinmodelError

        raise FinmodelError(f"internal model name {name!r} is not an identifier of the form {NAME_PATTERN.pattern}")
    return name


# --- headline metric lists ----------------------------------------------------------------------------------

HEADLINE_METRICS = (
    "equity_irr",
    "project_irr",
    "equity_npv",
    "min_dscr",
    "avg_dscr",
    "min_llcr",
    "total_uses",
    "total_debt",
    "gearing",
    "lockup_periods",
    "default_periods",
)
"""Metrics shown live on the workbook's Cover sheet, in this order, when the model has them
(:mod:`finmodel.workbook.cover`)."""

PATH_METRICS = (
    "equity_irr",
    "project_irr",
    "equity_npv",
    "min_dscr",
    "min_llcr",
    "default_periods",
    "lockup_periods",
)
"""Model metrics the Monte Carlo keeps for every path (:mod:`finmodel.risk.simulation`, when the model has them).
Not ``avg_dscr``: an average of period ratios says nothing once CFADS turns negative on a path (docs/metrics.md,
DSCR)."""

SENSITIVITY_METRICS = ("equity_irr", "min_dscr", "equity_npv", "avg_dscr", "min_llcr", "default_periods")
"""Model metrics each sensitivity point reports (:mod:`finmodel.risk.sensitivity`: tornado, spider,
breakevens): one deterministic path per point, so the average DSCR is meaningful here, unlike across paths."""


# --- tolerances ---------------------------------------------------------------------------------------------

SHARE_TOLERANCE = 1e-9
"""Shares and phasings must sum to 1 within this absolute tolerance (float round-off of a few decimal entries
is ~1e-16; 1e-9 still catches any typo a person can make)."""

INTEGER_TOLERANCE = 1e-9
"""Tolerance of 'is a whole number' tests on products such as grace_years * periods_per_year (grace, recovery lags):
floating-point slack only (0.1 * 3 is 0.30000000000000004)."""

YEARS_TOLERANCE = 1e-9
"""[years] Slack of comparisons between terms given in years (grace against maturity, a grace not negative):
floating-point slack only, far below a day (~3e-3 years)."""

RATE_TOLERANCE = 1e-12
"""Slack of policy-rule comparisons of rates, shares and grant elements entered as decimals (a grant element
against the 35 % threshold, a cover share against its cap): floating-point slack only, so a value typed exactly at
a limit passes and any value a person can type beyond it fails."""

MONEY_TOLERANCE = 0.01
"""[currency] A project amount below a cent is float residue, not money (a senior loss or a guarantee claim on a
simulated path counts above it). Also the default of the workbook input ``in_check_tolerance`` of the money checks
(:mod:`finmodel.model.checks`): sums of up to a few hundred amounts of 1e9 carry floating-point error around 1e-6."""

KRW_TOLERANCE = 1.0
"""[KRW] The fund's money tolerance: KRW has no minor unit, and float error on sums of ~1e12 KRW is ~1e-4 KRW, so a
tranche loss below 1 KRW is residue, not a loss."""
