"""The FX sheet: each currency's rate path against the model currency, and every line stated in another currency
converted to the model currency, in one place.

Rules (stated once; the row labels repeat them)
-----------------------------------------------
* **Rates** are units of the line's currency per unit of the model currency (BOB per USD). Model year y's rate
  is ``spot x growth ** (y - 1)``, the yearly steps of indexation: ``growth`` is 1 + the depreciation, or
  (1 + local inflation) / (1 + model inflation) under relative purchasing-power parity (``ppp``); an explicit
  table ``rates`` gives each year's rate instead (the last carried forward). A devaluation of ``size`` from its
  model year on divides the currency's value by ``1 / (1 - size)``.
* **Value** ``fx_<cur>_value`` = FX factor / rate [model currency per unit]: the FX factor (``in_fx_factor``, 1 =
  as the path states) is the Monte Carlo's FX process and the ``fx`` sensitivity; it moves the one currency the
  risk block names (``risk.fx.currency``, default the first of the ``fx`` block) and nothing else.
* **Conversion** of a line: its amount in its own currency (``<line>_local``, on the sheet that builds it) x the
  value. A revenue line may index a share of its payment to the model currency (``hard_currency_share``): that
  share is converted at the spot rate of financial close (its value in the model currency is kept), the rest at
  the period's value and carries the FX risk.
* Everything downstream (CFADS, debt sizing, tax, returns) is in the model currency; the lines in their own
  currency stay visible on Operations with that unit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.model.timeline import R
from finmodel.rows import Const, If, Lookup, Ref

if TYPE_CHECKING:
    from finmodel.model.context import Builder

__all__ = ["SHEET", "build", "convert", "simulated_currency", "value_name"]

SHEET = "FX"


def simulated_currency(scenario) -> str | None:
    """The currency the FX process (and the ``fx`` sensitivity) moves: ``risk.fx.currency``, else the first of
    the ``fx`` block; None when the scenario states no other currency."""
    named = scenario.risk.fx.currency if scenario.risk is not None and scenario.risk.fx is not None else None
    return named or next(iter(scenario.fx), None)


def value_name(cur: str) -> str:
    """The row of a currency's value in the model currency (``fx_bob_value``)."""
    return f"fx_{cur.lower()}_value"


def _name(cur: str, what: str) -> str:
    return f"fx_{cur.lower()}_{what}"


def build(b: Builder) -> None:
    """Each currency of the ``fx`` block: inputs (spot, path, devaluation; group ``FX <cur>``) and the rows of its
    rate and value by period."""
    m, moved = b.model, simulated_currency(b.scenario)
    for cur, path in b.scenario.fx.items():
        g, p, per = f"FX: {cur} per {b.cur}", f"in_fx_{cur.lower()}_", f"{cur}/{b.cur}"
        src = path.source or ""
        spot = m.add_input(p + "spot", path.spot, "Spot rate at financial close", unit=per, group=g, fmt="number",
                           source=src)  # fmt: skip
        if path.rates is not None:
            vals = (list(path.rates) + [path.rates[-1]] * b.years)[: b.years]
            b.table(p + "rates", vals, "Rate by model year", unit=per, group=g, fmt="number", source=src)
            trend = Lookup(p + "rates", R("model_year"))
            how = "the rate of the model year's table"
        else:
            if path.ppp is not None:
                li = m.add_input(p + "local_inflation", path.ppp.local_inflation, f"{cur} inflation (PPP)",
                                 unit="per year", group=g, fmt="pct", source=src)  # fmt: skip
                mi = m.add_input(p + "model_inflation", path.ppp.model_inflation, f"{b.cur} inflation (PPP)",
                                 unit="per year", group=g, fmt="pct", source=src)  # fmt: skip
                growth = (1 + li) / (1 + mi)
                how = f"spot x ((1 + {cur} inflation) / (1 + {b.cur} inflation)) ^ (model year - 1)"
            else:
                dep = m.add_input(p + "depreciation", path.depreciation or 0.0, "Depreciation a year", unit="per year",
                                  group=g, fmt="pct", source=src)  # fmt: skip
                growth = 1 + dep
                how = "spot x (1 + depreciation) ^ (model year - 1)"
            trend = spot * growth ** (R("model_year") - 1)
        dv = path.devaluation
        size = m.add_input(p + "devaluation", 0.0 if dv is None else dv.size, "Devaluation (fall in value)",
                           unit="fraction", group=g, fmt="pct", source=src)  # fmt: skip
        year = m.add_input(p + "devaluation_year", 1 if dv is None else dv.year, "Devaluation from model year",
                           unit="year", group=g, fmt="int", source=src)  # fmt: skip
        rate = b.model.add(
            _name(cur, "rate"),
            trend * If(R("model_year") >= year, 1 / (1 - size), 1),
            SHEET,
            f"{cur} per {b.cur} = {how} / (1 - devaluation from its year)",
            unit=per,
            fmt="number",
            total=False,
            section="Rates",
        )
        factor = m.ref("in_fx_factor") if cur == moved else Const(1)
        b.model.add(
            value_name(cur),
            factor / rate,
            SHEET,
            f"Value of one {cur} in {b.cur} = " + ("FX factor / rate" if cur == moved else "1 / rate"),
            unit=f"{b.cur}/{cur}",
            fmt="number",
            total=False,
            section="Rates",
        )


def convert(b: Builder, name: str, local: Ref, cur: str, label: str, *, hard_share: Ref | None = None) -> Ref:
    """Row ``name`` [model currency per period] = the line ``local`` [``cur`` per period] at the period's value;
    with ``hard_share`` that share at the spot rate of financial close instead."""
    value = R(value_name(cur))
    how = f"x value of the {cur}"
    if hard_share is not None:
        value = (1 - hard_share) * value + hard_share / b.model.ref(f"in_fx_{cur.lower()}_spot")
        how = f"x ((1 - share indexed to {b.cur}) x value of the {cur} + share / spot)"
    return b.model.add(
        name, local * value, SHEET, f"{label} in {b.cur} = {cur} amount {how}", unit=b.cur, section=f"{cur} to {b.cur}"
    )
