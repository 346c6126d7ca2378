"""Cases: dotted-path changes applied to a raw scenario mapping (``debt.facilities.EDPF.amount: 1e6``)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from finmodel.errors import InputError
from finmodel.schema.errors import resolve_location
from finmodel.schema.types import BASE_CASE, found_text

# --- cases ---------------------------------------------------------------------------------------


def _field_type(path_parts: list[str]) -> Any:
    """The type of a scenario field at a path of keys (list indices as strings), or None."""
    loc: list[Any] = []
    for p in path_parts:
        loc.append(int(p) if p.isdigit() else p)
    _, tp = resolve_location(tuple(loc))
    return tp


def _known_keys(path_parts: list[str]) -> list[str]:
    tp = _field_type(path_parts)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def find_change_target(data: dict, dotted: str) -> tuple[Any, Any, str | None]:
    """Find the container and key for a dotted change path; (container, key, None) or (.., .., error)."""
    parts = dotted.split(".")
    node: Any = data
    walked: list[str] = []
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if part.lstrip("-").isdigit():
                idx = int(part)
                if not 0 <= idx < len(node):
                    return None, None, f"expected an index 0 to {len(node) - 1}, found {part}"
            else:
                named = [i for i, x in enumerate(node) if isinstance(x, Mapping) and x.get("name") == part]
                if len(named) != 1:
                    names = [x.get("name") for x in node if isinstance(x, Mapping)]
                    why = "not unique" if named else "not found"
                    return (
                        None,
                        None,
                        (
                            f"expected a list index or a unique element name ({', '.join(map(str, names))}), "
                            f"found {part!r} ({why})"
                        ),
                    )
                idx = named[0]
            if last:
                return node, idx, None
            walked.append(str(idx))
            node = node[idx]
        elif isinstance(node, dict):
            if part not in node:
                known = _known_keys(walked)
                if part not in known:
                    here = ".".join(walked) or "the top level"
                    allowed = f" (one of: {', '.join(known)})" if known else ""
                    return None, None, f"expected an existing field of {here}{allowed}, found {part!r}"
                if not last:
                    node[part] = {}  # an optional block absent from the file, e.g. drivers
            if last:
                return node, part, None
            walked.append(part)
            node = node[part]
        else:
            here = ".".join(walked)
            return None, None, f"expected a field path, found {here} is {found_text(node)} with no field {part!r}"
    return None, None, "expected a field path, found an empty path"


def apply_case(raw: Mapping, case_name: str | None) -> dict:
    """A deep copy of a raw scenario with a case's changes applied.

    Change paths are dotted field paths; a list element is named by its index (``revenues.0.amount``)
    or by its unique ``name`` (``debt.facilities.EDPF.amount``). An optional key or block absent from
    the file may be set. The result is not validated (see :func:`load_scenario`).

    Raises
    ------
    InputError
        Unknown case name (listing the available cases), or a change path that does not exist
        (at ``cases.<name>.changes.<path>``).
    """
    data = copy.deepcopy(dict(raw))
    if case_name is None or case_name == BASE_CASE:
        return data
    cases = data.get("cases") if isinstance(data.get("cases"), Mapping) else {}
    if case_name not in cases:
        available = ", ".join([BASE_CASE, *map(str, cases)])
        raise InputError([("cases", f"expected a case name ({available}), found {case_name!r}")])
    case = cases[case_name]
    changes = case.get("changes") if isinstance(case, Mapping) else None
    if changes is None:
        return data
    if not isinstance(changes, Mapping):
        raise InputError(
            [(f"cases.{case_name}.changes", f"expected a mapping of path: value, found {found_text(changes)}")]
        )
    problems = []
    for dotted, value in changes.items():
        if not isinstance(dotted, str) or not dotted:
            problems.append((f"cases.{case_name}.changes", f"expected a dotted field path, found {found_text(dotted)}"))
            continue
        if dotted == "cases" or dotted.startswith("cases."):
            problems.append((f"cases.{case_name}.changes.{dotted}", "expected a path outside cases, found cases"))
            continue
        container, key, error = find_change_target(data, dotted)
        if error:
            problems.append((f"cases.{case_name}.changes.{dotted}", error))
        else:
            container[key] = copy.deepcopy(value)
    if problems:
        raise InputError(problems)
    return data
