"""finmodel: project-finance modelling for Korean-supported overseas smart-city projects.

The Python API (the command line is built on it)::

    import finmodel
    sc = finmodel.load("scenarios/kota_kinabalu.yaml")   # read and validated once (sc.sha256)
    res = finmodel.run(sc, cases=["base", "downside"])    # res.cashflows, res.annual, res.metrics, res.checks
    sim = finmodel.simulate(sc, paths=10_000, seed=7)     # needs a risk: block; sim.paths, sim.summary
    cmp = finmodel.compare("scenarios/pis_smart_city_subfund.yaml")   # cmp.tranches (PIS vs GIF)
    ge = finmodel.grant_element(sc)                       # ge.grant_elements: one row per facility

and ``solve`` (the structuring solver), ``fund``, ``countries``, ``sensitivity``, ``frontier``, ``programme``,
``validate``, ``scenario_schema``,
``new_scenario``, ``report`` (the credit paper): every command of the command line has its function here.

See :mod:`finmodel.api` (the functions) and :mod:`finmodel.outputs.results` (what they return). They are imported on
first use, so ``import finmodel`` stays fast.

The data flow, one module per concern::

    scenario -> timeline -> operations -> debt -> funding -> waterfall -> returns
             -> blending / guarantees -> fund -> risk -> excel / charts
"""

from finmodel.version import __version__

_API = (
    "load",
    "run",
    "simulate",
    "compare",
    "sensitivity",
    "frontier",
    "programme",
    "grant_element",
    "validate",
    "scenario_schema",
    "new_scenario",
    "countries",
    "solve",
    "fund",
    "report",
)
_RESULTS = ("Result", "CaseRun", "SimulationResult", "GrantElementResult")

__all__ = ["__version__", *_API, *_RESULTS]


def __getattr__(name):
    """Import the public API on first use (PEP 562): ``finmodel.run`` loads numpy, pandas and the engine."""
    if name in _API:
        from finmodel import api

        return getattr(api, name)
    if name == "SimulationResult":
        from finmodel.risk.frames import SimulationResult

        return SimulationResult
    if name in _RESULTS:
        from finmodel.outputs import results

        return getattr(results, name)
    raise AttributeError(f"module 'finmodel' has no attribute {name!r}")
