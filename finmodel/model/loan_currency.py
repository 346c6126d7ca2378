"""A loan in another currency than the model's, as the modules that read a facility see it (finmodel.model.debt
builds its rows; the FX sheet, finmodel.model.fx, holds the currency's value).

Its amount and schedule are stated in its own currency; the Debt sheet's rows are in the model currency at each
period's rate: the balance is revalued from one period to the next (``d{k}_fx_growth``), the scheduled balance is
the schedule in its currency at the period's rate, and the commitment in the model currency is the amount at the
rate of financial close (``d{k}_commitment``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.model.timeline import R

if TYPE_CHECKING:
    from finmodel.model.context import Builder, FacilitySpec
    from finmodel.rows import Expr, Ref

__all__ = ["commitment", "revalued"]


def revalued(fs: FacilitySpec, prev: Expr) -> Expr:
    """Last period's balance ``prev`` [model currency] at this period's rate: x ``d{k}_fx_growth`` for a loan in
    another currency (its balance is owed in that currency), as it is otherwise."""
    return prev * R(fs.n("fx_growth")) if fs.currency else prev


def commitment(b: Builder, fs: FacilitySpec) -> Ref:
    """The commitment in the model currency [scalar]: the amount input, or for a loan in another currency the
    row ``d{k}_commitment`` (its amount at the rate of the first period, financial close)."""
    return b.model.ref(fs.n("commitment")) if fs.currency else b.model.ref(fs.i("amount"))
