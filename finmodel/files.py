"""Writing output files safely, and checking output paths before any work is done.

Every output (workbook, JSON, CSV, PNG) is written to a temporary file in the target folder and renamed over
the target, so an interrupted or failed run never leaves a broken file nor destroys the previous one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from finmodel.errors import InputError


def atomic_write(path, write: Callable[[str], object], *, suffix: str = ".tmp") -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    ``suffix`` is the temporary file's ending (openpyxl reads back only files ending in ``.xlsx``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600 files: give the output its usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _mode_for(path: Path) -> int:
    """The permissions the output should have: the replaced file's, else the default under the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


STDOUT = "-"
"""The output path meaning standard output (``--json -``)."""


def check_output_path(path, suffix: str, option: str) -> Path | str | None:
    """``path`` as a Path if it names a ``suffix`` file (not a folder); None stays None; ``-`` (standard output)
    stays ``-`` for JSON; else InputError."""
    if path is None:
        return None
    if str(path) == STDOUT and suffix == ".json":
        return STDOUT
    p = Path(path)
    if p.suffix.lower() != suffix:
        raise InputError([(option, f"expected a {suffix} file name, found {str(path)!r}")])
    if p.exists() and p.is_dir():
        raise InputError([(option, f"expected a file name, found the folder {str(path)!r}")])
    return p
