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

from typing import TYPE_CHECKING

from finmodel.model import termination
from finmodel.model.funding import uses_lines
from finmodel.model.loan_currency import commitment
from finmodel.model.timeline import R
from finmodel.rows import Agg, And, Blank, Expr, If, Max, Ref, Sum, SumFrom, Total

if TYPE_CHECKING:
    from finmodel.model.context import Builder

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


def build(b: Builder) -> None:
    """The Returns sheet (cover ratios, cash flows, IRR helpers) and the headline metrics of the Outputs sheet."""
    ke = b.model.add_input(
        "in_equity_discount_rate",
        b.scenario.equity_discount_rate,
        "Sponsors' cost of equity",
        unit="per year",
        group="Returns",
        fmt="pct",
    )
    due = R("senior_due") > 0
    counted = And(due, *live_terms(b)) if live_terms(b) else due
    _add(b, "dscr", If(counted, R("cfads") / R("senior_due"), Blank()), "DSCR", unit="x", fmt="x")
    _cover_ratios(b)
    _irrs(b)
    kp = b.model.add(
        "equity_period_rate",
        (1 + ke) ** (1 / b.model.ref("in_periods_per_year")) - 1,
        SHEET,
        "Cost of equity per period",
        unit="per period",
        fmt="pct",
        section="Cash flows",
    )
    _out(b, "equity_npv", Agg("NPV", "equity_cf", kp), "Equity NPV at the cost of equity", unit=b.cur, fmt="money")
    _ratio_metrics(b)
    _amount_metrics(b)
    _period_metrics(b)
    _sponsor_metrics(b, kp)
    _debt_rows(b)


def _add(b: Builder, name, expr, label, total=False, unit=None, fmt="money", section="Ratios") -> Ref:
    """A Returns-sheet row (default: [currency per period], no total)."""
    unit = b.cur if unit is None else unit
    return b.model.add(name, expr, SHEET, label, unit=unit, total=total, fmt=fmt, section=section)


def _out(b: Builder, name, expr, label, unit="", fmt="number") -> Ref:
    """An Outputs-sheet metric of the Metrics section."""
    return b.model.add(name, expr, OUT, label, unit=unit, fmt=fmt, section="Metrics")


def _cover_rate(b: Builder) -> tuple[Expr, Expr]:
    """(discount rate of the cover ratios: the commitment-weighted senior rate at close [per year], last senior
    maturity [years]); (0, 0) without senior debt."""
    m = b.model
    senior = [f for f in b.facilities if f.senior]
    if not senior:
        return 0.0, 0.0
    amt = [commitment(b, f) for f in senior]
    num = amt[0] * R(senior[0].n("close_rate"))
    for f, a in zip(senior[1:], amt[1:], strict=True):
        num = num + a * R(f.n("close_rate"))
    den = amt[0]
    for a in amt[1:]:
        den = den + a
    mats = [m.ref(f.i("maturity_years")) for f in senior]
    return num / den, mats[0] if len(mats) == 1 else Max(*mats)


def _cover_ratios(b: Builder) -> None:
    """The cover ratios' discount rate [per year], discount factor [factor], last senior maturity [years], loan
    life flag [flag], discounted CFADS in the loan life and in operations [currency per period], LLCR and PLCR
    [x, blank where no senior debt is outstanding]."""
    m = b.model
    P = m.ref("in_periods_per_year")
    rate, last = _cover_rate(b)
    r = m.add(
        "cover_ratio_rate",
        rate,
        SHEET,
        "Discount rate for LLCR / PLCR (weighted senior rate at close)",
        unit="per year",
        fmt="pct",
        section="Ratios",
    )
    _add(b, "cover_df", (1 + r / P) ** -R("period"), "Discount factor (cover ratios)", unit="factor", fmt="factor")
    final = m.add(
        "senior_final_maturity", last, SHEET, "Last senior maturity", unit="years", fmt="number", section="Ratios"
    )
    _add(b, "loan_life_flag", R("period") <= final * P, "Loan life flag", unit="flag", fmt="flag")
    _add(b, "cfads_pv_loan_life", R("cfads") * R("cover_df") * R("loan_life_flag"), "Discounted CFADS in loan life")
    _add(b, "cfads_pv", R("cfads") * R("cover_df") * R("operation_flag"), "Discounted CFADS in operations")
    live = And(R("operation_flag"), R("senior_opening") > 0, *live_terms(b))
    start_df = R("cover_df") * (1 + r / P)
    _add(
        b,
        "llcr",
        If(live, SumFrom("cfads_pv_loan_life") / start_df / R("senior_opening"), Blank()),
        "LLCR",
        unit="x",
        fmt="x",
    )
    _add(b, "plcr", If(live, SumFrom("cfads_pv") / start_df / R("senior_opening"), Blank()), "PLCR", unit="x", fmt="x")


def _irrs(b: Builder) -> None:
    """Project cash flows pre- and post-tax [currency per period]; project IRRs and the equity IRR [per year],
    each with its outflow and inflow rows and starting guess (:func:`annual_irr`)."""
    m, s = b.model, "Cash flows"
    P = m.ref("in_periods_per_year")
    _add(b, "project_cf_pre_tax", R("ebitda") - R("capex"), "Project cash flow, pre-tax", total=True, section=s)
    _add(b, "project_cf", R("ebitda") - R("tax") - R("capex"), "Project cash flow, post-tax", total=True, section=s)

    def irr(row):
        m.add(f"{row}_out", Max(0, -R(row)), SHEET, f"{row}: outflows", unit=b.cur, total=True, section=IRR_SECTION)
        m.add(f"{row}_in", Max(0, R(row)), SHEET, f"{row}: inflows", unit=b.cur, total=True, section=IRR_SECTION)
        return annual_irr(m, row, f"{row}_out", f"{row}_in", SHEET, P)

    _out(b, "project_irr", irr("project_cf"), "Project IRR (post-tax, nominal)", unit="per year", fmt="pct")
    _out(b, "project_irr_pre_tax", irr("project_cf_pre_tax"), "Project IRR (pre-tax)", unit="per year", fmt="pct")
    _out(b, "equity_irr", irr("equity_cf"), "Equity IRR (all sponsors)", unit="per year", fmt="pct")


def _ratio_metrics(b: Builder) -> None:
    """Minimum and average DSCR, minimum LLCR and PLCR [x]."""
    _out(b, "min_dscr", Agg("MIN", "dscr"), "Minimum DSCR", unit="x", fmt="x")
    _out(b, "avg_dscr", Agg("AVERAGE", "dscr"), "Average DSCR", unit="x", fmt="x")
    _out(b, "min_llcr", Agg("MIN", "llcr"), "Minimum LLCR", unit="x", fmt="x")
    _out(b, "min_plcr", Agg("MIN", "plcr"), "Minimum PLCR", unit="x", fmt="x")


def _amount_metrics(b: Builder) -> None:
    """Totals [currency]: construction cost, uses and each line of uses, grants, debt, senior debt, sponsor
    funding; gearing [fraction]; outside USD, the input FX rate [USD per unit] and the headline amounts in USD."""
    m = b.model

    def money(name, expr, label):
        _out(b, name, expr, label, unit=b.cur, fmt="money")

    money("total_capex", Total("capex"), "Total construction cost")
    money("total_uses", Total("uses"), "Total uses")
    for line in uses_lines(m):  # the breakdown of uses, line by line (financed premiums their own line)
        money(f"uses_{line.removesuffix('_use')}", Total(line), f"Uses: {m.rows[line].label}")
    money("total_grants", Total("grants"), "Capital grants")
    money("total_debt", Total("debt_draws"), "Total debt drawn")
    money("senior_debt", Total("senior_draws"), "Senior debt drawn")
    money("total_equity", Total("equity_funding"), "Total sponsor funding")
    debt, equity = m.ref("total_debt"), m.ref("total_equity")
    _out(b, "gearing", debt / (debt + equity), "Gearing (debt / debt + equity)", unit="fraction", fmt="pct")
    if b.cur != "USD":  # the headline amounts in USD too, at the scenario's rate (project.fx_to_usd)
        fx = m.add_input(
            "in_fx_to_usd",
            b.scenario.project.fx_to_usd,
            f"USD per {b.cur}",
            unit=f"USD/{b.cur}",
            group="Project",
            fmt="factor",
            source="scenario project.fx_to_usd",
        )
        for k in ("total_uses", "total_debt", "total_equity", "equity_npv"):
            _out(b, f"{k}_usd", m.ref(k) * fx, f"{m.rows[k].label} in USD", unit="USD", fmt="money")


def _period_metrics(b: Builder) -> None:
    """Periods in lock-up and with unpaid senior debt service [periods]."""
    lockup = "lockup_flag"
    if termination.active(b):  # the periods of the concession only
        lockup = "lockup_counted"
        _add(b, lockup, R("lockup_flag") * R("concession_live"), "Lock-up flag, to the termination", unit="flag",
             fmt="flag", total=True, section="Cash flows")  # fmt: skip
    _out(b, "lockup_periods", Total(lockup), "Periods in lock-up", unit="periods", fmt="int")
    _out(
        b,
        "default_periods",
        Agg("SUM", "default_flag"),
        "Periods with unpaid senior debt service",
        unit="periods",
        fmt="int",
    )


def _sponsor_metrics(b: Builder, kp: Ref) -> None:
    """Each sponsor's NPV at the cost of equity [currency] and payback [years from financial close]."""
    P = b.model.ref("in_periods_per_year")
    for k, sp in enumerate(b.scenario.sponsors, start=1):
        _out(b, f"sponsor{k}_npv", Agg("NPV", f"sponsor{k}_cf", kp), f"{sp.name}: NPV", unit=b.cur, fmt="money")
        _out(
            b,
            f"sponsor{k}_payback_years",
            Total(f"sponsor{k}_negative_flag") / P,
            f"{sp.name}: payback (years from financial close)",
            unit="years",
            fmt="number",
        )


def _debt_rows(b: Builder) -> None:
    """Senior debt drawn [currency per period] and the payment default flag [flag], both with totals."""
    senior = [f for f in b.facilities if f.senior]
    s = "Cash flows"
    _add(b, "senior_draws", Sum([R(f.n("draw")) for f in senior]), "Senior debt drawn", total=True, section=s)
    _add(
        b,
        "default_flag",
        (R("senior_shortfall") > 0) * R("concession_live") if termination.active(b) else R("senior_shortfall") > 0,
        "Payment default flag",
        unit="flag",
        fmt="flag",
        total=True,
        section=s,
    )


def live_terms(b: Builder) -> list:
    """The condition that the concession still runs (a termination ends it), for the ratios; none without one."""
    return [R("concession_live")] if termination.active(b) else []
