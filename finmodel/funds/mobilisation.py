"""Mobilisation: fund equity -> SPC equity -> project cost -> orders to Korean firms -> jobs.

Two chains, never mixed:

* **bottom-up** (:func:`bottom_up`), from a portfolio's modelled investments, project by project, as rows of
  the fund model (:mod:`finmodel.funds.mobilisation_rows`; :func:`chain` is the same on arrays, for programmes)::

      fund equity    F_k = the fund model's investment in project k (p{k}_invest) [KRW]
      SPC equity     E_k = F_k / s_k                  (s_k the portfolio's stake)
      project cost   C_k = E_k / e_k                  (e_k = total equity / total uses of the project's own run,
                                                       its row equity_share_of_cost)
      orders         O_k = o_k * c_k * C_k            (c_k = capex / uses, its row capex_share_of_cost; o_k share
                                                       of the capex, the EPC contract, won by Korean firms:
                                                       portfolio entry or data default)
      USD            O_k / x_k                        (x_k = fx_to_krw / fx_to_usd of the project's scenario)
      jobs           J_k = O_k[USD] / 1e10 * j        (j jobs per USD 10 bn, the plan citing KIEP)

* **top-down** (:func:`mobilisation`), the plan's own reference: fixed ratios on a fund size. The plan states
  1.5 trn KRW, the 20 % stake, about USD 20 bn and 33,000 jobs per USD 10 bn; the 30 % equity share and
  1,200 KRW/USD are back-solved (``derived``), and so is counting the whole project cost as orders. With them:
  7.5 trn KRW of SPC equity, 25 trn KRW of projects, USD 20.8 bn, 68,750 jobs.

Parameters, their status (stated / derived / estimated) and sources: ``finmodel/data/mobilisation.yaml``.
"""

from __future__ import annotations

import dataclasses
import functools
from importlib import resources

import numpy as np
import yaml

from finmodel.errors import InputError
from finmodel.funds import mobilisation_rows

USD_10BN = 1e10
PARAMS = ("fund_size", "stake", "equity_share", "krw_per_usd", "orders_share", "jobs_per_usd_10bn")


@functools.cache
def data() -> dict:
    """``finmodel/data/mobilisation.yaml``: ``plan_headline``, ``top_down``, ``bottom_up``; each parameter a
    mapping ``{value, status, source}``."""
    from finmodel.readfile import Loader as _Loader

    text = resources.files("finmodel.data").joinpath("mobilisation.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader reading YAML 1.2 floats such as 1.5e12)


def defaults() -> dict:
    """The plan's top-down parameters, values only."""
    return {k: v["value"] for k, v in data()["top_down"].items()}


def tags(block: str = "top_down") -> dict:
    """``{parameter: "status: source"}`` of a block of the data file."""
    return {k: f"{v['status']}: {v['source']}" for k, v in data()[block].items()}


@dataclasses.dataclass(frozen=True)
class Mobilisation:
    """The top-down chain (the plan's reference), with the parameters used and their status."""

    fund_size_krw: float  # [KRW]
    stake: float  # [fraction of SPC equity]
    equity_share: float  # [fraction of project cost]
    krw_per_usd: float  # [KRW/USD]
    orders_share: float  # [fraction of project cost counted as orders]
    jobs_per_usd_10bn: float  # [jobs per USD 10 bn of orders]
    spc_equity_krw: float  # [KRW]
    project_cost_krw: float  # [KRW]
    orders_krw: float  # [KRW]
    orders_usd: float  # [USD]
    jobs: float  # [jobs]
    sources: dict  # parameter -> "status: source"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def mobilisation(
    fund_size_krw: float | None = None,
    *,
    stake: float | None = None,
    equity_share: float | None = None,
    krw_per_usd: float | None = None,
    orders_share: float | None = None,
    jobs_per_usd_10bn: float | None = None,
) -> Mobilisation:
    """The top-down chain for a fund size; every parameter defaults to the plan's (see module notes).

    Examples
    --------
    >>> m = mobilisation()
    >>> round(m.project_cost_krw / 1e12, 1), round(m.orders_usd / 1e9, 1), round(m.jobs)
    (25.0, 20.8, 68750)
    """
    d = defaults()
    given = {
        "fund_size": fund_size_krw,
        "stake": stake,
        "equity_share": equity_share,
        "krw_per_usd": krw_per_usd,
        "orders_share": orders_share,
        "jobs_per_usd_10bn": jobs_per_usd_10bn,
    }
    p = {k: float(d[k] if v is None else v) for k, v in given.items()}
    problems = []
    for k in ("stake", "equity_share"):
        if not 0 < p[k] <= 1:
            problems.append((k, f"expected a fraction in (0, 1], found {p[k]:g}"))
    if not 0 <= p["orders_share"] <= 1:
        problems.append(("orders_share", f"expected a fraction in [0, 1], found {p['orders_share']:g}"))
    for k in ("fund_size", "krw_per_usd", "jobs_per_usd_10bn"):
        if not p[k] >= 0 or (k == "krw_per_usd" and p[k] == 0):
            problems.append((k, f"expected a positive number, found {p[k]:g}"))
    if problems:
        raise InputError(problems)
    equity = p["fund_size"] / p["stake"]
    cost = equity / p["equity_share"]
    orders = cost * p["orders_share"]
    usd = orders / p["krw_per_usd"]
    src = tags("top_down")
    return Mobilisation(
        fund_size_krw=p["fund_size"],
        stake=p["stake"],
        equity_share=p["equity_share"],
        krw_per_usd=p["krw_per_usd"],
        orders_share=p["orders_share"],
        jobs_per_usd_10bn=p["jobs_per_usd_10bn"],
        spc_equity_krw=equity,
        project_cost_krw=cost,
        orders_krw=orders,
        orders_usd=usd,
        jobs=usd / USD_10BN * p["jobs_per_usd_10bn"],
        sources={k: v for k, v in src.items() if k != "fund_size" or fund_size_krw is None}
        | ({"fund_size": "input"} if fund_size_krw is not None else {}),
    )


def chain(fund_equity_krw, stake, equity_share, capex_share, orders_share, krw_per_usd, jobs_per_usd_10bn):
    """The bottom-up chain on arrays (any broadcastable shapes): ``(spc equity, project cost, orders [KRW],
    orders [USD], jobs)``. ``capex_share`` = capex / project cost (the EPC contract's part of the cost)."""
    spc = np.asarray(fund_equity_krw, dtype=float) / stake
    cost = spc / equity_share
    orders = orders_share * capex_share * cost
    usd = orders / krw_per_usd
    return spc, cost, orders, usd, usd / USD_10BN * jobs_per_usd_10bn


@dataclasses.dataclass
class BottomUp:
    """The bottom-up chain of a portfolio's modelled investments: one row per project and the totals."""

    projects: list[dict]
    totals: dict
    parameters: dict  # orders_share / jobs_per_usd_10bn defaults with their "status: source"
    reference: Mobilisation  # the plan's top-down headline (1.5 trn KRW), for comparison only
    reference_same_fund: Mobilisation  # the plan's ratios applied to this fund's commitments

    def to_dict(self) -> dict:
        return {
            "method": "bottom-up from the fund model's investments, each project's stake, equity share, capex, "
            "orders share and exchange rate",
            "projects": self.projects,
            "totals": self.totals,
            "parameters": self.parameters,
            "plan_reference": {
                "label": "the plan's top-down headline (1.5 trn KRW fund at fixed ratios), not a model result",
                **self.reference.to_dict(),
            },
            "plan_ratios_on_this_fund": {
                "label": "the plan's fixed ratios applied to this fund's total commitments (reference)",
                **self.reference_same_fund.to_dict(),
            },
        }


def bottom_up(result) -> BottomUp:
    """The bottom-up chain of a :class:`~finmodel.funds.model.FundResult`: its mobilisation rows
    (:mod:`finmodel.funds.mobilisation_rows`), project by project."""
    v = result.values
    rows = []
    for k, f in enumerate(result.flows, start=1):
        if not f.equity_share or f.equity_share <= 0 or f"p{k}_jobs" not in v:
            raise InputError([(f"projects.{k - 1}", "expected a project with equity and a project cost, found none")])

        def val(name, k=k):
            return float(v[name.format(k=k)][0, 0])

        rows.append(
            {
                "name": f.name,
                "country": f.country,
                "fund_equity_krw": val("p{k}_fund_equity"),
                "stake": val("in_p{k}_stake"),
                "spc_equity_krw": val("p{k}_spc_equity"),
                "equity_share": val("in_p{k}_equity_share"),
                "project_cost_krw": val("p{k}_project_cost"),
                "capex_share": val("in_p{k}_capex_share"),
                "orders_share": val("in_p{k}_orders_share"),
                "orders_share_status": "estimated (default)" if f.orders_share is None else "input (portfolio file)",
                "orders_krw": val("p{k}_orders_krw"),
                "krw_per_usd": val("in_p{k}_fx_to_krw") / val("in_p{k}_fx_to_usd"),
                "orders_usd": val("p{k}_orders_usd"),
                "jobs": val("p{k}_jobs"),
            }
        )
    keys = ("fund_equity_krw", "spc_equity_krw", "project_cost_krw", "orders_krw", "orders_usd", "jobs")
    # the portfolio's total rows (mobilisation_fund_equity ...: the order of mobilisation_rows.CHAIN)
    totals = {k: float(v[f"mobilisation_{c}"][0, 0]) for k, c in zip(keys, mobilisation_rows.CHAIN, strict=True)}
    totals["orders_usd_per_krw_bn_of_fund_equity"] = (
        totals["orders_usd"] / (totals["fund_equity_krw"] / 1e9) if totals["fund_equity_krw"] > 0 else None
    )
    commitments = sum(t.commitment for t in result.terms.tranches)
    return BottomUp(
        projects=rows,
        totals=totals,
        parameters=tags("bottom_up"),
        reference=mobilisation(),
        reference_same_fund=mobilisation(commitments),
    )
