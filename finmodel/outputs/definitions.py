"""Metric definitions in words: the one source the JSON, the workbook's Risk sheet and docs/metrics.md read.

* :data:`RUN`: the deterministic metrics (``finmodel run``) whose workbook label does not carry the formula
  (``label = formula``); numbered keys by pattern (``dN_default_loss``). The label and unit are the model row's
  (the workbook's), read beside these by ``contract.metric_info`` and ``docs.metrics_markdown``.
* :data:`SIMULATE`: the Monte Carlo metrics (``finmodel simulate`` JSON ``metrics`` and ``definitions``, the
  Risk sheet), by pattern: ``{q}`` a number, ``{p}`` a facility (``d1``, ``d2``, ...) or ``senior``, ``{g}`` a
  guarantor (``g1``, ...). Each entry: ``(definition, discounted)``; ``discounted``: ``True`` (a present value),
  ``False`` (nominal, undiscounted) or ``None`` (not an amount).
* :data:`IRR_OVER_PATHS`: the rule for statistics of IRRs over paths (simulate, frontier, programme).

``tests/test_docs.py`` checks that the JSON's definitions equal the generated tables of docs/metrics.md.
"""

from __future__ import annotations

import re

IRR_OVER_PATHS = (
    "statistics of an IRR over paths (percentiles, mean) are over the paths that have an IRR; a path without one "
    "(the sponsors or the tranche never recover their outlay: no root) is not counted as -100 % but reported in "
    "the share of paths without an IRR (*_missing_share, *_undefined_share)"
)

LOSS_AT_DEFAULT = (
    "a facility's balance never repaid by the end of the model, discounted to the first period of default at the "
    "facility's own period rate (at most the exposure at default): the economic loss at the default date, "
    "EAD = PV(debt service received from the default on) + loss; without a default the balance left, "
    "undiscounted (0 when repaid) [currency]"
)

RUN = {
    # formula in words of every metric whose workbook label does not carry it (``label = formula``);
    # tests/test_docs.py fails when a metric has neither
    "project_irr": "IRR of the post-tax project cash flow (EBITDA - tax - capex) by period, annualised: "
    "(1 + period IRR) ^ periods_per_year - 1",
    "project_irr_pre_tax": "IRR of the pre-tax project cash flow (EBITDA - capex), annualised likewise",
    "equity_irr": "IRR of the sponsors' cash flow (equity and shareholder-loan funding out; dividends and "
    "shareholder-loan service in), annualised likewise",
    "equity_npv": "NPV of the sponsors' cash flow at equity_discount_rate (per-period compound rate; Excel NPV "
    "convention: the first period discounted one period)",
    "min_dscr": "smallest DSCR = CFADS / senior debt service due, over the periods with senior debt service",
    "avg_dscr": "average of the DSCRs of the periods with senior debt service",
    "min_llcr": "smallest LLCR = PV of CFADS to the last senior maturity / senior debt outstanding, in operation, "
    "discounted at the commitment-weighted senior rate at close",
    "min_plcr": "smallest PLCR = PV of CFADS to the end of operations / senior debt outstanding, same rate",
    "total_capex": "sum of construction costs, contingency included",
    "total_uses": "sum of uses: capex, interest during construction, fees, initial reserve funding and financed "
    "guarantee premiums (the uses_* lines)",
    "uses_capex": "sum of construction costs, contingency included (a line of total uses)",
    "uses_upfront_fees": "sum of the facilities' upfront fees (a line of total uses)",
    "uses_commitment_fees": "sum of the facilities' commitment fees on undrawn amounts (a line of total uses)",
    "uses_idc": "sum of interest accrued during construction, paid from drawdowns (a line of total uses)",
    "uses_dsra_initial": "DSRA target funded at the end of construction (a line of total uses)",
    "uses_premiums_financed": "guarantee and insurance premiums financed: upfront premiums marked financed + running "
    "premiums during construction (a line of total uses)",
    "dN_lender_loss": "what the lenders may receive (contractual debt service + default interest + sweep "
    "prepayments + in default at the end the performing balance) - what they receive (project payments - "
    "amounts passed to the guarantor + claims + workout recoveries); Ledgers sheet",
    "dN_lender_recovery_ratio": "lenders' net receipts / what they may receive (1 = paid in full); Ledgers sheet",
    "dN_ead": "exposure at default: the facility's opening balance in the first period of default (0 without a "
    "default); Ledgers sheet",
    "dN_default_loss": "the balance never repaid (closing balance of the last period, at least 0) discounted to the "
    "first period of default at the facility's period rate (at least 0): balance / PRODUCT(1 + period rate) over "
    "the periods in default, at most the exposure at default; without a default the balance left, undiscounted "
    "(0 when repaid); Ledgers sheet",
    "senior_loss": "sum of the senior facilities' dN_default_loss",
    "dsra_exhausted": "1 if in some period the DSRA is drawn and left at or below the money tolerance "
    "(in_check_tolerance), or senior debt service goes unpaid by more than it; the delay breakeven's target",
    "cfads_negative": "1 if CFADS < 0 in some period with senior debt service due (more than in_check_tolerance); "
    "a negative DSCR says nothing more than this",
    "senior_shortfall_total": "sum over the periods of senior debt service due and not paid after the DSRA "
    "(undiscounted)",
    "termination": "1 if the concession is terminated early (a termination event, a permanent political event "
    "with authority_default compensation, or a senior payment default with project_default compensation); "
    "Termination sheet",
    "termination_debt_compensation": "compensation paid on termination for senior debt: the cause's debt_share x "
    "each senior facility's balance after the period's debt service; Termination sheet",
    "termination_equity_compensation": "compensation paid to the sponsors on termination: the cause's equity_share "
    "x the sponsors' funding subscribed to date; Termination sheet",
    "total_grants": "sum of capital grants received (revenues of kind capital_grant)",
    "total_debt": "sum of drawdowns of every facility",
    "senior_debt": "sum of drawdowns of the senior facilities",
    "total_equity": "sum of sponsor funding (equity and shareholder loan)",
    "gearing": "total debt drawn / (total debt drawn + total sponsor funding)",
    "lockup_periods": "number of periods in which distributions are locked up (DSCR below lockup_dscr)",
    "default_periods": "number of periods in which senior debt service due is not paid in full after the DSRA",
    "sponsorN_npv": "NPV of the sponsor's cash flow (its share of the sponsors' cash flow) at equity_discount_rate",
    "sponsorN_payback_years": "years from financial close until the sponsor's cumulative cash flow stops being "
    "negative (number of periods with a negative cumulative cash flow / periods per year)",
    "grant_element_discount_rate": "annual discount rate of the grant elements, by blending.method (dac2018: by "
    "the country's income group; imf: 5 %; ddr: CIRR-based; rate: given)",
    "gN_peak_exposure": "largest amount the guarantor could be called for in any period (cover share x the "
    "covered amount outstanding)",
    "gN_premiums": "sum of premiums and fees received by the guarantor",
    "gN_premium_pv": "premiums and fees discounted to financial close at the grant-element discount rate",
    "gN_claims": "sum of claims paid by the guarantor: cover share x the unpaid part of each instalment "
    "(instalments) or x the balance at acceleration (accelerated); Ledgers sheet",
    "gN_recoveries": "sum of recoveries to the guarantor: project payments passed on under subrogation (its "
    "share, up to its unrecovered claims) + its part of the workout (recovery rate x what is never paid)",
    "gN_net_cost": "claims - recoveries - premiums (negative = a surplus for the guarantor)",
    "gN_net_cost_pv": "net cost by period discounted to financial close",
    "gN_lender_loss": "the covered facility's dN_lender_loss: what its lenders are owed - what they receive",
    "gN_premium_annual_equivalent": "PV of premiums / PV of (covered balance x period length): the premium as an "
    "annual rate on the covered balance",
    "gN_margin_difference": "uncovered_margin - the covered facility's margin: the pricing benefit of the cover",
    "gN_guaranteed_payments": "cover share x the guaranteed revenue line over the model life",
    "guarantee_peak_exposure": "largest total exposure of all guarantors in any period",
    "guarantee_premium_pv": "sum of the guarantors' PV of premium and fee income",
    "guarantee_claims": "sum of claims paid by all guarantors",
    "guarantee_recoveries": "sum of recoveries to all guarantors",
    "guarantee_net_cost": "sum of the guarantors' net costs (claims - recoveries - premiums)",
    "lender_loss_after_cover": "sum of the lenders' losses after cover on the covered facilities",
}
"""Deterministic metrics (numbered keys by pattern: ``sponsorN_``, ``dN_``, ``gN_``) -> formula in words."""

RUN_NUMBERED = re.compile(r"^(sponsor|d|g)(\d+)_")


def run_definition(key: str) -> str:
    """The definition of a deterministic metric key (``d2_default_loss`` -> that of ``dN_default_loss``)."""
    m = RUN_NUMBERED.match(key)
    pattern = ({"sponsor": "sponsorN_", "d": "dN_", "g": "gN_"}[m.group(1)] + key[m.end() :]) if m else key
    return RUN.get(pattern, "")


def split_label(label: str) -> tuple[str, str]:
    """``("Package grant element", "1 - sum PV(...) / ...")`` for a label that carries its formula."""
    head, sep, formula = label.partition(" = ")
    if not sep or head.count("(") != head.count(")"):
        return label, ""
    return head, formula


def metric_definition(key: str, label: str) -> str:
    """The definition of a deterministic metric: the formula its workbook label carries, else :data:`RUN`'s."""
    return split_label(label)[1] or run_definition(key)


SIMULATE_TERMS = {
    "default": "first period in which senior debt service is left unpaid after the DSRA (payment default), or, "
    "with a guarantees block, a covered political event; counted once per path",
    "political / payment": "a default is political when it starts during a political event or within 1 year of "
    "its end, or at any time after an event that was not resolved; every other default is a payment default",
    "loss": LOSS_AT_DEFAULT,
    "irr over paths": IRR_OVER_PATHS,
}
"""The terms the Monte Carlo metrics are defined with (JSON ``definitions``, docs/metrics.md)."""

SIMULATE = {
    "p_default": ("share of paths that default within the model horizon", None),
    "p_default_{kind}": ("share of paths whose default is of that kind (payment, political)", None),
    "cdr_{q}y": ("cumulative default rate: share of paths defaulting within N years of financial close", None),
    "cdr_{q}y_{kind}": ("the part of cdr_Ny whose default is of that kind (payment, political)", None),
    "{share}_se": ("binomial standard error sqrt(p (1 - p) / N) of a share of N paths", None),
    "p_min_dscr_below_1": ("share of paths whose minimum DSCR is below 1.00x", None),
    "p_min_dscr_below_lockup": ("share of paths whose minimum DSCR is below the lock-up ratio", None),
    "p_cfads_negative": ("share of paths with CFADS < 0 in a period with senior debt service due", None),
    "min_dscr_p{q}": ("percentile of the minimum DSCR floored at 0.00x (0 = CFADS at or below zero)", None),
    "senior_shortfall_{stat}": (
        "senior debt service left unpaid, summed over periods (expected, P99) [currency]",
        False,
    ),
    "equity_irr_p{q}": ("percentile of the equity IRR over the paths that have one (see irr over paths)", None),
    "equity_irr_mean": ("mean equity IRR over the paths that have one (see irr over paths)", None),
    "equity_irr_missing_share": ("share of paths without an equity IRR (sponsors never recover their outlay)", None),
    "p_equity_irr_below_hurdle": (
        "share of all paths whose equity IRR is below the hurdle (the cost of equity); a path without an IRR is "
        "below it",
        None,
    ),
    "{p}_expected_loss": ("mean over all paths of the loss at default (see loss) [currency]", True),
    "{p}_expected_loss_ratio": ("expected loss / the facility's peak balance in the deterministic case", True),
    "{p}_loss_p99": ("99th percentile of the loss at default over all paths [currency]", True),
    "{p}_loss_p99_ratio": ("P99 loss / the facility's peak balance in the deterministic case", True),
    "p_{p}_loss": ("share of paths with a loss at default above a cent", None),
    "{p}_recovery_mean": ("mean over defaulted paths of 1 - loss / exposure at default, clipped to [0, 1]", True),
    "{p}_lgd": ("loss given default = 1 - mean recovery", True),
    "{p}_full_recovery_share": ("share of defaulted paths with no loss", None),
    "{p}_defaults": ("number of defaulted paths with an exposure", None),
    "{g}_claims_expected": ("mean claims paid by the guarantor over all paths, nominal [currency]", False),
    "{g}_claims_p99": ("99th percentile of the guarantor's claims over all paths, nominal [currency]", False),
    "p_{g}_claim": ("share of paths with a claim above a cent", None),
    "{g}_expected_loss": ("mean of the guarantor's claims - recoveries, nominal [currency]", False),
    "{g}_loss_p99": ("99th percentile of the guarantor's claims - recoveries, nominal [currency]", False),
    "lender_expected_loss_after_cover": (
        "mean over paths of the lenders' loss after cover (Ledgers) [currency]",
        False,
    ),
    "guarantee_claims_{stat}": ("claims paid by all guarantors (expected, P99), nominal [currency]", False),
    "p_guarantee_claim": ("share of paths with a guarantee claim above a cent", None),
    "p_{stem}_loss": ("share of paths with a loss above a cent of a tranche of another module", None),
    "{stem}_expected_loss": ("mean loss over all paths of a tranche of another module [currency]", False),
    "paths": ("number of paths simulated", None),
}
"""Monte Carlo metrics by key pattern: ``(definition, discounted)``; the first pattern that matches wins."""

SIMULATE_LABELS = {
    "p_default": "Probability of default (model horizon)",
    "p_default_{kind}": "Probability of a {kind} default",
    "cdr_{q}y": "Cumulative default rate, {q} years",
    "cdr_{q}y_{kind}": "Cumulative default rate, {q} years, {kind}",
    "{share}_se": "Standard error of {share}",
    "p_min_dscr_below_1": "Probability that the minimum DSCR is below 1.00x",
    "p_min_dscr_below_lockup": "Probability that the minimum DSCR is below the lock-up ratio",
    "p_cfads_negative": "Probability of negative CFADS with debt service due",
    "min_dscr_p{q}": "Minimum DSCR, P{q}",
    "senior_shortfall_{stat}": "Senior debt service unpaid ({stat})",
    "equity_irr_p{q}": "Equity IRR, P{q}",
    "equity_irr_mean": "Equity IRR, mean",
    "equity_irr_missing_share": "Share of paths without an equity IRR",
    "p_equity_irr_below_hurdle": "Probability that the equity IRR is below the hurdle",
    "{p}_expected_loss": "Expected loss at default, {p}",
    "{p}_expected_loss_ratio": "Expected loss / peak balance, {p}",
    "{p}_loss_p99": "P99 loss at default, {p}",
    "{p}_loss_p99_ratio": "P99 loss / peak balance, {p}",
    "p_{p}_loss": "Probability of a loss, {p}",
    "{p}_recovery_mean": "Mean recovery in default, {p}",
    "{p}_lgd": "Loss given default, {p}",
    "{p}_full_recovery_share": "Share of defaults fully recovered, {p}",
    "{p}_defaults": "Defaulted paths, {p}",
    "{g}_claims_expected": "Expected claims, guarantor {g}",
    "{g}_claims_p99": "P99 claims, guarantor {g}",
    "p_{g}_claim": "Probability of a claim, guarantor {g}",
    "{g}_expected_loss": "Expected loss (claims - recoveries), guarantor {g}",
    "{g}_loss_p99": "P99 loss (claims - recoveries), guarantor {g}",
    "lender_expected_loss_after_cover": "Lenders' expected loss after cover",
    "guarantee_claims_{stat}": "Guarantee claims, all guarantors ({stat})",
    "p_guarantee_claim": "Probability of a guarantee claim",
    "p_{stem}_loss": "Probability of a loss, {stem}",
    "{stem}_expected_loss": "Expected loss, {stem}",
    "paths": "Paths simulated",
}
"""The workbook (Risk sheet) and JSON label of each :data:`SIMULATE` pattern; the placeholders take the key's
parts (``d1_lgd`` -> ``Loss given default, facility d1``). ``tests/test_docs.py`` keeps the two registries equal."""

_PART_WORDS = {"p": lambda v: "senior debt" if v == "senior" else f"facility {v}", "g": lambda v: v}

_TOKENS = {
    "q": r"\d+",
    "p": r"senior|d\d+",
    "g": r"g\d+",
    "kind": r"payment|political",
    "stat": r"expected|p99",
    "share": r"\w+",
    "stem": r"\w+",
}


def _regex(pattern: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", pattern)
    body = "".join(re.escape(s) if i % 2 == 0 else f"(?:{_TOKENS[s]})" for i, s in enumerate(parts))
    return re.compile(f"^{body}$")


_COMPILED = [(pat, _regex(pat)) for pat in SIMULATE]


def simulate_pattern(key: str) -> str | None:
    """The :data:`SIMULATE` pattern of a Monte Carlo metric key (``d2_loss_p99`` -> ``{p}_loss_p99``).

    Examples
    --------
    >>> simulate_pattern("d2_loss_p99"), simulate_pattern("cdr_10y_political"), simulate_pattern("equity_irr_p5")
    ('{p}_loss_p99', 'cdr_{q}y_{kind}', 'equity_irr_p{q}')
    """
    for pat, rx in _COMPILED:
        if rx.match(key):
            return pat
    return None


def simulate_definitions(keys) -> dict[str, str]:
    """``{pattern: definition}`` of the patterns the keys use (the simulate JSON's ``definitions``), after
    :data:`SIMULATE_TERMS`."""
    used = dict.fromkeys(p for p in map(simulate_pattern, keys) if p)
    return {**SIMULATE_TERMS, **{p: SIMULATE[p][0] for p in used}}


def simulate_definition(key: str) -> str:
    """The definition of one Monte Carlo metric key ('' when no pattern matches)."""
    pat = simulate_pattern(key)
    return SIMULATE[pat][0] if pat else ""


def simulate_label(key: str) -> str:
    """The label of one Monte Carlo metric key, from :data:`SIMULATE_LABELS` ('' when no pattern matches).

    Examples
    --------
    >>> simulate_label("cdr_10y"), simulate_label("d2_lgd"), simulate_label("senior_expected_loss")
    ('Cumulative default rate, 10 years', 'Loss given default, facility d2', 'Expected loss at default, senior debt')
    """
    pat = simulate_pattern(key)
    if pat is None:
        return ""
    if pat == "{share}_se":
        stem = key[: -len("_se")]
        return f"Standard error of: {simulate_label(stem) or stem}"
    names = re.findall(r"\{(\w+)\}", pat)
    m = _COMPILED_GROUPS[pat].match(key)
    parts = {n: _PART_WORDS.get(n, lambda v: v)(v) for n, v in zip(names, m.groups(), strict=True)}
    return SIMULATE_LABELS[pat].format(**parts)


def _groups(pattern: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", pattern)
    body = "".join(re.escape(s) if i % 2 == 0 else f"({_TOKENS[s]})" for i, s in enumerate(parts))
    return re.compile(f"^{body}$")


_COMPILED_GROUPS = {pat: _groups(pat) for pat in SIMULATE}
