"""The library's public entry points, for notebooks and for the command line (which is built on them).

``import finmodel`` exposes them lazily: :func:`load`, :func:`run`, :func:`simulate`, :func:`fund` and
:func:`compare`. Each reads and validates its inputs once; provenance (``scenario.sha256``) comes from the
bytes that were read. No printing. One module per command family: :mod:`~finmodel.api.scenarios` (load,
validate, schema, new, countries, export), :mod:`~finmodel.api.runs` (run, summary), :mod:`~finmodel.api.risk`
(simulate, sensitivity), :mod:`~finmodel.api.portfolio` (fund, compare, frontier, programme),
:mod:`~finmodel.api.structure` (solve), :mod:`~finmodel.api.grants` (grant-element),
:mod:`~finmodel.api.paper` (report: the credit paper); reading an edited workbook
back is :mod:`~finmodel.api.workbook_source`.

Examples
--------
>>> import finmodel
>>> sc = finmodel.load("scenarios/bolivia_santa_cruz.yaml")
>>> sc.project.country, sc.sha256 == finmodel.load(sc.source).sha256
('BOL', True)
>>> res = finmodel.run(sc, cases=["base", "downside"])
>>> list(res)
['base', 'downside']
>>> bool(res.metrics["equity_irr"] == res["base"].metrics["equity_irr"])  # the first case, directly
True
>>> res.cashflows.index[0].date(), res.cashflows.attrs["units"]["revenue"]
(datetime.date(2028, 6, 30), 'USD')
"""

from finmodel.api.grants import GE_OPTIONS, grant_element
from finmodel.api.paper import default_report_name, report
from finmodel.api.portfolio import compare, frontier, fund, programme
from finmodel.api.risk import sensitivity, simulate
from finmodel.api.runs import run, summary
from finmodel.api.scenarios import (
    ALL_CASES,
    DICT_SOURCE,
    case_names,
    countries,
    export,
    load,
    new_scenario,
    scenario_schema,
    validate,
    warnings,
)
from finmodel.api.structure import solve
from finmodel.errors import InputError
from finmodel.outputs.results import integrity_failures

__all__ = [
    "ALL_CASES",
    "DICT_SOURCE",
    "GE_OPTIONS",
    "InputError",
    "case_names",
    "compare",
    "countries",
    "default_report_name",
    "export",
    "frontier",
    "fund",
    "grant_element",
    "integrity_failures",
    "load",
    "new_scenario",
    "programme",
    "report",
    "run",
    "scenario_schema",
    "sensitivity",
    "simulate",
    "solve",
    "summary",
    "validate",
    "warnings",
]
