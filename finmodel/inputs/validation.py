"""Loading a scenario: the file read once, the schema stage, then the policy stage; cases; new files.

Every scenario the engine runs comes through :func:`scenario_from_dict` (a file through
:func:`load_scenario`, a case through :func:`case_scenario`), which runs both stages and reports every
problem of both at once:

1. the schema (:mod:`finmodel.schema`): types, required keys, structural rules between fields;
2. the policy rules (:mod:`finmodel.inputs.policy`): the country, EDCF / EDPF eligibility, cover rules.

Problems are ``(field path, message)`` pairs raised as one :class:`finmodel.errors.InputError` (exit code 2);
for a file, list items are named by their ``name`` and each message ends with the YAML line.

Provenance
----------
A loaded scenario carries where it came from as read-only properties backed by pydantic private
attributes: :attr:`Scenario.source` (the file path as given, or ``"<default>"``),
:attr:`Scenario.sha256` (of the file's bytes) and :attr:`Scenario.case` (the case applied, ``"base"``
for none). Private attributes survive ``model_copy`` and are not part of the schema or of
``model_dump``.

Examples
--------
>>> from finmodel.inputs.validation import load_scenario
>>> s = load_scenario()
>>> s.project.country, s.timeline.periods_per_year, s.source
('MYS', 2, '<default>')
>>> s.case_names()
['base', 'downside', 'capex_overrun']
>>> load_scenario(case="downside").drivers.revenue_factor
0.85
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from pathlib import Path

from finmodel import readfile
from finmodel.errors import InputError
from finmodel.inputs.policy import policy_problems
from finmodel.schema import reading
from finmodel.schema.cases import apply_case
from finmodel.schema.errors import dedupe, locate, schema_problems
from finmodel.schema.project import Scenario
from finmodel.schema.templates import DEFAULT_TEMPLATE, template_text
from finmodel.schema.types import BASE_CASE

__all__ = ["case_scenario", "load_scenario", "new_scenario_file", "scenario_from_dict", "validate_file"]


def scenario_from_dict(
    raw: Mapping,
    source: str = "",
    *,
    sha256: str | None = None,
    case: str = BASE_CASE,
) -> Scenario:
    """Validate a raw scenario mapping into a :class:`Scenario`; no case is applied.

    Parameters
    ----------
    raw : Mapping
        The scenario as read from YAML.
    source : str
        Where it came from, for messages and provenance.
    sha256, case : optional
        Provenance recorded on the result.

    Raises
    ------
    InputError
        With every problem found: schema problems, :func:`finmodel.schema.check_rules` problems, then
        :func:`finmodel.inputs.policy.policy_problems`.
    """
    if isinstance(raw, Mapping) and "projects" in raw and "project" not in raw:
        raise InputError(
            [
                (
                    "",
                    "expected a project scenario, found a fund portfolio file (it has 'projects'): "
                    "run it with `finmodel fund` or `finmodel compare`",
                )
            ],
            source=source,
        )
    readfile.check_text(raw, source or None)
    scenario, problems = schema_problems(raw)  # stage 1: the schema and its structural rules
    problems = dedupe([*problems, *policy_problems(raw)])  # stage 2: the policy rules
    if problems:
        raise InputError(problems, source=source or None)
    assert scenario is not None  # noqa: S101 (no problems means validation succeeded)
    scenario._policy_checked = True
    scenario._source = source
    scenario._sha256 = sha256
    scenario._case = case
    scenario._raw = copy.deepcopy(dict(raw))
    return scenario


def case_scenario_from_raw(raw: Mapping, case_name: str, source: str, sha256: str | None) -> Scenario:
    try:
        changed = apply_case(raw, case_name)
    except InputError as exc:
        raise InputError(exc.problems, source=source) from None
    try:
        return scenario_from_dict(changed, source, sha256=sha256, case=case_name)
    except InputError as exc:
        prefixed = [(f"cases.{case_name}: {p}" if p else f"cases.{case_name}", m) for p, m in exc.problems]
        raise InputError(prefixed, source=source) from None


def load_scenario(path: str | Path | None = None, case: str | None = None) -> Scenario:
    """Load, validate and (optionally) apply a case to a scenario file.

    Parameters
    ----------
    path : str or Path, optional
        Scenario YAML file; None = the embedded default scenario (``source == "<default>"``).
    case : str, optional
        Case to apply; None or ``"base"`` = no changes.

    Returns
    -------
    Scenario
        With ``source``, ``sha256`` (of the file's bytes) and ``case`` set.

    Raises
    ------
    ScenarioFileError
        Unreadable file, invalid YAML, or not a mapping.
    InputError
        Every problem of the base scenario; or, for a case, every problem of the changed scenario
        with field paths prefixed ``cases.<name>: ``.
    """
    data, source = reading.read(path)
    raw = reading.parse(data, source)
    digest = hashlib.sha256(data).hexdigest()
    try:
        base = scenario_from_dict(raw, source, sha256=digest)
        if case is None or case == BASE_CASE:
            return base
        return case_scenario_from_raw(raw, case, source, digest)
    except InputError as exc:
        raise InputError(locate(exc.problems, raw, data), source=exc.source) from None


def case_scenario(base: Scenario, case: str | None) -> Scenario:
    """The scenario of ``case`` built from an already loaded base scenario, without reading its file again.

    Provenance (``source``, ``sha256``) is the base's: the case comes from the same bytes.

    Raises
    ------
    InputError
        Unknown case name (listing the available cases), or every problem of the changed scenario with
        field paths prefixed ``cases.<name>: ``; also when ``base`` is itself a case or was not built by
        :func:`scenario_from_dict` (no mapping to apply the case to).
    """
    if case is None or case == BASE_CASE:
        return base
    if base.case != BASE_CASE or base._raw is None:
        found = f"case {base.case!r}" if base.case != BASE_CASE else "a scenario built otherwise"
        raise InputError(
            [("cases", f"expected a base scenario (file or mapping) to apply case {case!r} to, found {found}")],
            source=base.source or None,
        )
    return case_scenario_from_raw(base._raw, case, base.source, base.sha256)


def validate_file(path: str | Path | None = None, read: tuple[bytes, str] | None = None) -> Scenario:
    """Check a scenario file and every one of its cases; return the base scenario.

    ``read``: the file's ``(bytes, source name)`` as already read (:func:`finmodel.schema.reading.read`); the
    file is then not read again.

    Raises
    ------
    InputError
        With every problem of the base scenario, or if the base is valid, of every case
        (prefixed ``cases.<name>: ``).
    """
    data, source = read or reading.read(path)
    raw = reading.parse(data, source)
    digest = hashlib.sha256(data).hexdigest()
    try:
        base = scenario_from_dict(raw, source, sha256=digest)
    except InputError as exc:
        raise InputError(locate(exc.problems, raw, data), source=exc.source) from None
    problems: list[tuple[str, str]] = []
    for name in base.cases:
        try:
            case_scenario_from_raw(raw, name, source, digest)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(locate(problems, raw, data), source=source)
    return base


def new_scenario_file(name: str | Path, template: str = DEFAULT_TEMPLATE, *, force: bool = False) -> Path:
    """Write a new scenario file ``NAME.yaml`` from a template, with NAME as its project name; return its path.

    ``name`` may already end in ``.yaml`` or ``.yml`` and may hold folders; the project name is the file name
    without its ending. The new file is validated before it is written (temporary file, then rename), so an
    existing file is never left half-written and the file runs as created.

    Raises
    ------
    InputError
        Unknown template, a name the scenario refuses as a project name, or the file exists and ``force`` is
        false.
    """
    from finmodel.files import atomic_write, check_file_name

    path = check_file_name(name)
    if path.suffix.lower() not in (".yaml", ".yml"):
        path = check_file_name(path.with_name(path.name + ".yaml"))
    text = template_text(template, path.name[: -len(path.suffix)])
    try:
        scenario_from_dict(reading.parse(text.encode("utf-8"), str(path)), str(path))
    except InputError as exc:
        raise InputError([("NAME" if p == "project.name" else p, m) for p, m in exc.problems]) from None
    if (path.exists() or path.is_symlink()) and not force:  # a dangling symlink at the name counts too
        raise InputError([("", f"expected a new file name, found existing {path} (use --force to overwrite)")])
    if not path.parent.is_dir():
        raise InputError([("", f"expected an existing directory, found no directory {path.parent}")])
    data = text.encode("utf-8")
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
