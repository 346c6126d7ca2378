"""FAST rules on generated workbooks, for the embedded default scenario and every scenario in ``scenarios/``.

Static rules (no spreadsheet application needed): one formula per row across the periods (the first
period's formula shifted with openpyxl's Translator equals every other period's), no numeric literals in
formulas except structural ones, no OFFSET/INDIRECT, no circular reference (the cell dependency graph,
through defined names and ranges, is acyclic), every defined name resolving, styles and data validation on
inputs, the master check visible on every sheet.

After a LibreOffice recalculation of the default workbook (one recalculation, module-scoped): no error
value anywhere, every defined name showing a number, and recalculation parity for every formula cell.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import graphlib
import re
from configparser import ConfigParser
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, range_boundaries

from conftest import project_scenarios
from finmodel import api
from finmodel.version import __version__
from finmodel.workbook import parity, styles, writer
from finmodel.workbook.cells import CHARTS, FIRST_COL
from finmodel.workbook.layout import COVER, Layout, safe_sheet_title
from finmodel.workbook.recalc import read_values

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = [None] + project_scenarios()
IDS = ["default"] + [p.stem for p in SCENARIOS[1:]]

# Numbers a formula may contain: structural constants (0 and 1 for flags, sums and "first period"; 12 months
# a year; 100 for percentages). Everything else is an input with a name, a unit and a source.
ALLOWED_NUMBERS = {0.0, 1.0, 12.0, 100.0}
ERROR_VALUE = re.compile(r"^(#(REF!|VALUE!|DIV/0!|NAME\?|N/A|NUM!|NULL!|GETTING_DATA)|Err:\d+)$")


def cases_of(scenario, most=2) -> list[str]:
    """base and the scenario's first cases (project scenarios only: see conftest.project_scenarios)."""
    from finmodel.inputs.validation import load_scenario

    return (["base"] + list(load_scenario(scenario).cases))[:most]


@pytest.fixture(scope="module", params=SCENARIOS, ids=IDS)
def book(request, tmp_path_factory):
    """(run output, workbook path, workbook loaded with formulas) for a scenario, with base and its first case."""
    path = tmp_path_factory.mktemp("fast") / "model.xlsx"
    out = api.run(request.param, cases_of(request.param), workbook=path)
    return out, path, openpyxl.load_workbook(path)


def formula_cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    yield ws.title, c


def test_one_formula_per_row(book):
    _, _, wb = book
    rows: dict[tuple[str, int], list] = {}
    for sheet, c in formula_cells(wb):
        if c.column >= FIRST_COL:
            rows.setdefault((sheet, c.row), []).append(c)
    assert len(rows) > 100
    bad = []
    for (sheet, _r), cells in rows.items():
        cells.sort(key=lambda c: c.column)
        first = cells[0]
        assert first.column == FIRST_COL, f"{sheet}!{first.coordinate}: a period row starts after period 1"
        for c in cells[1:]:
            shifted = Translator(first.value, origin=first.coordinate).translate_formula(c.coordinate)
            if shifted != c.value:
                bad.append(f"{sheet}!{c.coordinate}: {c.value} != {shifted} (shifted from {first.coordinate})")
        assert len(cells) == wb[sheet].max_column - FIRST_COL + 1 or sheet == CHARTS
    assert not bad, "\n".join(bad[:10])


def test_no_numeric_literals_and_no_offset_indirect(book):
    _, _, wb = book
    literals, volatile = [], []
    for sheet, c in formula_cells(wb):
        for tok in Tokenizer(c.value).items:
            if tok.type == Token.OPERAND and tok.subtype == Token.NUMBER and float(tok.value) not in ALLOWED_NUMBERS:
                literals.append(f"{sheet}!{c.coordinate}: {tok.value} in {c.value}")
            if tok.type == Token.FUNC and tok.subtype == Token.OPEN and tok.value.upper() in ("OFFSET(", "INDIRECT("):
                volatile.append(f"{sheet}!{c.coordinate}: {c.value}")
    assert not volatile, "\n".join(volatile[:10])
    assert not literals, "numbers in formulas must be named inputs:\n" + "\n".join(literals[:10])


def _destinations(wb):
    """Defined name -> list of (sheet, range) it points to."""
    out = {}
    for name, dn in wb.defined_names.items():
        out[name] = [(sheet, ref.replace("$", "")) for sheet, ref in dn.destinations]
    return out


@functools.cache
def _cells_of(sheet, ref):
    c0, r0, c1, r1 = range_boundaries(ref)
    return tuple((sheet, r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))


def _precedents(sheet, formula, names):
    for tok in Tokenizer(formula).items:
        if tok.type != Token.OPERAND or tok.subtype != Token.RANGE:
            continue
        ref = tok.value
        if "!" in ref:
            sh, _, addr = ref.rpartition("!")
            sh = sh.strip("'").replace("''", "'")
            yield from _cells_of(sh, addr.replace("$", ""))
        elif ref in names:
            for sh, addr in names[ref]:
                yield from _cells_of(sh, addr)
        else:
            yield from _cells_of(sheet, ref.replace("$", ""))


def test_no_circular_references(book):
    """Every formula cell's precedents (cells, ranges, defined names) form an acyclic graph."""
    _, _, wb = book
    names = _destinations(wb)
    graph = {}
    for sheet, c in formula_cells(wb):
        graph[(sheet, c.row, c.column)] = set(_precedents(sheet, c.value, names))
    formulas = set(graph)
    graph = {k: {p for p in v if p in formulas} for k, v in graph.items()}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:  # pragma: no cover - the failure message
        pytest.fail(f"circular reference: {exc.args[1][:8]}")


def test_every_defined_name_resolves(book):
    out, _, wb = book
    names = _destinations(wb)
    for name, dests in names.items():
        assert dests, f"{name} points nowhere"
        for sheet, ref in dests:
            assert sheet in wb.sheetnames, f"{name} -> missing sheet {sheet}"
            for _, r, c in _cells_of(sheet, ref):
                assert wb[sheet].cell(r, c).value is not None, f"{name} -> empty {sheet}!{ref}"
    for key in out.results[0].metrics():
        assert key in names, f"metric {key} is not a defined name"
    for name, inp in out.results[0].model.inputs.items():
        if inp.kind in ("scalar", "table"):
            assert names[name][0][0] == "Inputs"


def test_inputs_styled_validated_and_named(book):
    out, _, wb = book
    model = out.results[0].model
    lay = Layout(model, out.results[0].live_cases)
    ws = wb["Inputs"]
    validations = ws.data_validations.dataValidation
    assert validations
    for dv in validations:
        assert dv.showErrorMessage and dv.error, f"validation {dv.sqref} without an error message"

    def rule(coord):
        found = [dv for dv in validations if coord in dv.sqref]
        assert len(found) == 1, f"Inputs!{coord}: {len(found)} validations"
        return found[0]

    periods = [get_column_letter(FIRST_COL + t) for t in range(model.periods)]
    for kind, inp, r in lay.input_layout:
        if kind in ("section", "live_case"):
            continue
        rows = lay.case_rows.get(inp.name, [r])  # an input that cases change: its value row per case
        if kind == "scalar":
            coords = [f"C{k}" for k in rows]
        elif kind == "series":
            coords = [f"{c}{k}" for k in rows for c in periods]
        else:
            first, last = lay.table_rows[inp.name]
            cols = periods[: len(lay.cases.names)] if inp.name in lay.cases.values else ["C"]
            coords = [f"{c}{k}" for k in range(first, last + 1) for c in cols]
        for coord in coords:
            cell = ws[coord]
            assert cell.style == (styles.SOLVED if inp.solved else styles.INPUT), f"{inp.name} {coord}"
            assert isinstance(cell.value, int | float | dt.datetime), f"{inp.name} {coord}: {cell.value!r}"
            rule(coord)
    # the rules follow the units: fractions 0..1, rates as decimals, whole years, positive money
    by_name = {inp.name: r for kind, inp, r in lay.input_layout if kind == "scalar"}
    expect = {
        "in_tax_rate": ("decimal", "0", "1"),
        "in_construction_years": ("whole", "0", None),
        "in_capex_amount": ("decimal", "0", None),
        "in_periods_per_year": ("list", '"1,2,4,12"', None),
    }
    for name, (kind, f1, f2) in expect.items():
        if name in by_name:
            dv = rule(f"C{by_name[name]}")
            assert (dv.type, dv.formula1, dv.formula2) == (kind, f1, f2), name


def test_styles_and_master_check_on_every_sheet(book):
    out, _, wb = book
    assert set(styles.STYLE_NAMES) <= set(wb.named_styles)
    assert wb.sheetnames[0] == COVER
    for ws in wb.worksheets:
        if ws.sheet_state == "hidden":  # the embedded scenario (finmodel.workbook.read)
            continue
        assert ws["C2"].value == "=master_check", ws.title
        ranges = [str(cf.sqref) for cf in ws.conditional_formatting]
        assert any("C2" in r.split() for r in ranges), f"{ws.title}: master check not coloured"
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    lay = Layout(out.results[0].model)
    seen = set()
    for sh in lay.sheets[1:]:
        ws = wb[sh]
        assert ws.freeze_panes in ("E6", "A6"), sh
        for kind, row, r in lay.sheet_rows[sh]:
            if kind != "row" or row.scalar:
                continue
            cell = ws.cell(r, FIRST_COL)
            link = bool(re.fullmatch(r"=('[^']+'|\w+)!\$?[A-Z]+\$?\d+|=in_\w+", cell.value))
            assert cell.style == (styles.LINK if link else styles.CALC), f"{sh}!{cell.coordinate} {cell.value}"
            seen.add(cell.style)
    assert seen == {styles.LINK, styles.CALC}


def test_cover_states_provenance_and_live_case(book):
    out, _, wb = book
    ws = wb[COVER]
    texts = {ws.cell(r, 1).value: ws.cell(r, 3).value for r in range(1, ws.max_row + 1)}
    assert texts["Scenario SHA-256"] == out.scenario.sha256
    assert texts["Case"] == out.results[0].case
    assert texts["finmodel version"] == __version__
    assert texts["Scenario file"] == str(out.scenario.source)
    live = next(r for r in range(1, 20) if str(ws.cell(r, 1).value).startswith("Live case"))
    assert ws.cell(live, 3).value.startswith("=Inputs!$D$")  # the name of the case chosen on Inputs, live
    inputs = wb["Inputs"]
    ((_, coord),) = wb.defined_names["live_case"].destinations
    assert inputs[coord.replace("$", "")].value == out.results[0].live_cases.live
    assert out.results[0].live_cases.live_name == out.results[0].case
    assert "Seed" in texts and "Generated (UTC)" in texts
    assert ws["D2"].value.startswith("=IF(master_check=1")
    assert ws.cell(1, 1).value == out.scenario.project.name


def test_template_ships_as_package_data():
    path = styles.template_path()
    assert path.is_file()
    rel = path.relative_to(ROOT / "finmodel").as_posix()
    cfg = ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    patterns = [p.strip() for p in cfg["options.package_data"]["finmodel"].split(",")]
    assert any(fnmatch.fnmatch(rel, p) for p in patterns), (rel, patterns)
    wb = openpyxl.load_workbook(path)
    assert set(styles.STYLE_NAMES) <= set(wb.named_styles)
    assert wb.sheetnames == [COVER]


def test_sheet_titles_sanitised():
    assert safe_sheet_title("Fund [PIS]: A/B*?") == "Fund _PIS__ A_B__"
    assert safe_sheet_title("x" * 40) == "x" * 31
    assert safe_sheet_title("Debt", ["debt"]) == "Debt (2)"
    assert safe_sheet_title("  ") == "Sheet"
    assert safe_sheet_title("O'Brien") == "O_Brien"


def test_odd_model_sheet_names_are_sanitised_and_referenced(tmp_path):
    """A module adding a sheet whose name Excel refuses gets a valid title, and formulas follow it."""
    from finmodel.inputs.validation import load_scenario
    from finmodel.model import engine
    from finmodel.model.timeline import R

    sc = load_scenario(None)
    b = engine.build(sc)
    b.model.add("odd_copy", R("cfads") * 1, "Fund: PIS/GIF [A]", "CFADS, copied")
    b.model.add("odd_back", R("odd_copy") + 0, "Returns", "CFADS, copied back")
    solved = engine.solve(b)
    result = engine.CaseResult("base", b, b.model.evaluate(solved), solved, True)
    path = writer.write_workbook([result], tmp_path / "odd.xlsx", scenario=sc, provenance=writer.provenance(sc, "base"))
    wb = openpyxl.load_workbook(path)
    assert "Fund_ PIS_GIF _A_" in wb.sheetnames
    lay = Layout(b.model)
    sheet, r = lay.w.cells["odd_back"]
    # "+0" is not rendered (rows.Bin.xl): a literal zero in a formula reads as a hard-coded number
    assert wb[sheet].cell(r, FIRST_COL).value == f"='Fund_ PIS_GIF _A_'!E{lay.w.cells['odd_copy'][1]}"
    assert ("Fund_ PIS_GIF _A_", f"E{lay.w.cells['odd_copy'][1]}") in parity.expected_cells(result)


def test_atomic_save_keeps_the_previous_file(tmp_path):
    target = tmp_path / "model.xlsx"
    target.write_bytes(b"previous")

    class Broken:
        def save(self, path):
            Path(path).write_bytes(b"half")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        writer.atomic_save(Broken(), target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["model.xlsx"]


# --- after LibreOffice recalculation (default scenario only; every scenario in test_workbook_cases) ---------


@pytest.fixture(scope="module")
def recalculated(recalc, tmp_path_factory):
    path = tmp_path_factory.mktemp("fast-lo") / "model.xlsx"
    out = api.run(None, ["base", "downside"], workbook=path)
    return out, path, recalc(path)


@pytest.mark.libreoffice
def test_no_error_value_after_recalculation(recalculated):
    _, _, rc = recalculated
    values = read_values(rc)
    errors = [f"{s}!{c}: {v}" for (s, c), v in values.items() if isinstance(v, str) and ERROR_VALUE.match(v)]
    assert not errors, "\n".join(errors[:20])


@pytest.mark.libreoffice
def test_defined_names_show_numbers_after_recalculation(recalculated):
    out, _, rc = recalculated
    values = read_values(rc)
    wb = openpyxl.load_workbook(rc)
    metrics = out.results[0].metrics()
    for name, dests in _destinations(wb).items():
        for sheet, ref in dests:
            for _, r, c in _cells_of(sheet, ref):
                v = values.get((sheet, f"{get_column_letter(c)}{r}"))
                assert isinstance(v, int | float | dt.datetime), f"{name} -> {sheet}!{ref} = {v!r}"
        if name in metrics and metrics[name] is not None:
            assert values[(dests[0][0], dests[0][1])] == pytest.approx(metrics[name], rel=1e-7), name


@pytest.mark.libreoffice
def test_recalculation_parity_every_formula_cell(recalculated):
    out, path, rc = recalculated
    result = out.results[0]
    expected = parity.expected_cells(result)
    wb = openpyxl.load_workbook(path)
    cells = {(s, c.coordinate) for s, c in formula_cells(wb)}
    missing = sorted(cells - set(expected))
    assert not missing, f"formula cells parity does not know: {missing[:10]}"
    assert len(cells) > 10_000
    mismatches = parity.compare(result, path, rc)
    assert not mismatches, "\n".join(map(str, mismatches[:20]))


def test_column_letter_helper_consistent():
    assert column_index_from_string("E") == FIRST_COL
