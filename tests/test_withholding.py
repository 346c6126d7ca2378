"""Withholding tax at the border (issue 23): interest paid to lenders abroad, with and without a gross-up clause,
and dividends to sponsors abroad, against hand-worked periods; the rate table's treaty rule.

The project is ``test_guarantees.small()`` without its cover and its lifecycle cost (so it never defaults): loan
100 at 10 % fixed, drawn in period 1 (no interest during construction), 4 equal instalments of 25 in periods 2-5,
so interest due 10, 7.5, 5, 2.5; revenue 60 a year, no tax, one sponsor.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_guarantees import run_raw, small

from finmodel.errors import InputError
from finmodel.inputs import withholding
from finmodel.inputs.validation import scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-9  # hand-worked decimal arithmetic on amounts below 100


def project(**facility):
    raw = small()
    raw.pop("guarantees")
    raw["lifecycle"] = []
    raw["debt"]["facilities"][0].update(facility)
    return raw


def test_interest_without_gross_up_is_borne_by_the_lenders():
    r = run_raw(project(lender_residence="KOR", withholding_rate=0.10))
    base = run_raw(project())
    # t = 10 % of the interest paid: 1.0, 0.75, 0.5, 0.25; the project pays as agreed, so its cash is unchanged
    np.testing.assert_allclose(r.row("d1_wht"), [0, 1.0, 0.75, 0.5, 0.25], atol=TOL)
    np.testing.assert_allclose(r.row("d1_wht_lenders"), r.row("d1_wht"), atol=TOL)
    np.testing.assert_allclose(r.row("cfads"), base.row("cfads"), atol=TOL)
    assert r.metrics()["d1_all_in_cost"] == pytest.approx(0.10, rel=1e-9)  # the borrower's cost: the rate
    assert all(r.checks().values())


def test_gross_up_is_the_borrowers_cost_before_debt_service():
    r = run_raw(project(lender_residence="KOR", withholding_rate=0.10, tax_gross_up=True))
    # g = t / (1 - t) x interest due = interest / 9: the lenders then receive the interest in full, since the tax
    # withheld, t x (interest + g), is g itself: 10 x 0.1 + 10/9 x 0.1 = 10/9
    g = np.array([0, 10, 7.5, 5, 2.5]) / 9
    np.testing.assert_allclose(r.row("d1_gross_up"), g, atol=TOL)
    np.testing.assert_allclose(r.row("d1_wht"), 0.1 * (np.array([0, 10, 7.5, 5, 2.5]) + g), atol=TOL)
    np.testing.assert_allclose(r.row("cfads"), [0, 60, 60, 60, 60] - g, atol=TOL)  # a cash cost before debt service
    np.testing.assert_allclose(r.row("d1_interest_paid"), [0, 10, 7.5, 5, 2.5], atol=TOL)  # lenders: in full
    # yield of the borrower's flows: 100 out, then interest x (1 + 1/9) on the balance and principal at par:
    # exactly 10 % / (1 - 10 %) a year (annual periods)
    assert r.metrics()["d1_all_in_cost"] == pytest.approx(0.1 / 0.9, rel=1e-9)
    assert all(r.checks().values())


def test_dividends_to_a_sponsor_abroad_after_withholding():
    raw = project()
    raw["sponsors"] = [
        dict(name="Korean sponsor", kind="sponsor", share=0.6, residence="KOR", withholding_rate=0.2),
        dict(name="Local partner", kind="sponsor", share=0.4),
    ]
    r, base = run_raw(raw), run_raw(project())
    div = r.row("dividends")
    np.testing.assert_allclose(div, base.row("dividends"), atol=TOL)  # the project pays the same dividends
    np.testing.assert_allclose(r.row("sponsor1_wht"), 0.6 * 0.2 * div, atol=TOL)
    np.testing.assert_allclose(r.row("sponsor1_cf"), 0.6 * base.row("equity_cf") - 0.6 * 0.2 * div, atol=TOL)
    np.testing.assert_allclose(r.row("sponsor2_cf"), 0.4 * base.row("equity_cf"), atol=TOL)
    np.testing.assert_allclose(r.row("equity_cf"), r.row("sponsor1_cf") + r.row("sponsor2_cf"), atol=TOL)
    assert r.metrics()["equity_irr"] < base.metrics()["equity_irr"]  # sponsor returns after withholding
    assert r.metrics()["project_irr"] == pytest.approx(base.metrics()["project_irr"], rel=1e-12)
    assert all(r.checks().values())


def test_the_table_applies_the_treaty_with_korea():
    # the treaty caps the domestic rate; it never raises it; another residence gets the domestic rate
    assert withholding.applicable_rate("IDN", "KOR", "interest") == 0.10
    assert withholding.applicable_rate("IDN", "JPN", "interest") == 0.20
    assert withholding.applicable_rate("VNM", "KOR", "interest") == 0.05  # domestic 5 % below the treaty's 10 %
    assert withholding.applicable_rate("IRQ", "KOR", "interest") == 0.15  # no treaty
    assert withholding.applicable_rate("MYS", "MYS", "interest") == 0.0  # resident: none
    r = run_raw(project(lender_residence="KOR"))  # VNM from the table: 5 %
    assert r.values["in_d1_wht_rate"][0, 0] == 0.05
    assert "withholding.yaml VNM interest" in r.model.inputs["in_d1_wht_rate"].source
    for row in withholding.table()["countries"].values():
        assert row["confidence"] in {"H", "M", "L"} and row["note"]


def test_a_country_without_rates_needs_an_explicit_rate():
    raw = project(lender_residence="KOR")
    raw["project"]["country"] = "PHL"
    with pytest.raises(InputError) as e:
        scenario_from_dict(raw, "t.yaml")
    assert "debt.facilities" in str(e.value) and "withholding_rate" in str(e.value)
    raw["debt"]["facilities"][0]["withholding_rate"] = 0.2
    assert all(run_raw(raw).checks().values())


@pytest.mark.libreoffice
def test_withholding_sheet_recalculation_parity(tmp_path, recalc):
    """The workbook of a project with a grossed-up facility and a sponsor abroad (shareholder loan too),
    recalculated by LibreOffice, equals the engine on every formula cell (parity.compare's tolerances)."""
    import yaml

    from finmodel import api
    from finmodel.workbook import parity

    raw = yaml.safe_load((ROOT / "scenarios" / "kuwait_abdullah.yaml").read_text(encoding="utf-8"))
    raw["debt"]["facilities"][0].update(lender_residence="KOR", tax_gross_up=True, withholding_rate=0.1)
    raw["debt"]["facilities"][-1].update(lender_residence="GBR", withholding_rate=0.05)
    raw["sponsors"][0].update(residence="KOR", withholding_rate=0.05)
    raw["shareholder_loan"] = {"share": 0.3, "rate": 0.07}
    src = tmp_path / "kuwait wht.yaml"
    src.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    path = tmp_path / "wht.xlsx"
    out = api.run(str(src), workbook=path)
    result = out.results[0]
    assert all(result.checks().values())
    expected = parity.expected_cells(result)
    assert sum(1 for sheet, _ in expected if sheet == "Withholding") > 100
    assert parity.compare(result, path, recalc(path)) == []
