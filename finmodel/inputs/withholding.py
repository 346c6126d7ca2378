"""Withholding tax at the border: the rate a host country withholds from interest and dividends paid to a
resident of another country, capped by its double-taxation treaty with Korea where one is in force.

The rates live in ``finmodel/data/withholding.yaml`` with their source, confidence and date; a scenario overrides
them per facility or sponsor (``withholding_rate``). Rule: a payee resident in the host country bears none; a
Korean resident bears ``min(domestic, treaty)`` where a treaty is in force, else the domestic rate; a resident
of any other country the domestic rate (finmodel ships only the treaties with Korea).

>>> applicable_rate("MYS", "KOR", "interest")
0.15
>>> applicable_rate("IDN", "KOR", "interest"), applicable_rate("IDN", "USA", "interest")
(0.1, 0.2)
>>> applicable_rate("BOL", "KOR", "dividends"), applicable_rate("BOL", "BOL", "dividends")
(0.125, 0.0)
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import yaml

__all__ = ["applicable_rate", "known", "rate_source", "table"]

Kind = Literal["interest", "dividends"]


@cache
def table() -> dict:
    """The parsed ``withholding.yaml`` (``as_of``, ``sources``, ``countries``)."""
    text = resources.files("finmodel.data").joinpath("withholding.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def known(host: str) -> bool:
    """True if the table has the host country ``host`` (ISO 3166-1 alpha-3)."""
    return host in table()["countries"]


def applicable_rate(host: str, residence: str | None, kind: Kind) -> float:
    """The withholding rate [fraction] on ``kind`` paid by a payer in ``host`` to a resident of ``residence``.

    Raises ``KeyError`` for a host country the table does not have (validation refuses it first)."""
    if residence is None or residence == host:
        return 0.0
    row = table()["countries"][host]
    domestic = float(row["domestic"][kind])
    treaty = row.get("treaty_with_korea") or {}
    if residence == "KOR" and treaty.get("in_force"):
        return min(domestic, float(treaty[kind]))
    return domestic


def rate_source(host: str, residence: str | None, kind: Kind) -> str:
    """A short provenance text for the workbook input of :func:`applicable_rate`."""
    row = table()["countries"][host]
    treaty = row.get("treaty_with_korea") or {}
    basis = (
        f"treaty with Korea caps the domestic {row['domestic'][kind]:.1%} at {treaty[kind]:.1%}"
        if residence == "KOR" and treaty.get("in_force")
        else f"domestic rate {row['domestic'][kind]:.1%}, no treaty applies"
    )
    return f"withholding.yaml {host} {kind} ({basis}; confidence {row['confidence']}, as of {table()['as_of']})"
