"""The Equity sheet: shareholder loan and dividends, the equity cash flow, each sponsor's cash flows, and the
waterfall's cash conservation.

The equity cash flow = cash to sponsors - sponsor funding + the declared equity lines (each a visible row of this
sheet, see ``finmodel.rows.totals``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.model import border_tax
from finmodel.model.timeline import R
from finmodel.rows import Const, Max, Min, Prev, Ref, Sum
from finmodel.rows.totals import line_rows

if TYPE_CHECKING:
    from finmodel.model.context import Builder


def build(b: Builder) -> None:
    """The Equity sheet: shareholder loan and dividends; the equity cash flow; each sponsor's cash flows; the
    waterfall's cash conservation."""
    if b.scenario.shareholder_loan:
        _shareholder_loan(b)
    else:
        _eq(b, "share_capital", R("equity_funding"), "Share capital subscribed")
        _eq(b, "shl_paid", Const(0.0, scalar=False), "Shareholder loan service paid")
        _eq(b, "dividends", R("cash_to_equity"), "Dividends")
    eq_lines = line_rows(b, "equity_cf", lambda n, e, lab: _eq(b, n, e, lab))
    before = Sum([R("cash_to_equity") - R("equity_funding")] + eq_lines)
    rates = border_tax.sponsor_rates(b)
    if any(rates):
        before = _eq(b, "equity_cf_before_wht", before, "Equity cash flow before withholding (all sponsors)")
        shares = _share_inputs(b)
        wht = [_sponsor_wht(b, k, shares[k - 1], r) for k, r in enumerate(rates, start=1) if r is not None]
        _eq(b, "equity_wht", Sum(wht), "Withholding tax on what the sponsors abroad receive", section="Withholding")
        _eq(b, "equity_cf", before - R("equity_wht"), "Equity cash flow (all sponsors, after withholding)")
        _sponsors(b, shares, before, rates)
    else:
        _eq(b, "equity_cf", before, "Equity cash flow (all sponsors)")
        _sponsors(b, _share_inputs(b), R("equity_cf"), rates)
    _cash_conservation(b)


def _sponsor_wht(b: Builder, k: int, share: Ref, rates) -> Ref:
    """Sponsor ``k``'s withholding: its share of the dividends x the dividend rate + of the shareholder-loan
    interest paid x the interest rate [currency per period]."""
    div, intr = rates
    expr = share * (div * R("dividends"))
    if b.scenario.shareholder_loan:
        expr = share * (div * R("dividends") + intr * R("shl_interest_paid"))
    name = b.scenario.sponsors[k - 1].name
    return _eq(
        b,
        f"sponsor{k}_wht",
        expr,
        f"{name}: withholding = share x (dividends x dividend rate + shareholder-loan interest x interest rate)",
        section="Withholding",
    )


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


def _share_inputs(b: Builder) -> list[Ref]:
    """Inputs: each sponsor's equity share [fraction]."""
    return [
        b.model.add_input(
            f"in_sponsor{k}_share",
            sp.share,
            f"{sp.name}: equity share",
            unit="fraction",
            group="Sponsors",
            fmt="pct",
            source=f"kind: {sp.kind}",
        )
        for k, sp in enumerate(b.scenario.sponsors, start=1)
    ]


def _sponsors(b: Builder, shares: list[Ref], equity_cf, rates) -> None:
    """Each sponsor: cash flow (its share of ``equity_cf``, less its withholding where ``rates`` has one),
    cumulative cash flow [currency per period] and the not-yet-paid-back flag [flag]."""
    for k, sp in enumerate(b.scenario.sponsors, start=1):
        cf = shares[k - 1] * equity_cf
        if rates[k - 1] is not None:
            cf = cf - R(f"sponsor{k}_wht")
        _eq(b, f"sponsor{k}_cf", cf, f"{sp.name}: cash flow" + (" (after withholding)" if rates[k - 1] else ""))
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
