"""One exception base for everything finmodel raises on purpose.

``InputError`` means the user gave something we cannot use (exit code 2 on the command line);
``FinmodelError`` otherwise (exit code 1). Messages say what was expected and what was found,
with the field path where there is one.
"""

from __future__ import annotations


class FinmodelError(Exception):
    """Base class of every error finmodel raises deliberately."""


class InputError(FinmodelError):
    """Bad input: a scenario file, an option or a value. ``problems`` lists every problem found.

    Each problem is a ``(field_path, message)`` pair, ``field_path`` like ``debt.facilities.0.rate``.
    """

    def __init__(self, problems, source: str | None = None):
        if isinstance(problems, str):
            problems = [("", problems)]
        self.problems = list(problems)
        self.source = source
        super().__init__(self.format())

    def format(self) -> str:
        head = f"{self.source}: " if self.source else ""
        lines = []
        for path, msg in self.problems:
            lines.append(f"{head}{path}: {msg}" if path else f"{head}{msg}")
        return "\n".join(lines)


class ScenarioFileError(InputError):
    """The scenario file cannot be read or parsed (missing, not YAML, not a mapping)."""
