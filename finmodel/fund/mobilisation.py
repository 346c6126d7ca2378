"""Mobilisation: fund size -> SPC equity supported -> project cost supported -> orders -> jobs.

Notes
-----
::

    SPC equity supported  E = F / s            (F fund size [KRW], s fund's stake in SPC equity)
    project cost          C = E / e            (e equity share of project cost)
    orders                O_KRW = C,  O_USD = C / x   (x KRW per USD)
    jobs                  J = O_USD / 1e10 * j  (j jobs per USD 10 bn of orders)

The plan's headline (2019 plan IV-1): F = 1.5 trn KRW, s = 20 %, e = 30 %, x = 1,200 KRW/USD gives
E = 7.5 trn KRW, C = 25 trn KRW, O = USD 20.8 bn ("about USD 20 bn"); at j = 33,000 jobs per USD 10 bn
(KIEP), J = 68,750 jobs. Defaults and sources: ``finmodel/data/fund_structures.yaml`` (``mobilisation``).
"""

from __future__ import annotations

import dataclasses

from finmodel.errors import InputError
from finmodel.fund.schema import structures_data

USD_10BN = 1e10


@dataclasses.dataclass(frozen=True)
class Mobilisation:
    """Figures of the mobilisation chain, with the parameters used."""

    fund_size_krw: float  # [KRW]
    stake: float  # [fraction of SPC equity]
    equity_share: float  # [fraction of project cost]
    krw_per_usd: float  # [KRW/USD]
    jobs_per_usd_10bn: float  # [jobs per USD 10 bn of orders]
    spc_equity_krw: float  # [KRW]
    project_cost_krw: float  # [KRW] = orders supported
    orders_usd: float  # [USD]
    jobs: float  # [jobs]
    sources: dict

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def defaults() -> dict:
    """The plan's parameters (``mobilisation`` in fund_structures.yaml), without their sources."""
    return {k: v for k, v in structures_data()["mobilisation"].items() if k != "sources"}


def mobilisation(
    fund_size_krw: float | None = None,
    *,
    stake: float | None = None,
    equity_share: float | None = None,
    krw_per_usd: float | None = None,
    jobs_per_usd_10bn: float | None = None,
) -> Mobilisation:
    """The mobilisation chain for a fund size; every parameter defaults to the plan's (see module notes).

    Parameters
    ----------
    fund_size_krw : float, optional
        Fund size [KRW]; default 1.5 trn (PIS sub-funds).
    stake : float, optional
        Fund's share of SPC equity [fraction, decimal]; default 0.20.
    equity_share : float, optional
        Equity in total project cost [fraction]; default 0.30.
    krw_per_usd : float, optional
        [KRW/USD]; default 1,200.
    jobs_per_usd_10bn : float, optional
        Jobs per USD 10 bn of orders; default 33,000 (KIEP).

    Examples
    --------
    >>> m = mobilisation()
    >>> round(m.project_cost_krw / 1e12, 1), round(m.orders_usd / 1e9, 1), round(m.jobs)
    (25.0, 20.8, 68750)
    """
    d = defaults()
    p = {
        "fund_size_krw": d["fund_size"] if fund_size_krw is None else fund_size_krw,
        "stake": d["stake"] if stake is None else stake,
        "equity_share": d["equity_share"] if equity_share is None else equity_share,
        "krw_per_usd": d["krw_per_usd"] if krw_per_usd is None else krw_per_usd,
        "jobs_per_usd_10bn": d["jobs_per_usd_10bn"] if jobs_per_usd_10bn is None else jobs_per_usd_10bn,
    }
    problems = []
    for k in ("stake", "equity_share"):
        if not 0 < p[k] <= 1:
            problems.append((k, f"expected a fraction in (0, 1], found {p[k]:g}"))
    for k in ("fund_size_krw", "krw_per_usd", "jobs_per_usd_10bn"):
        if not p[k] >= 0 or (k == "krw_per_usd" and p[k] == 0):
            problems.append((k, f"expected a positive number, found {p[k]:g}"))
    if problems:
        raise InputError(problems)
    equity = p["fund_size_krw"] / p["stake"]
    cost = equity / p["equity_share"]
    usd = cost / p["krw_per_usd"]
    return Mobilisation(
        **p,
        spc_equity_krw=equity,
        project_cost_krw=cost,
        orders_usd=usd,
        jobs=usd / USD_10BN * p["jobs_per_usd_10bn"],
        sources=dict(structures_data()["mobilisation"]["sources"]),
    )
