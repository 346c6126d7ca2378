"""Cover ratios and returns.

* DSCR = CFADS / senior debt service due, in periods with debt service (blank otherwise).
* LLCR = PV of CFADS to the last senior maturity / senior opening balance; PLCR the same to the end of
  operations. Discounted at the weighted all-in senior rate at financial close, compounded per period.
* Project IRR on -construction cost + EBITDA (- tax, post-tax); capital grants are a financing source, not
  project income. Equity IRR on sponsor funding (equity and shareholder loans) and cash to sponsors.
  IRRs are per period, annualised as (1 + irr) ** periods_per_year - 1. NPV uses Excel's convention (the
  first period's cash flow is discounted one period) at the period rate equivalent to the annual rate.
"""

from __future__ import annotations

from finmodel.funding import uses_lines
from finmodel.rows import Agg, And, Blank, If, Max, Sum, SumFrom, Total
from finmodel.timeline import R

SHEET = "Returns"
OUT = "Outputs"
IRR_SECTION = "IRR starting guesses (for the spreadsheet's IRR)"


def irr_guess(m, outflows: str, inflows: str, sheet: str, section: str = IRR_SECTION):
    """Starting guess for a spreadsheet's IRR of a row whose outflows and inflows are the rows named:
    the IRR of one outflow and one inflow at the cash-weighted mean periods, ``(D / C) ** (1 / span) - 1``.
    It only tells the spreadsheet where to start Newton; returns ``(C, D, guess)`` (scalars)."""
    for row in (outflows, inflows):
        m.add(
            f"{row}_time", R("period") * R(row), sheet, f"{row}: period x amount", unit="#", total=True, section=section
        )
    c, d = Total(outflows), Total(inflows)
    span = Max(1, Total(f"{inflows}_time") / d - Total(f"{outflows}_time") / c)
    guess = m.add(
        f"{outflows}_irr_guess",
        If(And(c > 0, d > 0), (d / c) ** (1 / span) - 1, 0),
        sheet,
        f"{outflows}: IRR guess per period",
        unit="per period",
        fmt="pct",
        section=section,
    )
    return c, d, guess


def annual_irr(m, row: str, outflows: str, inflows: str, sheet: str, periods_per_year):
    """Annualised IRR of ``row`` ((1 + IRR) ** periods_per_year - 1), blank unless it has outflows and
    inflows; written with a starting guess (:func:`irr_guess`)."""
    c, d, guess = irr_guess(m, outflows, inflows, sheet)
    return If(And(c > 0, d > 0), (1 + Agg("IRR", row, guess=guess)) ** periods_per_year - 1, Blank())


def build(b) -> None:
    m, sc = b.model, b.scenario
    P = m.ref("in_periods_per_year")
    ke = m.add_input(
        "in_equity_discount_rate",
        sc.equity_discount_rate,
        "Sponsors' cost of equity",
        unit="per year",
        group="Returns",
        fmt="pct",
    )

    def add(name, expr, label, total=False, unit=b.cur, fmt="money", section="Ratios"):
        return m.add(name, expr, SHEET, label, unit=unit, total=total, fmt=fmt, section=section)

    def out(name, expr, label, unit="", fmt="number"):
        return m.add(name, expr, OUT, label, unit=unit, fmt=fmt, section="Metrics")

    senior = [f for f in b.facilities if f.senior]
    add("dscr", If(R("senior_due") > 0, R("cfads") / R("senior_due"), Blank()), "DSCR", unit="x", fmt="x")
    # LLCR / PLCR
    if senior:
        amt = [m.ref(f.i("amount")) for f in senior]
        num = amt[0] * R(senior[0].n("close_rate"))
        for f, a in zip(senior[1:], amt[1:], strict=True):
            num = num + a * R(f.n("close_rate"))
        den = amt[0]
        for a in amt[1:]:
            den = den + a
        mats = [m.ref(f.i("maturity_years")) for f in senior]
        last = mats[0] if len(mats) == 1 else Max(*mats)
    else:
        num, den, last = 0.0, 1.0, 0.0
    r = m.add(
        "cover_ratio_rate",
        num / den if senior else num,
        SHEET,
        "Discount rate for LLCR / PLCR (weighted senior rate at close)",
        unit="per year",
        fmt="pct",
        section="Ratios",
    )
    add("cover_df", (1 + r / P) ** -R("period"), "Discount factor (cover ratios)", unit="factor", fmt="factor")
    add(
        "loan_life_flag",
        R("period")
        <= m.add(
            "senior_final_maturity", last, SHEET, "Last senior maturity", unit="years", fmt="number", section="Ratios"
        )
        * P,
        "Loan life flag",
        unit="flag",
        fmt="flag",
    )
    add("cfads_pv_loan_life", R("cfads") * R("cover_df") * R("loan_life_flag"), "Discounted CFADS in loan life")
    add("cfads_pv", R("cfads") * R("cover_df") * R("operation_flag"), "Discounted CFADS in operations")
    live = And(R("operation_flag"), R("senior_opening") > 0)
    start_df = R("cover_df") * (1 + r / P)
    add(
        "llcr",
        If(live, SumFrom("cfads_pv_loan_life") / start_df / R("senior_opening"), Blank()),
        "LLCR",
        unit="x",
        fmt="x",
    )
    add("plcr", If(live, SumFrom("cfads_pv") / start_df / R("senior_opening"), Blank()), "PLCR", unit="x", fmt="x")
    # project and equity cash flows
    s = "Cash flows"
    add("project_cf_pre_tax", R("ebitda") - R("capex"), "Project cash flow, pre-tax", total=True, section=s)
    add("project_cf", R("ebitda") - R("tax") - R("capex"), "Project cash flow, post-tax", total=True, section=s)

    def irr(row):
        m.add(f"{row}_out", Max(0, -R(row)), SHEET, f"{row}: outflows", unit=b.cur, total=True, section=IRR_SECTION)
        m.add(f"{row}_in", Max(0, R(row)), SHEET, f"{row}: inflows", unit=b.cur, total=True, section=IRR_SECTION)
        return annual_irr(m, row, f"{row}_out", f"{row}_in", SHEET, P)

    out("project_irr", irr("project_cf"), "Project IRR (post-tax, nominal)", unit="per year", fmt="pct")
    out("project_irr_pre_tax", irr("project_cf_pre_tax"), "Project IRR (pre-tax)", unit="per year", fmt="pct")
    out("equity_irr", irr("equity_cf"), "Equity IRR (all sponsors)", unit="per year", fmt="pct")
    kp = m.add(
        "equity_period_rate",
        (1 + ke) ** (1 / P) - 1,
        SHEET,
        "Cost of equity per period",
        unit="per period",
        fmt="pct",
        section=s,
    )
    out("equity_npv", Agg("NPV", "equity_cf", kp), "Equity NPV at the cost of equity", unit=b.cur, fmt="money")
    out("min_dscr", Agg("MIN", "dscr"), "Minimum DSCR", unit="x", fmt="x")
    out("avg_dscr", Agg("AVERAGE", "dscr"), "Average DSCR", unit="x", fmt="x")
    out("min_llcr", Agg("MIN", "llcr"), "Minimum LLCR", unit="x", fmt="x")
    out("min_plcr", Agg("MIN", "plcr"), "Minimum PLCR", unit="x", fmt="x")
    out("total_capex", Total("capex"), "Total construction cost", unit=b.cur, fmt="money")
    out("total_uses", Total("uses"), "Total uses", unit=b.cur, fmt="money")
    for line in uses_lines(m):  # the breakdown of uses, line by line (financed premiums their own line)
        out(f"uses_{line.removesuffix('_use')}", Total(line), f"Uses: {m.rows[line].label}", unit=b.cur, fmt="money")
    out("total_grants", Total("grants"), "Capital grants", unit=b.cur, fmt="money")
    out("total_debt", Total("debt_draws"), "Total debt drawn", unit=b.cur, fmt="money")
    out("senior_debt", Total("senior_draws"), "Senior debt drawn", unit=b.cur, fmt="money")
    out("total_equity", Total("equity_funding"), "Total sponsor funding", unit=b.cur, fmt="money")
    debt, equity = m.ref("total_debt"), m.ref("total_equity")
    out("gearing", debt / (debt + equity), "Gearing (debt / debt + equity)", unit="fraction", fmt="pct")
    if b.cur != "USD":  # the headline amounts in USD too, at the scenario's rate (project.fx_to_usd)
        fx = m.add_input(
            "in_fx_to_usd",
            sc.project.fx_to_usd,
            f"USD per {b.cur}",
            unit=f"USD/{b.cur}",
            group="Project",
            fmt="factor",
            source="scenario project.fx_to_usd",
        )
        for k in ("total_uses", "total_debt", "total_equity", "equity_npv"):
            out(f"{k}_usd", m.ref(k) * fx, f"{m.rows[k].label} in USD", unit="USD", fmt="money")
    out("lockup_periods", Total("lockup_flag"), "Periods in lock-up", unit="periods", fmt="int")
    out(
        "default_periods",
        Agg("SUM", "default_flag"),
        "Periods with unpaid senior debt service",
        unit="periods",
        fmt="int",
    )
    for k, sp in enumerate(sc.sponsors, start=1):
        out(f"sponsor{k}_npv", Agg("NPV", f"sponsor{k}_cf", kp), f"{sp.name}: NPV", unit=b.cur, fmt="money")
        out(
            f"sponsor{k}_payback_years",
            Total(f"sponsor{k}_negative_flag") / P,
            f"{sp.name}: payback (years from financial close)",
            unit="years",
            fmt="number",
        )
    add("senior_draws", Sum([R(f.n("draw")) for f in senior]), "Senior debt drawn", total=True, section=s)
    add(
        "default_flag",
        R("senior_shortfall") > 0,
        "Payment default flag",
        unit="flag",
        fmt="flag",
        total=True,
        section=s,
    )
