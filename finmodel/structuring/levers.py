"""Levers of ``finmodel solve``: a numeric scenario field named by its path, and the range it may take.

A lever is written as validation messages name fields: ``revenues[Municipal availability payment].amount``,
``debt.facilities[EDCF].rate.fixed``, ``guarantees[K-SURE cover].commercial_share``; the dotted form of cases
(``debt.facilities.EDCF.amount``, ``revenues.0.amount``) is accepted too. ``PATH=LOW:HIGH`` narrows the range.

The range defaults to what the scenario may hold: the field's schema limits (``ge``/``le`` of its type), then
the policy rules, found by validating trial values: a value the rules refuse (an EDCF rate outside its income
group's published range, K-SURE cover above 95 %) lies outside the lever's range, and the rule that refuses it
is named as the bound's reason. A field without a schema maximum gets 4x its value in the scenario (or, at 0,
the project's total uses) as its default high bound, said so.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from collections.abc import Mapping
from typing import Any

from finmodel.errors import InputError

_TOKEN = re.compile(r"\[([^\[\]]+)\]|\.?([^.\[\]]+)")
GOVERNMENT = "government"
GOVERNMENT_SHARE = "fund.tranches.government.share"  # a lever of its own: the first-loss share of commitments
MAX_GOVERNMENT_SHARE = 0.95  # the frontier's shares are below 1: some commitment must stay with the others
BISECTIONS = 40  # validity bisection steps for a policy bound: 2^-40 of the range, far below any tolerance


@dataclasses.dataclass(frozen=True)
class Lever:
    """A lever: its path as written, its key path in the raw scenario (list indices resolved), its value in the
    scenario, its range [low, high] with the reason of each bound, and whether it is a whole number."""

    text: str
    keys: tuple
    value: float
    low: float
    high: float
    low_reason: str
    high_reason: str
    integer: bool = False
    kind: str = "field"  # "field": one scenario field; "government_share": the fund's first-loss share
    currency: str | None = None  # the currency of a line stated in another than the model's (None: the model's)

    def edits(self, raw: Mapping, x: float) -> list[tuple[tuple, float]]:
        """``[(keys, value)]``: the scalar fields that hold the lever at ``x``. The government share of a fund
        sets the government tranche to ``x`` of the total commitments and the other tranches to the rest in
        their relative proportion (the subordination frontier's rule), the total unchanged."""
        if self.kind != "government_share":
            return [(self.keys, int(round(x)) if self.integer else float(x))]
        tranches = raw["fund"]["tranches"]
        total = sum(float(t["commitment"]) for t in tranches.values())
        others = {k: float(t["commitment"]) for k, t in tranches.items() if k != GOVERNMENT}
        rest = sum(others.values())
        out = [(("fund", "tranches", GOVERNMENT, "commitment"), float(x) * total)]
        out += [(("fund", "tranches", k, "commitment"), (1 - float(x)) * total * c / rest) for k, c in others.items()]
        return out

    @property
    def name(self) -> str:
        return self.text

    def clamp(self, x: float) -> float:
        x = min(max(x, self.low), self.high)
        return float(round(x)) if self.integer else float(x)


def split_path(text: str) -> list[str]:
    """``a[b c].d.0`` -> ``["a", "b c", "d", "0"]``; InputError for an empty or unbalanced path."""
    text = text.strip()
    parts, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise InputError([("--vary", f"expected a field path such as revenues[Name].amount, found {text!r}")])
        parts.append((m.group(1) if m.group(1) is not None else m.group(2)).strip())
        pos = m.end()
    if not parts or any(not p for p in parts):
        raise InputError([("--vary", f"expected a field path such as revenues[Name].amount, found {text!r}")])
    return parts


def resolve(raw: Mapping, parts: list[str], option: str = "--vary") -> tuple:
    """The key path (list items by index) of an existing numeric field; InputError naming the option."""
    node: Any = raw
    keys: list = []
    for part in parts:
        here = ".".join(map(str, keys)) or "the top level"
        if isinstance(node, list):
            if part.isdigit() and int(part) < len(node):
                idx = int(part)
            else:
                named = [k for k, x in enumerate(node) if isinstance(x, Mapping) and x.get("name") == part]
                if len(named) != 1:
                    names = ", ".join(str(x.get("name")) for x in node if isinstance(x, Mapping)) or "none"
                    why = "not unique" if named else "not found"
                    raise InputError([(option, f"expected an item of {here} ({names}), found {part!r} ({why})")])
                idx = named[0]
            keys.append(idx)
            node = node[idx]
        elif isinstance(node, Mapping):
            if part not in node:
                known = ", ".join(map(str, node)) or "none"
                raise InputError(
                    [(option, f"expected a field of {here} set in the scenario ({known}), found {part!r}")]
                )
            keys.append(part)
            node = node[part]
        else:
            raise InputError([(option, f"expected a field path, found {here} holds no field {part!r}")])
    if isinstance(node, bool) or not isinstance(node, int | float) or not math.isfinite(node):
        raise InputError([(option, f"expected a numeric field, found {'.'.join(map(str, keys))} = {node!r}")])
    return tuple(keys)


def get(raw: Mapping, keys: tuple) -> Any:
    node: Any = raw
    for k in keys:
        node = node[k]
    return node


def with_values(raw: Mapping, levers, values) -> dict:
    """A deep copy of ``raw`` with each lever's fields set to its value (whole numbers as int)."""
    out = copy.deepcopy(dict(raw))
    for lever, x in zip(levers, values, strict=True):
        for keys, v in lever.edits(raw, x):
            node: Any = out
            for k in keys[:-1]:
                node = node[k]
            node[keys[-1]] = v
    return out


def government_share_lever(raw: Mapping) -> Lever:
    """The fund's government (first-loss) share of total commitments as a lever, in [0, 0.95]."""
    tranches = raw.get("fund", {}).get("tranches") if isinstance(raw.get("fund"), Mapping) else None
    if not isinstance(tranches, Mapping) or GOVERNMENT not in tranches or len(tranches) < 2:
        raise InputError([("--vary", f"expected a fund with a {GOVERNMENT} tranche and others, found none")])
    total = sum(float(t["commitment"]) for t in tranches.values())
    value = float(tranches[GOVERNMENT]["commitment"]) / total
    return Lever(
        GOVERNMENT_SHARE, ("fund", "tranches", GOVERNMENT, "commitment"), value, 0.0, MAX_GOVERNMENT_SHARE,
        "no first loss", "most of the fund (the others keep 5 %)", kind="government_share",
    )  # fmt: skip


def _schema_limits(scenario, keys: tuple) -> tuple[float | None, float | None, bool]:
    """(lowest, highest, whole number) the field's schema type allows, read from the validated scenario."""
    from pydantic import BaseModel

    node: Any = scenario
    info = None
    for k in keys:
        if isinstance(node, BaseModel):
            info = type(node).model_fields.get(k)
            node = getattr(node, k, None)
        elif isinstance(node, list | tuple):
            info = None
            node = node[k]
        elif isinstance(node, Mapping):
            info = None
            node = node.get(k)
        else:
            return None, None, False
    low = high = None
    for kind, v in _constraints(info) if info is not None else []:
        if kind == "low":
            low = v if low is None else max(low, v)
        else:
            high = v if high is None else min(high, v)
    integer = isinstance(node, int) and not isinstance(node, bool)
    return low, high, integer


def _constraints(info) -> list[tuple[str, float]]:
    """``("low" | "high", value)`` of a pydantic field: its own ``ge``/``le`` and those of the annotated types
    inside its annotation (``Fraction | None``), as constraints or as JSON-schema ``minimum``/``maximum``."""
    import typing

    out: list[tuple[str, float]] = []

    def from_meta(items):
        for c in items:
            for attr, kind in (("ge", "low"), ("gt", "low"), ("le", "high"), ("lt", "high")):
                v = getattr(c, attr, None)
                if isinstance(v, int | float) and not isinstance(v, bool):
                    out.append((kind, float(v)))
            extra = getattr(c, "json_schema_extra", None)
            if isinstance(extra, dict):
                for key, kind in (("minimum", "low"), ("exclusiveMinimum", "low"), ("maximum", "high"),
                                  ("exclusiveMaximum", "high")):  # fmt: skip
                    if isinstance(extra.get(key), int | float):
                        out.append((kind, float(extra[key])))
            from_meta(getattr(c, "metadata", []) or [])

    def walk(tp):
        if hasattr(tp, "__metadata__"):
            from_meta(tp.__metadata__)
        for arg in typing.get_args(tp):
            walk(arg)

    from_meta(info.metadata)
    walk(info.annotation)
    return out


def first_problem(exc: InputError) -> str:
    """The words of an InputError's first problem (what a refused trial reports)."""
    return exc.problems[0][1] if exc.problems else str(exc)


def validator(check, source: str):
    """``valid(raw) -> None | reason``: ``check(raw, source)`` (a scenario's or a portfolio's validation) turned
    into the refusal reason the lever bounds read, None when the values are accepted."""

    def valid(raw):
        try:
            check(raw, source)
        except InputError as exc:
            return first_problem(exc)
        return None

    return valid


def _refusal(valid, raw, lever_keys, x) -> str | None:
    """None if the scenario with the field at ``x`` validates, else the first problem's message."""
    probe = Lever("", lever_keys, x, x, x, "", "")
    return valid(with_values(raw, [probe], [x]))


def _policy_bound(valid, raw, keys, inside: float, outside: float, integer: bool) -> tuple[float, str]:
    """Bisect between a valid value and a refused one for the last valid value; with the refusal's words."""
    reason = _refusal(valid, raw, keys, outside) or ""
    for _ in range(BISECTIONS):
        if integer and abs(outside - inside) <= 1:
            break
        mid = (inside + outside) / 2
        mid = float(round(mid)) if integer else mid
        why = _refusal(valid, raw, keys, mid)
        if why is None:
            inside = mid
        else:
            outside, reason = mid, why
    if not integer:  # a round number as near the boundary as the bisection found it (0.975, not 0.97499999)
        near = 1e-6 * max(abs(outside), abs(inside), 1e-12)
        for k in range(13):
            r = round(inside, k)
            if abs(r - inside) <= near and _refusal(valid, raw, keys, r) is None:
                return r, reason
    return inside, reason


def parse_lever(text: str, raw: Mapping, scenario, valid, scale: float) -> Lever:
    """A lever from ``PATH[=LOW:HIGH]``; ``valid(raw) -> None | reason`` validates a trial scenario; ``scale``
    (the project's total uses) is the default high bound of a field at 0 without a schema maximum."""
    path, _, rng = text.partition("=")
    if path.strip() == GOVERNMENT_SHARE and "projects" in raw:
        lever = government_share_lever(raw)
        if rng:
            lo, sep, hi = rng.partition(":")
            try:
                low, high = float(lo or lever.low), float(hi or lever.high)
            except ValueError:
                low = high = math.nan
            if not sep or not (lever.low <= low <= high <= lever.high):
                raise InputError([("--vary", f"expected {GOVERNMENT_SHARE}=LOW:HIGH within 0:0.95, found {text!r}")])
            lever = dataclasses.replace(lever, low=low, high=high, low_reason="--vary LOW", high_reason="--vary HIGH")
        return lever
    keys = resolve(raw, split_path(path))
    value = float(get(raw, keys))
    s_low, s_high, integer = _schema_limits(scenario, keys)
    low = s_low if s_low is not None else (0.0 if value >= 0 else 4 * value)
    low_reason = (
        "schema minimum" if s_low is not None else ("default: 0" if value >= 0 else "default: 4x the scenario's value")
    )
    if s_high is not None:
        high, high_reason = s_high, "schema maximum"
    elif value > 0:
        high, high_reason = 4 * value, "default: 4x the scenario's value (no schema maximum; narrow with =LOW:HIGH)"
    else:
        high, high_reason = max(scale, 1.0), "default: the project's total uses (no schema maximum)"
    if rng:
        lo_text, sep, hi_text = rng.partition(":")
        try:
            n_low = float(lo_text) if lo_text.strip() else low
            n_high = float(hi_text) if hi_text.strip() else high
        except ValueError:
            n_low = n_high = math.nan
        if not sep or not (math.isfinite(n_low) and math.isfinite(n_high)) or n_low > n_high:
            raise InputError([("--vary", f"expected PATH=LOW:HIGH with LOW <= HIGH, found {text!r}")])
        hard_low = low if s_low is not None or value >= 0 else -math.inf  # a default bound may be widened
        hard_high = high if s_high is not None else math.inf
        if n_low < hard_low or n_high > hard_high:
            raise InputError(
                [
                    (
                        "--vary",
                        f"expected a range inside the schema's {hard_low:g}:{hard_high:g}, found {text!r}",
                    )
                ]
            )
        low, high, low_reason, high_reason = n_low, n_high, "--vary LOW", "--vary HIGH"
    inside = min(max(value, low), high)
    if _refusal(valid, raw, keys, inside) is not None:
        raise InputError([("--vary", f"expected {path} to be valid at {inside:g}, found it refused")])
    why = _refusal(valid, raw, keys, low)
    if why is not None:
        low, low_reason = _policy_bound(valid, raw, keys, inside, low, integer)
        low_reason = f"rule: {low_reason}"
    why = _refusal(valid, raw, keys, high)
    if why is not None:
        high, high_reason = _policy_bound(valid, raw, keys, inside, high, integer)
        high_reason = f"rule: {high_reason}"
    if integer:
        low, high = float(math.ceil(low)), float(math.floor(high))
    cur = _line_currency(raw, keys)
    return Lever(path.strip(), keys, value, low, high, low_reason, high_reason, integer, currency=cur)


def _line_currency(raw: Mapping, keys: tuple) -> str | None:
    """The ``currency`` of the line holding the field at ``keys`` (a revenue stated in MYR), or None."""
    node = raw
    for k in keys[:-1]:
        try:
            node = node[k]
        except (KeyError, IndexError, TypeError):
            return None
    cur = node.get("currency") if isinstance(node, Mapping) else None
    return cur if isinstance(cur, str) else None
