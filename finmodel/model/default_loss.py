"""Loss at default and DSRA exhaustion as model rows: what the Monte Carlo and the breakevens read.

Rules (stated once; the row labels repeat them)
-----------------------------------------------
* **First period of default**: ``defaulted`` is permanent, so the model is in default for its last
  ``periods_in_default`` periods, from ``first_default_period`` = last period - periods in default + 1 (Ledgers).
* **Exposure at default** ``d{k}_ead`` [currency]: the facility's opening balance in the first period of
  (senior) default; 0 on a path without a default.
* **Loss at default** ``d{k}_default_loss`` [currency]: the balance the project never repays (the closing
  balance of the last period, floored at 0), discounted to the first period of default at the facility's own
  period rate (floored at 0), at most the exposure at default: ``balance / PRODUCT(MAX(1, 1 + defaulted x
  period rate))`` (``d{k}_default_growth``), or for a rate fixed over time ``balance / (1 + MAX(0, period
  rate)) ^ periods in default``.
  The balance accrues at that rate, so ``EAD = PV(debt service received from the default on) + loss``: the
  recovery ``1 - loss / EAD`` is the present value of what the lenders got back, as Moody's measures ultimate
  recovery (at the loan's rate). On a path without a (senior) default the loss is the balance left,
  undiscounted (0 when repaid; a subordinated facility can end unpaid without a senior default).
* **Senior loss** ``senior_loss`` [currency]: the sum of the senior facilities' losses at default.
* **DSRA exhausted** ``dsra_exhausted`` [1/0]: 1 when in some period the DSRA is drawn and left at or below the
  money tolerance, or senior debt service goes unpaid by more than it (``dsra_exhausted_flag`` by period).
* **CFADS negative** ``cfads_negative`` [1/0]: 1 when CFADS is below 0 in some period with senior debt service
  due (more than the money tolerance; ``cfads_negative_flag`` by period): where a DSCR is negative, the ratio
  says nothing more than this.
* **Senior shortfall** ``senior_shortfall_total`` [currency]: senior debt service left unpaid, summed over the
  periods (undiscounted).

Nothing here is a check: a loss or an empty DSRA is a result. The Monte Carlo
(:func:`finmodel.risk.simulation.lender_columns`) and the sensitivities' breakeven on delay
(:mod:`finmodel.risk.sensitivity`) read these rows instead of computing them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.model.checks import tolerance
from finmodel.model.timeline import R
from finmodel.rows import Agg, And, Const, If, Index, Max, Min, Or, Sum, Total

if TYPE_CHECKING:
    from finmodel.model.context import Builder, FacilitySpec
    from finmodel.rows import Ref

SHEET = "Ledgers"
OUT = "Outputs"


def build(b: Builder) -> None:
    """Add each facility's exposure and loss at default, the senior loss and the DSRA-exhausted flag.

    Needs ``defaulted`` (the waterfall, permanent from the first default), the facilities' balances and rates
    (:mod:`finmodel.model.debt`) and the waterfall's DSRA rows."""
    count, first = default_timing(b)
    losses = [(f, facility_loss(b, f, count, first)) for f in b.facilities]
    senior = [loss for f, loss in losses if f.senior]
    b.model.add(
        "senior_loss",
        Sum(senior) if senior else Const(0.0),
        OUT,
        "Senior loss at default (sum of the senior facilities' losses at default)",
        unit=b.cur,
        fmt="money",
        section="Lenders",
    )
    dsra_exhausted(b)
    cover_shortfalls(b)


def default_timing(b: Builder) -> tuple[Ref, Ref]:
    """``periods_in_default`` [periods] and ``first_default_period`` [period number; 0 without a default]."""
    m = b.model
    count = m.add(
        "periods_in_default",
        Total("defaulted"),
        SHEET,
        "Periods in default (from the first default to the end of the model)",
        unit="periods",
        fmt="int",
        section="Default",
    )
    first = m.add(
        "first_default_period",
        If(count > 0, Agg("LAST", "period") - count + 1, 0),
        SHEET,
        "First period of default (period number; 0 without a default)",
        unit="#",
        fmt="int",
        section="Default",
    )
    return count, first


def facility_loss(b: Builder, f: FacilitySpec, count: Ref, first: Ref) -> Ref:
    """The facility's ``d{k}_ead`` and ``d{k}_default_loss`` [currency] (and ``d{k}_default_growth`` [factor]
    by period for a rate that changes over time); returns the loss."""
    m, cur = b.model, b.cur
    name = f.facility.name
    ead = m.add(
        f.n("ead"),
        If(count > 0, Index(f.n("opening"), first), 0),
        OUT,
        f"{name}: exposure at default (opening balance of the first default period)",
        unit=cur,
        fmt="money",
        section="Lenders",
    )
    never = Max(0, Agg("LAST", f.n("closing")))
    return m.add(
        f.n("default_loss"),
        If(count > 0, Min(never / growth_in_default(b, f, count), ead), never),
        OUT,
        f"{name}: loss at default (balance never repaid, discounted to the default at the facility's rate, at "
        "most the exposure)",
        unit=cur,
        fmt="money",
        section="Lenders",
    )


def growth_in_default(b: Builder, f: FacilitySpec, count: Ref):
    """Growth factor of the balance over the periods in default [factor]: a power for a rate fixed over time,
    else the product of the ``d{k}_default_growth`` row (1 + period rate, at least 1; 1 before the default)."""
    m = b.model
    pr = f.n("period_rate")
    if m.rows[f.n("rate")].expr.scalar:
        return (1 + Max(0, Index(pr, 1))) ** count
    m.add(
        f.n("default_growth"),
        Max(1, 1 + R("defaulted") * R(pr)),
        SHEET,
        f"{f.facility.name}: growth of the balance in default (1 + period rate, at least 1; 1 before the default)",
        unit="factor",
        fmt="factor",
        section=f"{f.facility.name}: loss at default",
    )
    return Agg("PRODUCT", f.n("default_growth"))


def _flag_and_ever(b: Builder, name: str, expr, label: str, section: str, ever_label: str) -> None:
    """``{name}_flag`` [flag] by period on the Waterfall sheet (under ``section``) and the metric ``name`` [flag]:
    1 when the flag is set in some period (Outputs, Lenders)."""
    m = b.model
    m.add(f"{name}_flag", expr, "Waterfall", label, unit="flag", fmt="flag", section=section)
    m.add(name, Agg("MAX", f"{name}_flag"), OUT, ever_label, unit="flag", fmt="flag", section="Lenders")


def dsra_exhausted(b: Builder) -> None:
    """``dsra_exhausted_flag`` [flag] by period and the metric ``dsra_exhausted`` [flag]."""
    tol = tolerance(b)
    _flag_and_ever(
        b,
        "dsra_exhausted",
        Or(And(R("dsra_draw") > 0, R("dsra_balance") <= tol), R("senior_shortfall") > tol),
        "DSRA exhausted (drawn to the money tolerance or below) or senior debt service unpaid",
        "DSRA",
        "DSRA exhausted in some period (1 = yes)",
    )


def cover_shortfalls(b: Builder) -> None:
    """``cfads_negative_flag`` [flag] by period, the metrics ``cfads_negative`` [flag] and
    ``senior_shortfall_total`` [currency]: what the Monte Carlo reports beside the minimum DSCR."""
    m, tol = b.model, tolerance(b)
    _flag_and_ever(
        b,
        "cfads_negative",
        And(R("cfads") < 0, R("senior_due") > tol),
        "CFADS negative in a period with senior debt service due",
        "Senior debt service",
        "CFADS negative in some period with senior debt service due (1 = yes)",
    )
    m.add(
        "senior_shortfall_total",
        Total("senior_shortfall"),
        OUT,
        "Senior debt service left unpaid (sum over the periods, undiscounted)",
        unit=b.cur,
        fmt="money",
        section="Lenders",
    )
