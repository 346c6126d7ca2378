"""Every command of the command line is a function of :mod:`finmodel.api`: the CLI imports nothing else of the
engine, each command reads each input file once, and what the API returns equals what the command prints or
writes. Also: ``finmodel.simulate(workers=..., explain_paths=...)``, the workers-aware memory estimate, and
``fund --paths`` without ``--first-loss`` refused instead of ignored."""

from __future__ import annotations

import ast
import collections
import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import cli
import finmodel
from finmodel import readfile
from finmodel.errors import InputError
from finmodel.risk import simulation

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BOLIVIA = SCENARIOS / "bolivia_santa_cruz.yaml"
KOTA = SCENARIOS / "kota_kinabalu.yaml"
PORTFOLIO = SCENARIOS / "pis_smart_city_subfund.yaml"
HIGH_RISK = SCENARIOS / "pis_high_risk_subfund.yaml"
PROGRAMME = SCENARIOS / "pis_programme_2019.yaml"


@pytest.fixture(scope="module")
def fm(finmodel_exe, tmp_path_factory):
    """The installed ``finmodel`` in a scratch folder: ``fm(*args) -> CompletedProcess`` (never a traceback)."""
    cwd = tmp_path_factory.mktemp("api commands")

    def run(*args):
        env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
        r = subprocess.run(
            [finmodel_exe, *map(str, args)], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
        )
        assert "Traceback" not in r.stdout + r.stderr, r.stderr
        return r

    return run


# --- the CLI is built on finmodel.api only -------------------------------------------------------------------

PRESENTATION = {
    "finmodel",
    "finmodel.api",
    "finmodel.errors",
    "finmodel.files",
    "finmodel.term",
    "finmodel.outputs.contract",
}
"""What cli.py may import from finmodel: the API, and the presentation and error helpers (version, error types,
signal handling and output-path checks, terminal-safe text, JSON writing)."""


def test_cli_imports_only_the_api_and_presentation_helpers():
    tree = ast.parse((ROOT / "cli.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("finmodel"):
            found |= {node.module} if node.module != "finmodel" else {f"finmodel.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("finmodel")}
    found = {"finmodel" if m == "finmodel.__version__" else m for m in found}
    assert found <= PRESENTATION, sorted(found - PRESENTATION)
    assert "finmodel.api" in found


COMMAND_FUNCTIONS = (
    "load", "run", "validate", "scenario_schema", "new_scenario", "grant_element", "compare", "frontier",
    "programme", "sensitivity", "simulate",
)  # fmt: skip


def test_every_command_s_function_is_exported():
    from finmodel import api

    for name in COMMAND_FUNCTIONS:
        assert name in api.__all__ and name in finmodel.__all__, name
        assert getattr(finmodel, name) is getattr(api, name), name
        assert getattr(api, name).__doc__, name
    assert callable(finmodel.fund) and "fund" in api.__all__  # the package, callable as api.fund


# --- one read per input file per command ---------------------------------------------------------------------


@pytest.fixture
def file_reads(monkeypatch):
    """Count the reads of every input file (every user file goes through ``finmodel.readfile.read_bytes``)."""
    counts = collections.Counter()
    real = readfile.read_bytes

    def counting(path, *args, **kwargs):
        counts[Path(path).name] += 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(readfile, "read_bytes", counting)
    return counts


READ_ONCE = [
    (["run", BOLIVIA, "--case", "all", "--quiet"], {"bolivia_santa_cruz.yaml"}),
    (["validate", BOLIVIA], {"bolivia_santa_cruz.yaml"}),
    (["validate", PORTFOLIO], {"pis_smart_city_subfund.yaml", "bolivia_santa_cruz.yaml", "kuwait_abdullah.yaml"}),
    (["validate", PROGRAMME], {"pis_programme_2019.yaml", "bolivia_santa_cruz.yaml", "iraq_bismaya.yaml"}),
    (["grant-element", BOLIVIA, "--case", "downside"], {"bolivia_santa_cruz.yaml"}),
    (
        ["simulate", BOLIVIA, "--paths", "20", "--workers", "1", "--explain-paths", "5", "--quiet"],
        {"bolivia_santa_cruz.yaml"},
    ),
    (["sensitivity", KOTA, "--quiet", "--driver", "revenue"], {"kota_kinabalu.yaml"}),
    (["fund", PORTFOLIO, "--quiet"], {"pis_smart_city_subfund.yaml", "bolivia_santa_cruz.yaml"}),
    (
        ["sensitivity", KOTA, "--quiet", "--driver", "revenue", "--portfolio", PORTFOLIO],
        {"kota_kinabalu.yaml", "pis_smart_city_subfund.yaml", "bolivia_santa_cruz.yaml"},
    ),
    (["compare", PORTFOLIO, "--quiet", "--paths", "20"], {"pis_smart_city_subfund.yaml", "kuwait_abdullah.yaml"}),
    (["compare", PORTFOLIO, "--quiet"], {"pis_smart_city_subfund.yaml", "kuwait_abdullah.yaml"}),
    (["frontier", HIGH_RISK, "--paths", "20", "--steps", "0,0.2", "--quiet"], {"pis_high_risk_subfund.yaml"}),
    (["programme", PROGRAMME, "--paths", "20", "--quiet"], {"pis_programme_2019.yaml", "iraq_bismaya.yaml"}),
    (["cases", KOTA], {"kota_kinabalu.yaml"}),
]


@pytest.mark.parametrize("args, inputs", READ_ONCE, ids=lambda x: x[0] if isinstance(x, list) else "")
def test_each_command_reads_each_input_file_once(file_reads, args, inputs):
    r = CliRunner().invoke(cli.main, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    assert inputs <= set(file_reads), (inputs, file_reads)
    assert all(n == 1 for n in file_reads.values()), dict(file_reads)


def test_validate_reads_each_file_once_even_when_invalid(file_reads, tmp_path):
    bad = tmp_path / "bad.yaml"
    raw = yaml.safe_load(BOLIVIA.read_text())
    raw["equity_discount_rate"] = 12
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError):
        finmodel.validate(bad)
    assert file_reads == {"bad.yaml": 1}


# --- simulate: workers and explanation -------------------------------------------------------------------------


def test_simulate_with_two_workers_equals_one_worker():
    kw = dict(paths=300, seed=11, chunk_size=64, explain_paths=40)  # 5 chunks: the pool really runs them
    one = finmodel.simulate(BOLIVIA, workers=1, **kw)
    two = finmodel.simulate(BOLIVIA, workers=2, **kw)
    pd.testing.assert_frame_equal(one.paths, two.paths, check_exact=True)
    pd.testing.assert_series_equal(one.summary, two.summary, check_exact=True)
    assert one.raw.default_drivers == two.raw.default_drivers
    assert one.raw.default_drivers and one.raw.default_drivers["paths_held"] == 40


def test_simulate_explain_paths_as_the_command_line():
    none = finmodel.simulate(BOLIVIA, paths=30, seed=3)  # the API's default: no re-runs
    assert not none.raw.default_drivers
    default = finmodel.simulate(BOLIVIA, paths=30, seed=3, explain_paths=None)  # the command's default
    assert default.raw.default_drivers["paths_held"] == 30  # min(paths, 5000)
    pd.testing.assert_frame_equal(none.paths, default.paths, check_exact=True)
    with pytest.raises(InputError) as exc:
        finmodel.simulate(BOLIVIA, paths=30, workers="two")
    assert exc.value.problems[0][0] == "--workers"


def test_simulate_writes_outputs_and_tables(tmp_path):
    sim = finmodel.simulate(BOLIVIA, paths=20, seed=1, json_path=tmp_path / "s.json", paths_out=tmp_path / "p.csv")
    assert sim.written == [tmp_path / "s.json", tmp_path / "p.csv"]
    assert json.loads((tmp_path / "s.json").read_text())["paths"] == 20
    assert len(pd.read_csv(tmp_path / "p.csv")) == 20
    assert sim.tables() and "20 paths" in str(sim.tables()[0].title)


# --- the memory estimate counts every worker's chunk ------------------------------------------------------------


def test_memory_estimate_counts_each_worker_s_chunk(monkeypatch):
    paths, chunk, periods = 40_000, 4_000, 60
    one_chunk = chunk * periods * simulation.CHUNK_BYTES_PER_PATH_PERIOD
    kept = paths * simulation.KEPT_BYTES_PER_PATH
    monkeypatch.setattr(simulation, "memory_limit", lambda: kept + int(1.5 * one_chunk))
    simulation.check_memory(paths, chunk, periods, workers=1)  # one chunk in memory: fits
    with pytest.raises(InputError) as exc:
        simulation.check_memory(paths, chunk, periods, workers=2)  # two chunks at once: does not
    ((option, msg),) = exc.value.problems
    assert option == "--workers"
    assert "expected a run that fits in memory" in msg and "on 2 workers (each holds its own chunk)" in msg
    assert "use fewer --workers" in msg
    # no more workers busy than there are chunks: one chunk of paths, 8 workers -> one chunk held
    simulation.check_memory(chunk, chunk, periods, workers=8)
    # the option check made before the scenario is read counts the workers too (it used to ignore them)
    simulation.check_options(paths, 0, chunk, 1)
    with pytest.raises(InputError):
        simulation.check_options(paths, 0, chunk, 2)


def test_simulate_command_refuses_a_run_too_big_for_its_workers(fm):
    have = simulation.memory_limit()
    periods = finmodel.run(BOLIVIA).results[0].model.periods
    chunk = int(0.6 * have / (periods * simulation.CHUNK_BYTES_PER_PATH_PERIOD))  # one chunk: 60 % of the limit
    r = fm("simulate", BOLIVIA, "--paths", 4 * chunk, "--chunk-size", chunk, "--workers", 2, "--quiet")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("error: --workers: expected a run that fits in memory"), r.stderr
    assert "on 2 workers" in r.stderr and len(r.stderr.strip().splitlines()) == 1


# --- fund: --paths only with --first-loss ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, option",
    [
        (["--paths", "50"], "--paths"),
        (["--correlation", "0.3"], "--correlation"),
        (["--seed", "0"], "--seed"),  # even the default value: given, it would be ignored
        (["--first-loss", "severe", "--max-expected-loss", "0.01"], "--max-expected-loss"),
    ],
)
def test_fund_refuses_monte_carlo_options_it_would_ignore(fm, tmp_path, extra, option):
    out = tmp_path / "fund.json"
    r = fm("fund", PORTFOLIO, "--json", out, *extra)
    assert r.returncode == 2
    assert r.stderr.startswith(f"error: {option}: expected with --first-loss"), r.stderr
    assert not out.exists()


@pytest.mark.parametrize("extra, option", [(["--seed", "3"], "--seed"), (["--correlation", "0.2"], "--correlation")])
def test_compare_refuses_monte_carlo_options_without_paths(fm, tmp_path, extra, option):
    out = tmp_path / "compare.json"
    r = fm("compare", PORTFOLIO, "--json", out, *extra)
    assert r.returncode == 2
    assert r.stderr.startswith(f"error: {option}: expected with --paths N, found {option} without --paths"), r.stderr
    assert not out.exists()


def test_fund_api_refuses_paths_without_first_loss():
    with pytest.raises(InputError) as exc:
        finmodel.fund(PORTFOLIO, paths=50)
    assert [p for p, _ in exc.value.problems] == ["--paths"]
    assert "finmodel compare --paths" in exc.value.problems[0][1]


# --- grant element ---------------------------------------------------------------------------------------------


def test_grant_element_of_a_scenario_equals_the_command_s_json(fm):
    r = fm("grant-element", BOLIVIA, "--json", "-")
    assert r.returncode == 0, r.stderr
    cli_json = json.loads(r.stdout)
    ge = finmodel.grant_element(finmodel.load(BOLIVIA))
    table = ge.grant_elements
    assert list(table.index) == [f["name"] for f in cli_json["facilities"]] + ["package"]
    for f in cli_json["facilities"]:
        assert table.loc[f["name"], "grant_element"] == f["grant_element"]
        assert table.loc[f["name"], "oda_passes"] == f["oda"]["passes"]
    assert ge.metrics.to_dict() == pytest.approx(
        {k: (float("nan") if v is None else v) for k, v in cli_json["metrics"].items()}, nan_ok=True
    )
    assert ge.checks.to_dict() == cli_json["checks"]
    assert ge.contract_json()["scenario_sha256"] == cli_json["scenario_sha256"]


def test_grant_element_of_terms_equals_the_command(fm, tmp_path):
    args = dict(annual_rate=0.02, maturity_years=20, grace_years=5, repayment="annuity", country="BOL")
    ge = finmodel.grant_element(**args, json_path=tmp_path / "ge.json")
    r = fm(
        "grant-element", "--rate", 0.02, "--maturity", 20, "--grace", 5, "--repayment", "annuity", "--country", "BOL"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ge.lines()
    row = ge.grant_elements.loc["loan"]
    assert (
        row["grant_element"] == json.loads((tmp_path / "ge.json").read_text())["metrics"]["grant_element_closed_form"]
    )
    assert ge.written == [tmp_path / "ge.json"]


@pytest.mark.parametrize(
    "kwargs, option",
    [
        (dict(annual_rate=0.02, maturity_years=20), ""),  # no grace
        (dict(annual_rate=0.02, maturity_years=20, grace_years=5, country="XXX"), "--country"),
        (dict(annual_rate=0.02, maturity_years=20, grace_years=5, method="imf", discount_rate=0.05), "--discount-rate"),
        (dict(annual_rate=0.02, maturity_years=20, grace_years=25, method="imf"), "--grace"),
        (dict(annual_rate=0.02, maturity_years=20, grace_years=5, periods_per_year=3), "--periods-per-year"),
    ],
)
def test_grant_element_errors_name_the_command_s_options(kwargs, option):
    with pytest.raises(InputError) as exc:
        finmodel.grant_element(**kwargs)
    assert exc.value.problems[0][0] == option


def test_grant_element_refuses_scenario_and_terms_together():
    with pytest.raises(InputError) as exc:
        finmodel.grant_element(BOLIVIA, annual_rate=0.02)
    assert exc.value.problems[0][0] == "--rate"


# --- frontier, programme, schema, new --------------------------------------------------------------------------


def test_frontier_points_equal_the_command_s_json(fm):
    r = fm("frontier", HIGH_RISK, "--paths", 40, "--seed", 2, "--steps", "0,0.25", "--json", "-")
    assert r.returncode == 0, r.stderr
    points = pd.DataFrame(json.loads(r.stdout)["points"]).set_index("government_share").drop(columns="commitments")
    f = finmodel.frontier(HIGH_RISK, paths=40, seed=2, steps="0,0.25")
    pd.testing.assert_frame_equal(f.points[points.columns], points, check_dtype=False)


def test_programme_tranches_equal_the_command_s_json(fm):
    r = fm("programme", PROGRAMME, "--paths", 30, "--seed", 4, "--json", "-")
    assert r.returncode == 0, r.stderr
    tranches = json.loads(r.stdout)["tranches"]
    p = finmodel.programme(PROGRAMME, paths=30, seed=4)
    assert list(p.tranches.index) == list(tranches)
    for name, d in tranches.items():
        assert p.tranches.loc[name, "expected_loss_krw"] == d["expected_loss_krw"]
        assert p.tranches.loc[name, "irr_p50"] == pytest.approx(d["irr"]["p50"], nan_ok=True)


def test_schema_equals_the_command_s(fm):
    r = fm("schema")
    assert json.loads(r.stdout) == finmodel.scenario_schema()
    assert fm("schema", "--format", "markdown").stdout == finmodel.scenario_schema("markdown") + "\n"
    with pytest.raises(InputError):
        finmodel.scenario_schema("xml")


def test_new_scenario_writes_a_file_that_runs(tmp_path):
    path = finmodel.new_scenario(tmp_path / "my deal [x]", "lmic-edcf-koica")
    assert path == tmp_path / "my deal [x].yaml"
    sc = finmodel.load(path)
    assert sc.project.name == "my deal [x]" and sc.risk is not None
    with pytest.raises(InputError):
        finmodel.new_scenario(tmp_path / "my deal [x]")  # exists
    assert finmodel.new_scenario(tmp_path / "my deal [x]", force=True) == path
