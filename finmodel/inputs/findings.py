"""What the blending rules say about a whole scenario: its grant-element discount rate and its warnings.

:func:`warnings_for` collects the *warning* findings of the eligibility rules (policy exceptions the plan
allows, benefits left unused); the *error* findings are input errors raised when the scenario is loaded
(:mod:`finmodel.inputs.policy`), so a loaded scenario has none. The command line prints the
warnings (``finmodel run``, ``validate``, ``grant-element``) and the workbook lists them on its Checks
sheet, outside the master check.

:func:`ge_discount_rate` chooses the grant-element discount rate of a scenario from ``blending.method``
(see :func:`finmodel.inputs.grant_element.discount_rate_for`); a high-income country has no DAC 2018
rate (it is not an ODA recipient), so method ``dac2018`` falls back to the IMF 5 % rate with a warning
(rule ``GE-METHOD-HIC``).

Examples
--------
>>> from finmodel.inputs.validation import load_scenario
>>> from finmodel.inputs.findings import ge_discount_rate, warnings_for
>>> d, _ = ge_discount_rate(load_scenario())
>>> d.method, d.rate, d.basis
('dac2018', 0.06, 'UMIC')
>>> warnings_for(load_scenario())
[]
"""

from __future__ import annotations

from finmodel.errors import InputError
from finmodel.inputs.countries import get_country
from finmodel.inputs.eligibility import Finding, facility_findings, sme_preference
from finmodel.inputs.grant_element import DiscountRate, discount_rate_for
from finmodel.inputs.instruments import preset

__all__ = ["scenario_country", "ge_discount_rate", "warnings_for", "facility_is_tied"]

_RULE_HIC = "GE-METHOD-HIC"
_SRC_HIC = "OECD DAC ODA loan test since 2018 (DAC HLM 2014); IMF unified 5 % rate (2013)"


def scenario_country(scenario):
    """The :class:`finmodel.inputs.countries.Country` of a scenario, with its ``country_overrides``."""
    overrides = scenario.project.country_overrides
    country = get_country(scenario.project.country, dict(overrides) if overrides else None)
    if country is None:  # a loaded scenario was validated: only a hand-built one gets here
        raise InputError([("project.country", f"unknown country {scenario.project.country!r}")])
    return country


def facility_is_tied(facility) -> bool:
    """Tied aid by the instrument's preset: EDCF tied, EDPF untied; other kinds are not aid (untied)."""
    if facility.kind == "edcf":
        return bool(preset("edcf_group_3")["tied"])
    if facility.kind == "edpf":
        return bool(preset("edpf_non_sovereign")["tied"])
    return False


def ge_discount_rate(scenario, *, method=None, discount_rate=None, cirr=None) -> tuple[DiscountRate, list[Finding]]:
    """The grant-element discount rate of ``scenario`` and the warnings its choice raises.

    Parameters
    ----------
    scenario : finmodel.schema.Scenario
    method, discount_rate, cirr : optional
        Replace ``scenario.blending``'s values (the command line's ``--method``, ``--discount-rate``,
        ``--cirr``). ``discount_rate`` alone implies method ``"rate"``.

    Returns
    -------
    (DiscountRate, list of Finding)
        The rate [fraction per year] with its method, basis, source and the threshold of the test that goes
        with it; the findings are warnings (``GE-METHOD-HIC``).
    """
    bl = scenario.blending
    if method is None:
        method = "rate" if discount_rate is not None else bl.method
    if discount_rate is None and method == "rate":
        discount_rate = bl.discount_rate
    cirr = bl.cirr if cirr is None else cirr
    country = scenario_country(scenario)
    if method == "dac2018" and not (country.lic_or_ldc or country.income_group in ("LMIC", "UMIC")):
        d = discount_rate_for("imf")
        note = (
            f"{country.iso3} is {country.income_group}: not an ODA recipient, so the DAC 2018 test has no "
            f"discount rate for it; the grant element uses the IMF {d.rate:.0%} rate "
            f"(set blending.method to silence this) [{_RULE_HIC}; {_SRC_HIC}]"
        )
        d = DiscountRate(
            rate=d.rate,
            method="imf",
            threshold=d.threshold,
            test=d.test,
            basis=f"{d.basis} ({country.income_group}: no DAC rate)",
            source=d.source,
        )
        return d, [Finding(_RULE_HIC, "warning", "blending.method", note)]
    return discount_rate_for(method, country=country, cirr=cirr, rate=discount_rate), []


def warnings_for(scenario) -> list[Finding]:
    """Every warning finding of the blending rules for a (validated) scenario, in facility order.

    Covers the EDCF/EDPF/DAC/Helsinki rules of each EDCF and EDPF facility
    (:func:`finmodel.inputs.eligibility.facility_findings`, with ``blending.cirr``), the SME co-entry
    preferences when ``project.sme_participation`` is set (no preference is modelled yet: a warning that
    the benefit is left unused), and the grant-element method (``GE-METHOD-HIC``).

    Returns
    -------
    list of Finding
        Severity ``"warning"`` only; field paths name the facility (``debt.facilities.0.kind``) or block.
    """
    country = scenario_country(scenario)
    tl = scenario.timeline
    out: list[Finding] = []
    for i, fac in enumerate(scenario.debt.facilities):
        if fac.kind not in ("edcf", "edpf"):
            continue
        path = f"debt.facilities.{i}"
        findings = facility_findings(
            country,
            kind=fac.kind,
            annual_rate=fac.rate.fixed,
            maturity_years=fac.maturity_years,
            grace_years=fac.grace_years,
            repayment=fac.repayment if fac.repayment in ("equal", "annuity") else "sculpted",
            periods_per_year=tl.periods_per_year,
            commercially_viable=scenario.project.commercially_viable,
            borrower=scenario.project.borrower,
            cirr=scenario.blending.cirr,
            field_path=path,
        )
        for f in findings:
            if f.severity != "warning":
                continue
            fp = f"{path}.kind" if f.field_path == "project.country" else f.field_path
            out.append(Finding(f.rule, f.severity, fp, f"{fac.name}: {f.message}"))
    if scenario.project.sme_participation:
        if not any(sme_margin_preference(scenario, fac) for fac in scenario.debt.facilities):
            out += [
                Finding(f.rule, f.severity, "project.sme_participation", f.message)
                for f in sme_preference(sme_participation=True)
                if f.severity == "warning"
            ]
    out += ge_discount_rate(scenario)[1]
    return list(dict.fromkeys(out))


SME_LENDER_KINDS = ("eca", "edpf")  # facilities KEXIM lends (export credit, EDPF): the SME co-entry programme's


def sme_margin_preference(scenario, facility) -> float:
    """The SME co-entry rate preference that applies to ``facility`` [per year, decimal, <= 0]: the
    facility's own ``sme_margin_preference``, else the programme default for KEXIM-lent kinds, when the
    project declares SME participation; 0 otherwise."""
    if not scenario.project.sme_participation:
        return 0.0
    if facility.sme_margin_preference is not None:
        return float(facility.sme_margin_preference)
    if facility.kind in SME_LENDER_KINDS:
        return float(preset("sme_co_entry")["loan_margin_preference"])
    return 0.0
