"""The ``guarantees:`` blocks: ECA cover, partial risk guarantees, performance bonds, availability guarantees,
political risk insurance (the rows they build: :mod:`finmodel.model.guarantees`; their rules:
:mod:`finmodel.inputs.cover_rules`)."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import (
    Field,
)

from finmodel.schema.block import Block
from finmodel.schema.types import (
    Fraction,
    Name,
    PositiveShare,
    SignedRate,
)

# --- guarantees, insurance and cover (finmodel.model.guarantees) -----------------------------------------

GUARANTEE_KINDS = (
    "eca_cover",
    "partial_risk_guarantee",
    "performance_bond",
    "availability_guarantee",
    "political_risk_insurance",
)
"""Kinds of the ``guarantees:`` list (see :mod:`finmodel.model.guarantees`)."""

ModelYear = Annotated[int, Field(ge=1)]


class LoanCover(Block):
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
        ge=0,
        le=100,
        description="Years from the end of the model to the workout recovery, for its present value "
        "[years]; a whole number of periods.",
    )
    claims_waiting_months: int = Field(
        default=0,
        ge=0,
        le=36,
        description="Claims waiting period: months from an unpaid instalment (accelerated: the acceleration) "
        "to the guarantor's payment of the claim [months]; a whole number of periods. Project payments during "
        "the wait reduce the claim; claims still waiting at the end of the model are paid in its last period.",
    )
    waiting_interest: bool = Field(
        default=True,
        description="The cover pays interest at the loan's contract rate for the waiting period (interest on "
        "claims); otherwise the lenders bear it (it stays owed by the project).",
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


class EcaCover(LoanCover):
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


class PartialRiskGuarantee(LoanCover):
    """KEXIM or MDB partial (risk) guarantee of a facility."""

    kind: Literal["partial_risk_guarantee"] = Field(description="Guarantee kind.")
    guarantor: Literal["kexim", "mdb", "other"] = Field(description="Who guarantees.")
    share: PositiveShare = Field(description="Share of the facility guaranteed [fraction].")
    risks: Literal["all", "political"] = Field(
        default="all", description="Risks covered: all (payment default) or political only."
    )
    fee: Fraction = Field(description="Guarantee fee [per year on the guaranteed balance].")
    upfront_fee: Fraction = Field(default=0.0, description="Upfront fee [fraction of the guaranteed principal].")


class PerformanceBond(Block):
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


class AvailabilityGuarantee(Block):
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


class PoliticalRiskInsurance(Block):
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
