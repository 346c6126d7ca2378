"""finmodel simulate / sensitivity end to end (CliRunner in a temporary folder)."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import main
from finmodel.schema import load_raw


def risk_file(tmp_path):
    raw = load_raw()
    raw["risk"] = {"capex_overrun": {"kind": "lognormal", "mean": 1.05, "sd": 0.08}, "demand": {"sd": 0.15}}
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return str(p)


def test_simulate_writes_json_workbook_and_paths(tmp_path):
    path = risk_file(tmp_path)
    out = tmp_path / "o"
    r = CliRunner().invoke(
        main,
        [
            "simulate",
            path,
            "--paths",
            "40",
            "--seed",
            "7",
            "--chunk-size",
            "16",
            "--quiet",
            "-o",
            str(out / "s.xlsx"),
            "--json",
            str(out / "s.json"),
            "--paths-out",
            str(out / "p.csv"),
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads((out / "s.json").read_text())
    for key in ("p_default", "p_min_dscr_below_1", "equity_irr_p10", "equity_irr_p50", "equity_irr_p90"):
        assert key in data["metrics"]
    assert data["seed"] == 7 and data["paths"] == 40 and data["scenario"] == path and data["scenario_sha256"]
    lines = (out / "p.csv").read_text().splitlines()
    assert len(lines) == 41 and lines[0].startswith("path,equity_irr")
    wb = load_workbook(out / "s.xlsx")
    assert "Risk" in wb.sheetnames and "Outputs" in wb.sheetnames
    ws = wb["Risk"]
    assert "seed 7" in ws["A2"].value and "40 paths" in ws["A2"].value


def test_simulate_bad_input_exit_2_and_no_file(tmp_path):
    runner = CliRunner()
    target = tmp_path / "s.json"
    raw = load_raw()
    raw.pop("risk")
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    r = runner.invoke(main, ["simulate", str(plain), "--paths", "10", "--json", str(target)])  # no risk block
    assert r.exit_code == 2 and "risk" in r.output and not target.exists()
    path = risk_file(tmp_path)
    r = runner.invoke(main, ["simulate", path, "--paths", "0"])
    assert r.exit_code == 2 and "--paths" in r.output
    r = runner.invoke(main, ["simulate", path, "--paths", "5", "--paths-out", str(tmp_path / "x.txt")])
    assert r.exit_code == 2 and ".csv or .parquet" in r.output
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        r = runner.invoke(main, ["simulate", path, "--paths", "5", "--paths-out", str(tmp_path / "x.parquet")])
        assert r.exit_code == 2 and "pyarrow" in r.output and not (tmp_path / "x.parquet").exists()


def test_sensitivity_json_and_charts(tmp_path):
    r = CliRunner().invoke(
        main, ["sensitivity", "--quiet", "--json", str(tmp_path / "s.json"), "--charts", str(tmp_path / "charts")]
    )
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "s.json").read_text())
    for key in ("breakeven_revenue_fall", "breakeven_capex_overrun", "breakeven_delay_months", "base_equity_irr"):
        assert data["metrics"][key] is not None
    assert (tmp_path / "charts" / "tornado_equity_irr.png").stat().st_size > 0
    r = CliRunner().invoke(main, ["sensitivity", "--driver", "nope"])
    assert r.exit_code == 2 and "--driver" in r.output
