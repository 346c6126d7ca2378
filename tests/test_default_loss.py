"""Loss at default and DSRA exhaustion as model rows (finmodel.model.default_loss), against numpy written from the
rules.

The references below are independent of the row definitions: exposure at default picked by index, the discount as
``exp(-sum log1p(rate))`` with the rate read back as interest / opening balance (not the period-rate row), the DSRA
test on the waterfall's rows. Paths come from the Monte Carlo of a shipped scenario, so defaults with and without
losses, subordinated facilities and empty reserves all occur.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from finmodel.risk import drivers as drv
from finmodel.risk import sensitivity
from finmodel.risk import simulation as sim
from finmodel.schema import load_raw

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "iraq_bismaya.yaml"  # of the shipped scenarios, the one with most defaults
PATHS = 3000
CENT = 0.01  # the money tolerance (finmodel.conventions.MONEY_TOLERANCE)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    # without its termination compensation, which repays the senior debt on every political default
    raw = load_raw(SCENARIO)
    del raw["termination"], raw["cases"]["terminated"]
    path = tmp_path_factory.mktemp("loss") / "iraq without termination.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    sc, det = sim.prepare(path)
    spec = sim.make_spec(sc, "base", det, seed=7)
    draws = sim.draws_for(spec, 0, PATHS)
    ov = drv.overrides(draws, spec.timing, spec.base_inputs)
    v = det.model.evaluate({**det.solved, **ov}, paths=PATHS)
    return spec, det, v


def reference_loss(v, p):
    """(EAD, loss) per path from the rules of finmodel.model.default_loss, in plain numpy."""
    d = v["defaulted"] > 0.5
    anyd, first = d.any(axis=1), np.argmax(d, axis=1)
    opening, closing = v[f"{p}_opening"], v[f"{p}_closing"]
    final = np.maximum(closing[:, -1], 0.0)
    rows = np.arange(len(first))
    ead = np.where(anyd, opening[rows, first], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(opening > CENT, v[f"{p}_interest"] / opening, 0.0)
    after = np.arange(opening.shape[1])[None, :] >= first[:, None]
    discount = np.exp(-np.sum(np.where(after, np.log1p(np.maximum(rate, 0.0)), 0.0), axis=1))
    return ead, np.where(anyd, np.minimum(final * discount, ead), final)


def test_exposure_and_loss_at_default_match_the_rules(simulated):
    spec, det, v = simulated
    defaulted = (v["defaulted"] > 0.5).any(axis=1)
    assert 0.02 < defaulted.mean() < 0.5  # the sample holds defaults and paths without
    senior = np.zeros(PATHS)
    for p, _, is_senior in spec.facilities:
        ead, loss = reference_loss(v, p)
        # money of ~1e8 through ~60 products: float error ~1e-7, far below a cent
        np.testing.assert_allclose(v[f"{p}_ead"][:, 0], ead, rtol=0, atol=1e-6, err_msg=p)
        np.testing.assert_allclose(v[f"{p}_default_loss"][:, 0], loss, rtol=1e-12, atol=1e-6, err_msg=p)
        assert np.all(v[f"{p}_ead"][~defaulted, 0] == 0.0)
        senior += loss if is_senior else 0.0
    assert (v["senior_loss"][:, 0] > CENT).sum() > 10  # losses occur, not only defaults
    assert np.all(v["senior_loss"][:, 0] <= sum(v[f"{p}_ead"][:, 0] for p, _, s in spec.facilities if s) + 1e-6)
    np.testing.assert_allclose(v["senior_loss"][:, 0], senior, rtol=1e-12, atol=1e-6)


def test_the_monte_carlo_reads_the_rows(simulated):
    spec, det, v = simulated
    out = sim.run_chunk(spec, 0, 500)
    for p, _, _ in spec.facilities:
        np.testing.assert_array_equal(out[f"loss_{p}"], v[f"{p}_default_loss"][:500, 0])
        np.testing.assert_array_equal(out[f"ead_{p}"], v[f"{p}_ead"][:500, 0])
    np.testing.assert_array_equal(out["senior_loss"], v["senior_loss"][:500, 0])


def test_dsra_exhausted_matches_the_rule():
    sc, det = sim.prepare(REPO / "scenarios" / "kota_kinabalu.yaml")
    ctx = sensitivity.Context(sc, det)
    delays = np.linspace(0.0, 60.0, 41)
    ov, n = ctx.overrides({"delay": delays, "revenue": -np.linspace(0.0, 0.3, 41)})
    v = det.model.evaluate({**det.solved, **ov}, paths=n)
    empty = ((v["dsra_draw"] > 0) & (v["dsra_balance"] <= CENT)).any(axis=1)
    expected = (empty | (v["senior_shortfall"] > CENT).any(axis=1)).astype(float)
    assert 0 < expected.sum() < n  # both outcomes on the grid
    np.testing.assert_array_equal(v["dsra_exhausted"][:, 0], expected)
    assert det.metrics()["dsra_exhausted"] == 0.0  # the base case keeps its DSRA
