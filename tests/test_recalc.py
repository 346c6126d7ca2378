"""finmodel.workbook.recalc: headless LibreOffice recalculation, checked against finmodel.finance and numpy.

Tolerances (README, "Verification"):
* IRR cells: absolute 1e-7 in the general workbook comparison (LibreOffice stops its Newton iteration at a
  step of 1e-7); the dedicated IRR test asserts the tighter 1e-10 that finance.irr promises for conventional
  flows, since the step after a 1e-7 step is ~1e-14 by quadratic convergence.
* every other number: relative 1e-9. Both sides compute in IEEE doubles in a different order, so they differ
  by rounding (~1e-15 relative); 1e-9 leaves room and still catches any wrong formula.
"""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from finmodel.errors import FinmodelError
from finmodel.finance import annualise, irr, npv, npv0
from finmodel.workbook import recalc as recalc_module
from finmodel.workbook.recalc import compare_workbooks, read_values, recalculate, to_pdf

IRR_ATOL = 1e-7
RTOL = 1e-9

CASH_FLOWS = [-1000.0, -500.0, 180.0, 260.0, 340.0, 420.0, 480.0, 520.0]  # [USD], outflows negative
DISCOUNT_RATE = 0.08  # [fraction per period]
PERIODS_PER_YEAR = 2


def _add_name(wb, name, ref):
    wb.defined_names[name] = DefinedName(name, attr_text=ref)


def _build_workbook(path: Path) -> dict:
    """Write a small workbook with the formulas the model workbook relies on; return the expected values."""
    wb = openpyxl.Workbook()
    inputs = wb.active
    inputs.title = "Inputs"
    inputs["A2"], inputs["B2"] = "discount rate [fraction per period]", DISCOUNT_RATE
    inputs["A3"], inputs["B3"] = "periods per year", PERIODS_PER_YEAR
    inputs["A5"] = "cash flow [USD]"
    for col, value in enumerate(CASH_FLOWS, start=2):
        inputs.cell(row=5, column=col, value=value)
    _add_name(wb, "discount_rate", "Inputs!$B$2")
    _add_name(wb, "periods_per_year", "Inputs!$B$3")

    calc = wb.create_sheet("Calc")
    calc["A1"], calc["B1"] = "total cash flow", "=SUM(Inputs!B5:I5)"
    calc["A2"], calc["B2"] = "project IRR [per period]", "=IRR(Inputs!B5:I5)"
    calc["A3"], calc["B3"] = "project IRR [per year]", "=(1+B2)^periods_per_year-1"
    calc["A4"], calc["B4"] = "project NPV [USD]", "=NPV(discount_rate,Inputs!C5:I5)+Inputs!B5"
    calc["A5"], calc["B5"] = "NPV, Excel convention", "=NPV(discount_rate,Inputs!B5:I5)"
    calc["A6"], calc["B6"] = "flag", '=IF(B4<0,"negative","")'
    calc["A7"], calc["B7"] = "flag", '=IF(B4>0,"positive","")'
    calc["A8"], calc["B8"] = "twice the NPV (via a name)", "=project_npv*2"
    _add_name(wb, "project_npv", "Calc!$B$4")
    _add_name(wb, "project_irr", "Calc!$B$2")
    wb.save(path)

    flows = np.array([CASH_FLOWS])
    rate = irr(flows)[0]
    project_npv = npv0(DISCOUNT_RATE, flows)[0]
    return {
        ("Calc", "B1"): float(np.sum(CASH_FLOWS)),
        ("Calc", "B2"): rate,
        ("Calc", "B3"): annualise(rate, PERIODS_PER_YEAR),
        ("Calc", "B4"): project_npv,
        ("Calc", "B5"): npv(DISCOUNT_RATE, flows)[0],
        ("Calc", "B6"): "negative" if project_npv < 0 else "",
        ("Calc", "B7"): "positive" if project_npv > 0 else "",
        ("Calc", "B8"): 2 * project_npv,
    }


@pytest.fixture(scope="module")
def small_book(recalc, tmp_path_factory):
    """(formulas workbook, recalculated workbook, expected values), recalculated once for the module."""
    folder = tmp_path_factory.mktemp("recalc")
    src = folder / "small.xlsx"
    expected = _build_workbook(src)
    return src, recalc(src, folder / "small-recalculated.xlsx"), expected


@pytest.mark.libreoffice
def test_recalculated_values_match_numpy(small_book):
    src, out, expected = small_book
    assert out.is_file() and src.is_file()
    values = read_values(out)
    assert values[("Inputs", "B2")] == DISCOUNT_RATE
    for key in [("Calc", "B1"), ("Calc", "B3"), ("Calc", "B4"), ("Calc", "B5"), ("Calc", "B8")]:
        assert values[key] == pytest.approx(expected[key], rel=RTOL), key
    assert values[("Calc", "B2")] == pytest.approx(expected[("Calc", "B2")], abs=IRR_ATOL)
    # an IF with a text result, and one with an empty-text result (read back as "", not None)
    assert expected[("Calc", "B7")] == "positive"
    assert values[("Calc", "B7")] == "positive"
    assert values[("Calc", "B6")] == ""


@pytest.mark.libreoffice
def test_defined_names_survive_recalculation(small_book):
    _, out, expected = small_book
    wb = openpyxl.load_workbook(out, data_only=True)
    names = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    assert names["project_irr"] == "Calc!$B$2"
    sheet, cell = names["project_npv"].split("!")
    assert wb[sheet][cell.replace("$", "")].value == pytest.approx(expected[("Calc", "B4")], rel=RTOL)


@pytest.mark.libreoffice
def test_compare_workbooks(small_book):
    src, out, expected = small_book
    tolerant = dict(expected)
    tolerant.pop(("Calc", "B2"))  # IRR compared separately at its own tolerance
    assert compare_workbooks(src, out, tolerant, rtol=RTOL) == []
    assert (
        compare_workbooks(src, out, lambda sheet, cell: expected.get((sheet, cell), ...), rtol=RTOL, atol=IRR_ATOL)
        == []
    )
    wrong = dict(tolerant)
    wrong[("Calc", "B1")] += 1.0
    mismatches = compare_workbooks(src, out, wrong, rtol=RTOL)
    assert [(m.sheet, m.cell) for m in mismatches] == [("Calc", "B1")]
    assert "SUM(" in str(mismatches[0])


@pytest.mark.libreoffice
def test_libreoffice_irr_equals_finance_irr_to_1e_10(recalc, tmp_path):
    # conventional flows of different shapes: one row each, IRR in column A
    rng = np.random.default_rng(11)
    rows = [
        [-100, 39, 59, 55, 20],
        [-1000, 50, 50, 50, 50, 1050],
        [-100, 0, 0, 74],
        [0, -500, -300, 120, 150, 180, 210, 240, 270, 300],
        [-1, 0.2, 0.2, 0.2, 0.2, 0.25],
    ]
    for _ in range(10):
        build = int(rng.integers(1, 5))
        rows.append(list(-rng.uniform(50, 150, build)) + list(rng.uniform(5, 40, int(rng.integers(6, 60)))))
    wb = openpyxl.Workbook()
    ws = wb.active
    width = max(len(r) for r in rows)
    for i, flows in enumerate(rows, start=1):
        for j, value in enumerate(flows, start=2):
            ws.cell(row=i, column=j, value=float(value))
        last = openpyxl.utils.get_column_letter(1 + len(flows))
        ws.cell(row=i, column=1, value=f"=IRR(B{i}:{last}{i})")
    src = tmp_path / "irr.xlsx"
    wb.save(src)
    values = read_values(recalc(src))
    found = np.array([values[(ws.title, f"A{i}")] for i in range(1, len(rows) + 1)])
    padded = np.zeros((len(rows), width))
    for i, flows in enumerate(rows):
        padded[i, : len(flows)] = flows  # trailing zeros do not change the IRR
    np.testing.assert_allclose(found, irr(padded), rtol=0, atol=1e-10)


@pytest.mark.libreoffice
def test_stale_cached_values_are_recalculated(recalc, tmp_path):
    """A wrong cached value must be replaced: proves the profile's OOXMLRecalcMode = 0 took effect."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = 21.0, "=A1*2"
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(stale, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                # openpyxl writes the empty value as <v /> (its own writer) or <v></v> (with lxml installed)
                patched = re.sub(rb"<f>A1\*2</f><v\s*(?:/>|></v>)", b"<f>A1*2</f><v>999</v>", data)
                assert patched != data, "openpyxl's cell XML changed: update this test's patch"
                data = patched
            zout.writestr(item, data)
    assert read_values(stale)[("Sheet", "B1")] == 999
    assert read_values(recalc(stale))[("Sheet", "B1")] == 42.0


@pytest.mark.libreoffice
def test_liveness_after_input_change(recalc, small_book, tmp_path):
    src, _, expected = small_book
    wb = openpyxl.load_workbook(src)
    wb["Inputs"]["B2"] = 0.12
    changed = tmp_path / "changed.xlsx"
    wb.save(changed)
    values = read_values(recalc(changed))
    assert values[("Calc", "B4")] == pytest.approx(npv0(0.12, CASH_FLOWS), rel=RTOL)
    assert values[("Calc", "B4")] != pytest.approx(expected[("Calc", "B4")], rel=1e-3)


@pytest.mark.libreoffice
def test_default_destination_and_pdf(small_book, tmp_path):
    src, _, _ = small_book
    copy = tmp_path / "model.xlsx"
    copy.write_bytes(src.read_bytes())
    out = recalculate(copy)
    assert out == tmp_path / "model.recalc.xlsx" and out.is_file()
    pdf = to_pdf(out, tmp_path / "pdf")
    assert pdf == tmp_path / "pdf" / "model.recalc.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_missing_input_file_raises(tmp_path):
    with pytest.raises(FinmodelError, match="expected an existing workbook"):
        recalculate(tmp_path / "nope.xlsx")
    with pytest.raises(FinmodelError, match="expected an existing workbook"):
        to_pdf(tmp_path / "nope.xlsx", tmp_path)


def test_exit_code_zero_without_output_is_an_error(tmp_path, monkeypatch):
    """soffice can exit 0 having converted nothing: the missing output file is what counts."""
    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(recalc_module, "soffice_path", lambda: str(fake))
    book = tmp_path / "book.xlsx"
    openpyxl.Workbook().save(book)
    with pytest.raises(FinmodelError, match="could not be loaded") as info:
        recalculate(book, tmp_path / "out.xlsx")
    assert "exit code 0" in str(info.value)
    assert not (tmp_path / "out.xlsx").exists()


def test_missing_soffice(tmp_path, monkeypatch):
    monkeypatch.setattr(recalc_module.shutil, "which", lambda name: None)
    assert not recalc_module.soffice_available()
    book = tmp_path / "book.xlsx"
    openpyxl.Workbook().save(book)
    with pytest.raises(FinmodelError, match="LibreOffice not found"):
        recalculate(book)


def test_ci_rule_fails_instead_of_skipping(monkeypatch):
    import conftest

    monkeypatch.setattr(recalc_module.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        conftest.require_soffice()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="LibreOffice not found"):
        conftest.require_soffice()
