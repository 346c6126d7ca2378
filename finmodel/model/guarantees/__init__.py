"""Guarantees, insurance and default: cover, premiums, exposure, claims, recoveries and losses.

* :mod:`finmodel.model.guarantees.build` - the Guarantees sheet (rows defined once; the default rules are stated
  there);
* :mod:`finmodel.inputs.cover_rules` - validation of the scenario's ``guarantees:`` block (named rules such as
  ``KSURE-ORDINARY-ACCOUNT-CATEGORY``);
* :mod:`finmodel.inputs.cover_data` - cover parameters from ``finmodel/data/cover.yaml`` (K-SURE limits, OECD
  minimum premium indications).

The covered political event (``in_political_event``) is the scenario's ``political_event_years`` or, in the
Monte Carlo, the permanent events of the one political-event draw (:mod:`finmodel.risk.political`, probabilities
in ``finmodel/data/risk.yaml``).
"""

from finmodel.model.guarantees.build import build

__all__ = ["build"]
