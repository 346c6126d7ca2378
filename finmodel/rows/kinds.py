"""The kind of every period row (flow, balance, opening balance, ratio, flag, counter, date) and how each kind rolls
up into a model year. Read by :attr:`finmodel.outputs.results.CaseRun.annual`; anything else that aggregates rows by
year
(a workbook's annual sheet, say) uses the same rule from here.
"""

from __future__ import annotations

import re

from finmodel.rows.expressions import Prev

ROLLUP = {  # kind -> how a model year's periods become one value
    "flow": "sum",
    "balance": "last",
    "opening": "first",
    "ratio": "min",
    "flag": "max",
    "counter": "last",
    "date": "last",
}
"""How each kind of row rolls up into a model year (pandas aggregation names)."""

_BALANCE_WORDS = re.compile(r"\b(balances?|closing|cumulative|outstanding|carried forward|exposure)\b", re.I)
_OPENING_WORDS = re.compile(r"\b(opening|start of period)\b", re.I)


def row_kinds(model) -> dict[str, str]:
    """:func:`row_kind` of every period row of ``model``, in the model's order.

    Examples
    --------
    >>> import finmodel
    >>> kinds = row_kinds(finmodel.run().results[0].model)
    >>> [kinds[n] for n in ("revenue", "d1_opening", "d1_closing", "dscr", "operation_flag", "period_end")]
    ['flow', 'opening', 'balance', 'ratio', 'flag', 'date']
    """
    previous = {n for r in model.rows.values() for n, k in r.expr.refs() if k == "prev"}
    return {n: row_kind(model, n, previous) for n, r in model.rows.items() if not r.scalar}


def row_kind(model, name: str, read_as_previous: set[str] | None = None) -> str:
    """The kind of a period row, which decides its annual roll-up (:data:`ROLLUP`).

    Read from the row's format and its definition:

    - format ``flag`` / ``check``: ``"flag"``; ``date``: ``"date"``; ``int``: ``"counter"``;
    - other non-money formats (``pct``, ``x``, ``factor``, ``number``): ``"ratio"``, except a share per period
      (unit ``of ...``, such as a repayment profile in fraction of commitment), a ``"flow"``, and a running
      total (defined on its own previous value), a ``"balance"``;
    - money rows: ``"opening"`` when defined as an earlier period's value (``Prev``) or labelled an opening /
      start-of-period amount; ``"balance"`` when defined on its own previous value, read by another row as a
      previous-period value (a stock carried forward), or labelled a balance, closing, cumulative or
      outstanding amount; otherwise ``"flow"``. An amount times a time (unit ``... x years``) is a flow.

    Parameters
    ----------
    model : finmodel.rows.Model
        The model the row belongs to.
    name : str
        A period row of ``model``.
    read_as_previous : set of str, optional
        The names some row reads as a previous-period value (computed from ``model`` if not given).

    Returns
    -------
    str
        One of the keys of :data:`ROLLUP`.
    """
    row = model.rows[name]
    refs = set(row.expr.refs())
    self_recursive = (name, "prev") in refs
    fmt, unit, label = row.fmt, row.unit or "", row.label or ""
    if fmt in ("flag", "check"):
        return "flag"
    if fmt == "date":
        return "date"
    if fmt == "int":
        return "counter"
    if not fmt.startswith("money"):
        if self_recursive:
            return "balance"
        return "flow" if unit.startswith("of ") else "ratio"
    if " x " in unit:
        return "flow"
    if isinstance(row.expr, Prev) or _OPENING_WORDS.search(label):
        return "opening"
    if read_as_previous is None:
        read_as_previous = {n for r in model.rows.values() for n, k in r.expr.refs() if k == "prev"}
    if self_recursive or name in read_as_previous or _BALANCE_WORDS.search(label):
        return "balance"
    return "flow"
