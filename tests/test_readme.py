"""The README's shell examples run verbatim: every ``finmodel ...`` command of its ``bash`` blocks, parsed from
the README, run by the shell with the installed ``finmodel`` from a scratch folder, the repository's
``scenarios/`` replaced by an absolute path (with a space and brackets in it). Each must exit 0 without a
traceback, write the files it names and, with ``--json -``, print JSON alone."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    """Every ``finmodel`` command line of the README's ``bash`` blocks (``a && finmodel b``: ``finmodel b``),
    without its trailing comment."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                if words and words[0] == "finmodel":
                    out.append(shlex.join(words))
    return out


COMMANDS = readme_commands()


def test_the_readme_has_examples_of_every_command():
    used = {shlex.split(c)[1] for c in COMMANDS if len(shlex.split(c)) > 1}
    assert {
        "run", "new", "validate", "cases", "grant-element", "sensitivity", "simulate", "fund", "compare", "solve"
    } <= used  # fmt: skip


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A scratch working folder, and a copy of ``scenarios/`` elsewhere under an awkward absolute path."""
    base = tmp_path_factory.mktemp("readme")
    shipped = base / "shipped [copy] é" / "scenarios"
    shutil.copytree(ROOT / "scenarios", shipped)
    work = base / "work"
    work.mkdir()
    return work, shipped


def _outputs(words: list[str]) -> list[str]:
    """The files and folders a command line asks for (``-o``, ``--json`` except ``-``, ``--charts``)."""
    out = []
    for opt, val in zip(words, words[1:], strict=False):
        if opt in ("-o", "--output", "--json", "--charts") and val != "-":
            out.append(val)
    return out


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs_verbatim(finmodel_exe, sandbox, command):
    work, shipped = sandbox
    # the README's relative scenarios/ path, made absolute (quoted: the path has a space and brackets)
    line = command.replace("scenarios/", shlex.quote(str(shipped)) + "/")
    if " new " in f" {line} ":  # `finmodel new` is followed by a `validate` of the file it wrote
        for f in work.glob("*.yaml"):
            f.unlink()
    env = {**os.environ, "PATH": f"{Path(finmodel_exe).parent}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "100"}
    r = subprocess.run(["bash", "-c", line], cwd=work, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, f"{line}\n{r.stdout}\n{r.stderr}"
    assert "Traceback" not in r.stdout + r.stderr
    words = shlex.split(command)
    for name in _outputs(words):
        assert (work / name).exists(), name
    if "--json" in words and words[words.index("--json") + 1] == "-":
        assert json.loads(r.stdout)
    if words[1] == "new":
        assert (work / f"{words[2]}.yaml").exists()
        # the following README line validates it: run it here too, the two go together
        v = subprocess.run(
            ["bash", "-c", f"finmodel validate {shlex.quote(words[2] + '.yaml')}"],
            cwd=work,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert v.returncode == 0 and v.stdout.startswith("OK"), v.stdout + v.stderr
