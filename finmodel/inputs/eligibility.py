"""Eligibility rules for the plan's instruments: EDCF, EDPF, DAC ODA test, Helsinki tied-aid disciplines, SME
co-entry preferences.

Every rule is a pure function of plain inputs (a :class:`finmodel.inputs.countries.Country`, project flags, facility
terms) returning a list of :class:`Finding`; an empty list means the rule passes. Rules never raise on a
breach: a breach is a finding (severity ``"error"`` = the structure is not allowed as entered, ``"warning"``
= allowed but worth a look). The scenario layer maps ``"error"`` findings to ``InputError`` (exit code 2).

Each rule has an id (``RULES``), its thresholds come from the presets of ``finmodel/data/instruments.yaml``
(so a scenario can override them), and each message names its source.

Rule ids
--------
EDCF-INCOME, EDCF-AID-PROJECT, EDPF-INCOME, EDPF-SHARE-85, EDPF-TENOR-20, EDPF-GRACE-5, DAC-ODA-GE,
HELSINKI-MIN-CONCESSIONALITY, HELSINKI-LMIC-CEILING, HELSINKI-COMMERCIAL-VIABILITY, SME-PREFERENCE.

References
----------
- Korea Eximbank, Sovereign / Non-sovereign EDPF loan terms (koreaexim.go.kr, 2025).
- EDCF loan procedure: OECD Arrangement project eligibility, commercial non-viability test
  (edcfkorea.go.kr).
- OECD DAC, ODA loan test since 2018 (DAC HLM 2014; DCD/DAC/STAT(2018)9/FINAL).
- OECD Arrangement on Officially Supported Export Credits, Chapter III (Helsinki tied-aid disciplines).
- Government of Korea, overseas smart-city action plan (2019), section IV-1 (EDCF, EDPF, SME co-entry).
"""

from __future__ import annotations

from dataclasses import dataclass

from finmodel.conventions import RATE_TOLERANCE
from finmodel.errors import InputError
from finmodel.inputs.grant_element import (
    differentiated_discount_rate,
    discount_rate_for,
    grant_element_closed_form,
    helsinki_min_concessionality,
)
from finmodel.inputs.instruments import preset

__all__ = [
    "Finding",
    "RULES",
    "edcf_income",
    "edcf_aid_project",
    "edpf_income",
    "edpf_share_85",
    "edpf_tenor_20",
    "edpf_grace_5",
    "dac_oda_ge",
    "helsinki_min_concessionality_rule",
    "helsinki_lmic_ceiling",
    "helsinki_commercial_viability",
    "sme_preference",
    "facility_findings",
    "errors_to_input_error",
]

_SRC_PLAN = "2019 overseas smart-city plan, sec. IV-1"
_SRC_EDCF = "EDCF loan procedure (edcfkorea.go.kr): OECD Arrangement commercial non-viability test"
_SRC_EDPF = "KEXIM EDPF terms & conditions (koreaexim.go.kr, 2025)"
_SRC_DAC = "OECD DAC ODA loan test since 2018 (DAC HLM 2014)"
_SRC_HELSINKI = "OECD Arrangement ch. III (Helsinki tied-aid disciplines)"

RULES = {
    "EDCF-INCOME": ("EDCF lends to low- and lower-middle-income countries", _SRC_PLAN),
    "EDCF-AID-PROJECT": (
        "EDCF finances non-commercial (aid) projects that pass the commercial non-viability test",
        _SRC_EDCF,
    ),
    "EDPF-INCOME": ("EDPF serves middle-income countries", _SRC_PLAN),
    "EDPF-SHARE-85": ("EDPF covers up to 85 % of the project cost", _SRC_EDPF),
    "EDPF-TENOR-20": ("EDPF loans run up to 20 years", _SRC_EDPF),
    "EDPF-GRACE-5": ("EDPF grace period up to 5 years", _SRC_EDPF),
    "DAC-ODA-GE": ("ODA loans need the DAC minimum grant element at the DAC discount rate", _SRC_DAC),
    "HELSINKI-MIN-CONCESSIONALITY": ("tied aid needs 35 % concessionality (50 % LDC) at the DDR", _SRC_HELSINKI),
    "HELSINKI-LMIC-CEILING": ("no tied aid above the LMIC ceiling unless concessionality >= 80 %", _SRC_HELSINKI),
    "HELSINKI-COMMERCIAL-VIABILITY": ("no tied aid for commercially viable projects outside LDCs", _SRC_HELSINKI),
    "SME-PREFERENCE": ("SME co-entry preferences: loan margin -0.3 %p (up to -1 %p), guarantee fee -0.1 %p", _SRC_PLAN),
}
"""Rule id -> (what the rule says, source)."""

_TOL = RATE_TOLERANCE  # comparisons of rates/shares entered as decimals: floating-point slack only


@dataclass(frozen=True)
class Finding:
    """One rule outcome worth reporting.

    Attributes
    ----------
    rule : str
        Rule id, e.g. ``"EDPF-SHARE-85"`` (a key of ``RULES``).
    severity : str
        ``"error"`` (not allowed as entered) or ``"warning"``.
    field_path : str
        Where the offending value is, e.g. ``"debt.facilities.0.share_of_project_cost"``.
    message : str
        What was expected and what was found, ending with the source in brackets.
    """

    rule: str
    severity: str
    field_path: str
    message: str


def _finding(rule, severity, field_path, message) -> list[Finding]:
    return [Finding(rule, severity, field_path, f"{message} [{rule}; {RULES[rule][1]}]")]


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


# --- EDCF ---------------------------------------------------------------------------------------------


def edcf_income(country, *, field_path="project.country") -> list[Finding]:
    """EDCF-INCOME: EDCF targets LICs and LMICs (and LDCs); UMIC is a warning, HIC an error.

    Parameters
    ----------
    country : finmodel.inputs.countries.Country
    field_path : str
        Path reported with the finding.
    """
    if country.ldc or country.income_group in ("LIC", "LMIC"):
        return []
    if country.income_group == "UMIC":
        return _finding(
            "EDCF-INCOME",
            "warning",
            field_path,
            f"EDCF is meant for low- and lower-middle-income countries; {country.iso3} is UMIC "
            f"(tied aid there also needs >= 80 % concessionality, see HELSINKI-LMIC-CEILING)",
        )
    return _finding(
        "EDCF-INCOME",
        "error",
        field_path,
        f"EDCF lends to low- and lower-middle-income countries, found {country.iso3} ({country.income_group})",
    )


def edcf_aid_project(country, commercially_viable: bool, *, field_path="project.commercially_viable") -> list[Finding]:
    """EDCF-AID-PROJECT: EDCF (tied) finances projects that are not commercially viable.

    A commercially viable project is an error outside LDCs, a warning in an LDC (the Arrangement's
    project-eligibility test does not apply to LDCs, but EDCF's aid mandate still does).
    """
    if not commercially_viable:
        return []
    if country.ldc:
        return _finding(
            "EDCF-AID-PROJECT",
            "warning",
            field_path,
            f"EDCF finances non-commercial (aid) projects; this project is flagged commercially "
            f"viable ({country.iso3} is an LDC, so the tied-aid test does not bar it)",
        )
    return _finding(
        "EDCF-AID-PROJECT",
        "error",
        field_path,
        "EDCF finances non-commercial (aid) projects that pass the commercial non-viability "
        "test; found commercially_viable = true (consider EDPF, untied)",
    )


# --- EDPF ---------------------------------------------------------------------------------------------


def edpf_income(country, *, field_path="project.country") -> list[Finding]:
    """EDPF-INCOME: EDPF serves middle-income countries (LMIC, UMIC); LIC/LDC warning, HIC error."""
    if country.income_group in ("LMIC", "UMIC") and not country.ldc:
        return []
    if country.income_group == "HIC":
        return _finding(
            "EDPF-INCOME",
            "error",
            field_path,
            f"EDPF serves developing (middle-income) countries, found {country.iso3} (HIC)",
        )
    group = "LDC" if country.ldc else country.income_group
    return _finding(
        "EDPF-INCOME",
        "warning",
        field_path,
        f"EDPF is meant for middle-income countries; {country.iso3} is {group} "
        f"(EDCF concessional terms may fit better)",
    )


def edpf_share_85(
    share_of_project_cost: float, *, window="non_sovereign", field_path="debt.facilities.share_of_project_cost"
) -> list[Finding]:
    """EDPF-SHARE-85: EDPF lends up to 85 % of the total project cost (both windows).

    Parameters
    ----------
    share_of_project_cost : float
        EDPF amount / total project cost [fraction].
    window : {"sovereign", "non_sovereign"}
        EDPF window whose preset holds the limit.
    """
    limit = preset(_edpf_window(window))["max_share_of_project_cost"]
    if share_of_project_cost > limit + _TOL:
        return _finding(
            "EDPF-SHARE-85",
            "error",
            field_path,
            f"expected at most {_pct(limit)} of the project cost, found {_pct(share_of_project_cost)}",
        )
    return []


def edpf_tenor_20(
    maturity_years: float, *, window="non_sovereign", field_path="debt.facilities.maturity_years"
) -> list[Finding]:
    """EDPF-TENOR-20: EDPF loans run up to 20 years ("in general": longer needs KEXIM's agreement)."""
    limit = preset(_edpf_window(window))["max_maturity_years"]
    if maturity_years > limit + _TOL:
        return _finding(
            "EDPF-TENOR-20",
            "error",
            field_path,
            f"expected a maturity of at most {limit} years, found {maturity_years}",
        )
    return []


def edpf_grace_5(
    grace_years: float, *, window="non_sovereign", field_path="debt.facilities.grace_years"
) -> list[Finding]:
    """EDPF-GRACE-5: EDPF grace period up to 5 years (years with no principal repayment)."""
    limit = preset(_edpf_window(window))["max_grace_years"]
    if grace_years > limit + _TOL:
        return _finding(
            "EDPF-GRACE-5",
            "error",
            field_path,
            f"expected a grace period of at most {limit} years, found {grace_years}",
        )
    return []


def _edpf_window(window: str) -> str:
    if window not in ("sovereign", "non_sovereign"):
        raise InputError([("window", f"expected 'sovereign' or 'non_sovereign', found {window!r}")])
    return f"edpf_{window}"


# --- DAC ODA test -------------------------------------------------------------------------------------


def dac_oda_ge(
    country,
    *,
    annual_rate,
    maturity_years,
    grace_years,
    repayment="equal",
    periods_per_year=2,
    severity="error",
    field_path="debt.facilities",
) -> list[Finding]:
    """DAC-ODA-GE: the loan's grant element at the DAC 2018 discount rate of the recipient's income group must
    reach the group's threshold (LDC/LIC 45 % @ 9 %, LMIC 15 % @ 7 %, UMIC 10 % @ 6 %).

    Parameters
    ----------
    country : finmodel.inputs.countries.Country
    annual_rate, maturity_years, grace_years, repayment, periods_per_year :
        Loan terms (finmodel grace convention), see :func:`grant_element_closed_form`.
    severity : {"error", "warning"}
        ``"error"`` for facilities that must count as ODA (EDCF), ``"warning"`` otherwise.

    Notes
    -----
    A high-income recipient is not on the DAC list: an ODA loan to it is a finding of ``severity``.
    """
    try:
        d = discount_rate_for("dac2018", country)
    except InputError:
        return _finding(
            "DAC-ODA-GE",
            severity,
            "project.country",
            f"{country.iso3} is {country.income_group}: not an ODA recipient, so the loan cannot count as ODA",
        )
    ge = grant_element_closed_form(
        annual_rate, maturity_years, grace_years, d.rate, repayment=repayment, periods_per_year=periods_per_year
    )
    if ge < d.threshold - _TOL:
        return _finding(
            "DAC-ODA-GE",
            severity,
            field_path,
            f"expected a grant element of at least {_pct(d.threshold)} at {_pct(d.rate)} ({d.basis}), found {_pct(ge)}",
        )
    return []


# --- Helsinki tied-aid disciplines ------------------------------------------------------------------------


def helsinki_min_concessionality_rule(
    country,
    *,
    tied,
    annual_rate,
    maturity_years,
    grace_years,
    cirr,
    repayment="equal",
    periods_per_year=2,
    field_path="debt.facilities",
) -> list[Finding]:
    """HELSINKI-MIN-CONCESSIONALITY: tied aid needs a concessionality level of at least 35 % (50 % for LDCs)
    at the differentiated discount rate of the loan currency. Countries above the LMIC ceiling (80 %
    exception) are left to :func:`helsinki_lmic_ceiling`, so a breach is reported once.

    Parameters
    ----------
    country : finmodel.inputs.countries.Country
    tied : bool
        Untied loans are not subject to the rule.
    cirr : float or None
        CIRR of the loan currency [fraction per year]; the DDR is computed from it. ``None``: a warning
        that the test could not be run.
    """
    above_ceiling = (
        not country.ldc and country.income_group not in preset("helsinki_tied_aid")["eligible_income_groups"]
    )
    if not tied or above_ceiling:  # above the LMIC ceiling the 80 % test is HELSINKI-LMIC-CEILING's
        return []
    if cirr is None:
        return _finding(
            "HELSINKI-MIN-CONCESSIONALITY",
            "warning",
            f"{field_path}.cirr",
            "tied aid: no CIRR given, so the concessionality at the DDR was not tested",
        )
    ddr = differentiated_discount_rate(cirr)
    level = grant_element_closed_form(
        annual_rate, maturity_years, grace_years, ddr, repayment=repayment, periods_per_year=periods_per_year
    )
    minimum = helsinki_min_concessionality(country)
    if level < minimum - _TOL:
        return _finding(
            "HELSINKI-MIN-CONCESSIONALITY",
            "error",
            field_path,
            f"tied aid to {country.iso3} needs a concessionality level of at least "
            f"{_pct(minimum)} at the DDR {_pct(ddr)}, found {_pct(level)}",
        )
    return []


def helsinki_lmic_ceiling(country, *, tied, concessionality=None, field_path="project.country") -> list[Finding]:
    """HELSINKI-LMIC-CEILING: no tied aid to countries above the LMIC ceiling (UMIC, HIC) unless the
    concessionality level is at least 80 %.

    Parameters
    ----------
    concessionality : float or None
        Concessionality level at the DDR [fraction], if known.
    """
    p = preset("helsinki_tied_aid")
    if not tied or country.ldc or country.income_group in p["eligible_income_groups"]:
        return []
    exception = p["exception_concessionality"]
    if concessionality is not None and concessionality >= exception - _TOL:
        return []
    found = "not given" if concessionality is None else _pct(concessionality)
    return _finding(
        "HELSINKI-LMIC-CEILING",
        "error",
        field_path,
        f"tied aid to {country.iso3} ({country.income_group}, above the LMIC ceiling) needs a "
        f"concessionality level of at least {_pct(exception)}, found {found}",
    )


def helsinki_commercial_viability(
    country, *, tied, commercially_viable, field_path="project.commercially_viable"
) -> list[Finding]:
    """HELSINKI-COMMERCIAL-VIABILITY: no tied aid for commercially viable projects, except in LDCs."""
    if not tied or not commercially_viable or country.ldc:
        return []
    return _finding(
        "HELSINKI-COMMERCIAL-VIABILITY",
        "error",
        field_path,
        f"tied aid to {country.iso3} (not an LDC) requires a commercially non-viable project, "
        f"found commercially_viable = true",
    )


# --- SME co-entry preferences ---------------------------------------------------------------------------


def sme_preference(
    *,
    sme_participation,
    sme_only=False,
    loan_margin_preference=0.0,
    guarantee_fee_preference=0.0,
    field_path="debt.facilities",
) -> list[Finding]:
    """SME-PREFERENCE: KEXIM SME co-entry programme preferences within the plan's limits.

    Parameters
    ----------
    sme_participation : bool
        SMEs take part (with large firms, or alone).
    sme_only : bool
        SME-only contract: either the guarantee-fee preference (0.1 %p) or the loan preference (0.3 %p).
    loan_margin_preference : float
        Change to the loan margin [fraction per year], negative: -0.003 default, down to -0.010.
    guarantee_fee_preference : float
        Change to the performance-guarantee fee [fraction per year], negative: -0.001.

    Notes
    -----
    A positive value where a reduction is meant (0.003 for "0.3 %p off") is an error naming the sign; an
    SME project without any preference is a warning (a benefit left on the table).
    """
    p = preset("sme_co_entry")
    default, floor = p["loan_margin_preference"], p["loan_margin_preference_max"]
    fee = p["performance_guarantee_fee_preference"]
    out: list[Finding] = []
    lm, gf = loan_margin_preference, guarantee_fee_preference
    if lm > _TOL:
        out += _finding(
            "SME-PREFERENCE",
            "error",
            f"{field_path}.loan_margin_preference",
            f"a preference lowers the margin: expected a value in [{floor}, 0] (e.g. {default} for 0.3 %p), found {lm}",
        )
    if gf > _TOL:
        out += _finding(
            "SME-PREFERENCE",
            "error",
            f"{field_path}.guarantee_fee_preference",
            f"a preference lowers the fee: expected a value in [{fee}, 0], found {gf}",
        )
    if out:
        return out
    if not sme_participation and (lm < -_TOL or gf < -_TOL):
        return _finding(
            "SME-PREFERENCE",
            "error",
            f"{field_path}.loan_margin_preference",
            "SME co-entry preferences need SME participation, found sme_participation = false",
        )
    if lm < floor - _TOL:
        out += _finding(
            "SME-PREFERENCE",
            "error",
            f"{field_path}.loan_margin_preference",
            f"expected a loan margin preference of at most {abs(floor) * 100:.1f} %p (>= {floor}), found {lm}",
        )
    if gf < fee - _TOL:
        out += _finding(
            "SME-PREFERENCE",
            "error",
            f"{field_path}.guarantee_fee_preference",
            f"expected a guarantee fee preference of at most {abs(fee) * 100:.1f} %p (>= {fee}), found {gf}",
        )
    if gf < -_TOL and not sme_only:
        out += _finding(
            "SME-PREFERENCE",
            "error",
            f"{field_path}.guarantee_fee_preference",
            "the performance guarantee fee preference is for SME-only contracts, found sme_only = false",
        )
    if sme_only and gf < -_TOL and lm < -_TOL:
        out += _finding(
            "SME-PREFERENCE",
            "error",
            f"{field_path}.loan_margin_preference",
            "SME-only contracts get the guarantee fee preference or the loan preference, not both",
        )
    if not out and sme_participation and lm >= -_TOL and gf >= -_TOL:
        out += _finding(
            "SME-PREFERENCE",
            "warning",
            f"{field_path}.loan_margin_preference",
            f"SMEs take part but no preference is applied (default {default} on the loan margin)",
        )
    return out


# --- all rules for one facility -------------------------------------------------------------------------


def facility_findings(
    country,
    *,
    kind,
    annual_rate=None,
    maturity_years=None,
    grace_years=None,
    repayment="equal",
    periods_per_year=2,
    share_of_project_cost=None,
    tied=None,
    commercially_viable=False,
    borrower="spc",
    cirr=None,
    field_path="debt.facilities.0",
) -> list[Finding]:
    """Run the rules that apply to one facility of kind ``"edcf"`` or ``"edpf"`` (others: no rules here).

    ``tied`` defaults to the instrument's preset (EDCF tied, EDPF untied); ``borrower`` ``"sovereign"``
    selects the sovereign EDPF window. ``annual_rate`` None (rate not yet known) skips the grant-element
    tests.
    A ``repayment`` other than equal/annuity (e.g. sculpted) skips the closed-form tests: use
    :func:`finmodel.inputs.grant_element.grant_element_cash_flows` on the modelled schedule instead.
    """
    out: list[Finding] = []
    closed_form_ok = annual_rate is not None and repayment in ("equal", "annuity")
    terms = dict(
        annual_rate=annual_rate,
        maturity_years=maturity_years,
        grace_years=grace_years,
        repayment=repayment,
        periods_per_year=periods_per_year,
    )
    if kind == "edcf":
        tied = True if tied is None else tied
        out += edcf_income(country)
        out += edcf_aid_project(country, commercially_viable)
        if closed_form_ok:
            out += dac_oda_ge(country, severity="error", field_path=field_path, **terms)
    elif kind == "edpf":
        tied = False if tied is None else tied
        window = "sovereign" if borrower == "sovereign" else "non_sovereign"
        out += edpf_income(country)
        if share_of_project_cost is not None:
            out += edpf_share_85(share_of_project_cost, window=window, field_path=f"{field_path}.share_of_project_cost")
        if maturity_years is not None:
            out += edpf_tenor_20(maturity_years, window=window, field_path=f"{field_path}.maturity_years")
        if grace_years is not None:
            out += edpf_grace_5(grace_years, window=window, field_path=f"{field_path}.grace_years")
    else:
        return out
    if tied:
        concessionality = None
        if closed_form_ok and cirr is not None:
            concessionality = grant_element_closed_form(
                annual_rate,
                maturity_years,
                grace_years,
                differentiated_discount_rate(cirr),
                repayment=repayment,
                periods_per_year=periods_per_year,
            )
        out += helsinki_lmic_ceiling(country, tied=True, concessionality=concessionality)
        out += helsinki_commercial_viability(country, tied=True, commercially_viable=commercially_viable)
        if closed_form_ok:
            out += helsinki_min_concessionality_rule(country, tied=True, cirr=cirr, field_path=field_path, **terms)
    return out


def errors_to_input_error(findings, source: str | None = None) -> None:
    """Raise ``InputError`` listing every ``"error"`` finding (field path, message); do nothing otherwise."""
    problems = [(f.field_path, f.message) for f in findings if f.severity == "error"]
    if problems:
        raise InputError(problems, source=source)
