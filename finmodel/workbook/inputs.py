"""The Inputs sheet: every input once, grouped, with unit, value, source and data validation.

A scalar input is one cell in column C with a workbook-level defined name; a per-period series fills the period
columns of its row; a by-year table is a block of rows below the groups (one value per model year in column C).
Inputs the engine solved (debt sizing, funding split) are styled *solved*, the others *input*
(:mod:`finmodel.workbook.styles`).

With a live case selector (:mod:`finmodel.workbook.selector`) the sheet opens with the *Live case* section, and an
input that some case changes gets one value row (a table: one value column) per case below it, each with its own
defined name (:func:`~finmodel.workbook.layout.case_input_name`); its live cell chooses the live case's value by
formula (:func:`live_case_cells`).
"""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from finmodel.workbook import styles
from finmodel.workbook.cells import (
    FIRST_COL,
    LIVE_CASE,
    ExtraCell,
    choose,
    expected_value,
    font,
    label_width,
    put_text,
    section_row,
    styled,
)
from finmodel.workbook.data_validation import Validations, rule_of
from finmodel.workbook.headers import write_headers
from finmodel.workbook.layout import HEADER_ROWS, Layout, case_input_name
from finmodel.workbook.styles import FORMATS


def write_inputs(wb, ws, lay: Layout, live) -> None:
    """Fill the Inputs sheet ``ws`` of workbook ``wb`` with the inputs of ``live`` (the live case's result)."""
    periods = lay.model.periods
    write_headers(ws, "Inputs", periods, period_cols=True)
    dvs = Validations(ws)
    for kind, item, r in lay.input_layout:
        if kind == "section":
            section_row(ws, r, item, 4)
        elif kind == "live_case":
            _write_live_case(wb, ws, lay, dvs)
        else:
            _write_input(wb, ws, lay, live, kind, item, r, dvs)
    dvs.write()
    ws.column_dimensions["A"].width = label_width(inp.label for inp in lay.model.inputs.values())
    styles.page_setup(ws, print_titles=f"1:{HEADER_ROWS}", print_cols="A:D", periods=periods)


def _write_input(wb, ws, lay: Layout, live, kind: str, inp, r: int, dvs: Validations) -> None:
    """One input (``kind``: "scalar", "series" or "table") at row ``r``: label, unit, value(s), source, name."""
    live_value = live.values[inp.name][0] if inp.name in live.values else inp.value[0]
    role = styles.SOLVED if inp.solved else styles.INPUT
    fmt = FORMATS.get(inp.fmt, FORMATS["number"])
    rule = rule_of(inp)
    cases = lay.cases if lay.cases is not None and lay.cases.varying(inp.name) else None
    if kind == "scalar":
        put_text(ws.cell(r, 1), inp.label)
        put_text(ws.cell(r, 2), inp.unit)
        if cases is None:
            dvs.add(rule, styled(ws.cell(r, 3, float(live_value[0])), role, fmt))
        else:  # the live cell: live_case_cells
            _write_case_rows(wb, ws, lay, inp, [3], role, fmt, rule, dvs)
        _source(ws, r, inp)
        wb.defined_names[inp.name] = DefinedName(inp.name, attr_text=f"Inputs!$C${r}")
    elif kind == "series":
        put_text(ws.cell(r, 1), inp.label)
        put_text(ws.cell(r, 2), inp.unit)
        _source(ws, r, inp)
        cols = [FIRST_COL + t for t in range(lay.model.periods)]
        for t, col in enumerate(cols):
            if cases is None:
                dvs.add(rule, styled(ws.cell(r, col, float(live_value[t])), role, fmt))
        if cases is not None:  # the live cells: live_case_cells
            _write_case_rows(wb, ws, lay, inp, cols, role, fmt, rule, dvs)
        last = get_column_letter(cols[-1])
        wb.defined_names[inp.name] = DefinedName(inp.name, attr_text=f"Inputs!$E${r}:${last}${r}")
    else:
        _write_table(wb, ws, lay, inp, r, live_value, (role, fmt, rule), dvs, varying=cases is not None)


def _source(ws, r: int, inp) -> None:
    put_text(ws.cell(r, 4), inp.source)
    ws.cell(r, 4).style = styles.NOTE


def _write_table(wb, ws, lay: Layout, inp, r: int, live_value, look: tuple, dvs: Validations, *, varying: bool):
    """A by-year table: its title row ``r``, then one row per model year (``look``: role, format, rule)."""
    role, fmt, rule = look
    put_text(ws.cell(r, 1), inp.label)
    ws.cell(r, 1).font = font(bold=True)
    put_text(ws.cell(r, 2), "year")
    put_text(ws.cell(r, 3), inp.unit)
    _source(ws, r, inp)
    first, last = lay.table_rows[inp.name]
    for k in range(last - first + 1):
        put_text(ws.cell(first + k, 1), f"  year {k + 1}")
        ws.cell(first + k, 2, k + 1).alignment = Alignment(horizontal="center")
        if not varying:
            dvs.add(rule, styled(ws.cell(first + k, 3, float(live_value[k])), role, fmt))
    if varying:  # the live cells: live_case_cells
        _write_case_table(wb, ws, lay, inp, role, fmt, rule, dvs)
    wb.defined_names[inp.name] = DefinedName(inp.name, attr_text=f"Inputs!$C${first}:$C${last}")


def _write_live_case(wb, ws, lay: Layout, dvs: Validations) -> None:
    """The selector: ``live_case`` (a case number), the live case's name, and the list of cases."""
    cases = lay.cases
    row, first, last = lay.live_case_rows
    put_text(ws.cell(row, 1), "Live case (enter a case number from the list below)")
    put_text(ws.cell(row, 2), "#")
    c = styled(ws.cell(row, 3, cases.live), styles.INPUT, FORMATS["int"])
    n = len(cases.names)
    dvs.add_exact(("whole", "between", "1", str(n), f"Enter a case number from 1 to {n}."), c.coordinate)
    wb.defined_names[LIVE_CASE] = DefinedName(LIVE_CASE, attr_text=f"Inputs!$C${row}")
    styled(ws.cell(row, 4, f"=INDEX($A${first}:$A${last},{LIVE_CASE})"), styles.CALC, FORMATS["text"])
    ws.cell(row, 4).font = font(bold=True)
    for k, name in enumerate(cases.names, start=1):
        put_text(ws.cell(first + k - 1, 1), name)
        ws.cell(first + k - 1, 1).alignment = Alignment(indent=1)
        put_text(ws.cell(first + k - 1, 2), "case")
        styled(ws.cell(first + k - 1, 3, k), styles.NOTE, FORMATS["int"])
        put_text(ws.cell(first + k - 1, 4), cases.financing[k - 1])
        ws.cell(first + k - 1, 4).style = styles.NOTE
    for j, (name, why) in enumerate(cases.not_live.items()):
        r = last + 1 + j
        put_text(ws.cell(r, 1), name)
        ws.cell(r, 1).alignment = Alignment(indent=1)
        put_text(ws.cell(r, 2), "not live")
        put_text(ws.cell(r, 4), f"{why} (finmodel run SCENARIO --case {name} -o OUT.xlsx)")
        ws.cell(r, 4).style = styles.NOTE


def _write_case_rows(wb, ws, lay: Layout, inp, cols: list[int], role, fmt, rule, dvs: Validations) -> None:
    """One value row per case below an input that cases change (scalars: column C; series: the periods)."""
    for k, (r, name) in enumerate(zip(lay.case_rows[inp.name], lay.cases.names, strict=True), start=1):
        put_text(ws.cell(r, 1), name)
        ws.cell(r, 1).alignment = Alignment(indent=2)
        ws.cell(r, 1).style = styles.NOTE
        put_text(ws.cell(r, 2), f"case {k}")
        ws.cell(r, 2).style = styles.NOTE
        values = lay.cases.values[inp.name][k - 1]
        for j, col in enumerate(cols):
            dvs.add(rule, styled(ws.cell(r, col, float(values[j])), role, fmt))
        a, b = get_column_letter(cols[0]), get_column_letter(cols[-1])
        ref = f"Inputs!${a}${r}" + (f":${b}${r}" if len(cols) > 1 else "")
        wb.defined_names[case_input_name(inp.name, k)] = DefinedName(case_input_name(inp.name, k), attr_text=ref)


def _write_case_table(wb, ws, lay: Layout, inp, role, fmt, rule, dvs: Validations) -> None:
    """A by-year table that cases change: one value column per case (from column E), headed by the case."""
    first, last = lay.table_rows[inp.name]
    for k, name in enumerate(lay.cases.names, start=1):
        col = FIRST_COL + k - 1
        put_text(ws.cell(first - 1, col), name)
        ws.cell(first - 1, col).style = styles.NOTE
        values = lay.cases.values[inp.name][k - 1]
        for j in range(last - first + 1):
            dvs.add(rule, styled(ws.cell(first + j, col, float(values[j])), role, fmt))
        letter = get_column_letter(col)
        wb.defined_names[case_input_name(inp.name, k)] = DefinedName(
            case_input_name(inp.name, k), attr_text=f"Inputs!${letter}${first}:${letter}${last}"
        )


def live_case_cells(lay: Layout, result) -> list[ExtraCell]:
    """The live case selector's formula cells on Inputs: the live case's name and, for every input that cases
    change, the live cell(s) choosing the live case's value (see :mod:`finmodel.workbook.selector`)."""
    cases = lay.cases
    if cases is None:
        return []
    row, first, last = lay.live_case_rows
    out = [
        ExtraCell("Inputs", row, 4, f"=INDEX($A${first}:$A${last},{LIVE_CASE})", cases.live_name, "text", styles.CALC)
    ]
    for name in cases.values:
        inp = lay.model.inputs[name]
        v = result.values[name][0]
        case_rows = lay.case_rows.get(name)
        if inp.kind == "scalar":
            r, c = lay.input_cells[name]
            cells = [(r, c, [f"C{k}" for k in case_rows])]
        elif inp.kind == "series":
            r = lay.series_rows[name]
            cells = [
                (r, FIRST_COL + t, [f"{get_column_letter(FIRST_COL + t)}{k}" for k in case_rows])
                for t in range(lay.model.periods)
            ]
        else:
            first_row, last_row = lay.table_rows[name]
            cells = [
                (
                    first_row + j,
                    3,
                    [f"{get_column_letter(FIRST_COL + k)}{first_row + j}" for k in range(len(cases.names))],
                )
                for j in range(last_row - first_row + 1)
            ]
        for j, (r, c, refs) in enumerate(cells):
            out.append(ExtraCell("Inputs", r, c, choose(refs), expected_value(v[j], inp.fmt), inp.fmt, styles.CALC))
    return out
