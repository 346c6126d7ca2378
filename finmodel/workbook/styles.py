"""Workbook styles: the named cell styles and number formats of every finmodel workbook.

The style source is the workbook template shipped in the package, ``finmodel/templates/workbook.xlsx``
(the top-level ``templates/`` folder documents it). The writer loads that template, so its named styles, its
Cover sheet (with the colour key) and its page setup are what an analyst sees; restyle the template (colours,
fonts) in Excel or LibreOffice and every workbook written afterwards follows, as long as the style names
below stay.

:func:`build_template` writes the shipped template from the definitions in this module
(``python -m finmodel.workbook.styles`` regenerates it); :func:`load_template` loads it and adds any named style the
template lacks from these definitions, so an edited template can never break the writer.

Colour code (FAST standard, as in most hand-built project-finance models):

==================  ===========================================================================
style               used for
==================  ===========================================================================
``fm_input``        an input: blue on light yellow; change it and the model recomputes
``fm_solved``       an input the engine solved (debt sizing, funding split): purple on light
                    green, proved consistent by a check row on the Checks sheet
``fm_calc``         a calculation: black
``fm_link``         a link to a cell on another sheet (or to a named input): green
``fm_check``        a check (1 = OK); green/red by conditional formatting
``fm_title``        sheet title
``fm_header``       column headings
``fm_section``      section headings inside a sheet
``fm_note``         notes and provenance text (grey)
==================  ===========================================================================
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

from finmodel.errors import FinmodelError

# Number formats [Excel format codes]: money with negatives in brackets and zero as a dash; rates and
# fractions as percentages; cover ratios as x-multiples; dates ISO.
FORMATS = {
    "money": '#,##0;(#,##0);"-"',
    "money2": '#,##0.00;(#,##0.00);"-"',
    "pct": "0.00%",
    "x": '0.00"x";-0.00"x";"-"',
    "date": "yyyy-mm-dd",
    "int": "0",
    "flag": '0;-0;"-"',
    "check": "0",
    "number": "#,##0.00",
    "factor": "0.000000",
    "text": "@",
}

INPUT, SOLVED, CALC, LINK, CHECK = "fm_input", "fm_solved", "fm_calc", "fm_link", "fm_check"
TITLE, HEADER, SECTION, NOTE = "fm_title", "fm_header", "fm_section", "fm_note"

# Conditional-format fills for checks (light green = OK, light red = failed) and their font colours.
OK_FILL, OK_FONT = "C6EFCE", "006100"
FAIL_FILL, FAIL_FONT = "FFC7CE", "9C0006"

_THIN = Side(style="thin", color="808080")
FONT_NAME, FONT_SIZE = "Calibri", 10


def _style(name, *, font, fill=None, border=None, alignment=None) -> NamedStyle:
    st = NamedStyle(name=name, font=font)
    if fill is not None:
        st.fill = PatternFill("solid", fgColor=fill)
    if border is not None:
        st.border = border
    if alignment is not None:
        st.alignment = alignment
    return st


def named_styles() -> list[NamedStyle]:
    """The named styles every finmodel workbook uses (fresh objects: a NamedStyle binds to one workbook)."""
    return [
        _style(
            INPUT,
            font=Font(name=FONT_NAME, size=FONT_SIZE, color="0000FF"),
            fill="FFF2CC",
            border=Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN),
        ),
        _style(
            SOLVED,
            font=Font(name=FONT_NAME, size=FONT_SIZE, color="7030A0", italic=True),
            fill="E2EFDA",
            border=Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN),
        ),
        _style(CALC, font=Font(name=FONT_NAME, size=FONT_SIZE, color="000000")),
        _style(LINK, font=Font(name=FONT_NAME, size=FONT_SIZE, color="008000")),
        _style(CHECK, font=Font(name=FONT_NAME, size=FONT_SIZE, bold=True, color="000000"), fill="F2F2F2"),
        _style(TITLE, font=Font(name=FONT_NAME, size=14, bold=True, color="1F3864")),
        _style(
            HEADER,
            font=Font(name=FONT_NAME, size=FONT_SIZE, bold=True, color="FFFFFF"),
            fill="1F3864",
            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        ),
        _style(SECTION, font=Font(name=FONT_NAME, size=FONT_SIZE, bold=True, color="1F3864"), fill="D9E1F2"),
        _style(NOTE, font=Font(name=FONT_NAME, size=9, italic=True, color="595959")),
    ]


STYLE_NAMES = [s.name for s in named_styles()]

KEY = [  # (style, sample text, meaning): the colour key on the template's Cover sheet
    (INPUT, "1,000", "Input: change it and the model recomputes"),
    (SOLVED, "1,000", "Solved input: written by the engine (debt sizing, funding split), proved by a check"),
    (CALC, "1,000", "Calculation: one formula per row, the same for every period"),
    (LINK, "1,000", "Link to another sheet or to a named input"),
    (CHECK, "1", "Check: 1 = OK (green), 0 = failed (red)"),
]
KEY_COL = 6  # column F: the key sits to the right of what the writer fills on the Cover sheet
KEY_ROW = 3


def template_path() -> Path:
    """Path of the workbook template shipped in the package."""
    return Path(str(resources.files("finmodel") / "templates" / "workbook.xlsx"))


def build_template(path: str | Path | None = None) -> Path:
    """Write the workbook template (named styles, Cover sheet with the colour key, page setup)."""
    from openpyxl import Workbook

    path = Path(path) if path is not None else template_path()
    wb = Workbook()
    ws = wb.active
    ws.title = "Cover"
    for st in named_styles():
        wb.add_named_style(st)
    ws.cell(KEY_ROW, KEY_COL, "Colour key").style = SECTION
    ws.cell(KEY_ROW, KEY_COL + 1).style = SECTION
    for k, (style, sample, meaning) in enumerate(KEY, start=1):
        c = ws.cell(KEY_ROW + k, KEY_COL, sample)
        c.style = style
        c.alignment = Alignment(horizontal="right")
        ws.cell(KEY_ROW + k, KEY_COL + 1, meaning).style = NOTE
    r = KEY_ROW + len(KEY) + 2
    ws.cell(r, KEY_COL, "Conventions").style = SECTION
    ws.cell(r, KEY_COL + 1).style = SECTION
    notes = [
        "Cash outflows are negative on cash-flow rows.",
        "Rates are decimals shown as % (0.05 = 5.00 %); annual rates on Inputs, period rates on the sheets.",
        "Money in the scenario's currency: #,##0 with negatives in brackets; cover ratios as 0.00x.",
        "Every period has the same column on every sheet; column C holds totals or named results.",
        "C2 of every sheet shows the master check (1 = all checks pass).",
    ]
    for k, text in enumerate(notes, start=1):
        ws.cell(r + k, KEY_COL + 1, text).style = NOTE
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 4
    ws.column_dimensions["C"].width = 44
    ws.column_dimensions["D"].width = 16
    ws.column_dimensions["E"].width = 3
    ws.column_dimensions["F"].width = 10
    ws.column_dimensions["G"].width = 80
    ws.sheet_view.showGridLines = False
    page_setup(ws)
    from finmodel.files import atomic_write

    return atomic_write(path, wb.save)


def load_template():
    """The template workbook, loaded for filling; any missing named style is added from the definitions."""
    from openpyxl import load_workbook

    path = template_path()
    if not path.is_file():
        raise FinmodelError(f"workbook template missing: expected {path} (reinstall finmodel)")
    wb = load_workbook(path)
    have = set(wb.named_styles)
    for st in named_styles():
        if st.name not in have:
            wb.add_named_style(st)
    if "Cover" not in wb.sheetnames:
        wb.create_sheet("Cover", 0)
    for ws in list(wb.worksheets):
        if ws.title != "Cover":
            wb.remove(ws)
    return wb


PERIODS_PER_PAGE = 12  # period columns per printed page of a time-based sheet


def page_setup(ws, *, print_titles: str | None = None, print_cols: str | None = None, periods: int = 0) -> None:
    """Landscape, A4, fit to width: one page wide, or for a sheet with ``periods`` period columns one page
    per :data:`PERIODS_PER_PAGE` periods (60 periods on one page would print unreadably small), repeating
    the heading rows and the label columns on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = max(1, -(-periods // PERIODS_PER_PAGE))
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if print_titles:
        ws.print_title_rows = print_titles
    if print_cols:
        ws.print_title_cols = print_cols


if __name__ == "__main__":  # python -m finmodel.workbook.styles: regenerate the shipped template
    print(build_template())
