"""Hostile input against every command, run as a user runs it: the installed ``finmodel`` in a subprocess.

Each run must end with exit 0 or 2 (1 only where a write is made impossible on purpose), no traceback, no code
executed (a canary file that code injected through a name would create), no file created after a refusal, and no
existing file changed that should not be. Property-based over the free-text fields (hypothesis: control
characters, rich markup, formula prefixes, 40 kB strings, Korean, right-to-left text, emoji). Subprocess runs
take ~1-2 s each: example counts are kept small so the module stays within ~2 minutes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import in_ci

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
CANARY = "CANARY"


def _installed_finmodel() -> str | None:
    beside = Path(sys.executable).parent / "finmodel"
    if beside.exists():
        return str(beside)
    return shutil.which("finmodel")


FINMODEL = _installed_finmodel()


@pytest.fixture(autouse=True)
def _need_installed_finmodel():
    if FINMODEL is None:
        msg = "the finmodel command is not installed beside this Python (pip install -e .)"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)


def finmodel(*args, cwd, timeout=180, limit_file_size=None) -> subprocess.CompletedProcess:
    """Run the installed command from ``cwd`` (never the checkout), with no terminal and a clean locale."""
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}

    def limits():
        if limit_file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    return subprocess.run(
        [FINMODEL, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
        preexec_fn=limits,
    )


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative name -> sha256), to prove what a run created or changed."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def assert_clean(proc, *codes):
    codes = codes or (0, 2)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode in codes, (proc.returncode, proc.stderr[-2000:])


def assert_no_canary(*folders):
    for folder in folders:
        assert not list(Path(folder).rglob(CANARY + "*")), f"code ran: a {CANARY} file appeared in {folder}"


# --- payloads ---------------------------------------------------------------------------------------------

INJECTIONS = [
    f"O&M\n    __import__('pathlib').Path('{CANARY}').touch()",
    f"x'); __import__('pathlib').Path('{CANARY}1').touch(); ('",
    f'x"); __import__("pathlib").Path("{CANARY}2").touch(); ("',
    f"x # \n__import__('pathlib').Path('{CANARY}3').touch()",
    f"{{__import__('pathlib').Path('{CANARY}4').touch()}}",
    f"x\\\n__import__('pathlib').Path('{CANARY}5').touch()",
    f"x\r__import__('pathlib').Path('{CANARY}6').touch()",
]

HOSTILE_TEXTS = [
    "a [/] b",
    "[bold red]x[/bold red]",
    "[link=file:///etc/passwd]y[/link]",
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "=1+1",
    "스마트시티 상수도",
    "مشروع المياه الذكي",
    "\u202eevil\u202c",
    "🚰💧🏙️",
    "\x1b[31mred\x1b[0m",
    "x\x00y",
    "a\tb",
    "a\rb",
    "$x$ and $",
    "%s%n%x",
    "{0}{name}",
    "../../etc/passwd",
    "x" * 40_000,
    "",
    " ",
    "\u200b",
    "Ω≈ç√∫",
    "NUL\x00",
    "\x7f\x9b31m",
]

# (portable field path in the scenario file, how to set it); list entries by index
FREE_TEXT_FIELDS = [
    ("project", "name"),
    ("project", "sector"),
    ("revenues", 0, "name"),
    ("opex", 0, "name"),
    ("lifecycle", 0, "name"),
    ("sponsors", 0, "name"),
    ("debt", "facilities", 0, "name"),
    ("cases", "downside", "description"),
]


def _set(doc, path, value):
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value


def load_base(name="bolivia_santa_cruz.yaml") -> dict:
    return yaml.safe_load((SCENARIOS / name).read_text(encoding="utf-8"))


def write_yaml(path: Path, doc) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def evil_scenario(folder: Path) -> Path:
    """Bolivia with an injection in every free-text field at once and a case whose name is one."""
    doc = load_base()
    for k, path in enumerate(FREE_TEXT_FIELDS):
        _set(doc, path, INJECTIONS[k % len(INJECTIONS)])
    doc["cases"][INJECTIONS[0]] = {"description": INJECTIONS[1], "changes": {"drivers.revenue_factor": 0.9}}
    return write_yaml(folder / "evil [draft] scenario.yaml", doc)


def portfolio_over(folder: Path, scenario: Path, fund_name="PIS sub-fund", project_name="p") -> Path:
    doc = yaml.safe_load((SCENARIOS / "pis_smart_city_subfund.yaml").read_text(encoding="utf-8"))
    doc["fund"]["name"] = fund_name
    doc["projects"] = [{"name": project_name, "scenario": str(scenario), "stake": 0.2}]
    doc["cases"] = {"severe": {"description": INJECTIONS[2], "changes": {"drivers.revenue_factor": 0.55}}}
    return write_yaml(folder / "evil portfolio.yaml", doc)


def programme_over(folder: Path, scenario: Path, hostile: bool = True) -> Path:
    doc = yaml.safe_load((SCENARIOS / "pis_programme_2019.yaml").read_text(encoding="utf-8"))
    if hostile:
        doc["programme"]["name"] = INJECTIONS[5]
    doc["pipeline"] = [
        {
            "name": "evil",
            "country": "BOL",
            "sector": INJECTIONS[6] if hostile else "water",
            "size": 0.66e12,
            "probability_of_close": 0.4,
            "scenario": str(scenario),
        }
    ]
    return write_yaml(folder / "evil programme.yaml", doc)


# --- code never runs, whatever the command --------------------------------------------------------------

COMMANDS = {
    "run": lambda s, p, o: ["run", s, "-o", o / "r.xlsx", "--json", o / "r.json", "--charts", o / "charts"],
    "validate": lambda s, p, o: ["validate", s, p],
    "simulate": lambda s, p, o: [
        "simulate",
        s,
        "--paths",
        "16",
        "--quiet",
        "--json",
        o / "s.json",
        "--paths-out",
        o / "s.csv",
    ],
    "sensitivity": lambda s, p, o: ["sensitivity", s, "--quiet", "--json", o / "t.json", "--driver", "revenue"],
    "grant-element": lambda s, p, o: ["grant-element", s, "--json"],
    "fund": lambda s, p, o: ["fund", p, "--quiet", "--json", o / "f.json"],
    "compare": lambda s, p, o: ["compare", p, "--quiet", "--json", o / "c.json"],
    "frontier": lambda s, p, o: [
        "frontier",
        p,
        "--paths",
        "16",
        "--steps",
        "0,0.1",
        "--quiet",
        "--json",
        o / "fr.json",
    ],
    "programme": lambda s, p, o: [
        "programme",
        o.parent / "work [x] dir" / "evil programme.yaml",
        "--paths",
        "16",
        "--quiet",
        "--json",
        o / "pg.json",
    ],
    "new": lambda s, p, o: ["new", o / INJECTIONS[0].replace("\n", "_").replace("/", "_")[:60]],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_command_runs_code_from_a_scenario(tmp_path, command):
    work = tmp_path / "work [x] dir"
    work.mkdir()
    out = tmp_path / "out folder"
    out.mkdir()
    scenario = evil_scenario(work)
    portfolio = portfolio_over(work, scenario, fund_name=INJECTIONS[3], project_name=INJECTIONS[4])
    programme_over(work, scenario)
    (out / "r.json").write_text("previous")
    before = snapshot(tmp_path)
    proc = finmodel(*COMMANDS[command](scenario, portfolio, out), cwd=work)
    assert_clean(proc)
    assert_no_canary(tmp_path, Path.cwd())
    after = snapshot(tmp_path)
    if proc.returncode == 2:
        assert after == before, "a refused run created or changed a file"
    else:
        assert {k: v for k, v in after.items() if k in before and not k.startswith("out folder")} == {
            k: v for k, v in before.items() if not k.startswith("out folder")
        }, "an input changed"


# --- every free-text field, property-based --------------------------------------------------------------

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_TEXTS + INJECTIONS),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
    st.builds(lambda p, t: p + t, st.sampled_from(["=", "+", "-", "@"]), st.text(max_size=20)),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x1F), min_size=1, max_size=5),
)


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(field=st.sampled_from(FREE_TEXT_FIELDS), text=hostile_text)
def test_any_text_in_any_free_text_field(tmp_path_factory, field, text):
    folder = tmp_path_factory.mktemp("prop")
    doc = load_base("kuwait_abdullah.yaml")
    if field[0] == "cases":
        field = ("cases", next(iter(doc["cases"])), "description")
    _set(doc, field, text)
    scenario = write_yaml(folder / "s.yaml", doc)
    (folder / "out.json").write_text("previous")
    before = snapshot(folder)
    proc = finmodel("run", scenario, "--json", folder / "out.json", cwd=folder)
    assert_clean(proc)
    assert_no_canary(folder)
    if proc.returncode == 2:
        assert snapshot(folder) == before
        assert ".".join(map(str, field)) in proc.stderr  # the message names the field
    else:
        assert json.loads((folder / "out.json").read_text())["metrics"]
        assert "\x1b" not in proc.stdout  # no terminal escape sequence reaches the terminal


def test_user_text_stays_text_in_the_workbook(tmp_path):
    from openpyxl import load_workbook

    doc = load_base("kuwait_abdullah.yaml")
    doc["project"]["name"] = '=HYPERLINK("http://example.invalid","click")'
    doc["opex"][0]["name"] = "@SUM(1,1)"
    doc["revenues"][0]["name"] = "+1+1"
    scenario = write_yaml(tmp_path / "s.yaml", doc)
    proc = finmodel("run", scenario, "-o", tmp_path / "out.xlsx", "--quiet", cwd=tmp_path)
    assert_clean(proc, 0)
    wb = load_workbook(tmp_path / "out.xlsx")
    texts = {"=HYPERLINK", "@SUM(1,1)", "+1+1"}
    found = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and any(t in c.value for t in texts):
                    if c.data_type == "f":
                        assert not any(t in c.value for t in texts), f"user text became a formula at {ws.title}!{c}"
                    found.add(next(t for t in texts if t in c.value))
    assert found == texts  # each one was written, as text


# --- outputs: paths, links, clashes, failures, signals ----------------------------------------------------


def test_outputs_in_folders_with_spaces_and_brackets_and_a_planted_symlink(tmp_path):
    out = tmp_path / "[draft] credit paper" / "v1 (final)"
    out.mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / "k k.json").symlink_to(victim)
    proc = finmodel("run", SCENARIOS / "kuwait_abdullah.yaml", "--json", out / "k k.json", "--quiet", cwd=tmp_path)
    assert_clean(proc, 0)
    assert victim.read_text() == "precious"  # the link was replaced, not written through
    assert not (out / "k k.json").is_symlink()
    assert json.loads((out / "k k.json").read_text())["case"] == "base"
    assert sorted(p.name for p in out.iterdir()) == ["k k.json"]  # no temporary file left


@pytest.mark.parametrize("option", ["--json", "-o"])
def test_an_output_that_is_an_input_is_refused(tmp_path, option):
    scenario = tmp_path / ("s.json" if option == "--json" else "s.xlsx")
    shutil.copy(SCENARIOS / "kuwait_abdullah.yaml", scenario)
    before = snapshot(tmp_path)
    proc = finmodel("run", scenario, option, scenario, "--quiet", cwd=tmp_path)
    assert_clean(proc, 2)
    assert "not one of the inputs" in proc.stderr
    assert snapshot(tmp_path) == before


def test_a_portfolio_project_cannot_be_overwritten_by_the_portfolio_run(tmp_path):
    scenario = tmp_path / "p.json"  # a project scenario file (YAML is JSON's superset: any name reads)
    shutil.copy(SCENARIOS / "kuwait_abdullah.yaml", scenario)
    portfolio = portfolio_over(tmp_path, scenario)
    before = snapshot(tmp_path)
    proc = finmodel("fund", portfolio, "--json", scenario, "--quiet", cwd=tmp_path)
    assert_clean(proc, 2)
    assert snapshot(tmp_path) == before


def test_write_failures_are_one_line_exit_1_and_leave_the_previous_file(tmp_path):
    (tmp_path / "a file").write_text("x")
    proc = finmodel("run", "--json", tmp_path / "a file" / "out.json", "--quiet", cwd=tmp_path)
    assert_clean(proc, 1)
    assert proc.stderr.startswith(f"error: cannot write {tmp_path / 'a file' / 'out.json'}: ")
    assert "not a directory" in proc.stderr
    target = tmp_path / "big.xlsx"
    target.write_bytes(b"previous")
    proc = finmodel("run", "-o", target, "--quiet", cwd=tmp_path, limit_file_size=20_000)  # EFBIG
    assert_clean(proc, 1)
    assert proc.stderr.strip() == f"error: cannot write {target}: File too large"
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file", "big.xlsx"]


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_ends_the_command_cleanly(tmp_path, signum, code):
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [
            FINMODEL,
            "simulate",
            SCENARIOS / "bolivia_santa_cruz.yaml",
            "--paths",
            "200000",
            "-o",
            tmp_path / "sim.xlsx",
            "--json",
            tmp_path / "sim.json",
            "--quiet",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    time.sleep(3)  # past start-up: the handlers are installed when the command starts
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=max(5, deadline - time.monotonic()))
    assert proc.returncode == code, err
    assert "Traceback" not in err and "interrupted" in err
    assert list(tmp_path.iterdir()) == []  # no output, no temporary file


# --- resources --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--paths", str(10**9)], "fits in memory"),
        (["--paths", "100", "--chunk-size", "0"], "--chunk-size"),
        (["--paths", "0"], "--paths"),
        (["--paths", "10", "--seed", "-1"], "--seed"),
    ],
)
def test_simulate_resource_options_are_bounded(tmp_path, args, fragment):
    proc = finmodel(
        "simulate", SCENARIOS / "bolivia_santa_cruz.yaml", *args, "--quiet", "--json", tmp_path / "s.json", cwd=tmp_path
    )
    assert_clean(proc, 2)
    assert fragment in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_grant_element_terms_are_bounded(tmp_path):
    proc = finmodel(
        "grant-element",
        "--rate",
        "0.01",
        "--maturity",
        "1e9",
        "--grace",
        "1",
        "--discount-rate",
        "0.05",
        cwd=tmp_path,
        timeout=60,
    )
    assert_clean(proc, 2)
    assert "--maturity" in proc.stderr and "up to 100" in proc.stderr


def test_a_refused_portfolio_project_file_is_not_quoted(tmp_path):
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-SECRET\n")
    portfolio = portfolio_over(tmp_path, secret)
    programme = programme_over(tmp_path, secret, hostile=False)
    for args, where in (
        (["fund", portfolio], "projects.0.scenario"),
        (["compare", portfolio], "projects.0.scenario"),
        (["validate", portfolio], "projects.0.scenario"),
        (["programme", programme, "--paths", "16"], "pipeline.0.scenario"),
    ):
        proc = finmodel(*args, cwd=tmp_path)
        assert_clean(proc, 2)
        assert "SECRET" not in proc.stdout + proc.stderr and "BEGIN OPENSSH" not in proc.stdout + proc.stderr
        assert where in proc.stdout + proc.stderr


# --- hostile file and folder names: every writer, every command ----------------------------------------------

HOSTILE_NAME = "\x1b[31mr\x07e\x08d\x1b]0;t\x07\u202e\r\nx\x7f\x9b\u2028\u2066"
"""ESC colour and OSC title sequences, BEL, backspace, a bidi override and isolate, CR, LF, DEL, CSI (C1) and a
line separator: every kind of character ``finmodel.term.inert`` escapes, in one file or folder name."""

_ACTIVE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
"""A character that acts on a terminal or viewer (written out here, independently of finmodel.term): controls
but the newline that ends each line, bidi embeddings / overrides / isolates, line and paragraph separators."""


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory):
    """A folder whose name and whose files' names are :data:`HOSTILE_NAME`: a scenario, a portfolio and a
    programme over it (project scenario paths relative, as shipped: they resolve inside the hostile folder)."""
    base = tmp_path_factory.mktemp("names")
    d = base / f"dir{HOSTILE_NAME}"
    d.mkdir()
    shutil.copy(SCENARIOS / "kuwait_abdullah.yaml", d / "plain.yaml")
    scenario = d / f"{HOSTILE_NAME}s.yaml"
    shutil.copy(SCENARIOS / "kuwait_abdullah.yaml", scenario)
    pf = yaml.safe_load((SCENARIOS / "pis_smart_city_subfund.yaml").read_text(encoding="utf-8"))
    for p in pf["projects"]:
        if p["scenario"] != "default":
            p["scenario"] = "plain.yaml"
    pf["cases"]["flat"] = {"description": "Monte Carlo case: no changes", "changes": {}}
    portfolio = write_yaml(d / f"{HOSTILE_NAME}p.yaml", pf)
    pg = yaml.safe_load((SCENARIOS / "pis_programme_2019.yaml").read_text(encoding="utf-8"))
    for p in pg["pipeline"]:
        if p.get("scenario") not in (None, "default"):
            p["scenario"] = "plain.yaml"
    programme = write_yaml(d / f"{HOSTILE_NAME}g.yaml", pg)
    return base, d, scenario, portfolio, programme


def _out(d: Path, tail: str) -> Path:
    return d / f"{HOSTILE_NAME}{tail}"


HOSTILE_NAME_COMMANDS = {
    "run": lambda d, s, p, g: ["run", s, "-o", _out(d, ".xlsx"), "--json", _out(d, ".json"), "--charts", _out(d, "c")],
    "run --brief": lambda d, s, p, g: ["run", s, "--brief"],
    "cases": lambda d, s, p, g: ["cases", s, "--json", _out(d, "cases.json")],
    "validate": lambda d, s, p, g: ["validate", s, p],
    "validate (missing file)": lambda d, s, p, g: ["validate", _out(d, "missing.yaml")],
    "simulate": lambda d, s, p, g: [
        *("simulate", s, "--paths", "32", "--explain-paths", "0", "-o", _out(d, "sim.xlsx")),
        *("--json", _out(d, "sim.json"), "--paths-out", _out(d, "sim.csv"), "--charts", _out(d, "c")),
    ],
    "simulate (unknown extension)": lambda d, s, p, g: ["simulate", s, "--paths", "8", "--paths-out", _out(d, ".txt")],
    "sensitivity": lambda d, s, p, g: [
        *("sensitivity", s, "--driver", "revenue", "-o", _out(d, "sens.xlsx"), "--charts", _out(d, "c")),
    ],
    "grant-element": lambda d, s, p, g: ["grant-element", s, "--json", _out(d, "ge.json")],
    "fund": lambda d, s, p, g: ["fund", p, "-o", _out(d, "fund.xlsx"), "--json", _out(d, "fund.json")],
    "fund --first-loss --paths": lambda d, s, p, g: [
        "fund",
        p,
        "--first-loss",
        "flat",
        "--case",
        "flat",
        "--paths",
        "32",
    ],
    "compare": lambda d, s, p, g: ["compare", p, "-o", _out(d, "cmp.xlsx"), "--paths", "32"],
    "frontier": lambda d, s, p, g: [
        *("frontier", p, "--paths", "32", "--steps", "0,0.1", "-o", _out(d, "fr.xlsx"), "--charts", _out(d, "c")),
        *("--paths-out", _out(d, "fr.csv")),
    ],
    "programme": lambda d, s, p, g: [
        *("programme", g, "--paths", "32", "-o", _out(d, "pg.xlsx"), "--charts", _out(d, "c")),
    ],
    "new (refused)": lambda d, s, p, g: ["new", _out(d, "new")],
    "export": lambda d, s, p, g: ["export", _out(d, ".xlsx"), "-o", _out(d, "exported.yaml")],
    "run WORKBOOK": lambda d, s, p, g: ["run", _out(d, ".xlsx"), "--quiet"],
}
"""Every command with its input and output files named :data:`HOSTILE_NAME`; ``export`` and ``run WORKBOOK``
read the workbook ``run`` wrote (the dict's order is the run order)."""


@pytest.mark.parametrize("command", list(HOSTILE_NAME_COMMANDS))
def test_hostile_file_names_reach_no_writer_and_no_terminal(hostile_files, command):
    from openpyxl import load_workbook

    base, d, scenario, portfolio, programme = hostile_files
    if command in ("export", "run WORKBOOK") and not _out(d, ".xlsx").exists():
        finmodel(*HOSTILE_NAME_COMMANDS["run"](d, scenario, portfolio, programme), cwd=base)
    before = set(d.rglob("*"))
    proc = finmodel(*HOSTILE_NAME_COMMANDS[command](d, scenario, portfolio, programme), cwd=base)
    refused = command.endswith(("(refused)", "(missing file)", "(unknown extension)"))
    assert_clean(proc, 2 if refused else 0)
    raw = _ACTIVE.findall(proc.stdout + proc.stderr)
    assert not raw, f"raw {sorted(set(raw))!r} reached the terminal"
    assert HOSTILE_NAME not in proc.stdout + proc.stderr
    if refused:
        assert set(d.rglob("*")) == before  # nothing written
        shown = proc.stdout + proc.stderr
        assert "\\x1b[31m" in shown or "U+001B" in shown  # the name shown, escaped
        return
    for wb_path in sorted(set(d.glob("*.xlsx")) - before):
        wb = load_workbook(wb_path)  # the workbook opens
        texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        assert not any(_ACTIVE.search(t) for t in texts), wb_path.name
        if command == "run":
            assert any("\\x1b[31mr\\x07e" in t for t in texts)  # the Cover's provenance names the file, escaped
    for png in sorted(set(d.rglob("*.png")) - before):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
