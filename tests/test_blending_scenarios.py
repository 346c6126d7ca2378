"""The shipped blending scenarios, the eligibility rules they exercise, warnings, and
``finmodel grant-element SCENARIO``; end to end through the command line (click's CliRunner, temporary
directory)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from finmodel.errors import InputError
from finmodel.inputs.findings import warnings_for
from finmodel.inputs.validation import scenario_from_dict
from finmodel.schema import load_raw

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BOLIVIA = SCENARIOS / "bolivia_santa_cruz.yaml"
KUWAIT = SCENARIOS / "kuwait_abdullah.yaml"
KOTA = SCENARIOS / "kota_kinabalu.yaml"

EDCF = {
    "name": "EDCF",
    "kind": "edcf",
    "amount": 50_000_000,
    "rate": {"fixed": 0.0015},
    "grace_years": 10,
    "maturity_years": 25,
    "repayment": "equal",
}


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _write(tmp_path, raw, name):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_kota_kinabalu_is_the_embedded_default():
    assert KOTA.is_symlink() and KOTA.resolve() == (ROOT / "finmodel" / "scenarios" / "default.yaml").resolve()


@pytest.mark.parametrize("path", [BOLIVIA, KUWAIT, KOTA])
def test_scenario_validates_and_runs_with_master_check(path, tmp_path):
    res = _cli("validate", path)
    assert res.exit_code == 0 and "OK" in res.stdout, res.stdout
    out = tmp_path / "out.json"
    res = _cli("run", path, "--quiet", "--json", out)
    assert res.exit_code == 0, res.stderr
    js = json.loads(out.read_text())
    for case in js if isinstance(js, list) else [js]:
        assert case["checks"]["master_check"] is True
        assert case["metrics"]["package_grant_element"] is not None


def test_income_groups_of_the_three_cases():
    groups = {p: scenario_from_dict(load_raw(p)).project.country for p in (BOLIVIA, KUWAIT, KOTA)}
    assert groups == {BOLIVIA: "BOL", KUWAIT: "KWT", KOTA: "MYS"}


@pytest.mark.parametrize(
    "base, viable, rules",
    [
        (KOTA, True, ["EDCF-AID-PROJECT", "HELSINKI-LMIC-CEILING", "HELSINKI-COMMERCIAL-VIABILITY"]),
        (KOTA, False, ["HELSINKI-LMIC-CEILING"]),  # UMIC: tied aid only at 80 % concessionality
        (KUWAIT, True, ["EDCF-INCOME", "DAC-ODA-GE", "HELSINKI-LMIC-CEILING"]),  # HIC: no EDCF, not ODA
        (KUWAIT, False, ["EDCF-INCOME"]),
    ],
)
def test_edcf_is_refused_outside_lics_and_lmics(tmp_path, base, viable, rules):
    raw = load_raw(base)
    raw["project"]["commercially_viable"] = viable
    raw["debt"]["facilities"].insert(0, dict(EDCF))
    res = _cli("validate", _write(tmp_path, raw, "edcf.yaml"))
    assert res.exit_code == 2, res.stdout
    for rule in rules:
        assert rule in res.stdout
    assert "debt.facilities[EDCF]" in res.stdout and "Traceback" not in res.stdout
    res = _cli("run", _write(tmp_path, raw, "edcf.yaml"), "-o", tmp_path / "never.xlsx")
    assert res.exit_code == 2 and not (tmp_path / "never.xlsx").exists()


def test_edcf_is_accepted_in_bolivia(tmp_path):
    raw = load_raw(BOLIVIA)
    assert raw["debt"]["facilities"][0]["kind"] == "edcf"
    raw["debt"]["facilities"].insert(0, dict(EDCF, name="EDCF phase 2"))
    res = _cli("validate", _write(tmp_path, raw, "bol.yaml"))
    assert res.exit_code == 0, res.stdout


def test_edcf_in_bolivia_needs_a_non_viable_project(tmp_path):
    raw = load_raw(BOLIVIA)
    raw["project"]["commercially_viable"] = True
    res = _cli("validate", _write(tmp_path, raw, "bol.yaml"))
    assert res.exit_code == 2 and "EDCF-AID-PROJECT" in res.stdout


def test_helsinki_concessionality_at_the_ddr_is_an_error_for_hard_terms(tmp_path):
    raw = load_raw(BOLIVIA)
    raw["debt"]["facilities"][0]["rate"] = {"fixed": 0.04}  # 4 %, 40 years: passes DAC (7 %), fails 35 % at DDR
    raw["debt"]["facilities"][0]["grace_years"] = 3
    res = _cli("validate", _write(tmp_path, raw, "bol.yaml"))
    assert res.exit_code == 2 and "HELSINKI-MIN-CONCESSIONALITY" in res.stdout, res.stdout


# --- warnings ---------------------------------------------------------------------------------------------


def _ldc_edpf_raw():
    """Bolivia treated as an LDC with an EDPF loan: EDPF-INCOME is a warning (allowed, EDCF may fit better)."""
    raw = load_raw(BOLIVIA)
    raw["project"]["country_overrides"] = {"ldc": True, "income_group": "LIC"}
    raw["debt"]["facilities"].insert(
        1,
        {
            "name": "EDPF",
            "kind": "edpf",
            "amount": 40_000_000,
            "rate": {"fixed": 0.02},
            "grace_years": 5,
            "maturity_years": 20,
            "repayment": "equal",
        },
    )
    return raw


def test_warnings_for_lists_policy_exceptions():
    assert warnings_for(scenario_from_dict(load_raw(BOLIVIA))) == []
    found = warnings_for(scenario_from_dict(_ldc_edpf_raw()))
    assert [w.rule for w in found] == ["EDPF-INCOME"]
    assert found[0].severity == "warning" and found[0].field_path == "debt.facilities.1.kind"
    raw = load_raw(KUWAIT)
    raw["blending"] = {"method": "dac2018"}
    assert [w.rule for w in warnings_for(scenario_from_dict(raw))] == ["GE-METHOD-HIC"]
    raw = load_raw(BOLIVIA)
    raw["project"]["sme_participation"] = True  # its ECA loan takes the SME co-entry preference: nothing to warn
    assert warnings_for(scenario_from_dict(raw)) == []
    raw["debt"]["facilities"] = [f for f in raw["debt"]["facilities"] if f["kind"] not in ("eca", "edpf")]
    raw["debt"]["facilities"][-1].pop("share", None)
    raw["debt"]["facilities"][-1]["amount"] = 1.0e8  # no KEXIM-lent facility left: the preference is lost
    assert [w.rule for w in warnings_for(scenario_from_dict(raw))] == ["SME-PREFERENCE"]


def test_sme_co_entry_preference_lowers_the_kexim_loan_rate():
    """SME participation takes 0.3 %p (the programme default) off KEXIM-lent facilities' rates (eca, edpf);
    a facility may state its own preference (down to 1 %p) and others are untouched."""
    from finmodel.model import engine

    raw = load_raw(BOLIVIA)
    base = engine.build(scenario_from_dict(raw)).model.evaluate()
    raw["project"]["sme_participation"] = True
    kinds = [f["kind"] for f in raw["debt"]["facilities"]]
    sme = engine.build(scenario_from_dict(raw)).model.evaluate()
    for k, kind in enumerate(kinds, start=1):
        diff = sme[f"d{k}_rate"][0] - base[f"d{k}_rate"][0]
        expected = -0.003 if kind in ("eca", "edpf") else 0.0
        assert abs(diff - expected).max() < 1e-15, (kind, diff)
    eca = kinds.index("eca")
    raw["debt"]["facilities"][eca]["sme_margin_preference"] = -0.01
    own = engine.build(scenario_from_dict(raw)).model.evaluate()
    assert abs(own[f"d{eca + 1}_rate"][0] - base[f"d{eca + 1}_rate"][0] + 0.01).max() < 1e-15
    raw["debt"]["facilities"][eca]["sme_margin_preference"] = -0.02  # beyond the programme's 1 %p
    with pytest.raises(InputError):
        scenario_from_dict(raw)


def test_warnings_in_the_terminal_and_on_the_checks_sheet(tmp_path):
    import openpyxl

    path = _write(tmp_path, _ldc_edpf_raw(), "ldc.yaml")
    res = _cli("validate", path)
    assert res.exit_code == 0 and "warning:" in res.stdout and "EDPF-INCOME" in res.stdout
    out = tmp_path / "ldc.xlsx"
    res = _cli("run", path, "--quiet", "-o", out, "--json", tmp_path / "ldc.json")
    assert res.exit_code == 0 and "EDPF-INCOME" in res.stderr
    js = json.loads((tmp_path / "ldc.json").read_text())
    case = js[0] if isinstance(js, list) else js
    assert case["checks"]["master_check"] is True  # a warning is not a failed check
    assert not any(k.startswith("warning") for k in case["checks"])
    res = _cli("grant-element", path)
    assert res.exit_code == 0 and "EDPF-INCOME" in res.stderr
    ws = openpyxl.load_workbook(out)["Checks"]
    labels = [str(ws.cell(r, 1).value) for r in range(1, ws.max_row + 1)]
    assert any(lab.startswith("WARNING EDPF-INCOME") for lab in labels)
    assert "Warnings (not in the master check)" in labels


# --- finmodel grant-element SCENARIO -----------------------------------------------------------------------


def test_grant_element_scenario_table():
    res = _cli("grant-element", BOLIVIA)
    assert res.exit_code == 0, res.stderr
    for shown in ("EDCF", "edcf tied", "package", "PASS", "(min 15%)", "(min 35%)", "LMIC", "7.00%"):
        assert shown in res.stdout, shown


def test_grant_element_scenario_json_verdicts():
    res = _cli("grant-element", BOLIVIA, "--json", "-")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["scenario"].endswith("bolivia_santa_cruz.yaml") and out["scenario_sha256"] and out["case"] == "base"
    assert out["method"] == "dac2018" and out["discount_rate"] == 0.07
    assert out["checks"]["d1_oda_test"] is True and out["checks"]["d1_helsinki_test"] is True
    assert out["checks"]["package_oda_test"] is True
    assert out["checks"]["d3_oda_test"] is False  # a commercial loan is not ODA-grade
    edcf = out["facilities"][0]
    assert edcf["tied"] and edcf["helsinki"]["discount_rate"] == 0.059  # DDR from CIRR 4.5 %
    assert edcf["grant_element"] == out["metrics"]["d1_grant_element"]
    for key in ("package_grant_element", "wacd", "concessional_share", "mobilisation_ratio"):
        assert key in out["metrics"]


def test_grant_element_scenario_method_and_case():
    imf = json.loads(_cli("grant-element", BOLIVIA, "--method", "imf", "--json", "-").stdout)
    case = json.loads(_cli("grant-element", BOLIVIA, "--case", "imf_method", "--json", "-").stdout)
    assert imf["discount_rate"] == case["discount_rate"] == 0.05
    assert imf["metrics"]["package_grant_element"] == pytest.approx(case["metrics"]["package_grant_element"], abs=1e-12)
    dac = json.loads(_cli("grant-element", BOLIVIA, "--json", "-").stdout)
    assert imf["metrics"]["d1_grant_element"] < dac["metrics"]["d1_grant_element"]  # 5 % < 7 %
    rate = json.loads(_cli("grant-element", BOLIVIA, "--discount-rate", "0.1", "--json", "-").stdout)
    assert rate["method"] == "rate" and rate["discount_rate"] == 0.1


def test_grant_element_kuwait_has_no_oda_verdict():
    out = json.loads(_cli("grant-element", KUWAIT, "--json", "-").stdout)
    assert out["checks"] == {}
    assert "not an ODA recipient" in out["package"]["oda"]["note"]


@pytest.mark.parametrize(
    "args, where",
    [
        ([BOLIVIA, "--rate", "0.01"], "--rate"),  # both
        ([BOLIVIA, "--country", "BOL"], "--country"),
        ([], "neither"),
        (["--rate", "0.01", "--maturity", "20"], "--grace"),
        (["--rate", "0.01", "--maturity", "20", "--grace", "5", "--case", "downside"], "--case"),
        ([BOLIVIA, "--case", "nope"], "nope"),
        ([BOLIVIA, "--method", "imf", "--discount-rate", "0.05"], "--discount-rate"),
        ([KUWAIT, "--method", "ddr"], "--cirr"),
    ],
)
def test_grant_element_usage_errors_exit_2(args, where):
    res = _cli("grant-element", *args)
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert where in res.stderr and "Traceback" not in res.stderr


def test_grant_element_loan_terms_mode_still_works():
    res = _cli("grant-element", "--rate", "0.0015", "--maturity", "40", "--grace", "10", "--country", "LKA")
    assert res.exit_code == 0 and "76.90%" in res.stdout
