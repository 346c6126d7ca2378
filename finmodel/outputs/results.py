"""Results as pandas objects: what :func:`finmodel.run` and :func:`finmodel.grant_element` return (and, through
:class:`finmodel.funds.frames.FundFrames`, :func:`finmodel.fund` and :func:`finmodel.compare`).

The engine evaluates rows into numpy arrays shaped (paths, periods) (:class:`finmodel.model.engine.CaseResult`);
this module turns one path of them into tables a notebook user reads:

- ``cashflows``: a DataFrame indexed by period-end dates (``period_end``), one column per period row of the
  model, in the model's order. ``cashflows.attrs`` holds, per column, ``labels``, ``units``, ``formats`` and
  ``kinds`` (see :func:`row_kind`), and the ``currency``.
- ``annual``: the roll-up by model year (years counted from the start date), indexed by the year's last
  period-end date: flows are summed, balances taken at the year end, opening balances at the year start,
  ratios at their minimum in the year, flags at their maximum (1 if any period is flagged), counters and
  dates at the year end.
- ``metrics``: a Series of the scalar results (the JSON ``metrics``; NaN where the model has none, e.g. an
  IRR with no root).
- ``checks``: a Series of booleans (the workbook's Checks sheet; ``master_check`` last).

Units: amounts in the scenario's currency (the fund: KRW); rates and shares decimals; ratios in times.

pandas is imported on first use of a table, so the command line (which reads none) does not pay for it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from finmodel.conventions import serials_to_datetime64
from finmodel.files import check_output_path
from finmodel.rows.kinds import ROLLUP, row_kind, row_kinds  # noqa: F401 (row_kind: part of this module's API)

if TYPE_CHECKING:
    import pandas as pd

# row kinds and the annual roll-up rule live in finmodel.rows.kinds (the workbook's Annual sheet uses them too)


def _dates(serials) -> pd.DatetimeIndex:
    """Excel date serials (days since the Excel epoch, 1899-12-30) as a DatetimeIndex."""
    import pandas as pd

    return pd.DatetimeIndex(serials_to_datetime64(serials))


@dataclasses.dataclass
class ModelFrames:
    """The pandas view of one evaluated model (an engine ``CaseResult`` or a fund ``FundResult``), path 0."""

    raw: object  # engine.CaseResult | fund.model.FundResult: .model, .values, .metrics(), .checks()
    currency: str

    @property
    def case(self) -> str:
        """The case name (the fund: ``"<structure> | <portfolio case>"``)."""
        return self.raw.case

    @property
    def cashflows(self) -> pd.DataFrame:
        """Every period row, indexed by period-end date [currency; decimals; times]; metadata in ``attrs``."""
        import pandas as pd

        m, v = self.raw.model, self.raw.values
        names = [n for n, r in m.rows.items() if not r.scalar]
        cols = {n: np.asarray(v[n][0], dtype=float) for n in names}
        for n in names:
            if m.rows[n].fmt == "date":
                cols[n] = _dates(cols[n])
        df = pd.DataFrame(cols, index=_dates(v["period_end"][0]))
        df.index.name = "period_end"
        df.attrs = {
            "currency": self.currency,
            "case": self.case,
            "labels": {n: m.rows[n].label for n in names},
            "units": {n: m.rows[n].unit for n in names},
            "formats": {n: m.rows[n].fmt for n in names},
            "kinds": row_kinds(m),
        }
        return df

    @property
    def annual(self) -> pd.DataFrame:
        """The roll-up by model year (:data:`ROLLUP` by :func:`row_kind`), indexed by the year's last period end."""
        import pandas as pd

        cf = self.cashflows
        per_year = int(self.raw.model.inputs["in_periods_per_year"].value[0, 0])
        year = (np.arange(len(cf)) // per_year) + 1
        groups = cf.groupby(year)
        kinds = cf.attrs["kinds"]
        out = pd.DataFrame({n: groups[n].agg(ROLLUP[kinds[n]]) for n in cf.columns})
        out.index = pd.DatetimeIndex(groups.apply(lambda g: g.index[-1]))
        out.index.name = "year_end"
        out.attrs = {**cf.attrs, "model_year": list(range(1, len(out) + 1))}
        return out

    @property
    def metrics(self) -> pd.Series:
        """Scalar results (NaN where there is none, e.g. an IRR with no root); units in ``attrs["units"]``."""
        import pandas as pd

        m = self.raw.model
        vals = self.raw.metrics()
        s = pd.Series({k: (math.nan if x is None else x) for k, x in vals.items()}, dtype=float, name=self.case)
        s.attrs = {"units": {k: m.rows[k].unit for k in vals}, "labels": {k: m.rows[k].label for k in vals}}
        return s

    @property
    def checks(self) -> pd.Series:
        """Every check (True = OK), ``master_check`` last."""
        import pandas as pd

        return pd.Series(self.raw.checks(), dtype=bool, name=self.case)


@dataclasses.dataclass
class CaseRun(ModelFrames):
    """One case of a project run: ``cashflows``, ``annual``, ``metrics``, ``checks`` (see the module)."""

    @property
    def solved(self) -> dict[str, float]:
        """What the engine solved for this case (debt commitments, funding split) [currency or fraction]."""
        return {k: float(np.asarray(x)[0, 0]) for k, x in self.raw.solved.items() if np.asarray(x).shape[-1] == 1}


class Result:
    """A deterministic run of one or more cases of a scenario (what :func:`finmodel.run` returns).

    ``result["downside"]`` (or ``result.cases``) gives each :class:`CaseRun`; ``cashflows``, ``annual``,
    ``metrics`` and ``checks`` are those of the first case (the live one in the workbook); ``summary`` puts
    every case's metrics side by side.

    Attributes
    ----------
    scenario : finmodel.schema.Scenario
        The base scenario, read and validated once (``scenario.source``, ``scenario.sha256``).
    results : list of finmodel.model.engine.CaseResult
        The engine's results (numpy arrays shaped (paths, periods)), one per case.
    written : list of Path
        Files written so far by :meth:`to_excel` / :meth:`to_json` (or the ``workbook`` / ``json_path`` options).
    """

    def __init__(self, scenario, results, written=None):
        self.scenario = scenario
        self.results = list(results)
        self.written: list[Path] = list(written or [])
        cur = scenario.project.currency
        self.cases: dict[str, CaseRun] = {r.case: CaseRun(r, cur) for r in self.results}

    def __getitem__(self, case: str) -> CaseRun:
        return self.cases[case]

    def __iter__(self):
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)

    def __repr__(self) -> str:
        return f"<finmodel.Result {self.scenario.project.name!r}: cases {', '.join(self.cases)}>"

    @property
    def first(self) -> CaseRun:
        return self.cases[self.results[0].case]

    @property
    def cashflows(self) -> pd.DataFrame:
        """The first case's :attr:`CaseRun.cashflows`."""

        return self.first.cashflows

    @property
    def annual(self) -> pd.DataFrame:
        """The first case's :attr:`CaseRun.annual`."""

        return self.first.annual

    @property
    def metrics(self) -> pd.Series:
        """The first case's :attr:`CaseRun.metrics`."""

        return self.first.metrics

    @property
    def checks(self) -> pd.Series:
        """The first case's :attr:`CaseRun.checks`."""

        return self.first.checks

    @property
    def summary(self) -> pd.DataFrame:
        """Every case's metrics side by side: one row per metric, one column per case."""
        import pandas as pd

        return pd.DataFrame({c: r.metrics for c, r in self.cases.items()})

    @functools.cached_property
    def warnings(self) -> list[dict]:
        """Eligibility and plausibility warnings of the run: ``{"kind", "field", "message"}`` (in the JSON too)."""
        from finmodel.outputs import contract

        return contract.run_warnings(self.scenario, self.results)

    def json(self) -> dict:
        """The JSON output contract (one case: the case object; several: ``{"cases": [...]}``), with
        ``metric_info`` (label and unit of every metric) and ``warnings``."""
        from finmodel.outputs import contract

        return contract.run_json(self.results, self.scenario, self.warnings)

    def to_json(self, path) -> Path | None:
        """Write :meth:`json` to ``path`` (``.json``; ``-``: standard output, returns None), atomically; returns
        the path."""
        from finmodel.outputs import contract

        p = check_output_path(path, ".json", "--json")
        written = contract.write_json(self.json(), p)
        if written is not None:
            self.written.append(written)
        return written

    def to_excel(self, path, extra=None) -> Path:
        """Write the live workbook (first case live, every case on the Cases sheet) to ``path`` (``.xlsx``);
        ``extra(wb, lay, live)`` adds a sheet of its own (:func:`finmodel.workbook.writer.write_workbook`)."""
        from finmodel.model.engine import every_case
        from finmodel.workbook import writer

        p = check_output_path(path, ".xlsx", "--output")
        prov = writer.provenance(self.scenario, self.results[0].case)
        self.written.append(
            writer.write_scenario_workbook(
                self.scenario,
                self.results,
                p,
                every=every_case(self.scenario, self.results),
                provenance=prov,
                scenario_text=getattr(self, "scenario_text", None),
                extra=extra,
            )
        )
        return self.written[-1]


class GrantElementResult:
    """Grant elements of loan terms or of a scenario's facilities (what :func:`finmodel.grant_element` returns).

    Attributes
    ----------
    report : finmodel.inputs.grant_element.GrantElementReport or
    finmodel.outputs.grant_report.ScenarioGrantElementReport
        The report as the library computes it (loan terms / a scenario).
    written : list of Path
        Files written by :meth:`to_json` (or the ``json_path`` option).
    """

    def __init__(self, report, written=None):
        self.report = report
        self.written: list[Path] = list(written or [])

    @property
    def is_scenario(self) -> bool:
        """True for a scenario's facilities, False for loan terms."""
        return hasattr(self.report, "facilities")

    def contract_json(self) -> dict:
        """The JSON output contract (provenance, ``metrics``, ``checks``: the ODA and tied-aid verdicts)."""
        from finmodel.outputs import grant_report

        return self.report.contract_json() if self.is_scenario else grant_report.terms_json(self.report)

    @property
    def metrics(self) -> pd.Series:
        """The JSON's metrics [fractions]: for loan terms the grant element by the DAC closed form and by the
        cash-flow PV, the discount rate and the threshold; for a scenario its Blending metrics."""
        import pandas as pd

        m = self.contract_json()["metrics"]
        return pd.Series({k: (math.nan if v is None else v) for k, v in m.items()}, dtype=float)

    @property
    def checks(self) -> pd.Series:
        """The verdicts (booleans): ``threshold_met`` for loan terms; ``<facility>_oda_test`` and
        ``<facility>_helsinki_test`` where a test applies, for a scenario."""
        import pandas as pd

        return pd.Series(self.contract_json()["checks"], dtype=bool)

    @property
    def grant_elements(self) -> pd.DataFrame:
        """One row per loan (loan terms: ``loan``; a scenario: each facility by name, then ``package``): kind,
        amount drawn [currency], tied, grant element [fraction] (a scenario: also all-in, with fees), discount
        rate [fraction per year], and the ODA and Helsinki verdicts (grant element, threshold, passes; None
        where a test does not apply)."""
        import pandas as pd

        r = self.report
        if not self.is_scenario:
            row = {
                "kind": "loan",
                "grant_element": r.grant_element_closed_form,
                "grant_element_cash_flows": r.grant_element_cash_flows,
                "discount_rate": r.discount_rate,
                "threshold": r.threshold,
                "passes": r.passes,
            }
            return pd.DataFrame([row], index=pd.Index(["loan"], name="loan"))
        rows = {}
        for f in [*r.facilities, r.package]:
            rows[f.name] = {
                "kind": f.kind,
                "amount": f.amount,
                "tied": f.tied,
                "concessional": f.concessional,
                "grant_element": f.grant_element,
                "grant_element_all_in": f.grant_element_all_in,
                "discount_rate": r.discount_rate,
                **{
                    f"{test}_{k}": (getattr(v, k) if v.applies else None)
                    for test, v in (("oda", f.oda), ("helsinki", f.helsinki))
                    for k in ("grant_element", "threshold", "passes")
                },
            }
        df = pd.DataFrame.from_dict(rows, orient="index")
        df.index.name = "facility"
        return df

    @property
    def warnings(self) -> list[str]:
        """Eligibility warnings of the scenario (``field path: message``); none for loan terms."""
        return list(getattr(self.report, "warnings", []))

    def lines(self) -> list[str]:
        """The terminal lines of ``finmodel grant-element``."""
        from finmodel.outputs import grant_report

        r = self.report
        if self.is_scenario:
            return r.lines()
        return grant_report.terms_lines(
            r, r.annual_rate, r.maturity_years, r.grace_years, r.repayment, r.periods_per_year
        )

    def to_json(self, path) -> Path:
        """Write :meth:`contract_json` to ``path`` (``-``: standard output)."""
        from finmodel.outputs import contract

        p = check_output_path(path, ".json", "--json")
        written = contract.write_json(self.contract_json(), p)
        if written is not None:  # None: standard output
            self.written.append(written)
        return written


def integrity_failures(results) -> list[str]:
    """One line per case whose integrity checks fail: the case and each failed check's name and label.

    Every check on the Checks sheet is an integrity check (sources = uses, cash conserved, balances repaid
    unless in default and never negative, DSRA never negative, commitments drawn, debt sized as solved): a
    failure means the model cannot be trusted, not that the project is weak. Covenant breaches and payment
    defaults are results (rows and metrics), never checks.
    """
    lines = []
    for r in results:
        failed = [n for n, ok in r.checks().items() if not ok and n != "master_check"]
        if failed:
            names = "; ".join(f"{n} ({r.model.rows[n].label})" for n in failed)
            lines.append(f"case {r.case}: {names}")
    return lines
