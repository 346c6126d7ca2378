"""Workbooks of every scenario and of several cases: recalculation parity, the Cases sheet, user text.

Recalculation parity (LibreOffice, one recalculation per workbook, module-scoped): for every scenario in
``scenarios/`` with all its cases (the first live), and for the default scenario with a non-base case
live, every formula cell of every sheet equals the engine's value (finmodel.workbook.parity: relative 1e-9,
IRR 1e-7; the tolerances are justified there) and no cell shows an error value.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
import yaml

from conftest import project_scenarios
from finmodel import api
from finmodel.workbook import parity
from finmodel.workbook.cases import CASES_FIRST_ROW
from finmodel.workbook.cells import CHARTS
from finmodel.workbook.layout import CASES, COVER
from finmodel.workbook.recalc import read_values

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "finmodel" / "scenarios" / "default.yaml"
ERROR_VALUE = re.compile(r"^(#(REF!|VALUE!|DIV/0!|NAME\?|N/A|NUM!|NULL!)|Err:\d+)$")

WORKBOOKS = [(p, None) for p in project_scenarios()] + [(None, ["downside", "base"])]
IDS = [p.stem for p, _ in WORKBOOKS[:-1]] + ["default-downside-live"]


def _all_cases(path):
    from finmodel.inputs.validation import load_scenario

    return ["base"] + list(load_scenario(path).cases)


@pytest.fixture(scope="module", params=WORKBOOKS, ids=IDS)
def recalculated(request, recalc, tmp_path_factory):
    path, cases = request.param
    cases = cases or _all_cases(path)
    wb_path = tmp_path_factory.mktemp("cases-lo") / "model.xlsx"
    out = api.run(path, cases, workbook=wb_path)
    return out, wb_path, recalc(wb_path)


@pytest.mark.libreoffice
def test_parity_every_formula_cell_of_every_sheet(recalculated):
    out, path, rc = recalculated
    result = out.results[0]
    expected = parity.expected_cells(result)
    wb = openpyxl.load_workbook(path, read_only=True)
    formulas = {
        (ws.title, c.coordinate)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    }
    wb.close()
    assert not sorted(formulas - set(expected))[:10], "formula cells that parity does not check"
    mismatches = parity.compare(result, path, rc)
    assert not mismatches, f"{len(mismatches)} of {len(formulas)} cells differ:\n" + "\n".join(
        map(str, mismatches[:20])
    )


@pytest.mark.libreoffice
def test_no_error_value_anywhere(recalculated):
    _, _, rc = recalculated
    bad = [f"{s}!{c}: {v}" for (s, c), v in read_values(rc).items() if isinstance(v, str) and ERROR_VALUE.match(v)]
    assert not bad, "\n".join(bad[:20])


# --- the Cases sheet, without recalculation ---------------------------------------------------------------


@pytest.fixture(scope="module")
def three_cases(tmp_path_factory):
    path = tmp_path_factory.mktemp("cases") / "model.xlsx"
    out = api.run(None, ["base", "downside", "capex_overrun"], workbook=path)
    return out, openpyxl.load_workbook(path)


def test_cases_sheet_compares_every_case(three_cases):
    out, wb = three_cases
    ws = wb[CASES]
    base, down, over = out.results
    assert "Live case: base" in ws["A3"].value
    heads = [ws.cell(5, c).value for c in range(1, 9)]
    assert heads[2].startswith("Live model")
    assert heads[3:] == [
        "base (live case, as run)",
        "downside",
        "downside - base",
        "capex_overrun",
        "capex_overrun - base",
    ]
    assert ws["D7"].value == "debt sized in this case"
    assert ws["E7"].value == "debt as sized in the base case (as signed)"
    assert ws["E6"].value == out.scenario.cases["downside"].description
    assert ws["D8"].value == "OK"
    for i, name in enumerate(base.metric_names):
        r = CASES_FIRST_ROW + i
        assert ws.cell(r, 3).value == f"={name}"  # the live column recalculates
        b, d, o = base.metrics()[name], down.metrics()[name], over.metrics()[name]
        assert ws.cell(r, 4).value == pytest.approx(b)
        assert ws.cell(r, 5).value == pytest.approx(d)
        if b is not None and d is not None:
            assert ws.cell(r, 6).value == pytest.approx(d - b)
            assert ws.cell(r, 6).number_format == ws.cell(r, 4).number_format
        assert ws.cell(r, 7).value == pytest.approx(o)
    assert wb.sheetnames.index(CASES) < wb.sheetnames.index("Checks")


def test_one_case_has_no_cases_sheet(tmp_path):
    out = api.run(None, None, workbook=tmp_path / "one.xlsx")
    wb = openpyxl.load_workbook(out.written[0], read_only=True)
    assert CASES not in wb.sheetnames
    assert wb.sheetnames[0] == COVER and CHARTS in wb.sheetnames


def _scenario_file(tmp_path, edit) -> Path:
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_resized_case_says_so(tmp_path):
    path = _scenario_file(tmp_path, lambda d: d["cases"]["capex_overrun"].update(resize_debt=True))
    out = api.run(path, ["base", "capex_overrun"], workbook=tmp_path / "m.xlsx")
    assert out.results[1].resized
    ws = openpyxl.load_workbook(out.written[0])[CASES]
    assert ws["E7"].value == "debt re-sized for this case"


def test_formula_like_scenario_name_is_text(tmp_path):
    name = '=HYPERLINK("http://x","y")'
    path = _scenario_file(tmp_path, lambda d: d["project"].update(name=name))
    out = api.run(path, ["base", "downside"], workbook=tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(out.written[0])
    cover = wb[COVER]
    assert cover["A1"].value == name and cover["A1"].data_type == "s"
    project = next(r for r in range(1, 20) if cover.cell(r, 1).value == "Project")
    assert cover.cell(project, 3).value == name and cover.cell(project, 3).data_type == "s"
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert not (c.data_type == "f" and "HYPERLINK" in c.value), f"{ws.title}!{c.coordinate}"


def test_user_text_never_becomes_a_formula(tmp_path):
    """Sponsor and facility names flow into labels: written as text even when they look like formulas."""

    def edit(d):
        d["sponsors"][0]["name"] = "=1+1"
        d["cases"]["downside"]["description"] = "=SUM(A1:A2)"

    out = api.run(_scenario_file(tmp_path, edit), ["base", "downside"], workbook=tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(out.written[0])
    texts = [
        c
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith(("=1+1", "=SUM(A1:A2)"))
    ]
    assert texts and all(c.data_type == "s" for c in texts)


def test_a_long_case_description_is_shown_whole_and_headings_repeat_in_print(tmp_path):
    """A description is wrapped in a row tall enough for all of it (it was cut off at 3 lines), and the Cases
    sheet's headings repeat on every printed page (a second page had no column headings)."""
    long = "The government pays only 42 % of the availability payment " * 5  # 295 characters

    def edit(data):
        data["cases"]["downside"]["description"] = long.strip()

    out = api.run(_scenario_file(tmp_path, edit), ["base", "downside"], workbook=tmp_path / "long.xlsx")
    ws = openpyxl.load_workbook(out.written[0])[CASES]
    assert ws["E6"].value == long.strip() and ws["E6"].alignment.wrap_text
    # LibreOffice prints "The government pays only" (24 characters) on one line of a 22-unit column: the
    # description needs at least 12 lines (295 / 25 > 11) of 12.75 points (Excel's row of 10-point text)
    assert ws.row_dimensions[6].height >= 12 * 12.75
    assert ws.row_dimensions[7].height == 28  # the financing text fits the usual two lines
    assert ws.print_title_rows == "$5:$5"
    short = openpyxl.load_workbook(api.run(None, ["base", "downside"], workbook=tmp_path / "s.xlsx").written[0])
    assert short[CASES].row_dimensions[6].height == 42  # a short description keeps the usual three lines
