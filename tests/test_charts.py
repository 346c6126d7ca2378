"""Charts: the native Excel charts read the live model rows; the PNGs are drawn from the engine's values."""

from __future__ import annotations

import re
import struct
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl.utils.cell import range_boundaries

from finmodel import api
from finmodel.workbook import chart_specs, pngs
from finmodel.workbook.cells import FIRST_COL
from finmodel.workbook.layout import Layout

KEYS = ["cfads_debt_service", "dscr", "debt_balances", "sources_uses", "equity_cash_flows"]


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    path = tmp_path_factory.mktemp("charts") / "model.xlsx"
    return api.run(None, None, workbook=path)


def test_the_five_charts_of_the_default_scenario(run_out):
    specs = chart_specs.chart_specs(run_out.results[0].model)
    assert [s.key for s in specs] == KEYS
    dscr = specs[1]
    assert [s.name for s in dscr.series] == ["dscr", "in_lockup_dscr", "in_target_dscr"]
    assert [s.name for s in specs[2].series] == ["d1_closing", "d2_closing", "d3_closing"]
    su = specs[3]
    values = run_out.results[0].values
    uses = sum(values[s.name][0].sum() for s in su.series if s.side == "uses")
    sources = sum(values[s.name][0].sum() for s in su.series if s.side == "sources")
    assert uses == pytest.approx(sources, rel=1e-9)  # the chart shows sources = uses
    assert uses == pytest.approx(values["uses"][0].sum(), rel=1e-9)


def _chart_refs(path):
    """Every series/category reference of every chart in the file, by chart."""
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        return [re.findall(r"<(?:c:)?f>([^<]+)</(?:c:)?f>", z.read(n).decode()) for n in names]


def _split(ref):
    sheet, _, addr = ref.rpartition("!")
    return sheet.strip("'"), range_boundaries(addr.replace("$", ""))


def test_excel_charts_read_the_live_rows(run_out):
    result = run_out.results[0]
    lay = Layout(result.model)
    every = _chart_refs(run_out.written[0])
    # the Annual sheet's two charts by year are tested in tests/test_workbook_annual.py
    refs = [c for c in every if not any(r.lstrip("'").startswith("Annual") for r in c)]
    assert len(every) - len(refs) == 2
    assert len(refs) == len(KEYS)
    row_at = {cell: name for name, cell in lay.w.cells.items()}
    by_chart = []
    for chart in refs:
        names = set()
        for ref in chart:
            sheet, (c0, r0, c1, r1) = _split(ref)
            if c0 >= FIRST_COL:  # a period range: one row, period columns
                assert r0 == r1 and c1 <= lay.last_col, ref
                names.add(row_at.get((sheet, r0), f"{sheet}!{r0}"))
            else:
                names.add(f"{sheet}!{ref.rpartition('!')[2]}")
        by_chart.append(names)
    assert {"cfads", "senior_due", "period_end"} <= by_chart[0]
    assert {"dscr", "period_end"} <= by_chart[1]
    assert any(n.startswith("Charts!") for n in by_chart[1])  # covenant and target lines on the Charts sheet
    assert {"d1_closing", "d2_closing", "d3_closing"} <= by_chart[2]
    assert {"equity_cf", "period_end"} <= by_chart[4]


def test_dscr_chart_spans_the_debt_life(run_out):
    result = run_out.results[0]
    spec = chart_specs.chart_specs(result.model)[1]
    t0, t1 = chart_specs.span(spec, result.values, result.model.periods)
    due = result.values["senior_due"][0]
    assert due[t0] > 0 and due[t1] > 0
    assert (due[:t0] <= 0).all() and (due[t1 + 1 :] <= 0).all()
    top = chart_specs.y_limit(spec, result, t0, t1)
    assert top >= result.metrics()["min_dscr"] and top % 0.5 == 0


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_pngs_are_written(run_out, tmp_path):
    written = pngs.write_charts(run_out.results, tmp_path / "png")
    assert [p.stem for p in written] == KEYS
    for p in written:
        w, h = _png_size(p)
        assert (w, h) == (1200, 675)
        assert p.stat().st_size > 20_000  # a drawn chart, not an empty canvas


def test_cli_run_charts_option(tmp_path, monkeypatch):
    from cli import main

    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["run", "--quiet", "-o", "model.xlsx", "--charts", "png"])
    assert res.exit_code == 0, res.output
    assert sorted(p.stem for p in (tmp_path / "png").iterdir()) == sorted(KEYS)
    assert (tmp_path / "model.xlsx").is_file()
    assert "wrote png/dscr.png" in res.output.replace("\\", "/")


def test_cli_charts_into_a_file_is_bad_input(tmp_path, monkeypatch):
    from cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("x")
    res = CliRunner().invoke(main, ["run", "--quiet", "--charts", "taken"])
    assert res.exit_code == 2
