"""Timing: period counters and flags, the same columns on every sheet.

Periods are numbered 1..N from the start date (financial close = start of construction); period ``k``
ends ``k / periods_per_year`` years after the start date. Cash flows fall at period ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.conventions import excel_serial
from finmodel.rows import And, Edate, Int, Prev, Ref

if TYPE_CHECKING:
    from finmodel.model.context import Builder

SHEET = "Timing"


def periods_of(scenario) -> int:
    """The model's number of periods: (construction + operation years) x periods per year."""
    tl = scenario.timeline
    return int(round((tl.construction_years + tl.operation_years) * tl.periods_per_year))


def build(b: Builder) -> None:
    """Add the timing inputs (start date [date], periods per year [#/year], construction and operation periods
    [years]) and the Timing rows: period number, model year, construction and operating years, operations
    period counter [#], period end date [date], the period flags [flag]."""
    m, tl = b.model, b.scenario.timeline
    g = "Timeline"
    start = m.add_input(
        "in_start_date",
        excel_serial(tl.start_date),
        "Start date (financial close)",
        unit="date",
        group=g,
        fmt="date",
        text=tl.start_date.isoformat(),
    )
    P = m.add_input("in_periods_per_year", tl.periods_per_year, "Periods per year", unit="#/year", group=g, fmt="int")
    cy = m.add_input(
        "in_construction_years", tl.construction_years, "Construction period", unit="years", group=g, fmt="int"
    )
    oy = m.add_input("in_operation_years", tl.operation_years, "Operation period", unit="years", group=g, fmt="int")

    def add(name, expr, label, unit="flag", fmt="flag"):
        return m.add(name, expr, SHEET, label, unit=unit, fmt=fmt, section="Timing")

    period = add("period", Prev("period") + 1, "Period number", unit="#", fmt="int")
    add("period_end", Edate(start, period * 12 / P) - 1, "Period end date", unit="date", fmt="date")
    add("model_year", Int((period - 1) / P) + 1, "Model year (from start date)", unit="#", fmt="int")
    cons = add("construction_flag", period <= cy * P, "Construction flag")
    ops = add("operation_flag", And(period > cy * P, period <= (cy + oy) * P), "Operations flag")
    add("last_construction_flag", period.eq(cy * P), "Last construction period flag")
    add("last_period_flag", period.eq((cy + oy) * P), "Last period flag")
    add("construction_year", cons * (Int((period - 1) / P) + 1), "Construction year", unit="#", fmt="int")
    op_period = add("operation_period", ops * (period - cy * P), "Operations period counter", unit="#", fmt="int")
    add("operation_year", ops * (Int((op_period - 1) / P) + 1), "Operating year", unit="#", fmt="int")
    add("first_operation_flag", op_period.eq(1), "First operations period flag")


def R(name: str) -> Ref:  # noqa: N802 - short handle used by the builders
    """A same-period reference to a row by name (rows may be defined later)."""
    return Ref(name)
