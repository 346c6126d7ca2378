"""Shared fixtures. The ``libreoffice`` marker itself is declared in pyproject.toml, not here.

LibreOffice rule, for every test marked ``@pytest.mark.libreoffice`` and for the ``recalc`` fixture:
without ``soffice`` on PATH the test is skipped with the reason, except when the environment variable ``CI``
is set (to anything but "", "0" or "false"): then a missing soffice fails the test, so that a CI machine
without LibreOffice can never report recalculation parity as passed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from finmodel.workbook import recalc as _recalc

ROOT = Path(__file__).resolve().parents[1]

MISSING_SOFFICE = (
    "LibreOffice not found: `soffice`/`libreoffice` is not on PATH "
    "(apt-get install libreoffice-calc-nogui); recalculation parity not checked"
)


def project_scenarios() -> list[Path]:
    """The shipped project scenario files: ``scenarios/*.yaml`` with a ``project`` block, sorted.

    Tests that loop over scenarios take these only: a fund portfolio file (``projects:``) is another kind of
    file, tested by the fund tests. A project file that fails to load fails the test; it is never skipped.
    """
    from finmodel.schema import load_raw

    return [p for p in sorted((ROOT / "scenarios").glob("*.yaml")) if "project" in load_raw(p)]


def in_ci() -> bool:
    """True when the environment variable CI is set to a true-ish value."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def require_soffice() -> None:
    """Skip the calling test when soffice is missing, or fail it when running in CI."""
    if _recalc.soffice_available():
        return
    if in_ci():
        pytest.fail(f"{MISSING_SOFFICE}; CI is set, so this is a failure, not a skip", pytrace=False)
    pytest.skip(MISSING_SOFFICE)


def pytest_runtest_setup(item):
    if item.get_closest_marker("libreoffice") is not None:
        require_soffice()


@pytest.fixture(scope="session")
def recalc():
    """``finmodel.workbook.recalc.recalculate``, after the soffice check above (skip, or fail in CI).

    Session-scoped so that module-scoped fixtures can recalculate a workbook once and share it.
    """
    require_soffice()
    return _recalc.recalculate


@pytest.fixture(scope="session")
def finmodel_exe() -> str:
    """The installed ``finmodel`` command (the script beside this Python after ``pip install -e .``, else the one
    on PATH): tests that run it as a user does, in a subprocess."""
    import shutil
    import sys
    from pathlib import Path

    here = Path(sys.executable).parent / "finmodel"
    found = str(here) if here.exists() else shutil.which("finmodel")
    assert found, "the finmodel command is not installed: pip install -e '.[test]'"
    return found
