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

from finmodel import checks
from finmodel.blending.findings import sme_margin_preference
from finmodel.finance import instalment_share
from finmodel.rows import And, Const, Func, If, Int, Lookup, Max, Min, Prev, Sum, Total
from finmodel.timeline import R

SHEET = "Debt"


@dataclasses.dataclass
class FacilitySpec:
    """How the builder sees one facility: its scenario entry and the names of its model items."""

    index: int
    facility: object
    p: str  # name prefix, "d1"

    @property
    def senior(self) -> bool:
        return self.facility.seniority == "senior"

    @property
    def sized(self) -> bool:
        return self.facility.amount is None

    @property
    def sculpted(self) -> bool:
        return self.facility.repayment == "sculpted"

    def n(self, what: str) -> str:
        return f"{self.p}_{what}"

    def i(self, what: str) -> str:
        return f"in_{self.p}_{what}"


def facility_specs(scenario) -> list[FacilitySpec]:
    return [FacilitySpec(k, f, f"d{k}") for k, f in enumerate(scenario.debt.facilities, start=1)]


def build(b) -> None:
    m, sc = b.model, b.scenario
    P = m.ref("in_periods_per_year")
    period = R("period")
    ops = R("operation_flag")
    cons = R("construction_flag")
    shift = m.add_input(
        "in_rate_shift",
        sc.drivers.rate_shift,
        "Base rate shift",
        unit="per year",
        group="Drivers",
        fmt="pct",
        source="case / sensitivity driver (0 = as entered)",
    )
    shift_path = m.add_input(
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

    tol = checks.tolerance(b)
    for fs in b.facilities:
        f = fs.facility
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
            amount = m.add_input(fs.i("amount"), f.amount, "Commitment", unit=b.cur, group=g, fmt="money")
        if f.rate.fixed is not None:
            fixed = m.add_input(
                fs.i("fixed_rate"), f.rate.fixed, "Fixed interest rate", unit="per year", group=g, fmt="pct"
            )
            rate = fixed
            close_rate = fixed
        else:
            margin = m.add_input(
                fs.i("margin"), f.rate.margin, f"Margin over {f.rate.base}", unit="per year", group=g, fmt="pct"
            )
            # a zero floor on the base rate (standard in loan agreements): a negative base rate or rate shift never
            # makes the lender pay interest, nor lowers the all-in rate below the margin
            rate = Max(Lookup(f"in_base_{f.rate.base}", R("model_year")) + shift + shift_path, 0) + margin
            close_rate = Max(Lookup(f"in_base_{f.rate.base}", Const(1)) + shift, 0) + margin
        sme = sme_margin_preference(sc, f)
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
        upfront = m.add_input(
            fs.i("upfront_fee"), f.upfront_fee, "Upfront fee", unit="of commitment", group=g, fmt="pct"
        )
        cfee = m.add_input(
            fs.i("commitment_fee"), f.commitment_fee, "Commitment fee", unit="per year on undrawn", group=g, fmt="pct"
        )
        grace = m.add_input(
            fs.i("grace_years"), f.grace_years, "Grace (years with no principal)", unit="years", group=g, fmt="number"
        )
        mat = m.add_input(
            fs.i("maturity_years"),
            f.maturity_years,
            "Maturity (from financial close)",
            unit="years",
            group=g,
            fmt="number",
        )

        def add(what, expr, label, unit=b.cur, total=False, fmt="money", scalar_sheet=None, as_row=False, fs=fs, f=f):
            return m.add(
                fs.n(what),
                expr,
                scalar_sheet or SHEET,
                f"{f.name}: {label}",
                unit=unit,
                total=total,
                fmt=fmt,
                section=f.name,
                as_row=as_row,
            )

        add("rate", rate, "interest rate", unit="per year", fmt="pct", as_row=True)
        pr = add("period_rate", R(fs.n("rate")) / P, "period interest rate", unit="per period", fmt="pct")
        add("close_rate", close_rate, "all-in rate at financial close", unit="per year", fmt="pct", scalar_sheet="Debt")
        flag = add(
            "repay_flag", And(period > grace * P, period <= mat * P), "repayment period flag", unit="flag", fmt="flag"
        )
        k = add("repay_number", flag * (period - grace * P), "instalment number", unit="#", fmt="int")
        n_inst = (mat - grace) * P
        if f.repayment in ("equal", "annuity"):  # annuity at the all-in rate at financial close
            profile = flag * instalment_share(f.repayment, k, n_inst, R(fs.n("close_rate")) / P, where=If)
        elif f.repayment == "custom":
            b.table(
                fs.i("profile"), f.profile, "Repayment profile by repayment year", unit="fraction", group=g, fmt="pct"
            )
            profile = flag * Lookup(fs.i("profile"), Int((k - 1) / P) + 1) / P
        else:  # sculpted: the solved profile, a labelled input
            prof = m.add_input(
                fs.i("profile"),
                [0.0] * b.periods,
                "Sculpted repayment profile (solved)",
                kind="series",
                unit="fraction",
                group=g,
                fmt="pct",
                solved=True,
                source=f"solved: debt service = CFADS / target DSCR {sc.debt.sizing.target_dscr}x",
            )
            profile = prof
        add("profile", profile, "scheduled repayment", unit="of commitment", total=True, fmt="pct")
        add(
            "cum_profile",
            Prev(fs.n("cum_profile")) + R(fs.n("profile")),
            "cumulative scheduled repayment",
            unit="of commitment",
            fmt="pct",
        )
        # exactly zero from final maturity on (a cumulative sum of fractions is 1 only to rounding)
        add("scheduled_balance", amount * (1 - R(fs.n("cum_profile"))) * (period < mat * P), "scheduled balance")
        add(
            "scheduled_ds",
            ops * (amount * R(fs.n("profile")) + amount * (1 - Prev(fs.n("cum_profile"))) * pr),
            "scheduled debt service",
            total=True,
        )

        # corkscrew
        add("opening", Prev(fs.n("closing")), "opening balance")
        add("undrawn", amount - Prev(fs.n("cum_draw")), "undrawn commitment (start of period)")
        add("draw", cons * Min(R(fs.n("undrawn")), R("debt_need") * R(fs.n("draw_share"))), "drawdown", total=True)
        add("cum_draw", Prev(fs.n("cum_draw")) + R(fs.n("draw")), "cumulative drawdowns")
        add("interest", R(fs.n("opening")) * pr, "interest accrued", total=True)
        add("upfront_fee_paid", period.eq(1) * amount * upfront, "upfront fee", total=True)
        add("commitment_fee_paid", cons * R(fs.n("undrawn")) * cfee / P, "commitment fee", total=True)
        add("interest_due", ops * R(fs.n("interest")), "interest due (operations)", total=True)
        add(
            "principal_due",
            ops * Max(0, R(fs.n("opening")) - R(fs.n("scheduled_balance"))),
            "principal due",
            total=True,
        )
        tier = "senior" if fs.senior else "sub"
        add("interest_paid", R(fs.n("interest_due")) * R(f"{tier}_interest_ratio"), "interest paid", total=True)
        add("principal_paid", R(fs.n("principal_due")) * R(f"{tier}_principal_ratio"), "principal paid", total=True)
        sweep = R(fs.n("sweep")) if b.sweep_facilities and fs in b.sweep_facilities else 0
        add(
            "balance",
            R(fs.n("opening"))
            + R(fs.n("draw"))
            + R(fs.n("interest_due"))
            - R(fs.n("interest_paid"))
            - R(fs.n("principal_paid"))
            - sweep,
            "balance after the period's flows",
        )
        # within the money tolerance of the schedule it *is* the schedule: float rounding of a repaid balance
        # (1e-9 of a unit) would otherwise leave phantom debt service, which spreadsheets round away
        bal, sched = R(fs.n("balance")), R(fs.n("scheduled_balance"))
        add("closing", If(Func("ABS", bal - sched) < tol, sched, bal), "closing balance")
        add("maturity_flag", period.eq(mat * P), "final maturity flag", unit="flag", fmt="flag")
        add(
            "balance_at_maturity",
            _total(
                R(fs.n("closing")) * R(fs.n("maturity_flag")),
                m,
                fs.n("bam_row"),
                f"{f.name}: closing balance in the final maturity period",
            ),
            "balance left at final maturity",
            scalar_sheet="Checks",
        )

    # draw shares: each facility draws pro rata to its commitment
    total_amount = Sum([m.ref(fs.i("amount")) for fs in b.facilities]) if b.facilities else 0
    for fs in b.facilities:
        m.add(
            fs.n("draw_share"),
            If(total_amount > 0, m.ref(fs.i("amount")) / total_amount, 0),
            "Funding",
            f"{fs.facility.name}: share of debt drawdowns",
            unit="fraction",
            fmt="pct",
            section="Drawdowns",
        )

    # tiers
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
            m.add(
                f"{tier}_{what}",
                Sum([R(f.n(what)) for f in members]),
                SHEET,
                f"{'Senior' if tier == 'senior' else 'Subordinated'} debt: {label}",
                unit=b.cur,
                total=what != "opening",
                section="Totals",
            )


def _total(expr, m, helper_name, label):
    """SUM over periods of a row expression (materialised as a helper row on the Debt sheet)."""
    m.add(helper_name, expr, SHEET, label, total=True, section="Balances at final maturity (for the Checks sheet)")
    return Total(helper_name)
