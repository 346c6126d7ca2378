"""The row mechanism (finmodel.rows, finmodel.rows.code): one definition, evaluated by numpy and rendered as Excel.

A tiny model exercises every kind of node: a corkscrew (Prev), Lead / LeadSum / SumFrom, a by-year Lookup,
If / Min / Max, Blank and the aggregations. It is evaluated in scalar mode (one path: plain Python floats) and
vector mode (several paths: numpy), each against a hand computation written out below.

Tolerances: the tiny model's numbers are small integers, so every row is exact in binary floating point and is
compared with ``==`` (via ``assert_array_equal``); IRR and NPV are iterative / divided and are compared at 1e-12
relative (rounding level for numbers of size 100). Scalar vs vector mode on the default scenario: the two
renderings do the same IEEE operations in the same order except where Python's ``min``/``max`` and numpy's
``minimum``/``maximum`` or ``**`` differ in the last bit, so they agree to 1e-15 relative (plus 1e-6 absolute
for values that should be zero and carry residue of amounts around 1e8).
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest

from finmodel.errors import FinmodelError
from finmodel.inputs.validation import load_scenario
from finmodel.model import engine
from finmodel.model.timeline import R
from finmodel.rows import (
    Agg,
    And,
    Blank,
    FormulaWriter,
    If,
    Index,
    Lead,
    LeadSum,
    Lookup,
    Max,
    Min,
    Model,
    Not,
    Or,
    Prev,
    SumFrom,
    Total,
)

T = 4
TABLE = [10.0, 20.0, 30.0]  # a by-year table; period 4 looks up key 4, outside the table -> 0
CASH_FLOWS = [-100.0, 30.0, 40.0, 50.0]
A_PATHS = [0.5, 1.0, 2.0, 3.0, 10.0]  # values of the scalar input ``in_a`` on five paths


def tiny_model(a: float = 2.0) -> Model:
    m = Model(T)
    ra = m.add_input("in_a", a, "a scalar input")
    m.add_input("in_tab", [TABLE], "a by-year table", kind="table")
    m.add_input("in_cf", [CASH_FLOWS], "a cash-flow series", kind="series")
    m.add("period", Prev("period") + 1, "Calc", "period counter")
    m.add("x", Lookup("in_tab", R("period")), "Calc", "table value of the period")
    m.add("lead", Lead("x", 1), "Calc", "x next period")
    m.add("leadsum", LeadSum("x", 2), "Calc", "x over the next two periods")
    m.add("sumfrom", SumFrom("x"), "Calc", "x from this period to the last")
    # corkscrew: opening = last closing; repay at most 5 a; closing = opening + x - repay
    m.add("opening", Prev("closing"), "Calc", "opening")
    m.add("repay", Min(R("opening"), ra * 5), "Calc", "repayment")
    m.add("closing", R("opening") + R("x") - R("repay"), "Calc", "closing")
    m.add("flag", If(R("closing") > 25, 1, 0), "Calc", "closing above 25")
    m.add("mx", Max(R("x"), R("opening")), "Calc", "larger of x and opening")
    m.add("pos", If(R("x") > 0, R("x"), Blank()), "Calc", "x where positive, blank otherwise")
    m.add("logic", And(R("x") > 15, Not(Or(R("flag"), R("x").eq(30)))), "Calc", "logic")
    m.add("avg", Agg("AVERAGE", "pos"), "Out", "average skipping blanks")
    m.add("tot", Total("x"), "Out", "sum of x")
    m.add("low", Agg("MIN", "closing"), "Out", "lowest closing")
    m.add("high", Agg("MAX", "closing"), "Out", "highest closing")
    m.add("irr", Agg("IRR", "in_cf"), "Out", "IRR of the cash flows")
    m.add("npv", Agg("NPV", "in_cf", ra / 20), "Out", "NPV at a / 20")
    m.add("prod", Agg("PRODUCT", "period"), "Out", "product of the period numbers")
    m.add("last", Agg("LAST", "closing"), "Out", "closing in the last period")
    m.add("at", Index("closing", ra), "Out", "closing in period a")
    return m


def hand(a: float) -> dict[str, list[float] | float]:
    """The tiny model computed by hand (plain Python, no finmodel)."""
    period = [1.0, 2.0, 3.0, 4.0]
    x = [10.0, 20.0, 30.0, 0.0]  # TABLE[period - 1], 0 off the table
    lead = [20.0, 30.0, 0.0, 0.0]
    leadsum = [50.0, 30.0, 0.0, 0.0]  # 20 + 30, 30 + 0, 0, 0
    sumfrom = [60.0, 50.0, 30.0, 0.0]
    opening, repay, closing = [], [], []
    prev = 0.0
    for t in range(T):
        opening.append(prev)
        repay.append(min(prev, 5 * a))
        closing.append(prev + x[t] - repay[t])
        prev = closing[t]
    flag = [1.0 if c > 25 else 0.0 for c in closing]
    mx = [max(xi, o) for xi, o in zip(x, opening, strict=True)]
    logic = [1.0 if (x[t] > 15 and not (flag[t] or x[t] == 30)) else 0.0 for t in range(T)]
    rate = a / 20
    # Excel NPV: the first cash flow is discounted one period
    npv = sum(cf / (1 + rate) ** (t + 1) for t, cf in enumerate(CASH_FLOWS))
    return dict(
        period=period,
        x=x,
        lead=lead,
        leadsum=leadsum,
        sumfrom=sumfrom,
        opening=opening,
        repay=repay,
        closing=closing,
        flag=flag,
        mx=mx,
        pos=[10.0, 20.0, 30.0, np.nan],
        logic=logic,
        avg=20.0,
        tot=60.0,
        low=min(closing),
        high=max(closing),
        irr=float(npf.irr(CASH_FLOWS)),
        npv=npv,
        prod=24.0,  # 1 x 2 x 3 x 4
        last=closing[-1],
        at=closing[min(max(int(a), 1), T) - 1],  # period a (whole), clipped to 1..T
    )


ROWS = ["period", "x", "lead", "leadsum", "sumfrom", "opening", "repay", "closing", "flag", "mx", "pos", "logic"]
EXACT_SCALARS = ["avg", "tot", "low", "high", "prod", "last", "at"]


def test_hand_case_values():
    # the hand corkscrew for a = 2: repay 0, 10, 10, 10; closing 10, 20, 40, 30
    h = hand(2.0)
    assert h["closing"] == [10.0, 20.0, 40.0, 30.0]
    assert h["npv"] == pytest.approx(-100 / 1.1 + 30 / 1.21 + 40 / 1.331 + 50 / 1.4641, rel=1e-15)


def test_scalar_mode_matches_hand():
    v = tiny_model(2.0).evaluate()
    h = hand(2.0)
    for name in ROWS:
        assert v[name].shape == (1, T)
        np.testing.assert_array_equal(v[name][0], h[name], err_msg=name)
    for name in EXACT_SCALARS:
        assert v[name].shape == (1, 1)
        assert v[name][0, 0] == h[name], name
    assert v["irr"][0, 0] == pytest.approx(h["irr"], rel=1e-12)
    assert v["npv"][0, 0] == pytest.approx(h["npv"], rel=1e-12)


def test_vector_mode_matches_hand_on_every_path():
    m = tiny_model()
    v = m.evaluate({"in_a": np.array(A_PATHS)})
    assert v["closing"].shape == (len(A_PATHS), T)
    for p, a in enumerate(A_PATHS):
        h = hand(a)
        for name in ROWS:
            np.testing.assert_array_equal(v[name][p], h[name], err_msg=f"{name}, path {p}")
        for name in EXACT_SCALARS:
            assert v[name][p, 0] == h[name], (name, p)
        assert v["irr"][p, 0] == pytest.approx(h["irr"], rel=1e-12)
        assert v["npv"][p, 0] == pytest.approx(h["npv"], rel=1e-12)


def test_paths_without_overrides_broadcast():
    m = tiny_model(2.0)
    one = m.evaluate()
    five = m.evaluate(paths=5)  # vector mode, every path the same
    for name in ROWS + EXACT_SCALARS + ["irr", "npv"]:
        assert five[name].shape[0] == 5
        for p in range(5):
            np.testing.assert_allclose(five[name][p], one[name][0], rtol=1e-15, atol=0, err_msg=name)


def test_plan_finds_the_corkscrew():
    plan = tiny_model().plan()
    loops = [names for kind, names in plan if kind == "loop"]
    assert ["opening", "repay", "closing"] in loops  # same-period order inside the block
    wholes = {names[0] for kind, names in plan if kind == "whole"}
    assert {"x", "lead", "leadsum", "sumfrom", "flag", "mx", "avg", "irr"} <= wholes


# --- the Excel rendering ---------------------------------------------------------------------------------

FIRST_COL = 5  # as finmodel.workbook.writer: column E = period 1; D (left empty) is the "previous period" of period 1


def writer(m: Model) -> FormulaWriter:
    w = FormulaWriter(FIRST_COL, T)
    for r, (name, row) in enumerate(m.rows.items(), start=5):
        w.cells[name] = ("Out" if row.scalar else "Calc", r)
        if row.scalar:
            w.names[name] = name
    w.cells["in_cf"] = ("Inputs", 30)
    w.names["in_a"] = "in_a"
    w.tables["in_tab"] = ("Inputs!$B$20:$B$22", "in_tab")
    w.current_sheet = "Calc"
    return w


# rows are placed from Excel row 5 in definition order: period 5, x 6, lead 7, leadsum 8, sumfrom 9,
# opening 10, repay 11, closing 12, flag 13, mx 14, pos 15, logic 16; column index 1 (period 2) is column F,
# the last period (4) column H
EXPECTED_XL = {
    "period": "E5+1",  # period 2 = period 1 + 1
    "x": "SUMIF(Inputs!$B$20:$B$22,F5,in_tab)",
    "lead": "G6",
    "leadsum": "SUM(G6:H6)",
    "sumfrom": "SUM(F6:$H6)",  # to the last period (column H), its column anchored
    "opening": "E12",
    "repay": "MIN(F10,in_a*5)",
    "closing": "F10+F6-F11",
    "flag": "IF(F12>25,1,0)",
    "mx": "MAX(F6,F10)",
    "pos": 'IF(F6>0,F6,"")',
    "logic": "AND(F6>15,NOT(OR(F13,F6=30)))",
    "avg": "AVERAGE(Calc!$E$15:$H$15)",
    "tot": "SUM(Calc!$E$6:$H$6)",
    "low": "MIN(Calc!$E$12:$H$12)",
    "high": "MAX(Calc!$E$12:$H$12)",
    "irr": "IRR(Inputs!$E$30:$H$30)",
    "npv": "NPV(in_a/20,Inputs!$E$30:$H$30)",
    "prod": "PRODUCT(Calc!$E$5:$H$5)",
    "last": "$H12",  # the last period's cell (the writer's current sheet is Calc: no sheet name)
    "at": "INDEX(Calc!$E$12:$H$12,in_a)",
}


@pytest.mark.parametrize("name", list(EXPECTED_XL))
def test_xl_rendering(name):
    m = tiny_model()
    w = writer(m)
    row = m.rows[name]
    assert row.expr.xl(w, None if row.scalar else 1) == EXPECTED_XL[name]


def test_xl_rendering_other_sheet_and_brackets():
    m = tiny_model()
    w = writer(m)
    w.current_sheet = "Other"  # references to another sheet carry its name
    assert R("x").xl(w, 0) == "Calc!E6"
    assert Lead("x", 1).xl(w, 0) == "Calc!F6"
    assert LeadSum("x", 2).xl(w, 0) == "SUM(Calc!F6:G6)"
    assert Prev("closing").xl(w, 0) == "Calc!D12"  # period 1 refers to the empty column D
    w.current_sheet = "Calc"
    x, o, r = R("x"), R("opening"), R("repay")
    assert (x - (o - r)).xl(w, 0) == "E6-(E10-E11)"
    assert ((x - o) - r).xl(w, 0) == "E6-E10-E11"
    assert ((x + 1) * 2).xl(w, 0) == "(E6+1)*2"
    assert (x / (o * r)).xl(w, 0) == "E6/(E10*E11)"
    assert (x / o * r).xl(w, 0) == "E6/E10*E11"
    assert (-(x + o)).xl(w, 0) == "-(E6+E10)"
    assert ((1 + x) ** (o - 1)).xl(w, 0) == "(1+E6)^(E10-1)"
    assert x.ne(0).xl(w, 0) == "E6<>0"
    assert (x + o > r * 2).xl(w, 0) == "E6+E10>E11*2"


def test_xl_and_py_agree_on_numbers_in_formulas():
    # structural constants render as integers when whole, as Python floats otherwise
    m = tiny_model()
    w = writer(m)
    assert (R("x") * 12).xl(w, 0) == "E6*12"
    assert (R("x") * 0.5).xl(w, 0) == "E6*0.5"


# --- circularity ----------------------------------------------------------------------------------------


def test_same_period_circularity_raises():
    m = Model(3)
    m.add_input("in_one", 1.0, "one")
    m.add("a", R("b") + m.ref("in_one"), "Calc", "a")
    m.add("b", R("a") * 2, "Calc", "b")
    with pytest.raises(FinmodelError, match="circular"):
        m.plan()
    with pytest.raises(FinmodelError, match="circular"):
        m.evaluate()


def test_same_period_self_reference_raises():
    m = Model(3)
    m.add_input("in_one", 1.0, "one")
    m.add("a", R("a") + m.ref("in_one"), "Calc", "a")
    with pytest.raises(FinmodelError, match="circular|itself"):
        m.plan()


def test_circularity_through_a_corkscrew_raises():
    # a loop through Prev is fine, but a same-period cycle inside it is not
    m = Model(3)
    m.add("bal", Prev("bal") + R("int"), "Calc", "balance")
    m.add("int", R("bal") * 0.5, "Calc", "interest on the closing balance: circular")
    with pytest.raises(FinmodelError, match="circular"):
        m.plan()


def test_previous_period_loop_is_not_circular():
    m = Model(3)
    m.add_input("in_one", 1.0, "one")
    m.add("bal", Prev("bal") + R("int") + m.ref("in_one"), "Calc", "balance")
    m.add("int", Prev("bal") * 0.5, "Calc", "interest on the opening balance")
    v = m.evaluate()
    # bal: 0 + 0 + 1 = 1; 1 + 0.5 + 1 = 2.5; 2.5 + 1.25 + 1 = 4.75
    np.testing.assert_array_equal(v["bal"][0], [1.0, 2.5, 4.75])


def test_unknown_name_raises():
    m = Model(2)
    m.add("a", R("nowhere") + 1, "Calc", "a")
    with pytest.raises(FinmodelError, match="nowhere"):
        m.plan()


# --- scalar and vector mode on the full default model ---------------------------------------------------


@pytest.fixture(scope="module")
def default_built():
    b = engine.build(load_scenario())
    solved = engine.solve(b)
    return b, solved


def test_scalar_and_vector_mode_identical_on_default_model(default_built):
    b, solved = default_built
    m = b.model
    one = m.evaluate(solved)  # one path: scalar mode (plain Python floats in the period blocks)
    three = m.evaluate({k: np.repeat(np.asarray(v), 3, axis=0) for k, v in solved.items()}, paths=3)  # numpy
    compared = 0
    for name in list(m.rows) + list(m.inputs):
        a, b3 = one[name], three[name]
        assert b3.shape[0] == 3, name
        for p in range(3):
            np.testing.assert_allclose(b3[p], a[0], rtol=1e-15, atol=1e-6, equal_nan=True, err_msg=name)
        compared += 1
    assert compared > 200
    # and the money rows really are identical to the bit where they matter most
    for name in ("cfads", "senior_paid", "dsra_balance", "equity_cf"):
        np.testing.assert_array_equal(three[name][1], one[name][0], err_msg=name)


# --- rows kept in two buffers inside a period block (finmodel.rows.code._block_source) -------------------


def _alias_model() -> Model:
    """A period block whose rows ``level`` and ``lag2`` nothing after the block reads (so they may be kept in
    two buffers), where ``lag = Prev(level)`` is the same array as ``level``'s value of the period before and
    ``chk`` reads it two periods on, after ``level`` has been written again: ``level`` must keep its own."""
    m = Model(6)
    m.add_input("in_g", 0.5, "growth")
    m.add_input("in_s", [SHOCKS], "shocks", kind="series")
    m.add("level", Prev("level") * (R("in_g") + 1) + R("in_s") - Prev("chk") * 0.25, "Calc", "level")
    m.add("lag", Prev("level"), "Calc", "level of the period before")
    m.add("lag2", Prev("lag"), "Calc", "level two periods before")
    m.add("chk", R("level") - R("lag2"), "Calc", "change over two periods")
    m.add("out", R("lag") + R("chk"), "Out", "what the caller asks for")
    return m


SHOCKS = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0]


def test_restricted_evaluation_keeps_block_values_exact():
    m = _alias_model()
    g = np.array([0.5, 0.1, 1.0, 2.5])
    full = m.evaluate({"in_g": g})
    part = m.evaluate({"in_g": g}, targets=["out"])
    assert "out" in part and "level" not in part  # the block's own rows were not kept
    np.testing.assert_array_equal(part["out"], full["out"])
    for p, gp in enumerate(g):  # against plain Python, one path at a time
        level = lag = chk = 0.0
        for t, s in enumerate(SHOCKS):
            lag2, lag = lag, level
            level = level * (gp + 1) + s - chk * 0.25
            chk = level - lag2
            assert part["out"][p, t] == lag + chk, (p, t)
