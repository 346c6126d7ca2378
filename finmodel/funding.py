"""Sources and uses during construction: what must be funded and who funds it.

Uses = construction cost + upfront and commitment fees + interest during construction (IDC) + the initial
DSRA funding + the lines other modules declare (``finmodel.totals``: financed guarantee and insurance premiums,
each its own line). Capital grants are a source. Debt draws pro rata with equity at the solved debt fraction
(``pro_rata``) or after the solved equity commitment is spent (``equity_first``); each facility draws pro
rata to its commitment and never beyond it. Sponsors fund the rest, overruns included.

The debt commitments, the debt fraction and the equity commitment depend on IDC and fees, which depend
on them: the engine solves them and writes them as labelled inputs; the Checks sheet proves them.
"""

from __future__ import annotations

from finmodel.rows import Max, Min, Prev, Sum
from finmodel.timeline import R
from finmodel.totals import line_rows

SHEET = "Funding"


def build(b) -> None:
    m, sc = b.model, b.scenario
    fac = b.facilities

    def add(name, expr, label, total=True, unit=b.cur, fmt="money", section="Uses"):
        return m.add(name, expr, SHEET, label, unit=unit, total=total, fmt=fmt, section=section)

    add("capex_use", R("capex"), "Construction cost")
    add("upfront_fees", Sum([R(f.n("upfront_fee_paid")) for f in fac]), "Upfront fees")
    add("commitment_fees", Sum([R(f.n("commitment_fee_paid")) for f in fac]), "Commitment fees")
    add("idc", R("construction_flag") * Sum([R(f.n("interest")) for f in fac]), "Interest during construction")
    add("dsra_initial", R("last_construction_flag") * R("dsra_target"), "Initial DSRA funding")
    lines = [R(n) for n in ("capex_use", "upfront_fees", "commitment_fees", "idc", "dsra_initial")]
    lines += line_rows(b, "uses", add)
    uses = add("uses", Sum(lines), "Total uses")
    need = add("funding_need", Max(0, uses - R("grants")), "Uses to fund after capital grants", section="Sources")
    if sc.debt.drawdown == "equity_first":
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
        first = add(
            "equity_first_draw",
            Min(need, Max(0, e - Prev("equity_cum"))),
            "Equity drawn first (up to the commitment)",
            section="Sources",
        )
        add("debt_need", need - first, "To be funded by debt", section="Sources")
    else:
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
        add("debt_need", need * frac, "To be funded by debt (pro rata)", section="Sources")
    add("debt_draws", Sum([R(f.n("draw")) for f in fac]), "Debt drawdowns", section="Sources")
    add("equity_funding", need - R("debt_draws"), "Sponsor funding (equity and shareholder loans)", section="Sources")
    add(
        "equity_cum",
        Prev("equity_cum") + R("equity_funding"),
        "Cumulative sponsor funding",
        total=False,
        section="Sources",
    )
    add("sources", R("debt_draws") + R("equity_funding") + R("grants"), "Total sources", section="Sources")


def uses_lines(model) -> list[str]:
    """The lines of total uses, in order: the Funding sheet's rows summed into ``uses`` (its own lines and those
    other modules declared, such as financed premiums)."""
    rows = model.rows
    if "uses" not in rows:
        return []
    return [n for n, _ in rows["uses"].expr.refs() if n in rows and rows[n].sheet == SHEET]
