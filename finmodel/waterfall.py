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

from typing import TYPE_CHECKING

from finmodel.rows import And, Const, Expr, If, LeadSum, Max, Min, Not, Or, Prev, Ref, Sum
from finmodel.timeline import R
from finmodel.totals import line_rows

if TYPE_CHECKING:
    from finmodel.engine import Builder


# --- tax ------------------------------------------------------------------------------------------------


def build_tax(b: Builder) -> None:
    """The Tax sheet: tax inputs, depreciation of the capitalised cost, taxable income, losses carried forward,
    the tax holiday and the tax paid."""
    m, tx = b.model, b.scenario.tax
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
    _depreciation(b, dep_years)
    _tax(b, rate, holiday, lcf)


def _tax_row(b: Builder, name, expr, label, total=True, unit=None, fmt="money") -> Ref:
    """A Tax-sheet row (default: [currency per period], with a total)."""
    unit = b.cur if unit is None else unit
    return b.model.add(name, expr, "Tax", label, unit=unit, total=total, fmt=fmt, section="Tax")


def _depreciation(b: Builder, dep_years: Ref) -> None:
    """Capitalised cost, depreciable base, depreciation [currency per period]; the depreciation period flag
    [flag] (straight line over the life from the start of operations)."""
    P = b.model.ref("in_periods_per_year")
    _tax_row(
        b,
        "capitalised_cost",
        R("construction_flag") * (R("uses") - R("dsra_initial")),
        "Capitalised cost (uses during construction except the initial DSRA)",
    )
    _tax_row(b, "depreciable_base", Prev("depreciable_base") + R("capitalised_cost"), "Depreciable base", total=False)
    _tax_row(
        b,
        "depreciation_flag",
        And(R("operation_flag"), R("operation_period") <= dep_years * P),
        "Depreciation period flag",
        total=False,
        unit="flag",
        fmt="flag",
    )
    _tax_row(b, "depreciation", R("depreciation_flag") * R("depreciable_base") / (dep_years * P), "Depreciation")


def _tax(b: Builder, rate: Ref, holiday: Ref, lcf: Ref) -> None:
    """Deductible interest, the declared tax deductions, taxable income, losses carried forward, taxable income
    after losses, tax paid [currency per period]; the tax holiday flag [flag]."""
    P, ops = b.model.ref("in_periods_per_year"), R("operation_flag")
    interest = R("senior_interest_due") + R("sub_interest_due")
    if b.scenario.shareholder_loan:
        interest = interest + ops * R("shl_interest")
    _tax_row(b, "deductible_interest", interest, "Deductible interest")
    deductions = line_rows(b, "tax_deductions", lambda n, e, lab: _tax_row(b, n, e, lab))
    _tax_row(
        b,
        "taxable_income",
        ops * (R("ebitda") - R("depreciation") - R("deductible_interest") - Sum(deductions))
        if deductions
        else ops * (R("ebitda") - R("depreciation") - R("deductible_interest")),
        "Taxable income",
    )
    _tax_row(
        b,
        "tax_losses",
        lcf * Max(0, Prev("tax_losses") - R("taxable_income")),
        "Tax losses carried forward",
        total=False,
    )
    _tax_row(
        b, "taxable_after_losses", Max(0, R("taxable_income") - lcf * Prev("tax_losses")), "Taxable income after losses"
    )
    _tax_row(
        b,
        "tax_holiday_flag",
        And(ops, R("operation_period") <= holiday * P),
        "Tax holiday flag",
        total=False,
        unit="flag",
        fmt="flag",
    )
    _tax_row(b, "tax", R("taxable_after_losses") * rate * (1 - R("tax_holiday_flag")), "Tax paid")


# --- the priority of payments -------------------------------------------------------------------------------


def build_waterfall(b: Builder) -> None:
    """The Waterfall sheet in the order of payments: CFADS, senior debt service, DSRA, subordinated debt
    service, lock-up, cash sweep, cash to sponsors.

    With a ``guarantees`` block a political event (expropriation, transfer restriction: finmodel.guarantees)
    blocks every payment to the lenders while it lasts (what the project cannot transfer is unpaid, and
    claimable), is a default too, and equity receives nothing from the default on.
    """
    m, sc = b.model, b.scenario
    g = "Waterfall"
    lockup = m.add_input("in_lockup_dscr", sc.lockup_dscr, "Lock-up DSCR", unit="x", group=g, fmt="x")
    m.add_input(
        "in_dsra_months",
        sc.dsra.months,
        "DSRA target (structural: change in the scenario and re-run)",
        unit="months",
        group=g,
        fmt="int",
    )
    covered = bool(sc.guarantees)
    _cfads(b)
    _senior(b, covered)
    _dsra(b, int(round(sc.dsra.months * sc.timeline.periods_per_year / 12)))
    _subordinated(b, covered)
    _lockup(b, lockup, covered)
    _sweep(b, covered)
    _to_sponsors(b, covered)


def _wf(b: Builder, name, expr, label, total=True, unit=None, fmt="money", section="Waterfall") -> Ref:
    """A Waterfall-sheet row (default: [currency per period], with a total)."""
    unit = b.cur if unit is None else unit
    return b.model.add(name, expr, "Waterfall", label, unit=unit, total=total, fmt=fmt, section=section)


def _blocked(expr: Expr, covered: bool) -> Expr:
    """A payment to the lenders: nothing during a political event when the scenario has a guarantees block."""
    return expr * (1 - R("political_event_flag")) if covered else expr


def _cfads(b: Builder) -> None:
    """The declared CFADS lines, CFADS = EBITDA - tax + the lines, cash available = CFADS + retained cash
    [currency per period]."""
    cf_lines = line_rows(b, "cfads", lambda n, e, lab: _wf(b, n, e, lab, section="CFADS"))
    _wf(
        b,
        "cfads",
        Sum([R("ebitda") - R("tax")] + cf_lines),
        "Cash flow available for debt service (CFADS)",
        section="CFADS",
    )
    _wf(b, "cash_available", R("cfads") + Prev("cash_retained"), "Cash available (CFADS + retained cash)")


def _senior(b: Builder, covered: bool) -> None:
    """Senior debt service due, paid (helped by the DSRA), unpaid; the permanent default flag [flag]; the DSRA
    draw; interest and principal paid and their ratios to what is due [fraction]; cash after senior debt
    [currency per period unless marked]."""
    _wf(b, "senior_due", R("senior_interest_due") + R("senior_principal_due"), "Senior debt service due")
    paid = Min(R("senior_due"), Max(0, R("cash_available")) + Prev("dsra_balance"))
    _wf(
        b,
        "senior_paid",
        _blocked(paid, covered),
        "Senior debt service paid" + (" (nothing during a political event)" if covered else ""),
    )
    _wf(b, "senior_shortfall", R("senior_due") - R("senior_paid"), "Senior debt service unpaid (default)")
    # permanent default flag; with a guarantees block a political event is a default too, and equity receives
    # nothing from the default on (lock-up to the end, final release included)
    trigger = Or(R("senior_shortfall") > 0, R("political_event_flag")) if covered else R("senior_shortfall") > 0
    _wf(
        b,
        "defaulted",
        Max(Prev("defaulted"), trigger),
        "Defaulted (permanent from the first payment default or political event)",
        total=False,
        unit="flag",
        fmt="flag",
        section="Lock-up and sweep",
    )
    _wf(
        b,
        "dsra_draw",
        Max(0, R("senior_paid") - Max(0, R("cash_available"))),
        "DSRA drawn for senior debt service",
        section="DSRA",
    )
    _tier_ratios(b, "senior")
    _wf(b, "cash_after_senior", R("cash_available") - R("senior_paid") + R("dsra_draw"), "Cash after senior debt")


def _dsra(b: Builder, n_dsra: int) -> None:
    """The DSRA: target (the next ``n_dsra`` periods of scheduled senior debt service), top-up, release,
    balance (no totals where balances); cash after the DSRA [currency per period]."""
    ops = R("operation_flag")
    target = LeadSum("senior_scheduled_ds", n_dsra) if n_dsra > 0 else Const(0.0, scalar=False)
    _wf(
        b,
        "dsra_target",
        (ops + R("last_construction_flag")) * target,
        "DSRA target: next months of scheduled senior debt service",
        total=False,
        section="DSRA",
    )
    _wf(
        b,
        "dsra_fund",
        ops * Min(Max(0, R("cash_after_senior")), Max(0, R("dsra_target") - (Prev("dsra_balance") - R("dsra_draw")))),
        "DSRA top-up from cash",
        section="DSRA",
    )
    _wf(
        b,
        "dsra_release",
        ops * Max(0, Prev("dsra_balance") - R("dsra_draw") - R("dsra_target")),
        "DSRA release above target",
        section="DSRA",
    )
    _wf(
        b,
        "dsra_balance",
        Prev("dsra_balance") + R("dsra_initial") - R("dsra_draw") + R("dsra_fund") - R("dsra_release"),
        "DSRA balance",
        total=False,
        section="DSRA",
    )
    _wf(b, "cash_after_dsra", R("cash_after_senior") - R("dsra_fund") + R("dsra_release"), "Cash after DSRA")


def _subordinated(b: Builder, covered: bool) -> None:
    """Subordinated debt service due and paid, interest and principal paid and their ratios [fraction], cash
    after subordinated debt [currency per period unless marked]."""
    _wf(b, "sub_due", R("sub_interest_due") + R("sub_principal_due"), "Subordinated debt service due")
    sub = Min(R("sub_due"), Max(0, R("cash_after_dsra")))
    _wf(b, "sub_paid", _blocked(sub, covered), "Subordinated debt service paid")
    _tier_ratios(b, "sub")
    _wf(b, "cash_after_sub", R("cash_after_dsra") - R("sub_paid"), "Cash after subordinated debt")


def _tier_ratios(b: Builder, tier: str) -> None:
    """Interest first, then principal [currency per period]; each facility of the tier paid pro rata to what it
    is due (paid / due [fraction])."""
    due_i, due_p = f"{tier}_interest_due", f"{tier}_principal_due"
    _wf(b, f"{tier}_interest_paid", Min(R(f"{tier}_paid"), R(due_i)), f"{tier.capitalize()} interest paid")
    _wf(
        b,
        f"{tier}_principal_paid",
        R(f"{tier}_paid") - R(f"{tier}_interest_paid"),
        f"{tier.capitalize()} principal paid",
    )
    for due, what in ((due_i, "interest"), (due_p, "principal")):
        _wf(
            b,
            f"{tier}_{what}_ratio",
            If(R(due) > 0, R(f"{tier}_{what}_paid") / R(due), 0),
            f"{tier.capitalize()} {what} paid / due",
            total=False,
            unit="fraction",
            fmt="pct",
        )


def _lockup(b: Builder, lockup: Ref, covered: bool) -> None:
    """The lock-up flag [flag, with a total]: historical DSCR below the lock-up ratio, a senior shortfall, or
    (with a guarantees block) a default."""
    _wf(
        b,
        "lockup_flag",
        R("operation_flag")
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


def _sweep(b: Builder, covered: bool) -> None:
    """The cash sweep: input sweep fraction [fraction of cash]; each sweep facility's balance before the sweep
    and its prepayment (Debt sheet), the balances open to the sweep, the sweep [currency per period]; a row of
    zeros without sweep facilities."""
    sweepers = b.sweep_facilities
    if not sweepers:
        _wf(b, "sweep", Const(0.0, scalar=False), "Cash sweep prepayment", section="Lock-up and sweep")
        return
    m = b.model
    frac = m.add_input(
        "in_cash_sweep", b.scenario.cash_sweep, "Cash sweep", unit="fraction of cash", group="Waterfall", fmt="pct"
    )
    for f in sweepers:
        m.add(
            f.n("pre_sweep"),
            R(f.n("opening")) + R(f.n("interest_due")) - R(f.n("interest_paid")) - R(f.n("principal_paid")),
            "Debt",
            f"{f.facility.name}: balance before sweep",
            unit=b.cur,
            section=f.facility.name,
        )
    pre = _wf(
        b,
        "sweep_base",
        Sum([R(f.n("pre_sweep")) for f in sweepers]),
        "Balances open to the sweep",
        total=False,
        section="Lock-up and sweep",
    )
    sw = Min(pre, frac * Max(0, R("cash_after_sub")))
    _wf(b, "sweep", _blocked(sw, covered), "Cash sweep prepayment", section="Lock-up and sweep")
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


def _to_sponsors(b: Builder, covered: bool) -> None:
    """Cash after the sweep, cash retained (lock-up, a deficit, or with a guarantees block a default: no
    total), cash to sponsors [currency per period]."""
    locked = And(R("lockup_flag"), Not(R("last_period_flag")))
    _wf(b, "cash_after_sweep", R("cash_after_sub") - R("sweep"), "Cash after sweep")
    _wf(
        b,
        "cash_retained",
        If(
            Or(locked, R("defaulted")) if covered else locked,
            R("cash_after_sweep"),
            Min(0, R("cash_after_sweep")),
        ),
        "Cash retained (lock-up or deficit)",
        total=False,
    )
    _wf(b, "cash_to_equity", R("cash_after_sweep") - R("cash_retained"), "Cash to sponsors")


# --- equity -----------------------------------------------------------------------------------------------


def build_equity(b: Builder) -> None:
    """The Equity sheet: shareholder loan and dividends; the equity cash flow; each sponsor's cash flows; the
    waterfall's cash conservation."""
    if b.scenario.shareholder_loan:
        _shareholder_loan(b)
    else:
        _eq(b, "share_capital", R("equity_funding"), "Share capital subscribed")
        _eq(b, "shl_paid", Const(0.0, scalar=False), "Shareholder loan service paid")
        _eq(b, "dividends", R("cash_to_equity"), "Dividends")
    eq_lines = line_rows(b, "equity_cf", lambda n, e, lab: _eq(b, n, e, lab))
    _eq(b, "equity_cf", Sum([R("cash_to_equity") - R("equity_funding")] + eq_lines), "Equity cash flow (all sponsors)")
    _sponsors(b)
    _cash_conservation(b)


def _eq(b: Builder, name, expr, label, total=True, unit=None, fmt="money", section="Sponsors") -> Ref:
    """An Equity-sheet row (default: [currency per period], with a total)."""
    unit = b.cur if unit is None else unit
    return b.model.add(name, expr, "Equity", label, unit=unit, total=total, fmt=fmt, section=section)


def _shareholder_loan(b: Builder) -> None:
    """Inputs: the shareholder loan's share of sponsor funding [fraction] and rate [per year]; its corkscrew
    (drawn, share capital, opening, interest, service paid and its interest and principal, closing) and the
    dividends [currency per period]."""
    m, shl = b.model, b.scenario.shareholder_loan
    g = s = "Shareholder loan"
    share = m.add_input(
        "in_shl_share", shl.share, "Share of sponsor funding as shareholder loan", unit="fraction", group=g, fmt="pct"
    )
    rate = m.add_input("in_shl_rate", shl.rate, "Shareholder loan rate", unit="per year", group=g, fmt="pct")
    P = m.ref("in_periods_per_year")
    _eq(b, "shl_draw", share * R("equity_funding"), "Shareholder loan drawn", section=s)
    _eq(b, "share_capital", R("equity_funding") - R("shl_draw"), "Share capital subscribed", section=s)
    _eq(b, "shl_opening", Prev("shl_closing"), "Shareholder loan opening balance", total=False, section=s)
    _eq(b, "shl_interest", R("shl_opening") * rate / P, "Shareholder loan interest accrued", section=s)
    _eq(
        b,
        "shl_paid",
        Min(Max(0, R("cash_to_equity")), R("shl_opening") + R("shl_draw") + R("shl_interest")),
        "Shareholder loan service paid",
        section=s,
    )
    _eq(b, "shl_interest_paid", Min(R("shl_paid"), R("shl_interest")), "of which interest", section=s)
    _eq(b, "shl_principal_paid", R("shl_paid") - R("shl_interest_paid"), "of which principal", section=s)
    _eq(
        b,
        "shl_closing",
        R("shl_opening") + R("shl_draw") + R("shl_interest") - R("shl_paid"),
        "Shareholder loan closing balance",
        total=False,
        section=s,
    )
    _eq(b, "dividends", R("cash_to_equity") - R("shl_paid"), "Dividends")


def _sponsors(b: Builder) -> None:
    """Each sponsor: input equity share [fraction]; cash flow, cumulative cash flow [currency per period] and
    the not-yet-paid-back flag [flag]."""
    for k, sp in enumerate(b.scenario.sponsors, start=1):
        sh = b.model.add_input(
            f"in_sponsor{k}_share",
            sp.share,
            f"{sp.name}: equity share",
            unit="fraction",
            group="Sponsors",
            fmt="pct",
            source=f"kind: {sp.kind}",
        )
        _eq(b, f"sponsor{k}_cf", sh * R("equity_cf"), f"{sp.name}: cash flow")
        _eq(
            b,
            f"sponsor{k}_cum_cf",
            Prev(f"sponsor{k}_cum_cf") + R(f"sponsor{k}_cf"),
            f"{sp.name}: cumulative",
            total=False,
        )
        _eq(
            b,
            f"sponsor{k}_negative_flag",
            R(f"sponsor{k}_cum_cf") < 0,
            f"{sp.name}: not yet paid back",
            unit="flag",
            fmt="flag",
        )


def _cash_conservation(b: Builder) -> None:
    """Waterfall conservation, every unit of cash in is a unit out: cash in, cash out, difference [currency per
    period]."""
    s = "Conservation"
    _eq(
        b,
        "cash_in",
        R("cfads") + Prev("cash_retained") + R("dsra_draw") + R("dsra_release"),
        "Waterfall cash in (CFADS, retained cash, DSRA draws and releases)",
        section=s,
    )
    _eq(
        b,
        "cash_out",
        R("senior_paid")
        + R("dsra_fund")
        + R("sub_paid")
        + R("sweep")
        + R("cash_retained")
        + R("shl_paid")
        + R("dividends"),
        "Waterfall cash out (debt service, DSRA top-ups, sweep, retained, sponsors)",
        section=s,
    )
    _eq(b, "cash_difference", R("cash_in") - R("cash_out"), "Cash in - cash out", section=s)
