"""The Blending sheet: grant element of every modelled facility and of the package, cost of debt, and the
concessional / public / private mix of the financing, as live rows (one definition, numpy and Excel). The rules
and formulas it applies are inputs: :mod:`finmodel.inputs.grant_element` (DAC/IMF grant element),
:mod:`finmodel.inputs.eligibility` (named rules), :mod:`finmodel.inputs.instruments` (instrument presets),
:mod:`finmodel.inputs.findings` (a scenario's discount rate and warnings).

Definitions (also the row labels of the workbook)
-------------------------------------------------
Time and discounting
    Cash flows fall at period ends, ``t = period / periods_per_year`` years after financial close; they are
    discounted at the grant-element rate ``I = in_ge_discount_rate`` with annual compounding,
    ``v_t = 1 / (1 + I) ** t`` (the DAC's per-period rate ``D = (1 + I) ** (1/A) - 1``). Present values are
    at financial close; a grant element is a ratio, so it does not depend on that date.
Grant element of a facility (``d{k}_grant_element``)
    ``GE = 1 - PV(debt service) / PV(disbursements)`` on the facility's *modelled* cash flows:
    disbursements = its drawdowns ``d{k}_draw``, *gross*, i.e. including the part of each drawdown that
    pays the interest during construction; debt service = interest during construction
    (``construction_flag * d{k}_interest``: accrued on the drawn balance and paid out of drawdowns, i.e.
    capitalised through drawdowns) + ``d{k}_interest_paid`` + ``d{k}_principal_paid`` (+ the cash sweep's
    prepayments). This is the DAC cash-flow definition applied to every cash flow between lender and
    borrower; it gives 0 for a loan whose rate equals the discount rate, whatever its drawdown profile
    (tested). Netting the construction interest out of the disbursements instead would give a different
    ratio for the same cash flows (the numerator and denominator both lose the same PV); with one
    drawdown and no construction interest both definitions coincide with the DAC closed form (tested to
    1e-10). **Fees are excluded** (the DAC and IMF measure the terms: rate, maturity, grace); the all-in
    grant element ``d{k}_grant_element_all_in`` counts upfront and commitment fees as debt service.
Package grant element (``package_grant_element``)
    PV-based: ``1 - sum PV(debt service) / (sum PV(loan disbursements) + PV(capital grants))`` over every
    facility and every capital grant (a grant has a grant element of 100 %), i.e. the average of the
    facilities' grant elements weighted by the PV of their disbursements (the IMF's "package" view).
    Loans priced above the discount rate have negative grant elements and lower it.
Subsidy equivalent (``subsidy_equivalent``)
    ``sum GE_i * PV(disbursements_i)`` over facilities and grants = PV(disbursements) - PV(debt service),
    in currency at financial close: the concessionality of the package in money.
Cost of debt
    ``wacd``: commitment-weighted all-in interest rate at financial close (base + margin, or the fixed
    rate), fees excluded. ``all_in_cost_of_debt``: the **yield** of the borrower's dated flows with its
    lenders and their guarantors, annualised: the IRR of the debt cost cash flow, per period
    ``-drawdowns + interest during construction (paid from drawdowns) + interest paid + principal paid
    (+ sweep) + upfront and commitment fees + the premiums for the facility's cover (upfront and running)``,
    ``(1 + IRR) ** periods_per_year - 1`` (also per facility: ``d{k}_all_in_cost``). An upfront premium paid
    at close weighs as money at close, not spread over the debt-years. A facility that draws nothing, or
    whose flows have no yield (never repaid, nothing paid back), has a blank (not applicable). The workbook
    cell is ``IRR`` of that row with a starting guess (the IRR of one outflow and one inflow at the
    cash-weighted mean periods), so a 40-year concessional tranche converges in a spreadsheet too.
    ``average_charge_rate_of_debt`` (and ``d{k}_average_charge_rate``) keeps the simple average that used to
    be called the all-in cost: every charge (interest accrued, fees, premiums) per currency-year of debt
    outstanding, ``sum charges / (sum opening balances / periods_per_year)``; it gives an upfront charge no
    time value, so it understates expensive debt (Iraq Bismaya: 7.22 % against a yield of 8.42 %).
Finance mix (nominal amounts: debt drawn, capital grants, sponsor funding; total = ``sources``)
    ``concessional_share`` = concessional finance / total finance; concessional finance = drawdowns of the
    facilities flagged concessional (EDCF, EDPF by default) + capital grants flagged concessional (KOICA,
    MDB). ``mobilisation_ratio`` = commercial finance / concessional finance, commercial finance =
    drawdowns of non-concessional facilities + sponsor funding (blank without concessional finance).
    ``private_per_public`` = private / public finance; public = drawdowns of facilities flagged public
    (EDCF, EDPF, ECA, MDB, DFI) + grants flagged public + sponsor funding x each sponsor's public share
    (public sponsors 100 %, the PIS fund 40 %). The flags are inputs (Inputs sheet, group Blending) from
    the ``finance_classification`` preset of ``finmodel/data/instruments.yaml``.

Premiums for debt cover
-----------------------
A module that adds premiums for the cover of a facility (ECA insurance, a partial risk guarantee: upfront and
running, whoever pays them) declares them to the builder as ``debt_premiums`` lines of that facility
(``finmodel.rows.totals``); each is a row of the Cost of debt section and a flow of the facility's debt cost cash
flow, so it counts in the facility's ``d{k}_all_in_cost`` and in the package's ``all_in_cost_of_debt`` (and in
their average charge rates).

Checks sheet
------------
Warnings, not part of the master check: each warning of :func:`finmodel.inputs.findings.warnings_for` (a
0 cell labelled with the finding), and, live, for each concessional facility whether its grant element
reaches the minimum of the method's test (``in_ge_threshold``: DAC ODA test for ``dac2018``, Helsinki
for ``ddr``, IMF 35 % for ``imf``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from finmodel.errors import FinmodelError
from finmodel.inputs.findings import ge_discount_rate, warnings_for
from finmodel.inputs.instruments import preset
from finmodel.model.loan_currency import commitment
from finmodel.model.returns import annual_irr
from finmodel.model.timeline import R
from finmodel.rows import Blank, Const, Expr, If, Index, Ref, Sum, Total

if TYPE_CHECKING:
    from finmodel.model.context import Builder, FacilitySpec

__all__ = ["SHEET", "build", "metric_names"]

SHEET = "Blending"
OUT = "Outputs"
CHECKS = "Checks"
GROUP = "Blending"
WARNINGS = "Warnings (not in the master check)"


def metric_names(b: Builder) -> list[str]:
    """Names of the metrics :func:`build` adds to the Outputs sheet for builder ``b``."""
    names = ["grant_element_discount_rate", "package_grant_element", "subsidy_equivalent"]
    names += [f.n("grant_element") for f in b.facilities]
    if b.facilities:
        names += ["wacd"] + [f.n("all_in_cost") for f in b.facilities] + ["all_in_cost_of_debt"]
        names += [f.n("average_charge_rate") for f in b.facilities] + ["average_charge_rate_of_debt"]
    return names + ["concessional_share", "mobilisation_ratio", "private_per_public"]


@dataclasses.dataclass
class _Mix:
    """What the facilities and grants contribute to the package and the finance mix: PVs of disbursements and
    debt service [currency at close], concessional / public / commercial amounts [currency], grant revenues."""

    pv_disb: list = dataclasses.field(default_factory=list)
    pv_ds: list = dataclasses.field(default_factory=list)
    concessional: list = dataclasses.field(default_factory=list)
    public: list = dataclasses.field(default_factory=list)
    commercial: list = dataclasses.field(default_factory=list)
    grants: list = dataclasses.field(default_factory=list)


def build(b: Builder) -> None:
    """Add the Blending inputs, rows, Outputs metrics and Checks warnings to builder ``b``."""
    d, _ = ge_discount_rate(b.scenario)
    rate, threshold = _discount_inputs(b, d)
    df = _add(
        b,
        "ge_df",
        1 / (1 + rate) ** (R("period") / b.model.ref("in_periods_per_year")),
        "Discount factor 1 / (1 + I)^t at the grant-element rate I (annual compounding)",
        unit="factor",
        fmt="factor",
        section="Discounting: flows at period ends, t = period / periods per year (years from financial close)",
    )
    mix = _Mix()
    for f in b.facilities:
        _facility(b, f, df, mix, threshold, d.test)
    pv_grants = _grants(b, df, mix)
    _package(b, rate, d, mix, pv_grants)
    if b.facilities:
        _cost_of_debt(b)
    else:  # an all-equity deal: no cost of debt, and no premium may be declared for a facility that is not there
        _premiums_by_facility(b)
    _finance_mix(b, mix)
    _warnings(b)


def _add(b: Builder, name, expr, label, *, unit=None, total=False, fmt="money", section) -> Ref:
    """A Blending-sheet row (default: [currency], no total)."""
    unit = b.cur if unit is None else unit
    return b.model.add(name, expr, SHEET, label, unit=unit, total=total, fmt=fmt, section=section)


def _out(b: Builder, name, expr, label, *, unit="fraction", fmt="pct") -> Ref:
    """An Outputs-sheet metric of the Blended finance section (default: [fraction])."""
    return b.model.add(name, expr, OUT, label, unit=unit, fmt=fmt, section="Blended finance")


def _ratio_ge(pv_ds, pv_disb) -> Expr:
    """Grant element ``1 - PV(debt service) / PV(disbursements)`` [fraction]; blank without disbursements."""
    return If(pv_disb > 0, 1 - pv_ds / pv_disb, Blank())


def _flag_input(b: Builder, name, value: bool, label, source) -> Ref:
    """A 1/0 classification input of the Blending group [flag]."""
    return b.model.add_input(name, 1.0 if value else 0.0, label, unit="flag", group=GROUP, fmt="flag", source=source)


def _discount_inputs(b: Builder, d) -> tuple[Ref, Ref | None]:
    """Inputs: the grant-element discount rate [per year] and, where the method has a test, the minimum grant
    element [fraction] (None otherwise)."""
    m = b.model
    rate = m.add_input(
        "in_ge_discount_rate",
        d.rate,
        f"Grant-element discount rate ({d.method}: {d.basis})",
        unit="per year",
        group=GROUP,
        fmt="pct",
        source=d.source,
    )
    if d.threshold is None:
        return rate, None
    threshold = m.add_input(
        "in_ge_threshold",
        d.threshold,
        f"Minimum grant element: {d.test}",
        unit="fraction",
        group=GROUP,
        fmt="pct",
        source=d.source,
    )
    return rate, threshold


def _facility(b: Builder, f: FacilitySpec, df: Ref, mix: _Mix, threshold: Ref | None, test: str) -> None:
    """One facility: concessional and public flags [flag]; debt service, fees and their PVs [currency per period,
    totals]; PVs of disbursements, debt service, fees [currency at close]; all-in grant element and grant element
    (an output) [fraction]; the live warning that a concessional facility reaches the minimum [1 = OK]."""
    fac, p = f.facility, f.p
    cls = preset("finance_classification")
    sec = f"{fac.name}: grant element = 1 - PV(debt service) / PV(drawdowns)"
    conc = _flag_input(
        b,
        f"in_{p}_concessional",
        fac.kind in cls["concessional_facility_kinds"],
        f"{fac.name} ({fac.kind}): concessional finance (1/0)",
        cls.param("concessional_facility_kinds").source,
    )
    pub = _flag_input(
        b,
        f"in_{p}_public",
        fac.kind in cls["public_facility_kinds"],
        f"{fac.name} ({fac.kind}): public (official) finance (1/0)",
        cls.param("public_facility_kinds").source,
    )
    pv_disb, pv_ds = _facility_pv(b, f, df, sec)
    ge = _out(
        b,
        f.n("grant_element"),
        _ratio_ge(pv_ds, pv_disb),
        f"{fac.name}: grant element = 1 - PV(debt service) / PV(drawdowns), fees excluded",
    )
    mix.pv_disb.append(pv_disb)
    mix.pv_ds.append(pv_ds)
    drawn = Total(f.n("draw"))
    mix.concessional.append(conc * drawn)
    mix.public.append(pub * drawn)
    mix.commercial.append((1 - conc) * drawn)
    if threshold is not None and fac.kind in cls["concessional_facility_kinds"]:
        b.model.add(
            f"warn_{p}_grant_element",
            If(pv_disb > 0, ge >= threshold, 1),
            CHECKS,
            f"WARNING check (not in the master check): {fac.name}: grant element >= minimum of the {test}",
            unit="1 = OK",
            fmt="check",
            section=WARNINGS,
        )


def _facility_pv(b: Builder, f: FacilitySpec, df: Ref, sec: str) -> tuple[Ref, Ref]:
    """A facility's debt service and fees [currency per period], their PVs per period, PVs of disbursements, debt
    service and fees [currency at close], the all-in grant element [fraction]. Returns (PV of disbursements, PV of
    debt service)."""
    name = f.facility.name
    swept = f in b.sweep_facilities
    sweep = R(f.n("sweep")) if swept else 0
    # a loan in another currency: its terms, not the FX path, make its grant element: flows at the rate of close
    at_close, note = 1, ""
    if f.currency:
        at_close = _add(b, f.n("ge_at_close"), Index(f.n("fx"), 1) / R(f.n("fx")), f"{name}: {f.currency} flows at "
                        "the rate of financial close (value at close / value in the period)", unit="factor",
                        total=False, section=sec, fmt="factor")  # fmt: skip
        note = f", in {f.currency} at the rate of close"
    ds = _add(
        b,
        f.n("ge_debt_service"),
        (R("construction_flag") * R(f.n("interest")) + R(f.n("interest_paid")) + R(f.n("principal_paid")) + sweep)
        * at_close,
        f"{name}: debt service = interest during construction (paid from drawdowns) + interest paid"
        " + principal paid" + (" + sweep" if swept else "") + note,
        total=True,
        section=sec,
    )
    fees = _add(
        b,
        f.n("ge_fees"),
        (R(f.n("upfront_fee_paid")) + R(f.n("commitment_fee_paid"))) * at_close,
        f"{name}: fees paid (upfront + commitment)" + note,
        total=True,
        section=sec,
    )
    _add(
        b,
        f.n("ge_draw_pv"),
        R(f.n("draw")) * at_close * df,
        f"{name}: PV of drawdowns (gross, incl. IDC)",
        total=True,
        section=sec,
    )
    _add(b, f.n("ge_debt_service_pv"), ds * df, f"{name}: PV of debt service", total=True, section=sec)
    _add(b, f.n("ge_fees_pv"), fees * df, f"{name}: PV of fees", total=True, section=sec)
    pv_disb = _add(b, f.n("pv_disbursed"), Total(f.n("ge_draw_pv")), f"{name}: PV of disbursements", section=sec)
    pv_ds = _add(
        b, f.n("pv_debt_service"), Total(f.n("ge_debt_service_pv")), f"{name}: PV of debt service", section=sec
    )
    pv_fees = _add(b, f.n("pv_fees"), Total(f.n("ge_fees_pv")), f"{name}: PV of fees", section=sec)
    _add(
        b,
        f.n("grant_element_all_in"),
        _ratio_ge(pv_ds + pv_fees, pv_disb),
        f"{name}: all-in grant element = 1 - PV(debt service + fees) / PV(disbursements)",
        unit="fraction",
        fmt="pct",
        section=sec,
    )
    return pv_disb, pv_ds


def _grants(b: Builder, df: Ref, mix: _Mix):
    """Capital grants: concessional and public flags [flag] of each; the PV of the grants per period and in total
    [currency] (grant element 100 %). Returns the PV of the grants (0 without grants)."""
    cls = preset("finance_classification")
    for i, rv in enumerate(b.scenario.revenues, start=1):
        if rv.kind != "capital_grant":
            continue
        gc = _flag_input(
            b,
            f"in_grant{i}_concessional",
            rv.provider in cls["concessional_grant_providers"],
            f"{rv.name} ({rv.provider}): concessional finance (1/0)",
            cls.param("concessional_grant_providers").source,
        )
        gp = _flag_input(
            b,
            f"in_grant{i}_public",
            rv.provider in cls["public_grant_providers"],
            f"{rv.name} ({rv.provider}): public finance (1/0)",
            cls.param("public_grant_providers").source,
        )
        paid = Total(f"grant{i}")
        mix.concessional.append(gc * paid)
        mix.public.append(gp * paid)
        mix.grants.append(i)
    if not mix.grants:
        return 0
    sg = "Capital grants: grant element 100 %"
    _add(b, "ge_grants_pv", R("grants") * df, "PV of capital grants", total=True, section=sg)
    return _add(b, "pv_grants", Total("ge_grants_pv"), "PV of capital grants (grant element 100 %)", section=sg)


def _package(b: Builder, rate: Ref, d, mix: _Mix, pv_grants) -> None:
    """The package: PVs of disbursements and debt service [currency at close]; outputs: the discount rate [per
    year], the package grant element [fraction], the subsidy equivalent [currency at close]."""
    sp = "Package: every facility and capital grant"
    pkg_disb = _add(
        b,
        "package_pv_disbursed",
        Sum(mix.pv_disb) + pv_grants if (mix.pv_disb or mix.grants) else 0,
        "PV of disbursements: loan drawdowns + capital grants",
        section=sp,
    )
    pkg_ds = _add(
        b,
        "package_pv_debt_service",
        Sum(mix.pv_ds) if mix.pv_ds else 0,
        "PV of debt service of every facility (fees excluded)",
        section=sp,
    )
    _out(
        b, "grant_element_discount_rate", rate, f"Grant-element discount rate ({d.method}: {d.basis})", unit="per year"
    )
    _out(
        b,
        "package_grant_element",
        _ratio_ge(pkg_ds, pkg_disb),
        "Package grant element = 1 - sum PV(debt service) / sum PV(drawdowns + grants) (PV-weighted)",
    )
    _out(
        b,
        "subsidy_equivalent",
        pkg_disb - pkg_ds,
        "Subsidy equivalent = sum GE x PV(disbursements) = PV(disbursements) - PV(debt service), at close",
        unit=b.cur,
        fmt="money",
    )


def _cost_of_debt(b: Builder) -> None:
    """Cost of debt: debt committed [currency]; the WACD [per year]; each facility's charges, debt-years and debt
    cost cash flow (:func:`_facility_cost`); all facilities' charges [currency], debt-years [currency x years],
    debt cost cash flow [currency per period]; the all-in cost of debt (a yield) and the average charge rate [per
    year]."""
    m, sd = b.model, "Cost of debt"
    amounts = [commitment(b, f) for f in b.facilities]
    weighted = Sum([a * m.ref(f.n("close_rate")) for a, f in zip(amounts, b.facilities, strict=True)])
    committed = _add(b, "debt_committed", Sum(amounts), "Debt committed (all facilities)", section=sd)
    _out(
        b,
        "wacd",
        If(committed > 0, weighted / committed, Blank()),
        "Weighted average cost of debt = sum(commitment x all-in rate at close) / sum(commitment), fees excluded",
        unit="per year",
    )
    premiums = _premiums_by_facility(b)
    charges, years = [], []
    for f in b.facilities:
        charges.append(Total(f.n("debt_charges")))
        years.append(_facility_cost(b, f, premiums.get(f.p, [])))
    _add(
        b,
        "debt_charges_total",
        Sum(charges),
        "Debt charges = interest accrued + fees + premiums (all facilities)",
        section=sd,
    )
    debt_years = _add(
        b, "debt_years", Sum(years), "Debt-years outstanding (all facilities)", unit=f"{b.cur} x years", section=sd
    )
    _out(
        b,
        "average_charge_rate_of_debt",
        If(debt_years > 0, R("debt_charges_total") / debt_years, Blank()),
        "Average charge rate of debt = (interest + fees + cover premiums) / debt-years outstanding (no time value)",
        unit="per year",
    )
    _yield(b, "debt", "All facilities", [f.n("cost_") for f in b.facilities], "all_in_cost_of_debt")


def _yield(b: Builder, prefix: str, who: str, parts: list[str], metric: str) -> None:
    """The debt cost cash flow of ``who`` from the rows ``{part}out`` (drawdowns) and ``{part}in`` (what the
    borrower pays back) [currency per period]: ``{prefix}_cost_out``, ``{prefix}_cost_in`` (the package's sums; a
    facility's own rows when ``parts`` is its prefix alone), the cash flow ``{prefix}_cost_cf`` = in - out, and the
    output ``metric``: its annualised IRR [per year], blank without drawdowns or repayments."""
    m, sd = b.model, "Cost of debt: the borrower's flows with lenders and guarantors (yield)"
    if parts != [f"{prefix}_cost_"]:
        _add(
            b,
            f"{prefix}_cost_out",
            Sum([R(f"{p}out") for p in parts]),
            f"{who}: drawdowns",
            total=True,
            section=sd,
        )
        _add(
            b,
            f"{prefix}_cost_in",
            Sum([R(f"{p}in") for p in parts]),
            f"{who}: interest, principal, fees and cover premiums paid",
            total=True,
            section=sd,
        )
    _add(
        b,
        f"{prefix}_cost_cf",
        R(f"{prefix}_cost_in") - R(f"{prefix}_cost_out"),
        f"{who}: debt cost cash flow = paid - drawn (lenders' and guarantors' side)",
        total=True,
        section=sd,
    )
    _out(
        b,
        metric,
        annual_irr(
            m, f"{prefix}_cost_cf", f"{prefix}_cost_out", f"{prefix}_cost_in", SHEET, m.ref("in_periods_per_year")
        ),
        ("All-in cost of debt" if prefix == "debt" else f"{who}: all-in cost of debt")
        + " (yield) = annualised IRR of drawdowns against interest, principal, fees and cover premiums",
        unit="per year",
    )


def _premiums_by_facility(b: Builder) -> dict:
    """The declared ``debt_premiums`` lines by facility prefix; a line for an unknown facility is an error."""
    by_fac: dict = {}
    for c in b.lines("debt_premiums"):
        by_fac.setdefault(c.facility, []).append(c)
    unknown = sorted(set(by_fac) - {f.p for f in b.facilities})
    if unknown:
        raise FinmodelError(f"debt premiums declared for unknown facilities {unknown}")
    return by_fac


def _facility_cost(b: Builder, f: FacilitySpec, premiums) -> Ref:
    """A facility's premium lines and debt charges [currency per period], debt-years [currency x years], average
    charge rate (an output) [per year], debt cost cash flow [currency per period] and all-in cost (an output: its
    yield) [per year]. Returns the debt-years."""
    name, sd = f.facility.name, "Cost of debt"
    lines = [_add(b, c.name, c.expr, c.label, total=True, section=sd) for c in premiums]
    # the borrower's cost is in the model currency: a loan in another currency's flows at each period's rate
    undo = 1 / R(f.n("ge_at_close")) if f.currency else 1
    fees = R(f.n("ge_fees")) * undo
    _add(
        b,
        f.n("debt_charges"),
        Sum([R(f.n("interest")), fees] + lines),
        f"{name}: debt charges = interest accrued + fees" + (" + premiums for its cover" if lines else ""),
        total=True,
        section=sd,
    )
    dy = _add(
        b,
        f.n("debt_years"),
        Total(f.n("opening")) / b.model.ref("in_periods_per_year"),
        f"{name}: debt-years outstanding = sum of opening balances / periods per year",
        unit=f"{b.cur} x years",
        section=sd,
    )
    _out(
        b,
        f.n("average_charge_rate"),
        If(dy > 0, Total(f.n("debt_charges")) / dy, Blank()),
        f"{name}: average charge rate = (interest + fees + cover premiums) / debt-years (no time value)",
        unit="per year",
    )
    sy = "Cost of debt: the borrower's flows with lenders and guarantors (yield)"
    _add(b, f.n("cost_out"), R(f.n("draw")), f"{name}: drawdowns (gross, incl. IDC)", total=True, section=sy)
    _add(
        b,
        f.n("cost_in"),
        Sum([R(f.n("ge_debt_service")) * undo, fees] + lines),
        f"{name}: paid = debt service + fees" + (" + premiums for its cover" if lines else ""),
        total=True,
        section=sy,
    )
    _yield(b, f.p, name, [f.n("cost_")], f.n("all_in_cost"))
    return dy


def _sponsor_public(b: Builder) -> Expr:
    """Inputs: each sponsor's public share of its funding [fraction]; returns sum(share x public share)."""
    cls = preset("finance_classification")
    return Sum(
        [
            b.model.ref(f"in_sponsor{k}_share")
            * b.model.add_input(
                f"in_sponsor{k}_public_share",
                cls[f"sponsor_public_share_{sp.kind}"],
                f"{sp.name} ({sp.kind}): public share of its funding",
                unit="fraction",
                group=GROUP,
                fmt="pct",
                source=cls.param(f"sponsor_public_share_{sp.kind}").source,
            )
            for k, sp in enumerate(b.scenario.sponsors, start=1)
        ]
    )


def _finance_mix(b: Builder, mix: _Mix) -> None:
    """The finance mix (nominal): total, concessional, public, commercial, private finance [currency]; outputs:
    concessional share [fraction], mobilisation ratio and private per public finance [x]."""
    sm = "Finance mix (nominal): total = debt drawn + sponsor funding + capital grants"
    equity = Total("equity_funding")
    sponsor_public = _sponsor_public(b)
    total = _add(b, "total_finance", Total("sources"), "Total finance", section=sm)
    conc = _add(
        b,
        "concessional_finance",
        Sum(mix.concessional) if mix.concessional else 0,
        "Concessional finance = drawdowns of concessional facilities + concessional grants",
        section=sm,
    )
    public = _add(
        b,
        "public_finance",
        Sum(mix.public) + equity * sponsor_public if mix.public else equity * sponsor_public,
        "Public finance = official facilities + public grants + sponsor funding x public share",
        section=sm,
    )
    commercial = _add(
        b,
        "commercial_finance",
        Sum(mix.commercial) + equity if mix.commercial else equity,
        "Commercial finance = drawdowns of non-concessional facilities + sponsor funding",
        section=sm,
    )
    private = _add(b, "private_finance", total - public, "Private finance = total - public", section=sm)
    _out(
        b,
        "concessional_share",
        If(total > 0, conc / total, Blank()),
        "Concessional share = concessional finance / total finance",
    )
    _out(
        b,
        "mobilisation_ratio",
        If(conc > 0, commercial / conc, Blank()),
        "Mobilisation ratio = commercial finance / concessional finance (blank without concessional finance)",
        unit="x",
        fmt="x",
    )
    _out(
        b,
        "private_per_public",
        If(public > 0, private / public, Blank()),
        "Private per public finance = private finance / public finance",
        unit="x",
        fmt="x",
    )


def _warnings(b: Builder) -> None:
    """Static warnings on the Checks sheet, one per finding of :func:`warnings_for` [0 = raised]."""
    for j, w in enumerate(warnings_for(b.scenario), start=1):
        b.model.add(
            f"warning{j}",
            Const(0.0),
            CHECKS,
            f"WARNING {w.rule} (policy exception, not in the master check; 0 = raised): {w.field_path}: {w.message}",
            unit="0 = raised",
            fmt="check",
            section=WARNINGS,
        )
