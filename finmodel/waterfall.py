"""Tax, CFADS and the priority of payments, one period at a time.

Order in each operating period:

1. CFADS = revenue - operating costs - lifecycle costs - tax; plus cash retained by an earlier lock-up.
2. Senior debt service (interest first, then principal, pro rata among senior facilities), helped by the
   DSRA when cash falls short. What cannot be paid is a payment default: unpaid interest is capitalised,
   unpaid principal stays due.
3. DSRA: topped up to its target (the next months of *scheduled* senior debt service) or released above it.
4. Subordinated debt service.
5. Lock-up test: historical DSCR below the lock-up ratio (or any senior shortfall) -> cash is retained.
6. Cash sweep: a fraction of the remaining cash prepays the sweep facilities pro rata to their balances.
7. Cash to sponsors: shareholder loan (interest, then principal), then dividends.

Tax: taxable income = EBITDA - depreciation - interest (senior, subordinated, shareholder loan) in
operations - the declared tax deductions (``finmodel.totals``: guarantee premiums paid in operations, expensed);
losses carried forward without limit if allowed; no tax during the holiday. Depreciation: straight line over
``depreciation_years`` from the start of operations on the capitalised cost = the uses of funds during
construction except the initial DSRA (construction cost, fees, IDC and financed premiums, which are capitalised
and amortised like upfront fees; capital grants do not reduce it).

CFADS = EBITDA - tax + the declared CFADS lines; the equity cash flow = cash to sponsors - sponsor funding +
the declared equity lines (each a visible row of its sheet, see ``finmodel.totals``).
"""

from __future__ import annotations

from finmodel.rows import And, Const, If, LeadSum, Max, Min, Not, Or, Prev, Sum
from finmodel.timeline import R
from finmodel.totals import line_rows


def build_tax(b) -> None:
    m, tx = b.model, b.scenario.tax
    P = m.ref("in_periods_per_year")
    g = "Tax"
    rate = m.add_input("in_tax_rate", tx.rate, "Corporate income tax rate", unit="fraction", group=g, fmt="pct")
    dep_years = m.add_input(
        "in_depreciation_years", tx.depreciation_years, "Depreciation life", unit="years", group=g, fmt="number"
    )
    holiday = m.add_input(
        "in_tax_holiday_years",
        tx.holiday_years,
        "Tax holiday from start of operations",
        unit="years",
        group=g,
        fmt="number",
    )
    lcf = m.add_input(
        "in_loss_carry_forward",
        1.0 if tx.loss_carry_forward else 0.0,
        "Loss carry-forward allowed",
        unit="1 = yes",
        group=g,
        fmt="int",
    )
    ops, op_period = R("operation_flag"), R("operation_period")

    def add(name, expr, label, total=True, unit=b.cur, fmt="money"):
        return m.add(name, expr, "Tax", label, unit=unit, total=total, fmt=fmt, section="Tax")

    add(
        "capitalised_cost",
        R("construction_flag") * (R("uses") - R("dsra_initial")),
        "Capitalised cost (uses during construction except the initial DSRA)",
    )
    add("depreciable_base", Prev("depreciable_base") + R("capitalised_cost"), "Depreciable base", total=False)
    add(
        "depreciation_flag",
        And(ops, op_period <= dep_years * P),
        "Depreciation period flag",
        total=False,
        unit="flag",
        fmt="flag",
    )
    add("depreciation", R("depreciation_flag") * R("depreciable_base") / (dep_years * P), "Depreciation")
    interest = R("senior_interest_due") + R("sub_interest_due")
    if b.scenario.shareholder_loan:
        interest = interest + ops * R("shl_interest")
    add("deductible_interest", interest, "Deductible interest")
    deductions = line_rows(b, "tax_deductions", add)
    add(
        "taxable_income",
        ops * (R("ebitda") - R("depreciation") - R("deductible_interest") - Sum(deductions))
        if deductions
        else ops * (R("ebitda") - R("depreciation") - R("deductible_interest")),
        "Taxable income",
    )
    add("tax_losses", lcf * Max(0, Prev("tax_losses") - R("taxable_income")), "Tax losses carried forward", total=False)
    add("taxable_after_losses", Max(0, R("taxable_income") - lcf * Prev("tax_losses")), "Taxable income after losses")
    add(
        "tax_holiday_flag", And(ops, op_period <= holiday * P), "Tax holiday flag", total=False, unit="flag", fmt="flag"
    )
    add("tax", R("taxable_after_losses") * rate * (1 - R("tax_holiday_flag")), "Tax paid")


def build_waterfall(b) -> None:
    m, sc = b.model, b.scenario
    ops = R("operation_flag")
    g = "Waterfall"
    lockup = m.add_input("in_lockup_dscr", sc.lockup_dscr, "Lock-up DSCR", unit="x", group=g, fmt="x")
    n_dsra = int(round(sc.dsra.months * sc.timeline.periods_per_year / 12))
    m.add_input(
        "in_dsra_months",
        sc.dsra.months,
        "DSRA target (structural: change in the scenario and re-run)",
        unit="months",
        group=g,
        fmt="int",
    )

    def add(name, expr, label, total=True, unit=b.cur, fmt="money", section="Waterfall"):
        return m.add(name, expr, "Waterfall", label, unit=unit, total=total, fmt=fmt, section=section)

    cf_lines = line_rows(b, "cfads", lambda n, e, lab: add(n, e, lab, section="CFADS"))
    add(
        "cfads",
        Sum([R("ebitda") - R("tax")] + cf_lines),
        "Cash flow available for debt service (CFADS)",
        section="CFADS",
    )
    add("cash_available", R("cfads") + Prev("cash_retained"), "Cash available (CFADS + retained cash)")
    # senior debt service
    add("senior_due", R("senior_interest_due") + R("senior_principal_due"), "Senior debt service due")
    # with a guarantees block a political event (expropriation, transfer restriction: finmodel.guarantees) blocks
    # every payment to the lenders while it lasts: what the project cannot transfer is unpaid (and claimable)
    covered = bool(sc.guarantees)
    open_ = (1 - R("political_event_flag")) if covered else None
    paid = Min(R("senior_due"), Max(0, R("cash_available")) + Prev("dsra_balance"))
    add(
        "senior_paid",
        paid * open_ if covered else paid,
        "Senior debt service paid" + (" (nothing during a political event)" if covered else ""),
    )
    add("senior_shortfall", R("senior_due") - R("senior_paid"), "Senior debt service unpaid (default)")
    # permanent default flag; with a guarantees block a political event is a default too, and equity receives
    # nothing from the default on (lock-up to the end, final release included)
    trigger = Or(R("senior_shortfall") > 0, R("political_event_flag")) if covered else R("senior_shortfall") > 0
    add(
        "defaulted",
        Max(Prev("defaulted"), trigger),
        "Defaulted (permanent from the first payment default or political event)",
        total=False,
        unit="flag",
        fmt="flag",
        section="Lock-up and sweep",
    )
    add(
        "dsra_draw",
        Max(0, R("senior_paid") - Max(0, R("cash_available"))),
        "DSRA drawn for senior debt service",
        section="DSRA",
    )
    _tier_ratios(add, "senior")
    add("cash_after_senior", R("cash_available") - R("senior_paid") + R("dsra_draw"), "Cash after senior debt")
    # DSRA
    target = LeadSum("senior_scheduled_ds", n_dsra) if n_dsra > 0 else Const(0.0, scalar=False)
    add(
        "dsra_target",
        (ops + R("last_construction_flag")) * target,
        "DSRA target: next months of scheduled senior debt service",
        total=False,
        section="DSRA",
    )
    add(
        "dsra_fund",
        ops * Min(Max(0, R("cash_after_senior")), Max(0, R("dsra_target") - (Prev("dsra_balance") - R("dsra_draw")))),
        "DSRA top-up from cash",
        section="DSRA",
    )
    add(
        "dsra_release",
        ops * Max(0, Prev("dsra_balance") - R("dsra_draw") - R("dsra_target")),
        "DSRA release above target",
        section="DSRA",
    )
    add(
        "dsra_balance",
        Prev("dsra_balance") + R("dsra_initial") - R("dsra_draw") + R("dsra_fund") - R("dsra_release"),
        "DSRA balance",
        total=False,
        section="DSRA",
    )
    add("cash_after_dsra", R("cash_after_senior") - R("dsra_fund") + R("dsra_release"), "Cash after DSRA")
    # subordinated debt
    add("sub_due", R("sub_interest_due") + R("sub_principal_due"), "Subordinated debt service due")
    sub = Min(R("sub_due"), Max(0, R("cash_after_dsra")))
    add("sub_paid", sub * open_ if covered else sub, "Subordinated debt service paid")
    _tier_ratios(add, "sub")
    add("cash_after_sub", R("cash_after_dsra") - R("sub_paid"), "Cash after subordinated debt")
    # lock-up
    add(
        "lockup_flag",
        ops
        * Or(
            And(R("senior_due") > 0, R("cfads") < lockup * R("senior_due")),
            R("senior_shortfall") > 0,
            *([R("defaulted")] if covered else []),
        ),
        "Lock-up flag",
        total=True,
        unit="flag",
        fmt="flag",
        section="Lock-up and sweep",
    )
    # sweep
    sweepers = b.sweep_facilities
    if sweepers:
        frac = m.add_input("in_cash_sweep", sc.cash_sweep, "Cash sweep", unit="fraction of cash", group=g, fmt="pct")
        for f in sweepers:
            m.add(
                f.n("pre_sweep"),
                R(f.n("opening")) + R(f.n("interest_due")) - R(f.n("interest_paid")) - R(f.n("principal_paid")),
                "Debt",
                f"{f.facility.name}: balance before sweep",
                unit=b.cur,
                section=f.facility.name,
            )
        pre = add(
            "sweep_base",
            Sum([R(f.n("pre_sweep")) for f in sweepers]),
            "Balances open to the sweep",
            total=False,
            section="Lock-up and sweep",
        )
        sw = Min(pre, frac * Max(0, R("cash_after_sub")))
        add("sweep", sw * open_ if covered else sw, "Cash sweep prepayment", section="Lock-up and sweep")
        for f in sweepers:
            m.add(
                f.n("sweep"),
                If(pre > 0, R("sweep") * R(f.n("pre_sweep")) / pre, 0),
                "Debt",
                f"{f.facility.name}: cash sweep prepayment",
                unit=b.cur,
                total=True,
                section=f.facility.name,
            )
    else:
        add("sweep", Const(0.0, scalar=False), "Cash sweep prepayment", section="Lock-up and sweep")
    add("cash_after_sweep", R("cash_after_sub") - R("sweep"), "Cash after sweep")
    add(
        "cash_retained",
        If(
            Or(And(R("lockup_flag"), Not(R("last_period_flag"))), R("defaulted"))
            if covered
            else And(R("lockup_flag"), Not(R("last_period_flag"))),
            R("cash_after_sweep"),
            Min(0, R("cash_after_sweep")),
        ),
        "Cash retained (lock-up or deficit)",
        total=False,
    )
    add("cash_to_equity", R("cash_after_sweep") - R("cash_retained"), "Cash to sponsors")


def _tier_ratios(add, tier):
    """Interest first, then principal; each facility of the tier paid pro rata to what it is due."""
    due_i, due_p = f"{tier}_interest_due", f"{tier}_principal_due"
    add(f"{tier}_interest_paid", Min(R(f"{tier}_paid"), R(due_i)), f"{tier.capitalize()} interest paid")
    add(f"{tier}_principal_paid", R(f"{tier}_paid") - R(f"{tier}_interest_paid"), f"{tier.capitalize()} principal paid")
    add(
        f"{tier}_interest_ratio",
        If(R(due_i) > 0, R(f"{tier}_interest_paid") / R(due_i), 0),
        f"{tier.capitalize()} interest paid / due",
        total=False,
        unit="fraction",
        fmt="pct",
    )
    add(
        f"{tier}_principal_ratio",
        If(R(due_p) > 0, R(f"{tier}_principal_paid") / R(due_p), 0),
        f"{tier.capitalize()} principal paid / due",
        total=False,
        unit="fraction",
        fmt="pct",
    )


def build_equity(b) -> None:
    """Shareholder loan and dividends; each sponsor's cash flows."""
    m, sc = b.model, b.scenario
    P = m.ref("in_periods_per_year")

    def add(name, expr, label, total=True, unit=b.cur, fmt="money", section="Sponsors"):
        return m.add(name, expr, "Equity", label, unit=unit, total=total, fmt=fmt, section=section)

    if sc.shareholder_loan:
        g = "Shareholder loan"
        share = m.add_input(
            "in_shl_share",
            sc.shareholder_loan.share,
            "Share of sponsor funding as shareholder loan",
            unit="fraction",
            group=g,
            fmt="pct",
        )
        rate = m.add_input(
            "in_shl_rate", sc.shareholder_loan.rate, "Shareholder loan rate", unit="per year", group=g, fmt="pct"
        )
        s = "Shareholder loan"
        add("shl_draw", share * R("equity_funding"), "Shareholder loan drawn", section=s)
        add("share_capital", R("equity_funding") - R("shl_draw"), "Share capital subscribed", section=s)
        add("shl_opening", Prev("shl_closing"), "Shareholder loan opening balance", total=False, section=s)
        add("shl_interest", R("shl_opening") * rate / P, "Shareholder loan interest accrued", section=s)
        add(
            "shl_paid",
            Min(Max(0, R("cash_to_equity")), R("shl_opening") + R("shl_draw") + R("shl_interest")),
            "Shareholder loan service paid",
            section=s,
        )
        add("shl_interest_paid", Min(R("shl_paid"), R("shl_interest")), "of which interest", section=s)
        add("shl_principal_paid", R("shl_paid") - R("shl_interest_paid"), "of which principal", section=s)
        add(
            "shl_closing",
            R("shl_opening") + R("shl_draw") + R("shl_interest") - R("shl_paid"),
            "Shareholder loan closing balance",
            total=False,
            section=s,
        )
        add("dividends", R("cash_to_equity") - R("shl_paid"), "Dividends")
    else:
        add("share_capital", R("equity_funding"), "Share capital subscribed")
        add("shl_paid", Const(0.0, scalar=False), "Shareholder loan service paid")
        add("dividends", R("cash_to_equity"), "Dividends")
    eq_lines = line_rows(b, "equity_cf", add)
    add("equity_cf", Sum([R("cash_to_equity") - R("equity_funding")] + eq_lines), "Equity cash flow (all sponsors)")
    for k, sp in enumerate(sc.sponsors, start=1):
        sh = m.add_input(
            f"in_sponsor{k}_share",
            sp.share,
            f"{sp.name}: equity share",
            unit="fraction",
            group="Sponsors",
            fmt="pct",
            source=f"kind: {sp.kind}",
        )
        add(f"sponsor{k}_cf", sh * R("equity_cf"), f"{sp.name}: cash flow")
        add(
            f"sponsor{k}_cum_cf",
            Prev(f"sponsor{k}_cum_cf") + R(f"sponsor{k}_cf"),
            f"{sp.name}: cumulative",
            total=False,
        )
        add(
            f"sponsor{k}_negative_flag",
            R(f"sponsor{k}_cum_cf") < 0,
            f"{sp.name}: not yet paid back",
            unit="flag",
            fmt="flag",
        )
    # waterfall conservation: every unit of cash in is a unit out
    add(
        "cash_in",
        R("cfads") + Prev("cash_retained") + R("dsra_draw") + R("dsra_release"),
        "Waterfall cash in (CFADS, retained cash, DSRA draws and releases)",
        section="Conservation",
    )
    add(
        "cash_out",
        R("senior_paid")
        + R("dsra_fund")
        + R("sub_paid")
        + R("sweep")
        + R("cash_retained")
        + R("shl_paid")
        + R("dividends"),
        "Waterfall cash out (debt service, DSRA top-ups, sweep, retained, sponsors)",
        section="Conservation",
    )
    add("cash_difference", R("cash_in") - R("cash_out"), "Cash in - cash out", section="Conservation")
