"""Recalculation parity of the Blending sheet: the workbook of ``finmodel.api.run`` recalculated by headless
LibreOffice equals the engine in every formula cell (Blending, Outputs and Checks included), and stays
live when the grant-element discount rate is changed on the Inputs sheet.

Tolerances: those of :func:`finmodel.workbook.parity.compare` (relative 1e-9; IRR cells 1e-7, LibreOffice's IRR
stopping step), justified there.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from finmodel import api
from finmodel.workbook import parity
from finmodel.workbook.recalc import read_values

ROOT = Path(__file__).resolve().parent.parent
BOLIVIA = ROOT / "scenarios" / "bolivia_santa_cruz.yaml"

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def bolivia(tmp_path_factory, recalc):
    d = tmp_path_factory.mktemp("blending")
    out = api.run(str(BOLIVIA), workbook=d / "bolivia.xlsx")
    return out.results[0], d / "bolivia.xlsx", recalc(d / "bolivia.xlsx"), recalc


def test_blending_sheet_recalculation_parity(bolivia):
    result, path, recalculated, _ = bolivia
    assert recalculated.exists()
    expected = parity.expected_cells(result)
    assert sum(1 for sheet, _ in expected if sheet == "Blending") > 1000  # the sheet's rows are compared
    assert parity.compare(result, path, recalculated) == []
    values = read_values(recalculated)
    wb = openpyxl.load_workbook(path)
    for name in (
        "package_grant_element",
        "d1_grant_element",
        "wacd",
        "concessional_share",
        "mobilisation_ratio",
        "all_in_cost_of_debt",
        "subsidy_equivalent",
    ):
        sheet, ref = wb.defined_names[name].attr_text.split("!")
        found = values[(sheet, ref.replace("$", ""))]
        tol = 1e-7 if name == "all_in_cost_of_debt" else 1e-9  # IRR: LibreOffice stops at a 1e-7 step
        assert found == pytest.approx(result.metrics()[name], rel=tol, abs=tol), name


def test_blending_sheet_is_live(bolivia, tmp_path):
    """Change in_ge_discount_rate on the Inputs sheet, recalculate: every formula cell equals the engine
    re-evaluated at the new rate (financing as solved)."""
    result, path, _, recalc = bolivia
    new_rate = 0.10
    wb = openpyxl.load_workbook(path)
    sheet, ref = wb.defined_names["in_ge_discount_rate"].attr_text.split("!")
    wb[sheet][ref.replace("$", "")] = new_rate
    changed = tmp_path / "changed.xlsx"
    wb.save(changed)
    recalculated = recalc(changed)
    values = result.model.evaluate({**result.solved, "in_ge_discount_rate": np.array([[new_rate]])})
    assert values["package_grant_element"][0, 0] > result.values["package_grant_element"][0, 0]
    live = dataclasses.replace(result, values=values)
    assert parity.compare(live, changed, recalculated) == []
