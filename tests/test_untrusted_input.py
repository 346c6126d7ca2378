"""Untrusted input at the reading and code-generation boundary (issue 10): user text never becomes code, files
are bounded before they are parsed, degenerate values are refused, failed integrity checks are not success.

The commands run as users run them: the installed ``finmodel`` as a subprocess, from a temporary folder, with
absolute paths.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from finmodel import readfile
from finmodel.errors import FinmodelError, InputError, ScenarioFileError
from finmodel.inputs.validation import scenario_from_dict
from finmodel.model import engine
from finmodel.rows import Model, check_name
from finmodel.schema import default_scenario_bytes

FINMODEL = Path(sys.executable).parent / "finmodel"


def _finmodel() -> str:
    if FINMODEL.exists():
        return str(FINMODEL)
    found = shutil.which("finmodel")
    if found is None:  # the package must be installed (pip install -e .) for these tests
        pytest.fail("the finmodel command is not installed beside the running Python")
    return found


def cli(*args, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_finmodel(), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def default_raw() -> dict:
    return yaml.safe_load(default_scenario_bytes())


def dump(path: Path, raw) -> Path:
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


CODE = "__import__('pathlib').Path('CANARY').touch()"


# --- user text never becomes code -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        ("opex", 0, "name"),
        ("debt", "facilities", 0, "name"),
        ("revenues", 0, "name"),
        ("sponsors", 0, "name"),
        ("project", "name"),
        ("project", "sector"),
    ],
)
def test_newline_code_in_a_name_is_refused_and_never_runs(tmp_path, field):
    raw = default_raw()
    node = raw
    for key in field[:-1]:
        node = node[key]
    node[field[-1]] = f"O&M\n    {CODE}"
    path = dump(tmp_path / "inj.yaml", raw).resolve()
    for command in (["run", path, "-o", tmp_path / "out.xlsx"], ["validate", path]):
        r = cli(*command, cwd=tmp_path)
        assert r.returncode == 2, r.stderr
        assert "Traceback" not in r.stderr + r.stdout
        assert ".".join(map(str, field)) in r.stderr + r.stdout
        assert "control characters" in r.stderr + r.stdout
    assert not (tmp_path / "CANARY").exists()
    assert not (tmp_path / "out.xlsx").exists()


def test_generated_code_holds_no_user_text(tmp_path, monkeypatch):
    """Names that pass validation (no control characters) but look like code are labels only: the generated
    evaluation source never contains them, and running the model executes nothing of them."""
    monkeypatch.chdir(tmp_path)
    hostile = f'x"]) or {CODE} #'
    raw = default_raw()
    raw["project"]["name"] = hostile
    raw["opex"][0]["name"] = hostile
    raw["debt"]["facilities"][0]["name"] = "EDPF'] + " + CODE
    raw["sponsors"][0]["name"] = "{" + CODE + "}"
    sc = scenario_from_dict(raw, "hostile")
    b = engine.build(sc)
    values = b.model.evaluate(engine.solve(b))
    assert values  # the model ran
    for scalar_mode in (True, False):
        src = b.model.compiled(scalar_mode).source
        assert "def _run" in src and "V['cfads']" in src  # the whole plan was generated
        assert "__import__" not in src and "CANARY" not in src and "#" not in src
    assert not (tmp_path / "CANARY").exists()


@pytest.mark.parametrize("bad", ["a\nb", "A", "1a", "a-b", "", "a" * 81, "é", None, 3])
def test_model_names_are_strict_identifiers(bad):
    with pytest.raises(FinmodelError):
        check_name(bad)
    with pytest.raises(FinmodelError):
        Model(4).add_input(bad, 1.0, "label")


def test_model_name_pattern_accepts_finmodel_names():
    assert check_name("d1_closing") == "d1_closing"
    m = Model(2)
    m.add_input("in_x", 1.0, "a label with\nanything in it")  # labels are data, not code
    assert "in_x" in m.inputs


# --- free text --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, reason",
    [
        ("a\rb", "carriage return"),
        ("a\tb", "tab"),
        ("a\x1b[31mred", "escape"),
        ("a\x00b", "NUL"),
        ("a\x85b", "U+0085"),
        ("x" * 1001, "at most 1,000 characters"),
    ],
)
def test_control_characters_and_long_text_refused_everywhere(text, reason):
    raw = default_raw()
    raw["cases"]["downside"]["description"] = text
    with pytest.raises(ScenarioFileError) as exc:
        scenario_from_dict(raw, "t")
    assert exc.value.problems[0][0] == "cases.downside.description"
    assert reason in exc.value.problems[0][1]


def test_text_that_is_only_unusual_is_accepted():
    raw = default_raw()
    raw["project"]["name"] = '스마트시티 [draft] =HYPERLINK("x") مشروع 🚇'
    sc = scenario_from_dict(raw, "t")
    assert sc.project.name == raw["project"]["name"]


def test_control_character_in_a_key_refused(tmp_path):
    raw = default_raw()
    raw["cases"]["bad\x1bcase"] = {"description": "x"}
    with pytest.raises(ScenarioFileError) as exc:
        scenario_from_dict(raw, "t")
    assert "escape" in exc.value.problems[0][1]


# --- bounded reading --------------------------------------------------------------------------------------


def _assert_refused(r: subprocess.CompletedProcess, *words):
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout
    for w in words:
        assert w in r.stderr + r.stdout, (w, r.stderr)


def test_special_files_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    _assert_refused(cli("run", fifo, cwd=tmp_path, timeout=30), "fifo")
    _assert_refused(cli("validate", fifo, cwd=tmp_path, timeout=30), "fifo")
    _assert_refused(cli("run", "/dev/zero", cwd=tmp_path, timeout=30), "character device")
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    with pytest.raises(ScenarioFileError, match="directory"):
        readfile.read_bytes(folder)


def test_size_cap(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.truncate(readfile.MAX_INPUT_BYTES + 1)
    with pytest.raises(ScenarioFileError, match="bytes"):
        readfile.read_bytes(big)
    _assert_refused(cli("run", big.resolve(), cwd=tmp_path, timeout=30), "limit")


def test_nesting_and_alias_bombs_refused(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 5000 + "]" * 5000, encoding="utf-8")
    _assert_refused(cli("run", deep, cwd=tmp_path, timeout=30), "levels of nesting")
    block = "project:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(60)) + "  " * 61 + "v: 1\n"
    with pytest.raises(ScenarioFileError, match="nesting"):
        readfile.parse_yaml(block.encode(), "t")
    bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdef", "bcdefg", strict=True):
        bomb.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(bomb) + "\n", encoding="utf-8")
    _assert_refused(cli("validate", path, cwd=tmp_path, timeout=30), "aliases")


def test_yaml_errors_give_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("project: {name: x\ntimeline: [1, 2\n", encoding="utf-8")
    _assert_refused(cli("validate", path, cwd=tmp_path), "line ")


@pytest.mark.parametrize(
    "date, words",
    [
        ("2027-02-30", ["timeline.start_date", "2027-02-30"]),
        ("0001-01-01", ["timeline.start_date", "from 1990-01-01"]),
        ("9999-12-31", ["timeline.start_date", "9999-12-31"]),
    ],
)
def test_out_of_range_dates_refused_with_the_field(tmp_path, date, words):
    text = yaml.safe_dump(default_raw(), sort_keys=False).replace("start_date: 2027-01-01", f"start_date: {date}")
    assert f"start_date: {date}" in text
    path = tmp_path / "date.yaml"
    path.write_text(text, encoding="utf-8")
    _assert_refused(cli("run", path.resolve(), cwd=tmp_path), *words)


def test_portfolio_files_are_read_the_same_way(tmp_path):
    os.mkfifo(tmp_path / "p.yaml")
    _assert_refused(cli("fund", tmp_path / "p.yaml", cwd=tmp_path, timeout=30), "fifo")


# --- degenerate models ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, value, words",
    [
        (("drivers", "revenue_factor"), 0, "drivers.revenue_factor"),
        (("drivers", "capex_factor"), 1e300, "drivers.capex_factor"),
        (("capex", "amount"), 1e-300, "capex.amount"),
        (("capex", "amount"), 1e300, "capex.amount"),
        (("opex", 0, "amount"), 1e-300, "opex.0.amount"),
        (("timeline", "periods_per_year"), True, "timeline.periods_per_year"),
    ],
)
def test_degenerate_values_refused(path, value, words):
    raw = default_raw()
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(InputError) as exc:
        scenario_from_dict(raw, "t")
    assert words in str(exc.value)


def test_failed_integrity_check_is_not_success(tmp_path, monkeypatch):
    """A run whose integrity checks fail exits 1 and names them (simulated: the engine cannot be made to fail
    on valid input, which is the point of the checks)."""
    real = engine.CaseResult.checks

    def broken(self, path=0):
        out = real(self, path)
        out["check_sources_uses"] = False
        out["master_check"] = False
        return out

    monkeypatch.setattr(engine.CaseResult, "checks", broken)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["run", "--quiet", "--json", "out.json"])
    assert r.exit_code == 1, r.output
    assert "integrity checks failed" in r.output
    assert "check_sources_uses" in r.output and "Sources = uses" in r.output
