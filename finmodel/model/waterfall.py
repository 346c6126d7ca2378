"""CFADS and the priority of payments, one period at a time (Waterfall sheet).

Order in each operating period:

1. CFADS = revenue - operating costs - lifecycle costs - tax (:mod:`finmodel.model.tax`) + the declared CFADS lines
   (``finmodel.rows.totals``); plus cash retained by an earlier lock-up.
2. Senior debt service (interest first, then principal, pro rata among senior facilities), helped by the
   DSRA when cash falls short. What cannot be paid is a payment default: unpaid interest is capitalised,
   unpaid principal stays due.
3. DSRA: topped up to its target (the next months of *scheduled* senior debt service) or released above it.
4. Subordinated debt service.
5. Lock-up test: historical DSCR below the lock-up ratio (or any senior shortfall) -> cash is retained.
6. Cash sweep: a fraction of the remaining cash prepays the sweep facilities pro rata to their balances.
7. Cash to sponsors: shareholder loan (interest, then principal), then dividends (:mod:`finmodel.model.equity`).

A termination of the concession (:mod:`finmodel.model.termination`) is a default; from the period after it nothing is
paid to the lenders and all cash is retained (the compensation, on the Termination sheet, settles the debt).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.model import termination
from finmodel.model.timeline import R
from finmodel.rows import And, Const, Expr, If, LeadSum, Max, Min, Not, Or, Prev, Ref, Sum
from finmodel.rows.totals import line_rows

if TYPE_CHECKING:
    from finmodel.model.context import Builder


def build(b: Builder) -> None:
    """The Waterfall sheet in the order of payments: CFADS, senior debt service, DSRA, subordinated debt
    service, lock-up, cash sweep, cash to sponsors.

    With a ``guarantees`` block a political event (expropriation, transfer restriction: finmodel.model.guarantees)
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
    _subordinated(b)
    _lockup(b, lockup, covered)
    _sweep(b)
    _to_sponsors(b, covered)


def _wf(b: Builder, name, expr, label, total=True, unit=None, fmt="money", section="Waterfall") -> Ref:
    """A Waterfall-sheet row (default: [currency per period], with a total)."""
    unit = b.cur if unit is None else unit
    return b.model.add(name, expr, "Waterfall", label, unit=unit, total=total, fmt=fmt, section=section)


def _blocking(b: Builder) -> list[Expr]:
    """What stops payments to the lenders: a political event (with a guarantees block) and the periods after a
    termination of the concession (finmodel.model.termination)."""
    out = [R("political_event_flag")] if b.scenario.guarantees else []
    if termination.active(b):
        out.append(Prev("terminated"))
    return out


def _blocked(b: Builder, expr: Expr) -> Expr:
    """A payment to the lenders: nothing during a political event when the scenario has a guarantees block, nor
    after a termination."""
    for x in _blocking(b):
        expr = expr * (1 - x)
    return expr


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
        _blocked(b, paid),
        "Senior debt service paid"
        + (" (nothing during a political event)" if covered else "")
        + (" (nothing after a termination)" if termination.active(b) else ""),
    )
    _wf(b, "senior_shortfall", R("senior_due") - R("senior_paid"), "Senior debt service unpaid (default)")
    # permanent default flag; with a guarantees block a political event is a default too, and equity receives
    # nothing from the default on (lock-up to the end, final release included)
    causes = [R("senior_shortfall") > 0] + ([R("political_event_flag")] if covered else [])
    if termination.active(b):  # a termination is a default for the lenders
        causes.append(R("terminated"))
    trigger = Or(*causes) if len(causes) > 1 else causes[0]
    _wf(
        b,
        "defaulted",
        Max(Prev("defaulted"), trigger),
        "Defaulted (permanent from the first payment default, political event or termination)",
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


def _subordinated(b: Builder) -> None:
    """Subordinated debt service due and paid, interest and principal paid and their ratios [fraction], cash
    after subordinated debt [currency per period unless marked]."""
    _wf(b, "sub_due", R("sub_interest_due") + R("sub_principal_due"), "Subordinated debt service due")
    sub = Min(R("sub_due"), Max(0, R("cash_after_dsra")))
    _wf(b, "sub_paid", _blocked(b, sub), "Subordinated debt service paid")
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


def _sweep(b: Builder) -> None:
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
    _wf(b, "sweep", _blocked(b, sw), "Cash sweep prepayment", section="Lock-up and sweep")
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
    keep = [locked] + ([R("defaulted")] if covered else []) + ([R("terminated")] if termination.active(b) else [])
    _wf(
        b,
        "cash_retained",
        If(
            Or(*keep) if len(keep) > 1 else locked,
            R("cash_after_sweep"),
            Min(0, R("cash_after_sweep")),
        ),
        "Cash retained (lock-up or deficit)",
        total=False,
    )
    _wf(b, "cash_to_equity", R("cash_after_sweep") - R("cash_retained"), "Cash to sponsors")
