"""`finmodel run` end to end (click CliRunner in a temporary directory): the summary, the JSON of the output
contract, the workbook, several cases, and bad input (exit 2, no traceback, no file left behind)."""

from __future__ import annotations

import hashlib
import json

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from finmodel import __version__
from finmodel.schema import default_scenario_bytes, load_raw

REQUIRED_METRICS = [
    "project_irr",
    "equity_irr",
    "min_dscr",
    "avg_dscr",
    "min_llcr",
    "total_capex",
    "total_debt",
    "total_equity",
    "gearing",
]


def invoke(*args):
    return CliRunner().invoke(main, ["run", *map(str, args)])


def write_scenario(tmp_path, raw, name="scenario.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def assert_bad_input(result, *words):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for w in words:
        assert w in result.output, (w, result.output)


def test_run_default_prints_summary(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = invoke()
    assert r.exit_code == 0, r.output
    assert "Kota Kinabalu" in r.output
    for name in ("Equity IRR", "Minimum DSCR", "Gearing", "Master check", "Debt sized by", "base: meets targets"):
        assert name in r.output
    assert list(tmp_path.iterdir()) == []  # no file unless asked


def test_run_json_output_contract(tmp_path):
    out = tmp_path / "out.json"
    r = invoke("--json", out, "--quiet")
    assert r.exit_code == 0, r.output
    assert out.exists()
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"finmodel_version", "scenario", "scenario_sha256", "case", "metrics", "checks"} <= set(data)
    assert data["finmodel_version"] == __version__
    assert data["scenario"] == "<default>"
    assert data["scenario_sha256"] == hashlib.sha256(default_scenario_bytes()).hexdigest()
    assert data["case"] == "base"
    for name in REQUIRED_METRICS:
        assert isinstance(data["metrics"][name], float), name
    assert 0 < data["metrics"]["gearing"] < 1
    assert data["metrics"]["total_debt"] + data["metrics"]["total_equity"] == pytest.approx(
        data["metrics"]["total_uses"] - data["metrics"]["total_grants"], rel=1e-9
    )  # sources = uses, through the JSON
    assert data["checks"] and all(v is True for v in data["checks"].values())
    assert "master_check" in data["checks"]


def test_run_scenario_file_records_its_hash(tmp_path):
    path = tmp_path / "copy.yaml"
    path.write_bytes(default_scenario_bytes())
    out = tmp_path / "out.json"
    r = invoke(path, "--json", out, "--quiet")
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["scenario"] == str(path)
    assert data["scenario_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_writes_workbook(tmp_path):
    out = tmp_path / "model.xlsx"
    r = invoke("-o", out, "--quiet")
    assert r.exit_code == 0, r.output
    assert out.exists() and out.stat().st_size > 0
    assert str(out) in r.output
    wb = openpyxl.load_workbook(out)
    for sheet in ("Inputs", "Timing", "Debt", "Waterfall", "Outputs", "Checks"):
        assert sheet in wb.sheetnames
    for name in REQUIRED_METRICS + ["master_check"]:
        assert name in wb.defined_names, name


def test_run_several_cases(tmp_path):
    js, xl = tmp_path / "cases.json", tmp_path / "cases.xlsx"
    r = invoke("--case", "base", "--case", "downside", "--case", "capex_overrun", "--json", js, "-o", xl)
    assert r.exit_code == 0, r.output
    for case in ("base", "downside", "capex_overrun"):
        assert case in r.output
    data = json.loads(js.read_text(encoding="utf-8"))
    assert [c["case"] for c in data["cases"]] == ["base", "downside", "capex_overrun"]
    assert data["finmodel_version"] == __version__ and data["scenario_sha256"]
    base, down, overrun = data["cases"]
    for c in data["cases"]:
        assert set(REQUIRED_METRICS) <= set(c["metrics"])
        assert c["checks"]["check_sources_uses"] and c["checks"]["check_cash_conserved"]
    # the downside (revenue -15 %, opex +10 %, rates +1 %) on the base financing lowers the cover
    assert down["metrics"]["min_dscr"] < base["metrics"]["min_dscr"]
    assert down["metrics"]["total_debt"] == pytest.approx(base["metrics"]["total_debt"], rel=1e-12)
    assert overrun["metrics"]["total_capex"] == pytest.approx(1.15 * base["metrics"]["total_capex"], rel=1e-12)
    wb = openpyxl.load_workbook(xl)
    assert "Cases" in wb.sheetnames


def test_run_unknown_case(tmp_path):
    out = tmp_path / "out.json"
    r = invoke("--case", "nope", "--json", out)
    assert_bad_input(r, "'nope'", "base", "downside", "capex_overrun")
    assert not out.exists()


def test_run_bad_scenario_file(tmp_path):
    raw = load_raw(None)
    raw["tax"]["rate"] = 24  # 24 where 0.24 is meant
    path = write_scenario(tmp_path, raw)
    new_xlsx, new_json = tmp_path / "new.xlsx", tmp_path / "new.json"
    r = invoke(path, "-o", new_xlsx, "--json", new_json)
    assert_bad_input(r, "tax.rate", "24")
    assert not new_xlsx.exists() and not new_json.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.yaml"]  # no temporary file left either


def test_run_bad_scenario_leaves_existing_outputs_untouched(tmp_path):
    raw = load_raw(None)
    raw["timeline"].pop("operation_years")
    path = write_scenario(tmp_path, raw)
    xlsx, js = tmp_path / "old.xlsx", tmp_path / "old.json"
    xlsx.write_bytes(b"previous workbook bytes")
    js.write_bytes(b'{"previous": true}\n')
    r = invoke(path, "-o", xlsx, "--json", js)
    assert_bad_input(r, "timeline.operation_years")
    assert xlsx.read_bytes() == b"previous workbook bytes"
    assert js.read_bytes() == b'{"previous": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.json", "old.xlsx", "scenario.yaml"]


def test_run_missing_scenario_file(tmp_path):
    r = invoke(tmp_path / "nowhere.yaml")
    assert_bad_input(r, "nowhere.yaml")


@pytest.mark.parametrize(
    "args, words",
    [
        (["-o", "out.txt"], ["--output", ".xlsx", "out.txt"]),
        (["--json", "out.xlsx"], ["--json", ".json"]),
    ],
)
def test_run_bad_output_names(tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    r = invoke(*args)
    assert_bad_input(r, *words)
    assert list(tmp_path.iterdir()) == []


def test_scenario_name_formula_stays_text(tmp_path):
    name = '=HYPERLINK("http://x","y")'
    raw = load_raw(None)
    raw["project"]["name"] = name
    path = write_scenario(tmp_path, raw)
    out = tmp_path / "model.xlsx"
    r = invoke(path, "-o", out, "--quiet")
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                    found.append(cell)
    assert found, "the scenario name is not in the workbook"
    for cell in found:
        assert cell.value == name or name in cell.value
        assert cell.data_type == "s", (cell.parent.title, cell.coordinate, cell.data_type)
