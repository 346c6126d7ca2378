"""`finmodel new NAME --template T`: every packaged template has a risk block, takes NAME as its project name and
runs as created (every case deterministic, and a small Monte Carlo)."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from finmodel.model import engine
from finmodel.risk import api as risk_api
from finmodel.schema import template_names


def test_at_least_the_three_templates_of_the_brief():
    assert {"umic-availability-ppp", "lmic-edcf-koica", "high-risk-ksure"} <= set(template_names())


@pytest.mark.parametrize("template", template_names())
def test_template_runs_as_created(tmp_path, template):
    target = tmp_path / "Projet [pilote] 한"
    r = CliRunner().invoke(main, ["new", str(target), "--template", template])
    assert r.exit_code == 0, r.output
    path = tmp_path / "Projet [pilote] 한.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert raw["project"]["name"] == "Projet [pilote] 한"
    assert raw.get("risk"), "every template carries a risk: block"
    results = engine.run(path, ["base", *raw.get("cases", {})])
    assert all(res.checks()["master_check"] for res in results)
    sim = risk_api.simulate(path, paths=64, seed=3)
    assert sim.result.paths == 64
