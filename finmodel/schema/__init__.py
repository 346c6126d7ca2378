"""The scenario schema: what a scenario file may say, checked without any domain module.

A scenario file is YAML; its format contract is the embedded default scenario
``finmodel/scenarios/default.yaml``. This package turns a raw mapping into a :class:`Scenario` -- an
immutable, fully validated pydantic model that the rest of finmodel reads; nothing downstream re-checks
inputs. It imports no domain module (blending, guarantees, countries, the engine): the rules that need domain
data are the next validation stage, :mod:`finmodel.inputs.policy`, and loading a file through both stages is
:mod:`finmodel.inputs.validation` (``load_scenario``, ``scenario_from_dict``, ``case_scenario``, ``validate_file``).

Modules
-------
``types``      constrained value types (decimals, amounts, names, dates) and how values show in messages
``project``    the scenario blocks and :class:`Scenario`
``risk``       the ``risk:`` block (distributions, processes, correlation) of ``finmodel simulate``
``rules``      structural rules relating several fields (:func:`check_rules`)
``errors``     pydantic errors -> ``(field path, message)``; YAML line lookup; the schema stage
``cases``      dotted-path case changes (:func:`apply_case`)
``reading``    reading a file into a raw mapping (:func:`load_raw`)
``templates``  the packaged templates of ``finmodel new``

Conventions (stated once, in the README and here)
-------------------------------------------------
- Rates, shares, fractions and indexation are decimals: ``0.08``, never ``8``. Annual rates.
- Amounts are in ``project.currency``; ``fx_to_krw`` and ``fx_to_usd`` convert where currencies meet.
- ``grace_years`` counts years from financial close (= ``timeline.start_date``) with no principal
  repayment; ``maturity_years`` counts from financial close to the last repayment.
- ``base_rates`` curves are normalised to a list by year from the start date (a single number becomes
  a one-element list); the last value holds after the end of the list.

Bad input
---------
Every problem is collected (never stopping at the first) and raised as one
:class:`finmodel.errors.InputError` whose ``problems`` are ``(field_path, message)`` pairs such as
``("debt.facilities.1.rate.fixed", "expected a decimal such as 0.08, found 8")``. Structural and
per-field problems come from pydantic; rules that relate several fields live in :func:`check_rules`,
which reads the raw mapping defensively so that one bad field does not hide another rule's problem.

>>> from finmodel.schema import check_rules, load_raw
>>> raw = load_raw()
>>> check_rules(raw)
[]
>>> raw["capex"]["phasing"] = [0.5, 0.3, 0.3]
>>> check_rules(raw)
[('capex.phasing', 'expected construction-year shares summing to 1, found a sum of 1.1')]
"""

from finmodel.schema.cases import apply_case
from finmodel.schema.project import (
    AvailabilityRevenue,
    Blending,
    Capex,
    CapitalGrantRevenue,
    Case,
    Debt,
    Drivers,
    Dsra,
    Facility,
    Lifecycle,
    Opex,
    Project,
    Rate,
    Revenue,
    Scenario,
    ShareholderLoan,
    Sizing,
    Sponsor,
    Tax,
    Timeline,
    UserFeeRevenue,
)
from finmodel.schema.reading import default_scenario_bytes, load_raw
from finmodel.schema.rules import check_rules
from finmodel.schema.templates import DEFAULT_TEMPLATE, template_names, template_path
from finmodel.schema.types import BASE_CASE, DEFAULT_SOURCE

__all__ = [
    "BASE_CASE",
    "DEFAULT_SOURCE",
    "DEFAULT_TEMPLATE",
    "AvailabilityRevenue",
    "Blending",
    "CapitalGrantRevenue",
    "Capex",
    "Case",
    "Debt",
    "Drivers",
    "Dsra",
    "Facility",
    "Lifecycle",
    "Opex",
    "Project",
    "Rate",
    "Revenue",
    "Scenario",
    "ShareholderLoan",
    "Sizing",
    "Sponsor",
    "Tax",
    "Timeline",
    "UserFeeRevenue",
    "apply_case",
    "check_rules",
    "default_scenario_bytes",
    "load_raw",
    "template_names",
    "template_path",
]
