"""The workbook as a scenario source: read an analyst's edits back, re-solve, export the scenario.

A workbook written by finmodel embeds the scenario it was built from (a hidden sheet, *Scenario file*: the YAML
text, its source and hash, the cases run and the live case selector's cases). Reading it back:

1. the file is checked as hostile input: a regular file, at most :data:`MAX_BYTES`, a zip whose members
   unpack to at most :data:`MAX_UNPACKED`; it is opened by openpyxl, which evaluates nothing;
2. the embedded scenario is parsed and validated like any scenario file;
3. every named input the model has is read from the Inputs sheet through its workbook-level defined name (and,
   for inputs that cases change, the per-case names ``<input>_case<k>``): numbers only (a date input may
   hold a date), finite, the expected number of cells; a formula is refused, never evaluated;
4. each value that differs from what the embedded scenario gives is written to the scenario field it comes
   from (:mod:`finmodel.workbook.scenario_paths`): the base scenario for a value the base case uses, the case's
   ``changes`` for a case's own value; the edited scenario is rebuilt and must reproduce every value read,
   so an edit to an input that is not a scenario field (or cannot be expressed as one) is refused by name.

Solved inputs (commitments, sculpted profiles, the funding split) are not read: ``finmodel run EDITED.xlsx``
solves the financing again. Every problem is an :class:`~finmodel.errors.InputError` (exit 2) that names the
workbook cell, what was expected and what was found.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import io
import json
import math
import zipfile

import numpy as np
import yaml
from openpyxl.utils.cell import range_boundaries

from finmodel.errors import InputError
from finmodel.schema import DEFAULT_SOURCE, default_scenario_bytes, reading
from finmodel.workbook import scenario_paths as wi

EMBED_SHEET = "Scenario file"
MARKER = "finmodel embedded scenario, format 1"
MAX_BYTES = 50 * 2**20  # a finmodel workbook of the largest shipped scenario is ~1 MB
MAX_UNPACKED = 400 * 2**20  # zip members unpacked: a zip bomb is refused before openpyxl reads it
MAX_LINES = 200_000  # lines (or base64 chunks) of the embedded scenario: a 4 MiB scenario file has fewer
_FIRST_LINE_ROW = 10
_CHUNK = 30000  # characters per cell (Excel's limit is 32,767)


# --- writing: embed the scenario ---------------------------------------------------------------------------


def embed(wb, text: str, *, source: str, sha256: str, cases_run: list[str], selector: list[str]) -> None:
    """Add the hidden sheet holding the scenario's YAML text and what the workbook was run with."""
    from finmodel.term import inert
    from finmodel.workbook.cells import put_text

    ws = wb.create_sheet(EMBED_SHEET)
    ws.sheet_state = "hidden"
    lines = text.split("\n")
    encoding = "lines"
    if any(len(s) > _CHUNK or inert(s) != s for s in lines):  # a tab, ESC, bidi override...: kept exactly
        raw = base64.b64encode(text.encode("utf-8")).decode("ascii")
        lines, encoding = [raw[i : i + _CHUNK] for i in range(0, len(raw), _CHUNK)], "base64"
    meta = [
        ("format", MARKER),
        ("note", "the scenario this workbook was built from: `finmodel export` compares the Inputs with it"),
        ("source", source),
        ("sha256", sha256),
        ("cases run", json.dumps(cases_run)),
        ("live case selector", json.dumps(selector)),
        ("encoding", encoding),
        ("lines", str(len(lines))),
    ]
    for r, (key, value) in enumerate(meta, start=1):
        put_text(ws.cell(r, 1), key)
        put_text(ws.cell(r, 2), value)
    for k, line in enumerate(lines):
        put_text(ws.cell(_FIRST_LINE_ROW + k, 1), line)
    ws.column_dimensions["A"].width = 100


# --- reading ---------------------------------------------------------------------------------------------


def _problem(where: str, message: str, source: str):
    return InputError([(where, message)], source=source)


def open_workbook(path):
    """(openpyxl workbook, bytes) of a workbook file, checked as hostile input before openpyxl parses it."""
    import openpyxl

    from finmodel import readfile

    source = str(path)
    data, _ = readfile.read_bytes(path, "workbook file (.xlsx)", limit=MAX_BYTES)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            unpacked = sum(i.file_size for i in infos)
    except (zipfile.BadZipFile, ValueError):
        raise _problem("", "expected an .xlsx workbook (a zip file), found something else", source) from None
    if unpacked > MAX_UNPACKED or len(infos) > 10000:
        raise _problem(
            "",
            f"expected a workbook unpacking to at most {MAX_UNPACKED // 2**20} MB, found "
            f"{unpacked:,} bytes in {len(infos)} parts",
            source,
        )
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=False, keep_links=False, keep_vba=False)
    except Exception as exc:  # openpyxl raises many kinds on malformed parts: all mean "not a workbook"
        raise _problem(
            "", f"expected an .xlsx workbook, found one openpyxl cannot read ({type(exc).__name__})", source
        ) from None
    return wb, data


@dataclasses.dataclass
class Embedded:
    text: str
    source: str
    sha256: str
    cases_run: list[str]
    selector: list[str]


def read_embedded(wb, source: str) -> Embedded:
    """The scenario embedded by :func:`embed`."""
    if EMBED_SHEET not in wb.sheetnames:
        raise _problem(
            "", f"expected a workbook written by finmodel (with its hidden sheet {EMBED_SHEET!r}), found none", source
        )
    ws = wb[EMBED_SHEET]
    meta = {}
    for r in range(1, _FIRST_LINE_ROW):
        key, value = ws.cell(r, 1).value, ws.cell(r, 2).value
        if isinstance(key, str) and isinstance(value, str):
            meta[key] = value
    where = f"{EMBED_SHEET}!B1"
    if meta.get("format") != MARKER:
        raise _problem(where, f"expected {MARKER!r}, found {meta.get('format')!r}", source)
    try:
        n = int(meta["lines"])
        cases_run = json.loads(meta["cases run"])
        selector = json.loads(meta["live case selector"])
    except (KeyError, ValueError):
        raise _problem(where, "expected the embedded scenario's lines and cases, found them damaged", source) from None
    ok = lambda x: isinstance(x, list) and all(isinstance(c, str) for c in x)  # noqa: E731
    if not (0 < n <= MAX_LINES and ok(cases_run) and ok(selector)):
        raise _problem(where, "expected the embedded scenario's lines and cases, found them damaged", source)
    lines = []
    for k in range(n):
        v = ws.cell(_FIRST_LINE_ROW + k, 1).value
        if v is not None and not isinstance(v, str):
            raise _problem(f"{EMBED_SHEET}!A{_FIRST_LINE_ROW + k}", "expected text, found a number", source)
        lines.append(v or "")
    if meta.get("encoding") == "base64":
        try:
            text = base64.b64decode("".join(lines), validate=True).decode("utf-8")
        except ValueError:
            raise _problem(where, "expected the embedded scenario (base64), found it damaged", source) from None
    else:
        text = "\n".join(lines)
    return Embedded(text, meta.get("source", ""), meta.get("sha256", ""), cases_run, selector)


def _cells(wb, name: str, expected: int, source: str):
    """The cells a workbook-level defined name points at on the Inputs sheet (exactly ``expected`` of them)."""
    dn = wb.defined_names.get(name)
    if dn is None:
        return None
    try:
        dests = list(dn.destinations)
    except Exception:  # a name that is not a plain reference (a formula, an external link)
        dests = []
    if len(dests) != 1 or dests[0][0] != "Inputs" or "Inputs" not in wb.sheetnames:
        raise _problem(name, f"expected a name pointing at cells of the Inputs sheet, found {dn.attr_text!r}", source)
    coord = dests[0][1].replace("$", "")
    try:
        lo_col, lo_row, hi_col, hi_row = range_boundaries(coord)
    except (ValueError, TypeError):
        raise _problem(name, f"expected a cell range, found {coord!r}", source) from None
    if None in (lo_col, lo_row, hi_col, hi_row):
        raise _problem(name, f"expected a range of cells, found the whole rows or columns {coord!r}", source)
    count = (hi_col - lo_col + 1) * (hi_row - lo_row + 1)
    if count != expected:  # checked before any cell is touched: a name over a million cells costs nothing
        raise _problem(name, f"expected {expected} cell(s) at Inputs!{coord}, found {count}", source)
    ws = wb["Inputs"]
    return [ws.cell(r, c) for r in range(lo_row, hi_row + 1) for c in range(lo_col, hi_col + 1)]


def _number(cell, inp, source: str) -> float:
    v = cell.value
    where = f"Inputs!{cell.coordinate} ({inp.name}: {inp.label})"
    if isinstance(v, bool) or v is None:
        raise _problem(where, f"expected a number, found {'an empty cell' if v is None else v}", source)
    if isinstance(v, (dt.datetime, dt.date)) and inp.fmt == "date":
        d = v.date() if isinstance(v, dt.datetime) else v
        return float((d - wi.EXCEL_EPOCH).days)
    if isinstance(v, str):
        if v.startswith("="):
            raise _problem(
                where,
                f"expected a number, found a formula ({v[:40]}); finmodel reads inputs as "
                "values and evaluates no formula: type the value",
                source,
            )
        raise _problem(where, f"expected a number, found text {v[:40]!r}", source)
    if not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise _problem(where, f"expected a finite number, found {v!r}", source)
    return float(v)


def read_inputs(wb, model, selector: list[str], source: str) -> dict[str, list[np.ndarray | None]]:
    """Input name -> one value array per selector case, as the workbook holds them (None for an input the
    workbook does not name). Solved inputs are skipped."""
    out = {}
    n_cases = max(1, len(selector))
    for name, inp in model.inputs.items():
        if inp.solved:
            continue
        size = inp.value.shape[1]
        per_case = []
        if wb.defined_names.get(f"{name}_case1") is not None:
            for k in range(1, n_cases + 1):
                cells = _cells(wb, f"{name}_case{k}", size, source)
                if cells is None:
                    raise _problem(name, f"expected the per-case name {name}_case{k}, found none", source)
                per_case.append(np.array([_number(c, inp, source) for c in cells]))
        else:
            cells = _cells(wb, name, size, source)
            if cells is None:
                per_case = [None] * n_cases
            else:
                v = np.array([_number(c, inp, source) for c in cells])
                per_case = [v] * n_cases
        out[name] = per_case
    return out


def live_case_number(wb, selector: list[str], source: str) -> int | None:
    """The case number the analyst chose in ``live_case`` (1-based), or None without a selector."""
    from finmodel.workbook.cells import LIVE_CASE

    if not selector or wb.defined_names.get(LIVE_CASE) is None:
        return None
    cells = _cells(wb, LIVE_CASE, 1, source)
    v = cells[0].value
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, float))
        or not float(v).is_integer()
        or not 1 <= v <= len(selector)
    ):
        raise _problem(
            f"Inputs!{cells[0].coordinate} (live_case)",
            f"expected a case number from 1 to {len(selector)}, found {v!r}",
            source,
        )
    return int(v)


def scenario_text(scenario) -> str:
    """The YAML text of a loaded scenario, for a workbook to embed: the file's own bytes when they are still the
    bytes that were loaded (same SHA-256), else the scenario's mapping as YAML."""
    if scenario.source == DEFAULT_SOURCE:
        return default_scenario_bytes().decode("utf-8")
    try:
        data, _ = reading.read(scenario.source)
        if hashlib.sha256(data).hexdigest() == scenario.sha256:
            return data.decode("utf-8")
    except InputError:  # a mapping, or a file gone or changed since: the mapping it was loaded from
        pass
    raw = getattr(scenario, "_raw", None)
    if raw is None:
        raw = scenario.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=110)
