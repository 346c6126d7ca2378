"""Recalculate workbooks with the ``formulas`` package: a second engine beside LibreOffice.

`formulas <https://pypi.org/project/formulas/>`_ is an independent, pure-Python implementation of Excel's
function semantics. A workbook that LibreOffice and ``formulas`` both recalculate to the engine's values is
evidence that its formulas mean the same in any spreadsheet, not only in the one the tests happen to run.

:func:`recalculate_values` returns the recalculated formula cells as ``{(sheet, "A1"): value}``, the same shape
as :func:`finmodel.workbook.recalc.read_values`, so :func:`finmodel.workbook.parity.compare` and
:func:`finmodel.workbook.recalc.compare_workbooks` take either engine's result.

:func:`functions_used` lists the spreadsheet functions a workbook's formulas call (openpyxl's formula
tokenizer), so that a test can hold the workbook to Excel 2010's functions and to those ``formulas`` evaluates.

Cost: ``formulas`` compiles every cell into a dispatch graph before it calculates; for the default project
workbook (about 28,000 cells) loading takes about 70 s and calculating about 20 s on one shared core, against
about 3 s for LibreOffice. The tests therefore recalculate one workbook with it (see
``tests/test_formulas_parity.py``).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections import Counter
from pathlib import Path

from finmodel.errors import FinmodelError

__all__ = ["UNSUPPORTED", "formula_cells", "formulas_available", "functions_used", "recalculate_values"]

# Functions the generated workbooks call that ``formulas`` 1.x cannot evaluate, with the reason. A test
# (tests/test_formulas_parity.py) fails when an entry is no longer used, or when a used function is missing
# from ``formulas`` and from this list.
UNSUPPORTED: dict[str, str] = {}

_FUNC = re.compile(r"(?:^|[^A-Z0-9_.])(?:_XLFN\.)?(?:_XLWS\.)?([A-Z][A-Z0-9.]*)\($")
# a function-open token: "SUM(", "B1:INDEX(" (a range to a function), "_xlfn.IFS(" (a newer function)


def formulas_available() -> bool:
    """True when the ``formulas`` package (the ``test`` extra) can be imported."""
    try:
        import formulas  # noqa: F401
    except ImportError:
        return False
    return True


def functions_used(path: Path) -> Counter:
    """Every spreadsheet function the formulas of a workbook call, with how many formulas call it.

    Parsed with :class:`openpyxl.formula.tokenizer.Tokenizer` (function-open tokens such as ``SUM(``), so a
    name inside a text literal or a defined name is never taken for a function. Excel's prefixes for newer
    functions (``_xlfn.``, ``_xlws.``) are dropped, so ``_xlfn.IFS(`` counts as ``IFS``.
    """
    import openpyxl
    from openpyxl.formula.tokenizer import Token, Tokenizer

    found: Counter = Counter()
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    v = getattr(cell, "value", None)
                    if not (isinstance(v, str) and v.startswith("=")):
                        continue
                    names = set()
                    for tok in Tokenizer(v).items:
                        if tok.type == Token.FUNC and tok.subtype == Token.OPEN:
                            m = _FUNC.search(tok.value.upper())
                            if m is None:
                                where = f"{ws.title}!{cell.coordinate}"
                                raise FinmodelError(f"unparsed function token {tok.value!r} in {where}")
                            names.add(m.group(1))
                    found.update(names)
    finally:
        wb.close()
    return found


def formula_cells(path: Path) -> dict[tuple[str, str], bool]:
    """``{(sheet, "A1"): is_date}`` for every formula cell (``is_date``: the cell has a date number format)."""
    import openpyxl
    from openpyxl.styles.numbers import is_date_format

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {
            (ws.title, cell.coordinate): is_date_format(cell.number_format or "General")
            for ws in wb.worksheets
            for row in ws.iter_rows()
            for cell in row
            if isinstance(getattr(cell, "value", None), str) and cell.value.startswith("=")
        }
    finally:
        wb.close()


def _plain(value, is_date: bool):
    """A ``formulas`` cell result as openpyxl would read it from a file Excel saved."""
    import numpy as np
    from formulas.tokens.operand import XlError

    if hasattr(value, "value"):  # a Ranges object
        value = value.value
    if isinstance(value, np.ndarray):
        value = value.ravel()[0] if value.size else None
    if isinstance(value, XlError):
        return str(value)
    if value is None or type(value).__name__ == "XlEmpty" or str(value) == "empty":
        return 0  # a formula that shows an empty cell shows 0 in Excel
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer | np.floating | int | float):
        value = float(value)
        if is_date and math.isfinite(value):
            from openpyxl.utils.datetime import from_excel

            return from_excel(value)
        return value
    if isinstance(value, _dt.datetime):
        return value
    return str(value)


def recalculate_values(src: Path) -> dict[tuple[str, str], object]:
    """Recalculate every formula of an .xlsx workbook with ``formulas``; return the formula cells' values.

    Parameters
    ----------
    src : pathlib.Path
        Workbook as written by finmodel (formulas, no cached values); left untouched.

    Returns
    -------
    dict
        ``{(sheet, "A1"): value}`` for every formula cell: numbers as float, booleans, text, error values as
        strings such as ``"#DIV/0!"``, cells with a date format as datetimes (as
        :func:`finmodel.workbook.recalc.read_values` gives them after LibreOffice).

    Raises
    ------
    FinmodelError
        ``formulas`` not installed, or ``src`` missing.
    """
    try:
        import formulas
    except ImportError:
        raise FinmodelError(
            "the `formulas` package is not installed: expected it for the second recalculation engine "
            "(pip install 'finmodel[test]')"
        ) from None
    src = Path(src)
    if not src.is_file():
        raise FinmodelError(f"cannot recalculate {src}: expected an existing workbook file, found none")
    cells = formula_cells(src)
    by_upper = {(sheet.upper(), coord): (sheet, coord) for sheet, coord in cells}
    model = formulas.ExcelModel().loads(str(src)).finish()
    solution = model.calculate()
    out: dict[tuple[str, str], object] = {}
    for ref, value in solution.items():
        sheet_ref, _, coord = ref.rpartition("!")
        if ":" in coord or "]" not in sheet_ref:
            continue
        sheet = sheet_ref.split("]", 1)[1].rstrip("'").replace("''", "'")
        key = by_upper.get((sheet.upper(), coord.replace("$", "")))
        if key is not None:
            out[key] = _plain(value, cells[key])
    # a cell whose formula is a defined name alone (``=project_irr``, the Cases sheet) has no entry of its
    # own in the solution of ``formulas`` 1.3: it shows the named cell's value
    for key, target in _name_links(src, cells).items():
        if key not in out and target in out:
            out[key] = out[target]
    return out


def _name_links(path: Path, cells) -> dict[tuple[str, str], tuple[str, str]]:
    """``{formula cell: named cell}`` for the formula cells whose formula is ``=<defined name>`` of one cell."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        names = {}
        for name, dn in wb.defined_names.items():
            dest = list(dn.destinations)
            if len(dest) == 1 and ":" not in dest[0][1]:
                names[name.upper()] = (dest[0][0], dest[0][1].replace("$", ""))
        links = {}
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    v = getattr(cell, "value", None)
                    key = (ws.title, getattr(cell, "coordinate", ""))
                    if key in cells and isinstance(v, str) and v[1:].upper() in names:
                        links[key] = names[v[1:].upper()]
        return links
    finally:
        wb.close()
