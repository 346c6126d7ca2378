"""Where each workbook input comes from in the scenario file: model input name -> dotted scenario path.

The model's inputs are built from scenario fields (:mod:`finmodel.model.operations`, :mod:`finmodel.model.debt` ...);
reading an edited workbook back (:mod:`finmodel.workbook.read`) needs the way back. Each rule names the input
by pattern and gives the scenario path; the value is converted to the field's type (dates, whole numbers,
yes/no, lists) by :func:`to_field`. Inputs without a rule (derived values such as the grant-element discount
rate, the driver series of the risk engine, the checks' tolerances, the solved financing) are not scenario
fields: an edit to one is refused with a message saying so. ``tests/test_workbook_roundtrip.py`` proves
every rule by changing the scenario field and finding the input changed.
"""

from __future__ import annotations

import datetime as dt
import re

from finmodel.conventions import EXCEL_EPOCH

# (input name pattern, scenario path template); {k} = the 1-based number in the name, as a 0-based list index;
# {U} = the first group in capitals (a currency code: fx keys are ISO 4217, input names lower case)
_RULES = [
    (r"in_start_date", "timeline.start_date"),
    (r"in_(periods_per_year|construction_years|operation_years)", "timeline.{1}"),
    (r"in_(revenue_factor|capex_factor|opex_factor|rate_shift)", "drivers.{1}"),
    (r"in_capex_(amount|contingency|phasing)", "capex.{1}"),
    (r"in_fx_([a-z]{3})_(spot|depreciation|rates)", "fx.{U}.{2}"),
    (r"in_fx_([a-z]{3})_(local_inflation|model_inflation)", "fx.{U}.ppp.{2}"),
    (r"in_fx_([a-z]{3})_devaluation", "fx.{U}.devaluation.size"),
    (r"in_fx_([a-z]{3})_devaluation_year", "fx.{U}.devaluation.year"),
    (r"in_rev(\d+)_(amount|indexation|volume|volume_growth|tariff|phasing|hard_currency_share)", "revenues.{k}.{2}"),
    (r"in_opex(\d+)_(amount|indexation)", "opex.{k}.{2}"),
    (r"in_lc(\d+)_(amount|every_years|indexation)", "lifecycle.{k}.{2}"),
    (r"in_base_(.+)", "base_rates.{1}"),
    (r"in_d(\d+)_(amount|upfront_fee|commitment_fee|grace_years|maturity_years|profile)", "debt.facilities.{k}.{2}"),
    (r"in_d(\d+)_fixed_rate", "debt.facilities.{k}.rate.fixed"),
    (r"in_d(\d+)_margin", "debt.facilities.{k}.rate.margin"),
    (r"in_d(\d+)_hedge_share", "debt.facilities.{k}.hedge.share"),
    (r"in_d(\d+)_swap_rate", "debt.facilities.{k}.hedge.swap_rate"),
    (r"in_d(\d+)_hedge_years", "debt.facilities.{k}.hedge.years"),
    (r"in_tax_rate", "tax.rate"),
    (r"in_depreciation_years", "tax.depreciation_years"),
    (r"in_tax_holiday_years", "tax.holiday_years"),
    (r"in_loss_carry_forward", "tax.loss_carry_forward"),
    (r"in_lockup_dscr", "lockup_dscr"),
    (r"in_dsra_months", "dsra.months"),
    (r"in_cash_sweep", "cash_sweep"),
    (r"in_shl_(share|rate)", "shareholder_loan.{1}"),
    (r"in_sponsor(\d+)_share", "sponsors.{k}.share"),
    (r"in_equity_discount_rate", "equity_discount_rate"),
    (r"in_(max_gearing|target_dscr)", "debt.sizing.{1}"),
    (
        r"in_term_(authority_default|project_default|voluntary)_(debt_share|equity_share|collected)",
        "termination.{1}.{2}",
    ),
    (r"in_term_event_year", "termination.event.year"),
]
_COMPILED = [(re.compile(p + r"$"), t) for p, t in _RULES]


def scenario_path(name: str, inp=None) -> str | None:
    """The dotted scenario path of model input ``name``, or None if it is not a scenario field (solved
    inputs never are: the engine finds them)."""
    if inp is not None and inp.solved:
        return None
    for pattern, template in _COMPILED:
        m = pattern.match(name)
        if m:
            groups = m.groups()
            k = str(int(groups[0]) - 1) if groups and groups[0].isdigit() else ""
            upper = groups[0].upper() if groups else ""
            return template.replace("{k}", k).replace("{U}", upper).format(None, *groups)
    return None


def get_path(data, dotted: str):
    """The value at an index path in a scenario mapping (``...`` where absent)."""
    node = data
    for part in dotted.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return ...
    return node


def set_path(data: dict, dotted: str, value) -> None:
    """Set the value at an index path, creating absent optional blocks (``drivers`` ...)."""
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node.setdefault(part, {})
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


def to_field(value, typed_current, kind: str, path: str = ""):
    """A workbook value converted to the type of the scenario field (``typed_current`` = its validated value).

    Dates come as Excel serials, yes/no as 1/0, whole numbers as floats; tables and series as lists. A value
    that cannot convert is passed on unchanged so that scenario validation names the field and the problem.
    """
    if kind != "scalar":
        vals = [_plain(v) for v in value]
        if path.startswith("base_rates."):
            while len(vals) > 1 and vals[-1] == vals[-2]:  # a by-year curve: the last value holds after
                vals.pop()
        return vals
    v = float(value[0])
    if isinstance(typed_current, bool):
        return bool(v) if v in (0.0, 1.0) else v
    if isinstance(typed_current, (dt.date, dt.datetime)):
        return EXCEL_EPOCH + dt.timedelta(days=int(v)) if v.is_integer() else v
    return _plain(v, whole=isinstance(typed_current, int))


def _plain(v, whole: bool = True):
    """A float as a YAML-friendly number: an int where it is whole and the field takes whole numbers."""
    v = float(v)
    return int(v) if whole and v.is_integer() and abs(v) < 2**53 else v
