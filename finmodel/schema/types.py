"""Constrained value types of the scenario schema, and how values are shown in messages.

Decimals are decimals (``0.08``, never ``8``), amounts are finite and bounded, names and texts have a
length limit (``finmodel.readfile``), dates fall in the range the workbook can show. Each type's message
says what was expected and what was found.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from finmodel import readfile
from finmodel.conventions import INTEGER_TOLERANCE

BASE_CASE = "base"
"""Name of the case with no changes; always available, reserved."""

DEFAULT_SOURCE = "<default>"
"""``Scenario.source`` of the embedded default scenario."""

# PERIODS_PER_YEAR, SHARE_TOLERANCE and INTEGER_TOLERANCE are conventions: finmodel.conventions states them


# --- value formatting for messages ---------------------------------------------------------------


def found_text(value: Any) -> str:
    """How a found value is shown in a message: as the user wrote it, as far as YAML lets us know."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else f"{value[:40]!r}... ({len(value):,} characters)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} entries"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return type(value).__name__


def as_number(value: Any) -> float | None:
    """``value`` as a finite float if it is a real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def as_int(value: Any) -> int | None:
    """``value`` if it is an int (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def is_whole(x: float) -> bool:
    return abs(x - round(x)) <= INTEGER_TOLERANCE


# --- constrained value types ---------------------------------------------------------------------


def decimal_between(lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False, what: str = "a decimal"):
    """Type of a rate, share, fraction or indexation written as a decimal within [lo, hi].

    Values beyond +/-1 are reported as a percentage written where a decimal was meant.
    """
    lo_b, hi_b = ("(" if lo_open else "["), (")" if hi_open else "]")

    def check(x: float) -> float:
        if x > 1 or x < -1:
            raise PydanticCustomError(
                "decimal_rate", "expected a decimal such as 0.08, found {found}", {"found": found_text(x)}
            )
        if x < lo or x > hi or (lo_open and x == lo) or (hi_open and x == hi):
            raise PydanticCustomError(
                "decimal_range",
                "expected {what} in {interval}, found {found}",
                {"what": what, "interval": f"{lo_b}{lo:g}, {hi:g}{hi_b}", "found": found_text(x)},
            )
        return x

    bounds: dict[str, float] = {}
    bounds["exclusiveMinimum" if lo_open else "minimum"] = lo
    bounds["exclusiveMaximum" if hi_open else "maximum"] = hi
    return Annotated[float, AfterValidator(check), Field(json_schema_extra=bounds)]


def iso_date(value: Any) -> Any:
    """Accept an ISO date string as well as a YAML date."""
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "date_format", "expected a date such as 2027-01-01, found {found}", {"found": found_text(value)}
            ) from None
    return value


def not_bool(value: Any) -> Any:
    """A number field written as true/false (YAML booleans are ints to Python) is refused."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "expected a number, found {found}", {"found": found_text(value)})
    return value


def _scalar_to_list(value: Any) -> Any:
    """A base-rate curve may be one number: it becomes a one-element list (the value holds forever)."""
    if as_number(value) is not None:
        if abs(value) > 1:
            raise PydanticCustomError(
                "decimal_rate", "expected a decimal such as 0.08, found {found}", {"found": found_text(value)}
            )
        return [value]
    if isinstance(value, list):
        return value
    raise PydanticCustomError(
        "rate_curve",
        "expected a decimal or a list of decimals by year, found {found}",
        {"found": found_text(value)},
    )


# Rates that may be negative (indexation, growth, shifts, base rates, interest rates, margins).
SignedRate = decimal_between(-1.0, 1.0, what="a decimal")
# Fractions and shares that may be zero.
Fraction = decimal_between(0.0, 1.0, what="a fraction")
# Shares that must be positive.
PositiveShare = decimal_between(0.0, 1.0, lo_open=True, what="a share")
TaxRate = decimal_between(0.0, 1.0, hi_open=True, what="a tax rate")
Gearing = decimal_between(0.0, 1.0, lo_open=True, hi_open=True, what="a gearing")
MAX_AMOUNT = 1e14
"""Largest amount accepted [currency]: a USD 4 bn project in Vietnamese dong is ~1e14; beyond it a figure is a
typo (or 1e300), and sums of such amounts lose the cent the money checks reconcile to."""
MIN_AMOUNT = 1e-6
"""Smallest non-zero amount or price [currency]: a tariff per litre can be a thousandth of a currency unit, but
below a millionth a figure is a typo (1e-300), and products of such values underflow."""
MAX_FACTOR = 10.0
"""Largest driver factor [ratio]: ten times the base case is far past any stress test (a factor of 1e300 is a
typo); factors above 3 are accepted with a plausibility warning."""


def _amount_range(zero_ok: bool):
    what = "0 or an amount" if zero_ok else "an amount"

    def check(x: float) -> float:
        if (x != 0 or not zero_ok) and not MIN_AMOUNT <= x <= MAX_AMOUNT:
            raise PydanticCustomError(
                "amount_range",
                "expected {what} from {lo} to {hi}, found {found}",
                {"what": what, "lo": f"{MIN_AMOUNT:g}", "hi": f"{MAX_AMOUNT:g}", "found": found_text(x)},
            )
        return x

    return AfterValidator(check)


Money = Annotated[float, Field(ge=0), _amount_range(True)]
PositiveMoney = Annotated[float, Field(gt=0), _amount_range(False)]
Factor = Annotated[float, Field(gt=0, le=MAX_FACTOR)]
Name = Annotated[str, Field(min_length=1, max_length=readfile.MAX_NAME)]
"""A name or label (free text): no control characters (checked for every string of a file by
:func:`finmodel.readfile.check_text`), at most ``MAX_NAME`` characters."""
Text = Annotated[str, Field(max_length=readfile.MAX_TEXT)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 currency code (three capital letters)."""
"""Free text such as a description: no control characters, at most ``MAX_TEXT`` characters."""

FIRST_START_DATE = datetime.date(1990, 1, 1)
LAST_START_DATE = datetime.date(2100, 12, 31)
"""Financial close must fall in [FIRST_START_DATE, LAST_START_DATE]: the model's dates run up to ~100 years past
it and spreadsheet serial dates stop at 9999-12-31; a project closing before 1990 is a typo."""


def start_date_in_range(value: datetime.date) -> datetime.date:
    if not FIRST_START_DATE <= value <= LAST_START_DATE:
        raise PydanticCustomError(
            "date_range",
            "expected a date from {lo} to {hi}, found {found}",
            {"lo": FIRST_START_DATE.isoformat(), "hi": LAST_START_DATE.isoformat(), "found": value.isoformat()},
        )
    return value


BaseRateCurve = Annotated[
    list[SignedRate],
    BeforeValidator(_scalar_to_list),
    Field(min_length=1),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": -1, "maximum": 1},
                {"type": "array", "items": {"type": "number", "minimum": -1, "maximum": 1}, "minItems": 1},
            ],
            "description": "Annual base rate [per year, decimal]: one number, or a list by year from the "
            "start date whose last value holds after.",
        }
    ),
]
