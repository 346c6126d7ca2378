"""What the builders of the Guarantees sheet share: one cover's row helpers and the lines every cover declares.

A cover ``j`` of the scenario's ``guarantees`` list is built under the prefix ``g<j>``: its inputs are
``in_g<j>_<what>`` (input group ``Guarantee j: <name>``), its rows ``g<j>_<what>`` on the Guarantees sheet
(section ``<name>``) and its outputs ``g<j>_<what>`` on the Outputs sheet. Amounts are in the scenario's
currency; rows are per period unless marked.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from finmodel.rows import Agg, Const, Expr, Ref, Total

if TYPE_CHECKING:
    from finmodel.model.context import Builder

SHEET = "Guarantees"
OUT = "Outputs"


def period_flags(years, b: Builder) -> list[float]:
    """1.0 in every period of the listed model years, else 0.0 [flag, per period]."""
    ppy = b.scenario.timeline.periods_per_year
    ys = set(years)
    return [1.0 if (t // ppy) + 1 in ys else 0.0 for t in range(b.periods)]


def add_sum(items) -> Expr:
    """``items[0] + items[1] + ...``; a scalar 0 for none (unlike :func:`finmodel.rows.Sum`, a row of zeros)."""
    if not items:
        return Const(0.0)
    out = items[0]
    for x in items[1:]:
        out = out + x
    return out


@dataclasses.dataclass
class Lines:
    """What the covers contribute to the sheet's totals and to the shared totals (``finmodel.rows.totals``).

    Per-period rows [currency per period]: ``funded`` (premiums financed: a use of funds), ``cfads`` (guarantee
    cash in operations), ``lost`` (availability payments not made), ``expensed`` (premiums expensed for tax),
    ``sponsor`` (cash to the sponsors), ``project_cash`` (net cash from the project and sponsors to each
    guarantor), ``exposures``. Scalar outputs [currency]: ``premium_pvs``, ``claims``, ``recoveries``,
    ``net_costs``, ``losses`` (lenders' loss after cover).
    """

    funded: list = dataclasses.field(default_factory=list)
    cfads: list = dataclasses.field(default_factory=list)
    lost: list = dataclasses.field(default_factory=list)
    expensed: list = dataclasses.field(default_factory=list)
    sponsor: list = dataclasses.field(default_factory=list)
    project_cash: list = dataclasses.field(default_factory=list)
    exposures: list = dataclasses.field(default_factory=list)
    premium_pvs: list = dataclasses.field(default_factory=list)
    claims: list = dataclasses.field(default_factory=list)
    recoveries: list = dataclasses.field(default_factory=list)
    net_costs: list = dataclasses.field(default_factory=list)
    losses: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Cover:
    """One cover being built: the builder, its prefix ``g<j>``, its scenario entry and its input group."""

    b: Builder
    p: str
    g: object  # the scenario's cover entry (finmodel.schema.project)
    group: str

    @classmethod
    def of(cls, b: Builder, j: int, g) -> Cover:
        return cls(b, f"g{j}", g, f"Guarantee {j}: {g.name}")

    @property
    def cur(self) -> str:
        return self.b.cur

    def input(self, what, value, label, unit="fraction", fmt="pct", source="", kind="scalar") -> Ref:
        """The input ``in_<p>_<what>`` (default: a scalar [fraction])."""
        return self.b.model.add_input(
            f"in_{self.p}_{what}", value, label, kind=kind, unit=unit, group=self.group, fmt=fmt, source=source
        )

    def row(self, what, expr, label, unit=None, total=True, fmt="money") -> Ref:
        """The Guarantees-sheet row ``<p>_<what>`` (default: [currency per period], with a total)."""
        return self._add(SHEET, self.g.name, what, expr, label, unit, fmt, total=total)

    def output(self, what, expr, label, unit=None, fmt="money") -> Ref:
        """The Outputs-sheet scalar ``<p>_<what>`` (default: [currency])."""
        return self._add(OUT, "Guarantees", what, expr, label, unit, fmt)

    def _add(self, sheet, section, what, expr, label, unit, fmt, **kw) -> Ref:
        unit = self.cur if unit is None else unit
        label = f"{self.g.name}: {label}"
        return self.b.model.add(f"{self.p}_{what}", expr, sheet, label, unit=unit, fmt=fmt, section=section, **kw)

    def simple_outputs(self) -> None:
        """The outputs of a cover without a lenders' ledger [currency]: peak exposure, premium income and its PV,
        claims, net cost."""
        p = self.p
        self.output("peak_exposure", Agg("MAX", f"{p}_exposure"), "peak exposure")
        self.output("premiums", Total(f"{p}_premium"), "premium / fee income")
        self.output("premium_pv", Total(f"{p}_premium_pv_row"), "PV of premium / fee income")
        self.output("claims", Total(f"{p}_claim"), "claims paid")
        self.output("net_cost", Total(f"{p}_net_cost_cf"), "net cost to the guarantor (negative = surplus)")
