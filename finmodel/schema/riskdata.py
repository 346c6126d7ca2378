"""Risk calibration data (``finmodel/data/risk.yaml``): presets, political-event defaults, reference figures.

Every number carries its source and confidence in the data file; this module only reads it. It imports no
domain module: the scenario schema (:mod:`finmodel.schema.risk`) uses it to expand ``risk: {preset: ...}`` and for
the political-event defaults, so it sits in the bottom layer beside :mod:`finmodel.inputs.countries`.
"""

from __future__ import annotations

import functools
from importlib import resources

import yaml

from finmodel.errors import FinmodelError


@functools.cache
def data() -> dict:
    """The parsed ``risk.yaml`` (cached; treat as read-only)."""
    text = resources.files("finmodel.data").joinpath("risk.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    sources = raw.get("sources", {})
    for section in ("reference", "political_event", "presets", "portfolio"):
        for key, entry in raw.get(section, {}).items():
            if not isinstance(entry, dict) or "value" not in entry or entry.get("source") not in sources:
                raise FinmodelError(f"finmodel/data/risk.yaml: {section}.{key} needs a value and a known source")
    return raw


def value(section: str, key: str):
    """The ``value`` of ``section.key``."""
    return data()[section][key]["value"]


def preset_names() -> tuple[str, ...]:
    return tuple(data()["presets"])


def preset(name: str) -> dict:
    """The drivers of preset ``name`` (a fresh copy)."""
    import copy

    return copy.deepcopy(value("presets", name))


def political_defaults() -> dict:
    """Default revenue loss, duration and resolution probability of a political event."""
    keys = ("revenue_loss", "duration_months", "resolution_probability")
    return {k: float(value("political_event", k)) for k in keys}


def political_probability_by_category(category: int) -> float:
    """Annual probability that a political event starts, by OECD country risk category (0-7)."""
    table = value("political_event", "annual_probability_by_oecd_category")
    if int(category) not in table:
        raise FinmodelError(f"expected an OECD country risk category 0-7, found {category!r}")
    return float(table[int(category)])


def reference(key: str) -> dict:
    """A published reference figure with its source citation: ``{value, source, citation, confidence, note}``."""
    entry = dict(data()["reference"][key])
    src = data()["sources"][entry["source"]]
    entry["citation"] = " ".join(str(src["citation"]).split())
    entry["url"] = src.get("url", "")
    return entry


def source_line(key: str) -> str:
    """A one-line citation of ``sources.key`` (first sentence-ish, for tables)."""
    src = data()["sources"][key]
    text = " ".join(str(src["citation"]).split())
    return text.split(":")[0]
