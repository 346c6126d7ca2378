"""The Guarantees sheet: cover, premiums, exposure, and each guarantor's ledger, rows defined once.

Default (stated once)
---------------------
* A **payment default** happens in the first period in which senior debt service cannot be paid after the
  DSRA (``senior_shortfall > 0``); a **political event** (expropriation, transfer restriction: the per-period
  input ``in_political_event``, 0/1) is a covered event too, and while it lasts the project can pay its
  lenders nothing (the waterfall's debt payments are blocked). ``defaulted`` (Waterfall sheet) is permanent:
  1 from the first of either to the end of the model; ``default_start`` (Ledgers sheet) flags that period, and
  ``political_cause`` says the default began with a political event (the political share of cover applies,
  otherwise the commercial share).
* **Equity receives nothing after a default**: with a ``guarantees`` block the waterfall locks up every
  period from the default to the end of the model, the final release included; the cash stays in the project
  and keeps paying the lenders.
* **Claims, subrogation and recoveries** are computed in each covered facility's lenders' ledger
  (:mod:`finmodel.model.ledgers`): claims only on what the project did not pay (instalment cover: the covered share of
  the unpaid part of each instalment; accelerated cover: the covered share of the balance at acceleration);
  project payments after a claim go to the guarantor under subrogation until it has recovered its claims; the
  recovery rate applies only to what the project never pays by the end of the model. The guarantor's ledger
  here: premiums, claims, recoveries, net cost.

Premiums and fees (and where each goes: declared lines of the shared totals, ``finmodel.rows.totals``)
-----------------------------------------------------------------------------------------------
Loan covers: upfront [fraction of the covered principal = max(commercial, political share) x commitment] at
financial close, financed (a use of funds: line ``premiums_financed`` of the Funding sheet) or paid by the
sponsors (line ``equity_guarantee_cash`` of the equity cash flow); running [per year on the covered balance at
the start of the period] while not in default: during construction financed (``premiums_financed``), in
operations paid from CFADS (line ``cfads_guarantee_cash``). Tax: financed premiums are capitalised and
depreciated with the construction cost (like upfront fees); premiums paid in operations are expensed (line
``premiums_expensed`` of the tax deductions). Upfront and running premiums count in the all-in cost of the
covered facility's debt and of the package (``debt_premiums`` lines, Blending sheet).
Performance bonds: fee on the bond amount during construction, paid by the contractor (no project cash flow).
Availability guarantees: fee on the guaranteed payments, paid from CFADS and expensed; claims replace the
payments the payer does not make (``cfads_guarantee_cash``; the missed payments are the line
``cfads_lost_payments``). Political risk insurance: premium on the insured investment, paid by the sponsors;
claims to the sponsors (``equity_guarantee_cash``). Every premium is the guarantor's income.

Checks: claims never exceed cover x exposure, never without a default or event; premiums never negative; the
cash between the project, its sponsors and the guarantors equals the declared lines of the shared totals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.inputs.cover_data import cover_source, cover_value
from finmodel.model.checks import add_check, tolerance
from finmodel.model.guarantees.cover import OUT, SHEET, Cover, Lines, add_sum, period_flags
from finmodel.model.guarantees.loan_cover import LoanCover, build_loan_cover
from finmodel.model.guarantees.other_covers import (
    build_availability_guarantee,
    build_performance_bond,
    build_political_risk_insurance,
)
from finmodel.model.timeline import R
from finmodel.rows import Agg, Func, Max, Prev, Sum, Total

if TYPE_CHECKING:
    from finmodel.model.context import Builder

__all__ = ["OUT", "SHEET", "LoanCover", "build"]

_BUILDERS = {
    "eca_cover": build_loan_cover,
    "partial_risk_guarantee": build_loan_cover,
    "performance_bond": build_performance_bond,
    "availability_guarantee": build_availability_guarantee,
    "political_risk_insurance": build_political_risk_insurance,
}


def build(b: Builder) -> None:
    """Add the Guarantees sheet (if the scenario has a ``guarantees`` block): the common default rows, each
    cover's rows, the sheet's totals and the guarantees' lines of the shared totals, with their checks."""
    covers = list(b.scenario.guarantees or [])
    if not covers:
        return
    tolerance(b)  # the check tolerance input is created on first use: before the sheet's inputs, as always
    _common(b, covers)
    lines = Lines()
    category = _category(b.scenario)
    for j, g in enumerate(covers, start=1):
        c = Cover.of(b, j, g)
        if g.kind in ("eca_cover", "partial_risk_guarantee"):
            build_loan_cover(b, c, lines, category)
        else:
            _BUILDERS[g.kind](b, c, lines)
        _collect(b, c, lines)
    _totals(b, lines)
    _declare(b, lines)
    _check_cash_declared(b, lines)


def _common(b: Builder, covers) -> None:
    """Inputs: political event [flag, per period], discount rate [per year]; rows (section Default): political
    event flag and political cause [flag, per period], discount factor from financial close [factor]."""
    m = b.model
    years = sorted({y for g in covers for y in getattr(g, "political_event_years", None) or []})
    ev = m.add_input(
        "in_political_event",
        period_flags(years, b),
        "Political event (expropriation, transfer restriction)",
        kind="series",
        unit="1 = event",
        group="Guarantees",
        fmt="flag",
        source=f"scenario political_event_years {years or 'none'}; Monte Carlo: permanent political events "
        "(risk.yaml political_event, by OECD category)",
    )
    dr = m.add_input(
        "in_guarantee_discount_rate",
        cover_value("premium", "pv_discount_rate"),
        "Discount rate for premium and cost present values",
        unit="per year",
        group="Guarantees",
        fmt="pct",
        source=cover_source("premium", "pv_discount_rate"),
    )
    P = m.ref("in_periods_per_year")

    def add(name, expr, label, unit, fmt, total):
        m.add(name, expr, SHEET, label, unit=unit, total=total, fmt=fmt, section="Default")

    add("political_event_flag", ev * 1, "Political event flag", "flag", "flag", True)
    add(
        "political_cause",
        Max(Prev("political_cause"), R("default_start") * R("political_event_flag")),
        "Default began with a political event",
        "flag",
        "flag",
        False,
    )
    add(
        "guarantee_df",
        (1 + dr) ** (-R("period") / P),
        "Discount factor (from financial close)",
        "factor",
        "factor",
        False,
    )


def _collect(b: Builder, c: Cover, lines: Lines) -> None:
    """Collect the cover's exposure and outputs for the sheet's totals; its checks: claims within cover x
    exposure, premiums never negative, no claim without a trigger [1 = OK]."""
    p, g, m, tol = c.p, c.g, b.model, tolerance(b)
    lines.exposures.append(R(f"{p}_exposure"))
    lines.premium_pvs.append(m.ref(f"{p}_premium_pv"))
    lines.claims.append(m.ref(f"{p}_claims"))
    lines.net_costs.append(m.ref(f"{p}_net_cost"))
    add_check(
        b,
        f"check_{p}_claims_within_cover",
        Agg("MIN", f"{p}_claim_headroom") > -tol,
        f"{g.name}: claims never exceed cover x exposure",
    )
    add_check(
        b, f"check_{p}_premiums_non_negative", Agg("MIN", f"{p}_premium") > -tol, f"{g.name}: premiums never negative"
    )
    add_check(
        b,
        f"check_{p}_claims_triggered",
        Func("ABS", Total(f"{p}_claim_untriggered")) < tol,
        f"{g.name}: no claim without a default or covered event",
    )


def _totals(b: Builder, lines: Lines) -> None:
    """Exposure of all guarantors [currency, per period]; outputs over all guarantors [currency]: peak
    exposure, premium PV, claims, recoveries, net cost, lenders' loss after cover."""
    m = b.model
    m.add("guarantee_exposure", Sum(lines.exposures), SHEET, "Exposure of all guarantors", unit=b.cur, section="Totals")

    def out(name, expr, label):
        m.add(name, expr, OUT, label, unit=b.cur, fmt="money", section="Guarantees")

    out("guarantee_peak_exposure", Agg("MAX", "guarantee_exposure"), "Peak exposure of all guarantors")
    out("guarantee_premium_pv", add_sum(lines.premium_pvs), "PV of premium and fee income of all guarantors")
    out("guarantee_claims", add_sum(lines.claims), "Claims paid by all guarantors")
    out("guarantee_recoveries", add_sum(lines.recoveries), "Recoveries to the guarantors")
    out("guarantee_net_cost", add_sum(lines.net_costs), "Net cost to the guarantors (claims - recoveries - premiums)")
    out("lender_loss_after_cover", add_sum(lines.losses), "Lenders' loss after cover (covered facilities)")


def _declare(b: Builder, lines: Lines) -> None:
    """The lines this module adds to the shared totals (``finmodel.rows.totals``) [currency, per period]: premiums
    financed (uses), guarantee cash and lost payments (CFADS), premiums expensed (tax deductions), guarantee cash
    to sponsors (equity cash flow); each is a row of the total's sheet."""
    for total, line, items, label in (
        ("uses", "premiums_financed", lines.funded, "Guarantee and insurance premiums (financed)"),
        (
            "cfads",
            "cfads_guarantee_cash",
            lines.cfads,
            "Guarantee cash in operations (availability claims - fees - running premiums)",
        ),
        ("cfads", "cfads_lost_payments", [-x for x in lines.lost], "Availability payments not made by the payer"),
        (
            "tax_deductions",
            "premiums_expensed",
            lines.expensed,
            "Guarantee premiums and fees paid in operations (expensed)",
        ),
        (
            "equity_cf",
            "equity_guarantee_cash",
            lines.sponsor,
            "Guarantee cash to sponsors (PRI claims - premiums, upfront premiums not financed)",
        ),
    ):
        if items:
            b.contribute(total, line, Sum(items), label, owner="guarantees")


def _check_cash_declared(b: Builder, lines: Lines) -> None:
    """Check [1 = OK]: the cash from the project and sponsors to the guarantors equals what uses, CFADS and the
    equity flows carry beyond their own lines, read back from the totals as their owners built them (not from
    ``lines``): a line left out fails it."""
    extra_uses = Total("uses") - add_sum(
        [Total(n) for n in ("capex_use", "upfront_fees", "commitment_fees", "idc", "dsra_initial")]
    )
    others = [Total(c.name) for c in b.contributions["cfads"] if c.owner != "guarantees"]  # e.g. withholding
    extra_cfads = (
        Total("cfads") - Total("ebitda") + Total("tax") + add_sum([Total(x.name) for x in lines.lost]) - add_sum(others)
    )
    extra_equity = Total("equity_cf") - Total("cash_to_equity") + Total("equity_funding")
    if "equity_wht" in b.model.rows:  # the sponsors' withholding goes to the tax authority, not to a guarantor
        extra_equity = extra_equity + Total("equity_wht")
    for c in b.contributions["equity_cf"]:  # e.g. termination compensation: the authority's cash, not a guarantor's
        if c.owner != "guarantees":
            extra_equity = extra_equity - Total(c.name)
    add_check(
        b,
        "check_guarantee_cash_declared",
        Func("ABS", add_sum([Total(x.name) for x in lines.project_cash]) - (extra_uses - extra_cfads - extra_equity))
        < tolerance(b),
        "Cash from the project and its sponsors to the guarantors = what uses, CFADS and the equity flows "
        "carry beyond their own lines",
    )


def _category(sc) -> int | None:
    """The OECD country risk category of the scenario's country (None: not classified)."""
    from finmodel.inputs.countries import get_country

    c = get_country(sc.project.country, dict(sc.project.country_overrides) if sc.project.country_overrides else None)
    return None if c is None else c.oecd_risk_category
