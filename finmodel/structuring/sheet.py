"""The Solve sheet of a solved scenario's workbook (``finmodel solve -o``): the targets, the levers and their
bounds, the solved values linked to their labelled inputs, the achieved values as formulas on the model's named
results, and a check per target.

An analyst who changes a lever's input (or a target's goal, an input of this sheet) sees whether each target
still holds; the financing (debt sizing, funding split) stays as solved until ``finmodel run`` solves it again, as
everywhere in the workbook. Monte Carlo targets are values of the simulation (paths and seed stated), not
formulas: the workbook holds one deterministic path.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from finmodel.workbook import styles
from finmodel.workbook.cells import check_format, put_text, styled
from finmodel.workbook.scenario_paths import scenario_path

SHEET = "Solve"


def _input_of(model, keys) -> str | None:
    """The model input that holds the scenario field at ``keys`` (list items by index), if any."""
    dotted = ".".join(map(str, keys))
    for name, inp in model.inputs.items():
        if scenario_path(name, inp) == dotted:
            return name
    return None


def _fmt(fmt: str | None, name: str) -> str:
    from finmodel.structuring.output import guess_format

    return styles.FORMATS.get(fmt or guess_format(name), styles.FORMATS["number"])


def add_sheet(wb, lay, live, data: dict, levers) -> None:
    """Write the Solve sheet (after the Cover) from the solver's JSON ``data`` and its ``levers``."""
    ws = wb.create_sheet(SHEET, 1)
    fmts = data.get("formats", {})
    ws["A1"] = "Structuring solution (finmodel solve)"
    ws["A1"].style = styles.TITLE
    note = (
        f"Objective: least {data['objective']}; every target must hold in case(s) {', '.join(data['cases'])}. "
        "The financing is as solved for these values: change a lever and `finmodel run` re-sizes it."
    )
    put_text(ws["A2"], note)
    ws["A2"].style = styles.NOTE
    r = 4
    for c, head in enumerate(["Lever (scenario field)", "Low", "High", "Bounds", "Solved value", "Model input"], 1):
        styled(ws.cell(r, c), styles.HEADER, styles.FORMATS["text"]).value = head
    for lv, row in zip(levers, data["levers"], strict=True):
        r += 1
        put_text(ws.cell(r, 1), row["lever"])
        nf = _fmt(None, row["lever"])
        for c, key in ((2, "low"), (3, "high")):
            styled(ws.cell(r, c), styles.CALC, nf).value = row[key]
        put_text(ws.cell(r, 4), f"{row['low_reason']} / {row['high_reason']}")
        name = _input_of(live.model, lv.keys)
        cell = ws.cell(r, 5)
        if name is not None and name in lay.w.names:
            styled(cell, styles.LINK, nf).value = f"={lay.w.names[name]}"
            put_text(ws.cell(r, 6), f"{name}: {live.model.inputs[name].label}")
        else:
            styled(cell, styles.SOLVED, nf).value = row["solved"]
            put_text(ws.cell(r, 6), "not a single model input: the solved value")
    r += 2
    for c, head in enumerate(["Target", "Metric", "Holds when", "Goal", "Achieved", "Holds (1 = yes)"], 1):
        styled(ws.cell(r, c), styles.HEADER, styles.FORMATS["text"]).value = head
    first = r + 1
    for t in data["targets"]:
        r += 1
        put_text(ws.cell(r, 1), t["target"])
        put_text(ws.cell(r, 2), t["metric"])
        put_text(ws.cell(r, 3), "achieved >= goal" if t["op"] == ">=" else "achieved <= goal")
        nf = _fmt(fmts.get(t["metric"]), t["metric"])
        styled(ws.cell(r, 4), styles.INPUT, nf).value = t["value"]
        got = ws.cell(r, 5)
        if t["monte_carlo"] or t["metric"] not in lay.w.names:
            styled(got, styles.CALC, nf).value = t["achieved"]
            if t["monte_carlo"]:
                put_text(ws.cell(r, 7), f"Monte Carlo: {data['paths']} paths, seed {data['seed']} (a value)")
        else:
            styled(got, styles.LINK, nf).value = f"={lay.w.names[t['metric']]}"
        op = ">=" if t["op"] == ">=" else "<="
        styled(ws.cell(r, 6), styles.CHECK, styles.FORMATS["check"]).value = f"=IF(E{r}{op}D{r},1,0)"
    last = r
    r += 1
    put_text(ws.cell(r, 1), "Every target holds")
    styled(ws.cell(r, 6), styles.CHECK, styles.FORMATS["check"]).value = f"=IF(MIN(F{first}:F{last})=1,1,0)"
    check_format(ws, f"F{first}:F{r}")
    r += 2
    for key in ("subsidy_equivalent", "package_grant_element"):
        if key in lay.w.names:
            put_text(ws.cell(r, 1), live.model.rows[key].label)
            styled(ws.cell(r, 5), styles.LINK, _fmt(fmts.get(key), key)).value = f"={lay.w.names[key]}"
            r += 1
    r += 1
    put_text(ws.cell(r, 1), "What binds")
    ws.cell(r, 1).style = styles.SECTION
    for line in data["binding"] or ["nothing: every target met with room, no lever at a bound"]:
        r += 1
        put_text(ws.cell(r, 1), line)
    for c, width in enumerate([48, 14, 14, 48, 16, 44, 36], 1):
        ws.column_dimensions[get_column_letter(c)].width = width
