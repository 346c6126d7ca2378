"""Problems as ``(field path, message)``: pydantic errors mapped to the user's field paths, and the YAML line
of each field for messages about a file.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Union

import yaml
from pydantic import BaseModel, ValidationError

from finmodel import readfile
from finmodel.schema.project import GUARANTEE_KINDS, REVENUE_KINDS, Rate, Scenario
from finmodel.schema.rules import check_rules
from finmodel.schema.types import found_text

# --- pydantic errors -> (field path, message) ----------------------------------------------------

_EXPECTED_BY_TYPE = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "int_parsing_size": "a whole number of a sensible size",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping (key: value block)",
    "model_type": "a mapping (key: value block)",
    "model_attributes_type": "a mapping (key: value block)",
    "date_type": "a date such as 2027-01-01",
    "date_parsing": "a date such as 2027-01-01",
    "finite_number": "a finite number",
}


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional from a type annotation."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
            else:
                return tp
        else:
            return tp


def resolve_location(loc: tuple) -> tuple[str, Any]:
    """Dotted field path for a pydantic error location, and the type found there.

    Discriminated-union tags, which pydantic inserts into locations (``revenues.0.user_fee.volume``),
    are dropped: the user never wrote them.
    """
    parts: list[str] = []
    tp: Any = Scenario
    for part in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            parts.append(str(part))
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            tp = field.annotation if field else None
        elif origin in (list, tuple):
            parts.append(str(part))
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            parts.append(str(part))
            tp = typing.get_args(tp)[1]
        elif origin in (Union, types.UnionType):
            members = [_unwrap(a) for a in typing.get_args(tp)]
            match = [
                m
                for m in members
                if isinstance(m, type)
                and issubclass(m, BaseModel)
                and "kind" in m.model_fields
                and part in typing.get_args(m.model_fields["kind"].annotation)
            ]
            if match:
                tp = match[0]  # a discriminator tag: not part of the user's path
            else:
                parts.append(str(part))
                tp = None
        else:
            parts.append(str(part))
            tp = None
    return ".".join(parts), _unwrap(tp)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _error_to_problem(err: Mapping) -> tuple[str, str]:
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    value = err.get("input")
    path, tp = resolve_location(loc)

    if kind == "missing":
        return path, "expected a value for this required key, found nothing"
    if kind == "extra_forbidden":
        parent_path, parent = resolve_location(loc[:-1])
        allowed = ", ".join(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else ""
        hint = f" (allowed here: {allowed})" if allowed else ""
        return path, f"expected no such key{hint}, found unknown key {found_text(str(loc[-1]))}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = ", ".join(GUARANTEE_KINDS if path.startswith("guarantees") else REVENUE_KINDS)
        found = found_text(ctx.get("tag")) if kind == "union_tag_invalid" else "nothing"
        return _join(path, "kind"), f"expected a kind, one of {tags}, found {found}"
    if kind in ("decimal_rate", "decimal_range", "date_format", "rate_curve") or str(err.get("msg", "")).startswith(
        "expected "
    ):
        return path, err["msg"]
    if kind == "string_too_long" and isinstance(value, str):
        return path, f"expected at most {ctx.get('max_length')} characters, found {len(value):,}"
    if kind == "literal_error":
        return path, f"expected one of {ctx.get('expected')}, found {found_text(value)}"
    if kind == "string_pattern_mismatch":
        expected = "a three-letter upper-case code"
        if path.endswith("country"):
            expected = "an ISO 3166-1 alpha-3 country code such as MYS"
        elif path.endswith("currency"):
            expected = "an ISO 4217 currency code such as USD"
        return path, f"expected {expected}, found {found_text(value)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()), "")
        return path, f"expected a value {op} {found_text(bound)}, found {found_text(value)}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return path, f"expected at least {n} {'entry' if n == 1 else 'entries'}, found {found_text(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type") and tp is Rate:
        return path, f"expected a mapping {{fixed: r}} or {{base: name, margin: m}}, found {found_text(value)}"
    if kind in _EXPECTED_BY_TYPE:
        return path, f"expected {_EXPECTED_BY_TYPE[kind]}, found {found_text(value)}"
    if kind == "invalid_key":
        return path, f"expected a text key, found {found_text(value)}"
    msg = str(err.get("msg", "invalid value"))
    if msg.startswith("Input should be "):
        return path, f"expected {msg[len('Input should be ') :]}, found {found_text(value)}"
    if msg.startswith("Value error, "):
        return path, msg[len("Value error, ") :]
    return path, f"expected a valid value ({msg[:1].lower()}{msg[1:]}), found {found_text(value)}"


def dedupe(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(problems))


def _yaml_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line (1-based) of every key and list item of a YAML text, by its path of keys / indices (as text)."""
    lines: dict[tuple[str, ...], int] = {}

    def walk(node, path):
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = (*path, str(getattr(k, "value", "")))
                lines[key] = k.start_mark.line + 1
                walk(v, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, (*path, str(i)))

    try:
        root = yaml.compose(text, Loader=readfile.Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


def _named_path(parts: list[str], raw: Any) -> str:
    """``debt.facilities[EDPF].rate`` for ``debt.facilities.0.rate``: list items named by their ``name``."""
    out, node = "", raw
    for part in parts:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            items, node = node, node[int(part)]
            name = node.get("name") if isinstance(node, Mapping) else None
            unique = sum(isinstance(x, Mapping) and x.get("name") == name for x in items) == 1
            out += f"[{name}]" if isinstance(name, str) and name and unique else f".{part}"
            continue
        out = f"{out}.{part}" if out else part
        node = node.get(part) if isinstance(node, Mapping) else None
    return out


def locate(problems: list[tuple[str, str]], raw: Mapping, data: bytes) -> list[tuple[str, str]]:
    """Problems with list items named by their name and the YAML line of the field (or of its nearest
    parent written in the file) at the end of the message."""
    try:
        lines = _yaml_lines(data.decode("utf-8"))
    except UnicodeDecodeError:
        lines = {}
    out = []
    for path, msg in problems:
        head, sep, rest = path.partition(": ")
        prefix, inner = (f"{head}: ", rest) if sep and head.startswith("cases.") else ("", path)
        parts = inner.split(".") if inner else []
        named = _named_path(parts, raw) if parts else inner
        if prefix:  # a case's problem: the line of the change that caused it, else of the case
            case = ("cases", prefix[len("cases.") : -2])
            changes = [k for k in lines if len(k) == 4 and k[:3] == (*case, "changes")]
            hit = [k for k in changes if inner == k[3] or inner.startswith(k[3] + ".")]
            line = lines[hit[0]] if hit else lines.get(case)
        else:
            line = next((lines[tuple(parts[:k])] for k in range(len(parts), 0, -1) if tuple(parts[:k]) in lines), None)
        out.append((f"{prefix}{named}", f"{msg} (line {line})" if line else msg))
    return out


def schema_problems(raw: Any) -> tuple[Scenario | None, list[tuple[str, str]]]:
    """The schema stage: validate a raw mapping with pydantic and the structural rules
    (:func:`finmodel.schema.rules.check_rules`, run on the raw mapping so that one bad field hides no rule).

    Returns the scenario (None where pydantic failed) and every problem found, duplicates removed. The policy
    rules are the next stage (:mod:`finmodel.inputs.policy`).
    """
    problems: list[tuple[str, str]] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(raw, context={"rules_checked": True})
    except ValidationError as exc:
        problems.extend(_error_to_problem(err) for err in exc.errors(include_url=False))
    problems.extend(check_rules(raw))
    return scenario, dedupe(problems)
