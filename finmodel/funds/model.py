"""Run the fund model: portfolio file -> project cash flows -> fund rows -> evaluated result."""

from __future__ import annotations

import dataclasses

import numpy as np

from finmodel.funds import mobilisation as mob
from finmodel.funds import mobilisation_rows
from finmodel.funds import portfolio as pf
from finmodel.funds import waterfall as wf


@dataclasses.dataclass
class FundResult:
    """One fund structure under one portfolio case: every row's values, metrics and checks.

    Shaped like :class:`finmodel.model.engine.CaseResult` (``case``, ``model``, ``values``, ``metric_names``,
    ``metrics()``, ``checks()``, ``row()``), so the workbook writer and the parity check take it as is.
    """

    case: str  # label, "<structure> | <portfolio case>"
    structure: str
    portfolio_case: str
    builder: wf.FundBuilder
    values: dict[str, np.ndarray]
    flows: list
    resized: bool = True  # (the workbook writer's notion for project cases; a fund has no debt to size)

    @property
    def model(self):
        return self.builder.model

    @property
    def terms(self) -> wf.FundTerms:
        return self.builder.terms

    @property
    def metric_names(self) -> list[str]:
        return [n for n, r in self.model.rows.items() if r.sheet == wf.OUT]

    def metrics(self, path: int = 0) -> dict[str, float | None]:
        out = {}
        for n in self.metric_names:
            x = float(self.values[n][path, 0])
            out[n] = None if np.isnan(x) else x
        return out

    def checks(self, path: int = 0) -> dict[str, bool]:
        names = list(self.builder.check_names) + ["master_check"]
        return {n: bool(self.values[n][path, 0] > 0.5) for n in names}

    def row(self, name: str, path: int = 0) -> np.ndarray:
        return self.values[name][path]


def project_inputs(flows: list[pf.ProjectFlows], periods: int) -> list[wf.ProjectInput]:
    """The fund model's project inputs: equity cash flows on fund periods, labelled with their source, and the
    project's part of the mobilisation chain (its cost shares; the orders share of the portfolio or the data)."""
    bu = mob.data()["bottom_up"]["orders_share"]
    return [
        wf.ProjectInput(
            name=f.name,
            title=f.title,
            currency=f.currency,
            fx_to_krw=f.fx_to_krw,
            stake=f.stake,
            series=f.fund_series(periods),
            source=f"{f.source}, case {f.case}, sha256 {f.sha256[:12]}",
            equity_share=f.equity_share,
            capex_share=f.capex_share,
            orders_share=float(bu["value"]) if f.orders_share is None else f.orders_share,
            orders_share_status=f"{bu['status']}: {bu['source']}" if f.orders_share is None else "portfolio file",
            fx_to_usd=f.fx_to_usd,
        )
        for f in flows
    ]


def build(terms: wf.FundTerms, flows: list[pf.ProjectFlows]) -> wf.FundBuilder:
    periods = max(terms.term_years * terms.periods_per_year, max((int(f.index.max()) for f in flows), default=0))
    b = wf.build(terms, project_inputs(flows, periods), periods)
    jobs = mob.data()["bottom_up"]["jobs_per_usd_10bn"]
    source = f"mobilisation.yaml bottom_up ({jobs['status']}: {jobs['source']})"
    mobilisation_rows.build(b, float(jobs["value"]), source)
    return b


def evaluate(terms: wf.FundTerms, flows: list[pf.ProjectFlows], portfolio_case: str = "base") -> FundResult:
    b = build(terms, flows)
    values = b.model.evaluate()
    return FundResult(f"{terms.structure} | {portfolio_case}", terms.structure, portfolio_case, b, values, flows)


def run(portfolio, case: str | None = None, *, structure: str | None = None) -> FundResult:
    """The fund of a portfolio (path or :class:`~finmodel.funds.portfolio.LoadedPortfolio`) under ``case``.

    ``structure`` (pis, gif) replaces the file's structure (see :meth:`FundTerms.as_structure`).
    """
    lp = portfolio if isinstance(portfolio, pf.LoadedPortfolio) else pf.load(portfolio)
    case = lp.check_case(case)
    terms = wf.FundTerms.from_spec(lp.fund)
    if structure is not None and structure != terms.structure:
        terms = terms.as_structure(structure)
    return evaluate(terms, pf.project_flows(lp, case), case)


def compare(portfolio, case: str | None = None, structures=("pis", "gif")) -> list[FundResult]:
    """The same portfolio and case under each structure (project cash flows computed once)."""
    lp = portfolio if isinstance(portfolio, pf.LoadedPortfolio) else pf.load(portfolio)
    case = lp.check_case(case)
    flows = pf.project_flows(lp, case)
    base = wf.FundTerms.from_spec(lp.fund)
    return [evaluate(base.as_structure(s), flows, case) for s in structures]
