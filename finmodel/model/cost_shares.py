"""The project's part of the fund's mobilisation chain, as model rows: equity and capex as shares of project cost.

The chain (:mod:`finmodel.funds.mobilisation`) runs fund equity -> SPC equity (/ stake) -> project cost (/ the
project's equity share) -> orders (orders share x the capex's share of cost) -> USD -> jobs. The stake, the orders
share and the exchange rates belong to the fund's portfolio; the two shares below belong to the project, so they
are rows of its model (Outputs sheet, section Mobilisation) that the fund reads:

* ``equity_share_of_cost`` = total sponsor funding / total uses [fraction];
* ``capex_share_of_cost`` = total construction cost / total uses [fraction] (the EPC contract's part of the cost).

Both are blank when the project has no uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.rows import Blank, If

if TYPE_CHECKING:
    from finmodel.model.context import Builder

OUT = "Outputs"


def build(b: Builder) -> None:
    """Add the two shares [fraction] (needs ``total_equity``, ``total_capex`` and ``total_uses`` [currency]:
    :mod:`finmodel.model.returns`)."""
    m = b.model
    uses = m.ref("total_uses")
    for name, total, label in (
        ("equity_share_of_cost", "total_equity", "Equity share of project cost = total sponsor funding / total uses"),
        ("capex_share_of_cost", "total_capex", "Capex share of project cost = total construction cost / total uses"),
    ):
        m.add(
            name,
            If(uses > 0, m.ref(total) / uses, Blank()),
            OUT,
            label,
            unit="fraction",
            fmt="pct",
            section="Mobilisation",
        )
