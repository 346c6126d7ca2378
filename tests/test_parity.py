"""Recalculation parity: the default workbook, recalculated by headless LibreOffice, equals the engine.

Two recalculations in all (about 3 s each), shared by module-scoped fixtures: the workbook as written, and the
same workbook with two inputs changed on its Inputs sheet (liveness).

Tolerances are those of :func:`finmodel.workbook.parity.compare` (README, "Verification"): relative
1e-9 for every number (LibreOffice and numpy compute the same formulas in IEEE doubles in a different order,
~1e-15 apart; 1e-9 catches any wrong formula), absolute 1e-6 [USD] for values that should be zero and carry
rounding residue of amounts around 1e8, and 1e-7 for IRR cells (LibreOffice stops its IRR iteration at a
step of 1e-7).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import openpyxl
import pytest

from finmodel import api
from finmodel.workbook import parity

pytestmark = pytest.mark.libreoffice

# the liveness inputs and their new values: the availability payment (revenue line 1) and the tax rate
REVENUE_INPUT = "in_rev1_amount"
TAX_INPUT = "in_tax_rate"


@pytest.fixture(scope="module")
def written(tmp_path_factory, recalc):
    """The default workbook as written by ``api.run`` and its LibreOffice recalculation."""
    d = tmp_path_factory.mktemp("parity")
    path = d / "default.xlsx"
    out = api.run(None, None, workbook=path)
    assert path.exists() and path.stat().st_size > 0  # exit 0 is not proof: the file must exist
    return out.results[0], path, recalc(path)


def input_cell(wb, name):
    """(worksheet, coordinate) of the cell a workbook-level defined name points at."""
    ((sheet, coord),) = list(wb.defined_names[name].destinations)
    return wb[sheet], coord.replace("$", "")


@pytest.fixture(scope="module")
def changed(written, recalc):
    """The same workbook with the availability payment and the tax rate changed on the Inputs sheet (with
    openpyxl), recalculated; and the engine re-evaluated with those inputs and the solved financing fixed."""
    result, path, _ = written
    model = result.model
    new = {
        REVENUE_INPUT: float(model.inputs[REVENUE_INPUT].value[0, 0]) * 0.8,  # -20 %
        TAX_INPUT: 0.30,  # from 0.24
    }
    wb = openpyxl.load_workbook(path)
    for name, value in new.items():
        ws, coord = input_cell(wb, name)
        assert ws.title == "Inputs"
        assert ws[coord].value == pytest.approx(float(model.inputs[name].value[0, 0]))
        ws[coord].value = value
    changed_path = path.with_name("changed.xlsx")
    wb.save(changed_path)
    values = model.evaluate({**result.solved, **{k: np.array([[v]]) for k, v in new.items()}})
    engine_result = dataclasses.replace(result, values=values)
    return engine_result, changed_path, recalc(changed_path)


def _report(mismatches, n=15):
    more = f"\n... {len(mismatches)} in all" if len(mismatches) > n else ""
    return "\n".join(str(m) for m in mismatches[:n]) + more


def test_recalculated_workbook_equals_engine(written):
    result, path, recalculated = written
    mismatches = parity.compare(result, path, recalculated)
    assert mismatches == [], _report(mismatches)


def test_every_formula_cell_is_compared(written):
    # parity.compare skips formula cells it has no expected value for: make sure that is none of them
    result, path, _ = written
    expected = parity.expected_cells(result)
    wb = openpyxl.load_workbook(path)
    formulas = [
        (ws.title, c.coordinate)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    ]
    assert len(formulas) > 1000
    missing = [f for f in formulas if f not in expected]
    assert missing == [], missing[:20]


def test_metrics_are_defined_names(written):
    result, path, recalculated = written
    wb = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(recalculated, data_only=True)
    metrics = result.metrics()
    assert {"project_irr", "equity_irr", "min_dscr", "avg_dscr", "min_llcr", "gearing"} <= set(metrics)
    for name, value in metrics.items():
        assert name in wb.defined_names, name
        ws, coord = input_cell(wb, name)
        assert isinstance(ws[coord].value, str) and ws[coord].value.startswith("="), (name, ws[coord].value)
        # after recalculation the named cell shows the JSON value (IRRs to LibreOffice's 1e-7)
        got = values[ws.title][coord].value
        tol = 1e-7 if name.endswith("irr") or "_irr_" in name else 1e-9
        if value is None:
            assert got in (None, ""), (name, got)
        else:
            assert got == pytest.approx(value, rel=tol, abs=1e-6 if "irr" not in name else 1e-7), name
    assert "master_check" in wb.defined_names
    ws, coord = input_cell(wb, "master_check")
    assert values[ws.title][coord].value == 1


def test_liveness_inputs_change_the_workbook(changed, written):
    result, path, recalculated = changed
    base = written[0]
    # the changes matter: the engine's equity IRR and the tax paid move
    assert abs(result.metrics()["equity_irr"] - base.metrics()["equity_irr"]) > 1e-3
    assert result.values["tax"].sum() != pytest.approx(base.values["tax"].sum(), rel=1e-3)
    mismatches = parity.compare(result, path, recalculated)
    assert mismatches == [], _report(mismatches)
