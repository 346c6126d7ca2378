"""Sensitivities and breakevens: one model call for every sensitivity point; breakevens hit their targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from finmodel.risk import sensitivity as sens
from finmodel.risk.simulation import prepare


@pytest.fixture(scope="module")
def ctx():
    return sens.Context(*prepare(None))


def test_all_points_in_one_call(ctx, monkeypatch):
    calls = []
    real = ctx.model.evaluate

    def counting(overrides=None, paths=None):
        calls.append(paths)
        return real(overrides, paths)

    monkeypatch.setattr(ctx.model, "evaluate", counting)
    base, spider, tornado = sens.sensitivities(ctx)
    assert len(calls) == 1 and calls[0] == 1 + sum(len(set(d.steps) | {d.low, d.high} - {0.0}) for d in sens.DRIVERS)
    assert base["equity_irr"] == pytest.approx(ctx.det.metrics()["equity_irr"], rel=1e-12)
    rev = {s["change"]: s for s in spider if s["driver"] == "revenue"}
    assert rev[-0.1]["min_dscr"] < rev[0.0]["min_dscr"] < rev[0.1]["min_dscr"]
    assert {t["driver"] for t in tornado} == set(sens.DRIVER_NAMES)


def test_breakevens_hit_their_targets(ctx):
    res = {b.name: b for b in sens.breakevens(ctx)}
    fall = res["revenue_fall"].value
    over = res["capex_overrun"].value
    delay = res["delay_months"].value
    assert 0 < fall < 1 and 0 < over < 3 and 0 < delay < 120
    v = ctx.evaluate({"revenue": [-fall], "capex": [0.0]})
    # the bracket is ~1e-6 wide in the fall; min DSCR moves ~2x per unit of fall: within 1e-5
    assert v["min_dscr"][0] == pytest.approx(1.0, abs=1e-5)
    v = ctx.evaluate({"capex": [over]})
    assert v["equity_irr"][0] == pytest.approx(ctx.scenario.equity_discount_rate, abs=1e-5)
    width = 120 / 16**5  # the bracket after the iterations
    below, above = ctx.evaluate({"delay": [delay - width, delay + width]})["dsra_exhausted"]
    assert below == 0 and above == 1


def test_fund_tranche_irrs_by_sensitivity_point():
    from finmodel.funds import model as fund_model
    from finmodel.funds.sensitivity import tranche_sensitivities

    portfolio = str(Path(__file__).resolve().parents[1] / "scenarios" / "pis_smart_city_subfund.yaml")
    rows = tranche_sensitivities(portfolio, [d for d in sens.DRIVERS if d.name == "revenue"])
    base = fund_model.run(portfolio).metrics()
    # the base point is the fund model's own run, evaluated as one path among many: same formulas, 1e-12
    for name in (k for k in rows[0] if k.endswith("_irr")):
        assert rows[0][name] == pytest.approx(base[name], rel=1e-12)
    irr = {r["change"]: r["fund_private_irr"] for r in rows}
    assert irr[-0.2] < irr[-0.1] < irr[0.0] < irr[0.1]
