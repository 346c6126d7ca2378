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

    def lines(self) -> list[str]:
        """One line per problem: ``source: field path: message`` (a file name's own line breaks are the caller's
        to make inert: the command line shows each line through ``finmodel.term.inert``)."""
        head = f"{self.source}: " if self.source else ""
        return [f"{head}{path}: {msg}" if path else f"{head}{msg}" for path, msg in self.problems]

    def format(self) -> str:
        return "\n".join(self.lines())


class ScenarioFileError(InputError):
    """The scenario file cannot be read or parsed (missing, not YAML, not a mapping)."""
