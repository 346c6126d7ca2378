"""Debt facilities: rates, repayment profiles, corkscrews (drawdown, interest, fees, repayment, balance).

Conventions
-----------
* Tenors run from financial close (the start date). ``grace_years`` = years with no principal repayment;
  the first instalment falls at the end of the first period after the grace period; the last at
  ``maturity_years``. Grace may not end before construction does.
* Interest: annual rate / periods_per_year on the opening balance of the period. During construction
  interest is capitalised through drawdowns (it is a use of funds: IDC); from the start of operations it
  is paid from the waterfall. Unpaid interest is capitalised (arrears).
* Repayment profile ``profile`` = fraction of the commitment scheduled to be repaid in the period. The
  contractual (scheduled) balance is ``amount * (1 - cumulative profile)``; the principal due is whatever
  the opening balance exceeds it by, so missed principal falls due again at once and a cash sweep
  prepays the next instalments (in order of maturity).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from finmodel.finance import instalment_share
from finmodel.inputs.findings import sme_margin_preference
from finmodel.model import checks, fx, termination
from finmodel.model.loan_currency import commitment, revalued
from finmodel.model.timeline import R
from finmodel.rows import And, Const, Expr, Func, If, Index, Int, Lookup, Max, Min, Model, Prev, Ref, Sum, Total

if TYPE_CHECKING:
    from finmodel.model.context import Builder, FacilitySpec

SHEET = "Debt"


def build(b: Builder) -> None:
    """The Debt sheet: rate inputs, each facility's terms, schedule and corkscrew, the draw shares (Funding
    sheet) and the senior / subordinated totals."""
    _rate_inputs(b)
    checks.tolerance(b)  # the check tolerance input is created on first use: here, before the facilities' inputs
    for fs in b.facilities:
        t = _terms(b, fs)
        _schedule(b, fs, t)
        _corkscrew(b, fs, t)
    _draw_shares(b)
    _tiers(b)


@dataclasses.dataclass(frozen=True)
class _Terms:
    """A facility's terms as model references: commitment [currency], interest rate by period and all-in rate at
    close [per year], upfront fee [of commitment], commitment fee [per year on undrawn], grace and maturity
    [years]; ``group`` is its input group."""

    group: str
    amount: Ref
    rate: Expr
    close_rate: Expr
    upfront: Ref
    commitment_fee: Ref
    grace: Ref
    maturity: Ref


def _rate_inputs(b: Builder) -> None:
    """Inputs: the base rate shift [per year], its path by period [per year, per period] and one table of each
    base rate by model year [per year] (the last value repeated to the model's end)."""
    m, sc = b.model, b.scenario
    m.add_input(
        "in_rate_shift",
        sc.drivers.rate_shift,
        "Base rate shift",
        unit="per year",
        group="Drivers",
        fmt="pct",
        source="case / sensitivity driver (0 = as entered)",
    )
    m.add_input(
        "in_rate_shift_path",
        [0.0] * b.periods,
        "Base rate shift by period (floating rates after close)",
        kind="series",
        unit="per year",
        group="Drivers",
        fmt="pct",
        source="risk path driver (0 = as entered; finmodel simulate / sensitivity)",
    )
    for name, rates in sc.base_rates.items():
        vals = [rates] if isinstance(rates, (int, float)) else list(rates)
        years = b.years
        vals = (vals + [vals[-1]] * years)[:years]
        b.table(
            f"in_base_{name}", vals, f"Base rate {name} by model year", unit="per year", group="Base rates", fmt="pct"
        )


def _terms(b: Builder, fs: FacilitySpec) -> _Terms:
    """The facility's inputs (group ``Facility k: name``): commitment (solved when sized) [currency], interest
    rate terms (:func:`_interest_rate`), fees [fraction], grace and maturity [years]."""
    m, f = b.model, fs.facility
    g = f"Facility {fs.index}: {f.name}"
    if fs.sized:
        amount = m.add_input(
            fs.i("amount"),
            0.0,
            "Commitment (solved by debt sizing)",
            unit=b.cur,
            group=g,
            fmt="money",
            solved=True,
            source=f"solved: {f.share:.0%} of the sized debt (see Checks)",
        )
    else:
        unit = fs.currency or b.cur
        amount = m.add_input(fs.i("amount"), f.amount, "Commitment", unit=unit, group=g, fmt="money")
    if fs.currency:
        _fx_rows(b, fs, amount)
    rate, close_rate = _interest_rate(b, fs, g)
    upfront = m.add_input(fs.i("upfront_fee"), f.upfront_fee, "Upfront fee", unit="of commitment", group=g, fmt="pct")
    cfee = m.add_input(
        fs.i("commitment_fee"), f.commitment_fee, "Commitment fee", unit="per year on undrawn", group=g, fmt="pct"
    )
    grace = m.add_input(
        fs.i("grace_years"), f.grace_years, "Grace (years with no principal)", unit="years", group=g, fmt="number"
    )
    mat = m.add_input(
        fs.i("maturity_years"), f.maturity_years, "Maturity (from financial close)", unit="years", group=g, fmt="number"
    )
    return _Terms(g, amount, rate, close_rate, upfront, cfee, grace, mat)


def _fx_rows(b: Builder, fs: FacilitySpec, amount: Ref) -> None:
    """A loan in another currency: its value [model currency per unit, the FX sheet's], the growth of that value
    over the period [factor; 1 in the first], its commitment in the model currency at financial close [scalar]
    and its drawdowns in its own currency [its currency per period]."""
    cur = fs.currency
    close = Index(fx.value_name(cur), 1)
    _add(b, fs, "fx", If(R("construction_flag"), close, R(fx.value_name(cur))), f"value of {cur}: at financial close "
         "during construction (drawdowns convert at it), then the period's (FX sheet)", unit=f"{b.cur} per {cur}",
         fmt="number")  # fmt: skip
    prev = Prev(fs.n("fx"))
    _add(b, fs, "fx_growth", If(prev > 0, R(fs.n("fx")) / prev, 1), f"change in the value of {cur} over the period",
         unit="factor", fmt="factor")  # fmt: skip
    _add(b, fs, "commitment", amount * close, f"commitment in {b.cur} at financial close", sheet=SHEET)
    _add(b, fs, "draw_own", R(fs.n("draw")) / R(fs.n("fx")), f"drawdown in {cur}", unit=cur, total=True)


def _interest_rate(b: Builder, fs: FacilitySpec, g: str) -> tuple[Expr, Expr]:
    """Inputs: the fixed rate, or the margin over a floating base [per year]; an SME co-entry preference [per
    year] where it applies. Returns (rate by period, all-in rate at close) [per year]."""
    m, f = b.model, fs.facility
    if f.rate.fixed is not None:
        fixed = m.add_input(
            fs.i("fixed_rate"), f.rate.fixed, "Fixed interest rate", unit="per year", group=g, fmt="pct"
        )
        rate = close_rate = fixed
    else:
        margin = m.add_input(
            fs.i("margin"), f.rate.margin, f"Margin over {f.rate.base}", unit="per year", group=g, fmt="pct"
        )
        shift, shift_path = m.ref("in_rate_shift"), m.ref("in_rate_shift_path")
        # a zero floor on the base rate (standard in loan agreements): a negative base rate or rate shift never
        # makes the lender pay interest, nor lowers the all-in rate below the margin
        rate = Max(Lookup(f"in_base_{f.rate.base}", R("model_year")) + shift + shift_path, 0) + margin
        close_rate = Max(Lookup(f"in_base_{f.rate.base}", Const(1)) + shift, 0) + margin
    sme = sme_margin_preference(b.scenario, f)
    if sme:  # KEXIM SME co-entry programme: a preference off the loan rate
        pref = m.add_input(
            fs.i("sme_preference"),
            sme,
            "SME co-entry rate preference",
            unit="per year",
            group=g,
            fmt="pct",
            source="KEXIM SME co-entry programme, 2019 plan sec. IV-1 (data/instruments.yaml: sme_co_entry)",
        )
        # the preference never takes the rate below zero
        rate, close_rate = Max(rate + pref, 0), Max(close_rate + pref, 0)
    return rate, close_rate


def _add(
    b: Builder, fs: FacilitySpec, what, expr, label, unit=None, total=False, fmt="money", sheet=SHEET, as_row=False
):
    """The facility's row ``d<k>_<what>`` in its section of the Debt sheet (default: [currency per period])."""
    f = fs.facility
    unit = b.cur if unit is None else unit
    label = f"{f.name}: {label}"
    return b.model.add(fs.n(what), expr, sheet, label, unit=unit, total=total, fmt=fmt, section=f.name, as_row=as_row)


def _schedule(b: Builder, fs: FacilitySpec, t: _Terms) -> None:
    """The facility's rates and contractual schedule: interest rate [per year, per period], period rate [per
    period], rate at close [per year, scalar], repayment flag [flag], instalment number [#], scheduled and
    cumulative repayment [fraction of commitment], scheduled balance and debt service [currency per period]."""
    P, period = b.model.ref("in_periods_per_year"), R("period")
    _add(b, fs, "rate", t.rate, "interest rate", unit="per year", fmt="pct", as_row=True)
    pr = _add(b, fs, "period_rate", R(fs.n("rate")) / P, "period interest rate", unit="per period", fmt="pct")
    _add(b, fs, "close_rate", t.close_rate, "all-in rate at financial close", unit="per year", fmt="pct")
    flag = _add(
        b,
        fs,
        "repay_flag",
        And(period > t.grace * P, period <= t.maturity * P),
        "repayment period flag",
        unit="flag",
        fmt="flag",
    )
    k = _add(b, fs, "repay_number", flag * (period - t.grace * P), "instalment number", unit="#", fmt="int")
    profile = _profile(b, fs, t, flag, k)
    _add(b, fs, "profile", profile, "scheduled repayment", unit="of commitment", total=True, fmt="pct")
    _add(
        b,
        fs,
        "cum_profile",
        Prev(fs.n("cum_profile")) + R(fs.n("profile")),
        "cumulative scheduled repayment",
        unit="of commitment",
        fmt="pct",
    )
    # exactly zero from final maturity on (a cumulative sum of fractions is 1 only to rounding)
    amount = t.amount * R(fs.n("fx")) if fs.currency else t.amount  # in the model currency at the loan's rate
    _add(
        b,
        fs,
        "scheduled_balance",
        amount * (1 - R(fs.n("cum_profile"))) * (period < t.maturity * P),
        "scheduled balance" + (f" (the {fs.currency} schedule at the period's rate)" if fs.currency else ""),
    )
    _add(
        b,
        fs,
        "scheduled_ds",
        R("operation_flag") * (amount * R(fs.n("profile")) + amount * (1 - Prev(fs.n("cum_profile"))) * pr),
        "scheduled debt service",
        total=True,
    )


def _profile(b: Builder, fs: FacilitySpec, t: _Terms, flag: Ref, k: Ref) -> Expr:
    """The scheduled repayment [fraction of commitment, per period]: equal instalments or an annuity at the rate at
    close, a custom profile by repayment year (an input table), or the sculpted profile (a solved input)."""
    P, f = b.model.ref("in_periods_per_year"), fs.facility
    n_inst = (t.maturity - t.grace) * P
    if f.repayment in ("equal", "annuity"):  # annuity at the all-in rate at financial close
        return flag * instalment_share(f.repayment, k, n_inst, R(fs.n("close_rate")) / P, where=If)
    if f.repayment == "custom":
        b.table(
            fs.i("profile"), f.profile, "Repayment profile by repayment year", unit="fraction", group=t.group, fmt="pct"
        )
        return flag * Lookup(fs.i("profile"), Int((k - 1) / P) + 1) / P
    # sculpted: the solved profile, a labelled input
    return b.model.add_input(
        fs.i("profile"),
        [0.0] * b.periods,
        "Sculpted repayment profile (solved)",
        kind="series",
        unit="fraction",
        group=t.group,
        fmt="pct",
        solved=True,
        source=f"solved: debt service = CFADS / target DSCR {b.scenario.debt.sizing.target_dscr}x",
    )


def _corkscrew(b: Builder, fs: FacilitySpec, t: _Terms) -> None:
    """The facility's corkscrew [currency per period]: opening, undrawn, drawdown, cumulative drawdowns,
    interest, fees, interest and principal due and paid, balance, closing; the final maturity flag [flag]; the
    balance left at final maturity [currency, Checks sheet]."""
    P, period, n = b.model.ref("in_periods_per_year"), R("period"), fs.n
    ops, cons = R("operation_flag"), R("construction_flag")
    if fs.currency:  # owed in its own currency: last period's balance at this period's rate
        label = f"opening balance ({fs.currency} balance at the period's rate)"
        _add(b, fs, "opening", revalued(fs, Prev(n("closing"))), label)
    else:
        _add(b, fs, "opening", Prev(n("closing")), "opening balance")
    # a loan in another currency is drawn to its commitment's value at financial close (d{k}_commitment): what it
    # then owes in its own currency is each drawdown at its period's rate (d{k}_draw_own)
    _add(b, fs, "undrawn", commitment(b, fs) - Prev(n("cum_draw")), "undrawn commitment (start of period)")
    _add(b, fs, "draw", cons * Min(R(n("undrawn")), R("debt_need") * R(n("draw_share"))), "drawdown", total=True)
    _add(b, fs, "cum_draw", Prev(n("cum_draw")) + R(n("draw")), "cumulative drawdowns")
    _add(b, fs, "interest", R(n("opening")) * R(n("period_rate")), "interest accrued", total=True)
    _add(b, fs, "upfront_fee_paid", period.eq(1) * commitment(b, fs) * t.upfront, "upfront fee", total=True)
    _add(b, fs, "commitment_fee_paid", cons * R(n("undrawn")) * t.commitment_fee / P, "commitment fee", total=True)
    _add(b, fs, "interest_due", ops * R(n("interest")), "interest due (operations)", total=True)
    _add(b, fs, "principal_due", ops * Max(0, R(n("opening")) - R(n("scheduled_balance"))), "principal due", total=True)
    tier = "senior" if fs.senior else "sub"
    _add(b, fs, "interest_paid", R(n("interest_due")) * R(f"{tier}_interest_ratio"), "interest paid", total=True)
    _add(b, fs, "principal_paid", R(n("principal_due")) * R(f"{tier}_principal_ratio"), "principal paid", total=True)
    sweep = R(n("sweep")) if b.sweep_facilities and fs in b.sweep_facilities else 0
    prepaid = [e for e in (sweep,) if not isinstance(e, int)]  # money paid beside the schedule this period
    flows = R(n("opening")) + R(n("draw")) + R(n("interest_due")) - R(n("interest_paid")) - R(n("principal_paid"))
    paid_off = termination.prepayment(b, fs)
    if paid_off:  # the compensation prepays a share of this balance (finmodel.model.termination)
        prepaid.append(paid_off)
        flows = _add(b, fs, "pre_termination", flows - sweep, "balance after the period's debt service")
        sweep = 0
    _add(b, fs, "balance", flows - sweep - paid_off, "balance after the period's flows")
    # within the money tolerance of the schedule it *is* the schedule: float rounding of a repaid balance
    # (1e-9 of a unit) would otherwise leave phantom debt service, which spreadsheets round away; not in a period
    # with a sweep or a prepayment, which is money paid, however small (a sweep of a cent would otherwise leave
    # the balance and the cash paid out of step)
    bal, sched = R(n("balance")), R(n("scheduled_balance"))
    on_schedule = Func("ABS", bal - sched) < checks.tolerance(b)
    if prepaid:
        on_schedule = And(on_schedule, *(e.eq(0) for e in prepaid))
    _add(b, fs, "closing", If(on_schedule, sched, bal), "closing balance")
    _add(b, fs, "maturity_flag", period.eq(t.maturity * P), "final maturity flag", unit="flag", fmt="flag")
    _add(
        b,
        fs,
        "balance_at_maturity",
        _total(
            R(n("closing")) * R(n("maturity_flag")),
            b.model,
            n("bam_row"),
            f"{fs.facility.name}: closing balance in the final maturity period",
        ),
        "balance left at final maturity",
        sheet="Checks",
    )


def _draw_shares(b: Builder) -> None:
    """Funding sheet: each facility's share of debt drawdowns, pro rata to its commitment [fraction, per period]."""
    m = b.model
    total_amount = Sum([commitment(b, fs) for fs in b.facilities]) if b.facilities else 0
    for fs in b.facilities:
        m.add(
            fs.n("draw_share"),
            If(total_amount > 0, commitment(b, fs) / total_amount, 0),
            "Funding",
            f"{fs.facility.name}: share of debt drawdowns",
            unit="fraction",
            fmt="pct",
            section="Drawdowns",
        )


def _tiers(b: Builder) -> None:
    """Senior and subordinated totals [currency per period]: interest due, principal due, scheduled debt service,
    opening balance."""
    for tier, members in (
        ("senior", [f for f in b.facilities if f.senior]),
        ("sub", [f for f in b.facilities if not f.senior]),
    ):
        for what, label in (
            ("interest_due", "interest due"),
            ("principal_due", "principal due"),
            ("scheduled_ds", "scheduled debt service"),
            ("opening", "opening balance"),
        ):
            b.model.add(
                f"{tier}_{what}",
                Sum([R(f.n(what)) for f in members]),
                SHEET,
                f"{'Senior' if tier == 'senior' else 'Subordinated'} debt: {label}",
                unit=b.cur,
                total=what != "opening",
                section="Totals",
            )


def _total(expr, m: Model, helper_name: str, label: str) -> Expr:
    """SUM over periods of a row expression (materialised as a helper row on the Debt sheet)."""
    m.add(helper_name, expr, SHEET, label, total=True, section="Balances at final maturity (for the Checks sheet)")
    return Total(helper_name)
