"""Recalculate workbooks with headless LibreOffice, and read the values back.

openpyxl writes formulas without cached values; a workbook's numbers exist only after a spreadsheet
application has recalculated it. This module runs LibreOffice Calc headless, as the README ("Verification")
sets out:

* a private, throw-away user profile per call (``-env:UserInstallation=file:///tmp/...``), so runs never share
  or lock the user's own profile and can run side by side;
* that profile's ``user/registrymodifications.xcu`` is written first, setting
  ``/org.openoffice.Office.Calc/Formula/Load/OOXMLRecalcMode`` (and ``ODFRecalcMode``) to 0, "always
  recalculate", so every formula is recomputed on load, never taken from cached values;
* ``soffice --headless --norestore --convert-to "xlsx:Calc MS Excel 2007 XML"``; soffice exits 0 even when it
  converts nothing, so the output file's existence is the proof, and its absence raises
  :class:`~finmodel.errors.FinmodelError` with soffice's own output.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from finmodel.errors import FinmodelError

__all__ = [
    "Mismatch",
    "compare_workbooks",
    "read_values",
    "recalculate",
    "soffice_available",
    "soffice_path",
    "to_pdf",
]

XLSX_FILTER = "xlsx:Calc MS Excel 2007 XML"

# 0 = always recalculate, 1 = never, 2 = ask (the default, which headless treats as never)
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">\
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">\
<value>0</value></prop></item>
</oor:items>
"""


def soffice_path() -> str | None:
    """Path of the LibreOffice executable (``soffice``, else ``libreoffice``) on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def soffice_available() -> bool:
    """True when a LibreOffice executable (``soffice`` or ``libreoffice``) is on PATH."""
    return soffice_path() is not None


def _convert(src: Path, outdir: Path, convert_to: str, timeout: float) -> Path:
    """Convert ``src`` into ``outdir`` (headless soffice, fresh isolated profile); return the output path."""
    exe = soffice_path()
    if exe is None:
        raise FinmodelError(
            "LibreOffice not found: expected `soffice` or `libreoffice` on PATH (Debian package libreoffice-calc-nogui)"
        )
    src = Path(src)
    if not src.is_file():
        raise FinmodelError(f"cannot recalculate {src}: expected an existing workbook file, found none")
    profile = Path(tempfile.mkdtemp(prefix="finmodel-lo-profile-"))
    try:
        (profile / "user").mkdir()
        (profile / "user" / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        outdir.mkdir(parents=True, exist_ok=True)
        extension = convert_to.split(":", 1)[0]
        expected = outdir / f"{src.stem}.{extension}"
        expected.unlink(missing_ok=True)
        cmd = [
            exe,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            convert_to,
            "--outdir",
            str(outdir),
            str(src),
        ]
        # own session, so that a timeout kills soffice.bin too, not only the launcher script
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            raise FinmodelError(
                f"LibreOffice did not finish converting {src.name} within {timeout} s; "
                f"stderr: {stderr.strip() or '(empty)'}"
            ) from None
        if not expected.is_file():
            raise FinmodelError(
                f"LibreOffice produced no {expected.name} from {src.name} (exit code {proc.returncode}); "
                f"stderr: {stderr.strip() or '(empty)'}; stdout: {stdout.strip() or '(empty)'}"
            )
        return expected
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def recalculate(src: Path, dst: Path | None = None, *, timeout: float = 120) -> Path:
    """Recalculate every formula of an .xlsx workbook with headless LibreOffice and save it as .xlsx.

    Parameters
    ----------
    src : pathlib.Path
        Workbook to recalculate; left untouched.
    dst : pathlib.Path, optional
        Where to write the recalculated workbook (replaced if it exists). Default: next to ``src``, named
        ``<stem>.recalc.xlsx``.
    timeout : float, keyword-only
        Seconds [s] to wait for LibreOffice before killing it.

    Returns
    -------
    pathlib.Path
        ``dst``: the recalculated workbook; openpyxl reads its values with ``data_only=True``.

    Raises
    ------
    FinmodelError
        soffice missing, ``src`` missing, timeout, or no output file (with soffice's stderr).

    Notes
    -----
    ``src`` is copied into a private temporary directory first, so a name clash or a lock on ``src`` never
    matters. One call takes about 1.5-2 s (LibreOffice starts afresh each time with a new profile).
    """
    src = Path(src)
    dst = Path(dst) if dst is not None else src.with_name(f"{src.stem}.recalc.xlsx")
    if not src.is_file():
        raise FinmodelError(f"cannot recalculate {src}: expected an existing workbook file, found none")
    with tempfile.TemporaryDirectory(prefix="finmodel-recalc-") as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        copy = work / "in" / (src.stem + ".xlsx")
        shutil.copyfile(src, copy)
        out = _convert(copy, work / "out", XLSX_FILTER, timeout)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(out), dst)
    return dst


def to_pdf(src: Path, outdir: Path, *, timeout: float = 120) -> Path:
    """Render a workbook to PDF with headless LibreOffice (same isolated, always-recalculate profile).

    Parameters
    ----------
    src : pathlib.Path
        Workbook (.xlsx) to render.
    outdir : pathlib.Path
        Directory for ``<stem>.pdf`` (created if needed; an existing file of that name is replaced).
    timeout : float, keyword-only
        Seconds [s] to wait for LibreOffice.

    Returns
    -------
    pathlib.Path
        The PDF file.
    """
    src = Path(src)
    if not src.is_file():
        raise FinmodelError(f"cannot render {src}: expected an existing workbook file, found none")
    outdir = Path(outdir)
    with tempfile.TemporaryDirectory(prefix="finmodel-pdf-") as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        copy = work / "in" / src.name
        shutil.copyfile(src, copy)
        out = _convert(copy, work / "out", "pdf", timeout)
        outdir.mkdir(parents=True, exist_ok=True)
        target = outdir / out.name
        shutil.move(str(out), target)
    return target


def read_values(path: Path) -> dict[tuple[str, str], object]:
    """Every non-empty cell's value as saved in the file: ``{(sheet, "A1"): value}``.

    Read with openpyxl ``data_only=True``, so formula cells give their last calculated value (None when the
    file was never recalculated, which is why :func:`recalculate` comes first). Error values come back as
    strings such as ``"#DIV/0!"``. An empty-text formula result (``=IF(..., "")``) is returned as ``""``:
    LibreOffice stores it as ``t="str"`` with an empty ``<v>``, which openpyxl alone reads as None.
    """
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    try:
        values = {}
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if not hasattr(cell, "coordinate"):  # read-only EmptyCell padding
                        continue
                    if cell.value is not None:
                        values[(ws.title, cell.coordinate)] = cell.value
                    elif cell.data_type == "str":
                        values[(ws.title, cell.coordinate)] = ""
        return values
    finally:
        wb.close()


@dataclass(frozen=True)
class Mismatch:
    """One formula cell whose recalculated value differs from the expected one."""

    sheet: str
    cell: str
    formula: str
    expected: object
    found: object

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell} ({self.formula}): expected {self.expected!r}, found {self.found!r}"


def _close(expected, found, rtol: float, atol: float) -> bool:
    if isinstance(expected, bool) or isinstance(found, bool) or not isinstance(expected, int | float):
        return expected == found
    if not isinstance(found, int | float):
        return False
    if math.isnan(expected):
        return math.isnan(found)
    return math.isclose(found, expected, rel_tol=rtol, abs_tol=atol)


def compare_workbooks(
    formulas_path: Path,
    recalculated_path: Path | Mapping,
    expected: dict | Callable[[str, str], object],
    *,
    rtol: float = 1e-9,
    atol: float = 0.0,
) -> list[Mismatch]:
    """Compare every formula cell of a workbook, after recalculation, with expected values.

    Parameters
    ----------
    formulas_path : pathlib.Path
        The workbook as written (formulas, no values).
    recalculated_path : pathlib.Path or mapping
        The same workbook after :func:`recalculate`, or the recalculated values themselves as
        ``{(sheet, "A1"): value}`` (:func:`read_values`, or
        :func:`finmodel.workbook.recalc_formulas.recalculate_values` for the ``formulas`` engine).
    expected : dict or callable
        ``{(sheet, "A1"): value}``, or ``f(sheet, "A1") -> value``; a formula cell missing from the dict, or
        for which the callable returns ``...`` (Ellipsis), is not compared.
    rtol, atol : float, keyword-only
        Relative and absolute tolerance [fraction, value units] for numbers; text and booleans compare
        exactly.

    Returns
    -------
    list of Mismatch
        Empty when every compared cell agrees.
    """
    import openpyxl

    wb = openpyxl.load_workbook(formulas_path, read_only=True)
    try:
        formulas = {}
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        formulas[(ws.title, cell.coordinate)] = cell.value
    finally:
        wb.close()
    values = recalculated_path if isinstance(recalculated_path, Mapping) else read_values(recalculated_path)
    mismatches = []
    for key, formula in formulas.items():
        if callable(expected):
            want = expected(*key)
        else:
            want = expected.get(key, ...)
        if want is ...:
            continue
        got = values.get(key)
        if not _close(want, got, rtol, atol):
            mismatches.append(Mismatch(key[0], key[1], formula, want, got))
    return mismatches
