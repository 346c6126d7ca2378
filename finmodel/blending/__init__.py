"""Blended finance: grant element and concessionality tests, eligibility rules, instrument presets.

- :mod:`finmodel.blending.grant_element`: DAC/IMF grant element (closed form and from cash flows),
  discount-rate methods (DAC 2018, IMF 5 %, OECD Arrangement DDR).
- :mod:`finmodel.blending.eligibility`: named rules (EDCF, EDPF, DAC ODA, Helsinki tied aid, SME
  preferences) returning findings with their sources.
- :mod:`finmodel.blending.terms`: instrument presets loaded from ``finmodel/data/instruments.yaml``.
"""
