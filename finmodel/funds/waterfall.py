"""The fund model: timing, portfolio cash flows, capital calls, the distribution waterfall per tranche,
losses and checks, as rows of one :class:`~finmodel.rows.Model` (evaluated with numpy, written live).
The terms and the builder are in :mod:`finmodel.funds.builder`, the distribution rows in
:mod:`finmodel.funds.distribution`; this module assembles the model and adds timing, portfolio, calls, outputs
and checks.

Glossary (all rows in KRW per fund period unless marked)
--------------------------------------------------------
``p{k}_cf``                 the fund's share of project ``k``'s SPC equity cash flow (stake x FX x equity_cf)
``p{k}_invest / _dist``     investments into / distributions from project ``k`` within the term
``p{k}_exit``               exit value of the stake at the term (discounted remaining cash flows, or a multiple)
``fund_calls``              investments + management fee, called from the tranches pro rata to commitments
``fund_cash_available``     project distributions + exit values: all of it is distributed in the period
``fund_<t>_due``            tranche ``t``'s hurdle: capital not yet returned plus preferred return accrued
``fund_<t>_paid``           paid against the hurdle, by priority group (pari passu within a group)
``fund_<t>_dist``           hurdle payment + share of the excess above every hurdle (profit share)
``fund_<t>_loss``           [scalar] max(0, contributions - distributions)

Notes
-----
Priority: distributions run through the loss order backwards (the last group of the loss order is paid
first), so losses fall on the first group first. For each group ``g`` in that order, with cash ``A_g``
left, ``paid_t = due_t min(1, A_g / sum_g due)`` for the tranches of the group (pro rata to their hurdles
within a pari passu group). The hurdle compounds: ``due_t = balance_t(prev) (1 + r_t) + call_t`` with
``r_t = (1 + preferred return)^(1/P) - 1``; ``balance_t = due_t - paid_t``. What is left after every
hurdle is the excess, shared by the profit shares (pro rata to commitments unless stated).

The sum of the tranche losses equals the fund's loss whenever no tranche ends in profit while the fund
loses; under a subordinated structure with a preferred return for the senior tranche, the senior
tranche's preferred return is paid from junior capital and the tranche losses exceed the fund's loss by
that amount (``fund_tranche_losses`` vs ``fund_loss``): the cost of the structure to the public side.
What always holds (and is checked) is conservation: the tranches' net results sum to the fund's.
"""

from __future__ import annotations

import numpy as np

from finmodel.conventions import excel_serial
from finmodel.funds.builder import (  # noqa: F401  (the terms and builder stay importable from here)
    CHECKS,
    CURRENCY,
    FUND,
    MONEY_TOLERANCE,
    OUT,
    PORTFOLIO,
    TIMING,
    FundBuilder,
    FundTerms,
    ProjectInput,
    TrancheTerms,
    fund_row,
)
from finmodel.funds.distribution import add_waterfall
from finmodel.model import checks
from finmodel.model.returns import annual_irr
from finmodel.model.timeline import R
from finmodel.rows import Agg, And, Blank, Edate, Func, If, Int, Max, Prev, Ref, Sum, SumFrom, Total


def build(terms: FundTerms, projects: list[ProjectInput], periods: int) -> FundBuilder:
    """Every row of the fund model."""
    b = FundBuilder(terms, projects, periods)
    b.model.add_input(
        "in_check_tolerance",
        MONEY_TOLERANCE,
        "Tolerance for money checks",
        unit=CURRENCY,
        group="Checks",
        fmt="money2",
        source="1 KRW: far above floating-point error on sums of 1e12",
    )
    _timing(b)
    _portfolio(b)
    _calls(b)
    add_waterfall(b)
    _outputs(b)
    _checks(b)
    b.model.plan()
    return b


def _timing(b):
    m, t = b.model, b.terms
    g = "Fund timing"
    start = m.add_input(
        "in_fund_start_date",
        excel_serial(t.start_date),
        "Fund start date (first close)",
        unit="date",
        group=g,
        fmt="date",
        text=t.start_date.isoformat(),
    )
    P = m.add_input(
        "in_fund_periods_per_year", t.periods_per_year, "Fund periods per year", unit="#/year", group=g, fmt="int"
    )
    term = m.add_input(
        "in_fund_term_years",
        t.term_years,
        f"Fund term ({t.structure})",
        unit="years",
        group=g,
        fmt="int",
        source=t.note,
    )
    inv = m.add_input(
        "in_fund_investment_years", t.investment_years, "Investment period", unit="years", group=g, fmt="int"
    )

    def add(name, expr, label, unit="flag", fmt="flag"):
        return m.add(name, expr, TIMING, label, unit=unit, fmt=fmt, section="Fund timing")

    period = add("period", Prev("period") + 1, "Fund period number", unit="#", fmt="int")
    add("period_end", Edate(start, period * 12 / P) - 1, "Period end date", unit="date", fmt="date")
    add("fund_year", Int((period - 1) / P) + 1, "Fund year", unit="#", fmt="int")
    add("term_flag", period <= term * P, "Within the fund's term")
    add("term_end_flag", period.eq(term * P), "Last period of the term (exit)")
    add("post_term_flag", period > term * P, "After the term (valued at the exit)")
    add("investment_flag", period <= inv * P, "Investment period")


def _portfolio(b: FundBuilder) -> None:
    """The Portfolio sheet: the exit valuation inputs and rows, then each project's (:func:`_project`)."""
    exit_multiple = _exit_valuation(b)
    for k, p in enumerate(b.projects, start=1):
        _project(b, k, p, exit_multiple)


def _exit_valuation(b: FundBuilder) -> Ref | None:
    """Exit inputs: the discount rate of the remaining project distributions [per year] and the exit discount
    factor to the end of the term [factor, per period]; or the exit multiple of invested cost [x] (returned)."""
    m, t = b.model, b.terms
    P = m.ref("in_fund_periods_per_year")
    g = "Exit valuation"
    if t.exit_method != "discounted":
        return m.add_input(
            "in_fund_exit_multiple", t.exit_multiple, "Exit: multiple of invested cost", unit="x", group=g, fmt="x"
        )
    rate = m.add_input(
        "in_fund_exit_discount_rate",
        t.exit_discount_rate,
        "Exit: discount rate of remaining project distributions",
        unit="per year",
        group=g,
        fmt="pct",
    )
    m.add(
        "fund_exit_df",
        R("post_term_flag") * (1 + rate) ** -((R("period") - m.ref("in_fund_term_years") * P) / P),
        PORTFOLIO,
        "Exit discount factor (to the end of the term)",
        unit="factor",
        fmt="factor",
        section="Exit valuation",
    )
    return None


def _project(b: FundBuilder, k: int, p: ProjectInput, exit_multiple: Ref | None) -> None:
    """Project ``k``: inputs (SPC equity cash flow [project currency per fund period], FX [KRW per unit], the
    fund's stake [fraction]); rows (Portfolio sheet, [KRW per fund period]): the fund's share of the cash flow,
    investments and distributions within the term, and the exit value at the term (discounted, or a multiple of
    cost)."""
    m = b.model
    g = s = f"Project {k}: {p.name}"
    cf = m.add_input(
        f"in_p{k}_equity_cf",
        np.asarray(p.series, dtype=float).reshape(1, -1),
        f"{p.title}: SPC equity cash flow (all sponsors)",
        kind="series",
        unit=p.currency,
        group=g,
        fmt="money",
        source=p.source,
    )
    fx = m.add_input(
        f"in_p{k}_fx_to_krw",
        p.fx_to_krw,
        f"{p.name}: FX",
        unit=f"KRW/{p.currency}",
        group=g,
        fmt="number",
        source="project scenario fx_to_krw",
    )
    stake = m.add_input(
        f"in_p{k}_stake",
        p.stake,
        f"{p.name}: fund's stake in SPC equity",
        unit="fraction",
        group=g,
        fmt="pct",
        source="portfolio file",
    )

    def add(name, expr, label, total=True):
        return fund_row(b, name, expr, label, s, total=total, sheet=PORTFOLIO)

    pcf = add(f"p{k}_cf", stake * fx * cf, "Fund's share of the equity cash flow")
    add(f"p{k}_invest", Max(0, -pcf) * R("term_flag"), "Investment by the fund")
    add(f"p{k}_dist", Max(0, pcf) * R("term_flag"), "Distributions to the fund")
    if exit_multiple is None:
        add(f"p{k}_post_pv", pcf * R("fund_exit_df"), "After the term, discounted to the term's end")
        add(f"p{k}_exit", R("term_end_flag") * Max(0, SumFrom(f"p{k}_post_pv")), "Exit value at the term")
    else:
        add(f"p{k}_cost", Prev(f"p{k}_cost") + R(f"p{k}_invest"), "Invested at cost (cumulative)", total=False)
        add(f"p{k}_post_cf", pcf * R("post_term_flag"), "Cash flows after the term")
        add(
            f"p{k}_exit",
            R("term_end_flag") * exit_multiple * R(f"p{k}_cost") * (SumFrom(f"p{k}_post_cf") > 0),
            "Exit value at the term (multiple of cost, if the project outlives the term)",
        )


def _calls(b: FundBuilder) -> None:
    """The fund's terms (:func:`_terms`), its commitments (:func:`_commitments`) and capital calls
    (:func:`_capital_calls`)."""
    fee = _terms(b)
    total = _commitments(b)
    _capital_calls(b, fee, total)


def _terms(b: FundBuilder) -> Ref:
    """Inputs: the management fee [per year]; each tranche's commitment [KRW], preferred return [per year] and
    profit share [fraction, where stated]. Returns the management fee."""
    m, t = b.model, b.terms
    fee = m.add_input(
        "in_fund_management_fee",
        t.management_fee,
        "Management fee (commitments in the investment period, invested cost after)",
        unit="per year",
        group="Fund terms",
        fmt="pct",
    )
    for tr in t.tranches:
        gt = f"Tranche: {tr.name}"
        m.add_input(
            f"in_fund_{tr.name}_commitment",
            tr.commitment,
            f"{tr.name}: commitment",
            unit=CURRENCY,
            group=gt,
            fmt="money",
        )
        m.add_input(
            f"in_fund_{tr.name}_pref_rate",
            tr.preferred_return,
            f"{tr.name}: preferred return",
            unit="per year",
            group=gt,
            fmt="pct",
        )
        if tr.profit_share is not None:
            m.add_input(
                f"in_fund_{tr.name}_profit_share",
                tr.profit_share,
                f"{tr.name}: share of profit above the preferred returns",
                unit="fraction",
                group=gt,
                fmt="pct",
            )
    return fee


def _commitments(b: FundBuilder) -> Ref:
    """Scalars: total commitments [KRW]; each tranche's share of commitments [fraction] and preferred return per
    period [per period]. Returns the total commitments."""
    m, t = b.model, b.terms
    P = m.ref("in_fund_periods_per_year")

    def scal(name, expr, label, unit="fraction", fmt="pct"):
        return m.add(name, expr, FUND, label, unit=unit, fmt=fmt, section="Commitments")

    total = scal(
        "fund_total_commitment",
        Sum([m.ref(f"in_fund_{tr.name}_commitment") for tr in t.tranches]),
        "Total commitments",
        unit=CURRENCY,
        fmt="money",
    )
    for tr in t.tranches:
        scal(
            f"fund_{tr.name}_share", m.ref(f"in_fund_{tr.name}_commitment") / total, f"{tr.name}: share of commitments"
        )
        scal(
            f"fund_{tr.name}_pref_period_rate",
            (1 + m.ref(f"in_fund_{tr.name}_pref_rate")) ** (1 / P) - 1,
            f"{tr.name}: preferred return per period",
            unit="per period",
        )
    return total


def _capital_calls(b: FundBuilder, fee: Ref, total: Ref) -> None:
    """Capital calls [KRW per fund period]: investments in projects, invested cost (cumulative), management fee
    (on commitments in the investment period, on invested cost after), capital called, each tranche's call pro
    rata to its commitment, and calls - tranche contributions (checked)."""
    m, t = b.model, b.terms
    P = m.ref("in_fund_periods_per_year")

    def add(name, expr, label, total=True):
        return fund_row(b, name, expr, label, "Capital calls", total=total)

    n = len(b.projects)
    add("fund_investments", Sum([R(f"p{k}_invest") for k in range(1, n + 1)]), "Investments in projects")
    add(
        "fund_invested_cost",
        Prev("fund_invested_cost") + R("fund_investments"),
        "Invested at cost (cumulative)",
        total=False,
    )
    add(
        "fund_management_fee",
        R("term_flag") * fee / P * If(R("investment_flag"), total, Prev("fund_invested_cost")),
        "Management fee",
    )
    add("fund_calls", R("fund_investments") + R("fund_management_fee"), "Capital called")
    for tr in t.tranches:
        add(f"fund_{tr.name}_call", m.ref(f"fund_{tr.name}_share") * R("fund_calls"), f"{tr.name}: capital called")
    add(
        "fund_call_difference",
        R("fund_calls") - Sum([R(f"fund_{tr.name}_call") for tr in t.tranches]),
        "Calls - tranche contributions",
        total=False,
    )


def _outputs(b):
    m, t = b.model, b.terms
    P = m.ref("in_fund_periods_per_year")

    def out(name, expr, label, unit="", fmt="number"):
        return m.add(name, expr, OUT, label, unit=unit, fmt=fmt, section="Fund metrics")

    def block(prefix, calls, dist, cf, label):
        c = out(f"{prefix}_contributions", Total(calls), f"{label}: contributions", unit=CURRENCY, fmt="money")
        d = out(f"{prefix}_distributions", Total(dist), f"{label}: distributions", unit=CURRENCY, fmt="money")
        out(f"{prefix}_irr", annual_irr(m, cf, calls, dist, FUND, P), f"{label}: IRR", unit="per year", fmt="pct")
        out(
            f"{prefix}_multiple",
            If(c > 0, d / c, Blank()),
            f"{label}: multiple (distributions / contributions)",
            unit="x",
            fmt="x",
        )
        return out(
            f"{prefix}_loss", Max(0, c - d), f"{label}: loss (contributions not returned)", unit=CURRENCY, fmt="money"
        )

    for tr in t.tranches:
        block(f"fund_{tr.name}", f"fund_{tr.name}_call", f"fund_{tr.name}_dist", f"fund_{tr.name}_cf", tr.name)
    block("fund", "fund_calls", "fund_dist", "fund_cf", "Fund (all tranches)")
    out(
        "fund_tranche_losses",
        Sum([m.ref(f"fund_{tr.name}_loss") for tr in t.tranches]),
        "Sum of tranche losses",
        unit=CURRENCY,
        fmt="money",
    )
    out("fund_investments_total", Total("fund_investments"), "Invested in projects", unit=CURRENCY, fmt="money")
    out("fund_management_fees", Total("fund_management_fee"), "Management fees", unit=CURRENCY, fmt="money")
    out("fund_exit_value_total", Total("fund_exit_value"), "Exit value at the term", unit=CURRENCY, fmt="money")
    out(
        "fund_commitment_drawn",
        m.ref("fund_contributions") / m.ref("fund_total_commitment"),
        "Commitments drawn",
        unit="fraction",
        fmt="pct",
    )


def _checks(b):
    m, t = b.model, b.terms
    tol = checks.tolerance(b)

    def absf(x):
        return Func("ABS", x)

    checks.add_check(
        b,
        "check_fund_calls",
        And(Agg("MAX", "fund_call_difference") < tol, Agg("MIN", "fund_call_difference") > -tol),
        "Tranche contributions = capital called, every period",
    )
    checks.add_check(
        b,
        "check_fund_distributions",
        And(Agg("MAX", "fund_dist_difference") < tol, Agg("MIN", "fund_dist_difference") > -tol),
        "Distributions = cash available, every period",
    )
    net = Sum([m.ref(f"fund_{x}_contributions") - m.ref(f"fund_{x}_distributions") for x in t.names])
    checks.add_check(
        b,
        "check_fund_loss_allocated",
        absf(net - (m.ref("fund_contributions") - m.ref("fund_distributions"))) < tol,
        "Losses allocated in full: tranche net results sum to the fund's",
    )
    checks.add_check(
        b,
        "check_fund_loss_order",
        Agg("MAX", "fund_order_breach") < 1,
        "Loss order respected: no junior payment while a senior hurdle is unpaid",
    )
    checks.add_check(
        b,
        "check_fund_within_commitments",
        m.ref("fund_contributions") < m.ref("fund_total_commitment") + tol,
        "Capital called within total commitments",
    )
    flags = m.ref(b.check_names[0])
    for n in b.check_names[1:]:
        flags = flags * m.ref(n)
    m.add(
        "master_check",
        flags,
        CHECKS,
        "MASTER CHECK (1 = all checks pass)",
        unit="1 = OK",
        fmt="check",
        section="Master",
    )
