"""End-to-end tests of `finmodel validate`, `finmodel schema` and `finmodel new` (click CliRunner).

Every bad-input rule of the scenario format gets a test: exit code 2, the field path and the found
value in the message, and no traceback.
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from finmodel.schema import default_scenario_bytes, load_raw


def _fac(raw, i):
    return raw["debt"]["facilities"][i]


def _write(tmp_path, raw, name="scenario.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _validate(*paths):
    return CliRunner().invoke(main, ["validate", *map(str, paths)])


# (rule id, mutation of the default raw scenario, expected field path, text of the found value)
BAD_INPUTS = [
    ("unknown key", lambda r: r["project"].update(colour="red"), "project.colour", "'colour'"),
    ("unknown top-level key", lambda r: r.update(tenor=5), "tenor", "'tenor'"),
    (
        "missing key",
        lambda r: r["timeline"].pop("operation_years"),
        "timeline.operation_years",
        "found nothing",
    ),
    ("missing block", lambda r: r.pop("tax"), "tax", "found nothing"),
    ("wrong type number", lambda r: r["capex"].update(amount="lots"), "capex.amount", "'lots'"),
    (
        "wrong type bool",
        lambda r: r["project"].update(commercially_viable="yes"),
        "project.commercially_viable",
        "'yes'",
    ),
    (
        "wrong type int",
        lambda r: r["timeline"].update(construction_years=2.5),
        "timeline.construction_years",
        "2.5",
    ),
    (
        "wrong type date",
        lambda r: r["timeline"].update(start_date="2027-13-01"),
        "timeline.start_date",
        "'2027-13-01'",
    ),
    ("wrong type rate block", lambda r: _fac(r, 0).update(rate=0.025), "debt.facilities[EDPF].rate", "0.025"),
    (
        "percent for decimal: fixed rate",
        lambda r: _fac(r, 0)["rate"].update(fixed=8),
        "debt.facilities[EDPF].rate.fixed",
        "found 8",
    ),
    (
        "percent for decimal: margin",
        lambda r: _fac(r, 1)["rate"].update(margin=1.2),
        "debt.facilities[KEXIM-K-SURE ECA loan].rate.margin",
        "found 1.2",
    ),
    (
        "percent for decimal: indexation",
        lambda r: r["revenues"][0].update(indexation=2),
        "revenues[Availability payment].indexation",
        "found 2",
    ),
    (
        "percent for decimal: negative growth",
        lambda r: r["revenues"][1].update(volume_growth=-3),
        "revenues[Transit fares].volume_growth",
        "found -3",
    ),
    ("percent for decimal: tax", lambda r: r["tax"].update(rate=24), "tax.rate", "found 24"),
    (
        "percent for decimal: base rate",
        lambda r: r["base_rates"].update(sofr=[3.7, 3.5]),
        "base_rates.sofr.0",
        "found 3.7",
    ),
    (
        "percent for decimal: rate_shift",
        lambda r: r["drivers"].update(rate_shift=-1.5),
        "drivers.rate_shift",
        "found -1.5",
    ),
    (
        "percent for decimal: fee",
        lambda r: _fac(r, 2).update(upfront_fee=1.5),
        "debt.facilities[Commercial bank loan].upfront_fee",
        "found 1.5",
    ),
    (
        "percent for decimal: sponsor share",
        lambda r: r["sponsors"][0].update(share=55),
        "sponsors[Korean EPC-operator consortium].share",
        "found 55",
    ),
    (
        "percent for decimal: contingency",
        lambda r: r["capex"].update(contingency=5),
        "capex.contingency",
        "found 5",
    ),
    ("negative fraction", lambda r: r["capex"].update(contingency=-0.05), "capex.contingency", "found -0.05"),
    (
        "capex phasing sum",
        lambda r: r["capex"].update(phasing=[0.25, 0.40, 0.30]),
        "capex.phasing",
        "sum of 0.95",
    ),
    (
        "grant phasing sum",
        lambda r: r["revenues"][2].update(phasing=[0.0, 0.5, 0.4]),
        "revenues[Viability-gap grant].phasing",
        "sum of 0.9",
    ),
    ("sponsor shares sum", lambda r: r["sponsors"][2].update(share=0.2), "sponsors", "sum of 0.95"),
    ("sized facility shares sum", lambda r: _fac(r, 2).update(share=0.9), "debt.facilities", "sum of 0.9"),
    (
        "custom profile sum",
        lambda r: _fac(r, 0).update(repayment="custom", profile=[0.1] * 15),
        "debt.facilities[EDPF].profile",
        "sum of 1.5",
    ),
    (
        "custom profile length",
        lambda r: _fac(r, 0).update(repayment="custom", profile=[0.5, 0.5]),
        "debt.facilities[EDPF].profile",
        "found 2",
    ),
    (
        "custom profile missing",
        lambda r: _fac(r, 0).update(repayment="custom"),
        "debt.facilities[EDPF].profile",
        "found nothing",
    ),
    ("phasing length", lambda r: r["capex"].update(phasing=[0.5, 0.5]), "capex.phasing", "found 2"),
    (
        "grant phasing length",
        lambda r: r["revenues"][2].update(phasing=[0.5, 0.25, 0.25, 0.0]),
        "revenues[Viability-gap grant].phasing",
        "found 4",
    ),
    (
        "periods_per_year",
        lambda r: r["timeline"].update(periods_per_year=3),
        "timeline.periods_per_year",
        "found 3",
    ),
    (
        "construction_years positive",
        lambda r: r["timeline"].update(construction_years=0),
        "timeline.construction_years",
        "found 0",
    ),
    (
        "operation_years positive",
        lambda r: r["timeline"].update(operation_years=-25),
        "timeline.operation_years",
        "found -25",
    ),
    (
        "grace within construction",
        lambda r: _fac(r, 1).update(grace_years=2),
        "debt.facilities[KEXIM-K-SURE ECA loan].grace_years",
        "found 2",
    ),
    (
        "grace >= maturity",
        lambda r: _fac(r, 1).update(grace_years=15),
        "debt.facilities[KEXIM-K-SURE ECA loan].grace_years",
        "found 15",
    ),
    (
        "grace whole periods",
        lambda r: _fac(r, 1).update(grace_years=3.25),
        "debt.facilities[KEXIM-K-SURE ECA loan].grace_years",
        "found 3.25",
    ),
    (
        "maturity whole periods",
        lambda r: _fac(r, 1).update(maturity_years=15.3),
        "debt.facilities[KEXIM-K-SURE ECA loan].maturity_years",
        "found 15.3",
    ),
    (
        "maturity beyond project life",
        lambda r: _fac(r, 0).update(maturity_years=30),
        "debt.facilities[EDPF].maturity_years",
        "found 30",
    ),
    (
        "negative tenor",
        lambda r: _fac(r, 0).update(maturity_years=-20),
        "debt.facilities[EDPF].maturity_years",
        "found -20",
    ),
    (
        "negative grace",
        lambda r: _fac(r, 0).update(grace_years=-1),
        "debt.facilities[EDPF].grace_years",
        "found -1",
    ),
    ("facility names unique", lambda r: _fac(r, 1).update(name="EDPF"), "debt.facilities.1.name", "'EDPF'"),
    (
        "unknown base rate",
        lambda r: _fac(r, 1)["rate"].update(base="libor"),
        "debt.facilities[KEXIM-K-SURE ECA loan].rate.base",
        "'libor'",
    ),
    (
        "rate with both forms",
        lambda r: _fac(r, 1)["rate"].update(fixed=0.05),
        "debt.facilities[KEXIM-K-SURE ECA loan].rate",
        "found both forms",
    ),
    ("amount and share", lambda r: _fac(r, 0).update(share=0.5), "debt.facilities[EDPF]", "found both"),
    ("neither amount nor share", lambda r: _fac(r, 0).pop("amount"), "debt.facilities[EDPF]", "found neither"),
    (
        "facility share out of range",
        lambda r: _fac(r, 2).update(share=0.0),
        "debt.facilities[Commercial bank loan].share",
        "found 0",
    ),
    (
        "facility amount positive",
        lambda r: _fac(r, 0).update(amount=-5),
        "debt.facilities[EDPF].amount",
        "found -5",
    ),
    ("dsra whole periods", lambda r: r["dsra"].update(months=3), "dsra.months", "found 3 months"),
    ("dsra negative", lambda r: r["dsra"].update(months=-6), "dsra.months", "found -6"),
    (
        "max_gearing in (0,1)",
        lambda r: r["debt"]["sizing"].update(max_gearing=1.0),
        "debt.sizing.max_gearing",
        "found 1",
    ),
    (
        "target_dscr >= 1",
        lambda r: r["debt"]["sizing"].update(target_dscr=0.95),
        "debt.sizing.target_dscr",
        "found 0.95",
    ),
    ("lockup_dscr >= 1", lambda r: r.update(lockup_dscr=0.9), "lockup_dscr", "found 0.9"),
    ("fx positive", lambda r: r["project"].update(fx_to_krw=0), "project.fx_to_krw", "found 0"),
    ("fx negative", lambda r: r["project"].update(fx_to_usd=-1.0), "project.fx_to_usd", "found -1"),
    ("tax rate below 1", lambda r: r["tax"].update(rate=1.0), "tax.rate", "found 1"),
    ("sizing required", lambda r: r["debt"].pop("sizing"), "debt.sizing", "found nothing"),
    ("unknown country", lambda r: r["project"].update(country="XYZ"), "project.country", "'XYZ'"),
    ("country not ISO3", lambda r: r["project"].update(country="Malaysia"), "project.country", "'Malaysia'"),
    ("sponsors non-empty", lambda r: r.update(sponsors=[]), "sponsors", "0 entries"),
    (
        "unknown revenue kind",
        lambda r: r["revenues"][0].update(kind="tolls"),
        "revenues[Availability payment].kind",
        "'tolls'",
    ),
    (
        "revenue kind field missing",
        lambda r: r["revenues"][1].pop("tariff"),
        "revenues[Transit fares].tariff",
        "found nothing",
    ),
    ("unknown facility kind", lambda r: _fac(r, 0).update(kind="bank"), "debt.facilities[EDPF].kind", "'bank'"),
    (
        "unknown repayment",
        lambda r: _fac(r, 0).update(repayment="bullet"),
        "debt.facilities[EDPF].repayment",
        "'bullet'",
    ),
    ("case reserved name", lambda r: r["cases"].update(base={"changes": {}}), "cases.base", "'base'"),
    (
        "case bad change path",
        lambda r: r["cases"]["downside"]["changes"].update({"drivers.revenu_factor": 0.9}),
        "cases.downside.changes.drivers.revenu_factor",
        "'revenu_factor'",
    ),
    (
        "case invalid result",
        lambda r: r["cases"]["downside"]["changes"].update({"tax.rate": 24}),
        "cases.downside: tax.rate",
        "found 24",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "field_path", "found"), [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS]
)
def test_bad_input_exit_2_with_path_and_found(tmp_path, mutate, field_path, found):
    raw = copy.deepcopy(load_raw())
    mutate(raw)
    path = _write(tmp_path, raw)
    result = _validate(path)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith(f"{path}: {field_path}: ")]
    assert lines, result.output
    assert any(found in line for line in lines), result.output
    assert all("expected" in line for line in lines)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_every_problem_reported_not_only_the_first(tmp_path):
    raw = copy.deepcopy(load_raw())
    raw["tax"]["rate"] = 24
    raw["capex"]["amount"] = "many"
    raw["timeline"]["construction_years"] = 2  # phasing lengths and EDPF grace stay valid...
    raw["debt"]["facilities"][1]["rate"]["base"] = "libor"
    path = _write(tmp_path, raw)
    out = _validate(path).output
    for field in (
        "tax.rate",
        "capex.amount",
        "capex.phasing",
        "revenues[Viability-gap grant].phasing",
        "debt.facilities[KEXIM-K-SURE ECA loan].rate.base",
    ):
        assert f"{path}: {field}: " in out, out


def test_valid_files_print_ok_and_exit_0(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(default_scenario_bytes())
    result = _validate(path, path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"OK {path}", f"OK {path}"]


def test_mixed_files_report_each(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_bytes(default_scenario_bytes())
    bad = tmp_path / "bad.yaml"
    bad.write_text("project: [unclosed\n", encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    result = _validate(good, bad, missing)
    assert result.exit_code == 2
    assert f"OK {good}" in result.output
    assert f"{bad}: line 2" in result.output
    assert f"{missing}: expected an existing scenario file" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("- a\n- b\n", "found a list of 2 entries"),
        ("", "found an empty file"),
        ("project: {name: a}\nproject: {name: b}\n", "line 2"),
        ("capex:\n  amount: 1\n  amount: 2\n", "'amount' again"),
    ],
    ids=["not a mapping", "empty", "duplicate top-level key", "duplicate nested key"],
)
def test_bad_files(tmp_path, text, found):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    result = _validate(path)
    assert result.exit_code == 2
    assert found in result.output
    assert "Traceback" not in result.output


def test_validate_needs_a_file():
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 2


def test_schema_is_json_with_the_top_level_keys():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    top = set(schema["properties"])
    assert set(yaml.safe_load(default_scenario_bytes())) <= top
    assert {"project", "timeline", "capex", "debt", "cases"} <= set(schema["required"]) | top
    # self-documenting: units in brackets
    capex = schema["$defs"]["Capex"]["properties"]["amount"]
    assert "[currency]" in capex["description"]


def test_new_writes_the_default_template_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path):
        result = runner.invoke(main, ["new", "kk"])
        assert result.exit_code == 0, result.output
        with open("kk.yaml", "rb") as fh:
            first = fh.read()
        assert yaml.safe_load(first)["project"]["name"] == "kk"  # NAME becomes the project name
        assert runner.invoke(main, ["validate", "kk.yaml"]).exit_code == 0

        with open("kk.yaml", "w") as fh:
            fh.write("mine")
        result = runner.invoke(main, ["new", "kk.yaml"])
        assert result.exit_code == 2
        assert "--force" in result.output
        with open("kk.yaml") as fh:
            assert fh.read() == "mine"  # left untouched

        result = runner.invoke(main, ["new", "kk", "--force"])
        assert result.exit_code == 0
        with open("kk.yaml", "rb") as fh:
            assert fh.read() == first


def test_new_unknown_template(tmp_path):
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path):
        result = runner.invoke(main, ["new", "x", "--template", "nope"])
        assert result.exit_code == 2
        assert "'nope'" in result.output
        assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("mutate", "field_path", "found"),
    [
        (lambda r: _fac(r, 0).update(maturity_years=25), "debt.facilities[EDPF].maturity_years", "found 25"),
        (
            lambda r: _fac(r, 0).update(kind="edcf"),
            "project.commercially_viable",
            "commercially_viable = true",
        ),
    ],
    ids=["EDPF tenor over 20 years", "EDCF for a commercially viable project"],
)
def test_instrument_eligibility_errors_are_bad_input(tmp_path, mutate, field_path, found):
    raw = copy.deepcopy(load_raw())
    mutate(raw)
    path = _write(tmp_path, raw)
    result = _validate(path)
    assert result.exit_code == 2, result.output
    assert any(line.startswith(f"{path}: {field_path}: ") and found in line for line in result.output.splitlines()), (
        result.output
    )
    assert "Traceback" not in result.output


def test_validate_accepts_a_fund_portfolio_and_a_run_refuses_it():
    """`validate` checks a fund portfolio file (and its projects); project commands point to the fund commands."""
    from pathlib import Path

    from click.testing import CliRunner

    from cli import main

    portfolio = Path(__file__).resolve().parent.parent / "scenarios" / "pis_smart_city_subfund.yaml"
    ok = CliRunner().invoke(main, ["validate", str(portfolio)])
    assert ok.exit_code == 0, ok.output
    assert f"OK {portfolio}" in ok.output
    refused = CliRunner().invoke(main, ["run", str(portfolio)])
    assert refused.exit_code == 2
    assert "finmodel fund" in refused.output and "Traceback" not in refused.output
