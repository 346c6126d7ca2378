"""The Blending sheet: grant element of every modelled facility and of the package, cost of debt, and the
concessional / public / private mix of the financing, as live rows (one definition, numpy and Excel).

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
    rate), fees excluded. ``all_in_cost_of_debt``: every charge of the modelled schedule (interest
    accrued, upfront and commitment fees and the premiums for the facility's cover, upfront and running)
    per currency-year of debt outstanding (also per facility: ``d{k}_all_in_cost``),
    ``sum charges / (sum opening balances / periods_per_year)``: a balance-weighted annual rate that follows
    floating base rates over time. (Not an IRR of the debt cash flow: with a 40-year concessional tranche
    its IRR does not converge in LibreOffice from the default guess, and the workbook must recalculate to
    the engine's values.)
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
(``finmodel.totals``); each is a row of the Cost of debt section and counts in the facility's
``d{k}_all_in_cost`` and in the package's ``all_in_cost_of_debt``.

Checks sheet
------------
Warnings, not part of the master check: each warning of :func:`finmodel.blending.findings.warnings_for` (a
0 cell labelled with the finding), and, live, for each concessional facility whether its grant element
reaches the minimum of the method's test (``in_ge_threshold``: DAC ODA test for ``dac2018``, Helsinki
for ``ddr``, IMF 35 % for ``imf``).
"""

from __future__ import annotations

from finmodel.blending.findings import ge_discount_rate, warnings_for
from finmodel.blending.terms import preset
from finmodel.errors import FinmodelError
from finmodel.rows import Blank, Const, If, Sum, Total
from finmodel.timeline import R

__all__ = ["SHEET", "build", "metric_names"]

SHEET = "Blending"
OUT = "Outputs"
CHECKS = "Checks"
GROUP = "Blending"
WARNINGS = "Warnings (not in the master check)"


def metric_names(b) -> list[str]:
    """Names of the metrics :func:`build` adds to the Outputs sheet for builder ``b``."""
    names = ["grant_element_discount_rate", "package_grant_element", "subsidy_equivalent"]
    names += [f.n("grant_element") for f in b.facilities]
    if b.facilities:
        names += ["wacd"] + [f.n("all_in_cost") for f in b.facilities] + ["all_in_cost_of_debt"]
    return names + ["concessional_share", "mobilisation_ratio", "private_per_public"]


def build(b) -> None:
    """Add the Blending inputs, rows, Outputs metrics and Checks warnings to builder ``b``."""
    m, sc = b.model, b.scenario
    P = m.ref("in_periods_per_year")
    cls = preset("finance_classification")
    d, _ = ge_discount_rate(sc)

    rate = m.add_input(
        "in_ge_discount_rate",
        d.rate,
        f"Grant-element discount rate ({d.method}: {d.basis})",
        unit="per year",
        group=GROUP,
        fmt="pct",
        source=d.source,
    )
    threshold = None
    if d.threshold is not None:
        threshold = m.add_input(
            "in_ge_threshold",
            d.threshold,
            f"Minimum grant element: {d.test}",
            unit="fraction",
            group=GROUP,
            fmt="pct",
            source=d.source,
        )

    def add(name, expr, label, *, unit=b.cur, total=False, fmt="money", section, sheet=SHEET):
        return m.add(name, expr, sheet, label, unit=unit, total=total, fmt=fmt, section=section)

    def out(name, expr, label, *, unit="fraction", fmt="pct"):
        return m.add(name, expr, OUT, label, unit=unit, fmt=fmt, section="Blended finance")

    def ratio_ge(pv_ds, pv_disb):
        return If(pv_disb > 0, 1 - pv_ds / pv_disb, Blank())

    # --- discounting -------------------------------------------------------------------------------
    s = "Discounting: flows at period ends, t = period / periods per year (years from financial close)"
    df = add(
        "ge_df",
        1 / (1 + rate) ** (R("period") / P),
        "Discount factor 1 / (1 + I)^t at the grant-element rate I (annual compounding)",
        unit="factor",
        fmt="factor",
        section=s,
    )

    # --- facilities --------------------------------------------------------------------------------
    pv_disb_all, pv_ds_all = [], []
    conc_amounts, public_amounts, commercial_amounts = [], [], []
    for f in b.facilities:
        fac, p = f.facility, f.p
        sec = f"{fac.name}: grant element = 1 - PV(debt service) / PV(drawdowns)"
        conc = m.add_input(
            f"in_{p}_concessional",
            1.0 if fac.kind in cls["concessional_facility_kinds"] else 0.0,
            f"{fac.name} ({fac.kind}): concessional finance (1/0)",
            unit="flag",
            group=GROUP,
            fmt="flag",
            source=cls.param("concessional_facility_kinds").source,
        )
        pub = m.add_input(
            f"in_{p}_public",
            1.0 if fac.kind in cls["public_facility_kinds"] else 0.0,
            f"{fac.name} ({fac.kind}): public (official) finance (1/0)",
            unit="flag",
            group=GROUP,
            fmt="flag",
            source=cls.param("public_facility_kinds").source,
        )
        sweep = R(f.n("sweep")) if f in b.sweep_facilities else 0
        ds = add(
            f.n("ge_debt_service"),
            R("construction_flag") * R(f.n("interest")) + R(f.n("interest_paid")) + R(f.n("principal_paid")) + sweep,
            f"{fac.name}: debt service = interest during construction (paid from drawdowns) + interest paid"
            " + principal paid" + (" + sweep" if f in b.sweep_facilities else ""),
            total=True,
            section=sec,
        )
        fees = add(
            f.n("ge_fees"),
            R(f.n("upfront_fee_paid")) + R(f.n("commitment_fee_paid")),
            f"{fac.name}: fees paid (upfront + commitment)",
            total=True,
            section=sec,
        )
        add(
            f.n("ge_draw_pv"),
            R(f.n("draw")) * df,
            f"{fac.name}: PV of drawdowns (gross, incl. IDC)",
            total=True,
            section=sec,
        )
        add(f.n("ge_debt_service_pv"), ds * df, f"{fac.name}: PV of debt service", total=True, section=sec)
        add(f.n("ge_fees_pv"), fees * df, f"{fac.name}: PV of fees", total=True, section=sec)
        pv_disb = add(f.n("pv_disbursed"), Total(f.n("ge_draw_pv")), f"{fac.name}: PV of disbursements", section=sec)
        pv_ds = add(
            f.n("pv_debt_service"), Total(f.n("ge_debt_service_pv")), f"{fac.name}: PV of debt service", section=sec
        )
        pv_fees = add(f.n("pv_fees"), Total(f.n("ge_fees_pv")), f"{fac.name}: PV of fees", section=sec)
        add(
            f.n("grant_element_all_in"),
            ratio_ge(pv_ds + pv_fees, pv_disb),
            f"{fac.name}: all-in grant element = 1 - PV(debt service + fees) / PV(disbursements)",
            unit="fraction",
            fmt="pct",
            section=sec,
        )
        ge = out(
            f.n("grant_element"),
            ratio_ge(pv_ds, pv_disb),
            f"{fac.name}: grant element = 1 - PV(debt service) / PV(drawdowns), fees excluded",
        )
        pv_disb_all.append(pv_disb)
        pv_ds_all.append(pv_ds)
        drawn = Total(f.n("draw"))
        conc_amounts.append(conc * drawn)
        public_amounts.append(pub * drawn)
        commercial_amounts.append((1 - conc) * drawn)
        if threshold is not None and fac.kind in cls["concessional_facility_kinds"]:
            m.add(
                f"warn_{p}_grant_element",
                If(pv_disb > 0, ge >= threshold, 1),
                CHECKS,
                f"WARNING check (not in the master check): {fac.name}: grant element >= minimum of the {d.test}",
                unit="1 = OK",
                fmt="check",
                section=WARNINGS,
            )

    # --- capital grants ----------------------------------------------------------------------------
    sg = "Capital grants: grant element 100 %"
    grant_rows = []
    for i, rv in enumerate(sc.revenues, start=1):
        if rv.kind != "capital_grant":
            continue
        gc = m.add_input(
            f"in_grant{i}_concessional",
            1.0 if rv.provider in cls["concessional_grant_providers"] else 0.0,
            f"{rv.name} ({rv.provider}): concessional finance (1/0)",
            unit="flag",
            group=GROUP,
            fmt="flag",
            source=cls.param("concessional_grant_providers").source,
        )
        gp = m.add_input(
            f"in_grant{i}_public",
            1.0 if rv.provider in cls["public_grant_providers"] else 0.0,
            f"{rv.name} ({rv.provider}): public finance (1/0)",
            unit="flag",
            group=GROUP,
            fmt="flag",
            source=cls.param("public_grant_providers").source,
        )
        paid = Total(f"grant{i}")
        conc_amounts.append(gc * paid)
        public_amounts.append(gp * paid)
        grant_rows.append(i)
    pv_grants = 0
    if grant_rows:
        add("ge_grants_pv", R("grants") * df, "PV of capital grants", total=True, section=sg)
        pv_grants = add("pv_grants", Total("ge_grants_pv"), "PV of capital grants (grant element 100 %)", section=sg)

    # --- package -----------------------------------------------------------------------------------
    sp = "Package: every facility and capital grant"
    pkg_disb = add(
        "package_pv_disbursed",
        Sum(pv_disb_all) + pv_grants if (pv_disb_all or grant_rows) else 0,
        "PV of disbursements: loan drawdowns + capital grants",
        section=sp,
    )
    pkg_ds = add(
        "package_pv_debt_service",
        Sum(pv_ds_all) if pv_ds_all else 0,
        "PV of debt service of every facility (fees excluded)",
        section=sp,
    )
    out("grant_element_discount_rate", rate, f"Grant-element discount rate ({d.method}: {d.basis})", unit="per year")
    out(
        "package_grant_element",
        ratio_ge(pkg_ds, pkg_disb),
        "Package grant element = 1 - sum PV(debt service) / sum PV(drawdowns + grants) (PV-weighted)",
    )
    out(
        "subsidy_equivalent",
        pkg_disb - pkg_ds,
        "Subsidy equivalent = sum GE x PV(disbursements) = PV(disbursements) - PV(debt service), at close",
        unit=b.cur,
        fmt="money",
    )

    # --- cost of debt ------------------------------------------------------------------------------
    sd = "Cost of debt"
    if b.facilities:
        amounts = [m.ref(f.i("amount")) for f in b.facilities]
        weighted = Sum([a * m.ref(f.n("close_rate")) for a, f in zip(amounts, b.facilities, strict=True)])
        committed = add("debt_committed", Sum(amounts), "Debt committed (all facilities)", section=sd)
        out(
            "wacd",
            If(committed > 0, weighted / committed, Blank()),
            "Weighted average cost of debt = sum(commitment x all-in rate at close) / sum(commitment), fees excluded",
            unit="per year",
        )
        by_fac = {}
        for c in b.lines("debt_premiums"):
            by_fac.setdefault(c.facility, []).append(c)
        unknown = sorted(set(by_fac) - {f.p for f in b.facilities})
        if unknown:
            raise FinmodelError(f"debt premiums declared for unknown facilities {unknown}")
        charges, years = [], []
        for f in b.facilities:
            name = f.facility.name
            lines = [add(c.name, c.expr, c.label, total=True, section=sd) for c in by_fac.get(f.p, [])]
            add(
                f.n("debt_charges"),
                Sum([R(f.n("interest")), R(f.n("ge_fees"))] + lines),
                f"{name}: debt charges = interest accrued + fees" + (" + premiums for its cover" if lines else ""),
                total=True,
                section=sd,
            )
            dy = add(
                f.n("debt_years"),
                Total(f.n("opening")) / P,
                f"{name}: debt-years outstanding = sum of opening balances / periods per year",
                unit=f"{b.cur} x years",
                section=sd,
            )
            out(
                f.n("all_in_cost"),
                If(dy > 0, Total(f.n("debt_charges")) / dy, Blank()),
                f"{name}: all-in cost of debt = (interest + fees + cover premiums) / debt-years (balance-weighted)",
                unit="per year",
            )
            charges.append(Total(f.n("debt_charges")))
            years.append(dy)
        add(
            "debt_charges_total",
            Sum(charges),
            "Debt charges = interest accrued + fees + premiums (all facilities)",
            section=sd,
        )
        debt_years = add(
            "debt_years", Sum(years), "Debt-years outstanding (all facilities)", unit=f"{b.cur} x years", section=sd
        )
        out(
            "all_in_cost_of_debt",
            If(debt_years > 0, R("debt_charges_total") / debt_years, Blank()),
            "All-in cost of debt = (interest + fees + cover premiums) / debt-years outstanding (balance-weighted)",
            unit="per year",
        )

    # --- finance mix -------------------------------------------------------------------------------
    sm = "Finance mix (nominal): total = debt drawn + sponsor funding + capital grants"
    equity = Total("equity_funding")
    sponsor_public = Sum(
        [
            m.ref(f"in_sponsor{k}_share")
            * m.add_input(
                f"in_sponsor{k}_public_share",
                cls[f"sponsor_public_share_{sp_.kind}"],
                f"{sp_.name} ({sp_.kind}): public share of its funding",
                unit="fraction",
                group=GROUP,
                fmt="pct",
                source=cls.param(f"sponsor_public_share_{sp_.kind}").source,
            )
            for k, sp_ in enumerate(sc.sponsors, start=1)
        ]
    )
    total = add("total_finance", Total("sources"), "Total finance", section=sm)
    conc = add(
        "concessional_finance",
        Sum(conc_amounts) if conc_amounts else 0,
        "Concessional finance = drawdowns of concessional facilities + concessional grants",
        section=sm,
    )
    public = add(
        "public_finance",
        Sum(public_amounts) + equity * sponsor_public if public_amounts else equity * sponsor_public,
        "Public finance = official facilities + public grants + sponsor funding x public share",
        section=sm,
    )
    commercial = add(
        "commercial_finance",
        Sum(commercial_amounts) + equity if commercial_amounts else equity,
        "Commercial finance = drawdowns of non-concessional facilities + sponsor funding",
        section=sm,
    )
    private = add("private_finance", total - public, "Private finance = total - public", section=sm)
    out(
        "concessional_share",
        If(total > 0, conc / total, Blank()),
        "Concessional share = concessional finance / total finance",
    )
    out(
        "mobilisation_ratio",
        If(conc > 0, commercial / conc, Blank()),
        "Mobilisation ratio = commercial finance / concessional finance (blank without concessional finance)",
        unit="x",
        fmt="x",
    )
    out(
        "private_per_public",
        If(public > 0, private / public, Blank()),
        "Private per public finance = private finance / public finance",
        unit="x",
        fmt="x",
    )

    # --- static warnings on the Checks sheet --------------------------------------------------------
    for j, w in enumerate(warnings_for(sc), start=1):
        m.add(
            f"warning{j}",
            Const(0.0),
            CHECKS,
            f"WARNING {w.rule} (policy exception, not in the master check; 0 = raised): {w.field_path}: {w.message}",
            unit="0 = raised",
            fmt="check",
            section=WARNINGS,
        )
