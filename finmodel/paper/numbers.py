"""Numbers as officers write them in a credit paper: ``USD 335.3 m``, ``KRW 240.0 bn``, ``18.87 %``, ``1.58x``.

Every metric's label and format come from its model row, as in the JSON's ``metric_info`` and the workbook
(:func:`finmodel.outputs.summary.fmt_value`, :func:`finmodel.outputs.summary.short_label`): the paper has no labels
of its own for
the model's metrics. Only the order of a money figure differs from the terminal's (``USD 335.3 m``, not
``335.3m USD``): the currency first, as a paper writes it.
"""

from __future__ import annotations

import math

from finmodel.outputs.summary import fmt_value, short_label

MILLION = 1e6
BILLION = 1e9


def missing(value) -> bool:
    """True for None and NaN (a metric the case has no value for: ``n/a``)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def money_m(value, currency: str) -> str:
    """``USD 335.3 m`` [currency]: millions with one decimal, never ``-0.0``."""
    if missing(value):
        return "n/a"
    m = round(value / MILLION, 1)
    return f"{currency} {m + 0.0 if m else 0.0:,.1f} m"


def krw_bn(value) -> str:
    """``KRW 240.0 bn`` [KRW]: billions with one decimal (the fund's amounts)."""
    if missing(value):
        return "n/a"
    b = round(value / BILLION, 1)
    return f"KRW {b + 0.0 if b else 0.0:,.1f} bn"


def pct(value, digits: int = 2) -> str:
    """``18.87 %`` of a fraction."""
    return "n/a" if missing(value) else f"{value * 100:,.{digits}f} %"


def ratio(value) -> str:
    """``1.58x``."""
    return "n/a" if missing(value) else f"{value:.2f}x"


def metric_text(value, row, currency: str) -> str:
    """A metric's value by its model row's format (as the workbook and the terminal summary format it)."""
    if row.fmt in ("money", "money2"):
        return money_m(value, row.unit or currency)
    if row.fmt == "pct":
        return pct(value)
    return fmt_value(value, row.fmt, row.unit, currency)


def metric_label(row) -> str:
    """A metric's label: its workbook row's label without the formula part (the JSON's ``metric_info`` label)."""
    return short_label(row.label)


def json_number(value):
    """The metric as the JSON writes it (a float, None for NaN): the ``data-value`` of a headline figure."""
    if missing(value):
        return None
    return float(value)
