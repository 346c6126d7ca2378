"""Recalculation parity of the fund workbook: the shipped portfolio's workbook (``finmodel compare``: pis
live, gif on the Cases sheet) recalculated by headless LibreOffice equals the engine in every formula cell
(Timing, Portfolio, Fund, Outputs, Checks), and stays live when fund inputs are changed on the Inputs sheet.

Tolerances: those of :func:`finmodel.workbook.parity.compare` (relative 1e-9; IRR cells 1e-7, LibreOffice's IRR
stopping step), justified there.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from finmodel.funds import compare_portfolio
from finmodel.funds.workbook import parity_compare
from finmodel.workbook.parity import expected_cells
from finmodel.workbook.recalc import read_values

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "scenarios" / "pis_smart_city_subfund.yaml"

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module", params=["base", "severe"])
def fund_book(request, tmp_path_factory, recalc):
    d = tmp_path_factory.mktemp("fund")
    path = d / f"fund_{request.param}.xlsx"
    out = compare_portfolio(SHIPPED, request.param, workbook=path)
    return out.results[0], path, recalc(path), recalc


def test_fund_workbook_recalculation_parity(fund_book):
    result, path, recalculated, _ = fund_book
    assert recalculated.exists()
    expected = expected_cells(result)
    assert sum(1 for sheet, _ in expected if sheet == "Fund") > 1000  # the waterfall rows are compared
    assert parity_compare(result, path, recalculated) == []
    values = read_values(recalculated)
    wb = openpyxl.load_workbook(path)
    for name, v in result.metrics().items():
        sheet, ref = wb.defined_names[name].attr_text.split("!")
        found = values[(sheet.strip("'"), ref.replace("$", ""))]
        if v is None:
            assert found in ("", None), name
            continue
        tol = 1e-7 if name.endswith("_irr") else 1e-9  # IRR: LibreOffice stops at a 1e-7 step
        assert found == pytest.approx(v, rel=tol, abs=1e-6), name


def test_fund_workbook_is_live(fund_book, tmp_path):
    """Change the private preferred return and a project's stake on the Inputs sheet, recalculate: every
    formula cell equals the engine re-evaluated with the new inputs."""
    result, path, _, recalc = fund_book
    changes = {"in_fund_private_pref_rate": 0.08, "in_p2_stake": 0.35, "in_fund_government_commitment": 40.0e9}
    wb = openpyxl.load_workbook(path)
    for name, value in changes.items():
        sheet, ref = wb.defined_names[name].attr_text.split("!")
        wb[sheet.strip("'")][ref.replace("$", "")] = value
    changed = tmp_path / "changed.xlsx"
    wb.save(changed)
    recalculated = recalc(changed)
    values = result.model.evaluate({k: np.array([[v]]) for k, v in changes.items()})
    assert values["fund_private_distributions"][0, 0] != result.values["fund_private_distributions"][0, 0]
    live = dataclasses.replace(result, values=values)
    assert parity_compare(live, changed, recalculated) == []
