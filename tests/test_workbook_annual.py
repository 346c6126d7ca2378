"""The Annual sheet: each period row rolled up by model year; checked here without a spreadsheet (the LibreOffice
parity of every one of its formula cells is in test_parity.py and test_workbook_live.py).

Expected values are computed independently from the engine's period rows (a year = ``periods_per_year``
consecutive periods); the comparison is exact to 1e-9 relative (a sum of 2-12 float64 amounts).
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from finmodel import api
from finmodel.workbook import annual
from finmodel.workbook.layout import Layout

RTOL = 1e-9


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("annual") / "model.xlsx"
    out = api.run(None, None, workbook=path)
    return out.results[0], openpyxl.load_workbook(path)


def _lines(result):
    lay = Layout(result.model, result.live_cases)
    return lay, annual.plan(lay)


def test_every_period_row_of_the_calculation_sheets_is_rolled_up(book):
    result, wb = book
    lay, p = _lines(result)
    assert p.ppy == 2 and p.years == 28  # 3 + 25 years, semi-annual
    detail = {line.name for line in p.lines if line.source is not None}
    rows = {n for n, r in result.model.rows.items() if not r.scalar and r.sheet not in annual.SKIP_SHEETS}
    assert detail == rows
    ws = wb[annual.ANNUAL]
    assert ws["C2"].value == "=master_check" and ws.freeze_panes == "E6"
    titles = [ws.cell(r, 1).value for r, _ in p.sections]
    assert len(titles) == len(set(titles)), "a section heading twice"


@pytest.mark.parametrize(
    "name, basis",
    [
        ("cfads", "sum"),
        ("d1_closing", "year end"),
        ("d1_opening", "year start"),
        ("dscr", "minimum"),
        ("d1_period_rate", "minimum"),
        ("defaulted", "maximum"),
        ("lockup_flag", "maximum"),
    ],
)
def test_bases_follow_the_kind_of_row(book, name, basis):
    result, _ = book
    _, p = _lines(result)
    line = next(x for x in p.lines if x.name == name and x.source is not None)
    assert line.basis.name == basis


def test_yearly_values_from_the_period_rows(book):
    result, _ = book
    lay, p = _lines(result)
    cells = {(x.row, x.col): x for x in annual.cells(lay, result)}
    v = result.values
    by_name = {x.name: x for x in p.lines if x.source is not None}

    def shown(name, y):
        return cells[(by_name[name].row, annual.FIRST_COL + y)].value

    for y in range(p.years):
        periods = slice(2 * y, 2 * y + 2)
        assert shown("cfads", y) == pytest.approx(v["cfads"][0, periods].sum(), rel=RTOL, abs=1e-6)
        assert shown("d1_closing", y) == pytest.approx(v["d1_closing"][0, 2 * y + 1], rel=RTOL, abs=1e-6)
        assert shown("d1_opening", y) == pytest.approx(v["d1_opening"][0, 2 * y], rel=RTOL, abs=1e-6)
        d = v["dscr"][0, periods]
        assert shown("dscr", y) == ("" if np.isnan(d).all() else pytest.approx(np.nanmin(d), rel=RTOL))
    # the year totals add up to the model's totals
    total = cells[(by_name["cfads"].row, 3)].value
    assert total == pytest.approx(np.nansum(v["cfads"]), rel=RTOL)
    # annual DSCR = annual CFADS / annual senior debt service due, where there is debt service
    ratio = next(x for x in p.lines if x.ratio is not None)
    for y in range(p.years):
        due = v["senior_due"][0, 2 * y : 2 * y + 2].sum()
        got = cells[(ratio.row, annual.FIRST_COL + y)].value
        assert got == ("" if due <= 0 else pytest.approx(v["cfads"][0, 2 * y : 2 * y + 2].sum() / due, rel=RTOL))


def test_headlines_link_to_the_detail_and_charts_read_them(book):
    result, wb = book
    _, p = _lines(result)
    ws = wb[annual.ANNUAL]
    heads = [x for x in p.lines if x.link is not None]
    assert [x.name for x in heads][:4] == ["revenue", "opex", "ebitda", "cfads"]
    for x in heads:
        assert ws.cell(x.row, annual.FIRST_COL).value == f"=E{x.link}"
    assert len(ws._charts) == 2


def test_the_sheet_agrees_with_the_api_annual_frame(book):
    """The Annual sheet and ``finmodel.run(...).annual`` roll up with the same kinds: the same numbers."""
    import finmodel

    result, _ = book
    lay, p = _lines(result)
    cells = {(x.row, x.col): x.value for x in annual.cells(lay, result)}
    frame = finmodel.run().annual
    for line in p.lines:
        if line.source is None or frame[line.name].dtype.kind == "M":
            continue
        for y in range(p.years):
            want, got = frame[line.name].iloc[y], cells[(line.row, annual.FIRST_COL + y)]
            if np.isnan(want):
                assert got == "", (line.name, y)
            else:
                assert got == pytest.approx(want, rel=RTOL, abs=1e-6), (line.name, y)
