"""Validation rules of the ``guarantees:`` block, read from a raw scenario mapping (never raising on malformed
input: the schema reports that). Each rule that an officer may need to look up carries its name in the message.

Rules
-----
GUARANTEE-NAME-UNIQUE
    cover names unique among guarantees.
GUARANTEE-FACILITY
    ``facility`` names a senior facility of ``debt.facilities``; at most one loan cover (eca_cover or
    partial_risk_guarantee) per facility.
KSURE-ORDINARY-ACCOUNT-CATEGORY
    K-SURE's ordinary account does not cover countries above ``ksure.ordinary_account_max_oecd_category``
    (OECD category 7): use the special account.
KSURE-SPECIAL-ACCOUNT-SCOPE
    the special account is for the countries the ordinary account refuses (category >= 7) and is written by
    K-SURE or KEXIM.
KSURE-COVER-SHARE
    K-SURE export insurance covers at most 95 % of the loan (97.5 % with SME participation).
GUARANTEE-UNCOVERED-MARGIN
    ``uncovered_margin`` needs a floating-rate covered facility (base + margin).
GUARANTEE-REVENUE
    an availability guarantee names an availability revenue line.
GUARANTEE-PERIODS
    recovery lags and claims waiting periods are whole numbers of periods; event years lie within the model's
    life.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from finmodel.conventions import INTEGER_TOLERANCE, RATE_TOLERANCE
from finmodel.inputs.cover_data import cover_value

LOAN_COVERS = ("eca_cover", "partial_risk_guarantee")


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v)


def _category(raw: Mapping) -> int | None:
    from finmodel.errors import InputError
    from finmodel.inputs.countries import get_country

    project = raw.get("project") if isinstance(raw.get("project"), Mapping) else {}
    code, over = project.get("country"), project.get("country_overrides")
    if not isinstance(code, str):
        return None
    try:
        c = get_country(code, dict(over) if isinstance(over, Mapping) and over else None)
    except (InputError, Exception):  # noqa: BLE001 - country problems are reported elsewhere
        return None
    return None if c is None else c.oecd_risk_category


@dataclasses.dataclass
class _Context:
    """What the rules read from the rest of the scenario: the senior facilities by name, the availability revenue
    names, periods per year and model years (None where malformed), SME participation, the OECD category."""

    senior: dict
    availability: list
    ppy: int | None
    years: int | None
    sme: bool
    category: int | None
    names: dict = dataclasses.field(default_factory=dict)  # cover name -> index
    covered: dict = dataclasses.field(default_factory=dict)  # facility name -> index of its loan cover


def _context(raw: Mapping) -> _Context:
    debt = raw.get("debt") if isinstance(raw.get("debt"), Mapping) else {}
    facs = (
        [f for f in debt.get("facilities", []) or [] if isinstance(f, Mapping)]
        if isinstance(debt.get("facilities"), list)
        else []
    )
    senior = {f["name"]: f for f in facs if f.get("seniority", "senior") == "senior" and isinstance(f.get("name"), str)}
    revenues = raw.get("revenues") if isinstance(raw.get("revenues"), list) else []
    availability = [r.get("name") for r in revenues if isinstance(r, Mapping) and r.get("kind") == "availability"]
    tl = raw.get("timeline") if isinstance(raw.get("timeline"), Mapping) else {}
    ppy = tl.get("periods_per_year") if tl.get("periods_per_year") in (1, 2, 4, 12) else None
    years = None
    if isinstance(tl.get("construction_years"), int) and isinstance(tl.get("operation_years"), int):
        years = tl["construction_years"] + tl["operation_years"]
    sme = (
        bool((raw.get("project") or {}).get("sme_participation")) if isinstance(raw.get("project"), Mapping) else False
    )
    return _Context(senior, availability, ppy, years, sme, _category(raw))


def guarantee_problems(raw: Mapping) -> list[tuple[str, str]]:
    """``(field_path, message)`` for every broken guarantee rule of a raw scenario mapping."""
    items = raw.get("guarantees")
    if not isinstance(items, list):
        return []
    problems: list[tuple[str, str]] = []
    ctx = _context(raw)
    for i, g in enumerate(items):
        if not isinstance(g, Mapping):
            continue
        path = f"guarantees.{i}"
        kind = g.get("kind")
        _name_rule(problems, path, i, g.get("name"), ctx)
        if kind in LOAN_COVERS:
            _loan_cover_rules(problems, path, i, g, ctx)
        if kind == "eca_cover":
            _ksure_account_rules(problems, path, g, ctx)
            _ksure_share_rule(problems, path, g, ctx)
        if kind == "availability_guarantee":
            _availability_rule(problems, path, g, ctx)
        _year_rules(problems, path, g, ctx)
    return problems


def _name_rule(problems: list, path: str, i: int, name: Any, ctx: _Context) -> None:
    """GUARANTEE-NAME-UNIQUE."""
    if not isinstance(name, str):
        return
    if name in ctx.names:
        problems.append(
            (
                f"{path}.name",
                f"expected a name unique among guarantees "
                f"(GUARANTEE-NAME-UNIQUE), found {name!r} again (also guarantees.{ctx.names[name]})",
            )
        )
    else:
        ctx.names[name] = i


def _loan_cover_rules(problems: list, path: str, i: int, g: Mapping, ctx: _Context) -> None:
    """GUARANTEE-FACILITY (a senior facility, one loan cover each), GUARANTEE-PERIODS (recovery lag and claims
    waiting period in whole periods), GUARANTEE-UNCOVERED-MARGIN."""
    fac = g.get("facility")
    if isinstance(fac, str):
        if fac not in ctx.senior:
            known = ", ".join(map(str, ctx.senior)) or "none"
            problems.append(
                (
                    f"{path}.facility",
                    f"expected the name of a senior facility in "
                    f"debt.facilities ({known}) (GUARANTEE-FACILITY), found {fac!r}",
                )
            )
        elif fac in ctx.covered:
            problems.append(
                (
                    f"{path}.facility",
                    f"expected at most one loan cover per facility "
                    f"(GUARANTEE-FACILITY), found {fac!r} also covered by "
                    f"guarantees.{ctx.covered[fac]}",
                )
            )
        else:
            ctx.covered[fac] = i
    lag, ppy = _num(g.get("recovery_lag_years")), ctx.ppy
    if lag is not None and lag >= 0 and ppy is not None and abs(lag * ppy - round(lag * ppy)) > INTEGER_TOLERANCE:
        problems.append(
            (
                f"{path}.recovery_lag_years",
                f"expected a whole number of periods ({ppy} per "
                f"year) (GUARANTEE-PERIODS), found {lag:g} years = {lag * ppy:g} periods",
            )
        )
    wait = _num(g.get("claims_waiting_months"))
    periods = None if wait is None or wait < 0 or ppy is None else wait * ppy / 12
    if periods is not None and abs(periods - round(periods)) > INTEGER_TOLERANCE:
        problems.append(
            (
                f"{path}.claims_waiting_months",
                f"expected a whole number of periods ({ppy} per year, {12 / ppy:g} months each) "
                f"(GUARANTEE-PERIODS), found {wait:g} months = {periods:g} periods",
            )
        )
    if g.get("uncovered_margin") is not None and isinstance(fac, str) and fac in ctx.senior:
        rate = ctx.senior[fac].get("rate")
        if not (isinstance(rate, Mapping) and rate.get("base") is not None):
            problems.append(
                (
                    f"{path}.uncovered_margin",
                    "expected a floating-rate covered facility "
                    "(rate: {base, margin}) for an uncovered margin (GUARANTEE-UNCOVERED-MARGIN), "
                    f"found facility {fac!r} at a fixed rate",
                )
            )


def _ksure_account_rules(problems: list, path: str, g: Mapping, ctx: _Context) -> None:
    """KSURE-ORDINARY-ACCOUNT-CATEGORY and KSURE-SPECIAL-ACCOUNT-SCOPE (by the country's OECD category)."""
    insurer = g.get("insurer", "ksure")
    special = g.get("special_account", False) is True
    category = ctx.category
    max_ordinary = cover_value("ksure", "ordinary_account_max_oecd_category")
    min_special = cover_value("ksure", "special_account_min_oecd_category")
    if insurer == "ksure" and not special and category is not None and category > max_ordinary:
        problems.append(
            (
                f"{path}.special_account",
                f"KSURE-ORDINARY-ACCOUNT-CATEGORY: K-SURE's ordinary "
                f"account does not cover OECD category {category} countries; use the special "
                f"account (expected special_account: true, found false)",
            )
        )
    if not special:
        return
    if insurer not in cover_value("ksure", "special_account_insurers"):
        problems.append(
            (
                f"{path}.insurer",
                "KSURE-SPECIAL-ACCOUNT-SCOPE: expected insurer ksure or "
                f"kexim for a special account, found {insurer!r}",
            )
        )
    if category is not None and category < min_special:
        problems.append(
            (
                f"{path}.special_account",
                "KSURE-SPECIAL-ACCOUNT-SCOPE: the special account "
                f"covers only countries the ordinary account refuses (OECD category >= "
                f"{min_special}); expected special_account: false for an OECD category "
                f"{category} country, found true",
            )
        )


def _ksure_share_rule(problems: list, path: str, g: Mapping, ctx: _Context) -> None:
    """KSURE-COVER-SHARE: the commercial share of K-SURE export insurance [fraction] within its cap (higher with
    SME participation)."""
    share = _num(g.get("commercial_share"))
    if g.get("insurer", "ksure") != "ksure" or share is None or not 0 <= share <= 1:
        return
    cap = cover_value("ksure", "export_insurance_max_share_sme" if ctx.sme else "export_insurance_max_share")
    if share > cap + RATE_TOLERANCE:
        who = "with SME participation" if ctx.sme else "(97.5 % with project.sme_participation: true)"
        problems.append(
            (
                f"{path}.commercial_share",
                f"KSURE-COVER-SHARE: expected at most {cap:g} "
                f"of the loan covered by K-SURE export insurance {who}, found {share:g}",
            )
        )


def _availability_rule(problems: list, path: str, g: Mapping, ctx: _Context) -> None:
    """GUARANTEE-REVENUE: an availability guarantee names an availability revenue line."""
    rev = g.get("revenue")
    if isinstance(rev, str) and rev not in ctx.availability:
        known = ", ".join(map(str, ctx.availability)) or "none"
        problems.append(
            (
                f"{path}.revenue",
                f"expected the name of an availability revenue line ({known}) (GUARANTEE-REVENUE), found {rev!r}",
            )
        )


def _year_rules(problems: list, path: str, g: Mapping, ctx: _Context) -> None:
    """GUARANTEE-PERIODS: event, payer-default and call years within the model's years."""
    for key in ("political_event_years", "payer_default_years", "called_in_year"):
        vals = g.get(key)
        vals = [vals] if isinstance(vals, int) and not isinstance(vals, bool) else vals
        if ctx.years is None or not isinstance(vals, list):
            continue
        for y in vals:
            if isinstance(y, int) and not isinstance(y, bool) and not 1 <= y <= ctx.years:
                problems.append(
                    (f"{path}.{key}", f"expected model years 1 to {ctx.years} (GUARANTEE-PERIODS), found {y}")
                )
