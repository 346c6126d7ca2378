"""The live case selector: with ``live_case`` set to each case, the recalculated workbook equals that case.

One workbook of the default scenario (every case in its selector); for each case, the selector cell is set with
openpyxl, LibreOffice recalculates, and every formula cell is compared with the engine's run of that case
(finmodel.workbook.parity: relative 1e-9, IRR 1e-7; the tolerances are justified there). The cases differ in their
drivers
and in their financing (the base case's, kept by the others), so a wrong selector or a pasted value shows.
"""

from __future__ import annotations

import openpyxl
import pytest

from finmodel import api
from finmodel.inputs.validation import load_scenario
from finmodel.workbook import parity

CASES = load_scenario(None).case_names()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    path = tmp_path_factory.mktemp("live") / "model.xlsx"
    out = api.run(None, CASES, workbook=path)
    return out, path


def test_every_case_is_in_the_selector(written):
    out, path = written
    selector = out.results[0].live_cases
    assert selector.names == CASES and not selector.not_live
    wb = openpyxl.load_workbook(path)
    ((sheet, coord),) = wb.defined_names["live_case"].destinations
    assert (sheet, wb[sheet][coord.replace("$", "")].value) == ("Inputs", 1)
    # the inputs the cases change have one value per case and a CHOOSE of them; nothing else varies
    assert {"in_revenue_factor", "in_capex_factor", "in_financing_solved"} <= set(selector.values)
    assert "in_capex_amount" not in selector.values
    ((_, live_cell),) = wb.defined_names["in_capex_factor"].destinations
    formula = wb["Inputs"][live_cell.replace("$", "")].value
    assert formula.startswith("=CHOOSE(live_case,") and formula.count(",") == len(CASES)
    for k, case in enumerate(CASES, start=1):
        ((_, cell),) = wb.defined_names[f"in_capex_factor_case{k}"].destinations
        expected = out.results[k - 1].values["in_capex_factor"][0, 0]
        assert wb["Inputs"][cell.replace("$", "")].value == pytest.approx(expected), case
    text = "\n".join(
        str(c.value)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    )
    assert "OFFSET(" not in text and "INDIRECT(" not in text


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", CASES)
def test_parity_with_each_case_live(written, recalc, case):
    out, path = written
    result = next(r for r in out.results if r.case == case)
    k = CASES.index(case) + 1
    wb = openpyxl.load_workbook(path)
    ((_, coord),) = wb.defined_names["live_case"].destinations
    wb["Inputs"][coord.replace("$", "")].value = k
    switched = path.with_name(f"live {k}.xlsx")
    wb.save(switched)
    recalculated = recalc(switched)
    assert recalculated.exists()
    expected = parity.expected_cells(result)
    formulas = {
        (ws.title, c.coordinate)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    }
    assert not sorted(formulas - set(expected))[:10], "formula cells that parity does not check"
    mismatches = parity.compare(result, switched, recalculated)
    assert not mismatches, f"{len(mismatches)} cells differ:\n" + "\n".join(map(str, mismatches[:20]))
    # the case really changed the model (not the base case's values shown again)
    if case != "base":
        base = out.results[0]
        assert result.metrics()["equity_irr"] != pytest.approx(base.metrics()["equity_irr"], rel=1e-6)


@pytest.mark.libreoffice
def test_a_resized_case_brings_its_own_solved_financing(tmp_path, recalc):
    """capex_overrun with resize_debt: true: its solved commitments and profile are per-case input rows, and
    with it live the workbook equals the engine's resized run (the sizing checks apply and pass)."""
    import yaml

    from finmodel.schema import default_scenario_bytes

    raw = yaml.safe_load(default_scenario_bytes())
    raw["cases"]["capex_overrun"]["resize_debt"] = True
    scenario = tmp_path / "resized.yaml"
    scenario.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    path = tmp_path / "model.xlsx"
    out = api.run(scenario, CASES, workbook=path)
    result = next(r for r in out.results if r.case == "capex_overrun")
    assert result.resized
    selector = result.live_cases
    assert {"in_d3_amount", "in_d3_profile", "in_debt_fraction"} <= set(selector.values)
    k = selector.names.index("capex_overrun") + 1
    assert selector.values["in_financing_solved"][k - 1][0] == 1
    wb = openpyxl.load_workbook(path)
    ((_, coord),) = wb.defined_names["live_case"].destinations
    wb["Inputs"][coord.replace("$", "")].value = k
    switched = tmp_path / "resized live.xlsx"
    wb.save(switched)
    mismatches = parity.compare(result, switched, recalc(switched))
    assert not mismatches, "\n".join(map(str, mismatches[:20]))
    assert result.checks()["check_debt_sizing"] and result.checks()["master_check"]
