"""Reading input files (scenarios, portfolios) as hostile data: bounded before they are parsed.

Every file finmodel reads from a user goes through :func:`read_bytes` and, for YAML, :func:`parse_yaml`:

- only a regular file is read: a directory, a fifo, a socket or a device (``/dev/zero``) is refused before it is
  opened for reading (and the open does not block on a fifo swapped in meanwhile);
- at most :data:`MAX_INPUT_BYTES` are read; a larger file is refused, never truncated;
- YAML nesting deeper than :data:`MAX_DEPTH` is refused from the token stream, before the (recursive) composer
  sees it; aliases that would expand past :data:`MAX_NODES` nodes are refused (a "billion laughs" file);
- every string (mapping keys and values) is checked by :func:`check_text`: no control characters, at most
  :data:`MAX_TEXT` characters, with the field path of the first offending string;
- a date-like scalar that is not a real date (``2027-02-30``) stays a string so that the schema reports it with
  its field path, instead of PyYAML raising deep inside the constructor.

Problems raise :class:`~finmodel.errors.ScenarioFileError` (exit code 2 on the command line). The contents of a
refused file are never quoted back beyond the offending field's path and a short reason.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from finmodel.errors import ScenarioFileError

MAX_INPUT_BYTES = 4 * 1024 * 1024
"""Largest input file read [bytes]: the shipped scenarios are ~5 kB and a portfolio ~3 kB; 4 MiB leaves three
orders of magnitude for per-period inputs while refusing a 50 MB file (or a device) before it is parsed."""

MAX_DEPTH = 40
"""Deepest YAML nesting accepted [levels]: the scenario schema nests 6 deep; PyYAML's composer is recursive and
a few thousand levels exhaust Python's stack."""

MAX_NODES = 200_000
"""Most YAML nodes accepted after alias expansion: a scenario has a few hundred; an alias bomb has billions."""

MAX_TEXT = 1000
"""Longest string accepted anywhere in an input file [characters]: names, descriptions and notes are short."""

MAX_NAME = 200
"""Longest name (project, facility, sponsor, case...) [characters]; used by the schemas' ``Name`` types."""

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a fifo (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    for test, what in _KINDS:
        if test(mode):
            return what
    return "not a regular file"


def read_bytes(path: str | Path, what: str = "scenario file", *, limit: int = MAX_INPUT_BYTES) -> tuple[bytes, str]:
    """The bytes of the regular file ``path`` (at most ``limit``, :data:`MAX_INPUT_BYTES` by default) and its name
    as given.

    Raises
    ------
    ScenarioFileError
        Missing, not a regular file, unreadable or too large.
    """
    source = str(path)

    def refuse(found: str) -> ScenarioFileError:
        return ScenarioFileError([("", f"expected a {what} (a regular file), found {found}")], source)

    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ScenarioFileError([("", f"expected an existing {what}, found no such file")], source) from None
    except NotADirectoryError:
        raise ScenarioFileError([("", f"expected an existing {what}, found a path through a file")], source) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise refuse(f"an unreadable path ({getattr(exc, 'strerror', None) or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise refuse(_kind(st.st_mode))
    if st.st_size > limit:
        raise refuse(f"{st.st_size:,} bytes (the limit is {limit:,})")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ScenarioFileError([("", f"expected a readable {what}, found: {exc.strerror}")], source) from None
    try:
        st = os.fstat(fd)  # the file actually opened: it may have been swapped since the stat above
        if not stat.S_ISREG(st.st_mode):
            raise refuse(_kind(st.st_mode))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ScenarioFileError([("", f"expected a readable {what}, found: {exc.strerror}")], source) from None
    finally:
        os.close(fd)
    if size > limit:
        raise refuse(f"more than {limit:,} bytes")
    return b"".join(chunks), source


# --- YAML ------------------------------------------------------------------------------------------------


class Loader(yaml.SafeLoader):
    """Safe YAML loader: duplicate keys refused, YAML 1.2 floats such as 5e-3, invalid dates kept as text."""


def _construct_mapping(loader: Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"expected each key once in a mapping, found {key!r} again (first at line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = line
        except TypeError:  # unhashable key: let PyYAML report it
            pass
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


def _construct_timestamp(loader: Loader, node: yaml.ScalarNode):
    """A date or time; a date-like scalar that is no real date (2027-02-30, year 0) stays a string, which the
    schema then reports with its field path."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)

_OPEN = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSE = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _check_depth(text: str, source: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH, from the scanner's tokens (the scanner is not recursive)."""
    depth = 0
    for tok in yaml.scan(text, Loader=Loader):
        if isinstance(tok, _OPEN):
            depth += 1
            if depth > MAX_DEPTH:
                m = tok.start_mark
                raise ScenarioFileError(
                    [
                        (
                            "",
                            f"line {m.line + 1}, column {m.column + 1}: expected at most {MAX_DEPTH} levels of "
                            "nesting, found more",
                        )
                    ],
                    source,
                )
        elif isinstance(tok, _CLOSE):
            depth -= 1


def _check_size(node: yaml.Node, source: str) -> None:
    """Refuse a node graph that expands (aliases followed) past MAX_NODES nodes."""
    sizes: dict[int, int] = {}

    def size(n: yaml.Node) -> int:
        if id(n) in sizes:
            return sizes[id(n)]
        sizes[id(n)] = 1  # a recursive alias counts once (and the schema refuses it later)
        if isinstance(n, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            total = 1 + sum(size(v) for v in n.value)
        else:
            total = 1
        total = min(total, MAX_NODES + 1)
        sizes[id(n)] = total
        return total

    if size(node) > MAX_NODES:
        raise ScenarioFileError(
            [("", f"expected at most {MAX_NODES:,} values once aliases are expanded, found more")], source
        )


def _yaml_error(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or "invalid YAML"
        if not problem.startswith("expected"):
            problem = f"expected valid YAML, found {problem}"
        return f"{where}{problem}"
    return "expected valid YAML, found an unreadable document"


def parse_yaml(data: bytes, source: str) -> Any:
    """The YAML document in ``data``, bounded and checked (see the module docstring); None for an empty file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioFileError(
            [("", f"expected UTF-8 text, found a byte 0x{data[exc.start]:02x} at offset {exc.start}")], source
        ) from None
    loader = None
    try:
        _check_depth(text, source)
        loader = Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node, source)
        raw = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ScenarioFileError([("", _yaml_error(exc))], source) from None
    except RecursionError:  # a structure the token count did not see (very long alias chains)
        raise ScenarioFileError([("", f"expected at most {MAX_DEPTH} levels of nesting, found more")], source) from None
    finally:
        if loader is not None:
            loader.dispose()
    check_text(raw, source)
    return raw


# --- text ------------------------------------------------------------------------------------------------


def text_problem(value: str, limit: int = MAX_TEXT) -> str | None:
    """Why ``value`` is not acceptable text (control characters, too long), or None."""
    for i, ch in enumerate(value):
        if unicodedata.category(ch) == "Cc":
            return f"expected text without control characters, found {_control_name(ch)} at position {i + 1}"
    if len(value) > limit:
        return f"expected at most {limit:,} characters, found {len(value):,}"
    return None


def _control_name(ch: str) -> str:
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\x1b": "an escape (ESC)", "\x00": "a NUL"}
    return names.get(ch, f"the control character U+{ord(ch):04X}")


def check_text(raw: Any, source: str | None = None, path: str = "") -> None:
    """Raise ScenarioFileError for the first string in ``raw`` (keys included) that :func:`text_problem`
    refuses, naming its field path. Recursive structures are walked once."""
    problems: list[tuple[str, str]] = []
    seen: set[int] = set()

    def join(p: str, k: Any) -> str:
        return f"{p}.{k}" if p else str(k)

    def walk(x: Any, p: str) -> None:
        if len(problems) >= 20:
            return
        if isinstance(x, str):
            why = text_problem(x)
            if why:
                problems.append((p, why))
            return
        if isinstance(x, Mapping | list | tuple):
            if id(x) in seen:
                return
            seen.add(id(x))
        if isinstance(x, Mapping):
            for k, v in x.items():
                if isinstance(k, str):
                    why = text_problem(k, MAX_NAME)
                    if why:
                        problems.append((join(p, "<key>") if not p else f"{p} (a key)", why))
                        continue
                walk(v, join(p, k))
        elif isinstance(x, list | tuple):
            for i, v in enumerate(x):
                walk(v, join(p, i))

    walk(raw, path)
    if problems:
        raise ScenarioFileError(problems, source)
