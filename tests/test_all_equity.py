"""An all-equity project through every command that takes a scenario (issue 22).

The embedded default (Kota Kinabalu) with its facilities removed: no debt rows, cover ratios not applicable (blank
in the JSON, ``n/a`` in the summary), every check true. Run as users run it: the installed ``finmodel`` in a
subprocess, from another folder, with absolute paths.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FINMODEL = shutil.which("finmodel")
pytestmark = pytest.mark.skipif(FINMODEL is None, reason="the finmodel command is not installed")


def _cli(cwd, *args, ok=(0,)):
    p = subprocess.run([FINMODEL, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert p.returncode in ok, (args, p.returncode, p.stdout[-2000:], p.stderr[-2000:])
    assert "Traceback" not in p.stderr
    return p


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("all equity [x]")
    raw = yaml.safe_load((ROOT / "finmodel" / "scenarios" / "default.yaml").read_text(encoding="utf-8"))
    raw["project"]["name"] = "All-equity smart water"
    raw["debt"]["facilities"] = []
    (d / "all equity.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    portfolio = yaml.safe_load((ROOT / "scenarios" / "pis_smart_city_subfund.yaml").read_text(encoding="utf-8"))
    for project in portfolio["projects"]:
        sc = project["scenario"]
        project["scenario"] = str(d / "all equity.yaml") if sc == "default" else str(ROOT / "scenarios" / sc)
    (d / "portfolio.yaml").write_text(yaml.safe_dump(portfolio, sort_keys=False), encoding="utf-8")
    return d


def test_run_writes_every_output_with_every_check_true(folder, tmp_path):
    sc = folder / "all equity.yaml"
    p = _cli(tmp_path, "run", sc, "--case", "all", "-o", tmp_path / "ae.xlsx", "--json", tmp_path / "ae.json")
    assert "Master check" in p.stdout and "FAILED" not in p.stdout
    js = json.loads((tmp_path / "ae.json").read_text(encoding="utf-8"))
    for case in js.get("cases") or [js]:
        assert all(case["checks"].values()), case["case"]
        m = case["metrics"]
        assert m["total_debt"] == 0 and m["gearing"] == 0
        assert m["min_dscr"] is None and m["min_llcr"] is None  # not applicable
        assert not any(k.startswith("d1_") for k in m)  # no facility rows
    wb = openpyxl.load_workbook(tmp_path / "ae.xlsx")
    assert "Checks" in wb.sheetnames and "min_dscr" in wb.defined_names
    back = _cli(tmp_path, "export", tmp_path / "ae.xlsx", "-o", tmp_path / "back.yaml")
    assert "no edits" in back.stdout
    assert yaml.safe_load((tmp_path / "back.yaml").read_text(encoding="utf-8"))["debt"]["facilities"] == []
    rerun = json.loads(_cli(tmp_path, "run", tmp_path / "ae.xlsx", "--json", "-").stdout)
    assert all(all(case["checks"].values()) for case in rerun.get("cases") or [rerun])


@pytest.mark.parametrize(
    "args",
    [
        ("validate",),
        ("cases",),
        ("sensitivity",),
        ("grant-element",),
        ("simulate", "--paths", "300", "--seed", "3", "--explain-paths", "0"),
    ],
    ids=lambda a: a[0],
)
def test_every_scenario_command_runs(folder, tmp_path, args):
    cmd, *rest = args
    p = _cli(tmp_path, cmd, folder / "all equity.yaml", *rest, "--json", tmp_path / "out.json")
    js = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert js, p.stdout
    if cmd == "simulate":
        assert js["metrics"]["p_default"] == 0  # nothing to default on
    if cmd == "grant-element":
        assert "package" in p.stdout and not any(k.startswith("d1_") for k in js["metrics"])  # the grant alone


@pytest.mark.parametrize(
    "args",
    [("fund",), ("compare",), ("compare", "--paths", "200", "--seed", "1")],
    ids=lambda a: "-".join(a),
)
def test_a_portfolio_with_an_all_equity_project(folder, tmp_path, args):
    cmd, *rest = args
    _cli(tmp_path, cmd, folder / "portfolio.yaml", *rest, "--json", tmp_path / "out.json")
    js = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert js
    text = json.dumps(js)
    assert "NaN" not in text and not math.isnan(len(text))
