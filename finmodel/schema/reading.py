"""Reading a scenario file into a raw mapping (the shared hostile-input rules of :mod:`finmodel.readfile`)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from finmodel import readfile
from finmodel.errors import ScenarioFileError
from finmodel.schema.types import DEFAULT_SOURCE, found_text


def default_scenario_bytes() -> bytes:
    """The bytes of the embedded default scenario (``finmodel/scenarios/default.yaml``)."""
    return resources.files("finmodel.scenarios").joinpath("default.yaml").read_bytes()


def read(path: str | Path | None) -> tuple[bytes, str]:
    """The bytes of a scenario file and its source name (``"<default>"`` for None); every file read goes here."""
    if path is None:
        return default_scenario_bytes(), DEFAULT_SOURCE
    return readfile.read_bytes(path, "scenario file")


def parse(data: bytes, source: str) -> dict:
    """The raw mapping of a scenario file's bytes (YAML, the shared rules of :mod:`finmodel.readfile`)."""
    raw = readfile.parse_yaml(data, source)
    if raw is None:
        raise ScenarioFileError(
            [("", "expected a mapping of scenario blocks (project, timeline, ...), found an empty file")],
            source,
        )
    if not isinstance(raw, dict):
        raise ScenarioFileError(
            [("", f"expected a mapping of scenario blocks (project, timeline, ...), found {found_text(raw)}")],
            source,
        )
    return raw


def load_raw(path: str | Path | None = None) -> dict:
    """Read a scenario file into a plain mapping, without validating it.

    Parameters
    ----------
    path : str or Path, optional
        Scenario file; None = the embedded default scenario.

    Raises
    ------
    ScenarioFileError
        The file is missing or unreadable, is not YAML (with the line), or is not a mapping.
    """
    data, source = read(path)
    return parse(data, source)
