"""The Guarantees sheet: cover, premiums, exposure, default claims, recoveries and losses, rows defined once.

Default (stated once)
---------------------
* A **payment default** happens in the first period in which senior debt service cannot be paid after the
  DSRA (``senior_shortfall > 0``); a **political event** (expropriation, transfer restriction: the per-period
  input ``in_political_event``, 0/1) is a covered event too. ``defaulted`` (Waterfall sheet) is permanent:
  1 from the first of either to the end of the model; ``default_start`` flags that period, and
  ``political_cause`` says the default began with a political event (the political share of cover applies,
  otherwise the commercial share).
* **Equity receives nothing after a default**: with a ``guarantees`` block the waterfall locks up every
  period from the default to the end of the model, the final release included; the cash stays in the project,
  where lenders' recoveries come from.
* **What lenders are owed** (``g*_owed``, the unpaid debt service), per the cover's ``payout``:
  ``instalments``: in the default period the part of that period's debt service the project did not pay,
  then every contractual instalment (``scheduled_ds``, the original schedule) as it falls due;
  ``accelerated``: the whole balance left after the default period's payments (``closing``), at once.
  The guarantor pays its share of it (``g*_claim = share x owed``).
* **Recoveries**: ``recovery_rate`` of each owed amount arrives ``recovery_lag_years`` later (amounts whose
  recovery falls after the last model period are not received); shared pro rata (subrogation) between the
  guarantor (its share) and the lenders (the uncovered part). The recovery rate stands for everything the
  creditors get after the default (the project's cash, retained cash, enforcement); the waterfall keeps
  applying the project's cash to the debt after a default, shown as ``g*_post_default_paid`` and the metric
  ``g*_cash_recovery_ratio`` to calibrate the input against.
* Lenders' loss after cover = owed - claims - lenders' recoveries, so for every cover
  ``lender loss + claims - guarantor recoveries = unpaid debt service - recoveries`` (the part never recovered
  is borne by the lenders and the guarantor; with no recoveries: lender loss + claims = unpaid debt service).

Premiums and fees
-----------------
Loan covers: upfront [fraction of the covered principal = max(commercial, political share) x commitment] at
financial close, financed (a use of funds: the ``uses`` row) or paid by the sponsors (``equity_cf``); running
[per year on the covered balance at the start of the period] while not in default: capitalised during
construction (``uses``), paid from CFADS in operations (``cfads``; not tax-deductible in this model).
Performance bonds: fee on the bond amount during construction, paid by the contractor (no project cash flow).
Availability guarantees: fee on the guaranteed payments, paid from CFADS. Political risk insurance: premium on
the insured investment, paid by the sponsors. Every premium is the guarantor's income.

Cash effects on the project: only through three rows of other sheets, each amended here by one added term
(visible in their formulas): ``uses`` + ``guarantee_funded_cost``, ``cfads`` + ``guarantee_cfads``,
``equity_cf`` + ``guarantee_sponsor_cf``. Scenarios without guarantees are untouched.
"""

from __future__ import annotations

from finmodel.checks import add_check, tolerance
from finmodel.errors import FinmodelError
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


def _amend(m, name: str, extra, note: str) -> None:
    """Add a term to a row defined by another module (its formula shows the added reference)."""
    row = m.rows.get(name)
    if row is None:
        raise FinmodelError(f"guarantees: expected a row {name!r} to amend, found none")
    row.expr = row.expr + extra
    row.label = f"{row.label} {note}"
    m._plan, m._compiled = None, {}


def build(b) -> None:
    """Add the Guarantees sheet (if the scenario has a ``guarantees`` block)."""
    sc = b.scenario
    covers = list(getattr(sc, "guarantees", None) or [])
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
    years = sorted({y for g in covers for y in getattr(g, "political_event_years", [])})
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
    add("default_start", R("defaulted") - Prev("defaulted"), "First period of default", unit="flag", fmt="flag",
        section=s)
    add(
        "political_cause",
        Max(Prev("political_cause"), R("default_start") * R("political_event_flag")),
        "Default began with a political event",
        unit="flag",
        fmt="flag",
        total=False,
        section=s,
    )
    add("guarantee_df", (1 + dr) ** (-period / P), "Discount factor (from financial close)", unit="factor",
        fmt="factor", total=False, section=s)

    funded, cfads, sponsor = [], [], []
    exposures, premium_pvs, claims, recoveries, net_costs, losses = [], [], [], [], [], []
    fac_by_name = {f.facility.name: f for f in b.facilities}
    category = _category(sc)

    for j, g in enumerate(covers, start=1):
        p = f"g{j}"
        grp = f"Guarantee {j}: {g.name}"
        sec = g.name

        def gi(what, value, label, unit="fraction", fmt="pct", source="", kind="scalar", p=p, grp=grp):
            return m.add_input(f"in_{p}_{what}", value, label, kind=kind, unit=unit, group=grp, fmt=fmt,
                               source=source)

        def ga(what, expr, label, unit=cur, total=True, fmt="money", p=p, g=g, sec=sec):
            return m.add(f"{p}_{what}", expr, SHEET, f"{g.name}: {label}", unit=unit, total=total, fmt=fmt,
                         section=sec)

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
            fin = gi("premium_financed", financed, "Upfront premium financed (1) or paid by sponsors (0)",
                     unit="1 = financed", fmt="int")
            acc = gi("accelerated", 1.0 if g.payout == "accelerated" else 0.0,
                     "Payout: accelerated balance (1) or missed instalments (0)", unit="1 = accelerated", fmt="int")
            rr = gi("recovery_rate", g.recovery_rate, "Recovery rate", unit="of unpaid debt service")
            lag = int(round(g.recovery_lag_years * sc.timeline.periods_per_year))
            gi("recovery_lag", g.recovery_lag_years, "Recovery lag (structural: change in the scenario and re-run)",
               unit="years", fmt="number")
            if g.kind == "eca_cover" and category is not None:
                hor = sc.timeline.construction_years / 2 + (f.facility.maturity_years - f.facility.grace_years)
                mpr = minimum_premium_upfront(category, horizon_years=hor, cover_share=max(com, pol))
                if mpr == mpr:  # not NaN
                    gi("mpr_indicative", mpr, f"Indicative OECD minimum premium, category {category}, "
                       f"horizon {hor:g} years (information)", unit="of principal, upfront",
                       source=cover_source("premium", "mpr_coefficients"))
            amount = m.ref(f.i("amount"))
            mx = ga("max_share", Max(c_sh, p_sh), "maximum cover share", unit="fraction", fmt="pct")
            prev_def = Prev("defaulted")
            share = ga("share", If(R("political_cause"), p_sh, c_sh), "cover share applying (cause of default)",
                       unit="fraction", total=False, fmt="pct")
            ga("outstanding",
               (1 - prev_def) * (R(f.n("opening")) + R(f.n("draw")) + R(f.n("interest")))
               + prev_def * (1 - acc) * Prev(f.n("scheduled_balance")) * (1 + R(f.n("period_rate"))),
               "covered debt outstanding (balance + interest; after default the contractual balance)", total=False)
            expo = ga("exposure", If(prev_def, share, mx) * R(f"{p}_outstanding"),
                      "exposure (cover share x outstanding)", total=False)
            ga("upfront_premium_paid", period.eq(1) * up_r * mx * amount, "upfront premium")
            ga("running_premium_paid", (1 - prev_def) * run_r / P * mx * R(f.n("opening")), "running premium")
            prem = ga("premium", R(f"{p}_upfront_premium_paid") + R(f"{p}_running_premium_paid"),
                      "premium income of the guarantor")
            funded.append(
                R(f"{p}_upfront_premium_paid") * fin + R("construction_flag") * R(f"{p}_running_premium_paid")
            )
            sponsor.append(-R(f"{p}_upfront_premium_paid") * (1 - fin))
            cfads.append(-R("operation_flag") * R(f"{p}_running_premium_paid"))
            ga("due", R(f.n("interest_due")) + R(f.n("principal_due")), "debt service due")
            ga("paid", R(f.n("interest_paid")) + R(f.n("principal_paid")), "debt service paid by the project")
            owed = ga(
                "owed",
                (1 - acc) * (R("default_start") * (R(f"{p}_due") - R(f"{p}_paid")) + prev_def * R(f.n("scheduled_ds")))
                + acc * R("default_start") * R(f.n("closing")),
                "unpaid debt service owed to lenders (per payout terms)",
            )
            claim = ga("claim", share * owed, "claims paid by the guarantor")
            src = f"{p}_owed"
            for k in range(1, lag + 1):
                ga(f"owed_lag{k}", Prev(src), f"unpaid debt service {k} period(s) earlier")
                src = f"{p}_owed_lag{k}"
            rec = ga("recovery", rr * R(src), "recoveries (recovery rate x unpaid debt service, lagged)")
            rec_g = ga("recovery_guarantor", share * rec, "recoveries to the guarantor (subrogation, pro rata)")
            ga("recovery_lenders", rec - rec_g, "recoveries to the lenders")
            ga("lender_loss_cf", owed - claim - R(f"{p}_recovery_lenders"), "lenders' loss after cover")
            ga("net_cost_cf", claim - rec_g - prem, "net cost to the guarantor (claims - recoveries - premiums)")
            ga("post_default_paid", prev_def * R(f"{p}_paid"), "debt service the project paid after the default")
            ga("premium_pv_row", prem * R("guarantee_df"), "discounted premium")
            ga("net_cost_pv_row", R(f"{p}_net_cost_cf") * R("guarantee_df"), "discounted net cost")
            ga("covered_balance_pv_row", (1 - prev_def) * mx * R(f.n("opening")) / P * R("guarantee_df"),
               "discounted covered balance x period length (for the annual premium equivalent)", unit=f"{cur} x years")
            ga("claim_headroom", expo - claim, "cover x exposure - claim (never negative)", total=False)
            ga("claim_untriggered", claim * Not(R("defaulted")), "claims outside a default (always 0)")
            go("peak_exposure", Agg("MAX", f"{p}_exposure"), "peak exposure")
            go("premiums", Total(f"{p}_premium"), "premium income")
            go("premium_pv", Total(f"{p}_premium_pv_row"), "PV of premium income")
            go("claims", Total(f"{p}_claim"), "claims paid")
            go("recoveries", Total(f"{p}_recovery_guarantor"), "recoveries to the guarantor")
            go("net_cost", Total(f"{p}_net_cost_cf"), "net cost to the guarantor (negative = surplus)")
            go("net_cost_pv", Total(f"{p}_net_cost_pv_row"), "PV of the net cost to the guarantor")
            go("unpaid_debt_service", Total(f"{p}_owed"), "unpaid debt service of the covered facility")
            go("lender_loss", Total(f"{p}_lender_loss_cf"), "lenders' loss after cover")
            go("premium_annual_equivalent",
               If(Total(f"{p}_covered_balance_pv_row") > 0,
                  m.ref(f"{p}_premium_pv") / Total(f"{p}_covered_balance_pv_row"), 0),
               "premium as an annual rate on the covered balance (PV basis)", unit="per year", fmt="pct")
            go("cash_recovery_ratio",
               If(m.ref(f"{p}_unpaid_debt_service") > 0,
                  Total(f"{p}_post_default_paid") / m.ref(f"{p}_unpaid_debt_service"), 0),
               "debt service paid by the project after default / unpaid debt service (to calibrate recovery_rate)",
               unit="fraction", fmt="pct")
            if g.kind == "eca_cover" and g.uncovered_margin is not None:
                um = gi("uncovered_margin", g.uncovered_margin, "Margin of an uncovered tranche", unit="per year")
                go("margin_difference", um - m.ref(f.i("margin")),
                   "margin difference: uncovered tranche - covered facility", unit="per year", fmt="pct")
            add_check(b, f"check_{p}_loss_identity",
                      Func("ABS", m.ref(f"{p}_lender_loss") + m.ref(f"{p}_claims") - m.ref(f"{p}_recoveries")
                           - (m.ref(f"{p}_unpaid_debt_service") - Total(f"{p}_recovery"))) < tol,
                      f"{g.name}: lender loss + claims - guarantor recoveries = unpaid debt service - recoveries")
            trigger = f"{p}_claim_untriggered"
            losses.append(m.ref(f"{p}_lender_loss"))
            recoveries.append(m.ref(f"{p}_recoveries"))
        elif g.kind == "performance_bond":
            cs = gi("contract_share", g.contract_share, f"Bond amount ({g.issuer})", unit="of construction contract")
            fee = gi("fee", g.fee, "Bond fee", unit="per year on the bond")
            pref = gi("fee_preference", _sme_fee_preference(), "SME co-entry fee preference (SME-only contracts)",
                      unit="per year", source="instruments.yaml sme_co_entry.performance_guarantee_fee_preference "
                      "(plan 2019, confidence S)")
            sme = gi("sme_contract", 1.0 if g.sme_contract else 0.0, "SME-only contract", unit="1 = yes", fmt="int")
            call = gi("call", _flags([g.called_in_year] if g.called_in_year else [], b), "Bond called (contractor "
                      "default)", unit="1 = called", fmt="flag", kind="series")
            amt = ga("bond_amount", cs * Total("capex"), "bond amount")
            rate = ga("fee_rate", Max(0, fee + pref * sme), "bond fee after SME preference", unit="per year", fmt="pct")
            ga("called", Max(Prev(f"{p}_called"), call), "bond called (cumulative)", unit="flag", fmt="flag",
               total=False)
            expo = ga("exposure", R("construction_flag") * amt * (1 - Prev(f"{p}_called")), "exposure (bond amount "
                      "during construction)", total=False)
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
            pdflt = gi("payer_default", _flags(g.payer_default_years, b), "Payer does not pay", unit="1 = default",
                       fmt="flag", kind="series")
            rev = R(f"revenue{idx}")
            ppy = sc.timeline.periods_per_year
            year_ahead = rev + LeadSum(f"revenue{idx}", ppy - 1) if ppy > 1 else rev
            expo = ga("exposure", sh * year_ahead, "exposure (guaranteed share of the next 12 months' payments)",
                      total=False)
            claim = ga("claim", sh * rev * pdflt, "claims paid by the guarantor")
            ga("lost_revenue", rev * pdflt, "payments not made by the payer")
            prem = ga("premium", fee * sh * rev, "guarantee fee (paid by the project)")
            cfads.append(claim - R(f"{p}_lost_revenue") - prem)
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
            ga("claimed", Max(Prev(f"{p}_claimed"), R("political_event_flag")), "political event has occurred",
               unit="flag", fmt="flag", total=False)
            expo = ga("exposure", sh * R("equity_cum") * (1 - Prev(f"{p}_claimed")),
                      "exposure (insured share of sponsor funding)", total=False)
            claim = ga("claim", expo * R("political_event_flag"), "claims paid to the sponsors")
            prem = ga("premium", rate / P * expo, "premium (paid by the sponsors)")
            sponsor.append(claim - prem)
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
        add_check(b, f"check_{p}_claims_within_cover", Agg("MIN", f"{p}_claim_headroom") > -tol,
                  f"{g.name}: claims never exceed cover x exposure")
        add_check(b, f"check_{p}_premiums_non_negative", Agg("MIN", f"{p}_premium") > -tol,
                  f"{g.name}: premiums never negative")
        add_check(b, f"check_{p}_claims_triggered", Func("ABS", Total(trigger)) < tol,
                  f"{g.name}: no claim without a default or covered event")

    s = "Totals"
    add("guarantee_exposure", Sum(exposures), "Exposure of all guarantors", total=False, section=s)
    add("guarantee_funded_cost", Sum(funded), "Premiums funded as uses (financed upfront, construction running)",
        section=s)
    add("guarantee_cfads", Sum(cfads), "Guarantee cash in CFADS (availability claims - lost payments - fees, "
        "running premiums)", section=s)
    add("guarantee_sponsor_cf", Sum(sponsor), "Guarantee cash to sponsors (PRI claims - premiums, unfinanced "
        "upfront premiums)", section=s)
    out("guarantee_peak_exposure", Agg("MAX", "guarantee_exposure"), "Peak exposure of all guarantors")
    out("guarantee_premium_pv", _sum(premium_pvs), "PV of premium and fee income of all guarantors")
    out("guarantee_claims", _sum(claims), "Claims paid by all guarantors")
    out("guarantee_recoveries", _sum(recoveries), "Recoveries to the guarantors")
    out("guarantee_net_cost", _sum(net_costs), "Net cost to the guarantors (claims - recoveries - premiums)")
    out("lender_loss_after_cover", _sum(losses), "Lenders' loss after cover (covered facilities)")
    _amend(m, "uses", R("guarantee_funded_cost"), "(incl. guarantee premiums)")
    _amend(m, "cfads", R("guarantee_cfads"), "(after guarantee cash)")
    _amend(m, "equity_cf", R("guarantee_sponsor_cf"), "(incl. guarantee cash)")


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
