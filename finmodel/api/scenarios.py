"""Scenarios in and out: load (a file, a mapping, the embedded default or an edited workbook), validate, the
schema, a new scenario from a template, the country table, warnings, export of an edited workbook."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from finmodel.errors import InputError
from finmodel.files import check_output_path

DICT_SOURCE = "<dict>"
"""``Scenario.source`` of a scenario given as a mapping rather than a file."""


def load(source=None):
    """Read and validate a scenario once.

    Parameters
    ----------
    source : str, Path, Mapping or None
        A scenario YAML file; a mapping shaped like one (as ``yaml.safe_load`` returns it); or None for the
        embedded default scenario (Kota Kinabalu).

    Returns
    -------
    finmodel.schema.Scenario
        Immutable and fully validated, with ``source`` (the path as given, ``"<default>"`` or ``"<dict>"``)
        and ``sha256``: of the file's bytes; for a mapping, of its canonical JSON (sorted keys, dates as ISO
        text). Cases are applied from it without reading the file again (:func:`run`).

    Raises
    ------
    finmodel.errors.InputError
        Every problem of the file, each with its field path (a ``ScenarioFileError`` for an unreadable
        file or bad YAML).

    Examples
    --------
    >>> import finmodel
    >>> sc = finmodel.load()
    >>> sc.source, sc.project.currency, sc.timeline.periods_per_year
    ('<default>', 'USD', 2)
    >>> sc.case_names()
    ['base', 'downside', 'capex_overrun']
    >>> from finmodel.schema import load_raw
    >>> raw = load_raw()                      # the default scenario as a plain mapping
    >>> finmodel.load(raw).source
    '<dict>'
    >>> raw["equity_discount_rate"] = 12      # 12 where 0.12 is meant
    >>> finmodel.load(raw)
    Traceback (most recent call last):
    ...
    finmodel.errors.InputError: <dict>: equity_discount_rate: expected a decimal such as 0.08, found 12
    """
    from finmodel.api import workbook_source
    from finmodel.inputs import validation
    from finmodel.schema import Scenario

    if isinstance(source, Scenario):
        return source
    if workbook_source.is_workbook(source):  # a workbook finmodel wrote, with the analyst's edits
        return workbook_source.from_workbook(source).base
    if isinstance(source, Mapping):
        text = json.dumps(source, sort_keys=True, default=str, ensure_ascii=False)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return validation.scenario_from_dict(source, DICT_SOURCE, sha256=digest)
    return validation.load_scenario(source)


ALL_CASES = "all"
"""``cases=["all"]`` (``--case all``): the base case and every case of the scenario, in file order."""


def case_names(scenario=None) -> list[tuple[str, str]]:
    """``(name, description)`` of every case of a scenario, the base case first."""
    sc = load(scenario)
    return [("base", "the scenario as written")] + [(n, c.description or "") for n, c in sc.cases.items()]


def _same_file(out_path, source) -> bool:
    if source is None or isinstance(source, Mapping) or not isinstance(source, (str, Path)):
        return False
    try:
        return Path(out_path).resolve() == Path(source).resolve() or (
            Path(out_path).exists() and Path(out_path).samefile(source)
        )
    except OSError:
        return False


def export(workbook_path, scenario_out) -> tuple[Path, list]:
    """Write the scenario behind a (possibly edited) finmodel workbook as YAML.

    Returns the path written and the edits found against the scenario embedded in the workbook (each a
    :class:`finmodel.api.workbook_source.Change`: path, old, new). With no edit the file written is the scenario the
    workbook was built from, byte for byte.
    """
    from finmodel.api import workbook_source
    from finmodel.files import atomic_write

    out = Path(scenario_out)
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise InputError([("--output", f"expected a .yaml file name, found {str(scenario_out)!r}")])
    if out.is_dir():
        raise InputError([("--output", f"expected a file name, found the folder {str(scenario_out)!r}")])
    if not workbook_source.is_workbook(workbook_path):
        raise InputError(
            [("WORKBOOK", f"expected an .xlsx workbook written by finmodel, found {str(workbook_path)!r}")]
        )
    src = workbook_source.from_workbook(workbook_path)

    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(src.text)

    return atomic_write(out, write), src.changes


def validate(path):
    """Validate a scenario file (and every case in it), a fund portfolio file (and its projects), or a programme
    file (and its candidates' scenarios).

    The file is read once: its bytes decide which kind it is and are the ones validated.

    Returns the base Scenario, or None for a portfolio or programme; raises InputError with every problem."""
    import hashlib

    from finmodel.inputs.validation import validate_file
    from finmodel.schema import reading

    data, source = reading.read(path)
    raw = reading.parse(data, source)
    if "projects" in raw and "project" not in raw:
        from finmodel.funds import portfolio, schema

        read = (schema.validate_dict(raw, source), source, hashlib.sha256(data).hexdigest())
        portfolio.load(path, read=read)
        return None
    if "pipeline" in raw and "project" not in raw:
        from finmodel.funds import programme
        from finmodel.funds import programme_schema as ps

        read = (ps.validate_dict(raw, source), source, hashlib.sha256(data).hexdigest())
        programme.load(path, read=read)
        return None
    return validate_file(path, read=(data, source))


def scenario_schema(fmt: str = "json"):
    """The scenario file's schema: ``"json"``, a JSON Schema (dict); ``"markdown"``, the field reference
    (``docs/scenario-reference.md``, str). ``finmodel schema [--format markdown]``.

    Examples
    --------
    >>> import finmodel
    >>> sorted(finmodel.scenario_schema()["properties"])[:3]
    ['base_rates', 'blending', 'capex']
    """
    if fmt == "markdown":
        from finmodel.outputs.docs import schema_markdown

        return schema_markdown()
    if fmt != "json":
        raise InputError([("--format", f"expected json or markdown, found {fmt!r}")])
    from finmodel.schema import Scenario

    return Scenario.model_json_schema()


def new_scenario(name, template: str | None = None, *, force: bool = False) -> Path:
    """Write ``NAME.yaml``, a new scenario file from a template with NAME as its project name; return its path.

    ``template``: ``umic-availability-ppp`` (default), ``lmic-edcf-koica`` or ``high-risk-ksure``; each has a
    ``risk:`` block and runs as created. The file is validated before it is written (temporary file, then
    rename); an existing file is refused unless ``force``. ``finmodel new``.
    """
    from finmodel.inputs.validation import new_scenario_file

    if template is None:
        from finmodel.schema.templates import DEFAULT_TEMPLATE

        template = DEFAULT_TEMPLATE
    return new_scenario_file(name, template, force=force)


def countries(*, json_path=None):
    """The country table: ISO code, name, World Bank income group, OECD country risk category, UN LDC status
    and DAC list group, each value with the list it comes from, that list's date and a confidence code
    (``finmodel/data/countries.yaml``). ``finmodel countries [--json PATH]``.

    Returns a :class:`finmodel.inputs.countries.CountryTable` (``.rows()``, ``.table``: the pandas view, ``.to_json()``,
    ``.written``: the files written). ``finmodel.countries()`` is this function.

    Examples
    --------
    >>> import finmodel
    >>> tab = finmodel.api.countries()
    >>> tab.rows()[0]["income_group"]["date"], tab.table.loc["KEN", "oecd_risk_category_date"]
    ('2025-07-01', '2022-07')
    """
    import dataclasses

    from finmodel.inputs.countries import country_table
    from finmodel.outputs import contract

    js = check_output_path(json_path, ".json", "--json")
    tab = country_table()
    if js is not None:
        tab = dataclasses.replace(tab, written=(contract.write_json(tab.to_json(), js),))
    return tab


def warnings(scenario) -> list[dict]:
    """The warnings of a loaded scenario: ``{"kind", "field", "message"}`` each, ``kind`` ``"eligibility"`` (a
    policy exception the plan allows, a benefit left unused) or ``"plausibility"`` (a legal but unusual value).
    """
    from finmodel.inputs import plausibility
    from finmodel.inputs.findings import warnings_for

    sc = load(scenario)
    out = [{"kind": "eligibility", "field": w.field_path, "message": w.message} for w in warnings_for(sc)]
    out += [{"kind": "plausibility", "field": f, "message": m} for f, m in plausibility.scenario_warnings(sc)]
    return out
