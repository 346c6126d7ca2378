"""Where a run's scenario comes from: a YAML file (or the embedded default), or an edited finmodel workbook.

:func:`load` gives a :class:`Source` either way: the validated base scenario, a way to apply each case, the YAML
text a workbook embeds, and, for a workbook, the analyst's edits found in it (see
:mod:`finmodel.workbook.read`). ``finmodel run EDITED.xlsx`` runs it like a scenario file (the financing is
solved again); ``finmodel export EDITED.xlsx -o SCENARIO.yaml`` writes :attr:`Source.text`.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import yaml

from finmodel.errors import InputError
from finmodel.inputs.validation import case_scenario, case_scenario_from_raw, scenario_from_dict
from finmodel.schema import BASE_CASE, reading
from finmodel.schema.cases import find_change_target
from finmodel.workbook import read as wr
from finmodel.workbook import scenario_paths as wi
from finmodel.workbook.read import scenario_text  # noqa: F401 (part of this module's API: the text a Source holds)


@dataclasses.dataclass
class Change:
    """One edit found in a workbook: the scenario path, the value before and after."""

    path: str
    old: object
    new: object

    def __str__(self) -> str:
        old = "(not set)" if self.old is ... else _show(self.old)
        return f"{self.path}: {old} -> {_show(self.new)}"


def _show(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:.10g}"
    return str(v)


@dataclasses.dataclass
class Source:
    base: object  # the validated base Scenario
    raw: dict
    text: str  # the scenario as YAML text (the file's own bytes when nothing was edited)
    cases: list[str] | None = None  # the cases to run by default (a workbook: its live case first)
    changes: list[Change] = dataclasses.field(default_factory=list)

    def load_case(self, name: str):
        return case_scenario(self.base, name)


def is_workbook(path) -> bool:
    return path is not None and Path(str(path)).suffix.lower() in (".xlsx", ".xlsm")


def load(path=None) -> Source:
    """The scenario of a YAML file (None = the embedded default) or of a finmodel workbook (``.xlsx``)."""
    if is_workbook(path):
        return from_workbook(path)
    data, source = reading.read(path)
    raw = reading.parse(data, source)
    base = scenario_from_dict(raw, source, sha256=hashlib.sha256(data).hexdigest())
    return Source(base, raw, data.decode("utf-8"))


def _build(scenario, resize: bool):
    from finmodel.model import engine

    return engine.build(scenario, sizing_case=resize).model


def _resize(raw, case: str) -> bool:
    """Whether a case's financing is solved on its own inputs (the base case, or ``resize_debt: true``)."""
    if case == BASE_CASE:
        return True
    c = (raw.get("cases") or {}).get(case)
    return bool(c.get("resize_debt", False)) if isinstance(c, dict) else False


def from_workbook(path) -> Source:
    """The scenario behind a finmodel workbook, with every edit made on its Inputs sheet (see
    :mod:`finmodel.workbook.read`)."""
    source = str(path)
    wb, data = wr.open_workbook(path)
    emb = wr.read_embedded(wb, source)
    inner = f"{source} (embedded scenario)"
    raw0 = reading.parse(emb.text.encode("utf-8"), inner)
    base0 = scenario_from_dict(raw0, inner)
    selector = [c for c in emb.selector if c == BASE_CASE or c in base0.cases] or [BASE_CASE]
    if len(selector) != len(emb.selector or [BASE_CASE]):
        raise InputError(
            [(f"{wr.EMBED_SHEET}!B6", f"expected cases of the embedded scenario, found {emb.selector}")], source=source
        )
    model0 = _build(base0, True)
    found = wr.read_inputs(wb, model0, selector, source)
    live = wr.live_case_number(wb, selector, source)
    raw = copy.deepcopy(raw0)
    changes: list[Change] = []
    problems: list[tuple[str, str]] = []
    typed = base0.model_dump(mode="python")

    def edit(k: int, model, case: str):
        """Write to ``raw`` every value of case number ``k`` that ``model`` (built from ``raw``) does not have."""
        for name, per_case in found.items():
            got = per_case[k]
            inp = model.inputs.get(name)
            if got is None or inp is None or np.array_equal(got, inp.value[0]):
                continue
            path = wi.scenario_path(name, inp)
            where = f"Inputs: {name} ({inp.label})" + ("" if case == BASE_CASE else f", case {case}")
            if path is None:
                problems.append(
                    (
                        where,
                        f"expected the value finmodel wrote ({_show(_vals(inp.value[0]))}) for an "
                        f"input that is not a scenario field, found {_show(_vals(got))}: change "
                        "what it is derived from in the scenario file",
                    )
                )
                continue
            value = wi.to_field(got, wi.get_path(typed, path), inp.kind, path)
            if case == BASE_CASE:
                old = wi.get_path(raw, path)
                wi.set_path(raw, path, value)
                changes.append(Change(path, old, value))
            else:
                key, old = _case_key(raw, case, path)
                raw["cases"][case].setdefault("changes", {})
                if raw["cases"][case]["changes"] is None:
                    raw["cases"][case]["changes"] = {}
                raw["cases"][case]["changes"][key] = value
                changes.append(Change(f"cases.{case}.changes.{key}", old, value))

    order = [BASE_CASE] + [c for c in selector if c != BASE_CASE] if BASE_CASE in selector else selector
    for case in order:
        k = selector.index(case)
        sc = scenario_from_dict(raw, inner) if case == BASE_CASE else case_scenario_from_raw(raw, case, inner, None)
        edit(k, _build(sc, _resize(raw, case)), case)
    if problems:
        raise InputError(problems, source=source)
    # the edited scenario must reproduce every value read (it proves the mapping and the conversions)
    for case in order:
        k = selector.index(case)
        sc = _validated(raw, case, source)
        model = _build(sc, _resize(raw, case))
        for name, per_case in found.items():
            got = per_case[k]
            if got is not None and name in model.inputs and not np.array_equal(got, model.inputs[name].value[0]):
                problems.append(
                    (
                        f"Inputs: {name}" + ("" if case == BASE_CASE else f", case {case}"),
                        f"expected a value the scenario can hold, found {_show(_vals(got))} (the scenario "
                        f"gives {_show(_vals(model.inputs[name].value[0]))})",
                    )
                )
    if problems:
        raise InputError(problems, source=source)
    text = emb.text if not changes else _dump(raw, source, changes)
    base = scenario_from_dict(raw, source, sha256=hashlib.sha256(data).hexdigest())
    live_case = selector[live - 1] if live else selector[0]
    cases = [live_case] + [c for c in emb.cases_run if c != live_case and (c == BASE_CASE or c in base.cases)]
    return Source(base, raw, text, cases, changes)


def _validated(raw, case: str, source: str):
    try:
        if case == BASE_CASE:
            return scenario_from_dict(raw, source)
        return case_scenario_from_raw(raw, case, source, None)
    except InputError as exc:
        raise InputError(
            [(f"edited workbook: {p}" if p else "edited workbook", m) for p, m in exc.problems], source=source
        ) from None


def _vals(a):
    a = [float(x) for x in np.asarray(a).reshape(-1)]
    return a[0] if len(a) == 1 else a


def _case_key(raw, case: str, path: str) -> tuple[str, object]:
    """The key of ``cases.<case>.changes`` that sets ``path`` (an existing key naming the same field, e.g. by a
    list element's name, else ``path``) and its current value."""
    changes = (raw["cases"][case] or {}).get("changes") or {}
    probe = copy.deepcopy({k: v for k, v in raw.items() if k != "cases"})
    target = find_change_target(probe, path)
    for key in changes:
        if not isinstance(key, str):
            continue
        found = find_change_target(probe, key)
        if found[2] is None and target[2] is None and found[0] is target[0] and found[1] == target[1]:
            return key, changes[key]
    return path, ...


def _comment(text: str) -> str:
    """User text (a file or case name) made safe for one YAML comment line."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _dump(raw, source: str, changes: list[Change]) -> str:
    head = [
        f"# exported by finmodel from {_comment(Path(source).name)}; the analyst's edits against the embedded scenario:"
    ]
    head += [f"#   {_comment(str(c))}" for c in changes]
    body = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=110)
    return "\n".join(head) + "\n" + body
