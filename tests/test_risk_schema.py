"""The risk: block of a scenario: accepted forms and the messages for bad input (field path, expected, found)."""

from __future__ import annotations

import numpy as np
import pytest

from finmodel.errors import InputError
from finmodel.inputs.validation import scenario_from_dict
from finmodel.risk import drivers as drv
from finmodel.schema import load_raw
from finmodel.schema.risk import correlation_problems


def problems(risk):
    raw = load_raw()
    raw["risk"] = risk
    with pytest.raises(InputError) as exc:
        scenario_from_dict(raw, "s.yaml")
    return exc.value.problems


def test_valid_block_loads():
    raw = load_raw()
    raw["risk"] = {
        "capex_overrun": {"kind": "triangular", "low": 0.95, "mode": 1.0, "high": 1.3},
        "demand": {"sd": 0.1, "autocorrelation": 0.5},
    }
    sc = scenario_from_dict(raw, "s.yaml")
    assert sc.risk.declared() == ["capex_overrun", "demand"]
    assert load_raw()["risk"]["preset"] == "smart_city_platform"  # every shipped scenario has a risk block


@pytest.mark.parametrize(
    "risk, path, fragment",
    [
        ({"demand": {"sd": 12}}, "risk.demand.sd", "<= 1"),
        ({"capex_overrun": {"kind": "beta", "mean": 1}}, "risk.capex_overrun.kind", "expected one of"),
        ({"capex_overrun": {"kind": "normal", "mean": 1.0}}, "risk.capex_overrun", "expected mean, sd for kind normal"),
        (
            {"construction_delay": {"kind": "triangular", "low": 0, "mode": 9, "high": 6}},
            "risk.construction_delay",
            "low <= mode <= high",
        ),
        ({"opex": {"kind": "normal", "mean": 1.0, "sd": 0.5}}, "risk", "cannot be negative"),
        ({"political_event": {"annual_probability": 2}}, "risk.political_event", "annual probability in [0, 1)"),
        ({"fx": {"volatility": 0.1}, "bogus": {}}, "risk.bogus", "unknown key"),
    ],
)
def test_bad_blocks_name_the_field(risk, path, fragment):
    found = problems(risk)
    assert any(p == path and fragment in m for p, m in found), found


def test_correlation_rules():
    base = {
        "capex_overrun": {"kind": "lognormal", "mean": 1.0, "sd": 0.1},
        "opex": {"kind": "fixed", "value": 1.0},
        "demand": {"sd": 0.1},
    }
    bad_psd = dict(
        base,
        correlation={
            "drivers": ["capex_overrun", "opex", "demand"],
            "matrix": [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]],
        },
    )
    assert any("positive semi-definite" in m for _, m in problems(bad_psd))
    asym = dict(base, correlation={"drivers": ["capex_overrun", "opex"], "matrix": [[1, 0.2], [0.3, 1]]})
    assert any("symmetric" in m for _, m in problems(asym))
    shape = dict(base, correlation={"drivers": ["capex_overrun", "opex"], "matrix": [[1, 0.2]]})
    assert any("2 x 2" in m for _, m in problems(shape))
    undeclared = dict(base, correlation={"drivers": ["capex_overrun", "fx"], "matrix": [[1, 0.2], [0.2, 1]]})
    assert any("fx not declared" in m for _, m in problems(undeclared))


def test_semidefinite_matrix_is_accepted_and_factorised():
    c = np.array([[1.0, 1.0], [1.0, 1.0]])  # perfectly correlated: PSD, singular (Cholesky fails)
    assert correlation_problems(c) == []
    raw = load_raw()
    raw["risk"] = {
        "capex_overrun": {"kind": "lognormal", "mean": 1.0, "sd": 0.1},
        "opex": {"kind": "normal", "mean": 1.0, "sd": 0.01},
        "correlation": {"drivers": ["capex_overrun", "opex"], "matrix": c.tolist()},
    }
    sc = scenario_from_dict(raw, "s.yaml")
    names, factor = drv.copula_factor(sc.risk)
    assert names == ["capex_overrun", "opex"]
    np.testing.assert_allclose(factor @ factor.T, c, atol=1e-12)  # eigen square root reproduces C to round-off


def test_marginals_against_closed_forms():
    from finmodel.schema.risk import Distribution

    z = np.linspace(-3, 3, 13)
    u = drv.norm_cdf(z)
    assert u[6] == 0.5 and np.all(np.diff(u) > 0)
    tri = Distribution(kind="triangular", low=0.0, mode=3.0, high=12.0)
    x = drv.marginal(tri, z)
    # triangular CDF: (x-a)^2/((b-a)(c-a)) below the mode, 1 - (b-x)^2/((b-a)(b-c)) above
    cdf = np.where(x < 3, x**2 / (12 * 3), 1 - (12 - x) ** 2 / (12 * 9))
    np.testing.assert_allclose(cdf, u, rtol=1e-12)
    ln = Distribution(kind="lognormal", mean=1.05, sd=0.0)
    assert np.all(drv.marginal(ln, z) == 1.05)  # degenerate: exactly the mean
