"""Operations: capital costs, revenues, operating and lifecycle costs, grants -> EBITDA.

All amounts are in the scenario currency at start-date prices, indexed annually from the start date:
``index = (1 + indexation) ** (model_year - 1)``. Annual amounts are spread evenly over the periods of a
year. Drivers (``revenue_factor``, ``capex_factor``, ``opex_factor``) multiply the lines they name.
Per-period path drivers (series, 1 = as entered; set by :mod:`finmodel.risk`): ``in_demand_factor`` and
``in_fx_factor`` multiply revenues (demand: user-fee revenues only, an availability payment does not depend
on usage); ``in_service_factor`` (completion delay, political interruption: the share of the period in which
the service is delivered and paid for) multiplies every revenue; ``in_inflation_factor`` multiplies revenues,
opex and lifecycle costs.
"""

from __future__ import annotations

from finmodel.rows import Lookup, Mod, Sum
from finmodel.timeline import R

SHEET = "Operations"


def build(b) -> None:
    m, sc = b.model, b.scenario
    P = m.ref("in_periods_per_year")
    year = R("model_year")
    ops = R("operation_flag")
    g = "Drivers"
    rf = m.add_input(
        "in_revenue_factor",
        sc.drivers.revenue_factor,
        "Revenue factor",
        unit="x",
        group=g,
        fmt="x",
        source="case / sensitivity driver (1 = as entered)",
    )
    cf = m.add_input(
        "in_capex_factor",
        sc.drivers.capex_factor,
        "Capex factor",
        unit="x",
        group=g,
        fmt="x",
        source="case / sensitivity driver (1 = as entered)",
    )
    of = m.add_input(
        "in_opex_factor",
        sc.drivers.opex_factor,
        "Opex factor",
        unit="x",
        group=g,
        fmt="x",
        source="case / sensitivity driver (1 = as entered)",
    )

    # per-period path drivers (finmodel.risk): neutral 1 = as entered; a simulation or sensitivity overrides
    # them with one row per path
    src = "risk path driver (1 = as entered; finmodel simulate / sensitivity)"
    demand = m.add_input(
        "in_demand_factor",
        [1.0] * b.periods,
        "Demand factor by period (usage: user-fee revenues only)",
        kind="series",
        unit="x",
        group=g,
        fmt="x",
        source=src,
    )
    service = m.add_input(
        "in_service_factor",
        [1.0] * b.periods,
        "Service factor by period (completion delay, political interruption: every revenue)",
        kind="series",
        unit="x",
        group=g,
        fmt="x",
        source=src,
    )
    fx = m.add_input(
        "in_fx_factor",
        [1.0] * b.periods,
        "FX factor by period (value of local-currency revenue vs the scenario rate)",
        kind="series",
        unit="x",
        group=g,
        fmt="x",
        source=src,
    )
    infl = m.add_input(
        "in_inflation_factor",
        [1.0] * b.periods,
        "Inflation factor by period (actual / assumed price index)",
        kind="series",
        unit="x",
        group=g,
        fmt="x",
        source=src,
    )

    def add(name, expr, label, unit=b.cur, total=True, fmt="money", section=""):
        return m.add(name, expr, SHEET, label, unit=unit, total=total, fmt=fmt, section=section)

    add(
        "availability_path_factor",
        service * fx * infl,
        "Availability revenue path factor (service x FX x inflation)",
        unit="x",
        total=False,
        fmt="x",
        section="Path drivers",
    )
    add(
        "revenue_path_factor",
        demand * R("availability_path_factor"),
        "User-fee revenue path factor (demand x service x FX x inflation)",
        unit="x",
        total=False,
        fmt="x",
        section="Path drivers",
    )

    def index(i):
        return (1 + i) ** (year - 1)

    # --- capex ---------------------------------------------------------------------------------------
    cx = sc.capex
    g = "Capex"
    amt = m.add_input(
        "in_capex_amount", cx.amount, "Construction cost (start-date prices)", unit=b.cur, group=g, fmt="money"
    )
    cont = m.add_input("in_capex_contingency", cx.contingency, "Contingency", unit="fraction", group=g, fmt="pct")
    b.table("in_capex_phasing", cx.phasing, "Capex phasing by construction year", unit="fraction", group=g)
    add(
        "capex",
        Lookup("in_capex_phasing", R("construction_year")) / P * amt * (1 + cont) * cf,
        "Construction cost incl. contingency",
        section="Capital costs",
    )

    # --- revenues and grants -------------------------------------------------------------------------
    rev_rows, grant_rows = [], []
    for i, rv in enumerate(sc.revenues, start=1):
        g = f"Revenue {i}: {rv.name}"
        p = f"in_rev{i}_"
        if rv.kind == "capital_grant":
            a = m.add_input(p + "amount", rv.amount, "Grant amount", unit=b.cur, group=g, fmt="money")
            b.table(p + "phasing", rv.phasing, "Grant phasing by construction year", unit="fraction", group=g)
            grant_rows.append(
                add(
                    f"grant{i}",
                    Lookup(p + "phasing", R("construction_year")) / P * a,
                    f"{rv.name} (capital grant)",
                    section="Grants",
                )
            )
            continue
        ix = m.add_input(p + "indexation", rv.indexation, "Indexation", unit="per year", group=g, fmt="pct")
        if rv.kind == "availability":
            a = m.add_input(p + "amount", rv.amount, "Availability payment", unit=f"{b.cur}/year", group=g, fmt="money")
            base = a
        else:  # user_fee
            vol = m.add_input(
                p + "volume", rv.volume, "Volume in the first operating year", unit="units/year", group=g, fmt="number"
            )
            gr = m.add_input(
                p + "volume_growth", rv.volume_growth, "Volume growth", unit="per year", group=g, fmt="pct"
            )
            tar = m.add_input(p + "tariff", rv.tariff, "Tariff", unit=f"{b.cur}/unit", group=g, fmt="money2")
            base = vol * (1 + gr) ** (R("operation_year") - 1) * tar
        path_factor = R("availability_path_factor" if rv.kind == "availability" else "revenue_path_factor")
        rev_rows.append(add(f"revenue{i}", ops * base / P * index(ix) * rf * path_factor, rv.name, section="Revenues"))
    add("revenue", Sum(rev_rows), "Total revenue", section="Revenues")
    add("grants", Sum(grant_rows), "Total capital grants", section="Grants")

    # --- operating and lifecycle costs -----------------------------------------------------------------
    op_rows = []
    for i, ox in enumerate(sc.opex, start=1):
        g = f"Opex {i}: {ox.name}"
        p = f"in_opex{i}_"
        a = m.add_input(p + "amount", ox.amount, "Annual cost", unit=f"{b.cur}/year", group=g, fmt="money")
        ix = m.add_input(p + "indexation", ox.indexation, "Indexation", unit="per year", group=g, fmt="pct")
        op_rows.append(add(f"opex{i}", ops * a / P * index(ix) * of * infl, ox.name, section="Operating costs"))
    add("opex", Sum(op_rows), "Total operating costs", section="Operating costs")

    lc_rows = []
    for i, lc in enumerate(sc.lifecycle, start=1):
        g = f"Lifecycle {i}: {lc.name}"
        p = f"in_lc{i}_"
        a = m.add_input(p + "amount", lc.amount, "Cost per occurrence", unit=b.cur, group=g, fmt="money")
        ev = m.add_input(p + "every_years", lc.every_years, "Every", unit="years", group=g, fmt="int")
        ix = m.add_input(p + "indexation", lc.indexation, "Indexation", unit="per year", group=g, fmt="pct")
        due = ops * Mod(R("operation_year"), ev).eq(0)
        lc_rows.append(add(f"lifecycle{i}", due * a / P * index(ix) * of * infl, lc.name, section="Lifecycle costs"))
    add("lifecycle", Sum(lc_rows), "Total lifecycle costs", section="Lifecycle costs")
    add("ebitda", R("revenue") - R("opex") - R("lifecycle"), "EBITDA (lifecycle expensed)", section="EBITDA")
