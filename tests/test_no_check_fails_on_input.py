"""No input the schema accepts can fail an integrity check (issue 22).

An integrity check (``check_*``) failing means a defect in finmodel, never a user's input: an input that leaves
the model undefined is refused at validation (exit 2), and a degenerate but legal deal (all equity, no revenue, a
revenue indexed at -100 %) runs with every check true. Hypothesis changes one or two numeric leaves of the shipped
project scenarios (zero, a sign flip, a scale, a small or large value) or removes a list (the facilities, the
revenues, the cases' changes); whatever validation accepts must run every case with every check true.

Budget: 400 examples, about half of them accepted (each a model build, a solve and every case of the scenario:
~0.1-0.3 s; ~40 s in all), derandomised so
CI never goes red at random; the explicit examples are the defects the issue names.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from finmodel.errors import InputError
from finmodel.inputs.validation import scenario_from_dict
from finmodel.model import engine

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "default": ROOT / "finmodel" / "scenarios" / "default.yaml",
    "bolivia": ROOT / "scenarios" / "bolivia_santa_cruz.yaml",
    "iraq": ROOT / "scenarios" / "iraq_bismaya.yaml",
    "kuwait": ROOT / "scenarios" / "kuwait_abdullah.yaml",
}
RAW = {k: yaml.safe_load(p.read_text(encoding="utf-8")) for k, p in FILES.items()}


def _leaves(obj, path=()):
    """Paths of the numeric leaves (not booleans) of a YAML document; the risk block is the simulation's."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if path == () and k in ("risk", "cases"):
                continue
            yield from _leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*path, i))
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield path


LEAVES = {k: sorted(_leaves(raw), key=str) for k, raw in RAW.items()}
LISTS = [("debt", "facilities"), ("revenues",), ("opex",), ("lifecycle",), ("guarantees",)]


def _set(doc, path, value):
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value


def _get(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def _change(raw, path, how, factor):
    old = _get(raw, path)
    new = {
        "zero": 0,
        "negate": -old,
        "minus_one": -1,
        "scale": old * factor,
        "tiny": 1e-6,
        "big": old * 1e3 if old else 1e3,
    }[how]
    if isinstance(old, int) and not isinstance(new, int) and float(new).is_integer():
        new = int(new)
    _set(raw, path, new)


def _assert_checks_hold(raw):
    try:
        sc = scenario_from_dict(raw, "mutated.yaml")
    except InputError:
        return "refused"  # exit 2 with the field: the other half of the rule
    cases = ["base", *sorted((raw.get("cases") or {}).keys())]
    try:
        results = engine.run_scenario(sc, cases)
    except InputError:
        return "refused"  # a case's changes refused by name
    for r in results:
        failed = [k for k, ok in r.checks().items() if not ok]
        assert not failed, f"case {r.case}: integrity checks failed on an accepted input: {failed}"
        assert all(math.isfinite(v) for v in [r.metrics().get("total_uses", 0.0)])
    return "ran"


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    name=st.sampled_from(sorted(FILES)),
    picks=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10_000),
            st.sampled_from(["zero", "negate", "minus_one", "scale", "tiny", "big"]),
            st.floats(min_value=0.0, max_value=3.0, allow_nan=False),
        ),
        min_size=1,
        max_size=2,
    ),
    emptied=st.sets(st.sampled_from(range(len(LISTS))), max_size=2),
)
@example(name="default", picks=[], emptied={0})  # an all-equity deal: no facilities
@example(name="default", picks=[], emptied={1})  # an empty revenue list
@example(name="iraq", picks=[], emptied={0})  # all equity, and the guarantees then cover nothing
@example(name="default", picks=[(-1, "minus_one", 1.0)], emptied=set())  # revenue indexation -1 (leaf set below)
def test_no_accepted_input_fails_an_integrity_check(name, picks, emptied):
    raw = copy.deepcopy(RAW[name])
    leaves = LEAVES[name]
    for index, how, factor in picks:
        path = ("revenues", 0, "indexation") if index == -1 else leaves[index % len(leaves)]
        _change(raw, path, how, factor)
    for i in sorted(emptied):
        path = LISTS[i]
        try:
            _get(raw, path[:-1])[path[-1]] = []
        except (KeyError, TypeError):
            pass
    _assert_checks_hold(raw)


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda r: r["debt"].__setitem__("facilities", []), id="no facilities"),
        pytest.param(lambda r: r.__setitem__("revenues", []), id="empty revenue list"),
        pytest.param(lambda r: r.pop("revenues"), id="no revenues key"),
        pytest.param(lambda r: r["revenues"][0].__setitem__("indexation", -1), id="indexation -1"),
        pytest.param(
            lambda r: r.__setitem__("revenues", [x for x in r["revenues"] if x["kind"] == "capital_grant"]),
            id="only a capital grant",
        ),
    ],
)
def test_the_issue_22_inputs_run_with_every_check_true(edit):
    """The inputs that once ended in exit 1 'check_debt_sizing failed' or 'shared totals never built'."""
    raw = copy.deepcopy(RAW["default"])
    edit(raw)
    assert _assert_checks_hold(raw) == "ran"


@pytest.mark.parametrize(
    "name, edit",
    [
        # a user-fee volume falling 100 % a year: 0 ** -1 in construction once made revenue NaN there and failed
        # check_guarantee_cash_declared (the one exit 1 of the full mutation run)
        ("iraq", lambda r: r["revenues"][1].__setitem__("volume_growth", -1)),
        # a tiny construction cost with a capital grant larger than it: the grant is disbursed against the cost
        ("bolivia", lambda r: r["capex"].__setitem__("amount", 1e6)),
        ("default", lambda r: r["capex"].__setitem__("amount", 1e-6)),  # refused: fixed debt beyond the cost
    ],
    ids=["iraq volume -100 % a year", "bolivia grant above capex", "default tiny capex"],
)
def test_inputs_the_search_found(name, edit):
    raw = copy.deepcopy(RAW[name])
    edit(raw)
    assert _assert_checks_hold(raw) in ("ran", "refused")


def test_a_case_that_removes_the_facilities_runs():
    raw = copy.deepcopy(RAW["default"])
    raw["cases"]["all_equity"] = {
        "description": "No debt",
        "changes": {"debt.facilities": []},
        "resize_debt": True,
    }
    sc = scenario_from_dict(raw, "case.yaml")
    base, eq = engine.run_scenario(sc, ["base", "all_equity"])
    assert all(eq.checks().values()) and all(base.checks().values())
    m = eq.metrics()
    assert m["total_debt"] == 0 and m["gearing"] == 0
    assert m["min_dscr"] is None and m["min_llcr"] is None  # not applicable: no debt service
    assert m["total_equity"] + m["total_grants"] == pytest.approx(m["total_uses"], rel=1e-12)
