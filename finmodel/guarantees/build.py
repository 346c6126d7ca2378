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
  (:mod:`finmodel.ledgers`): claims only on what the project did not pay (instalment cover: the covered share of
  the unpaid part of each instalment; accelerated cover: the covered share of the balance at acceleration);
  project payments after a claim go to the guarantor under subrogation until it has recovered its claims; the
  recovery rate applies only to what the project never pays by the end of the model. The guarantor's ledger
  here: premiums, claims, recoveries, net cost.

Premiums and fees (and where each goes: declared lines of the shared totals, ``finmodel.totals``)
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

import dataclasses

from finmodel.checks import add_check, tolerance
from finmodel.guarantees.data import cover_source, cover_value, minimum_premium_upfront
from finmodel.rows import Agg, Const, Func, If, LeadSum, Max, Not, Prev, Sum, Total
from finmodel.timeline import R

SHEET = "Guarantees"
OUT = "Outputs"


def _flags(years, b) -> list[float]:
    """1.0 in every period of the listed model years."""
    ppy = b.scenario.timeline.periods_per_year
    ys = set(years)
    return [1.0 if (t // ppy) + 1 in ys else 0.0 for t in range(b.periods)]


@dataclasses.dataclass(frozen=True)
class LoanCover:
    """The terms of a loan cover that the covered facility's lenders' ledger reads (model names)."""

    name: str
    prefix: str
    share: str  # row: cover share applying (cause of default)
    accelerated: str  # input: 1 = accelerated payout
    recovery_rate: str  # input


def build(b) -> None:
    """Add the Guarantees sheet (if the scenario has a ``guarantees`` block)."""
    sc = b.scenario
    covers = list(sc.guarantees or [])
    if not covers:
        return
    m, cur = b.model, b.cur
    P = m.ref("in_periods_per_year")
    tol = tolerance(b)
    period = R("period")

    def add(name, expr, label, *, unit=cur, total=True, fmt="money", section="Default"):
        return m.add(name, expr, SHEET, label, unit=unit, total=total, fmt=fmt, section=section)

    def out(name, expr, label, unit=cur, fmt="money"):
        return m.add(name, expr, OUT, label, unit=unit, fmt=fmt, section="Guarantees")

    # --- common: events, default, discounting -------------------------------------------------------
    years = sorted({y for g in covers for y in getattr(g, "political_event_years", None) or []})
    ev = m.add_input(
        "in_political_event",
        _flags(years, b),
        "Political event (expropriation, transfer restriction)",
        kind="series",
        unit="1 = event",
        group="Guarantees",
        fmt="flag",
        source=f"scenario political_event_years {years or 'none'}; Monte Carlo: hazard by OECD category "
        "(cover.yaml political_hazard)",
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
    s = "Default"
    add("political_event_flag", ev * 1, "Political event flag", unit="flag", fmt="flag", section=s)
    add(
        "political_cause",
        Max(Prev("political_cause"), R("default_start") * R("political_event_flag")),
        "Default began with a political event",
        unit="flag",
        fmt="flag",
        total=False,
        section=s,
    )
    add(
        "guarantee_df",
        (1 + dr) ** (-period / P),
        "Discount factor (from financial close)",
        unit="factor",
        fmt="factor",
        total=False,
        section=s,
    )

    funded, cfads, lost, expensed, sponsor, project_cash = [], [], [], [], [], []
    exposures, premium_pvs, claims, recoveries, net_costs, losses = [], [], [], [], [], []
    fac_by_name = {f.facility.name: f for f in b.facilities}
    category = _category(sc)

    for j, g in enumerate(covers, start=1):
        p = f"g{j}"
        grp = f"Guarantee {j}: {g.name}"
        sec = g.name

        def gi(what, value, label, unit="fraction", fmt="pct", source="", kind="scalar", p=p, grp=grp):
            return m.add_input(f"in_{p}_{what}", value, label, kind=kind, unit=unit, group=grp, fmt=fmt, source=source)

        def ga(what, expr, label, unit=cur, total=True, fmt="money", p=p, g=g, sec=sec):
            return m.add(f"{p}_{what}", expr, SHEET, f"{g.name}: {label}", unit=unit, total=total, fmt=fmt, section=sec)

        def go(what, expr, label, unit=cur, fmt="money", p=p, g=g):
            return out(f"{p}_{what}", expr, f"{g.name}: {label}", unit=unit, fmt=fmt)

        if g.kind in ("eca_cover", "partial_risk_guarantee"):
            f = fac_by_name[g.facility]
            if g.kind == "eca_cover":
                com, pol = g.commercial_share, g.political_share
                up = g.premium_rate if g.premium_basis == "upfront" else 0.0
                run = g.premium_rate if g.premium_basis == "running" else 0.0
                financed = 1.0 if g.premium_financed else 0.0
                what = f"{g.insurer} {'special' if g.special_account else 'ordinary'} account"
            else:
                com = g.share if g.risks == "all" else 0.0
                pol = g.share
                up, run, financed = g.upfront_fee, g.fee, 1.0
                what = f"{g.guarantor} guarantee, risks: {g.risks}"
            c_sh = gi("commercial_share", com, f"Commercial cover share ({what})")
            p_sh = gi("political_share", pol, "Political cover share")
            up_r = gi("upfront_premium", up, "Upfront premium", unit="of covered principal")
            run_r = gi("running_premium", run, "Running premium", unit="per year on covered balance")
            fin = gi(
                "premium_financed",
                financed,
                "Upfront premium financed (1) or paid by sponsors (0)",
                unit="1 = financed",
                fmt="int",
            )
            acc = gi(
                "accelerated",
                1.0 if g.payout == "accelerated" else 0.0,
                "Payout: accelerated balance (1) or missed instalments (0)",
                unit="1 = accelerated",
                fmt="int",
            )
            gi("recovery_rate", g.recovery_rate, "Recovery rate", unit="of what is never paid (workout)")
            lag_y = gi(
                "recovery_lag",
                g.recovery_lag_years,
                "Workout recovery lag after the end of the model (present values)",
                unit="years",
                fmt="number",
            )
            if g.kind == "eca_cover" and category is not None:
                hor = sc.timeline.construction_years / 2 + (f.facility.maturity_years - f.facility.grace_years)
                mpr = minimum_premium_upfront(category, horizon_years=hor, cover_share=max(com, pol))
                if mpr == mpr:  # not NaN
                    gi(
                        "mpr_indicative",
                        mpr,
                        f"Indicative OECD minimum premium, category {category}, horizon {hor:g} years (information)",
                        unit="of principal, upfront",
                        source=cover_source("premium", "mpr_coefficients"),
                    )
            amount = m.ref(f.i("amount"))
            mx = ga("max_share", Max(c_sh, p_sh), "maximum cover share", unit="fraction", fmt="pct")
            prev_def = Prev("defaulted")
            share = ga(
                "share",
                If(R("political_cause"), p_sh, c_sh),
                "cover share applying (cause of default)",
                unit="fraction",
                total=False,
                fmt="pct",
            )
            b.loan_covers[f.facility.name] = LoanCover(
                g.name, p, f"{p}_share", f"in_{p}_accelerated", f"in_{p}_recovery_rate"
            )
            ga(
                "outstanding",
                (1 - prev_def) * (R(f.n("opening")) + R(f.n("draw")) + R(f.n("interest")))
                + prev_def * (1 - acc) * Prev(f.n("contract_close")) * (1 + R(f.n("period_rate"))),
                "covered debt outstanding (balance + interest; after default the performing balance, Ledgers)",
                total=False,
            )
            expo = ga(
                "exposure",
                If(prev_def, share, mx) * R(f"{p}_outstanding"),
                "exposure (cover share x outstanding)",
                total=False,
            )
            ga("upfront_premium_paid", period.eq(1) * up_r * mx * amount, "upfront premium")
            ga("running_premium_paid", (1 - prev_def) * run_r / P * mx * R(f.n("opening")), "running premium")
            prem = ga(
                "premium",
                R(f"{p}_upfront_premium_paid") + R(f"{p}_running_premium_paid"),
                "premium income of the guarantor",
            )
            funded.append(
                ga(
                    "premium_financed",
                    R(f"{p}_upfront_premium_paid") * fin + R("construction_flag") * R(f"{p}_running_premium_paid"),
                    "premium financed (upfront if financed, running during construction): a use of funds",
                )
            )
            sponsor.append(
                -ga(
                    "premium_sponsors",
                    R(f"{p}_upfront_premium_paid") * (1 - fin),
                    "upfront premium paid by the sponsors",
                )
            )
            ops_prem = ga(
                "premium_operations",
                R("operation_flag") * R(f"{p}_running_premium_paid"),
                "running premium paid from CFADS (operations; expensed for tax)",
            )
            cfads.append(-ops_prem)
            expensed.append(ops_prem)
            project_cash.append(ga("from_project", prem, "net cash from the project and sponsors (premiums)"))
            b.contribute(
                "debt_premiums",
                f"{p}_premium_in_cost",
                prem,
                f"{g.name}: premium (upfront + running) for the cover of {f.facility.name}",
                owner="guarantees",
                facility=f.p,
            )
            claim = ga("claim", R(f.n("claim")), f"claims paid to the lenders of {f.facility.name} (Ledgers)")
            rec_g = ga(
                "recovery",
                R(f.n("to_guarantor")) + R(f.n("workout_guarantor")),
                "recoveries: project payments under subrogation + workout (Ledgers)",
            )
            ga("net_cost_cf", claim - rec_g - prem, "net cost to the guarantor (claims - recoveries - premiums)")
            ga("premium_pv_row", prem * R("guarantee_df"), "discounted premium")
            ga(
                "net_cost_pv_row",
                (claim - R(f.n("to_guarantor")) - prem) * R("guarantee_df")
                - R(f.n("workout_guarantor")) * R("guarantee_df") * (1 + dr) ** (-lag_y),
                "discounted net cost (workout recoveries discounted by the recovery lag further)",
            )
            ga(
                "covered_balance_pv_row",
                (1 - prev_def) * mx * R(f.n("opening")) / P * R("guarantee_df"),
                "discounted covered balance x period length (for the annual premium equivalent)",
                unit=f"{cur} x years",
            )
            ga("claim_headroom", expo - claim, "cover x exposure - claim (never negative)", total=False)
            ga("claim_untriggered", claim * Not(R("defaulted")), "claims outside a default (always 0)")
            go("peak_exposure", Agg("MAX", f"{p}_exposure"), "peak exposure")
            go("premiums", Total(f"{p}_premium"), "premium income")
            go("premium_pv", Total(f"{p}_premium_pv_row"), "PV of premium income")
            go("claims", Total(f"{p}_claim"), "claims paid")
            go("recoveries", Total(f"{p}_recovery"), "recoveries to the guarantor")
            go("net_cost", Total(f"{p}_net_cost_cf"), "net cost to the guarantor (negative = surplus)")
            go("net_cost_pv", Total(f"{p}_net_cost_pv_row"), "PV of the net cost to the guarantor")
            go("lender_loss", R(f.n("lender_loss")), "lenders' loss after cover (Ledgers)")
            go(
                "premium_annual_equivalent",
                If(
                    Total(f"{p}_covered_balance_pv_row") > 0,
                    m.ref(f"{p}_premium_pv") / Total(f"{p}_covered_balance_pv_row"),
                    0,
                ),
                "premium as an annual rate on the covered balance (PV basis)",
                unit="per year",
                fmt="pct",
            )
            if g.kind == "eca_cover" and g.uncovered_margin is not None:
                um = gi("uncovered_margin", g.uncovered_margin, "Margin of an uncovered tranche", unit="per year")
                go(
                    "margin_difference",
                    um - m.ref(f.i("margin")),
                    "margin difference: uncovered tranche - covered facility",
                    unit="per year",
                    fmt="pct",
                )
            trigger = f"{p}_claim_untriggered"
            losses.append(m.ref(f"{p}_lender_loss"))
            recoveries.append(m.ref(f"{p}_recoveries"))
        elif g.kind == "performance_bond":
            cs = gi("contract_share", g.contract_share, f"Bond amount ({g.issuer})", unit="of construction contract")
            fee = gi("fee", g.fee, "Bond fee", unit="per year on the bond")
            pref = gi(
                "fee_preference",
                _sme_fee_preference(),
                "SME co-entry fee preference (SME-only contracts)",
                unit="per year",
                source="instruments.yaml sme_co_entry.performance_guarantee_fee_preference (plan 2019, confidence S)",
            )
            sme = gi("sme_contract", 1.0 if g.sme_contract else 0.0, "SME-only contract", unit="1 = yes", fmt="int")
            call = gi(
                "call",
                _flags([g.called_in_year] if g.called_in_year else [], b),
                "Bond called (contractor default)",
                unit="1 = called",
                fmt="flag",
                kind="series",
            )
            amt = ga("bond_amount", cs * Total("capex"), "bond amount")
            rate = ga("fee_rate", Max(0, fee + pref * sme), "bond fee after SME preference", unit="per year", fmt="pct")
            ga(
                "called",
                Max(Prev(f"{p}_called"), call),
                "bond called (cumulative)",
                unit="flag",
                fmt="flag",
                total=False,
            )
            expo = ga(
                "exposure",
                R("construction_flag") * amt * (1 - Prev(f"{p}_called")),
                "exposure (bond amount during construction)",
                total=False,
            )
            claim = ga("claim", expo * call, "claim paid to the project company (not in its waterfall)")
            prem = ga("premium", rate / P * expo, "fee income (paid by the contractor)")
            ga("net_cost_cf", claim - prem, "net cost to the issuer")
            ga("premium_pv_row", prem * R("guarantee_df"), "discounted fee")
            ga("claim_headroom", expo - claim, "exposure - claim (never negative)", total=False)
            ga("claim_untriggered", claim * (1 - call), "claims without a call (always 0)")
            trigger = f"{p}_claim_untriggered"
            _simple_outputs(go, p, cur)
        elif g.kind == "availability_guarantee":
            idx = next(i for i, r in enumerate(sc.revenues, start=1) if r.name == g.revenue)
            sh = gi("share", g.share, f"Share of {g.revenue} guaranteed ({g.guarantor})")
            fee = gi("fee", g.fee, "Guarantee fee", unit="of guaranteed payments")
            pdflt = gi(
                "payer_default",
                _flags(g.payer_default_years, b),
                "Payer does not pay",
                unit="1 = default",
                fmt="flag",
                kind="series",
            )
            rev = R(f"revenue{idx}")
            ppy = sc.timeline.periods_per_year
            year_ahead = rev + LeadSum(f"revenue{idx}", ppy - 1) if ppy > 1 else rev
            expo = ga(
                "exposure", sh * year_ahead, "exposure (guaranteed share of the next 12 months' payments)", total=False
            )
            claim = ga("claim", sh * rev * pdflt, "claims paid by the guarantor")
            ga("lost_revenue", rev * pdflt, "payments not made by the payer")
            prem = ga("premium", fee * sh * rev, "guarantee fee (paid by the project)")
            cfads.append(claim - prem)
            lost.append(R(f"{p}_lost_revenue"))
            expensed.append(prem)
            project_cash.append(ga("from_project", prem - claim, "net cash from the project (fees - claims)"))
            ga("net_cost_cf", claim - prem, "net cost to the guarantor")
            ga("premium_pv_row", prem * R("guarantee_df"), "discounted fee")
            ga("claim_headroom", expo - claim, "exposure - claim (never negative)", total=False)
            ga("claim_untriggered", claim * (1 - pdflt), "claims without a payer default (always 0)")
            trigger = f"{p}_claim_untriggered"
            _simple_outputs(go, p, cur)
            go("guaranteed_payments", sh * Total(f"revenue{idx}"), "guaranteed payments over the model life")
        else:  # political_risk_insurance
            sh = gi("share", g.share, f"Share of sponsor funding insured ({g.insurer})")
            rate = gi("premium_rate", g.premium_rate, "Premium", unit="per year on insured investment")
            ga(
                "claimed",
                Max(Prev(f"{p}_claimed"), R("political_event_flag")),
                "political event has occurred",
                unit="flag",
                fmt="flag",
                total=False,
            )
            expo = ga(
                "exposure",
                sh * R("equity_cum") * (1 - Prev(f"{p}_claimed")),
                "exposure (insured share of sponsor funding)",
                total=False,
            )
            claim = ga("claim", expo * R("political_event_flag"), "claims paid to the sponsors")
            prem = ga("premium", rate / P * expo, "premium (paid by the sponsors)")
            sponsor.append(claim - prem)
            project_cash.append(ga("from_project", prem - claim, "net cash from the sponsors (premiums - claims)"))
            ga("net_cost_cf", claim - prem, "net cost to the insurer")
            ga("premium_pv_row", prem * R("guarantee_df"), "discounted premium")
            ga("claim_headroom", expo - claim, "exposure - claim (never negative)", total=False)
            ga("claim_untriggered", claim * (1 - R("political_event_flag")), "claims without an event (always 0)")
            trigger = f"{p}_claim_untriggered"
            _simple_outputs(go, p, cur)
        exposures.append(R(f"{p}_exposure"))
        premium_pvs.append(m.ref(f"{p}_premium_pv"))
        claims.append(m.ref(f"{p}_claims"))
        net_costs.append(m.ref(f"{p}_net_cost"))
        add_check(
            b,
            f"check_{p}_claims_within_cover",
            Agg("MIN", f"{p}_claim_headroom") > -tol,
            f"{g.name}: claims never exceed cover x exposure",
        )
        add_check(
            b,
            f"check_{p}_premiums_non_negative",
            Agg("MIN", f"{p}_premium") > -tol,
            f"{g.name}: premiums never negative",
        )
        add_check(
            b,
            f"check_{p}_claims_triggered",
            Func("ABS", Total(trigger)) < tol,
            f"{g.name}: no claim without a default or covered event",
        )

    s = "Totals"
    add("guarantee_exposure", Sum(exposures), "Exposure of all guarantors", total=False, section=s)
    out("guarantee_peak_exposure", Agg("MAX", "guarantee_exposure"), "Peak exposure of all guarantors")
    out("guarantee_premium_pv", _sum(premium_pvs), "PV of premium and fee income of all guarantors")
    out("guarantee_claims", _sum(claims), "Claims paid by all guarantors")
    out("guarantee_recoveries", _sum(recoveries), "Recoveries to the guarantors")
    out("guarantee_net_cost", _sum(net_costs), "Net cost to the guarantors (claims - recoveries - premiums)")
    out("lender_loss_after_cover", _sum(losses), "Lenders' loss after cover (covered facilities)")
    # the lines this module adds to the shared totals (finmodel.totals); each is a row of the total's sheet
    for total, line, items, label in (
        ("uses", "premiums_financed", funded, "Guarantee and insurance premiums (financed)"),
        (
            "cfads",
            "cfads_guarantee_cash",
            cfads,
            "Guarantee cash in operations (availability claims - fees - running premiums)",
        ),
        ("cfads", "cfads_lost_payments", [-x for x in lost], "Availability payments not made by the payer"),
        ("tax_deductions", "premiums_expensed", expensed, "Guarantee premiums and fees paid in operations (expensed)"),
        (
            "equity_cf",
            "equity_guarantee_cash",
            sponsor,
            "Guarantee cash to sponsors (PRI claims - premiums, upfront premiums not financed)",
        ),
    ):
        if items:
            b.contribute(total, line, Sum(items), label, owner="guarantees")
    # read back from the totals as their owners built them (not from the list above): a line left out fails it
    extra_uses = Total("uses") - _sum(
        [Total(n) for n in ("capex_use", "upfront_fees", "commitment_fees", "idc", "dsra_initial")]
    )
    extra_cfads = Total("cfads") - Total("ebitda") + Total("tax") + _sum([Total(x.name) for x in lost])
    extra_equity = Total("equity_cf") - Total("cash_to_equity") + Total("equity_funding")
    add_check(
        b,
        "check_guarantee_cash_declared",
        Func("ABS", _sum([Total(x.name) for x in project_cash]) - (extra_uses - extra_cfads - extra_equity)) < tol,
        "Cash from the project and its sponsors to the guarantors = what uses, CFADS and the equity flows "
        "carry beyond their own lines",
    )


def _sum(items):
    if not items:
        return Const(0.0)
    out = items[0]
    for x in items[1:]:
        out = out + x
    return out


def _simple_outputs(go, p, cur):
    go("peak_exposure", Agg("MAX", f"{p}_exposure"), "peak exposure")
    go("premiums", Total(f"{p}_premium"), "premium / fee income")
    go("premium_pv", Total(f"{p}_premium_pv_row"), "PV of premium / fee income")
    go("claims", Total(f"{p}_claim"), "claims paid")
    go("net_cost", Total(f"{p}_net_cost_cf"), "net cost to the guarantor (negative = surplus)")


def _sme_fee_preference() -> float:
    from finmodel.blending.terms import preset

    return float(preset("sme_co_entry")["performance_guarantee_fee_preference"])


def _category(sc) -> int | None:
    from finmodel.countries import get_country

    c = get_country(sc.project.country, dict(sc.project.country_overrides) if sc.project.country_overrides else None)
    return None if c is None else c.oecd_risk_category
