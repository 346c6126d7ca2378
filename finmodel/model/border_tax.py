"""The Withholding sheet: the host country's withholding tax on interest paid to lenders abroad and on what the
sponsors resident abroad receive (dividends and shareholder-loan interest).

Rules (stated once; the row labels repeat them)
-----------------------------------------------
* **Rates** (inputs, one per facility or sponsor resident abroad): ``finmodel.inputs.withholding.applicable_rate``, the
  domestic rate capped by the treaty with Korea where one is in force, or the scenario's ``withholding_rate``.
* **Interest, no gross-up**: the borrower pays the interest as agreed and remits ``t x interest paid`` of it to the
  tax authority; the lenders receive the rest (``d{k}_wht_lenders``, borne by the lenders; the project's cash is
  unchanged, so the lenders' ledgers, which reconcile what the project pays, are unchanged).
* **Interest with a gross-up clause**: the borrower pays the withholding on top, ``g = t / (1 - t) x interest due``
  in operations, so that the lenders receive the interest in full (``d{k}_gross_up``). It is a cash cost of the
  project before debt service (a CFADS line), a deductible finance cost (a tax-deduction line) and a charge in the
  facility's all-in cost of debt (a ``debt_premiums`` line: the Blending sheet's cost of debt). Computed on the
  interest due, not paid, so that CFADS does not depend on the same period's waterfall; interest during
  construction (paid out of drawdowns) is not grossed up (not modelled).
* **Sponsors**: a sponsor resident abroad receives its share of the dividends net of the dividend rate and of the
  shareholder-loan interest net of the interest rate; its cash flow and returns (Equity sheet) are after
  withholding, as is the equity cash flow of all sponsors. Shareholder-loan principal is not taxed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.inputs import withholding
from finmodel.model.timeline import R
from finmodel.rows import Ref

if TYPE_CHECKING:
    from finmodel.model.context import Builder, FacilitySpec

__all__ = ["SHEET", "build", "sponsor_rates"]

SHEET = "Withholding"


def build(b: Builder) -> None:
    """Every facility's withholding rows; declares the gross-up lines of CFADS, the tax deductions and the cost of
    debt. The sponsors' rates are inputs made by :func:`sponsor_rates` (the Equity sheet applies them)."""
    for f in b.facilities:
        rate = _facility_rate(b, f)
        if rate is not None:
            _interest(b, f, rate)


def _add(b: Builder, name, expr, label, *, section) -> Ref:
    """A Withholding-sheet row [currency per period, with a total]."""
    return b.model.add(name, expr, SHEET, label, unit=b.cur, total=True, fmt="money", section=section)


def _facility_rate(b: Builder, f: FacilitySpec) -> Ref | None:
    """Input: the withholding rate on facility ``f``'s interest [fraction]; None for a lender in the host country."""
    fac, host = f.facility, b.scenario.project.country
    if fac.withholding_rate is None and (fac.lender_residence is None or fac.lender_residence == host):
        return None
    if fac.withholding_rate is not None:
        value, source = fac.withholding_rate, "scenario: debt.facilities[].withholding_rate"
    else:
        value = withholding.applicable_rate(host, fac.lender_residence, "interest")
        source = withholding.rate_source(host, fac.lender_residence, "interest")
    return b.model.add_input(
        f.i("wht_rate"),
        value,
        f"Withholding tax on interest paid to the lenders ({fac.lender_residence or 'abroad'})",
        unit="fraction",
        group=f"Facility {f.index}: {fac.name}",
        fmt="pct",
        source=source,
    )


def _interest(b: Builder, f: FacilitySpec, t: Ref) -> None:
    """Withholding on interest [currency per period]: with a gross-up clause, the gross-up the borrower pays and
    its declared lines; the tax withheld; what the lenders bear (no gross-up)."""
    name, sec = f.facility.name, f"{f.facility.name}: withholding on interest"
    if f.facility.tax_gross_up:
        g = _add(
            b,
            f.n("gross_up"),
            R("operation_flag") * R(f.n("interest_due")) * t / (1 - t),
            f"{name}: tax gross-up paid by the borrower = t / (1 - t) x interest due (operations)",
            section=sec,
        )
        b.contribute("cfads", f.n("gross_up_cf"), -g, f"{name}: withholding gross-up", owner="withholding")
        b.contribute(
            "tax_deductions", f.n("gross_up_deduction"), g, f"{name}: withholding gross-up", owner="withholding"
        )
        b.contribute(
            "debt_premiums",
            f.n("gross_up_cost"),
            g,
            f"{name}: withholding gross-up (borrower's cost)",
            owner="withholding",
            facility=f.p,
        )
        _add(b, f.n("wht"), g, f"{name}: tax withheld = t x (interest + gross-up) = the gross-up", section=sec)
        return
    wht = _add(b, f.n("wht"), R(f.n("interest_paid")) * t, f"{name}: tax withheld = t x interest paid", section=sec)
    _add(b, f.n("wht_lenders"), wht, f"{name}: withholding borne by the lenders (no gross-up clause)", section=sec)


def sponsor_rates(b: Builder) -> list[tuple[Ref, Ref] | None]:
    """Inputs: each sponsor's withholding rates on dividends and on shareholder-loan interest [fraction]; None for a
    sponsor resident in the host country (no input)."""
    host, out = b.scenario.project.country, []
    for k, sp in enumerate(b.scenario.sponsors, start=1):
        if sp.withholding_rate is None and (sp.residence is None or sp.residence == host):
            out.append(None)
            continue
        pair = []
        for kind, what in (("dividends", "dividends"), ("interest", "shareholder-loan interest")):
            if sp.withholding_rate is not None:
                value, source = sp.withholding_rate, "scenario: sponsors[].withholding_rate"
            else:
                value = withholding.applicable_rate(host, sp.residence, kind)
                source = withholding.rate_source(host, sp.residence, kind)
            pair.append(
                b.model.add_input(
                    f"in_sponsor{k}_wht_{kind}",
                    value,
                    f"{sp.name}: withholding tax on {what} ({sp.residence or 'abroad'})",
                    unit="fraction",
                    group="Sponsors",
                    fmt="pct",
                    source=source,
                )
            )
        out.append(tuple(pair))
    return out
