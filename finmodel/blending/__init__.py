"""Blended finance: grant element and concessionality tests, eligibility rules, instrument presets.

- :mod:`finmodel.blending.grant_element`: DAC/IMF grant element (closed form and from cash flows),
  discount-rate methods (DAC 2018, IMF 5 %, OECD Arrangement DDR).
- :mod:`finmodel.blending.eligibility`: named rules (EDCF, EDPF, DAC ODA, Helsinki tied aid, SME
  preferences) returning findings with their sources.
- :mod:`finmodel.blending.terms`: instrument presets loaded from ``finmodel/data/instruments.yaml``.
- :mod:`finmodel.blending.findings`: a scenario's grant-element discount rate and its warnings
  (:func:`warnings_for`).
- :mod:`finmodel.blending.sheet`: the live Blending sheet (grant elements of the modelled facilities and
  of the package, cost of debt, concessional share, mobilisation) and its Outputs metrics.

``finmodel grant-element SCENARIO`` (the modelled grant elements with the DAC ODA and Helsinki tied-aid
verdicts) runs the engine, so it is :mod:`finmodel.grant_report`, above the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from finmodel.engine import Builder


def warnings_for(scenario):
    """Warnings (policy exceptions the plan allows, unused benefits) of a validated scenario: a list of
    :class:`finmodel.blending.eligibility.Finding`. See :func:`finmodel.blending.findings.warnings_for`."""
    from finmodel.blending.findings import warnings_for as _warnings_for

    return _warnings_for(scenario)


def build(b: Builder) -> None:
    """Add the Blending sheet to an engine builder (see :func:`finmodel.blending.sheet.build`)."""
    from finmodel.blending.sheet import build as _build

    _build(b)
