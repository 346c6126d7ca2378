"""``--write-scenario``: the original scenario file with the solved values in place, everything else as written.

Each solved field's scalar is replaced where it stands in the file's text (its position from the YAML parser),
with a comment saying finmodel solve set it and what it was; the comments, order and layout of the rest are the
user's. The text is parsed back and checked to hold exactly the solved values before it is written.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from finmodel.errors import FinmodelError
from finmodel.structuring.levers import get
from finmodel.term import inert


def _node_at(root, keys):
    node = root
    for k in keys:
        if isinstance(node, yaml.MappingNode):
            match = [v for kn, v in node.value if isinstance(kn, yaml.ScalarNode) and kn.value == k]
            if not match:
                return None
            node = match[-1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(k, int):
            node = node.value[k]
        else:
            return None
    return node if isinstance(node, yaml.ScalarNode) else None


def _number(x: float, integer: bool) -> str:
    return str(int(round(x))) if integer else f"{float(x):.12g}"


def rewrite(text: str, levers, values, note: str, paths=()) -> str:
    """``text`` with each lever's scalar replaced by its solved value and a trailing comment ``note``; ``paths``:
    ``(keys, new path text)`` of file references to re-point (a portfolio's project scenarios, relative to the
    folder the file is written to)."""
    import json

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    raw = yaml.safe_load(text)
    spans, wanted = [], []
    for keys, new_path in paths:
        node = _node_at(root, keys)
        if node is None or node.start_mark.line != node.end_mark.line:
            raise FinmodelError(f"cannot re-point {keys} in place: not a one-line scalar in the file")
        spans.append((node.start_mark.index, node.end_mark.index, node.end_mark.line, json.dumps(new_path),
                      "the path, relative to this file,"))  # fmt: skip
        wanted.append((keys, new_path))
    for lv, x in zip(levers, values, strict=True):
        for keys, v in lv.edits(raw, x):
            node = _node_at(root, keys)
            if node is None or node.start_mark.line != node.end_mark.line:
                raise FinmodelError(f"cannot rewrite {lv.name} in place: a value is not a one-line scalar in the file")
            name = lv.name if lv.kind == "field" else ".".join(map(str, keys))
            spans.append((node.start_mark.index, node.end_mark.index, node.end_mark.line, _number(v, lv.integer), name))
            wanted.append((keys, float(_number(v, lv.integer))))
    notes: dict[int, list[str]] = {}
    out = text
    for start, end, line, new, name in sorted(spans, key=lambda s: -s[0]):
        notes.setdefault(line, []).append(f"{name} was {text[start:end]}")
        out = out[:start] + new + out[end:]
    rows = out.split("\n")
    for line, was in notes.items():
        rows[line] = rows[line].rstrip() + "  # " + inert(f"{note}: " + "; ".join(sorted(was)))
    result = "\n".join(rows)
    check = yaml.safe_load(result)
    for keys, v in wanted:
        got = get(check, keys) if isinstance(check, Mapping) else None
        if got is None or (got != v if isinstance(v, str) else float(got) != v):
            raise FinmodelError(f"cannot rewrite {keys} in place: the rewritten file does not hold the solved value")
    return result
