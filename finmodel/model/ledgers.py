"""The Ledgers sheet: what each facility's lenders are owed and receive, party by party (DESIGN principle 7).

Rules (stated once; the row labels repeat them)
-----------------------------------------------
* **Contractual debt service** (``d{k}_contract_ds``): until a default, what the loan agreement makes due
  (= the Debt sheet's interest and principal due); from the period after the default (for subordinated
  facilities: their first unpaid debt service, or a senior default) on, the schedule the loan
  would have followed had the project kept paying (``d{k}_contract_close``, the performing balance). Unpaid
  amounts stay owed by the project with interest at the contract rate: ``d{k}_default_interest`` (the Debt
  sheet capitalises it). What the lenders may receive over the model = contractual debt service + default
  interest (+ cash sweep prepayments made before a default, which lower the later contractual debt service) +
  (at the end of the model, in default) the performing balance not yet due.
* **Termination** (:mod:`finmodel.model.termination`): the loan is accelerated in the termination period (the whole
  performing balance falls due then, nothing after); the compensation prepayment is a project payment, and it is
  the lenders' recovery: no workout recovery on top.
* **Project payments** (``d{k}_project_paid``: interest, principal, sweep, termination compensation) are applied
  first to the period's contractual instalment; the part of the instalment left unpaid after a default is
  ``d{k}_unpaid_instalment``; payments above it after a default repay arrears (catch-up).
* **Claims** (covered facilities; share = the cover share applying to the cause of default). Instalment cover:
  share x the unpaid part of each instalment, as it falls due. Accelerated cover: share x the balance left after
  the default period's payments, once; every later project payment is a recovery. With a claims waiting period
  (``claims_waiting_months``) each claim arising (``d{k}_claim_arising``) waits that many periods
  (``d{k}_claim_wait{j}``), growing at the contract rate where the cover pays interest on claims, reduced by the
  project's catch-up on the covered share that the guarantor does not take (oldest claim first), and is paid when
  its wait is over (``d{k}_claim_due``); claims still waiting at the end of the model are paid in its last period.
  Without interest on claims the waiting interest stays owed by the project to the lenders.
* **Subrogation**: the guarantor steps into the lenders' shoes for what it paid, with their rights: the amounts
  it paid bear default interest at the loan's contract rate, and that interest is the guarantor's, never the
  lenders' (``d{k}_subrogated_interest``; it is taken out of what the lenders may receive). Recoveries
  (instalment: arrears catch-up; accelerated: every payment after the acceleration) go to the guarantor pro rata
  (its share) until it has recovered its claims with that interest, the rest to the lenders
  (``d{k}_to_guarantor``). Cover indemnifies: discounted at the loan's own rate, the lenders' receipts never
  exceed the contractual schedule's (``d{k}_receipts_pv`` against ``d{k}_schedule_pv``, checked).
* **Workout**: what the project never pays by the end of the model (its balance in the last period, in
  default) is recovered at the recovery rate in the last period (enforcement, restructuring), shared between
  the guarantor (its unrecovered claims) and the lenders (the rest). The recovery rate is the cover's
  ``recovery_rate``, or for an uncovered facility ``cover.yaml workout.uncovered_recovery_rate``. It applies
  only to what is never paid, never on top of payments the project makes.
* **Lenders' net receipts** = project payments - amounts passed to the guarantor + claims + workout recoveries;
  lenders' loss = what they may receive - what they receive.

Checks: per facility, lenders never receive more than contractual debt service + their default interest, and
(discounted at the contract rate) never more than the contractual schedule; a guarantor never recovers more than
its claims with their interest; the ledgers' project payments equal the waterfall's debt payments; money is
conserved across project, lenders and guarantors (receipts + guarantors' recoveries - claims = project payments
+ workout recoveries).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from finmodel.inputs.cover_data import cover_source, cover_value
from finmodel.model import termination
from finmodel.model.checks import add_check, tolerance
from finmodel.model.loan_currency import revalued
from finmodel.model.timeline import R
from finmodel.rows import Blank, Expr, Func, If, Max, Min, Or, Prev, Ref, Sum, Total

if TYPE_CHECKING:
    from finmodel.model.context import Builder, FacilitySpec

SHEET = "Ledgers"
OUT = "Outputs"


@dataclasses.dataclass
class _Totals:
    """Each facility's totals over the model [currency] for the conservation checks: project payments, lenders'
    receipts, workout recoveries, guarantors' recoveries and claims (covered facilities)."""

    paid: list = dataclasses.field(default_factory=list)
    receipts: list = dataclasses.field(default_factory=list)
    workout: list = dataclasses.field(default_factory=list)
    recovered: list = dataclasses.field(default_factory=list)
    claims: list = dataclasses.field(default_factory=list)


def build(b: Builder) -> None:
    """Add every facility's lenders' ledger, the default flags it needs, and the conservation checks."""
    tolerance(b)  # the check tolerance input is created on first use (here at the latest)
    _default_flags(b)
    totals = _Totals()
    for f in b.facilities:
        _Ledger(b, f).build(totals)
    if b.facilities:
        _conservation_checks(b, totals)


def _add(b: Builder, name, expr, label, *, unit=None, total=True, fmt="money", section) -> Ref:
    """A Ledgers-sheet row (default: [currency per period], with a total)."""
    unit = b.cur if unit is None else unit
    return b.model.add(name, expr, SHEET, label, unit=unit, total=total, fmt=fmt, section=section)


def _default_flags(b: Builder) -> None:
    """Rows: the first period of default and (with subordinated facilities) the subordinated debt's own default,
    permanent from its first unpaid debt service or a senior default [flag, per period]."""
    dflt = R("defaulted")
    _add(
        b,
        "default_start",
        dflt - Prev("defaulted"),
        "First period of default",
        unit="flag",
        fmt="flag",
        section="Default",
    )
    if any(not f.senior for f in b.facilities):  # subordinated lenders: their own shortfall is a default for them
        _add(
            b,
            "sub_defaulted",
            Max(Prev("sub_defaulted"), Or(dflt, R("sub_due") - R("sub_paid") > 0)),
            "Subordinated debt in default (permanent from its first unpaid debt service or a senior default)",
            unit="flag",
            fmt="flag",
            total=False,
            section="Default",
        )


class _Ledger:
    """One facility's lenders' ledger (rows ``d<k>_<what>`` [currency per period] unless marked)."""

    def __init__(self, b: Builder, f: FacilitySpec):
        self.b, self.f = b, f
        self.name = f.facility.name
        self.cover = b.loan_covers.get(self.name)
        self.dflt = R("defaulted") if f.senior else R("sub_defaulted")
        self.swept = f in b.sweep_facilities

    def n(self, what: str) -> str:
        return self.f.n(what)

    def row(self, what, expr, label, **kw) -> Ref:
        return _add(self.b, self.n(what), expr, f"{self.name}: {label}", section=f"{self.name}: lenders' ledger", **kw)

    def build(self, totals: _Totals) -> None:
        """Contract, payments, claims and subrogation (covered) or the uncovered recovery rate, workout, receipts,
        entitlement, outputs and the not-overpaid check; adds the facility's totals to ``totals``."""
        n = self.n
        cds = self.contract()
        paid = self.payments(cds)
        if self.cover is not None:
            claim, to_g, rr, rr_label = self.subrogation(cds, paid)
        else:
            claim, to_g, rr, rr_label = 0, 0, self.uncovered_recovery_rate(), "uncovered recovery rate"
        self.workout(rr, rr_label)
        if self.cover is not None:
            add_check(
                self.b,
                f"check_{self.f.p}_guarantor_not_overpaid",
                Total(n("to_guarantor")) + Total(n("workout_guarantor"))
                < Total(n("claim")) + Total(n("subrogated_interest")) + tolerance(self.b),
                f"{self.name}: {self.cover.name} never recovers more than its claims with their default interest",
            )
        self.receipts(cds, paid, claim, to_g)
        self.outputs()
        self.present_values(cds)
        if self.cover is not None:
            totals.recovered += [Total(n("to_guarantor")), Total(n("workout_guarantor"))]
            totals.claims.append(Total(n("claim")))
        totals.paid.append(Total(n("project_paid")))
        totals.receipts.append(Total(n("lender_receipts")))
        totals.workout.append(Total(n("workout")))

    def contract(self) -> Ref:
        """Contractual interest and principal on the performing balance, the performing balance (no total),
        contractual debt service due, default interest. Returns the contractual debt service."""
        n, dflt, ops = self.n, self.dflt, R("operation_flag")
        cc = n("contract_close")
        before = revalued(self.f, Prev(cc))  # a loan in another currency: at this period's rate
        self.row("contract_interest", ops * before * R(n("period_rate")), "contractual interest (performing balance)")
        due = Max(0, before - R(n("scheduled_balance")))
        ends = termination.active(self.b)  # a termination accelerates the loan: the whole balance falls due then
        self.row(
            "contract_principal",
            ops * (If(R("termination_flag"), before, due) if ends else due),
            "contractual principal (performing balance above the schedule"
            + ("; all of it in the termination period)" if ends else ")"),
        )
        self.row(
            "contract_close",
            If(dflt, before + R(n("draw")) - R(n("contract_principal")), R(n("closing"))),
            "performing balance (the balance had the project kept paying from the default on)",
            total=False,
        )
        cds = self.row(
            "contract_ds", R(n("contract_interest")) + R(n("contract_principal")), "contractual debt service due"
        )
        self.row(
            "default_interest",
            R(n("interest_due")) - R(n("contract_interest")),
            "default interest (contract rate on arrears, capitalised)",
        )
        return cds

    def _sweep(self) -> Expr | int:
        return R(self.n("sweep")) if self.swept else 0

    def payments(self, cds: Ref) -> Ref:
        """Paid by the project (interest, principal, sweep), before and from the default, the unpaid part of the
        contractual instalment, what is never paid by the end. Returns the project payments."""
        n, dflt = self.n, self.dflt
        comp = termination.prepayment(self.b, self.f)
        paid = self.row(
            "project_paid",
            R(n("interest_paid")) + R(n("principal_paid")) + self._sweep() + comp,
            "paid by the project (interest, principal, sweep" + (", termination compensation)" if comp else ")"),
        )
        self.row("paid_before_default", (1 - dflt) * paid, "paid by the project before the default")
        self.row("paid_after_default", dflt * paid, "paid by the project from the default on")
        self.row("unpaid_instalment", dflt * Max(0, cds - paid), "part of the contractual instalment left unpaid")
        closing = R(n("closing"))
        self.row(
            "unpaid_at_end",
            R("last_period_flag") * dflt * closing,
            "never paid by the end of the model (balance in default)",
        )
        return paid

    def subrogation(self, cds: Ref, paid: Ref) -> tuple[Ref, Ref, Ref, str]:
        """Covered facility: claims received, payments shared under subrogation, passed to the guarantor, the
        guarantor's unrecovered claims (no total). Returns (claim, to guarantor, recovery rate, its label)."""
        n, dflt, cover = self.n, self.dflt, self.cover
        share, acc, rr = R(cover.share), R(cover.accelerated), R(cover.recovery_rate)
        arising = share * ((1 - acc) * R(n("unpaid_instalment")) + acc * R("default_start") * R(n("closing")))
        what = "share x unpaid instalment; accelerated: share x balance at acceleration"
        wait = cover.waiting_periods
        if wait:
            arising = self.row("claim_arising", arising, f"claims arising under {cover.name} (instalment: {what})")
        self.row(
            "recoverable",
            (1 - acc) * dflt * Max(0, paid - cds) + acc * Prev("defaulted") * paid,
            "project payments shared under subrogation (instalment: arrears catch-up; accelerated: all after "
            "acceleration)",
        )
        unrec = n("guarantor_unrecovered")
        si = self.row(
            "subrogated_interest",
            Prev(unrec) * R(n("period_rate")),
            f"default interest on the amounts {cover.name} paid (contract rate): the guarantor's, by subrogation",
        )
        to_g = self.row(
            "to_guarantor",
            Min(share * R(n("recoverable")), Prev(unrec) + si),
            "passed to the guarantor under subrogation (its share, up to its unrecovered claims with interest)",
        )
        if wait:
            claim = self.waiting_claims(arising, share * R(n("recoverable")) - to_g, wait)
        else:
            claim = self.row("claim", arising, f"claims received from {cover.name} (instalment: {what})")
        self.row(
            "guarantor_unrecovered",
            Prev(unrec) + si + claim - to_g,
            "guarantor's claims not yet recovered, with their default interest",
            total=False,
        )
        return claim, to_g, rr, f"recovery rate of {cover.name}"

    def waiting_claims(self, arising: Ref, left: Expr, wait: int) -> Ref:
        """Claims through a waiting period of ``wait`` periods: each claim arising waits, growing at the contract
        rate where the cover pays interest on claims, reduced by the project's catch-up on the covered share
        that the guarantor does not take (``left``, oldest claim first), and is paid when its wait is over;
        claims still waiting at the end of the model are paid in its last period. Returns the claims row."""
        n, name = self.n, self.cover.name
        grow = 1 + R(self.cover.waiting_interest) * R(n("period_rate"))
        red = self.row(
            "wait_reduction",
            Max(0, left),
            f"catch-up on the covered share left after {name}'s recoveries: reduces claims still waiting",
        )

        def aged(j: int) -> Expr:  # a claim waiting j periods at the start of this period, grown to its end
            return Prev(n(f"claim_wait{j - 1}")) * grow

        due = self.row(
            "claim_due",
            Max(0, aged(wait) - red),
            f"claims whose waiting period ends (after {wait} period(s), with interest on claims where the cover "
            "pays it, less catch-up during the wait)",
        )
        rest = Max(0, red - aged(wait))
        for j in range(wait - 1, -1, -1):  # younger claims take what catch-up is left, oldest first
            if j < wait - 1:
                rest = self.row(
                    f"wait_rest{j + 1}", rest, f"catch-up left for claims waiting {j} period(s)", total=False
                )
            now = arising if j == 0 else aged(j)
            self.row(
                f"claim_wait{j}",
                Max(0, now - rest),
                f"claims waiting {j} period(s) at the end of the period (after catch-up)",
                total=False,
            )
            rest = Max(0, rest - now)
        pending = Sum([R(n(f"claim_wait{j}")) for j in range(wait)]) if wait > 1 else R(n("claim_wait0"))
        return self.row(
            "claim",
            due + R("last_period_flag") * pending,
            f"claims received from {name} (waiting period over; in the last period, every claim still waiting)",
        )

    def uncovered_recovery_rate(self) -> Ref:
        """Uncovered facility: the input workout recovery rate [fraction of what is never paid]."""
        f = self.f
        return self.b.model.add_input(
            f.i("recovery_rate"),
            cover_value("workout", "uncovered_recovery_rate"),
            "Workout recovery rate (uncovered facility)",
            unit="of what is never paid",
            group=f"Facility {f.index}: {self.name}",
            fmt="pct",
            source=cover_source("workout", "uncovered_recovery_rate"),
        )

    def workout(self, rr: Ref, rr_label: str) -> None:
        """Workout recovery of what is never paid, its part to the guarantor (covered) and to the lenders."""
        n = self.n
        if termination.active(self.b):  # in a termination the compensation is the recovery: no workout on top
            rr = rr * (1 - R("terminated"))
            rr_label += ", none after a termination"
        workout = self.row("workout", rr * R(n("unpaid_at_end")), f"workout recovery ({rr_label} x never paid)")
        wg = 0
        if self.cover is not None:
            wg = self.row(
                "workout_guarantor",
                rr * R("last_period_flag") * self.dflt * Min(R(n("guarantor_unrecovered")), R(n("closing"))),
                "workout recovery to the guarantor (its unrecovered claims)",
            )
        self.row("workout_lenders", workout - wg, "workout recovery to the lenders")

    def receipts(self, cds: Ref, paid: Ref, claim, to_g) -> None:
        """The lenders' net receipts and what they may receive (entitlement)."""
        n, dflt = self.n, self.dflt
        self.row("lender_receipts", paid - to_g + claim + R(n("workout_lenders")), "lenders' net receipts")
        prepaid = (1 - dflt) * self._sweep() if self.swept else 0
        self.row(
            "contract_schedule",
            cds + prepaid + R("last_period_flag") * dflt * R(n("contract_close")),
            "contractual schedule: debt service due had the project kept paying"
            + (" + sweep prepayments before a default" if self.swept else "")
            + " (+ in default at the end, the performing balance not yet due)",
        )
        theirs = R(n("default_interest")) - (R(n("subrogated_interest")) if self.cover is not None else 0)
        self.row(
            "lender_entitlement",
            R(n("contract_schedule")) + theirs,
            "what the lenders may receive: the contractual schedule + default interest on what they are still owed"
            + (" (the interest on amounts the guarantor paid is the guarantor's)" if self.cover is not None else ""),
        )

    def outputs(self) -> None:
        """Outputs: lenders' loss [currency] and recovery ratio [fraction]; the check that the lenders never
        receive more than they are owed [1 = OK]."""
        m, n, name = self.b.model, self.n, self.name
        owed, received = Total(n("lender_entitlement")), Total(n("lender_receipts"))
        m.add(
            n("lender_loss"),
            owed - received,
            OUT,
            f"{name}: lenders' loss (owed - received)",
            unit=self.b.cur,
            fmt="money",
            section="Lenders",
        )
        m.add(
            n("lender_recovery_ratio"),
            If(owed > 0, received / owed, Blank()),
            OUT,
            f"{name}: lenders' receipts / what they are owed",
            unit="fraction",
            fmt="pct",
            section="Lenders",
        )
        add_check(
            self.b,
            f"check_{self.f.p}_lenders_not_overpaid",
            received < owed + tolerance(self.b),
            f"{name}: lenders never receive more than contractual debt service + default interest",
        )

    def present_values(self, cds: Ref) -> None:
        """The discount factor at the loan's own rate (period by period, floating rates included) [factor]; the
        lenders' receipts and the contractual schedule discounted with it [currency per period]; outputs: their
        PVs at financial close [currency]; the check that cover never leaves the lenders better off than
        performance would [1 = OK]."""
        n, m, name = self.n, self.b.model, self.name
        df = self.row(
            "contract_df",
            If(R("period").eq(1), 1, Prev(n("contract_df"))) / (1 + R(n("period_rate"))),
            "discount factor at the loan's contract rate",
            unit="factor",
            total=False,
            fmt="factor",
        )
        self.row("receipts_pv_row", R(n("lender_receipts")) * df, "lenders' receipts, discounted at the loan's rate")
        self.row(
            "schedule_pv_row", R(n("contract_schedule")) * df, "contractual schedule, discounted at the loan's rate"
        )
        for what, label in (("receipts", "lenders' receipts"), ("schedule", "contractual schedule")):
            m.add(
                n(f"{what}_pv"),
                Total(n(f"{what}_pv_row")),
                OUT,
                f"{name}: PV of the {label} = sum of the {label} x the discount factor at the loan's contract rate",
                unit=self.b.cur,
                fmt="money",
                section="Lenders",
            )
        add_check(
            self.b,
            f"check_{self.f.p}_indemnity",
            m.ref(n("receipts_pv")) < m.ref(n("schedule_pv")) + tolerance(self.b),
            f"{name}: discounted at the loan's rate, the lenders' receipts never exceed the contractual schedule's "
            "(cover indemnifies, never more)",
        )


def _conservation_checks(b: Builder, t: _Totals) -> None:
    """Checks [1 = OK]: the ledgers' project payments = the waterfall's debt payments; money conserved across
    project, lenders and guarantors."""
    tol = tolerance(b)
    waterfall = Total("senior_paid") + Total("sub_paid") + Total("sweep")
    if termination.active(b):
        waterfall = waterfall + Total("termination_debt_paid")
    add_check(
        b,
        "check_ledgers_project_paid",
        Func("ABS", Sum(t.paid) - waterfall) < tol,
        "Ledgers: the project's payments to lenders = the waterfall's debt service paid + sweep"
        + (" + termination compensation" if termination.active(b) else ""),
    )
    creditors = Sum(t.receipts + t.recovered)
    if t.claims:
        creditors = creditors - Sum(t.claims)
    add_check(
        b,
        "check_money_conserved",
        Func("ABS", creditors - waterfall - Sum(t.workout)) < tol,
        "Money conserved: lenders' receipts + guarantors' recoveries - claims = project debt payments + "
        "workout recoveries",
    )
