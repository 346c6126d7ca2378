"""Instrument presets: documented terms of EDCF, EDPF, KOICA, KEXIM/ECA and MDB loans, and the DAC,
Helsinki, SME and IMF parameters they are tested against.

The values live in ``finmodel/data/instruments.yaml``; each carries its source, date and confidence code
(H primary, M secondary, S stated only in the 2019 plan, L estimate: verify before relying). This module
loads them once and hands out read-only copies; a scenario overrides any value through
``preset(name, overrides={...})``.

Examples
--------
>>> from finmodel.inputs.instruments import preset
>>> p = preset("edcf_group_3")
>>> p["annual_rate"], p["maturity_years"], p["grace_years"]
(0.0015, 40, 10)
>>> p.param("annual_rate").source[:18]
'EDCF framework arr'
>>> preset("edcf_group_3", overrides={"annual_rate": 0.002})["annual_rate"]
0.002
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from finmodel.errors import FinmodelError, InputError

__all__ = ["Param", "Preset", "preset", "preset_names", "sources", "edcf_group_for"]

_CONFIDENCE = ("H", "M", "S", "L")


@dataclass(frozen=True)
class Param:
    """One documented value.

    Attributes
    ----------
    value : Any
        The value (rates as decimals, durations in years). ``None`` where the value is a scenario input.
    source : str
        Citation (with address) of where the value comes from, or ``"override"``.
    date : str
        Date of the source.
    confidence : str
        ``"H"``, ``"M"``, ``"S"``, ``"L"``, or ``"override"``.
    estimated : bool
        True where the value is finmodel's estimate rather than a published figure.
    note : str
        Free text.
    """

    value: Any
    source: str
    date: str
    confidence: str
    estimated: bool = False
    note: str = ""


class Preset(Mapping):
    """Read-only mapping name -> value of one preset, with the documented :class:`Param` behind each value."""

    def __init__(self, name: str, params: Mapping[str, Param]):
        self.name = name
        self._params = MappingProxyType(dict(params))

    def __getitem__(self, key: str) -> Any:
        return self._params[key].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def param(self, key: str) -> Param:
        """The documented value (value, source, date, confidence) behind ``self[key]``."""
        return self._params[key]

    def __repr__(self) -> str:
        return f"Preset({self.name!r}, {dict(self)!r})"


def _load_text() -> str:
    return resources.files("finmodel.data").joinpath("instruments.yaml").read_text(encoding="utf-8")


@functools.cache
def _table() -> tuple[MappingProxyType, MappingProxyType]:
    raw = yaml.safe_load(_load_text())
    srcs = raw["sources"]
    problems = []
    presets = {}
    for pname, entries in raw["presets"].items():
        params = {}
        for key, entry in entries.items():
            where = f"instruments.yaml:presets.{pname}.{key}"
            if not isinstance(entry, dict) or "value" not in entry:
                problems.append(f"{where}: expected a mapping with 'value', 'source', 'confidence'")
                continue
            src_id = entry.get("source")
            if src_id in srcs:
                citation = " ".join(str(srcs[src_id]["citation"]).split())
                date = entry.get("date", srcs[src_id]["date"])
            elif isinstance(src_id, str) and src_id:
                citation, date = src_id, entry.get("date")
            else:
                problems.append(f"{where}: missing source")
                continue
            if date is None:
                problems.append(f"{where}: missing date")
            if entry.get("confidence") not in _CONFIDENCE:
                problems.append(f"{where}: confidence must be one of {_CONFIDENCE}")
            if isinstance(date, _dt.date):
                date = date.isoformat()
            value = entry["value"]
            if isinstance(value, list):
                value = tuple(value)
            params[key] = Param(
                value=value,
                source=citation,
                date=str(date),
                confidence=str(entry.get("confidence")),
                estimated=bool(entry.get("estimated", False)),
                note=str(entry.get("note", "")),
            )
        presets[pname] = Preset(pname, params)
    if problems:  # a broken shipped data file is a packaging bug, not user input
        raise FinmodelError("finmodel/data/instruments.yaml is invalid: " + "; ".join(problems))
    return MappingProxyType(presets), MappingProxyType({k: dict(v) for k, v in srcs.items()})


def preset_names() -> tuple[str, ...]:
    """Names of every preset, in file order."""
    return tuple(_table()[0])


def sources() -> dict:
    """The source table: id -> {citation, date}."""
    return {k: dict(v) for k, v in _table()[1].items()}


def preset(name: str, overrides: Mapping[str, Any] | None = None, *, field_path: str = "preset") -> Preset:
    """Return the preset ``name``, with ``overrides`` applied.

    Parameters
    ----------
    name : str
        Preset name, e.g. ``"edcf_group_3"``, ``"edpf_non_sovereign"``, ``"dac_oda_test"``
        (see :func:`preset_names`).
    overrides : mapping, optional
        Key -> value replacing the preset's value (from a scenario). Keys must exist in the preset.
        Overridden values are recorded with source ``"override"``.
    field_path : str
        Prefix of the field paths in error messages (e.g. ``"debt.facilities.0.terms"``).

    Raises
    ------
    InputError
        Unknown preset name, or unknown override key.
    """
    table = _table()[0]
    if name not in table:
        raise InputError([(field_path, f"unknown preset {name!r}; expected one of {', '.join(table)}")])
    base = table[name]
    if not overrides:
        return base
    unknown = sorted(set(overrides) - set(base))
    if unknown:
        raise InputError(
            [
                (f"{field_path}.{k}", f"unknown key for preset {name!r}; expected one of {', '.join(base)}")
                for k in unknown
            ]
        )
    params = {k: base.param(k) for k in base}
    today = _dt.date.today().isoformat()
    for key, value in overrides.items():
        params[key] = Param(
            value=value, source="override", date=today, confidence="override", note=f"preset value was {base[key]!r}"
        )
    return Preset(name, params)


def edcf_group_for(country) -> int:
    """EDCF country group (1-5) of a :class:`finmodel.inputs.countries.Country`, finmodel's default mapping.

    1 = LDC, 2 = other LIC, 3 = LMIC, 5 = UMIC (group 4 only by override). High-income countries are not
    EDCF-eligible: raises ``InputError`` (field ``project.country``).

    The boundaries are finmodel's estimate of the five-group framework (see ``instruments.yaml``);
    confidence L.
    """
    if country.ldc:
        return 1
    group = {"LIC": 2, "LMIC": 3, "UMIC": 5}.get(country.income_group)
    if group is None:
        raise InputError(
            [("project.country", f"EDCF lends to developing countries; {country.iso3} is {country.income_group}")]
        )
    return group
