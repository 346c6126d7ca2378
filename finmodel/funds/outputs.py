"""Output files of the frontier and programme commands: JSON (a file, or ``-`` for stdout), a values workbook
of tables, and the checks of output paths made before any work is done. Every file is written atomically."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

from finmodel.files import atomic_write, check_output_path

STDOUT = "-"


def check_json_path(path, option: str = "--json"):
    """``-`` (stdout) stays ``-``; otherwise a ``.json`` file name (InputError if not)."""
    if path is None or str(path) == STDOUT:
        return path
    return check_output_path(path, ".json", option)


def check_charts_dir(path, option: str = "--charts"):
    if path is None:
        return None
    p = Path(path)
    if p.exists() and not p.is_dir():
        from finmodel.errors import InputError

        raise InputError([(option, f"expected a folder, found the file {str(path)!r}")])
    return p


def check_outputs(json_path, workbook_path, charts, inputs) -> tuple:
    """Every output option checked before any work: ``(json_path, workbook, charts)``, each None when not asked;
    none may be one of the ``inputs`` (a path, or a callable giving them for a file argument) -- InputError."""
    from finmodel.files import check_folder, check_not_inputs

    json_path = check_json_path(json_path)
    wb = check_output_path(workbook_path, ".xlsx", "--output")
    charts = check_charts_dir(charts)
    if charts is not None:
        check_folder(charts)
    js = None if json_path is None or str(json_path) == STDOUT else json_path
    if inputs is not None:
        check_not_inputs({"--json": js, "--output": wb, "--charts": charts}, inputs)
    return json_path, wb, charts


def write_outputs(data: dict, json_path, wb, charts, write_workbook, write_chart) -> list[Path]:
    """Write what was asked: the workbook, the chart, the JSON (``-``: standard output, not a file)."""
    written = []
    if wb is not None:
        written.append(write_workbook(wb))
    if charts is not None:
        written.append(write_chart(charts))
    if json_path is not None:
        p = emit_json(data, json_path)
        if p is not None:
            written.append(p)
    return written


def json_ready(x):
    """Plain JSON values: numpy scalars and arrays to Python, NaN and infinities to None."""
    if isinstance(x, dict):
        return {str(k): json_ready(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_ready(v) for v in x]
    if isinstance(x, np.ndarray):
        return json_ready(x.tolist())
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def emit_json(data: dict, path) -> Path | None:
    """Write ``data`` to ``path`` atomically, or to stdout for ``-`` (returns None then)."""
    text = json.dumps(json_ready(data), indent=2, allow_nan=False) + "\n"
    if str(path) == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return None

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    return atomic_write(path, write)


def write_tables(path, sheets: list[tuple[str, list[tuple[str, str]], list[str], list[list]]]) -> Path:
    """A values workbook: per sheet ``(name, provenance [(key, value)], header, rows)``; user text is written as
    values only (openpyxl cells of type string, never formulas)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from finmodel.workbook.cells import put_text

    def write(tmp):
        wb = Workbook()
        wb.remove(wb.active)
        for name, prov, header, rows in sheets:
            ws = wb.create_sheet(name)
            r = 1
            for k, v in prov:
                put_text(ws.cell(r, 1), k)
                ws.cell(r, 1).font = Font(bold=True)
                put_text(ws.cell(r, 2), v)  # a leading '=' in user text stays text; a path's ESC shows as \\x1b
                r += 1
            r += 1
            for j, h in enumerate(header, start=1):
                ws.cell(r, j, h).font = Font(bold=True)
            for row in rows:
                r += 1
                for j, v in enumerate(row, start=1):
                    if isinstance(v, str):
                        put_text(ws.cell(r, j), v)
                    else:
                        ws.cell(r, j).value = json_ready(v)
            ws.column_dimensions["A"].width = 30
            for j in range(2, len(header) + 1):
                ws.column_dimensions[ws.cell(1, j).column_letter].width = 16
        wb.save(tmp)

    return atomic_write(path, write, suffix=".xlsx")
