"""Loan covers on the Guarantees sheet: export-credit cover (``eca_cover``) and partial risk guarantees.

The cover's terms are inputs; its exposure, premiums and the guarantor's ledger are rows; claims and recoveries
come from the covered facility's lenders' ledger (:mod:`finmodel.model.ledgers`, which reads the :class:`LoanCover`
this module registers in ``b.loan_covers``). Amounts in the scenario's currency per period unless marked.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from finmodel.inputs.cover_data import cover_source, minimum_premium_upfront
from finmodel.model.guarantees.cover import Cover, Lines
from finmodel.model.loan_currency import commitment, revalued
from finmodel.model.timeline import R
from finmodel.rows import Agg, If, Max, Not, Prev, Ref, Sum, Total

if TYPE_CHECKING:
    from finmodel.model.context import Builder, FacilitySpec


@dataclasses.dataclass(frozen=True)
class LoanCover:
    """The terms of a loan cover that the covered facility's lenders' ledger reads (model names)."""

    name: str
    prefix: str
    share: str  # row: cover share applying (cause of default)
    accelerated: str  # input: 1 = accelerated payout
    recovery_rate: str  # input
    waiting_periods: int = 0  # claims waiting period [periods] (structural: the number of waiting rows)
    waiting_interest: str = ""  # input: 1 = the cover pays contract interest for the wait


@dataclasses.dataclass(frozen=True)
class _Terms:
    """A loan cover's input cells (refs): cover shares [fraction], premiums [fraction of covered principal;
    per year on the covered balance], the financed and accelerated switches [flag], the recovery lag [years]."""

    commercial: Ref
    political: Ref
    upfront: Ref
    running: Ref
    financed: Ref
    accelerated: Ref
    recovery_lag: Ref


def waiting_periods(months: int, periods_per_year: int) -> int:
    """The claims waiting period in whole periods (validation makes ``months`` a whole number of them)."""
    return round(months * periods_per_year / 12)


def build_loan_cover(b: Builder, c: Cover, lines: Lines, category: int | None) -> None:
    """Every row of one loan cover (``eca_cover`` or ``partial_risk_guarantee``) of facility ``c.g.facility``."""
    f = {x.facility.name: x for x in b.facilities}[c.g.facility]
    t = _inputs(b, c, f, category)
    mx, expo = _exposure(b, c, f, t)
    prem = _premiums(b, c, f, t, mx, lines)
    _guarantor_ledger(b, c, f, t, mx, prem, expo)
    _outputs(b, c, f, lines)


def _terms(g) -> tuple[float, float, float, float, float, str]:
    """(commercial share, political share [fraction], upfront premium [fraction], running premium [per year],
    financed [1/0], description) of an ``eca_cover`` or a ``partial_risk_guarantee``."""
    if g.kind == "eca_cover":
        up = g.premium_rate if g.premium_basis == "upfront" else 0.0
        run = g.premium_rate if g.premium_basis == "running" else 0.0
        what = f"{g.insurer} {'special' if g.special_account else 'ordinary'} account"
        return g.commercial_share, g.political_share, up, run, 1.0 if g.premium_financed else 0.0, what
    com = g.share if g.risks == "all" else 0.0
    return com, g.share, g.upfront_fee, g.fee, 1.0, f"{g.guarantor} guarantee, risks: {g.risks}"


def _inputs(b: Builder, c: Cover, f: FacilitySpec, category: int | None) -> _Terms:
    """The cover's inputs: shares [fraction], premiums, financed / accelerated switches [1/0], recovery rate
    [fraction], recovery lag [years], and (ECA cover, OECD-classified country) the indicative minimum premium."""
    g = c.g
    com, pol, up, run, financed, what = _terms(g)
    c_sh = c.input("commercial_share", com, f"Commercial cover share ({what})")
    p_sh = c.input("political_share", pol, "Political cover share")
    up_r = c.input("upfront_premium", up, "Upfront premium", unit="of covered principal")
    run_r = c.input("running_premium", run, "Running premium", unit="per year on covered balance")
    fin = c.input(
        "premium_financed",
        financed,
        "Upfront premium financed (1) or paid by sponsors (0)",
        unit="1 = financed",
        fmt="int",
    )
    acc = c.input(
        "accelerated",
        1.0 if g.payout == "accelerated" else 0.0,
        "Payout: accelerated balance (1) or missed instalments (0)",
        unit="1 = accelerated",
        fmt="int",
    )
    c.input("recovery_rate", g.recovery_rate, "Recovery rate", unit="of what is never paid (workout)")
    lag_y = c.input(
        "recovery_lag",
        g.recovery_lag_years,
        "Workout recovery lag after the end of the model (present values)",
        unit="years",
        fmt="number",
    )
    c.input(
        "claims_waiting",
        g.claims_waiting_months,
        "Claims waiting period (structure: the number of waiting rows; change it in the scenario and re-run)",
        unit="months",
        fmt="int",
    )
    c.input(
        "waiting_interest",
        1.0 if g.waiting_interest else 0.0,
        "Interest on claims for the waiting period paid by the cover (1) or borne by the lenders (0)",
        unit="1 = paid",
        fmt="int",
    )
    if g.kind == "eca_cover" and category is not None:
        hor = b.scenario.timeline.construction_years / 2 + (f.facility.maturity_years - f.facility.grace_years)
        mpr = minimum_premium_upfront(category, horizon_years=hor, cover_share=max(com, pol))
        if mpr == mpr:  # not NaN
            c.input(
                "mpr_indicative",
                mpr,
                f"Indicative OECD minimum premium, category {category}, horizon {hor:g} years (information)",
                unit="of principal, upfront",
                source=cover_source("premium", "mpr_coefficients"),
            )
    return _Terms(c_sh, p_sh, up_r, run_r, fin, acc, lag_y)


def _exposure(b: Builder, c: Cover, f: FacilitySpec, t: _Terms) -> tuple[Ref, Ref]:
    """Rows ``max_share``, ``share`` [fraction, per period], ``outstanding``, ``exposure`` [currency, per
    period]; registers the cover for the lenders' ledger. Returns (max share, exposure)."""
    p = c.p
    mx = c.row("max_share", Max(t.commercial, t.political), "maximum cover share", unit="fraction", fmt="pct")
    prev_def = Prev("defaulted")
    share = c.row(
        "share",
        If(R("political_cause"), t.political, t.commercial),
        "cover share applying (cause of default)",
        unit="fraction",
        total=False,
        fmt="pct",
    )
    wait = waiting_periods(c.g.claims_waiting_months, b.scenario.timeline.periods_per_year)
    b.loan_covers[f.facility.name] = LoanCover(
        c.g.name, p, f"{p}_share", f"in_{p}_accelerated", f"in_{p}_recovery_rate", wait, f"in_{p}_waiting_interest"
    )
    c.row(
        "outstanding",
        (1 - prev_def) * (R(f.n("opening")) + R(f.n("draw")) + R(f.n("interest")))
        + prev_def * (1 - t.accelerated) * revalued(f, Prev(f.n("contract_close"))) * (1 + R(f.n("period_rate"))),
        "covered debt outstanding (balance + interest; after default the performing balance, Ledgers)",
        total=False,
    )
    expo = If(prev_def, share, mx) * R(f"{p}_outstanding")
    what = "exposure (cover share x outstanding"
    if wait:  # claims still waiting (Ledgers), grown to this period as the claims are
        grow = 1 + R(f"in_{p}_waiting_interest") * R(f.n("period_rate"))
        expo = expo + Sum([Prev(f.n(f"claim_wait{j}")) for j in range(wait)]) * grow
        what += " + claims still waiting"
    expo = c.row("exposure", expo, what + ")", total=False)
    return mx, expo


def _premiums(b: Builder, c: Cover, f: FacilitySpec, t: _Terms, mx: Ref, lines: Lines) -> Ref:
    """Premium rows [currency, per period]: upfront and running premium paid, the guarantor's premium income, its
    financed, sponsors' and operations parts (declared in ``lines``), the cash from the project; the premium's
    line of ``debt_premiums``. Returns the premium income row."""
    p, P = c.p, b.model.ref("in_periods_per_year")
    prev_def = Prev("defaulted")
    amount = commitment(b, f)
    c.row("upfront_premium_paid", R("period").eq(1) * t.upfront * mx * amount, "upfront premium")
    c.row("running_premium_paid", (1 - prev_def) * t.running / P * mx * R(f.n("opening")), "running premium")
    prem = c.row(
        "premium", R(f"{p}_upfront_premium_paid") + R(f"{p}_running_premium_paid"), "premium income of the guarantor"
    )
    lines.funded.append(
        c.row(
            "premium_financed",
            R(f"{p}_upfront_premium_paid") * t.financed + R("construction_flag") * R(f"{p}_running_premium_paid"),
            "premium financed (upfront if financed, running during construction): a use of funds",
        )
    )
    lines.sponsor.append(
        -c.row(
            "premium_sponsors",
            R(f"{p}_upfront_premium_paid") * (1 - t.financed),
            "upfront premium paid by the sponsors",
        )
    )
    ops_prem = c.row(
        "premium_operations",
        R("operation_flag") * R(f"{p}_running_premium_paid"),
        "running premium paid from CFADS (operations; expensed for tax)",
    )
    lines.cfads.append(-ops_prem)
    lines.expensed.append(ops_prem)
    lines.project_cash.append(c.row("from_project", prem, "net cash from the project and sponsors (premiums)"))
    b.contribute(
        "debt_premiums",
        f"{p}_premium_in_cost",
        prem,
        f"{c.g.name}: premium (upfront + running) for the cover of {f.facility.name}",
        owner="guarantees",
        facility=f.p,
    )
    return prem


def _guarantor_ledger(b: Builder, c: Cover, f: FacilitySpec, t: _Terms, mx: Ref, prem: Ref, expo: Ref) -> None:
    """The guarantor's ledger [currency, per period]: claims and recoveries (from the Ledgers sheet), net cost,
    discounted premium and net cost, the discounted covered balance [currency x years], the claim headroom and
    claims outside a default (both checked)."""
    P = b.model.ref("in_periods_per_year")
    dr = b.model.ref("in_guarantee_discount_rate")
    claim = c.row("claim", R(f.n("claim")), f"claims paid to the lenders of {f.facility.name} (Ledgers)")
    rec_g = c.row(
        "recovery",
        R(f.n("to_guarantor")) + R(f.n("workout_guarantor")),
        "recoveries: project payments under subrogation + workout (Ledgers)",
    )
    c.row("net_cost_cf", claim - rec_g - prem, "net cost to the guarantor (claims - recoveries - premiums)")
    c.row("premium_pv_row", prem * R("guarantee_df"), "discounted premium")
    c.row(
        "net_cost_pv_row",
        (claim - R(f.n("to_guarantor")) - prem) * R("guarantee_df")
        - R(f.n("workout_guarantor")) * R("guarantee_df") * (1 + dr) ** (-t.recovery_lag),
        "discounted net cost (workout recoveries discounted by the recovery lag further)",
    )
    c.row(
        "covered_balance_pv_row",
        (1 - Prev("defaulted")) * mx * R(f.n("opening")) / P * R("guarantee_df"),
        "discounted covered balance x period length (for the annual premium equivalent)",
        unit=f"{b.cur} x years",
    )
    c.row("claim_headroom", expo - claim, "cover x exposure - claim (never negative)", total=False)
    c.row("claim_untriggered", claim * Not(R("defaulted")), "claims outside a default (always 0)")


def _outputs(b: Builder, c: Cover, f: FacilitySpec, lines: Lines) -> None:
    """The cover's outputs [currency]: peak exposure, premiums and their PV, claims, recoveries, net cost and its
    PV, the lenders' loss after cover; the premium as an annual rate [per year]; for an ECA cover with an
    uncovered margin, the margin difference [per year]."""
    p, g = c.p, c.g
    c.output("peak_exposure", Agg("MAX", f"{p}_exposure"), "peak exposure")
    c.output("premiums", Total(f"{p}_premium"), "premium income")
    c.output("premium_pv", Total(f"{p}_premium_pv_row"), "PV of premium income")
    c.output("claims", Total(f"{p}_claim"), "claims paid")
    c.output("recoveries", Total(f"{p}_recovery"), "recoveries to the guarantor")
    c.output("net_cost", Total(f"{p}_net_cost_cf"), "net cost to the guarantor (negative = surplus)")
    c.output("net_cost_pv", Total(f"{p}_net_cost_pv_row"), "PV of the net cost to the guarantor")
    c.output("lender_loss", R(f.n("lender_loss")), "lenders' loss after cover (Ledgers)")
    covered = Total(f"{p}_covered_balance_pv_row")
    c.output(
        "premium_annual_equivalent",
        If(covered > 0, b.model.ref(f"{p}_premium_pv") / Total(f"{p}_covered_balance_pv_row"), 0),
        "premium as an annual rate on the covered balance (PV basis)",
        unit="per year",
        fmt="pct",
    )
    if g.kind == "eca_cover" and g.uncovered_margin is not None:
        um = c.input("uncovered_margin", g.uncovered_margin, "Margin of an uncovered tranche", unit="per year")
        c.output(
            "margin_difference",
            um - b.model.ref(f.i("margin")),
            "margin difference: uncovered tranche - covered facility",
            unit="per year",
            fmt="pct",
        )
    lines.losses.append(b.model.ref(f"{p}_lender_loss"))
    lines.recoveries.append(b.model.ref(f"{p}_recoveries"))
