"""Shared totals and the lines modules contribute to them (DESIGN principle 7).

A shared total (uses of funds, CFADS, tax deductions, equity flows, premiums in the cost of debt) is the visible
sum of declared lines: a module declares each line to the builder (``Builder.contribute``) before the module that
owns the total builds it; the owner adds one row per line on its sheet (:func:`line_rows`) and sums them. No
module edits another's rows after the fact; a line declared after its total was built is an error.
"""

from __future__ import annotations

import dataclasses

# Shared totals that modules contribute to (principle 7): total -> what a contribution adds to it
TOTALS = {
    "uses": "a use of funds (Funding sheet, sources and uses)",
    "cfads": "cash in (+) or out (-) of CFADS (Waterfall sheet)",
    "tax_deductions": "a tax-deductible cost in operations (Tax sheet)",
    "equity_cf": "cash to (+) or from (-) the sponsors (Equity sheet)",
    "debt_premiums": "a premium for debt cover, in the all-in cost of the facility's debt (Blending sheet)",
}


@dataclasses.dataclass(frozen=True)
class Contribution:
    """One line a module adds to a shared total: the total's sheet shows it as the row ``name``.

    ``facility`` (a facility prefix such as ``d1``) is set for ``debt_premiums``: the premium counts in that
    facility's all-in cost of debt (and the package's)."""

    total: str
    name: str
    expr: object
    label: str
    owner: str
    facility: str | None = None


def line_rows(b, total: str, add) -> list:
    """Add one row per declared line of ``total`` with ``add(name, expr, label)``; their references."""
    return [add(c.name, c.expr, c.label) for c in b.lines(total)]
