"""Cover parameters (``finmodel/data/cover.yaml``): K-SURE cover limits and accounts, OECD minimum premium
indications and workout recovery, each with its source, date and confidence. (Political-event probabilities
live in ``finmodel/data/risk.yaml``, drawn by :mod:`finmodel.risk.political`.)

Examples
--------
>>> from finmodel.inputs.cover_data import cover_value, minimum_premium_upfront
>>> cover_value("ksure", "export_insurance_max_share")
0.95
>>> round(minimum_premium_upfront(7, horizon_years=10.0, cover_share=0.95), 4)  # (1.1 * 10 + 1.8) %
0.128
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml

from finmodel.errors import FinmodelError


@functools.lru_cache(maxsize=1)
def _table() -> dict:
    text = resources.files("finmodel.data").joinpath("cover.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def cover_param(section: str, key: str) -> dict:
    """The full entry ``{value, source, confidence, ...}`` of ``section.key``."""
    try:
        return dict(_table()[section][key])
    except KeyError:
        raise FinmodelError(f"cover.yaml has no entry {section}.{key}") from None


def cover_value(section: str, key: str) -> Any:
    """The value of ``section.key`` of ``finmodel/data/cover.yaml``."""
    return cover_param(section, key)["value"]


def cover_source(section: str, key: str) -> str:
    """A short provenance text for a workbook input: source id, confidence and date."""
    p = cover_param(section, key)
    src = _table()["sources"].get(p["source"], {})
    est = ", estimate" if p.get("estimated") else ""
    return f"cover.yaml {section}.{key}: {p['source']} ({src.get('date', '')}), confidence {p['confidence']}{est}"


def minimum_premium_upfront(category: int, *, horizon_years: float, cover_share: float) -> float:
    """Indicative OECD minimum premium rate for a sovereign obligor [fraction of principal, upfront].

    Parameters
    ----------
    category : int
        OECD country risk category 1-7 (0 and high-income countries use market benchmarks: NaN).
    horizon_years : float
        Horizon of risk [years]: half the disbursement period plus the repayment period.
    cover_share : float
        max(commercial, political) share of cover [fraction].

    Notes
    -----
    ``MPR = (a_i HOR + b_i) max(PCC, PCP) / 0.95`` per cent (OECD Arrangement Annex VI, buyer-risk term zero
    for a sovereign). The coefficients in cover.yaml are marked confidence L: verify before relying.
    """
    coef = cover_value("premium", "mpr_coefficients").get(int(category))
    if coef is None:
        return float("nan")
    return (coef["a"] * horizon_years + coef["b"]) * cover_share / 0.95 / 100.0
