"""The scenario blocks and :class:`Scenario`: an immutable, fully validated pydantic model.

Every block forbids unknown keys. The structural cross-field rules (:func:`finmodel.schema.rules.check_rules`)
run as the scenario's model validator; the policy rules (countries, instrument eligibility, cover) are a
separate stage that needs domain data (:mod:`finmodel.inputs.policy`).

Why one module of 600-odd lines: the blocks are the scenario file read top to bottom (project, timeline, lines,
financing, cases), each a few fields with their descriptions; the guarantees' blocks are :mod:`finmodel.schema.cover`.
"""

from __future__ import annotations

import copy
import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationInfo,
    model_validator,
)

from finmodel.schema.block import Block as _Block
from finmodel.schema.cover import GUARANTEE_KINDS, Guarantee  # noqa: F401 (GUARANTEE_KINDS: part of this module's API)
from finmodel.schema.risk import Risk
from finmodel.schema.rules import check_rules
from finmodel.schema.types import (
    BASE_CASE,
    BaseRateCurve,
    Currency,
    Factor,
    Fraction,
    Gearing,
    Money,
    Name,
    PositiveMoney,
    PositiveShare,
    SignedRate,
    TaxRate,
    Text,
    decimal_between,
    iso_date,
    not_bool,
    start_date_in_range,
)

LineCurrency = Annotated[
    Union[Currency, None],  # noqa: UP007 (an annotated optional field type)
    Field(
        description="ISO 4217 currency of the amounts of this line: the model currency (project.currency, the "
        "default) or a currency of the fx block, converted on the FX sheet."
    ),
]
"""The ``currency`` of a revenue, cost, capex or grant line (None: the model currency)."""


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
    fx_to_krw: float = Field(gt=0, le=1e7, description="KRW per unit of currency [KRW/currency].")  # KWD: ~4,500
    fx_to_usd: float = Field(
        gt=0,
        le=1e4,
        description="USD per unit of currency [USD/currency]: a non-USD scenario also reports total "
        "uses, debt, equity and the equity NPV in USD (metrics *_usd).",
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

    start_date: Annotated[datetime.date, BeforeValidator(iso_date), AfterValidator(start_date_in_range)] = Field(
        description="Financial close = start of construction [date, YYYY-MM-DD]."
    )
    construction_years: int = Field(gt=0, description="Construction phase [years].")
    operation_years: int = Field(gt=0, description="Operation phase [years].")
    periods_per_year: Annotated[Literal[1, 2, 4, 12], BeforeValidator(not_bool)] = Field(
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
    currency: LineCurrency = None


class AvailabilityRevenue(_Block):
    """Availability payment: an amount per year from the start of operations."""

    name: Name = Field(description="Revenue name.")
    kind: Literal["availability"] = Field(description="Revenue kind.")
    amount: Money = Field(description="Payment at start-date prices [currency/year].")
    indexation: SignedRate = Field(default=0.0, description="Annual indexation [per year, decimal].")
    currency: LineCurrency = None
    hard_currency_share: Fraction = Field(
        default=0.0,
        description="Share of the payment indexed to the model currency [fraction]: that part keeps its value in the "
        "model currency (converted at the spot rate of financial close), the rest is paid in the line's currency "
        "and carries its FX risk. Needs a line in a currency of the fx block.",
    )


class UserFeeRevenue(_Block):
    """User fees: volume x tariff."""

    name: Name = Field(description="Revenue name.")
    kind: Literal["user_fee"] = Field(description="Revenue kind.")
    volume: Money = Field(description="Volume in the first operating year [units/year].")
    volume_growth: SignedRate = Field(default=0.0, description="Annual volume growth [per year, decimal].")
    tariff: Money = Field(description="Tariff at start-date prices [currency/unit].")
    indexation: SignedRate = Field(default=0.0, description="Annual tariff indexation [per year, decimal].")
    currency: LineCurrency = None
    hard_currency_share: Fraction = Field(
        default=0.0,
        description="Share of the tariff indexed to the model currency [fraction] (as for an availability payment).",
    )


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
        "(concessional), other (for the blended-finance metrics of finmodel.model.blending).",
    )
    currency: LineCurrency = None


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
    currency: LineCurrency = None


class Lifecycle(_Block):
    """Periodic major maintenance / replacement."""

    name: Name = Field(description="Cost name.")
    amount: Money = Field(description="Cost per occurrence at start-date prices [currency].")
    every_years: int = Field(
        gt=0, description="Interval [years]: incurred in operating years every_years, 2*every_years, ..."
    )
    indexation: SignedRate = Field(default=0.0, description="Annual indexation [per year, decimal].")
    currency: LineCurrency = None


class Devaluation(_Block):
    """A step in the path: from a model year on, the currency is worth ``size`` less (a devaluation)."""

    year: int = Field(
        default=1, ge=1, le=100, description="Model year from which the devaluation holds [year, 1 = first]."
    )
    size: float = Field(
        ge=0, lt=1, description="Fall in the currency's value [fraction]: 0.30 = the rate rises by 1 / 0.70; 0 = none."
    )


class Ppp(_Block):
    """Relative purchasing-power parity: the rate moves with the two inflation rates."""

    local_inflation: SignedRate = Field(description="Inflation of the currency's country [per year, decimal].")
    model_inflation: SignedRate = Field(description="Inflation of the model currency [per year, decimal].")


class FxPath(_Block):
    """One currency against the model currency: a spot rate and its path by model year.

    The rate is in units of this currency per unit of the model currency (BOB per USD). Its path: constant (no
    path given), a constant ``depreciation`` a year, relative purchasing-power parity (``ppp``: the rate grows by
    (1 + local inflation) / (1 + model inflation) a year), or an explicit table ``rates`` by model year (the last
    carried forward); a ``devaluation`` multiplies it from its year on. Model year y's rate is
    ``spot x growth ** (y - 1)`` (the same yearly steps as indexation).
    """

    spot: float = Field(
        gt=0, le=1e7, description="Rate at financial close [units of this currency per unit of the model currency]."
    )
    depreciation: float | None = Field(
        default=None,
        ge=-0.5,
        le=2.0,
        description="Constant depreciation against the model currency [per year, decimal]: the rate grows by it.",
    )
    ppp: Ppp | None = Field(default=None, description="Relative purchasing-power parity instead of a depreciation.")
    rates: list[Annotated[float, Field(gt=0, le=1e7)]] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Rate by model year [units per unit of the model currency], from year 1; the last carried "
        "forward. Instead of depreciation or ppp.",
    )
    devaluation: Devaluation | None = Field(default=None, description="A devaluation from a model year on.")
    source: Text | None = Field(default=None, description="Where the rate and its path come from (free text).")

    @model_validator(mode="after")
    def _one_path(self) -> FxPath:
        given = [k for k in ("depreciation", "ppp", "rates") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"expected at most one of depreciation, ppp or rates, found {' and '.join(given)}")
        return self


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
    residence: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description="Country of tax residence, ISO 3166-1 alpha-3 (KOR for a Korean sponsor or the PIS fund); "
        "dividends and shareholder-loan interest paid to a sponsor resident abroad bear the host country's "
        "withholding tax (finmodel/data/withholding.yaml, treaty rate with Korea where one applies). Omitted: "
        "resident in the host country, no withholding.",
    )
    withholding_rate: Fraction | None = Field(
        default=None,
        description="Withholding tax on this sponsor's dividends and shareholder-loan interest [fraction], "
        "instead of the table's rate.",
    )


class ShareholderLoan(_Block):
    """Part of sponsor funding provided as a shareholder loan."""

    share: Fraction = Field(description="Fraction of sponsor funding lent as a shareholder loan [fraction].")
    rate: SignedRate = Field(description="Shareholder loan interest rate [per year, decimal].")


class Rate(_Block):
    """A facility's interest rate: either ``{fixed: r}`` or ``{base: name, margin: m}``.

    Exactly one form: ``fixed`` alone, or ``base`` (a key of ``base_rates``) with ``margin``.
    """

    fixed: Fraction | None = Field(default=None, description="Fixed rate [per year, decimal], >= 0.")
    base: str | None = Field(default=None, description="Name of a base-rate curve in base_rates.")
    margin: Fraction | None = Field(
        default=None,
        description="Margin over the base rate [per year, decimal], >= 0 (the base rate is floored at zero, so the "
        "rate is never negative: a negative interest rate would have the borrower paid to borrow).",
    )

    @property
    def is_fixed(self) -> bool:
        """True for ``{fixed: r}``."""
        return self.fixed is not None


FACILITY_KINDS = ("edcf", "edpf", "eca", "commercial", "mdb", "dfi", "other")


class Hedge(_Block):
    """An interest-rate swap on a floating facility: the borrower pays a fixed rate and receives the base rate on
    a share of the facility's balance, from the first operating period for a stated number of years."""

    share: PositiveShare = Field(description="Share of the facility's balance swapped to fixed [fraction], in (0, 1].")
    swap_rate: Fraction = Field(
        description="Fixed rate the borrower pays on the swapped balance [per year, decimal], against the facility's "
        "base rate (unfloored: the loan's zero floor is not in a vanilla swap)."
    )
    years: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description="Years the swap runs from the start of operations [years], a whole number of periods; "
        "default: to the facility's maturity.",
    )


class Compensation(_Block):
    """What the concession pays on an early termination for one cause."""

    debt_share: Fraction = Field(
        description="Share of senior debt outstanding at termination paid as compensation [fraction], in [0, 1]: "
        "it prepays the senior facilities pro rata to their balances."
    )
    equity_share: Fraction = Field(
        default=0.0,
        description="Share of the sponsors' funding subscribed (share capital and shareholder loan) paid to them as "
        "compensation [fraction], in [0, 1].",
    )
    collected: Fraction = Field(
        default=1.0,
        description="Share of the compensation the authority actually pays [fraction], in [0, 1]: an authority in "
        "default may not pay it; what it does not pay stays owed, the lenders' loss that political-risk cover "
        "responds to.",
    )


class TerminationEvent(_Block):
    """A termination in a case: its cause and the model year in which the concession ends."""

    cause: Literal["authority_default", "project_default", "voluntary"] = Field(
        description="authority_default (authority default or political force majeure), project_default (project "
        "company default) or voluntary (the authority's voluntary termination)."
    )
    year: int = Field(ge=1, description="Model year of the termination [year], at most the model's years.")


class Termination(_Block):
    """The concession's compensation on early termination, by cause (finmodel.model.termination: the Termination sheet).

    On a termination the compensation for its cause prepays the senior debt (a share of what is outstanding) and
    pays the sponsors a share of their funding; the concession then ends: nothing more is paid to lenders or
    sponsors, and what the compensation leaves unpaid is the lenders' loss. In the Monte Carlo a permanent
    political event is an authority-default termination, and (with ``project_default`` given) senior debt service
    left unpaid after the DSRA is a project-company-default termination."""

    authority_default: Compensation | None = Field(
        default=None, description="Compensation on authority default or political force majeure."
    )
    project_default: Compensation | None = Field(
        default=None,
        description="Compensation on project company default; given, a senior payment default terminates the "
        "concession.",
    )
    voluntary: Compensation | None = Field(
        default=None, description="Compensation on the authority's voluntary termination."
    )
    event: TerminationEvent | None = Field(
        default=None, description="A termination in this scenario or case (its cause needs its compensation)."
    )
    source: str = Field(default="", description="The concession agreement's clause, or 'estimate'.")


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
    lender_residence: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description="Country of the lenders' tax residence, ISO 3166-1 alpha-3 (KOR for KEXIM, EDCF, EDPF, K-SURE-"
        "covered Korean banks); interest paid abroad bears the host country's withholding tax "
        "(finmodel/data/withholding.yaml, treaty rate with Korea where one applies). Omitted: a lender resident "
        "in the host country, no withholding.",
    )
    withholding_rate: Fraction | None = Field(
        default=None, description="Withholding tax on this facility's interest [fraction], instead of the table's."
    )
    tax_gross_up: bool = Field(
        default=False,
        description="Tax gross-up clause: the borrower pays the withholding on top of the interest, so the lenders "
        "receive the interest in full (usual in export-credit agreements); without it the lenders bear it.",
    )
    hedge: Hedge | None = Field(
        default=None,
        description="Interest-rate swap on a floating facility (pay fixed, receive the base rate): net settlements "
        "are paid from CFADS ahead of debt service, tax-deductible, in the facility's all-in cost, and the Monte "
        "Carlo base-rate driver moves only the unhedged part.",
    )
    currency: LineCurrency = Field(
        default=None,
        description="Currency of the loan (ISO 4217; default the model currency): its amount and schedule are in it, "
        "and every payment is converted at the period's rate (finmodel.model.fx); needs a fixed amount and a repayment "
        "other than sculpted.",
    )
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
    target_dscr: float = Field(
        ge=1.0, le=10.0, description="Target DSCR for sculpting and the sizing test [ratio], in [1, 10]."
    )


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
    discount_rate: decimal_between(0.0, 1.0, lo_open=True, what="a discount rate") | None = Field(
        default=None, description="Annual discount rate for method rate [per year, decimal]."
    )
    cirr: decimal_between(0.0, 1.0, lo_open=True, what="a CIRR") | None = Field(
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
    lockup_dscr: float = Field(default=1.10, ge=1.0, le=10.0, description="Distribution lock-up DSCR [ratio], >= 1.")
    cash_sweep: Fraction = Field(
        default=0.0,
        description="Fraction of cash after lock-up applied to prepay sweep facilities [fraction].",
    )
    drivers: Drivers = Field(default_factory=Drivers, description="Case and sensitivity multipliers.")
    risk: Risk | None = Field(
        default=None,
        description="Uncertain drivers for finmodel simulate: distributions, processes, correlation "
        "(finmodel.schema.risk).",
    )
    blending: Blending = Field(
        default_factory=Blending, description="Grant-element method and CIRR for the blended-finance metrics."
    )
    guarantees: list[Guarantee] = Field(
        default_factory=list,
        description="Cover instruments: ECA cover, partial risk guarantees, performance bonds, availability "
        "guarantees, political risk insurance (finmodel.model.guarantees).",
    )
    cases: dict[str, Case] = Field(default_factory=dict, description="Named cases; 'base' is reserved.")
    termination: Termination | None = Field(
        default=None,
        description="Compensation on early termination of the concession, by cause (finmodel.model.termination).",
    )
    fx: dict[Currency, FxPath] = Field(
        default_factory=dict,
        description="Exchange-rate paths of the currencies other than the model currency that lines are stated "
        "in, keyed by ISO 4217 code (finmodel.model.fx: the FX sheet).",
    )

    _source: str = PrivateAttr(default="")
    _sha256: str | None = PrivateAttr(default=None)
    _case: str = PrivateAttr(default=BASE_CASE)
    _raw: dict | None = PrivateAttr(default=None)  # the mapping validated, for cases (see case_scenario)
    _policy_checked: bool = PrivateAttr(default=False)  # finmodel.inputs.policy has passed it

    @model_validator(mode="after")
    def _cross_field_rules(self, info: ValidationInfo) -> Scenario:
        # Structural rules only: the policy rules need domain data (finmodel.inputs.policy; engine.build runs them on
        # a scenario built here directly). scenario_from_dict runs check_rules itself on the raw mapping (so
        # that rules are checked even where other fields fail) and tells us not to repeat it.
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

    @property
    def policy_checked(self) -> bool:
        """True once the policy rules (:mod:`finmodel.inputs.policy`: country, eligibility, cover) have passed."""
        return self._policy_checked

    def case_names(self) -> list[str]:
        """``"base"`` followed by the scenario's cases in file order."""
        return [BASE_CASE, *self.cases]

    def facility(self, name: str) -> Facility:
        """The facility called ``name``."""
        for fac in self.debt.facilities:
            if fac.name == name:
                return fac
        raise KeyError(name)
