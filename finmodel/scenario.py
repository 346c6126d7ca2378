"""Scenario files: schema, loading, validation and cases.

A scenario file is YAML; its format contract is the embedded default scenario
``finmodel/scenarios/default.yaml``. This module is the boundary where a file becomes a
:class:`Scenario`: an immutable, fully validated pydantic model that the rest of finmodel reads.
Nothing downstream re-checks inputs.

Conventions (stated once, in the README and here)
-------------------------------------------------
- Rates, shares, fractions and indexation are decimals: ``0.08``, never ``8``. Annual rates.
- Amounts are in ``project.currency``; ``fx_to_krw`` and ``fx_to_usd`` convert where currencies meet.
- ``grace_years`` counts years from financial close (= ``timeline.start_date``) with no principal
  repayment; ``maturity_years`` counts from financial close to the last repayment.
- ``base_rates`` curves are normalised to a list by year from the start date (a single number becomes
  a one-element list); the last value holds after the end of the list.

Bad input
---------
Every problem is collected (never stopping at the first) and raised as one
:class:`finmodel.errors.InputError` whose ``problems`` are ``(field_path, message)`` pairs such as
``("debt.facilities.1.rate.fixed", "expected a decimal such as 0.08, found 8")``. Structural and
per-field problems come from pydantic; rules that relate several fields live in :func:`check_rules`,
which reads the raw mapping defensively so that one bad field does not hide another rule's problem.

Provenance
----------
A loaded scenario carries where it came from as read-only properties backed by pydantic private
attributes: :attr:`Scenario.source` (the file path as given, or ``"<default>"``),
:attr:`Scenario.sha256` (of the file's bytes) and :attr:`Scenario.case` (the case applied, ``"base"``
for none). Private attributes survive ``model_copy`` and are not part of the schema or of
``model_dump``.

Examples
--------
>>> from finmodel.scenario import load_scenario
>>> s = load_scenario()
>>> s.project.country, s.timeline.periods_per_year, s.source
('MYS', 2, '<default>')
>>> s.case_names()
['base', 'downside', 'capex_overrun']
>>> load_scenario(case="downside").drivers.revenue_factor
0.85
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import math
import re
import types
import typing
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from finmodel import readfile
from finmodel.conventions import INTEGER_TOLERANCE, PERIODS_PER_YEAR, SHARE_TOLERANCE
from finmodel.errors import FinmodelError, InputError, ScenarioFileError
from finmodel.risk.schema import Risk

__all__ = [
    "AvailabilityRevenue",
    "Blending",
    "CapitalGrantRevenue",
    "Capex",
    "Case",
    "Debt",
    "Drivers",
    "Dsra",
    "Facility",
    "Lifecycle",
    "Opex",
    "Project",
    "Rate",
    "Revenue",
    "Scenario",
    "ShareholderLoan",
    "Sizing",
    "Sponsor",
    "Tax",
    "Timeline",
    "UserFeeRevenue",
    "apply_case",
    "case_scenario",
    "check_rules",
    "default_scenario_bytes",
    "load_raw",
    "load_scenario",
    "scenario_from_dict",
    "validate_file",
    "new_scenario_file",
    "template_names",
    "BASE_CASE",
    "DEFAULT_SOURCE",
    "PERIODS_PER_YEAR",
    "SHARE_TOLERANCE",
]

BASE_CASE = "base"
"""Name of the case with no changes; always available, reserved."""

DEFAULT_SOURCE = "<default>"
"""``Scenario.source`` of the embedded default scenario."""

# PERIODS_PER_YEAR, SHARE_TOLERANCE and INTEGER_TOLERANCE are conventions: finmodel.conventions states them


# --- value formatting for messages ---------------------------------------------------------------


def _found(value: Any) -> str:
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


def _num(value: Any) -> float | None:
    """``value`` as a finite float if it is a real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _int(value: Any) -> int | None:
    """``value`` if it is an int (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _is_integer(x: float) -> bool:
    return abs(x - round(x)) <= INTEGER_TOLERANCE


# --- constrained value types ---------------------------------------------------------------------


def _decimal(lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False, what: str = "a decimal"):
    """Type of a rate, share, fraction or indexation written as a decimal within [lo, hi].

    Values beyond +/-1 are reported as a percentage written where a decimal was meant.
    """
    lo_b, hi_b = ("(" if lo_open else "["), (")" if hi_open else "]")

    def check(x: float) -> float:
        if x > 1 or x < -1:
            raise PydanticCustomError(
                "decimal_rate", "expected a decimal such as 0.08, found {found}", {"found": _found(x)}
            )
        if x < lo or x > hi or (lo_open and x == lo) or (hi_open and x == hi):
            raise PydanticCustomError(
                "decimal_range",
                "expected {what} in {interval}, found {found}",
                {"what": what, "interval": f"{lo_b}{lo:g}, {hi:g}{hi_b}", "found": _found(x)},
            )
        return x

    bounds: dict[str, float] = {}
    bounds["exclusiveMinimum" if lo_open else "minimum"] = lo
    bounds["exclusiveMaximum" if hi_open else "maximum"] = hi
    return Annotated[float, AfterValidator(check), Field(json_schema_extra=bounds)]


def _iso_date(value: Any) -> Any:
    """Accept an ISO date string as well as a YAML date."""
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "date_format", "expected a date such as 2027-01-01, found {found}", {"found": _found(value)}
            ) from None
    return value


def _not_bool(value: Any) -> Any:
    """A number field written as true/false (YAML booleans are ints to Python) is refused."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "expected a number, found {found}", {"found": _found(value)})
    return value


def _scalar_to_list(value: Any) -> Any:
    """A base-rate curve may be one number: it becomes a one-element list (the value holds forever)."""
    if _num(value) is not None:
        if abs(value) > 1:
            raise PydanticCustomError(
                "decimal_rate", "expected a decimal such as 0.08, found {found}", {"found": _found(value)}
            )
        return [value]
    if isinstance(value, list):
        return value
    raise PydanticCustomError(
        "rate_curve",
        "expected a decimal or a list of decimals by year, found {found}",
        {"found": _found(value)},
    )


# Rates that may be negative (indexation, growth, shifts, base rates, interest rates, margins).
SignedRate = _decimal(-1.0, 1.0, what="a decimal")
# Fractions and shares that may be zero.
Fraction = _decimal(0.0, 1.0, what="a fraction")
# Shares that must be positive.
PositiveShare = _decimal(0.0, 1.0, lo_open=True, what="a share")
TaxRate = _decimal(0.0, 1.0, hi_open=True, what="a tax rate")
Gearing = _decimal(0.0, 1.0, lo_open=True, hi_open=True, what="a gearing")
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
                {"what": what, "lo": f"{MIN_AMOUNT:g}", "hi": f"{MAX_AMOUNT:g}", "found": _found(x)},
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
"""Free text such as a description: no control characters, at most ``MAX_TEXT`` characters."""

FIRST_START_DATE = datetime.date(1990, 1, 1)
LAST_START_DATE = datetime.date(2100, 12, 31)
"""Financial close must fall in [FIRST_START_DATE, LAST_START_DATE]: the model's dates run up to ~100 years past
it and spreadsheet serial dates stop at 9999-12-31; a project closing before 1990 is a typo."""


def _start_date_range(value: datetime.date) -> datetime.date:
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


class _Block(BaseModel):
    """Base of every scenario block: unknown keys are errors, values are immutable and strictly typed."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


# --- blocks --------------------------------------------------------------------------------------


class Project(_Block):
    """Who, where and in which currency."""

    name: Name = Field(description="Project name (free text).")
    country: str = Field(
        pattern=r"^[A-Z]{3}$",
        description="Host country, ISO 3166-1 alpha-3 code known to finmodel/data/countries.yaml (e.g. MYS).",
    )
    sector: Name = Field(description="Sector (free text), e.g. 'smart water and mobility'.")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="Model currency, ISO 4217 code (e.g. USD).")
    fx_to_krw: float = Field(gt=0, description="KRW per unit of currency [KRW/currency].")
    fx_to_usd: float = Field(
        gt=0, description="USD per unit of currency [USD/currency]: a non-USD scenario also reports total uses, "
        "debt, equity and the equity NPV in USD (metrics *_usd)."
    )
    borrower: Literal["spc", "sovereign", "local_corporation"] = Field(
        description="Borrower of the facilities: project company (spc), central government (sovereign), "
        "or local corporation."
    )
    commercially_viable: bool = Field(
        description="Whether the project is commercially viable (tied-aid and EDCF/EDPF eligibility rules)."
    )
    sme_participation: bool = Field(
        default=False, description="Korean SMEs participate (SME co-entry programme preferences)."
    )
    country_overrides: dict[str, Any] | None = Field(
        default=None,
        description="Replace values of the country table for this scenario: name, income_group "
        "(LIC|LMIC|UMIC|HIC), oecd_risk_category (0-7 or null), ldc (true/false). A country missing from "
        "the table can be used when all four are given.",
    )


class Timeline(_Block):
    """Financial close, phases and model periodicity."""

    start_date: Annotated[datetime.date, BeforeValidator(_iso_date), AfterValidator(_start_date_range)] = Field(
        description="Financial close = start of construction [date, YYYY-MM-DD]."
    )
    construction_years: int = Field(gt=0, description="Construction phase [years].")
    operation_years: int = Field(gt=0, description="Operation phase [years].")
    periods_per_year: Annotated[Literal[1, 2, 4, 12], BeforeValidator(_not_bool)] = Field(
        description="Model periods per year [1/year]: 1, 2, 4 or 12."
    )


class Capex(_Block):
    """Construction cost."""

    amount: PositiveMoney = Field(description="Base construction cost at start-date prices [currency].")
    phasing: list[Fraction] = Field(
        min_length=1,
        description="Share of amount spent in each construction year [fraction]; one entry per construction "
        "year; sums to 1.",
    )
    contingency: Fraction = Field(default=0.0, description="Contingency [fraction of amount].")


class AvailabilityRevenue(_Block):
    """Availability payment: an amount per year from the start of operations."""

    name: Name = Field(description="Revenue name.")
    kind: Literal["availability"] = Field(description="Revenue kind.")
    amount: Money = Field(description="Payment at start-date prices [currency/year].")
    indexation: SignedRate = Field(default=0.0, description="Annual indexation [per year, decimal].")


class UserFeeRevenue(_Block):
    """User fees: volume x tariff."""

    name: Name = Field(description="Revenue name.")
    kind: Literal["user_fee"] = Field(description="Revenue kind.")
    volume: Money = Field(description="Volume in the first operating year [units/year].")
    volume_growth: SignedRate = Field(default=0.0, description="Annual volume growth [per year, decimal].")
    tariff: Money = Field(description="Tariff at start-date prices [currency/unit].")
    indexation: SignedRate = Field(default=0.0, description="Annual tariff indexation [per year, decimal].")


class CapitalGrantRevenue(_Block):
    """Capital (viability-gap) grant paid during construction: a source of funds."""

    name: Name = Field(description="Grant name.")
    kind: Literal["capital_grant"] = Field(description="Revenue kind.")
    amount: Money = Field(description="Grant amount, nominal [currency].")
    phasing: list[Fraction] = Field(
        min_length=1,
        description="Share of amount paid in each construction year [fraction]; one entry per construction "
        "year; sums to 1.",
    )
    provider: Literal["koica", "host_government", "mdb", "other"] = Field(
        default="host_government",
        description="Who pays the grant: koica (Korean grant aid, concessional), host_government, mdb "
        "(concessional), other (for the blended-finance metrics of finmodel.blending).",
    )


Revenue = Annotated[
    Union[AvailabilityRevenue, UserFeeRevenue, CapitalGrantRevenue],  # noqa: UP007 (discriminated union)
    Field(discriminator="kind"),
]
"""A revenue line; the class depends on ``kind`` (``availability``, ``user_fee``, ``capital_grant``)."""

REVENUE_KINDS = ("availability", "user_fee", "capital_grant")


class Opex(_Block):
    """Operating cost line."""

    name: Name = Field(description="Cost name.")
    amount: Money = Field(description="Cost at start-date prices [currency/year].")
    indexation: SignedRate = Field(default=0.0, description="Annual indexation [per year, decimal].")


class Lifecycle(_Block):
    """Periodic major maintenance / replacement."""

    name: Name = Field(description="Cost name.")
    amount: Money = Field(description="Cost per occurrence at start-date prices [currency].")
    every_years: int = Field(
        gt=0, description="Interval [years]: incurred in operating years every_years, 2*every_years, ..."
    )
    indexation: SignedRate = Field(default=0.0, description="Annual indexation [per year, decimal].")


class Tax(_Block):
    """Corporate income tax."""

    rate: TaxRate = Field(description="Corporate income tax rate [fraction], in [0, 1).")
    depreciation_years: int = Field(
        gt=0, description="Straight-line depreciation from the start of operations [years]."
    )
    loss_carry_forward: bool = Field(default=True, description="Tax losses carried forward.")
    holiday_years: int = Field(default=0, ge=0, description="Tax holiday from the start of operations [years].")


class Sponsor(_Block):
    """An equity investor in the project company."""

    name: Name = Field(description="Sponsor name.")
    kind: Literal["sponsor", "fund", "public"] = Field(
        description="sponsor (private/corporate), fund (e.g. PIS sub-fund) or public."
    )
    share: PositiveShare = Field(description="Share of equity [fraction]; sponsors' shares sum to 1.")


class ShareholderLoan(_Block):
    """Part of sponsor funding provided as a shareholder loan."""

    share: Fraction = Field(description="Fraction of sponsor funding lent as a shareholder loan [fraction].")
    rate: SignedRate = Field(description="Shareholder loan interest rate [per year, decimal].")


class Rate(_Block):
    """A facility's interest rate: either ``{fixed: r}`` or ``{base: name, margin: m}``.

    Exactly one form: ``fixed`` alone, or ``base`` (a key of ``base_rates``) with ``margin``.
    """

    fixed: SignedRate | None = Field(default=None, description="Fixed rate [per year, decimal].")
    base: str | None = Field(default=None, description="Name of a base-rate curve in base_rates.")
    margin: SignedRate | None = Field(default=None, description="Margin over the base rate [per year, decimal].")

    @property
    def is_fixed(self) -> bool:
        """True for ``{fixed: r}``."""
        return self.fixed is not None


FACILITY_KINDS = ("edcf", "edpf", "eca", "commercial", "mdb", "dfi", "other")


class Facility(_Block):
    """A debt facility.

    The amount is either fixed (``amount``) or a ``share`` of the debt sized by ``debt.sizing``
    after the fixed amounts; exactly one of the two.
    """

    name: Name = Field(description="Facility name, unique among facilities.")
    kind: Literal["edcf", "edpf", "eca", "commercial", "mdb", "dfi", "other"] = Field(
        description="Lender type: edcf (concessional ODA loan), edpf, eca (export credit), commercial, mdb, dfi, other."
    )
    amount: PositiveMoney | None = Field(default=None, description="Fixed facility amount [currency].")
    share: PositiveShare | None = Field(
        default=None, description="Share of the sized debt after the fixed amounts [fraction], in (0, 1]."
    )
    rate: Rate = Field(description="Interest rate: {fixed: r} or {base: name, margin: m}.")
    upfront_fee: Fraction = Field(default=0.0, description="Upfront fee [fraction of amount].")
    commitment_fee: Fraction = Field(default=0.0, description="Commitment fee on undrawn amounts [per year].")
    grace_years: float = Field(
        ge=0,
        description="Years from financial close with no principal repayment [years]; >= construction_years, "
        "< maturity_years.",
    )
    maturity_years: float = Field(
        gt=0, description="Years from financial close to the last repayment [years]; <= project life."
    )
    repayment: Literal["equal", "annuity", "sculpted", "custom"] = Field(
        description="Principal profile: equal principal, annuity, sculpted to target_dscr, or custom profile."
    )
    profile: list[Fraction] | None = Field(
        default=None,
        description="For repayment: custom, share of principal repaid in each repayment year [fraction]; "
        "one entry per year from grace_years to maturity_years; sums to 1.",
    )
    seniority: Literal["senior", "subordinated"] = Field(default="senior", description="Ranking in the waterfall.")
    cash_sweep: bool = Field(default=False, description="Prepaid by the cash sweep.")
    sme_margin_preference: float | None = Field(
        default=None,
        ge=-0.010,
        le=0.0,
        description="KEXIM SME co-entry preference added to the rate when project.sme_participation is true "
        "[per year, decimal, negative: -0.003 = 0.3 %p off, down to -0.010]; default for KEXIM-lent facilities "
        "(kinds eca, edpf): the programme's -0.003 (finmodel/data/instruments.yaml, sme_co_entry).",
    )


class Sizing(_Block):
    """Debt sizing for ``share`` and sculpted facilities."""

    max_gearing: Gearing = Field(
        description="Maximum debt (all facilities) / uses after capital grants [fraction], in (0, 1)."
    )
    target_dscr: float = Field(ge=1.0, description="Target DSCR for sculpting and the sizing test [ratio], >= 1.")


class Debt(_Block):
    """The debt stack."""

    drawdown: Literal["pro_rata", "equity_first"] = Field(
        default="pro_rata", description="Debt drawn pro rata with equity, or after equity."
    )
    sizing: Sizing | None = Field(default=None, description="Required when a facility has a share or is sculpted.")
    facilities: list[Facility] = Field(default_factory=list, description="Facilities; names unique.")


class Dsra(_Block):
    """Debt service reserve account."""

    months: int = Field(
        ge=0,
        description="Next months of scheduled senior debt service held [months]; 0 = no DSRA; "
        "months * periods_per_year / 12 must be an integer.",
    )


class Drivers(_Block):
    """Case and sensitivity multipliers; 1 (factors) and 0 (shift) leave inputs as entered."""

    revenue_factor: Factor = Field(default=1.0, description="Multiplier on every revenue [ratio].")
    capex_factor: Factor = Field(default=1.0, description="Multiplier on capex [ratio].")
    opex_factor: Factor = Field(default=1.0, description="Multiplier on opex and lifecycle [ratio].")
    rate_shift: SignedRate = Field(default=0.0, description="Added to every base rate [per year, decimal].")


class Blending(_Block):
    """How the Blending sheet measures concessionality (grant element, ODA and tied-aid tests)."""

    method: Literal["dac2018", "imf", "ddr", "rate"] = Field(
        default="dac2018",
        description="Grant-element discount rate: dac2018 (DAC ODA test rate of the country's income group; "
        "IMF 5 % for high-income countries), imf (5 %), ddr (OECD differentiated rate from cirr), rate "
        "(discount_rate).",
    )
    discount_rate: _decimal(0.0, 1.0, lo_open=True, what="a discount rate") | None = Field(
        default=None, description="Annual discount rate for method rate [per year, decimal]."
    )
    cirr: _decimal(0.0, 1.0, lo_open=True, what="a CIRR") | None = Field(
        default=None,
        description="Commercial Interest Reference Rate of the currency [per year, decimal], for the DDR and "
        "the Helsinki tied-aid tests.",
    )

    @model_validator(mode="after")
    def _method_inputs(self) -> Blending:
        if self.method == "rate" and self.discount_rate is None:
            raise ValueError("expected blending.discount_rate with method rate, found nothing")
        if self.method != "rate" and self.discount_rate is not None:
            raise ValueError(
                f"expected no blending.discount_rate with method {self.method} (use method: rate), "
                f"found {self.discount_rate:g}"
            )
        if self.method == "ddr" and self.cirr is None:
            raise ValueError("expected blending.cirr with method ddr, found nothing")
        return self


# --- guarantees, insurance and cover (finmodel.guarantees) -----------------------------------------

GUARANTEE_KINDS = (
    "eca_cover",
    "partial_risk_guarantee",
    "performance_bond",
    "availability_guarantee",
    "political_risk_insurance",
)
"""Kinds of the ``guarantees:`` list (see :mod:`finmodel.guarantees`)."""

ModelYear = Annotated[int, Field(ge=1)]


class _LoanCover(_Block):
    """Terms shared by covers of a debt facility: what is paid on default, recoveries, subrogation."""

    name: Name = Field(description="Cover name, unique among guarantees.")
    facility: Name = Field(description="Name of the covered senior facility in debt.facilities.")
    payout: Literal["instalments", "accelerated"] = Field(
        default="instalments",
        description="On default the guarantor pays its share of the unpaid part of each contractual instalment "
        "as it falls due (instalments), or of the whole balance at acceleration, once (accelerated).",
    )
    recovery_rate: Fraction = Field(
        description="Share of what the project never pays by the end of the model that the creditors recover "
        "(enforcement, workout) [fraction]; never applied to payments the project makes."
    )
    recovery_lag_years: float = Field(
        ge=0, description="Years from the end of the model to the workout recovery, for its present value "
        "[years]; a whole number of periods."
    )
    subrogation: Literal["pro_rata"] = Field(
        default="pro_rata",
        description="Project payments after a claim go to the guarantor pro rata to its cover share until it "
        "has recovered its claims, the rest to the lenders.",
    )
    political_event_years: list[ModelYear] = Field(
        default_factory=list,
        description="Model years (1 = first year from financial close) with an expropriation or transfer "
        "restriction; the events of all guarantees form one input per period, in_political_event.",
    )


class EcaCover(_LoanCover):
    """Export-credit loan cover (K-SURE buyer-credit insurance, KEXIM guarantee, another ECA)."""

    kind: Literal["eca_cover"] = Field(description="Guarantee kind.")
    insurer: Literal["ksure", "kexim", "other"] = Field(default="ksure", description="Who provides the cover.")
    special_account: bool = Field(
        default=False,
        description="Written on the K-SURE (or KEXIM) special account for ultra-high-risk countries "
        "(OECD category 7), which the ordinary account refuses.",
    )
    commercial_share: Fraction = Field(description="Share of the loan covered against commercial risk [fraction].")
    political_share: Fraction = Field(description="Share of the loan covered against political risk [fraction].")
    premium_rate: Fraction = Field(
        description="Premium [fraction of the covered principal] if upfront, [per year on the covered balance] "
        "if running."
    )
    premium_basis: Literal["upfront", "running"] = Field(description="Premium paid upfront or running.")
    premium_financed: bool = Field(
        default=True,
        description="Upfront premium financed (a use of funds at financial close) or paid by the sponsors.",
    )
    uncovered_margin: SignedRate | None = Field(
        default=None,
        description="Margin an uncovered tranche would pay over the same base rate [per year, decimal]: "
        "the margin difference is reported.",
    )


class PartialRiskGuarantee(_LoanCover):
    """KEXIM or MDB partial (risk) guarantee of a facility."""

    kind: Literal["partial_risk_guarantee"] = Field(description="Guarantee kind.")
    guarantor: Literal["kexim", "mdb", "other"] = Field(description="Who guarantees.")
    share: PositiveShare = Field(description="Share of the facility guaranteed [fraction].")
    risks: Literal["all", "political"] = Field(
        default="all", description="Risks covered: all (payment default) or political only."
    )
    fee: Fraction = Field(description="Guarantee fee [per year on the guaranteed balance].")
    upfront_fee: Fraction = Field(default=0.0, description="Upfront fee [fraction of the guaranteed principal].")


class PerformanceBond(_Block):
    """Performance guarantee / bond on the construction contract, paid for by the contractor."""

    name: Name = Field(description="Cover name, unique among guarantees.")
    kind: Literal["performance_bond"] = Field(description="Guarantee kind.")
    issuer: Literal["kexim", "ksure", "bank", "other"] = Field(default="kexim", description="Who issues the bond.")
    contract_share: PositiveShare = Field(description="Bond amount [fraction of the construction contract].")
    fee: Fraction = Field(description="Bond fee [per year on the bond amount], before any SME preference.")
    sme_contract: bool = Field(
        default=False,
        description="SME-only contract: the KEXIM SME co-entry fee preference (finmodel/data/instruments.yaml "
        "sme_co_entry) applies.",
    )
    called_in_year: ModelYear | None = Field(
        default=None, description="Model year in which the bond is called (contractor default); none = never."
    )


class AvailabilityGuarantee(_Block):
    """Host-government guarantee of availability payments."""

    name: Name = Field(description="Cover name, unique among guarantees.")
    kind: Literal["availability_guarantee"] = Field(description="Guarantee kind.")
    guarantor: Name = Field(default="host government", description="Who guarantees (free text).")
    revenue: Name = Field(description="Name of the availability revenue line guaranteed.")
    share: PositiveShare = Field(description="Share of the payment guaranteed [fraction].")
    fee: Fraction = Field(default=0.0, description="Guarantee fee [fraction of the guaranteed payments].")
    payer_default_years: list[ModelYear] = Field(
        default_factory=list, description="Model years in which the payer does not pay; none = never."
    )


class PoliticalRiskInsurance(_Block):
    """Political risk (overseas investment) insurance of the sponsors' investment."""

    name: Name = Field(description="Cover name, unique among guarantees.")
    kind: Literal["political_risk_insurance"] = Field(description="Guarantee kind.")
    insurer: Literal["ksure", "miga", "other"] = Field(default="ksure", description="Who insures.")
    share: PositiveShare = Field(description="Share of the invested sponsor funding insured [fraction].")
    premium_rate: Fraction = Field(description="Premium [per year on the insured investment].")
    political_event_years: list[ModelYear] = Field(
        default_factory=list,
        description="Model years with an expropriation or transfer restriction (see eca_cover).",
    )


Guarantee = Annotated[
    Union[  # noqa: UP007 (discriminated union)
        EcaCover, PartialRiskGuarantee, PerformanceBond, AvailabilityGuarantee, PoliticalRiskInsurance
    ],
    Field(discriminator="kind"),
]
"""A cover instrument; the class depends on ``kind`` (see :data:`GUARANTEE_KINDS`)."""


class Case(_Block):
    """A named set of changes to the scenario."""

    description: Text = Field(default="", description="What the case represents.")
    changes: dict[str, Any] = Field(
        default_factory=dict,
        description="Dotted field path -> new value, e.g. drivers.revenue_factor: 0.85 or "
        "debt.facilities.EDPF.amount (a list element by index or by its unique name).",
    )
    resize_debt: bool = Field(
        default=False,
        description="Re-size the debt in this case (default: financing as sized in the base case).",
    )


class Scenario(_Block):
    """A complete scenario: the project, its financing, and named cases."""

    project: Project
    timeline: Timeline
    capex: Capex
    revenues: list[Revenue] = Field(default_factory=list, description="Revenue lines (by kind).")
    opex: list[Opex] = Field(default_factory=list, description="Operating cost lines.")
    lifecycle: list[Lifecycle] = Field(default_factory=list, description="Lifecycle cost lines.")
    tax: Tax
    sponsors: list[Sponsor] = Field(min_length=1, description="Equity investors; shares sum to 1.")
    shareholder_loan: ShareholderLoan | None = Field(default=None, description="None = no shareholder loan.")
    equity_discount_rate: SignedRate = Field(description="Sponsors' cost of equity for NPV [per year, decimal].")
    base_rates: dict[str, BaseRateCurve] = Field(
        default_factory=dict, description="Named base-rate curves [per year, decimal]."
    )
    debt: Debt
    dsra: Dsra
    lockup_dscr: float = Field(default=1.10, ge=1.0, description="Distribution lock-up DSCR [ratio], >= 1.")
    cash_sweep: Fraction = Field(
        default=0.0,
        description="Fraction of cash after lock-up applied to prepay sweep facilities [fraction].",
    )
    drivers: Drivers = Field(default_factory=Drivers, description="Case and sensitivity multipliers.")
    risk: Risk | None = Field(
        default=None,
        description="Uncertain drivers for finmodel simulate: distributions, processes, correlation "
        "(finmodel.risk.schema).",
    )
    blending: Blending = Field(
        default_factory=Blending, description="Grant-element method and CIRR for the blended-finance metrics."
    )
    guarantees: list[Guarantee] = Field(
        default_factory=list,
        description="Cover instruments: ECA cover, partial risk guarantees, performance bonds, availability "
        "guarantees, political risk insurance (finmodel.guarantees).",
    )
    cases: dict[str, Case] = Field(default_factory=dict, description="Named cases; 'base' is reserved.")

    _source: str = PrivateAttr(default="")
    _sha256: str | None = PrivateAttr(default=None)
    _case: str = PrivateAttr(default=BASE_CASE)
    _raw: dict | None = PrivateAttr(default=None)  # the mapping validated, for cases (see case_scenario)

    @model_validator(mode="after")
    def _cross_field_rules(self, info: ValidationInfo) -> Scenario:
        # scenario_from_dict runs check_rules itself on the raw mapping (so that rules are checked even
        # where other fields fail) and tells us not to repeat it.
        if info.context and info.context.get("rules_checked"):
            return self
        problems = check_rules(self.model_dump(mode="python"))
        if problems:
            raise ValueError("; ".join(f"{p}: {m}" if p else m for p, m in problems))
        return self

    @property
    def source(self) -> str:
        """The scenario file as given to :func:`load_scenario`, or ``"<default>"``."""
        return self._source

    @property
    def sha256(self) -> str | None:
        """SHA-256 of the scenario file's bytes (hex), None if built from a mapping."""
        return self._sha256

    @property
    def case(self) -> str:
        """The case applied (``"base"`` for none)."""
        return self._case

    @property
    def raw(self) -> dict | None:
        """A copy of the mapping this scenario was validated from (what its cases apply to), None if built
        otherwise. It comes from the same bytes as :attr:`sha256`."""
        return copy.deepcopy(self._raw) if self._raw is not None else None

    def case_names(self) -> list[str]:
        """``"base"`` followed by the scenario's cases in file order."""
        return [BASE_CASE, *self.cases]

    def facility(self, name: str) -> Facility:
        """The facility called ``name``."""
        for fac in self.debt.facilities:
            if fac.name == name:
                return fac
        raise KeyError(name)


# --- cross-field rules ---------------------------------------------------------------------------


def _get(obj: Any, *keys: Any) -> Any:
    """Navigate a raw mapping; None where a key is absent or a level has the wrong type."""
    for key in keys:
        if isinstance(key, int) and isinstance(obj, list) and 0 <= key < len(obj):
            obj = obj[key]
        elif isinstance(key, str) and isinstance(obj, Mapping):
            obj = obj.get(key)
        else:
            return None
    return obj


def _items(obj: Any) -> list[tuple[int, Mapping]]:
    """(index, element) for the mapping elements of a raw list."""
    if not isinstance(obj, list):
        return []
    return [(i, x) for i, x in enumerate(obj) if isinstance(x, Mapping)]


def _check_sum(problems: list, path: str, values: Any, what: str) -> None:
    if not isinstance(values, list) or not values:
        return
    nums = [_num(v) for v in values]
    if any(v is None for v in nums):
        return
    total = math.fsum(nums)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        problems.append((path, f"expected {what} summing to 1, found a sum of {total:.10g}"))


def _check_phasing_length(problems: list, path: str, phasing: Any, construction_years: int | None) -> None:
    if construction_years is None or construction_years <= 0 or not isinstance(phasing, list):
        return
    if len(phasing) != construction_years:
        problems.append(
            (
                path,
                f"expected {construction_years} entries (one per construction year, "
                f"timeline.construction_years = {construction_years}), found {len(phasing)}",
            )
        )


def _country_problems(code: Any, overrides: Any) -> list[tuple[str, str]]:
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{3}", code):
        return []  # pattern problems are reported by the schema
    from finmodel.countries import get_country

    overrides = overrides if isinstance(overrides, Mapping) and overrides else None
    try:
        country = get_country(code, dict(overrides) if overrides else None)
    except InputError as exc:
        return [
            (f"project.country_overrides.{p.split('.', 1)[-1]}" if p else "project.country_overrides", m)
            for p, m in exc.problems
        ]
    if country is None:
        return [
            (
                "project.country",
                "expected an ISO 3166-1 alpha-3 code of a country in finmodel/data/countries.yaml "
                "(e.g. MYS), "
                f"or project.country_overrides with name, income_group, oecd_risk_category and ldc, "
                f"found {_found(code)}",
            )
        ]
    return []


def _eligibility_problems(raw: Mapping, construction: int | None, ppy: int | None) -> list[tuple[str, str]]:
    """Instrument eligibility errors (EDCF, EDPF, tied aid) from ``finmodel.blending.eligibility``.

    Run only when the country and the facility terms are well formed; warnings are not input errors.
    """
    code = _get(raw, "project", "country")
    facilities = [(i, f) for i, f in _items(_get(raw, "debt", "facilities")) if f.get("kind") in ("edcf", "edpf")]
    if (
        not facilities
        or not isinstance(code, str)
        or _country_problems(code, _get(raw, "project", "country_overrides"))
    ):
        return []
    from finmodel.blending.eligibility import facility_findings
    from finmodel.countries import get_country

    overrides = _get(raw, "project", "country_overrides")
    try:
        country = get_country(code, dict(overrides) if isinstance(overrides, Mapping) and overrides else None)
    except InputError:
        return []  # reported by _country_problems
    if country is None:
        return []  # reported by the schema or _country_problems
    viable = _get(raw, "project", "commercially_viable")
    borrower = _get(raw, "project", "borrower")
    problems: list[tuple[str, str]] = []
    cirr = _num(_get(raw, "blending", "cirr"))
    for i, fac in facilities:
        rate = fac.get("rate")
        fixed = _num(rate.get("fixed")) if isinstance(rate, Mapping) else None
        grace, maturity = _num(fac.get("grace_years")), _num(fac.get("maturity_years"))
        if grace is None or maturity is None or not 0 <= grace < maturity or ppy is None:
            continue  # malformed terms are reported by the schema and the rules above
        if fixed is not None and abs(fixed) > 1:
            fixed = None
        try:
            findings = facility_findings(
                country,
                kind=fac["kind"],
                annual_rate=fixed,
                maturity_years=maturity,
                grace_years=grace,
                repayment=fac.get("repayment") if fac.get("repayment") in ("equal", "annuity") else "sculpted",
                periods_per_year=ppy,
                commercially_viable=viable if isinstance(viable, bool) else False,
                borrower=borrower if isinstance(borrower, str) else "spc",
                field_path=f"debt.facilities.{i}",
                cirr=cirr if cirr is not None and 0 < cirr < 1 else None,  # bad values: the schema says
            )
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        for finding in findings:
            if finding.severity == "error":
                message = finding.message
                if not message.startswith("expected"):
                    message = f"expected an eligible structure ({finding.rule}): {message}"
                path = finding.field_path
                if path == "project.country":
                    path = f"debt.facilities.{i}.kind"  # the facility is what is not allowed here
                problems.append((path, message))
    return problems


def check_rules(raw: Mapping) -> list[tuple[str, str]]:
    """Problems with rules that relate several fields, read from a raw scenario mapping.

    Reads defensively: a rule whose inputs are missing or mistyped is skipped (the schema reports
    those), so every other rule is still checked.

    Parameters
    ----------
    raw : Mapping
        A scenario as read from YAML (or ``Scenario.model_dump()``).

    Returns
    -------
    list of (field_path, message)
        Empty when every rule holds.
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(raw, Mapping):
        return problems

    # timeline
    construction = _int(_get(raw, "timeline", "construction_years"))
    operation = _int(_get(raw, "timeline", "operation_years"))
    if construction is not None and construction <= 0:
        construction = None
    if operation is not None and operation <= 0:
        operation = None
    ppy = _get(raw, "timeline", "periods_per_year")
    ppy = ppy if _int(ppy) in PERIODS_PER_YEAR else None

    # country
    problems.extend(_country_problems(_get(raw, "project", "country"), _get(raw, "project", "country_overrides")))

    # capex and capital grants
    phasing = _get(raw, "capex", "phasing")
    _check_phasing_length(problems, "capex.phasing", phasing, construction)
    _check_sum(problems, "capex.phasing", phasing, "construction-year shares")
    for i, rev in _items(raw.get("revenues")):
        if rev.get("kind") == "capital_grant":
            path = f"revenues.{i}.phasing"
            _check_phasing_length(problems, path, rev.get("phasing"), construction)
            _check_sum(problems, path, rev.get("phasing"), "construction-year shares")

    # sponsors
    sponsors = _items(raw.get("sponsors"))
    if sponsors:
        _check_sum(problems, "sponsors", [s.get("share") for _, s in sponsors], "sponsors' shares")

    # facilities
    base_rates = raw.get("base_rates")
    base_names = [str(k) for k in base_rates] if isinstance(base_rates, Mapping) else []
    facilities = _items(_get(raw, "debt", "facilities"))
    seen: dict[str, int] = {}
    shared: list[tuple[int, Any]] = []
    needs_sizing: list[str] = []
    for i, fac in facilities:
        path = f"debt.facilities.{i}"
        name = fac.get("name")
        if isinstance(name, str):
            if name in seen:
                problems.append(
                    (
                        f"{path}.name",
                        f"expected a name unique among facilities, found {_found(name)} again "
                        f"(also debt.facilities.{seen[name]})",
                    )
                )
            else:
                seen[name] = i
        label = repr(name) if isinstance(name, str) else f"debt.facilities.{i}"

        amount, share = fac.get("amount"), fac.get("share")
        if amount is None and share is None:
            problems.append(
                (path, "expected exactly one of amount (fixed) or share (of the sized debt), found neither")
            )
        elif amount is not None and share is not None:
            problems.append((path, "expected exactly one of amount (fixed) or share (of the sized debt), found both"))
        elif share is not None:
            shared.append((i, share))
            needs_sizing.append(f"facility {label} has a share")
        if fac.get("repayment") == "sculpted":
            needs_sizing.append(f"facility {label} is sculpted")

        rate = fac.get("rate")
        if isinstance(rate, Mapping):
            fixed, base, margin = rate.get("fixed"), rate.get("base"), rate.get("margin")
            if fixed is not None and (base is not None or margin is not None):
                problems.append(
                    (
                        f"{path}.rate",
                        "expected either {fixed: r} or {base: name, margin: m}, found both forms",
                    )
                )
            elif fixed is None and base is None:
                problems.append(
                    (f"{path}.rate", "expected either {fixed: r} or {base: name, margin: m}, found neither")
                )
            elif base is not None:
                if margin is None:
                    problems.append((f"{path}.rate.margin", "expected a margin with base, found nothing"))
                if isinstance(base, str) and base not in base_names:
                    known = ", ".join(base_names) if base_names else "none defined"
                    problems.append(
                        (f"{path}.rate.base", f"expected a key of base_rates ({known}), found {_found(base)}")
                    )

        grace, maturity = _num(fac.get("grace_years")), _num(fac.get("maturity_years"))
        if grace is not None and grace >= 0:
            if construction is not None and grace < construction:
                problems.append(
                    (
                        f"{path}.grace_years",
                        f"expected at least timeline.construction_years ({construction}) so that no "
                        "principal "
                        f"is repaid during construction, found {_found(grace)}",
                    )
                )
            if maturity is not None and maturity > 0 and grace >= maturity:
                problems.append(
                    (
                        f"{path}.grace_years",
                        f"expected less than maturity_years ({_found(maturity)}), found {_found(grace)}",
                    )
                )
            if ppy is not None and not _is_integer(grace * ppy):
                problems.append(
                    (
                        f"{path}.grace_years",
                        f"expected a whole number of periods ({ppy} per year), found {_found(grace)} years "
                        f"= {grace * ppy:g} periods",
                    )
                )
        if maturity is not None and maturity > 0:
            if ppy is not None and not _is_integer(maturity * ppy):
                problems.append(
                    (
                        f"{path}.maturity_years",
                        f"expected a whole number of periods ({ppy} per year), "
                        f"found {_found(maturity)} years "
                        f"= {maturity * ppy:g} periods",
                    )
                )
            if construction is not None and operation is not None and maturity > construction + operation:
                problems.append(
                    (
                        f"{path}.maturity_years",
                        f"expected at most construction_years + operation_years "
                        f"({construction + operation}), "
                        f"found {_found(maturity)}",
                    )
                )

        profile = fac.get("profile")
        if fac.get("repayment") == "custom":
            if profile is None:
                problems.append(
                    (
                        f"{path}.profile",
                        "expected a profile (shares by repayment year) for repayment: custom, found nothing",
                    )
                )
            else:
                _check_sum(problems, f"{path}.profile", profile, "repayment shares")
                if isinstance(profile, list) and grace is not None and maturity is not None:
                    years = maturity - grace
                    if years > 0 and _is_integer(years) and len(profile) != round(years):
                        problems.append(
                            (
                                f"{path}.profile",
                                f"expected {round(years)} entries (one per repayment year, maturity_years - "
                                f"grace_years), found {len(profile)}",
                            )
                        )
        elif profile is not None and fac.get("repayment") in ("equal", "annuity", "sculpted"):
            problems.append(
                (
                    f"{path}.profile",
                    f"expected no profile unless repayment is custom, found a profile with "
                    f"repayment {_found(fac.get('repayment'))}",
                )
            )

    if len(shared) > 0:
        _check_sum(problems, "debt.facilities", [s for _, s in shared], "the shares of sized facilities")
    if needs_sizing and _get(raw, "debt", "sizing") is None:
        problems.append(
            (
                "debt.sizing",
                f"expected a sizing block (max_gearing, target_dscr) because {'; '.join(needs_sizing)}, found nothing",
            )
        )

    problems.extend(_eligibility_problems(raw, construction, ppy))
    if raw.get("guarantees") is not None:
        from finmodel.guarantees.rules import guarantee_problems

        problems.extend(guarantee_problems(raw))

    # DSRA
    months = _int(_get(raw, "dsra", "months"))
    if months is not None and months >= 0 and ppy is not None and (months * ppy) % 12:
        problems.append(
            (
                "dsra.months",
                f"expected a whole number of periods (months * {ppy} / 12 an integer), found {months} months "
                f"= {months * ppy / 12:g} periods",
            )
        )

    # cases
    cases = raw.get("cases")
    if isinstance(cases, Mapping) and BASE_CASE in cases:
        problems.append(
            (
                f"cases.{BASE_CASE}",
                "expected a case name other than 'base' (reserved: no changes), found 'base'",
            )
        )
    return problems


# --- pydantic errors -> (field path, message) ----------------------------------------------------

_EXPECTED_BY_TYPE = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "int_parsing_size": "a whole number of a sensible size",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping (key: value block)",
    "model_type": "a mapping (key: value block)",
    "model_attributes_type": "a mapping (key: value block)",
    "date_type": "a date such as 2027-01-01",
    "date_parsing": "a date such as 2027-01-01",
    "finite_number": "a finite number",
}


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional from a type annotation."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
            else:
                return tp
        else:
            return tp


def _resolve(loc: tuple) -> tuple[str, Any]:
    """Dotted field path for a pydantic error location, and the type found there.

    Discriminated-union tags, which pydantic inserts into locations (``revenues.0.user_fee.volume``),
    are dropped: the user never wrote them.
    """
    parts: list[str] = []
    tp: Any = Scenario
    for part in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            parts.append(str(part))
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            tp = field.annotation if field else None
        elif origin in (list, tuple):
            parts.append(str(part))
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            parts.append(str(part))
            tp = typing.get_args(tp)[1]
        elif origin in (Union, types.UnionType):
            members = [_unwrap(a) for a in typing.get_args(tp)]
            match = [
                m
                for m in members
                if isinstance(m, type)
                and issubclass(m, BaseModel)
                and "kind" in m.model_fields
                and part in typing.get_args(m.model_fields["kind"].annotation)
            ]
            if match:
                tp = match[0]  # a discriminator tag: not part of the user's path
            else:
                parts.append(str(part))
                tp = None
        else:
            parts.append(str(part))
            tp = None
    return ".".join(parts), _unwrap(tp)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _error_to_problem(err: Mapping) -> tuple[str, str]:
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    value = err.get("input")
    path, tp = _resolve(loc)

    if kind == "missing":
        return path, "expected a value for this required key, found nothing"
    if kind == "extra_forbidden":
        parent_path, parent = _resolve(loc[:-1])
        allowed = ", ".join(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else ""
        hint = f" (allowed here: {allowed})" if allowed else ""
        return path, f"expected no such key{hint}, found unknown key {_found(str(loc[-1]))}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = ", ".join(GUARANTEE_KINDS if path.startswith("guarantees") else REVENUE_KINDS)
        found = _found(ctx.get("tag")) if kind == "union_tag_invalid" else "nothing"
        return _join(path, "kind"), f"expected a kind, one of {tags}, found {found}"
    if kind in ("decimal_rate", "decimal_range", "date_format", "rate_curve") or str(err.get("msg", "")).startswith(
        "expected "
    ):
        return path, err["msg"]
    if kind == "string_too_long" and isinstance(value, str):
        return path, f"expected at most {ctx.get('max_length')} characters, found {len(value):,}"
    if kind == "literal_error":
        return path, f"expected one of {ctx.get('expected')}, found {_found(value)}"
    if kind == "string_pattern_mismatch":
        expected = "a three-letter upper-case code"
        if path.endswith("country"):
            expected = "an ISO 3166-1 alpha-3 country code such as MYS"
        elif path.endswith("currency"):
            expected = "an ISO 4217 currency code such as USD"
        return path, f"expected {expected}, found {_found(value)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()), "")
        return path, f"expected a value {op} {_found(bound)}, found {_found(value)}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return path, f"expected at least {n} {'entry' if n == 1 else 'entries'}, found {_found(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type") and tp is Rate:
        return path, f"expected a mapping {{fixed: r}} or {{base: name, margin: m}}, found {_found(value)}"
    if kind in _EXPECTED_BY_TYPE:
        return path, f"expected {_EXPECTED_BY_TYPE[kind]}, found {_found(value)}"
    if kind == "invalid_key":
        return path, f"expected a text key, found {_found(value)}"
    msg = str(err.get("msg", "invalid value"))
    if msg.startswith("Input should be "):
        return path, f"expected {msg[len('Input should be ') :]}, found {_found(value)}"
    if msg.startswith("Value error, "):
        return path, msg[len("Value error, ") :]
    return path, f"expected a valid value ({msg[:1].lower()}{msg[1:]}), found {_found(value)}"


def _dedupe(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(problems))


# --- loading -------------------------------------------------------------------------------------


_Loader = readfile.Loader  # the YAML rules shared by every input file (see finmodel.readfile)


def default_scenario_bytes() -> bytes:
    """The bytes of the embedded default scenario (``finmodel/scenarios/default.yaml``)."""
    return resources.files("finmodel.scenarios").joinpath("default.yaml").read_bytes()


def _read(path: str | Path | None) -> tuple[bytes, str]:
    if path is None:
        return default_scenario_bytes(), DEFAULT_SOURCE
    return readfile.read_bytes(path, "scenario file")


def _parse(data: bytes, source: str) -> dict:
    raw = readfile.parse_yaml(data, source)
    if raw is None:
        raise ScenarioFileError(
            [("", "expected a mapping of scenario blocks (project, timeline, ...), found an empty file")],
            source,
        )
    if not isinstance(raw, dict):
        raise ScenarioFileError(
            [("", f"expected a mapping of scenario blocks (project, timeline, ...), found {_found(raw)}")],
            source,
        )
    return raw


def load_raw(path: str | Path | None = None) -> dict:
    """Read a scenario file into a plain mapping, without validating it.

    Parameters
    ----------
    path : str or Path, optional
        Scenario file; None = the embedded default scenario.

    Raises
    ------
    ScenarioFileError
        The file is missing or unreadable, is not YAML (with the line), or is not a mapping.
    """
    data, source = _read(path)
    return _parse(data, source)


def scenario_from_dict(
    raw: Mapping,
    source: str = "",
    *,
    sha256: str | None = None,
    case: str = BASE_CASE,
) -> Scenario:
    """Validate a raw scenario mapping into a :class:`Scenario`; no case is applied.

    Parameters
    ----------
    raw : Mapping
        The scenario as read from YAML.
    source : str
        Where it came from, for messages and provenance.
    sha256, case : optional
        Provenance recorded on the result.

    Raises
    ------
    InputError
        With every problem found: schema problems and :func:`check_rules` problems.
    """
    if isinstance(raw, Mapping) and "projects" in raw and "project" not in raw:
        raise InputError(
            [
                (
                    "",
                    "expected a project scenario, found a fund portfolio file (it has 'projects'): "
                    "run it with `finmodel fund` or `finmodel compare`",
                )
            ],
            source=source,
        )
    readfile.check_text(raw, source or None)
    problems: list[tuple[str, str]] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(raw, context={"rules_checked": True})
    except ValidationError as exc:
        problems.extend(_error_to_problem(err) for err in exc.errors(include_url=False))
    problems.extend(check_rules(raw))
    if problems:
        raise InputError(_dedupe(problems), source=source or None)
    assert scenario is not None  # noqa: S101 (no problems means validation succeeded)
    scenario._source = source
    scenario._sha256 = sha256
    scenario._case = case
    scenario._raw = copy.deepcopy(dict(raw))
    return scenario


# --- cases ---------------------------------------------------------------------------------------


def _field_type(path_parts: list[str]) -> Any:
    """The type of a scenario field at a path of keys (list indices as strings), or None."""
    loc: list[Any] = []
    for p in path_parts:
        loc.append(int(p) if p.isdigit() else p)
    _, tp = _resolve(tuple(loc))
    return tp


def _known_keys(path_parts: list[str]) -> list[str]:
    tp = _field_type(path_parts)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def _set_path(data: dict, dotted: str) -> tuple[Any, Any, str | None]:
    """Find the container and key for a dotted change path; (container, key, None) or (.., .., error)."""
    parts = dotted.split(".")
    node: Any = data
    walked: list[str] = []
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if part.lstrip("-").isdigit():
                idx = int(part)
                if not 0 <= idx < len(node):
                    return None, None, f"expected an index 0 to {len(node) - 1}, found {part}"
            else:
                named = [i for i, x in enumerate(node) if isinstance(x, Mapping) and x.get("name") == part]
                if len(named) != 1:
                    names = [x.get("name") for x in node if isinstance(x, Mapping)]
                    why = "not unique" if named else "not found"
                    return (
                        None,
                        None,
                        (
                            f"expected a list index or a unique element name ({', '.join(map(str, names))}), "
                            f"found {part!r} ({why})"
                        ),
                    )
                idx = named[0]
            if last:
                return node, idx, None
            walked.append(str(idx))
            node = node[idx]
        elif isinstance(node, dict):
            if part not in node:
                known = _known_keys(walked)
                if part not in known:
                    here = ".".join(walked) or "the top level"
                    allowed = f" (one of: {', '.join(known)})" if known else ""
                    return None, None, f"expected an existing field of {here}{allowed}, found {part!r}"
                if not last:
                    node[part] = {}  # an optional block absent from the file, e.g. drivers
            if last:
                return node, part, None
            walked.append(part)
            node = node[part]
        else:
            here = ".".join(walked)
            return None, None, f"expected a field path, found {here} is {_found(node)} with no field {part!r}"
    return None, None, "expected a field path, found an empty path"


def apply_case(raw: Mapping, case_name: str | None) -> dict:
    """A deep copy of a raw scenario with a case's changes applied.

    Change paths are dotted field paths; a list element is named by its index (``revenues.0.amount``)
    or by its unique ``name`` (``debt.facilities.EDPF.amount``). An optional key or block absent from
    the file may be set. The result is not validated (see :func:`load_scenario`).

    Raises
    ------
    InputError
        Unknown case name (listing the available cases), or a change path that does not exist
        (at ``cases.<name>.changes.<path>``).
    """
    data = copy.deepcopy(dict(raw))
    if case_name is None or case_name == BASE_CASE:
        return data
    cases = data.get("cases") if isinstance(data.get("cases"), Mapping) else {}
    if case_name not in cases:
        available = ", ".join([BASE_CASE, *map(str, cases)])
        raise InputError([("cases", f"expected a case name ({available}), found {case_name!r}")])
    case = cases[case_name]
    changes = case.get("changes") if isinstance(case, Mapping) else None
    if changes is None:
        return data
    if not isinstance(changes, Mapping):
        raise InputError(
            [(f"cases.{case_name}.changes", f"expected a mapping of path: value, found {_found(changes)}")]
        )
    problems = []
    for dotted, value in changes.items():
        if not isinstance(dotted, str) or not dotted:
            problems.append((f"cases.{case_name}.changes", f"expected a dotted field path, found {_found(dotted)}"))
            continue
        if dotted == "cases" or dotted.startswith("cases."):
            problems.append((f"cases.{case_name}.changes.{dotted}", "expected a path outside cases, found cases"))
            continue
        container, key, error = _set_path(data, dotted)
        if error:
            problems.append((f"cases.{case_name}.changes.{dotted}", error))
        else:
            container[key] = copy.deepcopy(value)
    if problems:
        raise InputError(problems)
    return data


def _case_scenario(raw: Mapping, case_name: str, source: str, sha256: str | None) -> Scenario:
    try:
        changed = apply_case(raw, case_name)
    except InputError as exc:
        raise InputError(exc.problems, source=source) from None
    try:
        return scenario_from_dict(changed, source, sha256=sha256, case=case_name)
    except InputError as exc:
        prefixed = [(f"cases.{case_name}: {p}" if p else f"cases.{case_name}", m) for p, m in exc.problems]
        raise InputError(prefixed, source=source) from None


def _yaml_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line (1-based) of every key and list item of a YAML text, by its path of keys / indices (as text)."""
    lines: dict[tuple[str, ...], int] = {}

    def walk(node, path):
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = (*path, str(getattr(k, "value", "")))
                lines[key] = k.start_mark.line + 1
                walk(v, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, (*path, str(i)))

    try:
        root = yaml.compose(text, Loader=_Loader)  # noqa: S506 (_Loader is a SafeLoader)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


def _named_path(parts: list[str], raw: Any) -> str:
    """``debt.facilities[EDPF].rate`` for ``debt.facilities.0.rate``: list items named by their ``name``."""
    out, node = "", raw
    for part in parts:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            items, node = node, node[int(part)]
            name = node.get("name") if isinstance(node, Mapping) else None
            unique = sum(isinstance(x, Mapping) and x.get("name") == name for x in items) == 1
            out += f"[{name}]" if isinstance(name, str) and name and unique else f".{part}"
            continue
        out = f"{out}.{part}" if out else part
        node = node.get(part) if isinstance(node, Mapping) else None
    return out


def _locate(problems: list[tuple[str, str]], raw: Mapping, data: bytes) -> list[tuple[str, str]]:
    """Problems with list items named by their name and the YAML line of the field (or of its nearest
    parent written in the file) at the end of the message."""
    try:
        lines = _yaml_lines(data.decode("utf-8"))
    except UnicodeDecodeError:
        lines = {}
    out = []
    for path, msg in problems:
        head, sep, rest = path.partition(": ")
        prefix, inner = (f"{head}: ", rest) if sep and head.startswith("cases.") else ("", path)
        parts = inner.split(".") if inner else []
        named = _named_path(parts, raw) if parts else inner
        if prefix:  # a case's problem: the line of the change that caused it, else of the case
            case = ("cases", prefix[len("cases.") : -2])
            changes = [k for k in lines if len(k) == 4 and k[:3] == (*case, "changes")]
            hit = [k for k in changes if inner == k[3] or inner.startswith(k[3] + ".")]
            line = lines[hit[0]] if hit else lines.get(case)
        else:
            line = next((lines[tuple(parts[:k])] for k in range(len(parts), 0, -1) if tuple(parts[:k]) in lines),
                        None)
        out.append((f"{prefix}{named}", f"{msg} (line {line})" if line else msg))
    return out


def load_scenario(path: str | Path | None = None, case: str | None = None) -> Scenario:
    """Load, validate and (optionally) apply a case to a scenario file.

    Parameters
    ----------
    path : str or Path, optional
        Scenario YAML file; None = the embedded default scenario (``source == "<default>"``).
    case : str, optional
        Case to apply; None or ``"base"`` = no changes.

    Returns
    -------
    Scenario
        With ``source``, ``sha256`` (of the file's bytes) and ``case`` set.

    Raises
    ------
    ScenarioFileError
        Unreadable file, invalid YAML, or not a mapping.
    InputError
        Every problem of the base scenario; or, for a case, every problem of the changed scenario
        with field paths prefixed ``cases.<name>: ``.
    """
    data, source = _read(path)
    raw = _parse(data, source)
    digest = hashlib.sha256(data).hexdigest()
    try:
        base = scenario_from_dict(raw, source, sha256=digest)
        if case is None or case == BASE_CASE:
            return base
        return _case_scenario(raw, case, source, digest)
    except InputError as exc:
        raise InputError(_locate(exc.problems, raw, data), source=exc.source) from None


def case_scenario(base: Scenario, case: str | None) -> Scenario:
    """The scenario of ``case`` built from an already loaded base scenario, without reading its file again.

    Provenance (``source``, ``sha256``) is the base's: the case comes from the same bytes.

    Raises
    ------
    InputError
        Unknown case name (listing the available cases), or every problem of the changed scenario with
        field paths prefixed ``cases.<name>: ``; also when ``base`` is itself a case or was not built by
        :func:`scenario_from_dict` (no mapping to apply the case to).
    """
    if case is None or case == BASE_CASE:
        return base
    if base.case != BASE_CASE or base._raw is None:
        found = f"case {base.case!r}" if base.case != BASE_CASE else "a scenario built otherwise"
        raise InputError(
            [("cases", f"expected a base scenario (file or mapping) to apply case {case!r} to, found {found}")],
            source=base.source or None,
        )
    return _case_scenario(base._raw, case, base.source, base.sha256)


def validate_file(path: str | Path | None = None) -> Scenario:
    """Check a scenario file and every one of its cases; return the base scenario.

    Raises
    ------
    InputError
        With every problem of the base scenario, or if the base is valid, of every case
        (prefixed ``cases.<name>: ``).
    """
    data, source = _read(path)
    raw = _parse(data, source)
    digest = hashlib.sha256(data).hexdigest()
    try:
        base = scenario_from_dict(raw, source, sha256=digest)
    except InputError as exc:
        raise InputError(_locate(exc.problems, raw, data), source=exc.source) from None
    problems: list[tuple[str, str]] = []
    for name in base.cases:
        try:
            _case_scenario(raw, name, source, digest)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(_locate(problems, raw, data), source=source)
    return base


# --- templates for `finmodel new` ----------------------------------------------------------------

DEFAULT_TEMPLATE = "umic-availability-ppp"


def _template_dir():
    return resources.files("finmodel").joinpath("templates", "scenarios")


def template_names() -> list[str]:
    """Names accepted by :func:`new_scenario_file`: the packaged ``finmodel/templates/scenarios/*.yaml``, and
    ``default`` (an alias of :data:`DEFAULT_TEMPLATE`)."""
    return ["default", *sorted(p.name[: -len(".yaml")] for p in _template_dir().iterdir() if p.name.endswith(".yaml"))]


def template_path(name: str):
    """The packaged file of template ``name`` (``default``: :data:`DEFAULT_TEMPLATE`)."""
    if name not in template_names():
        raise InputError([("--template", f"expected one of {', '.join(template_names())}, found {name!r}")])
    return _template_dir().joinpath(f"{DEFAULT_TEMPLATE if name == 'default' else name}.yaml")


_PROJECT_NAME_LINE = re.compile(r"^(project:\n(?:[ \t]*#.*\n)*[ \t]+name:[ \t]*)(.*)$", re.MULTILINE)


def new_scenario_file(name: str | Path, template: str = DEFAULT_TEMPLATE, *, force: bool = False) -> Path:
    """Write a new scenario file ``NAME.yaml`` from a template, with NAME as its project name; return its path.

    ``name`` may already end in ``.yaml`` or ``.yml`` and may hold folders; the project name is the file name
    without its ending. The new file is validated before it is written (temporary file, then rename), so an
    existing file is never left half-written and the file runs as created.

    Raises
    ------
    InputError
        Unknown template, a name the scenario refuses as a project name, or the file exists and ``force`` is
        false.
    """
    path = Path(name)
    if path.suffix.lower() not in (".yaml", ".yml"):
        path = path.with_name(path.name + ".yaml")
    source = template_path(template)
    project_name = path.name[: -len(path.suffix)]
    text = source.read_text(encoding="utf-8")
    text, n = _PROJECT_NAME_LINE.subn(lambda m: m.group(1) + json.dumps(project_name, ensure_ascii=False), text,
                                      count=1)
    if n != 1:  # a packaged template always has a block-style project.name line
        raise FinmodelError(f"template {template!r} has no block-style project name line")
    try:
        scenario_from_dict(_parse(text.encode("utf-8"), str(path)), str(path))
    except InputError as exc:
        raise InputError([("NAME" if p == "project.name" else p, m) for p, m in exc.problems]) from None
    if path.exists() and not force:
        raise InputError([("", f"expected a new file name, found existing {path} (use --force to overwrite)")])
    if not path.parent.is_dir():
        raise InputError([("", f"expected an existing directory, found no directory {path.parent}")])
    data = text.encode("utf-8")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError([("", f"expected a writable location, found: {exc.strerror} ({path})")]) from None
    return path
