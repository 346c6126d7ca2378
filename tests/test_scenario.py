"""Tests of the scenario schema (finmodel.schema) and loading (finmodel.inputs.validation): provenance, rules, cases."""

from __future__ import annotations

import copy
import datetime
import hashlib

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from finmodel.errors import InputError, ScenarioFileError
from finmodel.inputs.validation import load_scenario, scenario_from_dict, validate_file
from finmodel.schema import (
    AvailabilityRevenue,
    CapitalGrantRevenue,
    Scenario,
    UserFeeRevenue,
    apply_case,
    check_rules,
    default_scenario_bytes,
    load_raw,
)


@pytest.fixture
def raw():
    return copy.deepcopy(load_raw())


def _problems(raw_dict):
    with pytest.raises(InputError) as info:
        scenario_from_dict(raw_dict, "s.yaml")
    return dict(info.value.problems)


# --- the default scenario -----------------------------------------------------------------------


def test_default_loads_with_provenance():
    s = load_scenario()
    assert s.source == "<default>"
    assert s.sha256 == hashlib.sha256(default_scenario_bytes()).hexdigest()
    assert s.case == "base"
    assert s.project.country == "MYS"
    assert s.timeline.start_date == datetime.date(2027, 1, 1)
    assert s.timeline.periods_per_year == 2
    assert s.capex.phasing == [0.25, 0.40, 0.35]
    assert [type(r) for r in s.revenues] == [AvailabilityRevenue, UserFeeRevenue, CapitalGrantRevenue]
    assert s.revenues[1].tariff == 2.365 and s.revenues[1].currency == "MYR"
    assert s.base_rates["sofr"][-1] == 0.035
    edpf = s.facility("EDPF")
    assert edpf.rate.fixed == 0.025 and edpf.rate.base is None and edpf.rate.is_fixed
    bank = s.debt.facilities[2]
    assert bank.share == 1.0 and bank.amount is None and bank.cash_sweep and bank.seniority == "senior"
    assert bank.rate.base == "sofr" and bank.rate.margin == 0.025
    assert s.shareholder_loan.rate == 0.08
    assert s.case_names() == ["base", "downside", "capex_overrun"]


def test_loaded_file_records_its_path_and_hash(tmp_path):
    path = tmp_path / "kk.yaml"
    path.write_bytes(default_scenario_bytes())
    s = load_scenario(path)
    assert s.source == str(path)
    assert s.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert s.model_copy().source == str(path)  # private attributes survive copies


def test_models_are_frozen():
    s = load_scenario()
    with pytest.raises(ValidationError):
        s.tax.rate = 0.3


def test_defaults_for_optional_blocks(raw):
    for key in ("opex", "lifecycle", "shareholder_loan", "cash_sweep", "lockup_dscr", "drivers", "cases"):
        raw.pop(key)
    raw["revenues"] = []
    for fac in raw["debt"]["facilities"]:
        for key in ("upfront_fee", "commitment_fee", "cash_sweep"):
            fac.pop(key, None)
    s = scenario_from_dict(raw, "s.yaml")
    assert s.opex == [] and s.lifecycle == [] and s.revenues == []
    assert s.shareholder_loan is None
    assert s.cash_sweep == 0.0
    assert s.lockup_dscr == 1.10
    assert (
        s.drivers.revenue_factor,
        s.drivers.capex_factor,
        s.drivers.opex_factor,
        s.drivers.rate_shift,
    ) == (
        1.0,
        1.0,
        1.0,
        0.0,
    )
    assert s.cases == {} and s.case_names() == ["base"]
    assert all(f.upfront_fee == 0.0 and f.commitment_fee == 0.0 and not f.cash_sweep for f in s.debt.facilities)


def test_scalar_base_rate_becomes_a_curve(raw):
    raw["base_rates"]["sofr"] = 0.04
    assert scenario_from_dict(raw).base_rates["sofr"] == [0.04]


def test_yaml_exponent_floats_are_numbers(tmp_path):
    text = default_scenario_bytes().decode().replace("upfront_fee: 0.005", "upfront_fee: 5e-3")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert load_scenario(path).debt.facilities[1].upfront_fee == 0.005


# --- rules --------------------------------------------------------------------------------------


def test_all_problems_collected_across_blocks(raw):
    raw["project"]["fx_to_krw"] = "1380"  # a type error must not hide the cross-field rules
    raw["sponsors"][0]["share"] = 0.5
    raw["debt"]["facilities"][1]["grace_years"] = 20
    problems = _problems(raw)
    assert set(problems) >= {"project.fx_to_krw", "sponsors", "debt.facilities.1.grace_years"}
    assert problems["project.fx_to_krw"] == "expected a number, found '1380'"


def test_percent_message(raw):
    raw["debt"]["facilities"][0]["rate"]["fixed"] = 8
    assert _problems(raw)["debt.facilities.0.rate.fixed"] == "expected a decimal such as 0.08, found 8"


def test_revenue_kind_union_paths_have_no_tag(raw):
    raw["revenues"][1]["volume"] = "many"
    raw["revenues"][1]["extra"] = 1
    problems = _problems(raw)
    assert "revenues.1.volume" in problems
    assert "revenues.1.extra" in problems
    assert "tariff" in problems["revenues.1.extra"]  # lists the allowed keys of a user_fee revenue


def test_shares_sum_tolerance(raw):
    raw["capex"]["phasing"] = [0.1, 0.2, 0.7 + 1e-12]  # float round-off is accepted
    scenario_from_dict(raw)
    raw["capex"]["phasing"] = [0.1, 0.2, 0.7 + 1e-6]
    assert "capex.phasing" in _problems(raw)


def test_country_overrides_allow_a_country_outside_the_table(raw):
    raw["project"]["country"] = "XYZ"
    assert "project.country" in _problems(raw)
    raw["project"]["country_overrides"] = {
        "name": "Examplestan",
        "income_group": "LMIC",
        "oecd_risk_category": 6,
        "ldc": False,
    }
    assert scenario_from_dict(raw).project.country == "XYZ"


def test_check_rules_clean_on_default_and_defensive_on_garbage(raw):
    assert check_rules(raw) == []
    assert check_rules({"timeline": "x", "debt": {"facilities": [1, None, {"rate": 5}]}, "sponsors": 3}) == [
        (
            "debt.facilities.2",
            "expected exactly one of amount (fixed) or share (of the sized debt), found neither",
        )
    ]


def test_programmatic_construction_enforces_rules(raw):
    raw["capex"]["phasing"] = [0.5, 0.5, 0.5]
    with pytest.raises(ValidationError, match="capex.phasing"):
        Scenario.model_validate(raw)


def test_policy_rules_are_a_stage_after_the_schema_that_nothing_skips(raw):
    """The country / eligibility / cover rules read domain data, so the schema (Scenario.model_validate) leaves
    them to finmodel.inputs.policy; loading runs them, and engine.build runs them on a scenario built directly."""
    from finmodel.inputs.policy import policy_problems
    from finmodel.model import engine

    assert policy_problems(raw) == [] and load_scenario().policy_checked
    raw["project"]["country"] = "XYZ"  # well formed, but in no country table and with no overrides
    expected = [(p, m) for p, m in policy_problems(raw)]
    assert [p for p, _ in expected] == ["project.country"]
    assert check_rules(raw) == []  # not a structural problem
    with pytest.raises(InputError) as loaded:
        scenario_from_dict(raw, "s.yaml")
    assert loaded.value.problems == expected
    direct = Scenario.model_validate(raw)  # the schema alone accepts it...
    assert not direct.policy_checked
    with pytest.raises(InputError) as built:  # ...and the engine refuses it with the same problem
        engine.build(direct)
    assert built.value.problems == expected


# --- files --------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioFileError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_yaml_error_has_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("project:\n  name: a\n  country: [MYS\n")
    with pytest.raises(ScenarioFileError) as info:
        load_raw(path)
    assert info.value.source == str(path)
    assert "line 4" in info.value.problems[0][1]


def test_duplicate_key_is_an_error(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("tax:\n  rate: 0.2\n  rate: 0.3\n")
    with pytest.raises(ScenarioFileError, match="'rate' again"):
        load_raw(path)


# --- cases --------------------------------------------------------------------------------------


def test_case_applies_changes():
    s = load_scenario(case="downside")
    assert s.case == "downside"
    assert (s.drivers.revenue_factor, s.drivers.opex_factor, s.drivers.rate_shift) == (0.85, 1.10, 0.01)
    assert load_scenario(case="base") == load_scenario()


def test_apply_case_by_index_and_unique_name(raw):
    raw["cases"]["c"] = {"changes": {"debt.facilities.EDPF.amount": 80e6, "revenues.0.amount": 5e7}}
    changed = apply_case(raw, "c")
    assert changed["debt"]["facilities"][0]["amount"] == 80e6
    assert changed["revenues"][0]["amount"] == 5e7
    assert raw["debt"]["facilities"][0]["amount"] == 90_000_000  # a copy, not in place


def test_apply_case_may_set_an_absent_optional_block(raw):
    raw.pop("drivers")
    s = scenario_from_dict(apply_case(raw, "downside"))
    assert s.drivers.revenue_factor == 0.85 and s.drivers.capex_factor == 1.0


def test_unknown_case_lists_available(raw):
    with pytest.raises(InputError) as info:
        apply_case(raw, "upside")
    assert "base, downside, capex_overrun" in info.value.problems[0][1]


def test_bad_change_path(raw):
    raw["cases"]["c"] = {"changes": {"debt.facilities.ECA.amount": 1.0, "capex.amout": 1.0}}
    with pytest.raises(InputError) as info:
        apply_case(raw, "c")
    paths = [p for p, _ in info.value.problems]
    assert paths == ["cases.c.changes.debt.facilities.ECA.amount", "cases.c.changes.capex.amout"]


def test_case_problems_are_prefixed(tmp_path, raw):
    raw["cases"]["c"] = {"changes": {"tax.rate": 24}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw))
    load_scenario(path)  # the base is fine
    with pytest.raises(InputError) as info:
        load_scenario(path, case="c")
    line = path.read_text().splitlines().index("      tax.rate: 24") + 1  # the line of the change itself
    assert info.value.problems == [("cases.c: tax.rate", f"expected a decimal such as 0.08, found 24 (line {line})")]
    with pytest.raises(InputError) as info:
        validate_file(path)
    assert [p for p, _ in info.value.problems] == ["cases.c: tax.rate"]


# --- property: valid changes to amounts stay valid -----------------------------------------------

AMOUNT_PATHS = [
    "capex.amount",
    "revenues.0.amount",
    "revenues.1.volume",
    "revenues.1.tariff",
    "revenues.2.amount",
    "opex.0.amount",
    "lifecycle.0.amount",
    "debt.facilities.EDPF.amount",
    "debt.facilities.1.amount",
]


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(AMOUNT_PATHS),
        st.floats(min_value=1.0, max_value=1e10, allow_nan=False, allow_infinity=False),
        min_size=1,
    )
)
def test_random_amount_changes_still_validate(changes):
    """Amounts changed at random validate, except where the fixed facilities would exceed the construction cost
    after grants: that debt could never be drawn, and the refusal says so (the rule worked out here independently
    of ``schema.rules``)."""
    raw = copy.deepcopy(load_raw())
    raw["cases"]["random"] = {"changes": changes}
    changed = apply_case(raw, "random")
    grants = sum(r["amount"] for r in changed["revenues"] if r["kind"] == "capital_grant")
    cost = changed["capex"]["amount"] * (1 + changed["capex"].get("contingency", 0.0)) - grants
    fixed = sum(f["amount"] for f in changed["debt"]["facilities"] if "share" not in f)
    if fixed > cost:
        with pytest.raises(InputError, match="expected fixed facility amounts of at most the construction cost"):
            scenario_from_dict(changed)
        return
    s = scenario_from_dict(changed)
    assert s.capex.amount > 0


def _leaf_paths(obj, path=()):
    yield path
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _leaf_paths(value, (*path, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _leaf_paths(value, (*path, i))


_PATHS = [p for p in _leaf_paths(load_raw()) if p]
_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.lists(st.floats(-2, 2), max_size=4),
    st.dictionaries(st.sampled_from(["fixed", "base", "margin", "name", "x", "changes"]), st.integers(), max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PATHS), _JUNK), min_size=1, max_size=3))
def test_any_malformed_scenario_gives_input_error_not_a_crash(edits):
    """Whatever a user writes: a Scenario, or an InputError whose messages say what was expected."""
    raw = copy.deepcopy(load_raw())
    for path, value in edits:
        node = raw
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced a parent
    try:
        scenario_from_dict(raw, "s.yaml")
    except InputError as exc:
        assert exc.problems
        assert all(isinstance(p, str) and m.startswith("expected") or "expected" in m for p, m in exc.problems)
