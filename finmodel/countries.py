"""Country data: World Bank income group, OECD country risk category, UN LDC status.

The values live in ``finmodel/data/countries.yaml`` with the source and date of every column and a
per-row, per-column confidence code (H primary source, M secondary, L verify before relying). They
are loaded once per process; a scenario overrides any value for its country through
``get_country(iso3, overrides={...})``.

Sources
-------
- World Bank country classifications by income level, FY26 (1 July 2025).
- OECD, Country Risk Classifications of the Participants to the Arrangement on Officially Supported
  Export Credits (prevailing list).
- UN DESA / UN-OHRLLS, List of Least Developed Countries (December 2024).

Examples
--------
>>> from finmodel.countries import get_country
>>> get_country("MYS")
Country(iso3='MYS', name='Malaysia', income_group='UMIC', oecd_risk_category=2, ldc=False, ...)
>>> get_country("MYS", overrides={"oecd_risk_category": 3}).oecd_risk_category
3
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from finmodel.errors import FinmodelError, InputError

__all__ = ["Country", "INCOME_GROUPS", "get_country", "all_countries", "country_table_sources"]

INCOME_GROUPS = ("LIC", "LMIC", "UMIC", "HIC")
"""World Bank income groups, poorest first."""

_OVERRIDABLE = ("name", "income_group", "oecd_risk_category", "ldc")


@dataclass(frozen=True)
class Country:
    """One country's classification.

    Attributes
    ----------
    iso3 : str
        ISO 3166-1 alpha-3 code, upper case.
    name : str
        Short English name.
    income_group : str
        World Bank income group: ``"LIC"``, ``"LMIC"``, ``"UMIC"`` or ``"HIC"``.
    oecd_risk_category : int
        OECD Arrangement country risk category 0-7. High-income OECD / euro-area countries are not
        classified and are priced as category 0: they carry 0 here with ``oecd_classified=False``.
    ldc : bool
        On the UN list of Least Developed Countries.
    source : str
        Where the values come from (the table's column sources, or "override" for overridden fields).
    oecd_classified : bool
        False for "not classified" high-income OECD / euro-area countries.
    confidence : Mapping[str, str]
        Confidence code (H/M/L) per column.
    notes : str
        Free text from the table.
    """

    iso3: str
    name: str
    income_group: str
    oecd_risk_category: int
    ldc: bool
    source: str
    oecd_classified: bool = True
    confidence: Any = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)
    notes: str = field(default="", compare=False, repr=False)

    @property
    def lic_or_ldc(self) -> bool:
        """True for a low-income country or an LDC (the DAC 45 % ODA test group)."""
        return self.ldc or self.income_group == "LIC"


def _validate(values: dict, where: str) -> list[tuple[str, str]]:
    """Check one row's (possibly overridden) values; return (field_path, message) problems."""
    problems = []
    if values.get("income_group") not in INCOME_GROUPS:
        problems.append(
            (
                f"{where}.income_group",
                f"expected one of {', '.join(INCOME_GROUPS)}, found {values.get('income_group')!r}",
            )
        )
    cat = values.get("oecd_risk_category")
    if cat is not None and (isinstance(cat, bool) or not isinstance(cat, int) or not 0 <= cat <= 7):
        problems.append(
            (f"{where}.oecd_risk_category", f"expected an integer 0-7 or null (not classified), found {cat!r}")
        )
    if not isinstance(values.get("ldc"), bool):
        problems.append((f"{where}.ldc", f"expected true or false, found {values.get('ldc')!r}"))
    if not isinstance(values.get("name"), str) or not values.get("name"):
        problems.append((f"{where}.name", f"expected a non-empty string, found {values.get('name')!r}"))
    return problems


@functools.cache
def _table() -> tuple[dict[str, Country], MappingProxyType]:
    text = resources.files("finmodel.data").joinpath("countries.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    columns = raw["columns"]
    base_source = "; ".join(
        f"{col}: {columns[col]['short']} ({columns[col]['date']})"
        for col in ("income_group", "oecd_risk_category", "ldc")
    )
    table: dict[str, Country] = {}
    problems = []
    for i, row in enumerate(raw["countries"]):
        problems += _validate(row, f"countries.yaml:countries.{i}")
        cat = row["oecd_risk_category"]
        table[row["iso3"]] = Country(
            iso3=row["iso3"],
            name=row["name"],
            income_group=row["income_group"],
            oecd_risk_category=0 if cat is None else cat,
            ldc=row["ldc"],
            source=base_source,
            oecd_classified=cat is not None,
            confidence=MappingProxyType(dict(row.get("confidence", {}))),
            notes=row.get("notes", ""),
        )
    if problems:  # a broken shipped data file is a packaging bug, not user input
        raise FinmodelError("finmodel/data/countries.yaml is invalid: " + "; ".join(m for _, m in problems))
    return table, MappingProxyType(columns)


def get_country(iso3: str, overrides: dict | None = None) -> Country | None:
    """Return the country with ISO alpha-3 code ``iso3``, or None if it is not in the table.

    Parameters
    ----------
    iso3 : str
        ISO 3166-1 alpha-3 code (``"MYS"``); surrounding blanks and case are ignored.
    overrides : dict, optional
        Field -> value replacing the table's value (from a scenario), e.g.
        ``{"oecd_risk_category": 3}``. Keys: ``name``, ``income_group``, ``oecd_risk_category``
        (``None`` = not classified), ``ldc``. With overrides, an ISO code missing from the table
        gives a new record if every one of those keys is given.

    Raises
    ------
    InputError
        Unknown override key or a bad override value; field paths are ``country.<key>``.
    """
    code = str(iso3).strip().upper()
    table, _ = _table()
    base = table.get(code)
    if not overrides:
        return base
    unknown = sorted(set(overrides) - set(_OVERRIDABLE))
    if unknown:
        raise InputError([(f"country.{k}", f"unknown key; expected one of {', '.join(_OVERRIDABLE)}") for k in unknown])
    if base is None:
        missing = [k for k in _OVERRIDABLE if k not in overrides]
        if missing:
            return None
        values = {}
        confidence = {}
    else:
        values = {
            "name": base.name,
            "income_group": base.income_group,
            "ldc": base.ldc,
            "oecd_risk_category": base.oecd_risk_category if base.oecd_classified else None,
        }
        confidence = dict(base.confidence)
    values.update(overrides)
    problems = _validate(values, "country")
    if problems:
        raise InputError(problems)
    cat = values["oecd_risk_category"]
    for key in overrides:
        confidence[key] = "override"
    source = (base.source + "; " if base else "") + "overridden by scenario: " + ", ".join(sorted(overrides))
    return Country(
        iso3=code,
        name=values["name"],
        income_group=values["income_group"],
        oecd_risk_category=0 if cat is None else cat,
        ldc=values["ldc"],
        source=source,
        oecd_classified=cat is not None,
        confidence=MappingProxyType(confidence),
        notes=base.notes if base else "",
    )


def all_countries() -> tuple[Country, ...]:
    """Every country in the table, in table order."""
    return tuple(_table()[0].values())


def country_table_sources() -> dict:
    """The table's column descriptions with their ``source`` and ``date`` (for provenance output)."""
    return {k: dict(v) for k, v in _table()[1].items()}
