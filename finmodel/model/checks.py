"""The Checks sheet: every reconciliation as a named 1 (true) / 0 (false) cell, and the master check.

Money tolerance: ``in_check_tolerance`` (default :data:`finmodel.conventions.MONEY_TOLERANCE`, a cent): sums of up
to a few hundred amounts of 1e9 carry floating-point error around 1e-6, far below it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.conventions import MONEY_TOLERANCE
from finmodel.model.loan_currency import commitment
from finmodel.model.timeline import R
from finmodel.rows import Agg, And, Blank, Expr, Func, If, Max, Or, Ref, Sum, Total

if TYPE_CHECKING:
    from finmodel.model.context import Builder

SHEET = "Checks"
# DSCR and gearing agree with their targets to 1e-6 after the solve (it converges to ~1e-10)
SIZING_TOLERANCE = 1e-6


def tolerance(b) -> Ref:
    """The money tolerance input [currency] of builder ``b`` (anything with a ``model``: the project's
    :class:`~finmodel.model.context.Builder` or the fund's; created on first use; the fund's is in KRW)."""
    m = b.model
    if "in_check_tolerance" in m.inputs:
        return m.ref("in_check_tolerance")
    return m.add_input(
        "in_check_tolerance",
        MONEY_TOLERANCE,
        "Tolerance for money checks",
        unit=b.cur,
        group="Checks",
        fmt="money2",
        source="a cent: far above floating-point error",
    )


def add_check(b, name: str, expr, label: str) -> None:
    """A named check cell (1 = OK) on the Checks sheet of builder ``b`` (the project's or the fund's), part of
    the master check. Any module may add one
    before :func:`build` runs (it adds the master check)."""
    b.model.add(name, expr, SHEET, label, unit="1 = OK", fmt="check", section="Checks")
    b.check_names.append(name)


def build(b: Builder, *, sizing_case: bool) -> list[str]:
    """Add the core check cells [1 = OK] and the master check over every check; returns the check names."""
    tol = tolerance(b)
    add_check(
        b,
        "check_sources_uses",
        _abs(Total("sources") - Total("uses")) < tol,
        "Sources = uses (debt + sponsor funding + grants = total uses)",
    )
    add_check(
        b,
        "check_cash_conserved",
        And(Agg("MAX", "cash_difference") < tol, Agg("MIN", "cash_difference") > -tol),
        "Waterfall: cash in = cash out in every period",
    )
    _balance_checks(b)
    add_check(b, "check_dsra_non_negative", Agg("MIN", "dsra_balance") > -tol, "DSRA balance never negative")
    not_solved_here = _financing_solved(b, sizing_case)
    for f in b.facilities:
        add_check(
            b,
            f"check_{f.p}_drawn",
            Or(not_solved_here, _abs(Total(f.n("draw")) - commitment(b, f)) < tol),
            f"{f.facility.name}: commitment fully drawn (solved amount consistent)",
        )
    if any(f.sized for f in b.facilities):
        _sizing_check(b, not_solved_here)
    return _master_check(b)


def _abs(x) -> Expr:
    return Func("ABS", x)


def _balance_checks(b: Builder) -> None:
    """Per facility: repaid at maturity unless in default; balance never negative."""
    m, tol = b.model, tolerance(b)
    defaulted = m.ref("default_periods") > 0
    if "terminated" in m.rows:  # a termination is a default: what its compensation leaves is never repaid
        defaulted = Or(defaulted, Agg("MAX", "terminated") > 0)
    for f in b.facilities:
        # a subordinated facility may be in default on its own (its unpaid debt service: finmodel.model.ledgers)
        in_default = (
            defaulted if f.senior or "sub_defaulted" not in m.rows else Or(defaulted, Agg("MAX", "sub_defaulted") > 0)
        )
        add_check(
            b,
            f"check_{f.p}_repaid",
            Or(_abs(m.ref(f.n("balance_at_maturity"))) < tol, in_default),
            f"{f.facility.name}: repaid at maturity (unless in default)",
        )
        add_check(
            b,
            f"check_{f.p}_non_negative",
            Agg("MIN", f.n("closing")) > -tol,
            f"{f.facility.name}: balance never negative",
        )


def _financing_solved(b: Builder, sizing_case: bool) -> Expr:
    """Input: the financing solved on this case (1) or as sized on the base case (0) [flag]; returns the
    condition "not solved here" that the sizing and drawdown checks accept.

    The sizing checks prove the solved financing; a case that keeps the base case's financing (lenders test
    the debt as signed) is not expected to pass them. A 1/0 input rather than a structural switch, so that every
    case has the same rows and the workbook's live case selector can switch between them.
    """
    solved_here = b.model.add_input(
        "in_financing_solved",
        1.0 if sizing_case else 0.0,
        "Financing solved on this case (1) or as sized on the base case (0)",
        unit="1 = solved here",
        group="Checks",
        fmt="int",
        source="cases keep the base-case financing unless resize_debt: true",
    )
    return solved_here.eq(0)


def _sizing_check(b: Builder, not_solved_here: Expr) -> None:
    """Inputs: maximum gearing [fraction], target DSCR [x], the sizing tolerance [x]; the row DSCR on scheduled
    senior debt service while the sized facilities repay [x]; the check that the debt is sized at the smaller of
    the gearing cap and the DSCR capacity [1 = OK]."""
    m, sz, tol = b.model, b.scenario.debt.sizing, tolerance(b)
    g = "Debt sizing"
    mg = m.add_input(
        "in_max_gearing",
        sz.max_gearing,
        "Maximum gearing (debt / uses after grants)",
        unit="fraction",
        group=g,
        fmt="pct",
    )
    td = m.add_input(
        "in_target_dscr", sz.target_dscr, "Target DSCR for sizing and sculpting", unit="x", group=g, fmt="x"
    )
    _dscr_sized(b)
    all_debt = commitment(b, b.facilities[0])
    for f in b.facilities[1:]:
        all_debt = all_debt + commitment(b, f)
    cap = mg * Total("funding_need")
    gear_binds = _abs(all_debt - cap) < tol
    dtol = m.add_input(
        "in_sizing_tolerance",
        SIZING_TOLERANCE,
        "Tolerance for the sizing check (DSCR)",
        unit="x",
        group="Checks",
        fmt="factor",
        source="the solver converges to ~1e-10",
    )
    dscr_binds = _abs(Agg("MIN", "dscr_sized") - td) < dtol
    no_room = _no_room(b, td, tol)
    # fixed facilities alone at or above the gearing cap: the sized debt is zero (the gearing is the fixed debt's)
    sized_debt = Sum([m.ref(f.i("amount")) for f in b.facilities if f.sized])
    fixed_over_cap = And(sized_debt < tol, all_debt - sized_debt > cap - tol)
    add_check(
        b,
        "check_debt_sizing",
        Or(not_solved_here, fixed_over_cap, And(all_debt < cap + tol, Or(gear_binds, dscr_binds, no_room))),
        "Debt sized at the smaller of the gearing cap and the DSCR capacity (zero where CFADS leaves no room or "
        "the fixed facilities already reach the cap)",
    )


def _no_room(b: Builder, td: Ref, tol: Ref) -> Expr:
    """Returns sheet: the room for the sized facilities' debt service, ``max(0, CFADS / target DSCR - senior
    scheduled debt service)`` in the periods any sized facility repays [currency per period, blank in the others].
    Returns the condition that the sized debt is zero because some repayment period has no room (no revenue, or
    the fixed facilities' debt service alone takes CFADS / target there): the DSCR capacity is then zero and no
    DSCR can bind [1/0]."""
    sized = [f for f in b.facilities if f.sized]
    repays = R(sized[0].n("repay_flag"))
    for f in sized[1:]:
        repays = Max(repays, R(f.n("repay_flag")))
    b.model.add(
        "sizing_room",
        If(repays > 0, Max(0, R("cfads") / td - R("senior_scheduled_ds")), Blank()),
        "Returns",
        "Room for the sized facilities' debt service = max(0, CFADS / target DSCR - senior scheduled debt service)",
        unit=b.cur,
        total=False,
        fmt="money",
        section="Ratios",
    )
    sized_debt = Sum([b.model.ref(f.i("amount")) for f in sized])
    return And(sized_debt < tol, Agg("MIN", "sizing_room") < tol)


def _dscr_sized(b: Builder) -> None:
    """Returns sheet: DSCR on *scheduled* senior debt service in the periods the sized facilities carry debt
    service [x, blank elsewhere].

    Scheduled, the quantity the debt is sized on: a cash sweep prepays the sized debt and lowers the later debt
    service actually due, so the actual DSCR may stay above target. A sculpted facility carries no debt service
    where the fixed facilities alone already take CFADS / target.
    """
    tol = tolerance(b)
    sized = [f for f in b.facilities if f.sized]
    flag = R(sized[0].n("scheduled_ds")) > tol
    for f in sized[1:]:
        flag = Or(flag, R(f.n("scheduled_ds")) > tol)
    b.model.add(
        "dscr_sized",
        If(And(flag, R("senior_scheduled_ds") > 0), R("cfads") / R("senior_scheduled_ds"), Blank()),
        "Returns",
        "DSCR on scheduled senior debt service while sized facilities repay",
        unit="x",
        fmt="x",
        section="Ratios",
    )


def _master_check(b: Builder) -> list[str]:
    """The master check: the product of every check [1 = OK]; returns the check names."""
    m, names = b.model, b.check_names
    flags = m.ref(names[0])
    for n in names[1:]:
        flags = flags * m.ref(n)
    m.add(
        "master_check", flags, SHEET, "MASTER CHECK (1 = all checks pass)", unit="1 = OK", fmt="check", section="Master"
    )
    return names
