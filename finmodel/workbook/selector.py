"""The workbook's live case selector: every case a live formula path, chosen by one named input cell.

The Inputs sheet opens with a *Live case* section: the input cell ``live_case`` (the number of a case in the
list below it) and the list of the cases. An input that some case changes gets one value row (one value column
for a by-year table) per case, and its live cell picks the live case's value by formula,
``=CHOOSE(live_case, ...)``; an input no case changes keeps its single cell. Nothing is pasted: switch
``live_case`` and every sheet recalculates as that case.

Cases keep the base case's financing (the debt as signed) unless ``resize_debt: true``; then the case's own
solved financing (commitments, sculpted profile, funding split) varies by case like any other input, and the
input ``in_financing_solved`` tells the Checks sheet whether the sizing checks apply.

A case that changes the model's *structure* (its rows or their formulas: a different timeline, another
repayment kind ...) cannot be a column of inputs; it is listed as not live, with the command that models it.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class LiveCases:
    """The cases of a workbook's selector and the inputs that differ between them.

    ``names``: the live cases in selector order (case number k = ``names[k - 1]``); ``live``: the number
    selected when the workbook is written; ``values``: input name -> one value array (1-D: 1 value for a
    scalar, n for a table or series) per case, only for inputs some case changes; ``financing``: per case, how
    its financing was found; ``not_live``: case -> why it cannot be switched to in this workbook.
    """

    names: list[str]
    live: int
    values: dict[str, list[np.ndarray]]
    financing: list[str]
    not_live: dict[str, str] = dataclasses.field(default_factory=dict)

    def varying(self, name: str) -> bool:
        return name in self.values

    @property
    def live_name(self) -> str:
        return self.names[self.live - 1]

    def with_live(self, case: str) -> LiveCases:
        """The same selector with ``case`` live."""
        return dataclasses.replace(self, live=self.names.index(case) + 1)


def input_value(result, name: str) -> np.ndarray:
    """The value (1-D) an input had in a case's evaluation: its solved value if solved, else the model's."""
    if name in result.solved:
        return np.asarray(result.solved[name], dtype=float).reshape(-1)
    return np.asarray(result.model.inputs[name].value[0], dtype=float).reshape(-1)


def structure(model) -> tuple:
    """What must be equal between two cases' models for one workbook to model both: the inputs (names, kinds,
    sizes) and every row's sheet, kind and formula."""
    from finmodel.workbook.layout import Layout  # the writer's own addresses, so formulas compare as written

    lay = Layout(model)
    w = lay.w
    rows = []
    for row in model.rows.values():
        w.current_sheet = lay.titles[row.sheet]
        col = None if row.scalar else min(1, model.periods - 1)
        rows.append((row.name, row.sheet, row.scalar, row.total, row.fmt, row.expr.xl(w, col)))
    inputs = tuple((i.name, i.kind, i.value.shape[1]) for i in model.inputs.values())
    return inputs, tuple(rows)


def financing_text(result) -> str:
    if result.case == "base":
        return "debt sized in this case"
    if result.resized:
        return "debt re-sized for this case (resize_debt: true)"
    return "debt as sized in the base case (as signed)"


def build(results: dict, order: list[str], live: str) -> LiveCases:
    """The selector for the evaluated cases ``results`` (case -> CaseResult), listed in ``order``, ``live``
    selected. Cases whose model differs in structure from the live case's are listed as not live."""
    ref = results[live]
    shape = structure(ref.model)
    names, not_live = [], {}
    for case in order:
        res = results[case]
        if case == live or structure(res.model) == shape:
            names.append(case)
        else:
            not_live[case] = "changes the model's structure (rows or formulas): run it as the live case"
    values = {}
    for name in ref.model.inputs:
        per_case = [input_value(results[c], name) for c in names]
        if any(v.shape != per_case[0].shape or not np.array_equal(v, per_case[0]) for v in per_case[1:]):
            values[name] = per_case
    return LiveCases(names, names.index(live) + 1, values, [financing_text(results[c]) for c in names], not_live)
