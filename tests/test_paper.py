"""The credit paper (`finmodel report`): every shipped scenario's paper, one with Monte Carlo paths, one of a fund
portfolio. The headline figures in the HTML (``data-value``) equal the JSON's; the HTML parses and holds no external
reference (no ``http``, no ``//``); the PDF (WeasyPrint) has its pages, a table of contents, and its text
(poppler's ``pdftotext``) names every facility and sponsor; a hostile scenario name is text; the command line writes
its files, and bad input exits 2 with nothing written; the structuring solution (``--solution``) is shown with its
levers' and metrics' figures equal to the solve JSON's, says whether the paper reproduces it, and a bad or hostile
solution file is refused or escaped. Renders are shared by module-scoped fixtures."""

from __future__ import annotations

import html.parser
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import finmodel
from cli import main
from conftest import in_ci, project_scenarios

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert(1)</script> & $x$ deal"
MISSING_POPPLER = "poppler (pdftotext, pdfinfo) not found (apt-get install poppler-utils): the PDF's text not checked"


def poppler(tool: str, pdf: Path, *args: str) -> str:
    """The output of a poppler tool on the PDF; skipped without poppler, a failure under CI (as LibreOffice is)."""
    if shutil.which(tool) is None:
        if in_ci():
            pytest.fail(f"{MISSING_POPPLER}; CI is set, so this is a failure, not a skip", pytrace=False)
        pytest.skip(MISSING_POPPLER)
    return subprocess.run(
        [tool, *args, str(pdf), *(["-"] if tool == "pdftotext" else [])],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


def pdf_text(pdf: Path) -> str:
    return poppler("pdftotext", pdf, "-layout")


def pdf_pages(pdf: Path) -> int:
    import re

    return int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", pdf), re.M).group(1))


class Figures(html.parser.HTMLParser):
    """The ``data-metric`` figures of the page, and a check that every element opened is closed, in order."""

    VOID = {"meta", "br", "img", "hr", "link", "input", "col", "wbr", "source"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.figures, self.stack, self.problems = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-metric" in a:
            self.figures.append((a["data-metric"], a.get("data-case"), a["data-value"]))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def parsed(document: str) -> Figures:
    p = Figures()
    p.feed(document)
    p.close()
    assert p.problems == [] and p.stack == [], (p.problems[:5], p.stack[-5:])
    return p


def json_value(data: dict, key: str, case: str | None):
    """The JSON's value of a headline figure: a case's metric, the Monte Carlo's, a breakeven, a structure's."""
    if case == "monte_carlo":
        return data["monte_carlo"]["metrics"][key]
    if case == "solution":  # the structuring solution: a lever's solved value, or a metric of the solution
        so = data["solution"]
        if key.startswith("lever:"):
            return next(lv for lv in so["levers"] if lv["lever"] == key.removeprefix("lever:"))["solved"]
        return so["solution_metrics"][key]
    if key.startswith("breakeven_"):
        return data["sensitivity"]["metrics"][key]
    if "structures" in data:
        return next(s for s in data["structures"] if s["structure"] == case)["metrics"][key]
    cases = data.get("cases") or [data]
    return next(c for c in cases if c["case"] == case)["metrics"][key]


def assert_figures_match(rep) -> int:
    figures = parsed(rep.html).figures
    for key, case, value in figures:
        expected = json_value(rep.data, key, case)
        if value == "":
            assert expected is None, (key, case)
        else:
            assert float(value) == expected, (key, case, value, expected)  # the same float, to the last bit
    return len(figures)


def assert_no_external_reference(document: str) -> None:
    low = document.lower()
    assert "http" not in low
    assert "//" not in document


# --- renders shared by the tests -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    """Every shipped project scenario's paper (HTML only): deterministic, every case."""
    return {p.stem: finmodel.report(p) for p in project_scenarios()}


@pytest.fixture(scope="module")
def iraq_pdf(tmp_path_factory):
    """Iraq (guarantees, a terminated case): HTML and PDF written."""
    d = tmp_path_factory.mktemp("paper")
    rep = finmodel.report(ROOT / "scenarios" / "iraq_bismaya.yaml", html=d / "iraq.html", pdf=d / "iraq.pdf")
    return rep, d / "iraq.pdf"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """Bolivia with 500 Monte Carlo paths: the lenders' view."""
    d = tmp_path_factory.mktemp("paper")
    path = ROOT / "scenarios" / "bolivia_santa_cruz.yaml"
    rep = finmodel.report(path, ["base"], paths=500, seed=3, pdf=d / "b.pdf", json_path=d / "b.json")
    return rep, d / "b.pdf"


@pytest.fixture(scope="module")
def fund_paper(tmp_path_factory):
    d = tmp_path_factory.mktemp("paper")
    rep = finmodel.report(ROOT / "scenarios" / "pis_smart_city_subfund.yaml", paths=200, pdf=d / "f.pdf")
    return rep, d / "f.pdf"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from finmodel.schema import load_raw

    raw = load_raw()
    raw["project"]["name"] = HOSTILE
    raw["sponsors"][0]["name"] = "Sponsor <b>bold</b> https://evil.example//x"
    d = tmp_path_factory.mktemp("paper")
    rep = finmodel.report(raw, ["base"], html=d / "h.html", pdf=d / "h.pdf")
    return rep, d / "h.pdf"


# --- the tests ---------------------------------------------------------------------------------------------


def test_every_shipped_paper_shows_the_json_figures_and_no_external_reference(shipped):
    assert set(shipped) >= {"kota_kinabalu", "bolivia_santa_cruz", "iraq_bismaya", "kuwait_abdullah"}
    for name, rep in shipped.items():
        assert assert_figures_match(rep) >= 10, name
        assert_no_external_reference(rep.html)
        cases = {c["case"] for c in rep.data["cases"]} if "cases" in rep.data else {rep.data["case"]}
        assert len(cases) >= 2, name  # the committee reads the downside beside the base
        for facility in rep.facts["financing"]["facilities"]:
            assert facility["name"] in rep.html


def test_sections_come_in_the_committees_order(shipped, iraq_pdf):
    order = ["summary", "contents", "project", "financing", "blending", "downside", "assumptions", "provenance"]
    doc = shipped["kota_kinabalu"].html
    positions = [doc.index(f'id="{s}"') for s in order]
    assert positions == sorted(positions)
    assert 'id="guarantees"' not in doc and "No guarantee or insurance in this scenario" in doc
    rep, _ = iraq_pdf
    assert rep.html.index('id="blending"') < rep.html.index('id="guarantees"') < rep.html.index('id="downside"')


def test_the_paper_is_deterministic_but_for_its_date():
    a = finmodel.report(cases=["base"], generated="2026-01-01").html
    b = finmodel.report(cases=["base"], generated="2026-01-01").html
    assert a == b


def test_pdf_pages_contents_and_names(iraq_pdf):
    rep, pdf = iraq_pdf
    assert 5 <= pdf_pages(pdf) <= 14
    text = pdf_text(pdf)
    assert "Contents" in text and "page 1 of" in text
    sc = finmodel.load(ROOT / "scenarios" / "iraq_bismaya.yaml")
    flat = " ".join(text.split())
    for name in [f.name for f in sc.debt.facilities] + [s.name for s in sc.sponsors] + [g.name for g in sc.guarantees]:
        assert " ".join(name.split()) in flat, name
    assert "Lenders' ledgers" in text


def test_monte_carlo_paper_shows_the_lenders_view(simulated):
    rep, pdf = simulated
    assert assert_figures_match(rep) > 10
    assert_no_external_reference(rep.html)
    mc = [f for f in parsed(rep.html).figures if f[1] == "monte_carlo"]
    assert {"p_default", "cdr_10y"} <= {k for k, _, _ in mc}
    assert rep.data["monte_carlo"]["paths"] == 500 and rep.data["monte_carlo"]["seed"] == 3
    text = pdf_text(pdf)
    assert "The lenders' view" in text and "What drives the defaults" in text
    assert 6 <= pdf_pages(pdf) <= 16


def test_fund_portfolio_paper(fund_paper):
    rep, pdf = fund_paper
    assert rep.facts["kind"] == "portfolio"
    assert assert_figures_match(rep) == 8  # four tranche rows x PIS, GIF
    assert_no_external_reference(rep.html)
    for s in ('id="portfolio"', 'id="decomposition"', 'id="frontier"'):
        assert s in rep.html
    text = pdf_text(pdf)
    for project in ("kota_kinabalu", "santa_cruz", "abdullah"):
        assert project in text
    assert 2 <= pdf_pages(pdf) <= 8


def test_a_hostile_name_is_text(hostile):
    rep, pdf = hostile
    assert "<script>" not in rep.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in rep.html
    assert "<b>bold</b>" not in rep.html
    assert_no_external_reference(rep.html)
    parsed(rep.html)
    flat = " ".join(pdf_text(pdf).split())
    assert "<script>alert(1)</script> & $x$ deal" in flat


def test_cli_writes_the_files(tmp_path):
    r = CliRunner().invoke(
        main,
        [
            "report",
            "--case",
            "base",
            "-o",
            str(tmp_path / "p.html"),
            "--pdf",
            str(tmp_path / "p.pdf"),
            "--json",
            str(tmp_path / "p.json"),
        ],
    )
    assert r.exit_code == 0, r.output
    for name in ("p.html", "p.pdf", "p.json"):
        assert (tmp_path / name).stat().st_size > 1000
        assert f"wrote {tmp_path / name}" in r.output


def test_cli_default_name_is_the_scenarios(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["report", str(ROOT / "scenarios" / "kuwait_abdullah.yaml"), "--case", "base"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "kuwait_abdullah.html").exists()


@pytest.mark.parametrize(
    "args, field",
    [
        (["-o", "out.txt"], "--output"),
        (["--pdf", "out.html"], "--pdf"),
        (["--seed", "3"], "--seed"),
        (["--case", "nonesuch"], "nonesuch"),
        (["BAD", "--paths", "100"], "project.country"),
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, monkeypatch, args, field):
    monkeypatch.chdir(tmp_path)
    if args[0] == "BAD":
        (tmp_path / "bad.yaml").write_text("project: {name: x}\n", encoding="utf-8")
        args = ["bad.yaml", *args[1:]]
    r = CliRunner().invoke(main, ["report", *args, "--pdf", "p.pdf"] if "--pdf" not in args else ["report", *args])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and field in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["bad.yaml"])


def test_the_paper_in_a_real_browser(iraq_pdf, tmp_path):
    """Headless Chromium opens the HTML offline and draws its first screen: the summary's table and chart are
    there (a page with dark text over most rows, not a blank or an error page). Skipped without Chromium; a
    failure under CI, which installs it. ``benchmarks/look_report.py`` writes the same pictures to look at."""
    import sys

    import numpy as np
    from matplotlib import image

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import look_report

    if look_report.chromium() is None:
        if in_ci():
            pytest.fail("chromium not found; CI is set, so this is a failure, not a skip", pytrace=False)
        pytest.skip("chromium not found (apt-get install chromium): the paper not drawn in a browser")
    html_path = iraq_pdf[1].with_suffix(".html")
    png = look_report.screenshot(html_path, tmp_path / "first.png", width=1280, height=1000)
    pixels = image.imread(png)[..., :3]
    dark = (pixels.mean(axis=2) < 0.5).mean(axis=1)  # the share of dark pixels in each row of the screen
    assert pixels.shape[:2] == (1000, 1280)
    assert (dark > 0.005).mean() > 0.2, "the first screen is (almost) blank"
    assert np.unique(pixels.reshape(-1, 3), axis=0).shape[0] > 50  # text, rules and chart colours, not one flat fill


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """Kota Kinabalu solved for its availability payment (the README's example), written back and reported."""
    d = tmp_path_factory.mktemp("solved")
    lever = "revenues[Availability payment].amount"
    args = ["solve", str(ROOT / "scenarios" / "kota_kinabalu.yaml"), "--target", "equity_irr>=12%"]
    args += ["--target", "min_dscr>=1.30", "--vary", lever, "--json", str(d / "s.json")]
    args += ["--write-scenario", str(d / "solved.yaml")]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    return d


def test_the_structuring_solution_and_whether_the_paper_reproduces_it(solved):
    import json

    rep = finmodel.report(solved / "solved.yaml", solution=solved / "s.json")
    data = json.loads((solved / "s.json").read_text())
    st = rep.facts["structuring"]
    assert st["reproduces"] == {"ok": True, "differ": []}  # the written file is the solved scenario
    assert [t["id"] for t in rep.facts["toc"]][:3] == ["project", "financing", "structuring"]
    assert [lv["lever"] for lv in st["levers"]] == [lv["lever"] for lv in data["levers"]]
    assert rep.data["solution"] == data
    figures = {(k, c) for k, c, _ in parsed(rep.html).figures}
    assert ("lever:revenues[Availability payment].amount", "solution") in figures and (
        "min_dscr",
        "solution",
    ) in figures
    assert_figures_match(rep)  # the solved lever and the solution's metrics equal the solve JSON's, to the bit
    before = finmodel.report(ROOT / "scenarios" / "kota_kinabalu.yaml", cases=["base"], solution=data)
    assert before.facts["structuring"]["reproduces"]["ok"] is False  # the scenario before solving says so
    assert "does not reproduce the solution" in before.html


def test_a_bad_or_hostile_solution_file(solved, tmp_path):
    import json

    data = json.loads((solved / "s.json").read_text())
    data["levers"][0]["lever"] = HOSTILE
    (tmp_path / "hostile.json").write_text(json.dumps(data))
    rep = finmodel.report(solved / "solved.yaml", cases=["base"], solution=tmp_path / "hostile.json")
    assert "<script>" not in rep.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in rep.html
    cases = {
        "text.json": ("not JSON", "{not json"),
        "list.json": ("expected the JSON object", "[1, 2]"),
        "nan.json": ("solution_metrics.min_dscr", json.dumps({**data, "solution_metrics": {"min_dscr": float("nan")}})),
        "lever.json": ("levers[0].solved", json.dumps({**data, "levers": [{**data["levers"][0], "solved": "1e6"}]})),
    }
    for name, (said, text) in cases.items():
        (tmp_path / name).write_text(text)
        out = tmp_path / f"{name}.html"
        res = CliRunner().invoke(
            main, ["report", str(solved / "solved.yaml"), "--solution", str(tmp_path / name), "-o", str(out)]
        )
        assert res.exit_code == 2 and said in res.output and "Traceback" not in res.output, (name, res.output)
        assert not out.exists()
