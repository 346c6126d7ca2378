"""The bottom-up mobilisation chain as rows of the fund model (fund Outputs sheet, section Mobilisation).

For each project ``k`` with its share rows (the projects of a portfolio; :mod:`finmodel.model.cost_shares`), all in KRW
unless marked::

    p{k}_fund_equity    = SUM(p{k}_invest)                      the fund's investment in the project
    p{k}_spc_equity     = p{k}_fund_equity / stake              SPC equity
    p{k}_project_cost   = p{k}_spc_equity / equity share        project cost (the project's equity_share_of_cost)
    p{k}_orders_krw     = orders share x capex share x cost     orders to Korean firms (capex_share_of_cost)
    p{k}_orders_usd     = p{k}_orders_krw / (KRW per unit / USD per unit)     [USD]
    p{k}_jobs           = p{k}_orders_usd / USD 10 bn x jobs per USD 10 bn   [jobs]

and the portfolio's totals (``mobilisation_*``). The parameters are inputs with their status and source
(``finmodel/data/mobilisation.yaml``); :func:`finmodel.funds.mobilisation.bottom_up` reads these rows. The plan's
top-down reference is fixed ratios on a fund size, not a model result: it stays in that module.
"""

from __future__ import annotations

from finmodel.rows import Sum, Total

OUT = "Outputs"
SECTION = "Mobilisation (bottom-up)"
USD_10BN = 1e10
"""[USD] The orders basis of the plan's jobs ratio (jobs per USD 10 bn of orders)."""

CHAIN = ("fund_equity", "spc_equity", "project_cost", "orders_krw", "orders_usd", "jobs")


def build(b, jobs_per_usd_10bn: float, source: str) -> list[int]:
    """Add the chain for every project of ``b`` (a :class:`~finmodel.funds.waterfall.FundBuilder`) whose
    :class:`~finmodel.funds.waterfall.ProjectInput` carries its shares; returns the project numbers covered."""
    m = b.model
    done = [k for k, p in enumerate(b.projects, start=1) if p.equity_share and p.equity_share > 0]
    if not done:
        return done
    jobs_per = m.add_input(
        "in_jobs_per_usd_10bn",
        jobs_per_usd_10bn,
        "Jobs per USD 10 bn of orders",
        unit="jobs",
        group="Mobilisation",
        fmt="int",
        source=source,
    )
    basis = m.add_input(
        "in_jobs_orders_basis", USD_10BN, "Orders basis of the jobs ratio", unit="USD", group="Mobilisation"
    )

    def out(name, expr, label, unit="KRW", fmt="money"):
        return m.add(name, expr, OUT, label, unit=unit, fmt=fmt, section=SECTION)

    for k in done:
        p = b.projects[k - 1]
        g = f"Project {k}: {p.name}"

        def inp(what, value, label, src, fmt="pct", unit="fraction", g=g, k=k, p=p):
            return m.add_input(f"in_p{k}_{what}", value, f"{p.name}: {label}", unit=unit, group=g, fmt=fmt, source=src)

        e = inp("equity_share", p.equity_share, "equity share of project cost", "project row equity_share_of_cost")
        c = inp("capex_share", p.capex_share, "capex share of project cost", "project row capex_share_of_cost")
        o = inp("orders_share", p.orders_share, "share of the capex won by Korean firms", p.orders_share_status)
        usd = inp("fx_to_usd", p.fx_to_usd, "FX", "project scenario fx_to_usd", fmt="number", unit=f"USD/{p.currency}")
        krw = m.ref(f"in_p{k}_fx_to_krw")
        stake = m.ref(f"in_p{k}_stake")
        fe = out(f"p{k}_fund_equity", Total(f"p{k}_invest"), f"{p.name}: fund equity invested")
        spc = out(f"p{k}_spc_equity", fe / stake, f"{p.name}: SPC equity = fund equity / stake")
        cost = out(f"p{k}_project_cost", spc / e, f"{p.name}: project cost = SPC equity / equity share")
        orders = out(f"p{k}_orders_krw", o * c * cost, f"{p.name}: orders = orders share x capex share x project cost")
        ousd = out(f"p{k}_orders_usd", orders / (krw / usd), f"{p.name}: orders in USD", unit="USD")
        jobs = ousd / basis * jobs_per
        out(f"p{k}_jobs", jobs, f"{p.name}: jobs = orders / USD 10 bn x jobs", unit="jobs", fmt="int")
    for what in CHAIN:
        unit = {"orders_usd": "USD", "jobs": "jobs"}.get(what, "KRW")
        label = what.replace("_krw", "").replace("_usd", " in USD").replace("_", " ")
        out(
            f"mobilisation_{what}",
            Sum([m.ref(f"p{k}_{what}") for k in done]),
            f"Portfolio: {label}",
            unit=unit,
            fmt="int" if what == "jobs" else "money",
        )
    return done
