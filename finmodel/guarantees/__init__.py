"""Guarantees, insurance and default: cover, premiums, exposure, claims, recoveries and losses.

* :mod:`finmodel.guarantees.build` - the Guarantees sheet (rows defined once; the default rules are stated
  there);
* :mod:`finmodel.guarantees.rules` - validation of the scenario's ``guarantees:`` block (named rules such as
  ``KSURE-ORDINARY-ACCOUNT-CATEGORY``);
* :mod:`finmodel.guarantees.data` - cover parameters from ``finmodel/data/cover.yaml`` (K-SURE limits, OECD
  minimum premium indications, political-event hazard rates for Monte Carlo).
"""

from finmodel.guarantees.build import build
from finmodel.guarantees.data import (
    cover_value,
    minimum_premium_upfront,
    political_event_paths,
    political_hazard,
)

__all__ = ["build", "cover_value", "minimum_premium_upfront", "political_event_paths", "political_hazard"]
