"""A second recalculation engine: the ``formulas`` package (an independent Python implementation of Excel's
function semantics) recalculates the written workbooks, and every formula cell equals the engine, as after
LibreOffice (tests/test_parity.py, tests/test_fund_parity.py).

And the workbooks stay within Excel 2010's functions: every function any formula of any generated workbook
calls is on an allow-list of functions Excel 2010 has, and is either evaluated by ``formulas`` or named, with its
reason, in :data:`finmodel.workbook.recalc_formulas.UNSUPPORTED`.

Tolerances are those of :func:`finmodel.workbook.parity.compare` (relative 1e-9, IRR cells 1e-7; justified there): the
same comparison as the LibreOffice parity, so both engines are held to one standard.

Cost: ``formulas`` compiles every cell before it calculates, about 90 s for a project workbook on one core
(against about 3 s for LibreOffice). The workbooks are recalculated once, in parallel processes (one per core):
locally the default project workbook and the fund workbook (pis live); in CI (``CI`` set) or with
``FINMODEL_FORMULAS_ALL=1`` every shipped project scenario's workbook too.
"""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest

from conftest import in_ci, project_scenarios
from finmodel import api
from finmodel.funds import compare_portfolio
from finmodel.funds.workbook import parity_compare
from finmodel.workbook import parity
from finmodel.workbook.recalc_formulas import (
    UNSUPPORTED,
    formula_cells,
    formulas_available,
    functions_used,
    recalculate_values,
)

ROOT = Path(__file__).resolve().parent.parent
FUND = ROOT / "scenarios" / "pis_smart_city_subfund.yaml"

# Functions of Excel 2010 (and earlier) that a generated workbook may call. Source: Microsoft Support,
# "Excel functions (alphabetical)" (support.microsoft.com, consulted 2026-12), where a function introduced
# after Excel 2010 carries its version ("Excel 2013", "Excel 2016", "Excel 2019", "Microsoft 365"); every
# name below carries none, or "Excel 2010" only for a renamed statistical function. Add a name only after
# checking it there.
EXCEL_2010 = frozenset(
    {
        # math and trigonometry
        "ABS", "CEILING", "EXP", "FLOOR", "INT", "LN", "LOG", "LOG10", "MOD", "POWER", "PRODUCT", "ROUND",
        "ROUNDDOWN", "ROUNDUP", "SIGN", "SQRT", "SUM", "SUMIF", "SUMIFS", "SUMPRODUCT", "TRUNC",
        # statistics
        "AVERAGE", "AVERAGEIF", "COUNT", "COUNTA", "COUNTBLANK", "COUNTIF", "COUNTIFS", "MAX", "MEDIAN", "MIN",
        "PERCENTILE", "STDEV", "VAR",
        # logic and information
        "AND", "FALSE", "IF", "IFERROR", "ISBLANK", "ISERROR", "ISNUMBER", "ISTEXT", "NA", "NOT", "OR", "TRUE",
        # lookup and reference
        "CHOOSE", "COLUMN", "COLUMNS", "HLOOKUP", "INDEX", "LOOKUP", "MATCH", "ROW", "ROWS", "VLOOKUP",
        # date and time
        "DATE", "DAY", "DAYS360", "EDATE", "EOMONTH", "MONTH", "YEAR", "YEARFRAC",
        # financial
        "FV", "IPMT", "IRR", "NPER", "NPV", "PMT", "PPMT", "PV", "RATE", "XIRR", "XNPV",
        # text
        "CONCATENATE", "LEFT", "LEN", "MID", "RIGHT", "TEXT",
    }
)  # fmt: skip

# Introduced after Excel 2010 (the same source gives the version): never allowed, whatever LibreOffice accepts.
REFUSED = frozenset(
    {
        "IFS", "SWITCH", "MAXIFS", "MINIFS", "CONCAT", "TEXTJOIN",  # Excel 2019
        "XLOOKUP", "XMATCH", "LET", "LAMBDA", "FILTER", "SORT", "UNIQUE", "SEQUENCE",  # Microsoft 365
        "IFNA", "DAYS", "ISOWEEKNUM", "XOR", "RRI", "PDURATION",  # Excel 2013
    }
)  # fmt: skip


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    """Every generated workbook: the default project, each shipped project scenario, the fund (base case)."""
    d = tmp_path_factory.mktemp("books")
    books = {}
    out = api.run(None, None, workbook=d / "default.xlsx")
    books["default"] = (out.results[0], d / "default.xlsx")
    for s in project_scenarios():
        out = api.run(s, None, workbook=d / f"{s.stem}.xlsx")
        books[s.stem] = (out.results[0], d / f"{s.stem}.xlsx")
    out = compare_portfolio(FUND, "base", workbook=d / "fund.xlsx")
    books["fund"] = (out.results[0], d / "fund.xlsx")
    return books


@pytest.fixture(scope="module")
def used(workbooks):
    """``{function: [workbooks calling it]}`` over every generated workbook."""
    found: dict[str, list[str]] = {}
    for name, (_, path) in workbooks.items():
        for fn in functions_used(path):
            found.setdefault(fn, []).append(name)
    return found


def test_allow_list_refuses_post_2010_functions():
    assert not EXCEL_2010 & REFUSED


def test_workbooks_use_excel_2010_functions_only(used):
    assert {"SUM", "IF", "IRR", "INDEX"} <= set(used)  # the parse finds functions at all
    newer = {fn: books for fn, books in used.items() if fn not in EXCEL_2010}
    assert newer == {}, f"functions outside the Excel 2010 allow-list: {newer}"


def test_functions_used_sees_nested_and_prefixed_calls(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = '=IF(SUM(B1:INDEX(B1:B9,2))>0,"MAX(x)",_xlfn.IFS(TRUE,1))'
    ws["A2"] = "=ABS(-1)+abs(2)"
    wb.save(tmp_path / "f.xlsx")
    # a function named inside a text literal is not a call; a prefixed newer function is seen by its name
    assert functions_used(tmp_path / "f.xlsx") == {"IF": 1, "SUM": 1, "INDEX": 1, "IFS": 1, "ABS": 1}


def _require_formulas():
    if formulas_available():
        return
    if in_ci():
        pytest.fail("the `formulas` package is not installed (test extra); second-engine parity not checked")
    pytest.skip("the `formulas` package is not installed (pip install '.[test]')")


def test_unsupported_list_is_current(used):
    """Every used function is evaluated by ``formulas`` or named in UNSUPPORTED with a reason, and every entry of
    UNSUPPORTED is used and really missing from ``formulas``."""
    _require_formulas()
    from formulas.functions import get_functions

    known = set(get_functions())
    missing = {fn for fn in used if fn not in known}
    assert missing == set(UNSUPPORTED), f"missing from formulas: {sorted(missing)}; listed: {sorted(UNSUPPORTED)}"
    assert all(reason.strip() for reason in UNSUPPORTED.values())


def _report(mismatches, n=15):
    more = f"\n... {len(mismatches)} in all" if len(mismatches) > n else ""
    return "\n".join(str(m) for m in mismatches[:n]) + more


def _all_books() -> bool:
    return in_ci() or os.environ.get("FINMODEL_FORMULAS_ALL") == "1"


@pytest.fixture(scope="module")
def recalculated(workbooks):
    """``{name: values}``: the workbooks recalculated by ``formulas`` in parallel processes (spawned: each is one
    core's work for about a minute and a half), the largest first."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _require_formulas()
    names = list(workbooks) if _all_books() else ["default", "fund"]
    names.sort(key=lambda n: -workbooks[n][1].stat().st_size)
    workers = max(1, min(len(names), os.cpu_count() or 1))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {n: pool.submit(recalculate_values, workbooks[n][1]) for n in names}
        return {n: f.result() for n, f in futures.items()}


def _check(result, path, compare, values):
    cells = set(formula_cells(path))
    assert len(cells & set(parity.expected_cells(result))) > 1000  # compared
    assert cells <= set(values), sorted(cells - set(values))[:20]  # every formula cell computed
    mismatches = compare(result, path, values)
    assert mismatches == [], _report(mismatches)


def test_default_workbook_formulas_parity(workbooks, recalculated):
    result, path = workbooks["default"]
    _check(result, path, parity.compare, recalculated["default"])


def test_fund_workbook_formulas_parity(workbooks, recalculated):
    result, path = workbooks["fund"]
    _check(result, path, parity_compare, recalculated["fund"])


@pytest.mark.skipif(not _all_books(), reason="about 90 s each: run in CI or with FINMODEL_FORMULAS_ALL=1")
@pytest.mark.parametrize("scenario", [s.stem for s in project_scenarios()])
def test_scenario_workbook_formulas_parity(workbooks, recalculated, scenario):
    result, path = workbooks[scenario]
    _check(result, path, parity.compare, recalculated[scenario])
