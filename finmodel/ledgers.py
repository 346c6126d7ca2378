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
* **Project payments** (``d{k}_project_paid``: interest, principal, sweep) are applied first to the period's
  contractual instalment; the part of the instalment left unpaid after a default is ``d{k}_unpaid_instalment``;
  payments above it after a default repay arrears (catch-up).
* **Claims** (covered facilities; share = the cover share applying to the cause of default). Instalment cover:
  share x the unpaid part of each instalment, as it falls due. Accelerated cover: share x the balance left after
  the default period's payments, once; every later project payment is a recovery.
* **Subrogation**: the guarantor steps into the lenders' shoes for what it paid. Recoveries (instalment: arrears
  catch-up; accelerated: every payment after the acceleration) go to the guarantor pro rata (its share) until
  it has recovered its claims (no interest on claims), the rest to the lenders (``d{k}_to_guarantor``).
* **Workout**: what the project never pays by the end of the model (its balance in the last period, in
  default) is recovered at the recovery rate in the last period (enforcement, restructuring), shared between
  the guarantor (its unrecovered claims) and the lenders (the rest). The recovery rate is the cover's
  ``recovery_rate``, or for an uncovered facility ``cover.yaml workout.uncovered_recovery_rate``. It applies
  only to what is never paid, never on top of payments the project makes.
* **Lenders' net receipts** = project payments - amounts passed to the guarantor + claims + workout recoveries;
  lenders' loss = what they may receive - what they receive.

Checks: per facility, lenders never receive more than contractual debt service + default interest; the
ledgers' project payments equal the waterfall's debt payments; money is conserved across project, lenders and
guarantors (receipts + guarantors' recoveries - claims = project payments + workout recoveries).
"""

from __future__ import annotations

from finmodel.checks import add_check, tolerance
from finmodel.guarantees.data import cover_source, cover_value
from finmodel.rows import Blank, Func, If, Max, Min, Or, Prev, Sum, Total
from finmodel.timeline import R

SHEET = "Ledgers"
OUT = "Outputs"


def build(b) -> None:
    """Add every facility's lenders' ledger, the default flags it needs, and the conservation checks."""
    m, cur = b.model, b.cur
    tol = tolerance(b)
    dflt, last, ops = R("defaulted"), R("last_period_flag"), R("operation_flag")

    def add(name, expr, label, *, unit=cur, total=True, fmt="money", section):
        return m.add(name, expr, SHEET, label, unit=unit, total=total, fmt=fmt, section=section)

    add(
        "default_start", dflt - Prev("defaulted"), "First period of default", unit="flag", fmt="flag", section="Default"
    )
    if any(not f.senior for f in b.facilities):  # subordinated lenders: their own shortfall is a default for them
        add(
            "sub_defaulted",
            Max(Prev("sub_defaulted"), Or(dflt, R("sub_due") - R("sub_paid") > 0)),
            "Subordinated debt in default (permanent from its first unpaid debt service or a senior default)",
            unit="flag",
            fmt="flag",
            total=False,
            section="Default",
        )
    paid_all, receipts_all, workout_all, rec_g_all, claims_all = [], [], [], [], []
    for f in b.facilities:
        name, sec = f.facility.name, f"{f.facility.name}: lenders' ledger"
        cover = b.loan_covers.get(name)
        dflt = R("defaulted") if f.senior else R("sub_defaulted")

        def n(what, f=f):
            return f.n(what)

        def fa(what, expr, label, sec=sec, name=name, **kw):
            return add(n(what), expr, f"{name}: {label}", section=sec, **kw)

        cc = n("contract_close")
        fa("contract_interest", ops * Prev(cc) * R(n("period_rate")), "contractual interest (performing balance)")
        fa(
            "contract_principal",
            ops * Max(0, Prev(cc) - R(n("scheduled_balance"))),
            "contractual principal (performing balance above the schedule)",
        )
        fa(
            "contract_close",
            If(dflt, Prev(cc) + R(n("draw")) - R(n("contract_principal")), R(n("closing"))),
            "performing balance (the balance had the project kept paying from the default on)",
            total=False,
        )
        cds = fa("contract_ds", R(n("contract_interest")) + R(n("contract_principal")), "contractual debt service due")
        fa(
            "default_interest",
            R(n("interest_due")) - R(n("contract_interest")),
            "default interest (contract rate on arrears, capitalised)",
        )
        sweep = R(n("sweep")) if f in b.sweep_facilities else 0
        paid = fa(
            "project_paid",
            R(n("interest_paid")) + R(n("principal_paid")) + sweep,
            "paid by the project (interest, principal, sweep)",
        )
        fa("paid_before_default", (1 - dflt) * paid, "paid by the project before the default")
        fa("paid_after_default", dflt * paid, "paid by the project from the default on")
        fa("unpaid_instalment", dflt * Max(0, cds - paid), "part of the contractual instalment left unpaid")
        closing = R(n("closing"))
        fa("unpaid_at_end", last * dflt * closing, "never paid by the end of the model (balance in default)")
        if cover is not None:
            share, acc, rr = R(cover.share), R(cover.accelerated), R(cover.recovery_rate)
            claim = fa(
                "claim",
                share * ((1 - acc) * R(n("unpaid_instalment")) + acc * R("default_start") * closing),
                f"claims received from {cover.name} (instalment: share x unpaid instalment; accelerated: "
                "share x balance at acceleration)",
            )
            fa(
                "recoverable",
                (1 - acc) * dflt * Max(0, paid - cds) + acc * Prev("defaulted") * paid,
                "project payments shared under subrogation (instalment: arrears catch-up; accelerated: all after "
                "acceleration)",
            )
            unrec = n("guarantor_unrecovered")
            to_g = fa(
                "to_guarantor",
                Min(share * R(n("recoverable")), Prev(unrec)),
                "passed to the guarantor under subrogation (its share, up to its unrecovered claims)",
            )
            fa("guarantor_unrecovered", Prev(unrec) + claim - to_g, "guarantor's claims not yet recovered", total=False)
            rr_label = f"recovery rate of {cover.name}"
        else:
            rr = m.add_input(
                f.i("recovery_rate"),
                cover_value("workout", "uncovered_recovery_rate"),
                "Workout recovery rate (uncovered facility)",
                unit="of what is never paid",
                group=f"Facility {f.index}: {name}",
                fmt="pct",
                source=cover_source("workout", "uncovered_recovery_rate"),
            )
            claim = to_g = 0
            rr_label = "uncovered recovery rate"
        workout = fa("workout", rr * R(n("unpaid_at_end")), f"workout recovery ({rr_label} x never paid)")
        if cover is not None:
            wg = fa(
                "workout_guarantor",
                rr * last * dflt * Min(R(unrec), closing),
                "workout recovery to the guarantor (its unrecovered claims)",
            )
            rec_g_all += [Total(n("to_guarantor")), Total(n("workout_guarantor"))]
            claims_all.append(Total(n("claim")))
        else:
            wg = 0
        fa("workout_lenders", workout - wg, "workout recovery to the lenders")
        fa("lender_receipts", paid - to_g + claim + R(n("workout_lenders")), "lenders' net receipts")
        prepaid = (1 - dflt) * sweep if f in b.sweep_facilities else 0
        fa(
            "lender_entitlement",
            cds + R(n("default_interest")) + prepaid + last * dflt * R(cc),
            "what the lenders may receive: contractual debt service + default interest"
            + (" + sweep prepayments before a default" if f in b.sweep_facilities else "")
            + " (+ in default at the end, the performing balance)",
        )
        m.add(
            n("lender_loss"),
            Total(n("lender_entitlement")) - Total(n("lender_receipts")),
            OUT,
            f"{name}: lenders' loss (owed - received)",
            unit=cur,
            fmt="money",
            section="Lenders",
        )
        m.add(
            n("lender_recovery_ratio"),
            If(
                Total(n("lender_entitlement")) > 0,
                Total(n("lender_receipts")) / Total(n("lender_entitlement")),
                Blank(),
            ),
            OUT,
            f"{name}: lenders' receipts / what they are owed",
            unit="fraction",
            fmt="pct",
            section="Lenders",
        )
        add_check(
            b,
            f"check_{f.p}_lenders_not_overpaid",
            Total(n("lender_receipts")) < Total(n("lender_entitlement")) + tol,
            f"{name}: lenders never receive more than contractual debt service + default interest",
        )
        paid_all.append(Total(n("project_paid")))
        receipts_all.append(Total(n("lender_receipts")))
        workout_all.append(Total(n("workout")))
    if not b.facilities:
        return
    waterfall = Total("senior_paid") + Total("sub_paid") + Total("sweep")
    add_check(
        b,
        "check_ledgers_project_paid",
        Func("ABS", Sum(paid_all) - waterfall) < tol,
        "Ledgers: the project's payments to lenders = the waterfall's debt service paid + sweep",
    )
    creditors = Sum(receipts_all + rec_g_all)
    if claims_all:
        creditors = creditors - Sum(claims_all)
    add_check(
        b,
        "check_money_conserved",
        Func("ABS", creditors - waterfall - Sum(workout_all)) < tol,
        "Money conserved: lenders' receipts + guarantors' recoveries - claims = project debt payments + "
        "workout recoveries",
    )
