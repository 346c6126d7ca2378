"""The documents a user reads without the code: generated references are current, every metric is defined,
and no shipped file points to a file outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from finmodel.outputs import docs

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path", sorted(docs.generated_files(), key=str), ids=lambda p: p.name)
def test_generated_doc_is_current(path):
    expected = docs.generated_files()[path]
    assert path.exists(), f"{path.name} missing: run `python -m finmodel.outputs.docs`"
    assert path.read_text(encoding="utf-8") == expected, f"{path.name} is stale: run `python -m finmodel.outputs.docs`"


def test_every_metric_has_a_unit_a_definition_and_a_place():
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8").split(docs.END)[0]
    text = text.split(docs.simulate_markdown()[0])[0]  # the deterministic metrics' table
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) > 40  # every metric of the shipped scenarios, numbered ones folded (sponsorN_, dN_, gN_)
    for row in rows:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        key, label, unit, formula, where = cells
        assert label and unit and formula and where.startswith("Outputs"), row


def test_hand_written_sections_survive_regeneration(tmp_path):
    path = tmp_path / "metrics.md"
    path.write_text(docs.with_generated(path, "# Metrics\n\nold table\n") + "\n## Monte Carlo metrics\n\nby hand\n")
    again = docs.with_generated(path, "# Metrics\n\nnew table\n")
    assert "new table" in again and "old table" not in again
    assert again.endswith("\n## Monte Carlo metrics\n\nby hand\n")


def test_schema_markdown_is_the_cli_output():
    from click.testing import CliRunner

    from cli import main

    r = CliRunner().invoke(main, ["schema", "--format", "markdown"])
    assert r.exit_code == 0
    assert r.output == docs.schema_markdown() + "\n"
    for field in ("`debt.facilities[]` (Facility)", "| `maturity_years` |", "`risk` (Risk)", "`cases.NAME` (Case)"):
        assert field in r.output


def _shipped_files():
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        files = [ROOT / f for f in out.splitlines()]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: every file under the root
        files = [p for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]
    return [
        p
        for p in files
        if p.suffix in (".py", ".md", ".yaml", ".yml", ".cfg", ".toml", ".txt", "")
        and p.exists()
        and p.name != "test_docs.py"
    ]


def test_no_shipped_file_refers_outside_the_repository():
    outside = re.compile(r"shared/|DOMAIN\.md|DESIGN\.md|STYLE\.md|HELPERS\.md")
    hits = []
    for p in _shipped_files():
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if outside.search(line):
                hits.append(f"{p.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_license_and_changelog():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "license = MIT" in (ROOT / "setup.cfg").read_text()
    assert (ROOT / "CHANGELOG.md").read_text().startswith("# Changelog")


def _doc_table(text: str, first: str, col: int = 1) -> dict[str, str]:
    """``{first cell: cell col}`` of the markdown table whose header starts with ``| first |``."""
    block = text.split(f"| {first} |", 1)[1].split("\n\n", 1)[0]
    out = {}
    for line in block.splitlines()[2:]:
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        out[cells[0].strip("`")] = cells[col]
    return out


def test_json_definitions_are_the_doc_s(tmp_path):
    """One truth: the definitions in the JSON of run (metric_info) and simulate (definitions) are the words of
    docs/metrics.md, and the loss is the discounted loss at default the model computes."""
    import finmodel
    from finmodel.outputs import contract, definitions

    doc = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    run_table = {k: v.split(" | ")[0] for k, v in _doc_table(doc, "key | label | unit").items()}
    run_doc = {}
    for line in doc.split(docs.END)[0].split(docs.simulate_markdown()[0])[0].splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            run_doc[cells[0].strip("`")] = cells[3].replace("\\|", "|")
    assert run_table  # the table was found
    res = finmodel.run(ROOT / "scenarios" / "iraq_bismaya.yaml")
    info = contract.metric_info(res.results[0], res.results[0].builder.scenario)
    for key, entry in info.items():
        pattern = definitions.RUN_NUMBERED.sub(
            lambda m: {"sponsor": "sponsorN_", "d": "dN_", "g": "gN_"}[m.group(1)], key
        )
        assert entry["definition"] and entry["definition"] == run_doc[pattern], key

    sim = finmodel.simulate(ROOT / "scenarios" / "kota_kinabalu.yaml", paths=64, seed=1, explain_paths=0)
    js = sim.raw.to_json()
    terms = _doc_table(doc, "term | definition")
    head = "key | label (JSON metric_info, Risk sheet) | definition | amounts"
    keys = _doc_table(doc, head, col=2)
    assert _doc_table(doc, head, col=1) == definitions.SIMULATE_LABELS  # the labels, as the registry has them
    for k, v in js["definitions"].items():
        assert v == (terms[k] if k in definitions.SIMULATE_TERMS else keys[k]), k
    for k in js["metrics"]:
        assert definitions.simulate_pattern(k) in js["definitions"], k  # every key is defined
    assert "discounted to the first period of default" in js["definitions"]["loss"]
    assert "undiscounted" not in js["definitions"]["loss"].split("without a default")[0]


def test_every_monte_carlo_metric_has_one_label(tmp_path):
    """The Monte Carlo registry: every pattern has a label and a definition, and every metric a simulation
    reports gets a distinct non-empty label from it; the Risk sheet and the JSON's metric_info show that label."""
    from openpyxl import load_workbook

    import finmodel
    from finmodel.outputs import definitions

    assert set(definitions.SIMULATE_LABELS) == set(definitions.SIMULATE)
    sim = finmodel.simulate(ROOT / "scenarios" / "iraq_bismaya.yaml", paths=60, seed=1, workers=1, explain_paths=0)
    labels = {k: definitions.simulate_label(k) for k in sim.summary.index}
    assert all(labels.values()), [k for k, v in labels.items() if not v]
    assert len(set(labels.values())) == len(labels)  # no two metrics share a label
    assert {k: v["label"] for k, v in sim.raw.to_json()["metric_info"].items()} == labels
    sim.to_excel(tmp_path / "risk.xlsx")
    ws = load_workbook(tmp_path / "risk.xlsx")["Risk"]
    shown = {row[0]: row[5] for row in ws.iter_rows(values_only=True) if row and row[0] in labels}
    assert shown == labels
