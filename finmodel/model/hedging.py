"""The Hedging sheet: interest-rate swaps on floating facilities (``debt.facilities[].hedge``).

Rules (stated once; the row labels repeat them)
-----------------------------------------------
* **The swap**: the borrower pays the fixed ``swap_rate`` and receives the facility's base rate (with the rate
  shift and, in the Monte Carlo, the simulated base-rate path; *unfloored*: a vanilla swap does not mirror the
  loan's zero floor) on ``share`` x the facility's opening balance, an amortising notional that follows the loan,
  in each operating period for ``years`` from the start of operations (default: to the maturity).
* **Net settlement** ``d{k}_swap_net = notional x (swap_rate - base) / periods_per_year``: positive = paid by the
  project to the swap bank. It is a cash line of CFADS (paid ahead of debt service: a simplification of the
  swap bank ranking pari passu with the senior lenders, which in a shortfall pays the swap first), a deductible
  finance cost (a tax-deduction line) and a charge in the facility's all-in cost of debt (a ``debt_premiums``
  line of the Blending sheet's cost of debt).
* **What it hedges**: on the hedged share the interest plus the settlement is ``notional x (swap_rate + margin)``
  whatever the base rate (while the base stays above the loan's zero floor), so the Monte Carlo base-rate driver
  moves only the unhedged part of the interest. Construction-period interest (capitalised) is not hedged. A
  cross-currency swap is not modelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finmodel.model.timeline import R
from finmodel.rows import Lookup, Ref

if TYPE_CHECKING:
    from finmodel.model.context import Builder, FacilitySpec

__all__ = ["SHEET", "build"]

SHEET = "Hedging"


def build(b: Builder) -> None:
    """Every hedged facility's swap rows; declares the settlement lines of CFADS, tax deductions and the cost of
    debt (before the totals are built)."""
    for f in b.facilities:
        if f.facility.hedge is not None:
            _swap(b, f)


def _add(b: Builder, f: FacilitySpec, what: str, expr, label: str, **kw) -> Ref:
    kw.setdefault("unit", b.cur)
    return b.model.add(f.n(what), expr, SHEET, f"{f.facility.name}: {label}", section=f"{f.facility.name}: swap", **kw)


def _swap(b: Builder, f: FacilitySpec) -> None:
    m, fac, h = b.model, f.facility, f.facility.hedge
    group = f"Facility {f.index}: {fac.name}"
    years = h.years if h.years is not None else fac.maturity_years - b.scenario.timeline.construction_years
    share = m.add_input(f.i("hedge_share"), h.share, "Swap: share of the balance hedged", group=group, fmt="pct")
    fixed = m.add_input(f.i("swap_rate"), h.swap_rate, "Swap: fixed rate paid", unit="per year", group=group, fmt="pct")
    tenor = m.add_input(
        f.i("hedge_years"), years, "Swap: years from the start of operations", unit="years", group=group,
        fmt="number",
    )  # fmt: skip
    P, cons = m.ref("in_periods_per_year"), m.ref("in_construction_years")
    on = _add(
        b,
        f,
        "swap_flag",
        R("operation_flag") * (R("period") <= (cons + tenor) * P),
        "swap running (operating periods within its years)",
        unit="flag",
        fmt="flag",
        total=False,
    )
    base = _add(
        b,
        f,
        "swap_float",
        Lookup(f"in_base_{fac.rate.base}", R("model_year")) + m.ref("in_rate_shift") + m.ref("in_rate_shift_path"),
        f"swap: floating rate received = base rate {fac.rate.base} + shift (unfloored)",
        unit="per year",
        fmt="pct",
        total=False,
    )
    notional = _add(
        b, f, "swap_notional", on * share * R(f.n("opening")), "swap notional = share x opening balance", total=False
    )
    net = _add(
        b,
        f,
        "swap_net",
        notional * (fixed - base) / P,
        "swap net settlement = notional x (fixed - floating) / periods per year (+ paid by the project)",
    )
    name = fac.name
    b.contribute("cfads", f.n("swap_cf"), -net, f"{name}: swap net settlement", owner="hedging")
    b.contribute("tax_deductions", f.n("swap_deduction"), net, f"{name}: swap net settlement", owner="hedging")
    b.contribute(
        "debt_premiums", f.n("swap_cost"), net, f"{name}: swap net settlement (borrower's cost)", owner="hedging",
        facility=f.p,
    )  # fmt: skip
