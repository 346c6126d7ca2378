"""``finmodel grant-element SCENARIO``: the grant elements of a scenario's modelled facilities and of the
package, with the DAC ODA and Helsinki tied-aid verdicts.

It runs the engine, so it sits above it, beside :mod:`finmodel.api` (not in the ``blending`` package, whose
rows the engine builds).

The engine runs the scenario (one case); the grant elements are the Blending sheet's rows
(:mod:`finmodel.model.blending`), re-evaluated with the input ``in_ge_discount_rate`` set to each rate a
test needs (the model is evaluated again with the case's solved financing: nothing is re-sized):

- the headline rate of the method (``blending.method`` or ``--method``);
- the DAC 2018 rate of the country's income group, for the ODA verdict (grant element >= 45 / 15 / 10 %);
  a high-income country is not an ODA recipient: no verdict;
- the differentiated discount rate (DDR) from the CIRR (``blending.cirr`` or ``--cirr``), for the Helsinki
  verdict of tied facilities (EDCF) and of the package (the Arrangement measures the concessionality of
  associated financing, aid plus export credit, as a whole): at least 35 % (50 % for LDCs; 80 % above the
  LMIC ceiling), and the project must be commercially non-viable outside LDCs.

Examples
--------
>>> from finmodel.outputs.grant_report import scenario_report
>>> rep = scenario_report(None)
>>> rep.method, rep.discount_rate
('dac2018', 0.06)
>>> [round(f.grant_element, 4) for f in rep.facilities]
[0.2615, 0.0705, -0.0054]
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from finmodel.conventions import RATE_TOLERANCE
from finmodel.errors import InputError
from finmodel.inputs.findings import facility_is_tied, ge_discount_rate, scenario_country, warnings_for
from finmodel.inputs.grant_element import differentiated_discount_rate, discount_rate_for, helsinki_min_concessionality

__all__ = ["Verdict", "FacilityGrantElement", "ScenarioGrantElementReport", "scenario_report"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one concessionality test.

    Attributes
    ----------
    test : str
        ``"DAC ODA loan test (2018)"`` or ``"Helsinki tied-aid minimum concessionality"``.
    applies : bool
        False where the test has nothing to say (untied facility, no CIRR, not an ODA recipient): see ``note``.
    discount_rate : float or None
        [fraction per year].
    grant_element : float or None
        At ``discount_rate`` [fraction].
    threshold : float or None
        Minimum [fraction].
    passes : bool or None
        None where the test does not apply.
    note : str
        Why not, or what else decided the verdict.
    """

    test: str
    applies: bool
    discount_rate: float | None = None
    grant_element: float | None = None
    threshold: float | None = None
    passes: bool | None = None
    note: str = ""


@dataclass(frozen=True)
class FacilityGrantElement:
    """One facility (or the package) of a scenario.

    Attributes
    ----------
    name, kind, prefix : str
        Facility name, kind and model prefix (``"d1"``; ``"package"`` for the package).
    amount : float
        Drawn [currency] (for the package: loans drawn + capital grants).
    tied, concessional : bool
        Tied aid (EDCF); flagged concessional on the Blending sheet.
    grant_element, grant_element_all_in : float or None
        At the method's rate [fraction]; the all-in one counts fees as debt service (None for the package).
    oda, helsinki : Verdict
    """

    name: str
    kind: str
    prefix: str
    amount: float
    tied: bool
    concessional: bool
    grant_element: float | None
    grant_element_all_in: float | None
    oda: Verdict
    helsinki: Verdict


@dataclass(frozen=True)
class ScenarioGrantElementReport:
    """Grant elements of a scenario's modelled facilities and of its package, with verdicts.

    ``metrics`` holds the Blending metrics of the run at the method's rate (``package_grant_element``,
    ``d{k}_grant_element``, ``wacd``, ...), ``warnings`` the messages of
    :func:`finmodel.inputs.findings.warnings_for`.
    """

    scenario: str
    scenario_sha256: str | None
    case: str
    country: str
    income_group: str
    method: str
    discount_rate: float
    basis: str
    source: str
    cirr: float | None
    facilities: list[FacilityGrantElement]
    package: FacilityGrantElement
    metrics: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return _clean(asdict(self))

    def contract_json(self) -> dict:
        """The output contract's JSON (provenance, metrics, checks: the ODA and tied-aid verdicts)."""
        from finmodel.version import __version__

        checks = {}
        for f in [*self.facilities, self.package]:
            for key, v in (("oda_test", f.oda), ("helsinki_test", f.helsinki)):
                if v.applies and v.passes is not None:
                    checks[f"{f.prefix}_{key}"] = v.passes
        body = self.to_dict()
        return {
            "finmodel_version": __version__,
            "command": "grant-element",
            "scenario": body.pop("scenario"),
            "scenario_sha256": body.pop("scenario_sha256"),
            "case": body.pop("case"),
            "metrics": body.pop("metrics"),
            "checks": checks,
            **body,
        }

    def lines(self) -> list[str]:
        """The terminal table: one line per facility and the package, with the verdicts and notes."""

        def pct(x):
            return "     n/a" if x is None else f"{x:8.2%}"

        def verdict(v):
            if not v.applies:
                return "n/a"
            return f"{'PASS' if v.passes else 'FAIL'} {pct(v.grant_element).strip()} (min {v.threshold:.0%})"

        out = [
            f"{self.scenario} (case {self.case}): {self.country} ({self.income_group}); grant element at "
            f"{self.discount_rate:.2%} ({self.method}: {self.basis}); CIRR {'n/a' if self.cirr is None else self.cirr}"
        ]
        rows = [("facility", "kind", "drawn", "GE", "GE all-in", "ODA (DAC)", "tied aid (Helsinki)")]
        for f in [*self.facilities, self.package]:
            rows.append(
                (
                    f.name,
                    f.kind + (" tied" if f.tied and f.kind != "package" else ""),
                    f"{f.amount:,.0f}",
                    pct(f.grant_element),
                    pct(f.grant_element_all_in),
                    verdict(f.oda),
                    verdict(f.helsinki),
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
            out.append("  " + "  ".join(cells))
        notes = sorted({v.note for f in [*self.facilities, self.package] for v in (f.oda, f.helsinki) if v.note})
        out += [f"  note: {n}" for n in notes]
        out.append(
            "  GE = 1 - PV(debt service) / PV(drawdowns) of the modelled schedule, fees excluded (all-in: "
            "fees included); package: facilities and capital grants, PV-weighted"
        )
        return out


def _clean(x):
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _num(a) -> float | None:
    x = float(np.asarray(a).reshape(-1)[0])
    return x if math.isfinite(x) else None


def _values_at(result, rate: float) -> dict:
    """The case's values with the grant-element discount rate set to ``rate`` (financing as solved)."""
    overrides = {**result.solved, "in_ge_discount_rate": np.array([[rate]])}
    return result.model.evaluate(overrides)


def scenario_report(
    path=None, case: str | None = None, *, method=None, discount_rate=None, cirr=None
) -> ScenarioGrantElementReport:
    """Run the scenario at ``path`` (None = the embedded default) and report its grant elements.

    Parameters
    ----------
    path : str, Path or Scenario, optional
        A scenario file (read once here) or an already loaded base scenario (not read again).
    case : str, optional
        Case to run (default base).
    method : {"dac2018", "imf", "ddr", "rate"}, optional
        Replaces ``blending.method``.
    discount_rate : float, optional
        [fraction per year] for method ``"rate"`` (given alone, implies it).
    cirr : float, optional
        [fraction per year]: replaces ``blending.cirr`` (DDR and Helsinki verdicts).

    Raises
    ------
    InputError
        Bad scenario or case; a method without the value it needs (``cirr`` for ddr, ``discount_rate`` for
        rate).
    """
    from finmodel.inputs.validation import case_scenario, load_scenario
    from finmodel.model import engine
    from finmodel.schema import Scenario

    case = case or "base"
    base = path if isinstance(path, Scenario) else load_scenario(path)  # the file read once
    sc = case_scenario(base, case)
    d, method_findings = ge_discount_rate(sc, method=method, discount_rate=discount_rate, cirr=cirr)
    cirr = sc.blending.cirr if cirr is None else cirr
    country = scenario_country(sc)
    result = engine.run_scenario(base, [case])[0]
    head = _values_at(result, d.rate)

    try:
        dac = discount_rate_for("dac2018", country)
    except InputError:
        dac = None
    at_dac = _values_at(result, dac.rate) if dac is not None else None
    ddr = float(differentiated_discount_rate(cirr)) if cirr is not None else None
    at_ddr = _values_at(result, ddr) if ddr is not None else None
    h_min = helsinki_min_concessionality(country)
    viable_bar = sc.project.commercially_viable and not country.ldc

    def oda(name):
        if dac is None:
            return Verdict(
                dac_test_name(), False, note=f"{country.iso3} is {country.income_group}: not an ODA recipient"
            )
        ge = _num(at_dac[name])
        return Verdict(
            dac.test,
            True,
            dac.rate,
            ge,
            dac.threshold,
            None if ge is None else bool(ge >= dac.threshold - RATE_TOLERANCE),
            note=dac.basis,
        )

    def helsinki(name, tied):
        test = "Helsinki tied-aid minimum concessionality"
        if not tied:
            return Verdict(test, False, note="untied: the tied-aid disciplines do not apply")
        if ddr is None:
            return Verdict(test, False, note="no CIRR (blending.cirr or --cirr): not tested")
        ge = _num(at_ddr[name])
        ok = None if ge is None else bool(ge >= h_min - RATE_TOLERANCE) and not viable_bar
        note = f"DDR from CIRR {cirr:.4f}"
        if viable_bar:
            note += "; commercially viable project outside an LDC: no tied aid (HELSINKI-COMMERCIAL-VIABILITY)"
        return Verdict(test, True, ddr, ge, h_min, ok, note=note)

    facilities = []
    for f in result.builder.facilities:
        fac = f.facility
        tied = facility_is_tied(fac)
        facilities.append(
            FacilityGrantElement(
                name=fac.name,
                kind=fac.kind,
                prefix=f.p,
                amount=float(np.nansum(head[f.n("draw")][0])),
                tied=tied,
                concessional=bool(head[f"in_{f.p}_concessional"][0, 0] > 0.5),
                grant_element=_num(head[f.n("grant_element")]),
                grant_element_all_in=_num(head[f.n("grant_element_all_in")]),
                oda=oda(f.n("grant_element")),
                helsinki=helsinki(f.n("grant_element"), tied),
            )
        )
    any_tied = any(x.tied for x in facilities)
    package = FacilityGrantElement(
        name="package",
        kind="package",
        prefix="package",
        amount=float(np.nansum(head["debt_draws"][0]) + np.nansum(head["grants"][0])),
        tied=any_tied,
        concessional=False,
        grant_element=_num(head["package_grant_element"]),
        grant_element_all_in=None,
        oda=oda("package_grant_element"),
        helsinki=helsinki("package_grant_element", any_tied),
    )
    findings = [w for w in warnings_for(sc) if w.rule != "GE-METHOD-HIC"] + method_findings
    metric_names = [n for n, r in result.model.rows.items() if r.sheet == "Outputs"]
    from finmodel.model.blending import metric_names as blending_metrics

    wanted = set(blending_metrics(result.builder)) & set(metric_names)
    metrics = {n: _num(head[n]) for n in metric_names if n in wanted}
    return ScenarioGrantElementReport(
        scenario=sc.source,
        scenario_sha256=sc.sha256,
        case=case,
        country=country.iso3,
        income_group=("LDC" if country.ldc else country.income_group),
        method=d.method,
        discount_rate=d.rate,
        basis=d.basis,
        source=d.source,
        cirr=cirr,
        facilities=facilities,
        package=package,
        metrics=metrics,
        warnings=[f"{w.field_path}: {w.message}" for w in findings],
    )


def dac_test_name() -> str:
    return "DAC ODA loan test (2018)"


def terms_json(report) -> dict:
    """The output contract's JSON for loan terms alone (a :class:`GrantElementReport`)."""
    from finmodel.version import __version__

    return {
        "finmodel_version": __version__,
        "command": "grant-element",
        **report.to_dict(),
        "metrics": {
            "grant_element_closed_form": report.grant_element_closed_form,
            "grant_element_cash_flows": report.grant_element_cash_flows,
            "discount_rate": report.discount_rate,
            "threshold": report.threshold,
        },
        "checks": {} if report.passes is None else {"threshold_met": report.passes},
    }


def terms_lines(report, annual_rate, maturity_years, grace_years, repayment, periods_per_year) -> list[str]:
    """The terminal lines for loan terms alone."""
    rows = [
        ("grant element, DAC closed form", f"{report.grant_element_closed_form:8.2%}"),
        ("grant element, cash-flow PV", f"{report.grant_element_cash_flows:8.2%}"),
        ("discount rate", f"{report.discount_rate:8.2%}  ({report.method}: {report.basis})"),
    ]
    if report.threshold is not None:
        verdict = "PASS" if report.passes else "FAIL"
        rows.append((f"threshold ({report.test})", f"{report.threshold:8.2%}  {verdict}"))
    width = max(len(label) for label, _ in rows)
    out = [
        f"loan: {annual_rate} a year, {maturity_years:g} years incl. {grace_years:g} grace, "
        f"{repayment}, {periods_per_year} payments a year" + (f", {report.country}" if report.country else "")
    ]
    out += [f"  {label:<{width}}  {value}" for label, value in rows]
    out.append(f"  grace convention: {report.grace_convention}")
    return out
