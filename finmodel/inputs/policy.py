"""Policy rules: the validation stage after the schema that reads domain data.

The schema (:mod:`finmodel.schema`) checks a scenario's shape and the rules between its own fields; the rules
here need finmodel's data and domain modules:

- the country (``project.country`` in ``finmodel/data/countries.yaml``, or complete ``country_overrides``);
- EDCF / EDPF / tied-aid eligibility of each concessional facility (:mod:`finmodel.inputs.eligibility`);
- the cover rules of the ``guarantees:`` block (:mod:`finmodel.inputs.cover_rules`).

:func:`policy_problems` reads the raw mapping defensively, like :func:`finmodel.schema.check_rules`, so it runs
even where the schema failed and every problem is reported at once. It is never skipped:
:func:`finmodel.inputs.validation.scenario_from_dict` (every file, mapping and case) runs it and marks the scenario
checked (:attr:`Scenario.policy_checked`), and :func:`check_scenario` -- called by ``engine.build`` -- runs it
on a scenario built any other way (``Scenario.model_validate``).

>>> from finmodel.schema import load_raw
>>> raw = load_raw()
>>> policy_problems(raw)
[]
>>> raw["project"]["country"] = "ATL"  # Atlantis: no ISO 3166 code
>>> policy_problems(raw)[0][0]
'project.country'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from finmodel.errors import InputError
from finmodel.inputs import withholding
from finmodel.inputs.countries import get_country
from finmodel.inputs.cover_rules import guarantee_problems
from finmodel.inputs.eligibility import facility_findings
from finmodel.schema.project import Scenario
from finmodel.schema.rules import get_in, mapping_items, timeline_counts
from finmodel.schema.types import as_number, found_text

__all__ = ["check_scenario", "policy_problems"]


def policy_problems(raw: Mapping) -> list[tuple[str, str]]:
    """``(field_path, message)`` for every broken policy rule of a raw scenario mapping (empty: none).

    Never raises on malformed input: the schema reports that.
    """
    if not isinstance(raw, Mapping):
        return []
    _, _, ppy = timeline_counts(raw)
    problems = _country_problems(get_in(raw, "project", "country"), get_in(raw, "project", "country_overrides"))
    problems.extend(_eligibility_problems(raw, ppy))
    if raw.get("guarantees") is not None:
        problems.extend(guarantee_problems(raw))
    problems.extend(_withholding_problems(raw))
    return problems


def _withholding_problems(raw: Mapping) -> list[tuple[str, str]]:
    """A lender or sponsor resident abroad needs the host country's withholding rate: from the table
    (``finmodel/data/withholding.yaml``) or its own ``withholding_rate``."""
    host = get_in(raw, "project", "country")
    if not isinstance(host, str) or withholding.known(host):
        return []
    facilities = get_in(raw, "debt", "facilities")
    items = [
        (f"debt.facilities.{i}", item, "lender_residence")
        for i, item in enumerate(facilities if isinstance(facilities, list) else [])
    ]
    sponsors = raw.get("sponsors")
    items += [
        (f"sponsors.{i}", item, "residence") for i, item in enumerate(sponsors if isinstance(sponsors, list) else [])
    ]
    return [
        (
            f"{path}.{key}",
            f"expected a withholding_rate beside it: finmodel/data/withholding.yaml has no rates for {host}, "
            f"found a payee resident in {item[key]}",
        )
        for path, item, key in items
        if isinstance(item, Mapping)
        and isinstance(item.get(key), str)
        and item.get(key) != host
        and item.get("withholding_rate") is None
    ]


def check_scenario(scenario: Scenario) -> None:
    """Run the policy rules on a scenario not built by :func:`finmodel.inputs.validation.scenario_from_dict` (which
    has run them already); mark it checked.

    Raises
    ------
    InputError
        Every broken policy rule.
    """
    if scenario.policy_checked:
        return
    problems = policy_problems(scenario.model_dump(mode="python"))
    if problems:
        raise InputError(problems, source=scenario.source or None)
    scenario._policy_checked = True


def _country_problems(code: Any, overrides: Any) -> list[tuple[str, str]]:
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{3}", code):
        return []  # pattern problems are reported by the schema
    overrides = overrides if isinstance(overrides, Mapping) and overrides else None
    try:
        country = get_country(code, dict(overrides) if overrides else None)
    except InputError as exc:
        return [
            (f"project.country_overrides.{p.split('.', 1)[-1]}" if p else "project.country_overrides", m)
            for p, m in exc.problems
        ]
    if country is None:
        return [
            (
                "project.country",
                "expected an ISO 3166-1 alpha-3 code of a country in finmodel/data/countries.yaml "
                "(e.g. MYS), "
                f"or project.country_overrides with name, income_group, oecd_risk_category and ldc, "
                f"found {found_text(code)}",
            )
        ]
    return []


def _eligibility_problems(raw: Mapping, ppy: int | None) -> list[tuple[str, str]]:
    """Instrument eligibility errors (EDCF, EDPF, tied aid) from ``finmodel.inputs.eligibility``.

    Run only when the country and the facility terms are well formed; warnings are not input errors.
    """
    code = get_in(raw, "project", "country")
    facilities = [
        (i, f) for i, f in mapping_items(get_in(raw, "debt", "facilities")) if f.get("kind") in ("edcf", "edpf")
    ]
    if (
        not facilities
        or not isinstance(code, str)
        or _country_problems(code, get_in(raw, "project", "country_overrides"))
    ):
        return []
    overrides = get_in(raw, "project", "country_overrides")
    try:
        country = get_country(code, dict(overrides) if isinstance(overrides, Mapping) and overrides else None)
    except InputError:
        return []  # reported by _country_problems
    if country is None:
        return []  # reported by the schema or _country_problems
    viable = get_in(raw, "project", "commercially_viable")
    borrower = get_in(raw, "project", "borrower")
    problems: list[tuple[str, str]] = []
    cirr = as_number(get_in(raw, "blending", "cirr"))
    for i, fac in facilities:
        rate = fac.get("rate")
        fixed = as_number(rate.get("fixed")) if isinstance(rate, Mapping) else None
        grace, maturity = as_number(fac.get("grace_years")), as_number(fac.get("maturity_years"))
        if grace is None or maturity is None or not 0 <= grace < maturity or ppy is None:
            continue  # malformed terms are reported by the schema and the rules above
        if fixed is not None and abs(fixed) > 1:
            fixed = None
        try:
            findings = facility_findings(
                country,
                kind=fac["kind"],
                annual_rate=fixed,
                maturity_years=maturity,
                grace_years=grace,
                repayment=fac.get("repayment") if fac.get("repayment") in ("equal", "annuity") else "sculpted",
                periods_per_year=ppy,
                commercially_viable=viable if isinstance(viable, bool) else False,
                borrower=borrower if isinstance(borrower, str) else "spc",
                field_path=f"debt.facilities.{i}",
                cirr=cirr if cirr is not None and 0 < cirr < 1 else None,  # bad values: the schema says
            )
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        for finding in findings:
            if finding.severity == "error":
                message = finding.message
                if not message.startswith("expected"):
                    message = f"expected an eligible structure ({finding.rule}): {message}"
                path = finding.field_path
                if path == "project.country":
                    path = f"debt.facilities.{i}.kind"  # the facility is what is not allowed here
                problems.append((path, message))
    return problems
