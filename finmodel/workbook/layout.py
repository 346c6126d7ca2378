"""Where everything goes in the workbook: sheet names and order, the rows of every input and model row, defined names.

Layout, the same on every calculation sheet: column A label, B unit, C total (or the value of a named scalar),
D empty (the "previous period" of the first period), periods from :data:`~finmodel.workbook.cells.FIRST_COL`
(column E), one column per period, one formula per row; rows 1 to :data:`HEADER_ROWS` are the sheet's frame
(:mod:`finmodel.workbook.headers`). :class:`Layout` places every input on Inputs and every model row on its sheet
before anything is written, so the formula of any row can refer to any other; the sheet writers read it.
"""

from __future__ import annotations

import re

from openpyxl.utils import get_column_letter

from finmodel.errors import FinmodelError, InputError
from finmodel.rows import FormulaWriter
from finmodel.workbook.cells import CHARTS, FIRST_COL

HEADER_ROWS = 5  # title, master check, period end, period number, column headings
SHEET_ORDER = [
    "Inputs",
    "Timing",
    "Operations",
    "Debt",
    "Funding",
    "Tax",
    "Waterfall",
    "Equity",
    "Returns",
    "Outputs",
    "Checks",
]
COVER, CASES, ANNUAL = "Cover", "Cases", "Annual"
RESERVED = {COVER, CASES, CHARTS, ANNUAL}
_CELL_NAME = re.compile(r"^[A-Za-z]{1,3}[0-9]+$|^[RrCc]([0-9]*|[0-9]+[RrCc][0-9]+)$")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")


def sheet_names(model) -> list[str]:
    """Inputs, then the calculation sheets in data-flow order; sheets added by other modules (fund, blending,
    guarantees ...) come before Outputs and Checks, in the order their first row was defined."""
    used = list(dict.fromkeys(row.sheet for row in model.rows.values()))
    known = [s for s in SHEET_ORDER if s in used or s == "Inputs"]
    extra = [s for s in used if s not in SHEET_ORDER]
    at = known.index("Outputs") if "Outputs" in known else len(known)
    return known[:at] + extra + known[at:]


def safe_sheet_title(name: str, taken=()) -> str:
    """A valid, unique worksheet title: no ``[]:*?/\\'``, not blank, at most 31 characters."""
    title = _BAD_SHEET_CHARS.sub("_", str(name)).strip() or "Sheet"
    if title.lower() == "history":  # reserved by Excel
        title = "History_"
    title = title[:31]
    lowered = {t.lower() for t in taken}
    base, k = title, 2
    while title.lower() in lowered:
        suffix = f" ({k})"
        title = base[: 31 - len(suffix)] + suffix
        k += 1
    return title


def defined_name(name: str) -> str:
    if _CELL_NAME.match(name):
        raise FinmodelError(f"model name {name!r} would read as a cell address in a formula")
    return name


class Layout:
    """Where every input and row lives; fills a :class:`FormulaWriter`.

    ``sheets`` are the worksheet titles (sanitised) of Inputs and the calculation sheets, in order;
    ``titles`` maps each model sheet name to its title.
    """

    def __init__(self, model, cases=None):
        self.model = model
        self.cases = cases  # a finmodel.workbook.selector.LiveCases, or None: no live case selector
        self.w = FormulaWriter(FIRST_COL, model.periods)
        self.input_cells: dict[str, tuple[int, int]] = {}  # scalar input -> (row, col) on Inputs
        self.case_rows: dict[str, list[int]] = {}  # input some case changes -> its value row per case
        self.live_case_rows: tuple[int, int, int] | None = None  # (selector row, first, last row of the list)
        self.series_rows: dict[str, int] = {}
        self.table_rows: dict[str, tuple[int, int]] = {}  # table -> (first row, last row)
        self.titles: dict[str, str] = {}
        for s in sheet_names(model):
            self.titles[s] = safe_sheet_title(s, list(self.titles.values()) + sorted(RESERVED))
        self.sheets = list(self.titles.values())
        self.sheet_rows: dict[str, list] = {s: [] for s in self.sheets}  # title -> [(kind, item, excel row)]
        self._place()

    def _place(self) -> None:
        self.input_layout: list[tuple] = []  # (kind, payload, excel row) on Inputs
        self._place_inputs()
        self._place_rows()

    def _place_inputs(self) -> None:
        """Inputs: the live case selector (with cases), the scalar and series inputs by group, then the by-year
        tables; each gets its defined name (a table: its range) in the formula writer."""
        m, w = self.model, self.w
        r = HEADER_ROWS + 1
        if self.cases is not None:
            n = len(self.cases.names) + len(self.cases.not_live)
            self.input_layout.append(("section", "Live case (every sheet models the case chosen here)", r))
            self.live_case_rows = (r + 1, r + 2, r + 1 + len(self.cases.names))
            self.input_layout.append(("live_case", None, r + 1))
            r += n + 3
        groups: dict[str, list] = {}
        for inp in m.inputs.values():
            groups.setdefault(inp.group, []).append(inp)
        for group, items in groups.items():
            if not any(inp.kind != "table" for inp in items):
                continue
            self.input_layout.append(("section", group, r))
            r += 1
            for inp in items:
                if inp.kind == "scalar":
                    self.input_layout.append(("scalar", inp, r))
                    self.input_cells[inp.name] = (r, 3)
                    w.names[inp.name] = defined_name(inp.name)
                    r = self._case_rows(inp.name, r + 1)
                elif inp.kind == "series":
                    self.input_layout.append(("series", inp, r))
                    self.series_rows[inp.name] = r
                    w.cells[inp.name] = ("Inputs", r)
                    r = self._case_rows(inp.name, r + 1)
            r += 1
        tables = [inp for inp in m.inputs.values() if inp.kind == "table"]
        if tables:
            self.input_layout.append(("section", "Tables by year (year 1 = the first year from the start date)", r))
            r += 1
        for inp in tables:
            n = inp.value.shape[1]
            self.input_layout.append(("table", inp, r))
            first, last = r + 1, r + n
            self.table_rows[inp.name] = (first, last)
            w.tables[inp.name] = (f"Inputs!$B${first}:$B${last}", defined_name(inp.name))
            r = last + 2

    def _place_rows(self) -> None:
        """The model rows on their sheets, each sheet's sections together, a blank row between sections."""
        m, w = self.model, self.w
        next_row = {s: HEADER_ROWS + 1 for s in self.sheets}
        last_section = {s: None for s in self.sheets}
        for row in _grouped_by_section(m.rows.values()):
            sh = self.titles.get(row.sheet)
            if sh is None:
                raise FinmodelError(f"row {row.name!r} on unknown sheet {row.sheet!r}")
            if row.section and row.section != last_section[sh]:
                if last_section[sh] is not None:
                    next_row[sh] += 1
                self.sheet_rows[sh].append(("section", row.section, next_row[sh]))
                next_row[sh] += 1
                last_section[sh] = row.section
            rr = next_row[sh]
            self.sheet_rows[sh].append(("row", row, rr))
            if row.scalar:
                w.names[row.name] = defined_name(row.name)
            w.cells[row.name] = (sh, rr)
            next_row[sh] += 1

    def _case_rows(self, name: str, r: int) -> int:
        """Rows below an input that some case changes: one value row per case; returns the next free row."""
        if self.cases is None or not self.cases.varying(name):
            return r
        n = len(self.cases.names)
        self.case_rows[name] = list(range(r, r + n))
        return r + n

    def address(self, name: str) -> tuple[str, str]:
        """(sheet, cell) of a scalar (input or named result)."""
        if name in self.input_cells:
            r, c = self.input_cells[name]
            return "Inputs", f"{get_column_letter(c)}{r}"
        sh, r = self.w.cells[name]
        return sh, f"C{r}"

    def sheet_of(self, model_sheet: str) -> str:
        return self.titles[model_sheet]

    @property
    def last_col(self) -> int:
        return FIRST_COL + self.model.periods - 1


def _grouped_by_section(rows) -> list:
    """The rows with each sheet's sections together (a section once per sheet, where it first appears); the
    order within a section, and of sections, stays the order of definition."""
    rows = list(rows)
    first: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows):
        first.setdefault((row.sheet, row.section), i)
    return sorted(rows, key=lambda row: first[(row.sheet, row.section)])


MAX_COLUMNS = 16_384
"""Columns of an Excel worksheet (A to XFD): a model with more periods cannot be a workbook."""


def check_columns(periods: int) -> None:
    """Refuse (InputError) a workbook whose period columns would pass Excel's last column."""
    need = FIRST_COL + int(periods) - 1
    if need > MAX_COLUMNS:
        raise InputError(
            [
                (
                    "--output",
                    f"expected a model that fits a worksheet ({MAX_COLUMNS:,} columns, "
                    f"{MAX_COLUMNS - FIRST_COL + 1:,} periods at most), found {int(periods):,} "
                    f"periods ({need:,} columns); write --json only, or use fewer periods",
                )
            ]
        )


def case_input_name(name: str, k: int) -> str:
    """The defined name of case ``k``'s value of an input that cases change (``in_capex_factor_case2``)."""
    return defined_name(f"{name}_case{k}")
