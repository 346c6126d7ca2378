"""PIS vs GIF decomposed: loss-order effect at equal terms and term effect, adding up to the compare headline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from finmodel.funds import decompose, model, portfolio

SHIPPED = Path(__file__).resolve().parent.parent / "scenarios" / "pis_smart_city_subfund.yaml"


@pytest.fixture(scope="module")
def severe():
    lp = portfolio.load(SHIPPED)
    return model.compare(lp, "severe")


def test_effects_add_up_and_the_middle_run_is_pis_at_the_gif_term(severe):
    d = decompose.decompose(severe)
    assert d.terms == {"pis": 20, "gif": 15}
    pis, gif = severe
    for r in d.rows:
        if r["total"] is None:
            continue
        assert r["loss_order"] + r["term"] == pytest.approx(r["total"], abs=1e-6)  # float sums of ~1e10 KRW
    priv = {r["metric"]: r for r in d.rows if r["tranche"] == "private"}
    assert priv["loss"]["pis"] == pis.metrics()["fund_private_loss"]
    assert priv["loss"]["gif"] == gif.metrics()["fund_private_loss"]
    # the middle run, rebuilt by hand: the pis loss order at 15 years
    mid = model.evaluate(decompose.at_term(pis.terms, 15, ""), pis.flows, "severe")
    assert mid.terms.groups == (("government",), ("public",), ("private",))
    assert priv["loss"]["pis_at_gif_term"] == mid.metrics()["fund_private_loss"]
    # at equal terms the fund as a whole is the same (the loss order only moves losses between tranches)
    fund_loss = next(r for r in d.rows if r["tranche"] == "fund" and r["metric"] == "loss")
    assert fund_loss["loss_order"] == pytest.approx(0.0, abs=1.0)  # 1 KRW: the fund's money tolerance
    # severe case: both effects relieve the private tranche; the term does more of it than the loss order
    assert priv["loss"]["loss_order"] < 0 and priv["loss"]["term"] < 0
    assert abs(priv["loss"]["term"]) > abs(priv["loss"]["loss_order"])


def test_equal_terms_leave_no_term_effect(tmp_path):
    text = SHIPPED.read_text().replace("term_years: 20 ", "term_years: 15 ")
    text = text.replace("scenario: bolivia", f"scenario: {SHIPPED.parent}/bolivia")
    text = text.replace("scenario: kuwait", f"scenario: {SHIPPED.parent}/kuwait")
    f = tmp_path / "p15.yaml"
    f.write_text(text)
    d = decompose.decompose(model.compare(portfolio.load(f), "severe"))
    assert d.terms == {"pis": 15, "gif": 15}
    for r in d.rows:
        if r["term"] is not None:
            assert r["term"] == 0.0 and r["loss_order"] == r["total"]


def test_cli_compare_reports_the_decomposition(tmp_path):
    js = tmp_path / "c.json"
    r = CliRunner().invoke(main, ["compare", str(SHIPPED), "--case", "severe", "--json", str(js)])
    assert r.exit_code == 0, r.output
    assert "loss order" in r.output and "term" in r.output
    d = json.loads(js.read_text())["decomposition"]
    assert d["terms_years"] == {"pis": 20, "gif": 15} and "loss_order" in d["definition"]
    assert {r["tranche"] for r in d["rows"]} == {"government", "public", "private", "fund"}
