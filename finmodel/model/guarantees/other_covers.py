"""Covers without a lenders' ledger on the Guarantees sheet: performance bonds, availability guarantees and
political risk insurance. Amounts in the scenario's currency per period unless marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.model import termination
from finmodel.model.guarantees.cover import Cover, Lines, period_flags
from finmodel.model.timeline import R
from finmodel.rows import LeadSum, Max, Min, Prev, Total

if TYPE_CHECKING:
    from finmodel.model.context import Builder


def build_performance_bond(b: Builder, c: Cover, lines: Lines) -> None:
    """A performance bond: inputs (bond share of the contract [fraction], fee and SME preference [per year],
    SME flag, call years [flag, per period]); rows bond amount [currency], fee rate [per year], called [flag],
    exposure, claim, fee, net cost, discounted fee, headroom, untriggered claims [currency, per period]. The fee is
    paid by the contractor: no project cash flow, nothing in ``lines``."""
    p, g = c.p, c.g
    P = b.model.ref("in_periods_per_year")
    cs = c.input("contract_share", g.contract_share, f"Bond amount ({g.issuer})", unit="of construction contract")
    fee = c.input("fee", g.fee, "Bond fee", unit="per year on the bond")
    pref = c.input(
        "fee_preference",
        _sme_fee_preference(),
        "SME co-entry fee preference (SME-only contracts)",
        unit="per year",
        source="instruments.yaml sme_co_entry.performance_guarantee_fee_preference (plan 2019, confidence S)",
    )
    sme = c.input("sme_contract", 1.0 if g.sme_contract else 0.0, "SME-only contract", unit="1 = yes", fmt="int")
    call = c.input(
        "call",
        period_flags([g.called_in_year] if g.called_in_year else [], b),
        "Bond called (contractor default)",
        unit="1 = called",
        fmt="flag",
        kind="series",
    )
    amt = c.row("bond_amount", cs * Total("capex"), "bond amount")
    rate = c.row("fee_rate", Max(0, fee + pref * sme), "bond fee after SME preference", unit="per year", fmt="pct")
    c.row("called", Max(Prev(f"{p}_called"), call), "bond called (cumulative)", unit="flag", fmt="flag", total=False)
    expo = c.row(
        "exposure",
        R("construction_flag") * amt * (1 - Prev(f"{p}_called")),
        "exposure (bond amount during construction)",
        total=False,
    )
    claim = c.row("claim", expo * call, "claim paid to the project company (not in its waterfall)")
    prem = c.row("premium", rate / P * expo, "fee income (paid by the contractor)")
    c.row("net_cost_cf", claim - prem, "net cost to the issuer")
    c.row("premium_pv_row", prem * R("guarantee_df"), "discounted fee")
    c.row("claim_headroom", expo - claim, "exposure - claim (never negative)", total=False)
    c.row("claim_untriggered", claim * (1 - call), "claims without a call (always 0)")
    c.simple_outputs()


def build_availability_guarantee(b: Builder, c: Cover, lines: Lines) -> None:
    """An availability guarantee on one revenue: inputs (share [fraction], fee [of guaranteed payments], payer
    default years [flag, per period]); rows exposure, claim, lost revenue, fee, cash from the project, net cost,
    discounted fee, headroom, untriggered claims [currency, per period]; claims - fees and the lost payments go to
    CFADS, fees to the tax deductions (``lines``); outputs plus the guaranteed payments [currency]."""
    p, g = c.p, c.g
    sc = b.scenario
    idx = next(i for i, r in enumerate(sc.revenues, start=1) if r.name == g.revenue)
    sh = c.input("share", g.share, f"Share of {g.revenue} guaranteed ({g.guarantor})")
    fee = c.input("fee", g.fee, "Guarantee fee", unit="of guaranteed payments")
    pdflt = c.input(
        "payer_default",
        period_flags(g.payer_default_years, b),
        "Payer does not pay",
        unit="1 = default",
        fmt="flag",
        kind="series",
    )
    rev = R(f"revenue{idx}")
    ppy = sc.timeline.periods_per_year
    year_ahead = rev + LeadSum(f"revenue{idx}", ppy - 1) if ppy > 1 else rev
    expo = c.row(
        "exposure", sh * year_ahead, "exposure (guaranteed share of the next 12 months' payments)", total=False
    )
    claim = c.row("claim", sh * rev * pdflt, "claims paid by the guarantor")
    c.row("lost_revenue", rev * pdflt, "payments not made by the payer")
    prem = c.row("premium", fee * sh * rev, "guarantee fee (paid by the project)")
    lines.cfads.append(claim - prem)
    lines.lost.append(R(f"{p}_lost_revenue"))
    lines.expensed.append(prem)
    lines.project_cash.append(c.row("from_project", prem - claim, "net cash from the project (fees - claims)"))
    c.row("net_cost_cf", claim - prem, "net cost to the guarantor")
    c.row("premium_pv_row", prem * R("guarantee_df"), "discounted fee")
    c.row("claim_headroom", expo - claim, "exposure - claim (never negative)", total=False)
    c.row("claim_untriggered", claim * (1 - pdflt), "claims without a payer default (always 0)")
    c.simple_outputs()
    c.output("guaranteed_payments", sh * Total(f"revenue{idx}"), "guaranteed payments over the model life")


def build_political_risk_insurance(b: Builder, c: Cover, lines: Lines) -> None:
    """Political risk insurance of the sponsors' funding: inputs (share [fraction], premium [per year]); rows
    claimed [flag], exposure, claim, premium, cash from the sponsors, net cost, discounted premium, headroom,
    untriggered claims [currency, per period]; claims - premiums go to the equity cash flow (``lines``)."""
    p, g = c.p, c.g
    P = b.model.ref("in_periods_per_year")
    sh = c.input("share", g.share, f"Share of sponsor funding insured ({g.insurer})")
    rate = c.input("premium_rate", g.premium_rate, "Premium", unit="per year on insured investment")
    c.row(
        "claimed",
        Max(Prev(f"{p}_claimed"), R("political_event_flag")),
        "political event has occurred",
        unit="flag",
        fmt="flag",
        total=False,
    )
    expo = c.row(
        "exposure",
        sh * R("equity_cum") * (1 - Prev(f"{p}_claimed")),
        "exposure (insured share of sponsor funding)",
        total=False,
    )
    comp = termination.active(b) and any(
        getattr(b.scenario.termination, k) is not None and getattr(b.scenario.termination, k).equity_share > 0
        for k in termination.CAUSES
    )
    if comp:  # indemnity: the insurer pays what the termination compensation does not, and recovers the rest
        claim = c.row(
            "claim",
            R("political_event_flag") * Max(0, expo - sh * R("termination_equity_cum")),
            "claims paid to the sponsors (insured share of their funding less the compensation received)",
        )
        back = c.row(
            "recovery",
            Prev(f"{p}_claimed") * Min(sh * R("termination_equity_paid"), Total(f"{p}_claim")),
            "recovered from the sponsors: the insured share of compensation paid after the claim, at most the claim",
        )
    else:
        claim = c.row("claim", expo * R("political_event_flag"), "claims paid to the sponsors")
        back = 0
    prem = c.row("premium", rate / P * expo, "premium (paid by the sponsors)")
    lines.sponsor.append(claim - prem - back)
    lines.project_cash.append(
        c.row("from_project", prem - claim + back, "net cash from the sponsors (premiums + recoveries - claims)")
    )
    c.row("net_cost_cf", claim - prem - back, "net cost to the insurer")
    c.row("premium_pv_row", prem * R("guarantee_df"), "discounted premium")
    c.row("claim_headroom", expo - claim, "exposure - claim (never negative)", total=False)
    c.row("claim_untriggered", claim * (1 - R("political_event_flag")), "claims without an event (always 0)")
    c.simple_outputs()


def _sme_fee_preference() -> float:
    """The SME co-entry performance-guarantee fee preference [per year] (``instruments.yaml``)."""
    from finmodel.inputs.instruments import preset

    return float(preset("sme_co_entry")["performance_guarantee_fee_preference"])
