"""Each fund tranche's IRR when one sensitivity driver moves in every project of a portfolio at once
(``finmodel sensitivity SCENARIO --portfolio PORTFOLIO``): the project sensitivities of
:mod:`finmodel.risk.sensitivity` carried through the fund model.
"""

from __future__ import annotations

import numpy as np

from finmodel.funds import model as fund_model
from finmodel.funds import portfolio as pf
from finmodel.risk.sensitivity import DRIVERS, Context
from finmodel.risk.simulation import prepare


def tranche_sensitivities(portfolio, drivers=DRIVERS, *, structure: str | None = None) -> list[dict]:
    """Each fund tranche's IRR when one driver moves in *every* project of a portfolio at once.

    Every project of the portfolio file is evaluated in its entry's case (financing as sized on its base case)
    with all sensitivity points as paths of one call; its equity cash flows (paths, project periods) go onto
    fund periods (``ProjectFlows.fund_series``) and the fund model evaluates all points in one call too.
    Portfolio cases are not applied (the base portfolio). Returns spider rows: driver, change, unit and one
    ``<tranche>_irr`` column per tranche (``fund_irr`` for the whole fund). ``portfolio``: a portfolio file, or
    a :class:`~finmodel.funds.portfolio.LoadedPortfolio` (not read again).
    """
    lp = portfolio if isinstance(portfolio, pf.LoadedPortfolio) else pf.load(portfolio)
    fund = fund_model.run(lp, structure=structure)
    periods = fund.model.periods
    points = [("base", 0.0)]
    for d in drivers:
        points += [(d.name, s) for s in sorted(set(d.steps) | {d.low, d.high}) if s != 0.0]
    changes = {d.name: np.array([s if name == d.name else 0.0 for name, s in points]) for d in drivers}
    overrides = {}
    for k, (entry, sc, flows) in enumerate(zip(lp.spec.projects, lp.scenarios, fund.flows, strict=True), start=1):
        ctx = Context(*prepare(sc, entry.case))  # the scenario loaded with the portfolio, not read again
        ov, n = ctx.overrides(changes)
        v = ctx.model.evaluate({**ctx.det.solved, **ov}, paths=n)
        overrides[f"in_p{k}_equity_cf"] = flows.fund_series(periods, v["equity_cf"])
    fv = fund.model.evaluate(overrides)
    names = [m for m in fund.metric_names if m.endswith("_irr")]
    units = {d.name: d.unit for d in drivers}
    return [
        {"driver": name, "change": s, "unit": units.get(name, ""), **{m: float(fv[m][i, 0]) for m in names}}
        for i, (name, s) in enumerate(points)
    ]
