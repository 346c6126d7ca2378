"""Operations: capital costs, revenues, operating and lifecycle costs, grants -> EBITDA.

All amounts are at start-date prices in the line's currency (``currency``, default the model currency), indexed
annually from the start date: ``index = (1 + indexation) ** (model_year - 1)``. A line in another currency is
built here as ``<line>_local`` in that currency and converted on the FX sheet (:mod:`finmodel.model.fx`) to the row
everything downstream reads. Annual amounts are spread evenly over the periods of a year. Drivers
(``revenue_factor``, ``capex_factor``, ``opex_factor``) multiply the lines they name. Per-period path drivers
(series, 1 = as entered; set by :mod:`finmodel.risk`): ``in_demand_factor`` multiplies user-fee revenues (an
availability payment does not depend on usage); ``in_service_factor`` (completion delay, political interruption:
the share of the period in which the service is delivered and paid for) multiplies every revenue;
``in_inflation_factor`` multiplies revenues, opex and lifecycle costs; ``in_fx_factor`` moves the value of one
currency (:mod:`finmodel.model.fx`), so only the lines stated in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.model import fx
from finmodel.model.timeline import R
from finmodel.rows import Expr, If, Lookup, Max, Mod, Ref, Sum

if TYPE_CHECKING:
    from finmodel.model.context import Builder

SHEET = "Operations"

_PATH_SOURCE = "risk path driver (1 = as entered; finmodel simulate / sensitivity)"
_PATH_DRIVERS = (  # (input, label): per-period path drivers [x], neutral 1 = as entered
    ("in_demand_factor", "Demand factor by period (usage: user-fee revenues only)"),
    ("in_service_factor", "Service factor by period (completion delay, political interruption: every revenue)"),
    ("in_fx_factor", "FX factor by period (value of {cur} vs its fx path: moves the lines in {cur} only)"),
    ("in_inflation_factor", "Inflation factor by period (actual / assumed price index)"),
)


def build(b: Builder) -> None:
    """The Operations sheet: drivers, capex, revenues and grants, operating and lifecycle costs, EBITDA."""
    _drivers(b)
    fx.build(b)  # FX sheet: rates and values of the other currencies, before the lines converted with them
    _path_factors(b)
    _capex(b)
    _revenues(b)
    _opex(b)
    _lifecycle(b)
    _add(b, "ebitda", R("revenue") - R("opex") - R("lifecycle"), "EBITDA (lifecycle expensed)", section="EBITDA")


def _add(b: Builder, name, expr, label, unit=None, total=True, fmt="money", section="") -> Ref:
    """An Operations-sheet row (default: [currency per period], with a total)."""
    unit = b.cur if unit is None else unit
    return b.model.add(name, expr, SHEET, label, unit=unit, total=total, fmt=fmt, section=section)


def _line(b: Builder, name, expr, label, cur, section, hard_share=None) -> Ref:
    """A line's row ``name`` in the model currency: built directly when ``cur`` is the model currency, else as
    ``<name>_local`` [cur per period] here and converted on the FX sheet (:func:`finmodel.model.fx.convert`)."""
    if cur == b.cur:
        return _add(b, name, expr, label, section=section)
    local = _add(b, f"{name}_local", expr, f"{label} [{cur}]", unit=cur, section=section)
    return fx.convert(b, name, local, cur, label, hard_share=hard_share)


def _cur(b: Builder, line) -> str:
    """The currency of a scenario line (its ``currency``, default the model currency)."""
    return line.currency or b.cur


def _index(indexation: Ref) -> Expr:
    """The price index of a model year, ``(1 + indexation) ** (model_year - 1)`` [factor]."""
    return (1 + indexation) ** (R("model_year") - 1)


def _drivers(b: Builder) -> None:
    """Inputs (group Drivers): revenue, capex and opex factors [x] (case / sensitivity drivers) and the
    per-period path drivers (:data:`_PATH_DRIVERS`) [x, per period]."""
    m, d = b.model, b.scenario.drivers
    for name, value, label in (
        ("in_revenue_factor", d.revenue_factor, "Revenue factor"),
        ("in_capex_factor", d.capex_factor, "Capex factor"),
        ("in_opex_factor", d.opex_factor, "Opex factor"),
    ):
        m.add_input(
            name, value, label, unit="x", group="Drivers", fmt="x", source="case / sensitivity driver (1 = as entered)"
        )
    # per-period path drivers (finmodel.risk): neutral 1 = as entered; a simulation or sensitivity overrides
    # them with one row per path
    moved = fx.simulated_currency(b.scenario)
    for name, label in _PATH_DRIVERS:
        if name == "in_fx_factor":
            label = label.format(cur=moved) if moved else "FX factor by period (no line in another currency: unused)"
        m.add_input(
            name, [1.0] * b.periods, label, kind="series", unit="x", group="Drivers", fmt="x", source=_PATH_SOURCE
        )


def _path_factors(b: Builder) -> None:
    """Rows: the availability revenue path factor (service x inflation) and the user-fee revenue path factor
    (x demand) [x, per period]; the FX factor acts through the conversion of the lines in its currency."""
    m = b.model
    _add(
        b,
        "availability_path_factor",
        m.ref("in_service_factor") * m.ref("in_inflation_factor"),
        "Availability revenue path factor (service x inflation)",
        unit="x",
        total=False,
        fmt="x",
        section="Path drivers",
    )
    _add(
        b,
        "revenue_path_factor",
        m.ref("in_demand_factor") * R("availability_path_factor"),
        "User-fee revenue path factor (demand x service x inflation)",
        unit="x",
        total=False,
        fmt="x",
        section="Path drivers",
    )


def _capex(b: Builder) -> None:
    """Inputs: construction cost [currency, start-date prices], contingency [fraction], phasing by construction
    year [fraction]; row: construction cost incl. contingency x capex factor [currency per period]."""
    m, cx, g = b.model, b.scenario.capex, "Capex"
    cur = _cur(b, cx)
    amt = m.add_input(
        "in_capex_amount", cx.amount, "Construction cost (start-date prices)", unit=cur, group=g, fmt="money"
    )
    cont = m.add_input("in_capex_contingency", cx.contingency, "Contingency", unit="fraction", group=g, fmt="pct")
    b.table("in_capex_phasing", cx.phasing, "Capex phasing by construction year", unit="fraction", group=g)
    _line(
        b,
        "capex",
        Lookup("in_capex_phasing", R("construction_year"))
        / m.ref("in_periods_per_year")
        * amt
        * (1 + cont)
        * m.ref("in_capex_factor"),
        "Construction cost incl. contingency",
        cur,
        "Capital costs",
    )


def _revenues(b: Builder) -> None:
    """Each revenue line (``revenue<i>``) or capital grant (``grant<i>``) [currency per period]; totals
    ``revenue`` and ``grants``."""
    rev_rows, grant_rows = [], []
    for i, rv in enumerate(b.scenario.revenues, start=1):
        if rv.kind == "capital_grant":
            grant_rows.append(_grant(b, i, rv))
        else:
            rev_rows.append(_revenue(b, i, rv))
    _add(b, "revenue", Sum(rev_rows), "Total revenue", section="Revenues")
    if not grant_rows:
        _add(b, "grants", Sum(grant_rows), "Total capital grants", section="Grants")
        return
    # a grant is disbursed against the period's construction cost, never beyond it (grantors pay eligible costs):
    # every grant is scaled down alike where the scheduled grants exceed the period's capex
    scheduled = _add(b, "grants_scheduled", Sum(grant_rows), "Capital grants as scheduled", section="Grants")
    cap = _add(
        b,
        "grants_disbursed_share",
        If(scheduled > R("capex"), R("capex") / scheduled, 1),
        "Share of the scheduled grants disbursed = min(1, capex / scheduled grants)",
        unit="fraction",
        fmt="pct",
        section="Grants",
    )
    disbursed = [
        _add(b, f"grant{i}", R(f"grant{i}_scheduled") * cap, f"{rv.name} (capital grant, disbursed)", section="Grants")
        for i, rv in enumerate(b.scenario.revenues, start=1)
        if rv.kind == "capital_grant"
    ]
    _add(b, "grants", Sum(disbursed), "Total capital grants (disbursed)", section="Grants")


def _grant(b: Builder, i: int, rv) -> Ref:
    """A capital grant: inputs amount [currency] and phasing by construction year [fraction]; the row
    ``grant<i>_scheduled`` [currency per period] (``grant<i>``: what is disbursed, see :func:`_revenues`)."""
    g, p, cur = f"Revenue {i}: {rv.name}", f"in_rev{i}_", _cur(b, rv)
    a = b.model.add_input(p + "amount", rv.amount, "Grant amount", unit=cur, group=g, fmt="money")
    b.table(p + "phasing", rv.phasing, "Grant phasing by construction year", unit="fraction", group=g)
    return _line(
        b,
        f"grant{i}_scheduled",
        Lookup(p + "phasing", R("construction_year")) / b.model.ref("in_periods_per_year") * a,
        f"{rv.name} (capital grant, scheduled)",
        cur,
        "Grants",
    )


def _revenue(b: Builder, i: int, rv) -> Ref:
    """A revenue line: inputs indexation [per year] and either the availability payment [currency/year] or volume
    [units/year], volume growth [per year] and tariff [currency/unit]; the row ``revenue<i>`` = annual amount /
    periods x index x revenue factor x path factor, in operations [currency per period]."""
    m = b.model
    g, p, cur = f"Revenue {i}: {rv.name}", f"in_rev{i}_", _cur(b, rv)
    ix = m.add_input(p + "indexation", rv.indexation, "Indexation", unit="per year", group=g, fmt="pct")
    if rv.kind == "availability":
        base = m.add_input(p + "amount", rv.amount, "Availability payment", unit=f"{cur}/year", group=g, fmt="money")
    else:  # user_fee
        vol = m.add_input(
            p + "volume", rv.volume, "Volume in the first operating year", unit="units/year", group=g, fmt="number"
        )
        gr = m.add_input(p + "volume_growth", rv.volume_growth, "Volume growth", unit="per year", group=g, fmt="pct")
        tar = m.add_input(p + "tariff", rv.tariff, "Tariff", unit=f"{cur}/unit", group=g, fmt="money2")
        # the exponent is floored at 0 so that construction periods (operation year 0) never raise 0 to a negative
        # power where the volume falls by 100 % a year (growth -1)
        base = vol * (1 + gr) ** Max(0, R("operation_year") - 1) * tar
    path_factor = R("availability_path_factor" if rv.kind == "availability" else "revenue_path_factor")
    P, rf = m.ref("in_periods_per_year"), m.ref("in_revenue_factor")
    hard = None
    if rv.hard_currency_share:
        hard = m.add_input(p + "hard_currency_share", rv.hard_currency_share, f"Share indexed to {b.cur}",
                           unit="fraction", group=g, fmt="pct")  # fmt: skip
    return _line(
        b, f"revenue{i}", R("operation_flag") * base / P * _index(ix) * rf * path_factor, rv.name, cur, "Revenues",
        hard_share=hard,
    )  # fmt: skip


def _opex(b: Builder) -> None:
    """Each operating cost: inputs annual cost [currency/year] and indexation [per year]; row ``opex<i>`` in
    operations x opex factor x inflation factor [currency per period]; total ``opex``."""
    m, rows = b.model, []
    for i, ox in enumerate(b.scenario.opex, start=1):
        g, p, cur = f"Opex {i}: {ox.name}", f"in_opex{i}_", _cur(b, ox)
        a = m.add_input(p + "amount", ox.amount, "Annual cost", unit=f"{cur}/year", group=g, fmt="money")
        ix = m.add_input(p + "indexation", ox.indexation, "Indexation", unit="per year", group=g, fmt="pct")
        cost = R("operation_flag") * a / m.ref("in_periods_per_year") * _index(ix)
        rows.append(
            _line(
                b,
                f"opex{i}",
                cost * m.ref("in_opex_factor") * m.ref("in_inflation_factor"),
                ox.name,
                cur,
                "Operating costs",
            )  # fmt: skip
        )
    _add(b, "opex", Sum(rows), "Total operating costs", section="Operating costs")


def _lifecycle(b: Builder) -> None:
    """Each lifecycle cost: inputs cost per occurrence [currency], every [years], indexation [per year]; row
    ``lifecycle<i>`` in the operating years it falls due x opex factor x inflation factor [currency per period];
    total ``lifecycle``."""
    m, rows = b.model, []
    for i, lc in enumerate(b.scenario.lifecycle, start=1):
        g, p, cur = f"Lifecycle {i}: {lc.name}", f"in_lc{i}_", _cur(b, lc)
        a = m.add_input(p + "amount", lc.amount, "Cost per occurrence", unit=cur, group=g, fmt="money")
        ev = m.add_input(p + "every_years", lc.every_years, "Every", unit="years", group=g, fmt="int")
        ix = m.add_input(p + "indexation", lc.indexation, "Indexation", unit="per year", group=g, fmt="pct")
        due = R("operation_flag") * Mod(R("operation_year"), ev).eq(0)
        cost = due * a / m.ref("in_periods_per_year") * _index(ix)
        rows.append(
            _line(
                b,
                f"lifecycle{i}",
                cost * m.ref("in_opex_factor") * m.ref("in_inflation_factor"),
                lc.name,
                cur,
                "Lifecycle costs",
            )  # fmt: skip
        )
    _add(b, "lifecycle", Sum(rows), "Total lifecycle costs", section="Lifecycle costs")
