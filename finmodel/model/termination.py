"""The Termination sheet: the concession's compensation on early termination, by cause (``termination``).

Rules (stated once; the row labels repeat them)
-----------------------------------------------
* **Causes and triggers** (``term_<cause>_trigger`` [flag, per period]):
  ``authority_default`` (authority default or political force majeure): the case's ``termination.event`` year,
  or in the Monte Carlo a permanent political event (the input ``in_political_termination``, 0 in the
  deterministic case; the draw of :mod:`finmodel.risk.political`); ``project_default`` (project company default):
  the event year, or (this compensation given) senior debt service left unpaid after the DSRA; ``voluntary``: the
  event year. Where two fire in one period the authority's cause counts first, then voluntary, then the project's.
* **Termination** ``terminated`` [flag]: permanent from the first trigger; ``termination_flag`` marks its period.
  It is a default for the lenders (``defaulted``); from the next period on nothing more is paid to the lenders
  (their payments are blocked as in a political event) or to the sponsors (all cash is retained): the concession
  is over. The rows of operations after it are not used by any party, and the cover ratios (DSCR, LLCR, PLCR),
  the periods in lock-up and in default count only the periods to the termination (``concession_live``).
* **Collected**: the authority pays the cause's ``collected`` share of the compensation (default all of it; an
  authority in default may not pay): every amount below is x that share.
* **Compensation for debt** ``d{k}_termination_paid`` [currency]: in the termination period, the cause's
  ``debt_share`` x the senior facility's balance after the period's debt service (arrears and capitalised
  interest included), a prepayment (Debt sheet). What it leaves unpaid stays owed and is the lenders' loss: in
  a termination the compensation is their recovery (no workout recovery on top, :mod:`finmodel.model.ledgers`).
  Subordinated facilities receive no compensation.
* **Compensation for equity** ``termination_equity_paid`` [currency]: the cause's ``equity_share`` x the
  sponsors' funding subscribed to date (``equity_cum``), paid to the sponsors (a line of the equity cash flow).
  Political-risk insurance of the sponsors' funding pays only what compensation does not, and recovers the
  insured share of compensation paid after its claim (:mod:`finmodel.model.guarantees.other_covers`).

Guarantees respond to the termination through the lenders' ledgers: the prepayment is a project payment, so a
cover that paid claims recovers them (with their interest) from it first, under subrogation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.model.checks import tolerance
from finmodel.model.timeline import R
from finmodel.rows import And, Const, Expr, If, Max, Not, Or, Prev, Ref, Sum, Total

if TYPE_CHECKING:
    from finmodel.model.context import Builder, FacilitySpec

__all__ = ["CAUSES", "SHEET", "build", "prepayment", "active"]

SHEET = "Termination"
OUT = "Outputs"
GROUP = "Termination"
# the order in which causes count when two fire in one period
CAUSES = ("authority_default", "voluntary", "project_default")
_TERMS = {  # a compensation's inputs and their labels
    "debt_share": "compensation, share of senior debt outstanding",
    "equity_share": "compensation, share of the sponsors' funding subscribed",
    "collected": "share of the compensation the authority pays",
}
_LABELS = {
    "authority_default": "authority default or political force majeure",
    "voluntary": "voluntary termination by the authority",
    "project_default": "project company default",
}


def active(b: Builder) -> bool:
    """True when the scenario has a termination block with a compensation for at least one cause."""
    t = b.scenario.termination
    return t is not None and any(getattr(t, c) is not None for c in CAUSES)


def prepayment(b: Builder, f: FacilitySpec) -> Expr | int:
    """The facility's compensation prepayment row for its balance (Debt sheet), 0 where none applies."""
    return R(f.n("termination_paid")) if active(b) and f.senior else 0


def build(b: Builder) -> None:
    """The Termination sheet's inputs and rows, the Debt sheet's prepayment rows, the outputs; declares the
    sponsors' compensation as a line of the equity cash flow (before the totals are built)."""
    if not active(b):
        return
    m, t = b.model, b.scenario.termination
    source = t.source or "scenario termination block"
    causes = [c for c in CAUSES if getattr(t, c) is not None]
    shares = {}
    for c in causes:
        comp, cells = getattr(t, c), {}
        for what, label in _TERMS.items():
            cells[what] = m.add_input(
                f"in_term_{c}_{what}", getattr(comp, what), f"{_LABELS[c].capitalize()}: {label}",
                unit="fraction", group=GROUP, fmt="pct", source=source,
            )  # fmt: skip
        shares[c] = (cells["debt_share"] * cells["collected"], cells["equity_share"] * cells["collected"])
    triggers = _triggers(b, causes)
    _add(
        b,
        "terminated",
        Max(Prev("terminated"), Or(*triggers.values())),
        "Concession terminated (permanent from the first trigger)",
        unit="flag",
        fmt="flag",
        total=False,
    )
    flag = _add(
        b, "termination_flag", R("terminated") - Prev("terminated"), "Termination period", unit="flag", fmt="flag"
    )
    _add(b, "concession_live", 1 - Prev("terminated"), "Concession running (to the termination period, included): the "
         "periods the cover ratios and default counts read", unit="flag", fmt="flag", total=False)  # fmt: skip
    debt_share, eq_share = Const(0.0), Const(0.0)
    for c in reversed(causes):  # nested: the first cause in CAUSES order that fires counts
        debt_share = If(triggers[c], shares[c][0], debt_share)
        eq_share = If(triggers[c], shares[c][1], eq_share)
    _add(b, "termination_debt_share", flag * debt_share, "Compensation paid: share of senior debt outstanding (cause "
         "of the termination; x the share the authority pays)", unit="fraction", fmt="pct", total=False)  # fmt: skip
    _add(b, "termination_equity_share", flag * eq_share, "Compensation paid: share of the sponsors' funding (cause "
         "of the termination; x the share the authority pays)", unit="fraction", fmt="pct", total=False)  # fmt: skip
    paid = [_facility_prepayment(b, f) for f in b.facilities if f.senior]
    _add(b, "termination_debt_paid", Sum(paid) if paid else Const(0.0, scalar=False),
         "Compensation for senior debt (prepays the senior facilities)")  # fmt: skip
    eq = _add(b, "termination_equity_paid", R("termination_equity_share") * R("equity_cum"),
              "Compensation to the sponsors (share of their funding subscribed)")  # fmt: skip
    _add(b, "termination_equity_cum", Prev("termination_equity_cum") + eq,
         "Compensation to the sponsors to date", total=False)  # fmt: skip
    b.contribute("equity_cf", "termination_equity_cf", eq, "Termination compensation to the sponsors",
                 owner="termination")  # fmt: skip
    _outputs(b)


def _add(b: Builder, name, expr, label, *, unit=None, fmt="money", total=True, section="Termination") -> Ref:
    unit = b.cur if unit is None else unit
    return b.model.add(name, expr, SHEET, label, unit=unit, fmt=fmt, total=total, section=section)


def _triggers(b: Builder, causes: list[str]) -> dict[str, Ref]:
    """Each cause's trigger row [flag, per period]: the event year of its cause, the political termination
    (authority default) and the senior payment default (project company default)."""
    m, t = b.model, b.scenario.termination
    event = None
    if t.event is not None:
        event = m.add_input(
            "in_term_event_year", t.event.year, f"Termination event: model year ({_LABELS[t.event.cause]}; "
            "the cause is structural)", unit="year", group=GROUP, fmt="int", source="scenario termination.event",
        )  # fmt: skip
    out = {}
    for c in causes:
        parts = []
        if event is not None and t.event.cause == c:
            parts.append(R("model_year").eq(event))
        if c == "authority_default":
            parts.append(
                m.add_input(
                    "in_political_termination",
                    [0.0] * b.periods,
                    "Permanent political event: the concession terminated for authority default",
                    kind="series",
                    unit="1 = event",
                    group=GROUP,
                    fmt="flag",
                    source="0 in the deterministic case; Monte Carlo: permanent political events (risk.yaml "
                    "political_event, by OECD category)",
                )
                > 0
            )
        if c == "project_default":  # a payment default; not one a political event blocks (not the project's)
            unpaid = R("senior_shortfall") > tolerance(b)
            parts.append(And(unpaid, Not(R("political_event_flag"))) if b.scenario.guarantees else unpaid)
        expr = R("operation_flag") * (Or(*parts) if len(parts) > 1 else parts[0]) if parts else Const(0.0)
        out[c] = _add(b, f"term_{c}_trigger", expr, f"Trigger: {_LABELS[c]}", unit="flag", fmt="flag", total=False)
    return out


def _facility_prepayment(b: Builder, f: FacilitySpec) -> Ref:
    """``d{k}_termination_paid`` (Debt sheet): the cause's share x the balance after the period's debt service
    (``d{k}_pre_termination``, finmodel.model.debt)."""
    return b.model.add(
        f.n("termination_paid"),
        R("termination_debt_share") * Max(0, R(f.n("pre_termination"))),
        "Debt",
        f"{f.facility.name}: termination compensation prepayment (share x balance after the period's debt service)",
        unit=b.cur,
        total=True,
        section=f.facility.name,
    )


def _outputs(b: Builder) -> None:
    m = b.model
    m.add("termination", Total("termination_flag"), OUT, "Concession terminated early (1 = yes)", unit="flag",
          fmt="flag", section="Termination")  # fmt: skip
    m.add("termination_debt_compensation", Total("termination_debt_paid"), OUT,
          "Termination compensation for senior debt", unit=b.cur, fmt="money", section="Termination")  # fmt: skip
    m.add("termination_equity_compensation", Total("termination_equity_paid"), OUT,
          "Termination compensation to the sponsors", unit=b.cur, fmt="money", section="Termination")  # fmt: skip
