"""The packaged scenario templates of ``finmodel new`` (``finmodel/templates/scenarios/*.yaml``).

Writing a new file from one (validated first) is :func:`finmodel.inputs.validation.new_scenario_file`.
"""

from __future__ import annotations

import json
import re
from importlib import resources

from finmodel.errors import FinmodelError, InputError

DEFAULT_TEMPLATE = "umic-availability-ppp"


def _template_dir():
    return resources.files("finmodel").joinpath("templates", "scenarios")


def template_names() -> list[str]:
    """Names accepted by :func:`finmodel.inputs.validation.new_scenario_file`: the packaged
    ``finmodel/templates/scenarios/*.yaml``, and ``default`` (an alias of :data:`DEFAULT_TEMPLATE`)."""
    return ["default", *sorted(p.name[: -len(".yaml")] for p in _template_dir().iterdir() if p.name.endswith(".yaml"))]


def template_path(name: str):
    """The packaged file of template ``name`` (``default``: :data:`DEFAULT_TEMPLATE`)."""
    if name not in template_names():
        raise InputError([("--template", f"expected one of {', '.join(template_names())}, found {name!r}")])
    return _template_dir().joinpath(f"{DEFAULT_TEMPLATE if name == 'default' else name}.yaml")


_PROJECT_NAME_LINE = re.compile(r"^(project:\n(?:[ \t]*#.*\n)*[ \t]+name:[ \t]*)(.*)$", re.MULTILINE)


def template_text(template: str, project_name: str) -> str:
    """The text of template ``template`` with ``project_name`` as its project name (a JSON string: YAML reads
    it back exactly, whatever characters it holds)."""
    text = template_path(template).read_text(encoding="utf-8")
    text, n = _PROJECT_NAME_LINE.subn(
        lambda m: m.group(1) + json.dumps(project_name, ensure_ascii=False), text, count=1
    )
    if n != 1:  # a packaged template always has a block-style project name line
        raise FinmodelError(f"template {template!r} has no block-style project name line")
    return text
