"""Structural rules that relate several fields of a scenario, read from its raw mapping.

Sums of shares, phasing lengths, facility amount / share and rate forms, grace and maturity against the
timeline, the sizing block, DSRA months, reserved case names. No domain data: the policy rules (country
data, EDCF / EDPF eligibility, cover) are :mod:`finmodel.inputs.policy`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from finmodel.conventions import PERIODS_PER_YEAR, SHARE_TOLERANCE
from finmodel.schema.types import BASE_CASE, as_int, as_number, found_text, is_whole


def get_in(obj: Any, *keys: Any) -> Any:
    """Navigate a raw mapping; None where a key is absent or a level has the wrong type."""
    for key in keys:
        if isinstance(key, int) and isinstance(obj, list) and 0 <= key < len(obj):
            obj = obj[key]
        elif isinstance(key, str) and isinstance(obj, Mapping):
            obj = obj.get(key)
        else:
            return None
    return obj


def mapping_items(obj: Any) -> list[tuple[int, Mapping]]:
    """(index, element) for the mapping elements of a raw list."""
    if not isinstance(obj, list):
        return []
    return [(i, x) for i, x in enumerate(obj) if isinstance(x, Mapping)]


def _check_sum(problems: list, path: str, values: Any, what: str) -> None:
    if not isinstance(values, list) or not values:
        return
    nums = [as_number(v) for v in values]
    if any(v is None for v in nums):
        return
    total = math.fsum(nums)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        problems.append((path, f"expected {what} summing to 1, found a sum of {total:.10g}"))


def _check_phasing_length(problems: list, path: str, phasing: Any, construction_years: int | None) -> None:
    if construction_years is None or construction_years <= 0 or not isinstance(phasing, list):
        return
    if len(phasing) != construction_years:
        problems.append(
            (
                path,
                f"expected {construction_years} entries (one per construction year, "
                f"timeline.construction_years = {construction_years}), found {len(phasing)}",
            )
        )


def timeline_counts(raw: Mapping) -> tuple[int | None, int | None, Any]:
    """``(construction_years, operation_years, periods_per_year)`` of a raw scenario, each None where it is
    missing or malformed (the schema reports those)."""
    construction = as_int(get_in(raw, "timeline", "construction_years"))
    operation = as_int(get_in(raw, "timeline", "operation_years"))
    if construction is not None and construction <= 0:
        construction = None
    if operation is not None and operation <= 0:
        operation = None
    ppy = get_in(raw, "timeline", "periods_per_year")
    ppy = ppy if as_int(ppy) in PERIODS_PER_YEAR else None
    return construction, operation, ppy


def check_rules(raw: Mapping) -> list[tuple[str, str]]:
    """Problems with rules that relate several fields, read from a raw scenario mapping.

    Reads defensively: a rule whose inputs are missing or mistyped is skipped (the schema reports
    those), so every other rule is still checked.

    Parameters
    ----------
    raw : Mapping
        A scenario as read from YAML (or ``Scenario.model_dump()``).

    Returns
    -------
    list of (field_path, message)
        Empty when every rule holds.
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(raw, Mapping):
        return problems
    timeline = timeline_counts(raw)
    _phasing_rules(problems, raw, timeline[0])
    sponsors = mapping_items(raw.get("sponsors"))
    if sponsors:
        _check_sum(problems, "sponsors", [s.get("share") for _, s in sponsors], "sponsors' shares")
    _facilities_rules(problems, raw, timeline)
    _fixed_debt_rule(problems, raw)
    _dsra_rule(problems, raw, timeline[2])
    _currency_rules(problems, raw, timeline)
    _termination_rules(problems, raw, timeline)
    cases = raw.get("cases")
    if isinstance(cases, Mapping) and BASE_CASE in cases:
        problems.append(
            (
                f"cases.{BASE_CASE}",
                "expected a case name other than 'base' (reserved: no changes), found 'base'",
            )
        )
    return problems


def _phasing_rules(problems: list, raw: Mapping, construction: int | None) -> None:
    """Capex and capital-grant phasings: one share per construction year, summing to 1."""
    phasing = get_in(raw, "capex", "phasing")
    _check_phasing_length(problems, "capex.phasing", phasing, construction)
    _check_sum(problems, "capex.phasing", phasing, "construction-year shares")
    for i, rev in mapping_items(raw.get("revenues")):
        if rev.get("kind") == "capital_grant":
            path = f"revenues.{i}.phasing"
            _check_phasing_length(problems, path, rev.get("phasing"), construction)
            _check_sum(problems, path, rev.get("phasing"), "construction-year shares")


def _fixed_debt_rule(problems: list, raw: Mapping) -> None:
    """The fixed facility amounts must fit the construction cost after grants (capex x (1 + contingency) x the
    capex factor - capital grants): debt beyond it could never be drawn (the model draws debt against the uses
    after grants, which are at least that cost plus fees, IDC and the DSRA). Amounts in another currency count at
    their spot rate (the rate of financial close)."""
    model = get_in(raw, "project", "currency")

    def in_model(item: Mapping, x: float | None) -> float | None:  # at the spot rate of an fx block's currency
        cur = item.get("currency")
        if x is None or not isinstance(cur, str) or cur == model:
            return x
        spot = as_number(get_in(raw, "fx", cur, "spot"))
        return x / spot if spot else None

    capex = raw.get("capex") if isinstance(raw.get("capex"), Mapping) else {}
    amount = in_model(capex, as_number(get_in(raw, "capex", "amount")))
    contingency = as_number(get_in(raw, "capex", "contingency"))
    factor = as_number(get_in(raw, "drivers", "capex_factor"))
    facilities = mapping_items(get_in(raw, "debt", "facilities"))
    fixed = [in_model(f, as_number(f.get("amount"))) for _, f in facilities if f.get("share") is None]
    if amount is None or not fixed or any(x is None for x in fixed):
        return
    grants = [
        in_model(r, as_number(r.get("amount")))
        for _, r in mapping_items(raw.get("revenues"))
        if r.get("kind") == "capital_grant"
    ]
    if any(g is None for g in grants):
        return
    cost = amount * (1 + (contingency or 0.0)) * (1.0 if factor is None else factor) - sum(grants)
    cap, what = cost, f"the construction cost after grants ({cost:,.6g})"
    if sum(fixed) > cap:
        problems.append(
            (
                "debt.facilities",
                f"expected fixed facility amounts of at most {what} = {cap:,.6g}, found {sum(fixed):,.6g}: "
                "debt beyond it could never be drawn",
            )
        )


def _facilities_rules(problems: list, raw: Mapping, timeline: tuple) -> None:
    """Every facility's rules (:func:`_facility_rules`), then the shares of the sized facilities summing to 1 and
    the sizing block that a share or a sculpted repayment needs."""
    base_rates = raw.get("base_rates")
    scan = _FacilityScan([str(k) for k in base_rates] if isinstance(base_rates, Mapping) else [], timeline)
    for i, fac in mapping_items(get_in(raw, "debt", "facilities")):
        _facility_rules(problems, i, fac, scan)
    if len(scan.shared) > 0:
        _check_sum(problems, "debt.facilities", scan.shared, "the shares of sized facilities")
    if scan.needs_sizing and get_in(raw, "debt", "sizing") is None:
        problems.append(
            (
                "debt.sizing",
                f"expected a sizing block (max_gearing, target_dscr) because {'; '.join(scan.needs_sizing)}, "
                "found nothing",
            )
        )


@dataclasses.dataclass
class _FacilityScan:
    """What the facility rules share: the base-rate names, the timeline counts (:func:`timeline_counts`), the names
    seen so far (name -> index), the shares of sized facilities, and what needs a sizing block."""

    base_names: list
    timeline: tuple
    seen: dict = dataclasses.field(default_factory=dict)
    shared: list = dataclasses.field(default_factory=list)
    needs_sizing: list = dataclasses.field(default_factory=list)


def _facility_rules(problems: list, i: int, fac: Mapping, scan: _FacilityScan) -> None:
    """One facility: a unique name, exactly one of amount or share (a share goes to ``scan.shared``), the rate
    form, grace and maturity, the repayment profile."""
    path = f"debt.facilities.{i}"
    name = fac.get("name")
    if isinstance(name, str):
        if name in scan.seen:
            problems.append(
                (
                    f"{path}.name",
                    f"expected a name unique among facilities, found {found_text(name)} again "
                    f"(also debt.facilities.{scan.seen[name]})",
                )
            )
        else:
            scan.seen[name] = i
    label = repr(name) if isinstance(name, str) else f"debt.facilities.{i}"
    amount, share = fac.get("amount"), fac.get("share")
    if amount is None and share is None:
        problems.append((path, "expected exactly one of amount (fixed) or share (of the sized debt), found neither"))
    elif amount is not None and share is not None:
        problems.append((path, "expected exactly one of amount (fixed) or share (of the sized debt), found both"))
    elif share is not None:
        scan.shared.append(share)
        scan.needs_sizing.append(f"facility {label} has a share")
    if fac.get("repayment") == "sculpted":
        scan.needs_sizing.append(f"facility {label} is sculpted")
    _rate_rules(problems, path, fac.get("rate"), scan.base_names)
    grace, maturity = as_number(fac.get("grace_years")), as_number(fac.get("maturity_years"))
    _tenor_rules(problems, path, grace, maturity, scan.timeline)
    _hedge_rules(problems, path, fac, scan.timeline)
    _profile_rules(problems, path, fac, grace, maturity)


def _hedge_rules(problems: list, path: str, fac: Mapping, timeline: tuple) -> None:
    """A hedge needs a floating rate (base + margin); its years are a whole number of periods and end within the
    facility's maturity after the construction years."""
    hedge = fac.get("hedge")
    if not isinstance(hedge, Mapping):
        return
    rate = fac.get("rate")
    if not (isinstance(rate, Mapping) and rate.get("base") is not None):
        problems.append(
            (f"{path}.hedge", "expected a floating-rate facility (rate: {base, margin}) for a swap, found a fixed rate")
        )
    years, construction, ppy = as_number(hedge.get("years")), timeline[0], timeline[2]
    maturity = as_number(fac.get("maturity_years"))
    if years is None or years <= 0:
        return
    if ppy is not None and not is_whole(years * ppy):
        problems.append(
            (f"{path}.hedge.years", f"expected a whole number of periods ({ppy} per year), found {found_text(years)}")
        )
    if construction is not None and maturity is not None and years > maturity - construction:
        problems.append(
            (
                f"{path}.hedge.years",
                f"expected at most maturity_years - construction_years ({found_text(maturity - construction)}: the "
                f"swap runs from the start of operations), found {found_text(years)}",
            )
        )


def _rate_rules(problems: list, path: str, rate: Any, base_names: list) -> None:
    """A rate is either ``{fixed: r}`` or ``{base: name, margin: m}``, its base a key of ``base_rates``."""
    if not isinstance(rate, Mapping):
        return
    fixed, base, margin = rate.get("fixed"), rate.get("base"), rate.get("margin")
    if fixed is not None and (base is not None or margin is not None):
        problems.append((f"{path}.rate", "expected either {fixed: r} or {base: name, margin: m}, found both forms"))
    elif fixed is None and base is None:
        problems.append((f"{path}.rate", "expected either {fixed: r} or {base: name, margin: m}, found neither"))
    elif base is not None:
        if margin is None:
            problems.append((f"{path}.rate.margin", "expected a margin with base, found nothing"))
        if isinstance(base, str) and base not in base_names:
            known = ", ".join(base_names) if base_names else "none defined"
            problems.append((f"{path}.rate.base", f"expected a key of base_rates ({known}), found {found_text(base)}"))


def _tenor_rules(problems: list, path: str, grace: float | None, maturity: float | None, timeline: tuple) -> None:
    """Grace [years]: at least the construction years, less than the maturity, a whole number of periods;
    maturity [years]: a whole number of periods, within the model's years."""
    construction, operation, ppy = timeline
    if grace is not None and grace >= 0:
        if construction is not None and grace < construction:
            problems.append(
                (
                    f"{path}.grace_years",
                    f"expected at least timeline.construction_years ({construction}) so that no "
                    "principal "
                    f"is repaid during construction, found {found_text(grace)}",
                )
            )
        if maturity is not None and maturity > 0 and grace >= maturity:
            problems.append(
                (
                    f"{path}.grace_years",
                    f"expected less than maturity_years ({found_text(maturity)}), found {found_text(grace)}",
                )
            )
        if ppy is not None and not is_whole(grace * ppy):
            problems.append(
                (
                    f"{path}.grace_years",
                    f"expected a whole number of periods ({ppy} per year), found {found_text(grace)} years "
                    f"= {grace * ppy:g} periods",
                )
            )
    if maturity is not None and maturity > 0:
        if ppy is not None and not is_whole(maturity * ppy):
            problems.append(
                (
                    f"{path}.maturity_years",
                    f"expected a whole number of periods ({ppy} per year), "
                    f"found {found_text(maturity)} years "
                    f"= {maturity * ppy:g} periods",
                )
            )
        if construction is not None and operation is not None and maturity > construction + operation:
            problems.append(
                (
                    f"{path}.maturity_years",
                    f"expected at most construction_years + operation_years "
                    f"({construction + operation}), "
                    f"found {found_text(maturity)}",
                )
            )


def _profile_rules(problems: list, path: str, fac: Mapping, grace: float | None, maturity: float | None) -> None:
    """A custom repayment has a profile (one share per repayment year, summing to 1); no other repayment has
    one."""
    profile = fac.get("profile")
    if fac.get("repayment") == "custom":
        if profile is None:
            problems.append(
                (
                    f"{path}.profile",
                    "expected a profile (shares by repayment year) for repayment: custom, found nothing",
                )
            )
            return
        _check_sum(problems, f"{path}.profile", profile, "repayment shares")
        if isinstance(profile, list) and grace is not None and maturity is not None:
            years = maturity - grace
            if years > 0 and is_whole(years) and len(profile) != round(years):
                problems.append(
                    (
                        f"{path}.profile",
                        f"expected {round(years)} entries (one per repayment year, maturity_years - "
                        f"grace_years), found {len(profile)}",
                    )
                )
    elif profile is not None and fac.get("repayment") in ("equal", "annuity", "sculpted"):
        problems.append(
            (
                f"{path}.profile",
                f"expected no profile unless repayment is custom, found a profile with "
                f"repayment {found_text(fac.get('repayment'))}",
            )
        )


def _dsra_rule(problems: list, raw: Mapping, ppy: Any) -> None:
    """DSRA months: a whole number of periods."""
    months = as_int(get_in(raw, "dsra", "months"))
    if months is not None and months >= 0 and ppy is not None and (months * ppy) % 12:
        problems.append(
            (
                "dsra.months",
                f"expected a whole number of periods (months * {ppy} / 12 an integer), found {months} months "
                f"= {months * ppy / 12:g} periods",
            )
        )


_CURRENCY_LINES = ("revenues", "opex", "lifecycle")


def _currency_rules(problems: list, raw: Mapping, timeline: tuple) -> None:
    """Lines' currencies: the model currency or a key of ``fx`` (which never names the model currency); a
    hard-currency share needs a line in a foreign currency; a devaluation falls within the model years; the risk
    block's FX process needs a currency of ``fx`` to move."""
    model = get_in(raw, "project", "currency")
    fx = raw.get("fx")
    known = [str(k) for k in fx] if isinstance(fx, Mapping) else []
    if isinstance(model, str) and model in known:
        problems.append(
            (f"fx.{model}", f"expected currencies other than the model currency {model} (its rate is 1), found {model}")
        )
    allowed = ", ".join([f"the model currency {model}" if isinstance(model, str) else "the model currency", *known])

    def line(path: str, item: Mapping) -> None:
        cur = item.get("currency")
        if isinstance(cur, str) and cur != model and cur not in known:
            problems.append(
                (
                    f"{path}.currency",
                    f"expected {allowed} (a currency other than the model currency needs its path in the fx block), "
                    f"found {found_text(cur)}",
                )
            )
        share = as_number(item.get("hard_currency_share"))
        if share and (cur is None or cur == model):
            problems.append(
                (
                    f"{path}.hard_currency_share",
                    "expected 0 on a line in the model currency (the share indexed to the model currency needs a "
                    f"line in a currency of the fx block), found {found_text(share)}",
                )
            )

    capex = raw.get("capex")
    if isinstance(capex, Mapping):
        line("capex", capex)
    for i, item in mapping_items(get_in(raw, "debt", "facilities")):
        line(f"debt.facilities.{i}", item)
        cur = item.get("currency")
        if not isinstance(cur, str) or cur == model:
            continue
        if item.get("share") is not None:
            problems.append(
                (
                    f"debt.facilities.{i}.share",
                    f"expected a fixed amount (in {cur}) for a facility in another currency than the model's: "
                    "debt sizing is in the model currency, found a share of the sized debt",
                )
            )
        if item.get("repayment") == "sculpted":
            problems.append(
                (
                    f"debt.facilities.{i}.repayment",
                    f"expected equal, annuity or custom for a facility in {cur} (a schedule in its own currency), "
                    "found sculpted (sculpting follows CFADS in the model currency)",
                )
            )
    for block in _CURRENCY_LINES:
        for i, item in mapping_items(raw.get(block)):
            line(f"{block}.{i}", item)
    years = None if timeline[0] is None or timeline[1] is None else timeline[0] + timeline[1]
    for cur in known:
        year = as_int(get_in(fx, cur, "devaluation", "year"))
        if years is not None and year is not None and year > years:
            problems.append(
                (
                    f"fx.{cur}.devaluation.year",
                    f"expected a model year from 1 to {years} (construction + operation years), found {year}",
                )
            )
    risk_fx = get_in(raw, "risk", "fx")
    if isinstance(risk_fx, Mapping):
        cur = risk_fx.get("currency")
        if not known:
            problems.append(
                (
                    "risk.fx",
                    "expected a scenario with lines in a currency of an fx block for the FX process to move (it "
                    "moves only the flows in its currency), found no fx block",
                )
            )
        elif isinstance(cur, str) and cur not in known:
            problems.append(
                (
                    "risk.fx.currency",
                    f"expected a currency of the fx block ({', '.join(known)}), found {found_text(cur)}",
                )
            )


def _termination_rules(problems: list, raw: Mapping, timeline: tuple) -> None:
    """A termination event falls in an operating year (from construction + 1 to the last model year) and its
    cause has its compensation in the termination block."""
    term = raw.get("termination")
    event = get_in(raw, "termination", "event")
    if not isinstance(term, Mapping) or not isinstance(event, Mapping):
        return
    cause = event.get("cause")
    if (
        isinstance(cause, str)
        and cause in ("authority_default", "project_default", "voluntary")
        and not isinstance(term.get(cause), Mapping)
    ):
        problems.append(
            (
                "termination.event.cause",
                f"expected a cause with its compensation in the termination block (termination.{cause}: "
                f"{{debt_share: ...}}), found {found_text(cause)} without one",
            )
        )
    year = as_int(event.get("year"))
    if year is None or timeline[0] is None or timeline[1] is None:
        return
    first, last = timeline[0] + 1, timeline[0] + timeline[1]
    if not first <= year <= last:
        problems.append(
            (
                "termination.event.year",
                f"expected an operating year from {first} to {last} (a termination ends the operations), found {year}",
            )
        )
