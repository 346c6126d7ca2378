"""Tax: depreciation of the capitalised cost, taxable income, losses carried forward, the tax holiday (Tax sheet).

Taxable income = EBITDA - depreciation - interest (senior, subordinated, shareholder loan) in operations - the
declared tax deductions (``finmodel.rows.totals``: guarantee premiums paid in operations, expensed); losses carried
forward without limit if allowed; no tax during the holiday. Depreciation: straight line over
``depreciation_years`` from the start of operations on the capitalised cost = the uses of funds during
construction except the initial DSRA (construction cost, fees, IDC and financed premiums, which are capitalised
and amortised like upfront fees; capital grants do not reduce it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.model.timeline import R
from finmodel.rows import And, Max, Prev, Ref, Sum
from finmodel.rows.totals import line_rows

if TYPE_CHECKING:
    from finmodel.model.context import Builder


def build(b: Builder) -> None:
    """The Tax sheet: tax inputs, depreciation of the capitalised cost, taxable income, losses carried forward,
    the tax holiday and the tax paid."""
    m, tx = b.model, b.scenario.tax
    g = "Tax"
    rate = m.add_input("in_tax_rate", tx.rate, "Corporate income tax rate", unit="fraction", group=g, fmt="pct")
    dep_years = m.add_input(
        "in_depreciation_years", tx.depreciation_years, "Depreciation life", unit="years", group=g, fmt="number"
    )
    holiday = m.add_input(
        "in_tax_holiday_years",
        tx.holiday_years,
        "Tax holiday from start of operations",
        unit="years",
        group=g,
        fmt="number",
    )
    lcf = m.add_input(
        "in_loss_carry_forward",
        1.0 if tx.loss_carry_forward else 0.0,
        "Loss carry-forward allowed",
        unit="1 = yes",
        group=g,
        fmt="int",
    )
    _depreciation(b, dep_years)
    _tax(b, rate, holiday, lcf)


def _tax_row(b: Builder, name, expr, label, total=True, unit=None, fmt="money") -> Ref:
    """A Tax-sheet row (default: [currency per period], with a total)."""
    unit = b.cur if unit is None else unit
    return b.model.add(name, expr, "Tax", label, unit=unit, total=total, fmt=fmt, section="Tax")


def _depreciation(b: Builder, dep_years: Ref) -> None:
    """Capitalised cost, depreciable base, depreciation [currency per period]; the depreciation period flag
    [flag] (straight line over the life from the start of operations)."""
    P = b.model.ref("in_periods_per_year")
    _tax_row(
        b,
        "capitalised_cost",
        R("construction_flag") * (R("uses") - R("dsra_initial")),
        "Capitalised cost (uses during construction except the initial DSRA)",
    )
    _tax_row(b, "depreciable_base", Prev("depreciable_base") + R("capitalised_cost"), "Depreciable base", total=False)
    _tax_row(
        b,
        "depreciation_flag",
        And(R("operation_flag"), R("operation_period") <= dep_years * P),
        "Depreciation period flag",
        total=False,
        unit="flag",
        fmt="flag",
    )
    _tax_row(b, "depreciation", R("depreciation_flag") * R("depreciable_base") / (dep_years * P), "Depreciation")


def _tax(b: Builder, rate: Ref, holiday: Ref, lcf: Ref) -> None:
    """Deductible interest, the declared tax deductions, taxable income, losses carried forward, taxable income
    after losses, tax paid [currency per period]; the tax holiday flag [flag]."""
    P, ops = b.model.ref("in_periods_per_year"), R("operation_flag")
    interest = R("senior_interest_due") + R("sub_interest_due")
    if b.scenario.shareholder_loan:
        interest = interest + ops * R("shl_interest")
    _tax_row(b, "deductible_interest", interest, "Deductible interest")
    deductions = line_rows(b, "tax_deductions", lambda n, e, lab: _tax_row(b, n, e, lab))
    _tax_row(
        b,
        "taxable_income",
        ops * (R("ebitda") - R("depreciation") - R("deductible_interest") - Sum(deductions))
        if deductions
        else ops * (R("ebitda") - R("depreciation") - R("deductible_interest")),
        "Taxable income",
    )
    _tax_row(
        b,
        "tax_losses",
        lcf * Max(0, Prev("tax_losses") - R("taxable_income")),
        "Tax losses carried forward",
        total=False,
    )
    _tax_row(
        b, "taxable_after_losses", Max(0, R("taxable_income") - lcf * Prev("tax_losses")), "Taxable income after losses"
    )
    _tax_row(
        b,
        "tax_holiday_flag",
        And(ops, R("operation_period") <= holiday * P),
        "Tax holiday flag",
        total=False,
        unit="flag",
        fmt="flag",
    )
    _tax_row(b, "tax", R("taxable_after_losses") * rate * (1 - R("tax_holiday_flag")), "Tax paid")
