"""Loss at default and DSRA exhaustion as model rows: what the Monte Carlo and the breakevens read.

Rules (stated once; the row labels repeat them)
-----------------------------------------------
* **Exposure at default** ``d{k}_ead`` [currency]: the facility's opening balance in the first period of
  (senior) default (``default_start``, the Ledgers sheet); 0 on a path without a default.
* **Loss at default** ``d{k}_default_loss`` [currency]: the balance the project never repays (the closing
  balance of the last period, floored at 0), discounted to the default period at the facility's own period
  rate: ``balance / PRODUCT(1 + defaulted x MAX(0, period rate))``, at most the exposure at default
  (``defaulted`` is permanent, so the product runs from the first period of default to the end).
  The balance accrues at that rate, so ``EAD = PV(debt service received from the default on) + loss``: the
  recovery ``1 - loss / EAD`` is the present value of what the lenders got back, as Moody's measures ultimate
  recovery (at the loan's rate). On a path without a (senior) default the loss is the balance left,
  undiscounted (0 when repaid; a subordinated facility can end unpaid without a senior default).
* **Senior loss** ``senior_loss`` [currency]: the sum of the senior facilities' losses at default.
* **DSRA exhausted** ``dsra_exhausted`` [1/0]: 1 when in some period the DSRA is drawn and left at or below the
  money tolerance, or senior debt service goes unpaid by more than it (``dsra_exhausted_flag`` by period).

Nothing here is a check: a loss or an empty DSRA is a result. The Monte Carlo
(:func:`finmodel.risk.simulation.lender_columns`) and the sensitivities' breakeven on delay
(:mod:`finmodel.risk.sensitivity`) read these rows instead of computing them again.
"""

from __future__ import annotations

from finmodel.checks import tolerance
from finmodel.rows import Agg, And, Const, If, Max, Min, Or, Sum, Total
from finmodel.timeline import R

SHEET = "Ledgers"
OUT = "Outputs"


def build(b) -> None:
    """Add each facility's exposure and loss at default, the senior loss and the DSRA-exhausted flag.

    Needs ``default_start`` (the Ledgers sheet: :mod:`finmodel.ledgers`), the facilities' balances and rates
    (:mod:`finmodel.debt`) and the waterfall's DSRA rows."""
    m, cur = b.model, b.cur
    tol = tolerance(b)
    defaulted = R("defaulted")
    senior = []
    for f in b.facilities:
        name, sec = f.facility.name, f"{f.facility.name}: loss at default"

        def add(what, expr, label, *, unit=cur, fmt="money", total=True, f=f, name=name, sec=sec):
            return m.add(f.n(what), expr, SHEET, f"{name}: {label}", unit=unit, fmt=fmt, total=total, section=sec)

        add(
            "ead_flow",
            R("default_start") * R(f.n("opening")),
            "debt owed when the default starts (first default period)",
        )
        add(
            "default_growth",
            1 + defaulted * Max(0, R(f.n("period_rate"))),
            "growth of the balance from the default on (1 + period rate in default, 1 before)",
            unit="factor",
            fmt="factor",
            total=False,
        )
        ead = m.add(
            f.n("ead"),
            Total(f.n("ead_flow")),
            OUT,
            f"{name}: exposure at default (opening balance of the first default period)",
            unit=cur,
            fmt="money",
            section="Lenders",
        )
        never = Max(0, Agg("LAST", f.n("closing")))
        loss = m.add(
            f.n("default_loss"),
            If(Agg("LAST", "defaulted") > 0, Min(never / Agg("PRODUCT", f.n("default_growth")), ead), never),
            OUT,
            f"{name}: loss at default (balance never repaid, discounted to the default at the facility's rate, at "
            "most the exposure)",
            unit=cur,
            fmt="money",
            section="Lenders",
        )
        if f.senior:
            senior.append(loss)
    m.add(
        "senior_loss",
        Sum(senior) if senior else Const(0.0),
        OUT,
        "Senior loss at default (sum of the senior facilities' losses at default)",
        unit=cur,
        fmt="money",
        section="Lenders",
    )
    m.add(
        "dsra_exhausted_flag",
        Or(And(R("dsra_draw") > 0, R("dsra_balance") <= tol), R("senior_shortfall") > tol),
        "Waterfall",
        "DSRA exhausted (drawn to the money tolerance or below) or senior debt service unpaid",
        unit="flag",
        fmt="flag",
        section="DSRA",
    )
    m.add(
        "dsra_exhausted",
        Agg("MAX", "dsra_exhausted_flag"),
        OUT,
        "DSRA exhausted in some period (1 = yes)",
        unit="flag",
        fmt="flag",
        section="Lenders",
    )
