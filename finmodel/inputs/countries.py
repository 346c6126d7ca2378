"""Country data: World Bank income group, OECD country risk category, UN LDC status, DAC list group.

The values live in ``finmodel/data/countries.yaml``: every value of every row with the list it comes from and
that list's date (income group, LDC status and DAC list: one list each for the table; the OECD category: the
list each row names, ``oecd_list``) and a per-row, per-column confidence code (H primary source, M secondary,
L verify before relying). They are loaded once per process; a scenario overrides any value for its country
through ``get_country(iso3, overrides={...})`` (``project.country_overrides``).

``finmodel.countries()`` (the API function, :func:`finmodel.api.countries`) returns the whole table as a
:class:`CountryTable` with a pandas view; ``finmodel countries [--json PATH]`` prints it.

Sources
-------
- World Bank country classifications by income level, FY26 (1 July 2025).
- OECD, Country Risk Classifications of the Participants to the Arrangement on Officially Supported
  Export Credits: the list of each row (``oecd_lists`` in the data file, each with its date).
- UN DESA / UN-OHRLLS, List of Least Developed Countries (December 2024).
- OECD DAC, List of ODA Recipients effective for reporting on 2024 and 2025 flows (groups derived, L).

Examples
--------
>>> from finmodel.inputs.countries import get_country
>>> get_country("MYS")
Country(iso3='MYS', name='Malaysia', income_group='UMIC', oecd_risk_category=2, ldc=False, ...)
>>> get_country("MYS", overrides={"oecd_risk_category": 3}).oecd_risk_category
3
>>> get_country("KEN").oecd_risk_category, get_country("KEN").sources["oecd_risk_category"]["date"]
(7, '2022-07')
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from finmodel.errors import FinmodelError, InputError

__all__ = [
    "COLUMNS",
    "Country",
    "CountryTable",
    "DAC_GROUPS",
    "INCOME_GROUPS",
    "all_countries",
    "country_table",
    "country_table_sources",
    "get_country",
]

INCOME_GROUPS = ("LIC", "LMIC", "UMIC", "HIC")
"""World Bank income groups, poorest first."""

DAC_GROUPS = ("LDC", "LIC", "LMIC", "UMIC")
"""Groups of the DAC List of ODA Recipients (LIC: low income, not an LDC); None: not an ODA recipient."""

COLUMNS = ("income_group", "oecd_risk_category", "ldc", "dac_list")
"""The classified columns: each value has a source list, its date and a confidence code."""

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
        Confidence code (H/M/L, or "override") per column.
    notes : str
        Free text from the table.
    dac_list : str or None
        Group on the DAC List of ODA Recipients (``LDC``, ``LIC``, ``LMIC``, ``UMIC``); None: not a recipient.
    sources : Mapping[str, Mapping[str, str]]
        Per column of :data:`COLUMNS`: ``{"source": the list, "date": its date}`` (``date`` ISO text, as precise
        as the list is dated: ``2025-07-01``, ``2022-07``, ``2025``); an overridden column: the scenario.
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
    dac_list: str | None = field(default=None, compare=False, repr=False)
    sources: Any = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)

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
    if values.get("dac_list") not in (*DAC_GROUPS, None):
        problems.append(
            (f"{where}.dac_list", f"expected one of {', '.join(DAC_GROUPS)} or null, found {values.get('dac_list')!r}")
        )
    if not isinstance(values.get("name"), str) or not values.get("name"):
        problems.append((f"{where}.name", f"expected a non-empty string, found {values.get('name')!r}"))
    return problems


def _row_sources(row: dict, columns: dict, oecd_lists: dict, where: str) -> tuple[dict, list]:
    """``{column: {"source", "date"}}`` of one row: the column's list, or for the OECD category the row's own."""
    out, problems = {}, []
    for col in COLUMNS:
        if col == "oecd_risk_category":
            key = str(row.get("oecd_list"))
            if key not in oecd_lists:
                problems.append((f"{where}.oecd_list", f"expected a key of oecd_lists, found {key!r}"))
                continue
            listed = oecd_lists[key]
            out[col] = {"source": " ".join(str(listed["title"]).split()), "date": str(listed["date"])}
        else:
            out[col] = {"source": columns[col]["short"], "date": str(columns[col]["date"])}
        if not out[col]["date"] or out[col]["date"] == "None":
            problems.append((f"{where}.{col}", "expected a dated source, found none"))
    return out, problems


@functools.cache
def _table() -> tuple[dict[str, Country], MappingProxyType, MappingProxyType]:
    text = resources.files("finmodel.data").joinpath("countries.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    columns = raw["columns"]
    oecd_lists = raw["oecd_lists"]
    table: dict[str, Country] = {}
    problems = []
    for i, row in enumerate(raw["countries"]):
        where = f"countries.yaml:countries.{i}"
        problems += _validate(row, where)
        sources, missing = _row_sources(row, columns, oecd_lists, where)
        problems += missing
        if set(row.get("confidence", {})) != set(COLUMNS):
            problems.append((f"{where}.confidence", f"expected a code for each of {', '.join(COLUMNS)}"))
        cat = row["oecd_risk_category"]
        table[row["iso3"]] = Country(
            iso3=row["iso3"],
            name=row["name"],
            income_group=row["income_group"],
            oecd_risk_category=0 if cat is None else cat,
            ldc=row["ldc"],
            source="; ".join(f"{col}: {s['source'][:60]} ({s['date']})" for col, s in sources.items()),
            oecd_classified=cat is not None,
            confidence=MappingProxyType(dict(row.get("confidence", {}))),
            notes=" ".join(str(row.get("notes", "")).split()),
            dac_list=row.get("dac_list"),
            sources=MappingProxyType({k: MappingProxyType(v) for k, v in sources.items()}),
        )
    if problems:  # a broken shipped data file is a packaging bug, not user input
        raise FinmodelError("finmodel/data/countries.yaml is invalid: " + "; ".join(f"{w}: {m}" for w, m in problems))
    return table, MappingProxyType(columns), MappingProxyType(oecd_lists)


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
    table = _table()[0]
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
    sources = dict(base.sources) if base else {}
    values.update(overrides)
    problems = _validate(values, "country")
    if problems:
        raise InputError(problems)
    cat = values["oecd_risk_category"]
    for key in overrides:
        confidence[key] = "override"
        if key in COLUMNS:
            sources[key] = MappingProxyType({"source": "project.country_overrides (the scenario)", "date": ""})
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
        dac_list=base.dac_list if base else None,
        sources=MappingProxyType(sources),
    )


def all_countries() -> tuple[Country, ...]:
    """Every country in the table, in table order."""
    return tuple(_table()[0].values())


def country_table_sources() -> dict:
    """The table's column descriptions with their ``source`` and ``date`` (for provenance output), and under
    ``oecd_lists`` the OECD lists the rows cite, each with its ``title`` and ``date``."""
    _, columns, oecd_lists = _table()
    return {**{k: dict(v) for k, v in columns.items()}, "oecd_lists": {k: dict(v) for k, v in oecd_lists.items()}}


# --- the whole table: finmodel.countries(), `finmodel countries` ---------------------------------------------

_SHOWN = (
    ("income_group", "income group"),
    ("oecd_risk_category", "OECD category"),
    ("ldc", "UN LDC"),
    ("dac_list", "DAC list"),
)


def _value(c: Country, col: str):
    if col == "oecd_risk_category":
        return c.oecd_risk_category if c.oecd_classified else None
    return getattr(c, col)


@dataclass(frozen=True)
class CountryTable:
    """The country table with the source and date of every value (what ``finmodel.countries()`` returns).

    Attributes
    ----------
    countries : tuple of Country
        Every row, in table order.
    written : tuple of Path
        Files written (``finmodel.api.countries(json_path=...)``; None for standard output).
    """

    countries: tuple[Country, ...]
    written: tuple = ()

    def rows(self) -> list[dict]:
        """One mapping per country: ``iso3``, ``name``, and for each column of :data:`COLUMNS` a mapping
        ``{"value", "source", "date", "confidence"}`` (an OECD category of None: not classified, priced as 0)."""
        out = []
        for c in self.countries:
            row: dict = {"iso3": c.iso3, "name": c.name}
            for col in COLUMNS:
                row[col] = {"value": _value(c, col), **c.sources[col], "confidence": c.confidence.get(col, "")}
            if c.notes:
                row["notes"] = c.notes
            out.append(row)
        return out

    @property
    def table(self):
        """pandas view: one row per country indexed by ISO code; per column its value, ``<column>_source``,
        ``<column>_date`` and ``<column>_confidence``; ``notes``."""
        import pandas as pd

        flat = []
        for r in self.rows():
            row = {"iso3": r["iso3"], "name": r["name"]}
            for col in COLUMNS:
                row[col] = r[col]["value"]
                for k in ("source", "date", "confidence"):
                    row[f"{col}_{k}"] = r[col][k]
            row["notes"] = r.get("notes", "")
            flat.append(row)
        df = pd.DataFrame(flat).set_index("iso3")
        df["oecd_risk_category"] = df["oecd_risk_category"].astype("Int64")  # <NA>: not classified
        return df

    def to_json(self) -> dict:
        """``{"finmodel_version", "source", "columns", "oecd_lists", "countries"}``: :meth:`rows` with the
        table's column definitions and the OECD lists its rows cite."""
        from finmodel.version import __version__

        sources = country_table_sources()
        return {
            "finmodel_version": __version__,
            "source": "finmodel/data/countries.yaml",
            "columns": {k: v for k, v in sources.items() if k in COLUMNS},
            "oecd_lists": sources["oecd_lists"],
            "countries": self.rows(),
        }

    def rich_table(self):
        """The terminal table: each value with its confidence; the OECD category with the date of its list;
        the lists and their dates in the caption. Every text is inert (:func:`finmodel.term.text`)."""
        from rich.table import Table
        from rich.text import Text

        from finmodel.term import text

        t = Table(title="Country table (finmodel/data/countries.yaml)", title_justify="left")
        t.add_column("ISO")
        t.add_column("name")
        for _, head in _SHOWN:
            t.add_column(head)
        for c in self.countries:
            cells = []
            for col, _ in _SHOWN:
                v = _value(c, col)
                if col == "oecd_risk_category":
                    shown = f"{'not classified' if v is None else v}, {c.sources[col]['date'] or 'override'}"
                elif isinstance(v, bool):
                    shown = "yes" if v else "no"
                else:
                    shown = "-" if v is None else v
                cells.append(text(f"{shown} ({c.confidence.get(col, '')})"))
            t.add_row(text(c.iso3), text(c.name), *cells)
        first = self.countries[0] if self.countries else None
        lines = ["(H/M/L) confidence: H primary source, M secondary, L verify before relying."]
        if first is not None:
            for col, head in _SHOWN:
                if col != "oecd_risk_category":
                    lines.append(f"{head}: {first.sources[col]['source']} ({first.sources[col]['date']})")
        for key, lst in country_table_sources()["oecd_lists"].items():
            lines.append(f"OECD category, list {key} ({lst['date']}): {' '.join(str(lst['title']).split())}")
        t.caption = Text("\n").join(text(line) for line in lines)
        t.caption_justify = "left"
        return t


def country_table() -> CountryTable:
    """The whole country table with the source and date of every value.

    Examples
    --------
    >>> import finmodel
    >>> tab = finmodel.countries()
    >>> ken = tab.table.loc["KEN"]
    >>> int(ken["oecd_risk_category"]), ken["oecd_risk_category_date"], ken["oecd_risk_category_confidence"]
    (7, '2022-07', 'M')
    >>> tab.table.loc["BOL", "oecd_risk_category_date"], tab.table.loc["LAO", "dac_list"]
    ('2025-02', 'LDC')
    """
    return CountryTable(all_countries())
