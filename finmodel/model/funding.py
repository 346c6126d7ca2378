"""Sources and uses during construction: what must be funded and who funds it.

Uses = construction cost + upfront and commitment fees + interest during construction (IDC) + the initial
DSRA funding + the lines other modules declare (``finmodel.rows.totals``: financed guarantee and insurance premiums,
each its own line). Capital grants are a source. Debt draws pro rata with equity at the solved debt fraction
(``pro_rata``) or after the solved equity commitment is spent (``equity_first``); each facility draws pro
rata to its commitment and never beyond it. Sponsors fund the rest, overruns included.

The debt commitments, the debt fraction and the equity commitment depend on IDC and fees, which depend
on them: the engine solves them and writes them as labelled inputs; the Checks sheet proves them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.model.timeline import R
from finmodel.rows import Max, Min, Prev, Ref, Sum
from finmodel.rows.totals import line_rows

if TYPE_CHECKING:
    from finmodel.model.context import Builder

SHEET = "Funding"


def build(b: Builder) -> None:
    """The Funding sheet: uses, the uses to fund after grants, the debt's part of them, sources."""
    need = _uses(b)
    _debt_need(b, need)
    _sources(b, need)


def _add(b: Builder, name, expr, label, total=True, unit=None, fmt="money", section="Uses") -> Ref:
    """A Funding-sheet row (default: [currency per period], with a total)."""
    unit = b.cur if unit is None else unit
    return b.model.add(name, expr, SHEET, label, unit=unit, total=total, fmt=fmt, section=section)


def _uses(b: Builder) -> Ref:
    """Uses [currency per period]: construction cost, upfront and commitment fees, IDC, initial DSRA, the declared
    lines of ``uses``, total uses; the uses to fund after capital grants (returned)."""
    fac = b.facilities
    _add(b, "capex_use", R("capex"), "Construction cost")
    _add(b, "upfront_fees", Sum([R(f.n("upfront_fee_paid")) for f in fac]), "Upfront fees")
    _add(b, "commitment_fees", Sum([R(f.n("commitment_fee_paid")) for f in fac]), "Commitment fees")
    _add(b, "idc", R("construction_flag") * Sum([R(f.n("interest")) for f in fac]), "Interest during construction")
    _add(b, "dsra_initial", R("last_construction_flag") * R("dsra_target"), "Initial DSRA funding")
    lines = [R(n) for n in ("capex_use", "upfront_fees", "commitment_fees", "idc", "dsra_initial")]
    lines += line_rows(b, "uses", lambda n, e, lab: _add(b, n, e, lab))
    uses = _add(b, "uses", Sum(lines), "Total uses")
    return _add(b, "funding_need", Max(0, uses - R("grants")), "Uses to fund after capital grants", section="Sources")


def _debt_need(b: Builder, need: Ref) -> None:
    """What debt funds [currency per period]: after the solved equity commitment is spent (``equity_first``: the
    input equity commitment [currency] and the equity drawn first), or pro rata at the solved debt fraction (an
    input [fraction])."""
    m = b.model
    if b.scenario.debt.drawdown == "equity_first":
        e = m.add_input(
            "in_equity_commitment",
            0.0,
            "Equity commitment (solved)",
            unit=b.cur,
            group="Funding",
            fmt="money",
            solved=True,
            source="solved: total uses after grants - total debt",
        )
        first = _add(
            b,
            "equity_first_draw",
            Min(need, Max(0, e - Prev("equity_cum"))),
            "Equity drawn first (up to the commitment)",
            section="Sources",
        )
        _add(b, "debt_need", need - first, "To be funded by debt", section="Sources")
        return
    frac = m.add_input(
        "in_debt_fraction",
        0.0,
        "Debt share of funding (solved)",
        unit="fraction",
        group="Funding",
        fmt="pct",
        solved=True,
        source="solved: total debt / total uses after grants",
    )
    _add(b, "debt_need", need * frac, "To be funded by debt (pro rata)", section="Sources")


def _sources(b: Builder, need: Ref) -> None:
    """Sources [currency per period]: debt drawdowns, sponsor funding (the rest, overruns included), its cumulative
    sum (no total), total sources."""
    s = "Sources"
    _add(b, "debt_draws", Sum([R(f.n("draw")) for f in b.facilities]), "Debt drawdowns", section=s)
    _add(b, "equity_funding", need - R("debt_draws"), "Sponsor funding (equity and shareholder loans)", section=s)
    _add(
        b, "equity_cum", Prev("equity_cum") + R("equity_funding"), "Cumulative sponsor funding", total=False, section=s
    )
    _add(b, "sources", R("debt_draws") + R("equity_funding") + R("grants"), "Total sources", section=s)


def uses_lines(model) -> list[str]:
    """The lines of total uses, in order: the Funding sheet's rows summed into ``uses`` (its own lines and those
    other modules declared, such as financed premiums)."""
    rows = model.rows
    if "uses" not in rows:
        return []
    return [n for n, _ in rows["uses"].expr.refs() if n in rows and rows[n].sheet == SHEET]
