"""Data validation of the Inputs sheet: the rule each input cell gets from its format and unit.

A rule is ``(type, operator, formula1, formula2, message)`` in openpyxl's terms (:func:`rule_of`); an input whose
value (in some case) lies outside its usual range gets the numbers-only rule instead, so the workbook as written
never shows a validation error (:func:`passes`). :class:`Validations` collects the cells of each rule and writes
one Excel data validation per distinct rule.
"""

from __future__ import annotations

import numpy as np
from openpyxl.worksheet.datavalidation import DataValidation

_FRACTION_UNITS = ("fraction", "of commitment", "on undrawn", "fraction of cash")


def rule_of(inp) -> tuple:
    """(type, operator, formula1, formula2, message) for an input, from its format and unit."""
    unit = (inp.unit or "").lower()
    if inp.fmt == "date":
        return ("date", "greaterThan", "1", None, "Enter a date (yyyy-mm-dd).")
    if inp.name == "in_periods_per_year":
        return ("list", None, '"1,2,4,12"', None, "Periods per year: 1, 2, 4 or 12.")
    if unit.startswith("1 = yes"):
        return ("whole", "between", "0", "1", "Enter 1 (yes) or 0 (no).")
    if inp.fmt == "int":
        return ("whole", "greaterThanOrEqual", "0", None, f"Enter a whole number of {inp.unit or 'units'} >= 0.")
    if inp.fmt == "pct":
        if any(u in unit for u in _FRACTION_UNITS):
            return (
                "decimal",
                "between",
                "0",
                "1",
                "Enter a fraction between 0 and 1 as a decimal (0.25 for 25 %), not a percentage number.",
            )
        return ("decimal", "between", "-1", "1", "Rates are decimals between -1 and 1 (0.05 for 5 % a year), never 5.")
    if inp.fmt in ("money", "money2"):
        return (
            "decimal",
            "greaterThanOrEqual",
            "0",
            None,
            f"Enter a positive amount in {inp.unit or 'the model currency'} (costs are entered as positive).",
        )
    return ("decimal", "greaterThanOrEqual", "0", None, f"Enter a number >= 0 [{inp.unit}].")


def passes(rule: tuple, x: float) -> bool:
    kind, op, f1, f2, _ = rule
    if not np.isfinite(x):
        return False
    if kind == "list":
        return x in {float(s) for s in f1.strip('"').split(",")}
    if kind == "whole" and not float(x).is_integer():
        return False
    lo = float(f1) if f1 is not None else None
    if op == "between":
        return lo <= x <= float(f2)
    if op == "greaterThanOrEqual":
        return x >= lo
    if op == "greaterThan":
        return x > lo
    return True


NUMBERS_ONLY = ("decimal", "between", "-1E+300", "1E+300", "Enter a number.")


class Validations:
    """Data validation of the input cells, one rule object per distinct rule."""

    def __init__(self, ws):
        self.ws = ws
        self.by_rule: dict[tuple, list[str]] = {}

    def add(self, rule: tuple, cell) -> None:
        """Validate ``cell`` (holding an input's value) by ``rule``, or by numbers-only if its value fails it."""
        if not passes(rule, float(cell.value)):  # a case outside the usual range: numbers only
            rule = NUMBERS_ONLY
        self.by_rule.setdefault(rule, []).append(cell.coordinate)

    def add_exact(self, rule: tuple, coordinate: str) -> None:
        """Validate the cell at ``coordinate`` by ``rule`` as it is (the live case selector)."""
        self.by_rule.setdefault(rule, []).append(coordinate)

    def write(self):
        for (kind, op, f1, f2, msg), cells in self.by_rule.items():
            dv = DataValidation(
                type=kind,
                operator=op,
                formula1=f1,
                formula2=f2,
                allow_blank=False,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle="finmodel input",
                error=msg,
                sqref=" ".join(cells),
            )
            self.ws.add_data_validation(dv)
