"""The installed ``finmodel`` run as users run it: a subprocess started in a scratch folder, with paths typed
absolute, relative, from another folder, with spaces, brackets and non-ASCII letters, on every command.
User text (names, paths) prints as written, never as rich markup nor as terminal escape sequences."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
AWKWARD = "deals [draft] Café 한글"  # spaces, brackets (rich markup), accents, Hangul


@pytest.fixture(scope="module")
def fm(finmodel_exe):
    """Run the installed finmodel in ``cwd``; fail on a traceback or an escape sequence in any output."""

    def run(cwd, *args, timeout=300):
        env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
        r = subprocess.run(
            [finmodel_exe, *map(str, args)], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout
        )
        for stream in (r.stdout, r.stderr):
            assert "Traceback" not in stream, stream
            assert "\x1b" not in stream, stream  # nothing drives the terminal
        return r

    return run


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """``(work, deals)``: a scratch working folder and, beside it, an awkwardly named folder of scenarios."""
    base = tmp_path_factory.mktemp("paths")
    deals = base / AWKWARD
    deals.mkdir()
    for name in ("kota_kinabalu", "bolivia_santa_cruz", "iraq_bismaya"):
        shutil.copy(SCENARIOS / f"{name}.yaml", deals / f"{name} [v2].yaml")
    portfolio = yaml.safe_load((SCENARIOS / "pis_smart_city_subfund.yaml").read_text())
    for p in portfolio["projects"]:  # the portfolio's projects, as paths relative to the portfolio file
        if p["scenario"] == "default":  # the embedded default scenario
            continue
        src = (SCENARIOS / p["scenario"]).resolve()
        shutil.copy(src, deals / src.name)
        p["scenario"] = src.name
    (deals / "fund [x].yaml").write_text(yaml.safe_dump(portfolio, sort_keys=False))
    work = base / "work here"
    work.mkdir()
    return work, deals


def _forms(work, deals, name):
    """The same file as an absolute path, relative from a sibling folder, and relative inside its folder."""
    absolute = deals / name
    return [(work, absolute), (work, Path("..") / AWKWARD / name), (deals, Path(name))]


@pytest.mark.parametrize("form", [0, 1, 2], ids=["absolute", "from-another-folder", "relative"])
def test_run_every_path_form_writes_and_prints_the_path_as_typed(fm, place, form):
    work, deals = place
    cwd, scenario = _forms(work, deals, "kota_kinabalu [v2].yaml")[form]
    out = cwd / f"out [{form}] é"
    r = fm(cwd, "run", scenario, "-o", out / "m [1].xlsx", "--json", out / "r [1].json", "--charts", out / "ch [1]")
    assert r.returncode == 0, r.stderr
    assert f"scenario: {scenario}" in r.stdout  # the path exactly as typed, brackets included
    assert (out / "m [1].xlsx").stat().st_size > 0
    data = json.loads((out / "r [1].json").read_text())
    assert data["scenario"] == str(scenario)
    assert data["metric_info"]["min_dscr"] == {
        "label": "Minimum DSCR",
        "unit": "x",
        "definition": "smallest DSCR = CFADS / senior debt service due, over the periods with senior debt service",
    }
    assert list((out / "ch [1]").glob("*.png"))
    for line in r.stdout.splitlines():  # the summary is laid out for 100 columns; a long path is what it is
        assert len(line) <= 100 or line.startswith("wrote ") or str(scenario) in line, line


@pytest.mark.parametrize(
    ("command", "name", "extra", "expect"),
    [
        ("validate", "iraq_bismaya [v2].yaml", [], "OK "),
        ("cases", "iraq_bismaya [v2].yaml", [], "political_event"),
        ("grant-element", "bolivia_santa_cruz [v2].yaml", [], "EDCF"),
        ("sensitivity", "kota_kinabalu [v2].yaml", ["--driver", "revenue"], "Tornado"),
        ("simulate", "bolivia_santa_cruz [v2].yaml", ["--paths", "64", "--seed", "1", "--quiet"], None),
        ("fund", "fund [x].yaml", [], "private"),
        ("compare", "fund [x].yaml", [], "gif"),
    ],
)
@pytest.mark.parametrize("form", [0, 1], ids=["absolute", "from-another-folder"])
def test_every_command_takes_awkward_paths(fm, place, command, name, extra, expect, form):
    work, deals = place
    cwd, path = _forms(work, deals, name)[form]
    js = work / f"{command} [{form}].json"
    args = [command, path, *extra] + ([] if command in ("validate", "cases") else ["--json", js])
    r = fm(cwd, *args)
    assert r.returncode == 0, r.stdout + r.stderr
    if expect:
        assert expect in r.stdout
    if command not in ("validate", "cases"):
        assert json.loads(js.read_text())


def test_json_dash_is_standard_output_and_nothing_else(fm, place):
    work, deals = place
    r = fm(work, "run", deals / "iraq_bismaya [v2].yaml", "--case", "all", "--json", "-")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)  # stdout is the JSON alone
    assert [c["case"] for c in data["cases"]][0] == "base" and len(data["cases"]) >= 3
    g = fm(
        work, "grant-element", "--rate", "0.001", "--maturity", "40", "--grace", "10", "--method", "imf", "--json", "-"
    )
    assert g.returncode == 0, g.stderr
    assert json.loads(g.stdout)["grant_element_closed_form"] > 0.5


def test_validate_and_cases_json(fm, place, tmp_path):
    work, deals = place
    raw = yaml.safe_load((SCENARIOS / "kota_kinabalu.yaml").read_text())
    raw["debt"]["facilities"][0]["rate"] = {"fixed": 2.5}
    bad = tmp_path / "bad [1].yaml"
    bad.write_text(yaml.safe_dump(raw, sort_keys=False))
    r = fm(work, "validate", deals / "iraq_bismaya [v2].yaml", bad, "--json", "-")
    assert r.returncode == 2
    files = json.loads(r.stdout)["files"]
    assert [f["ok"] for f in files] == [True, False]
    (problem,) = files[1]["problems"]
    assert problem["field"] == "debt.facilities[EDPF].rate.fixed"
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), start=1) if "fixed: 2.5" in text)
    assert problem["message"].endswith(f"(line {line})")
    c = fm(work, "cases", deals / "iraq_bismaya [v2].yaml", "--json", "-")
    assert [x["name"] for x in json.loads(c.stdout)["cases"]][:2] == ["base", "default"]


def test_new_from_another_folder_runs_as_created(fm, place):
    work, deals = place
    target = deals / "nouveau [1]"
    r = fm(work, "new", target, "--template", "lmic-edcf-koica")
    assert r.returncode == 0, r.stderr
    assert f"wrote {target}.yaml" in r.stdout
    assert yaml.safe_load(Path(f"{target}.yaml").read_text())["project"]["name"] == "nouveau [1]"
    run = fm(deals, "run", "nouveau [1].yaml", "--quiet")
    assert run.returncode == 0, run.stderr


def test_user_text_prints_as_written(fm, place):
    """Rich markup in a project, facility or sponsor name and in a path is printed literally."""
    work, deals = place
    raw = yaml.safe_load((SCENARIOS / "kota_kinabalu.yaml").read_text())
    raw["project"]["name"] = "a [/] b [bold red]x[/bold red] \\"
    raw["debt"]["facilities"][0]["name"] = "[link=http://x]EDPF[/link]"
    raw["sponsors"][0]["name"] = "[blink]Sponsor[/blink]"
    path = deals / "[bold]markup[red].yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    r = fm(work, "run", path)
    assert r.returncode == 0, r.stderr
    for text in (
        "a [/] b [bold red]x[/bold red] \\",
        "[link=http://x]EDPF[/link]",
        "[blink]Sponsor[/blink]",
        str(path),
    ):
        assert text in r.stdout, text
    # the same names in an error message: a case that does not exist, named with markup
    bad = fm(work, "run", path, "--case", "[red]nope[/red]")
    assert bad.returncode == 2 and "[red]nope[/red]" in bad.stderr


def test_control_characters_never_reach_the_terminal(fm, place):
    """An escape sequence in a name either is refused (exit 2) or prints as visible text; never raw."""
    work, deals = place
    raw = yaml.safe_load((SCENARIOS / "kota_kinabalu.yaml").read_text())
    raw["project"]["name"] = "evil \x1b]0;title\x07 \x1b[31mred"
    path = deals / "esc.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    r = fm(work, "run", path)  # fm() asserts no ESC in either stream
    assert r.returncode in (0, 2)
