"""Writing output files safely, and checking output paths before any work is done.

Every output (workbook, JSON, CSV, Parquet, PNG, the scenario file ``finmodel new`` creates) goes through
:func:`atomic_write`:

- the content is written to a temporary file created exclusively (``mkstemp``: ``O_CREAT | O_EXCL``, mode 0600)
  in the target's own folder, flushed to disk, then renamed over the target, so an interrupted or failed run
  never leaves a half-written file nor destroys the previous one;
- a symbolic link at the target is **replaced** by the new file (``rename`` replaces the link itself): the
  file it pointed to is never written through nor changed;
- temporary files still open when SIGINT or SIGTERM arrives are removed (:func:`install_signal_handlers`; the
  command line then exits 130 or 143 without a traceback);
- an operating-system error (permission denied, not a directory, disk full, file too large, ...) becomes
  :class:`WriteError`: ``cannot write PATH: reason`` (exit code 1 on the command line).

An output path that is the same file as one of the command's inputs is refused before any work
(:func:`check_not_inputs`, exit code 2).
"""

from __future__ import annotations

import errno
import gc
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from finmodel.errors import FinmodelError, InputError

_LIVE_TEMPORARIES: set[str] = set()
"""Temporary files being written now: removed by the signal handlers."""

_PREFIX_CHARS = 40
"""Characters of the target's name kept in the temporary file's name (a long name must not push the temporary
file past the file system's 255-byte name limit)."""


class WriteError(FinmodelError):
    """An output could not be written: ``cannot write PATH: reason``."""

    def __init__(self, path, reason):
        self.path = Path(path)
        if isinstance(reason, OSError):
            reason = reason.strerror or str(reason) or type(reason).__name__
        super().__init__(f"cannot write {path}: {reason}")


class Interrupted(BaseException):  # noqa: N818 (it is not an error: the user stopped the command)
    """SIGINT / SIGTERM arrived; ``exit_code`` is 128 + the signal number (130, 143)."""

    def __init__(self, signum: int):
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(signal.Signals(signum).name)


def remove_temporaries() -> None:
    """Remove every temporary file :func:`atomic_write` is writing (what the signal handlers call)."""
    for tmp in list(_LIVE_TEMPORARIES):
        _discard(tmp)


def _on_signal(signum, _frame):
    remove_temporaries()
    raise Interrupted(signum)


def install_signal_handlers() -> None:
    """SIGINT and SIGTERM remove the temporary files and raise :class:`Interrupted` (main thread only)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _on_signal)


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    except OSError:  # nothing more can be done about it; the original error is what matters
        pass
    _LIVE_TEMPORARIES.discard(tmp)


try:  # openpyxl writes through lxml when it is installed: its I/O errors are not OSErrors
    from lxml.etree import SerialisationError as _SerialisationError
except ImportError:  # pragma: no cover - lxml is optional

    class _SerialisationError(Exception):
        pass


def _failure_text(exc: BaseException) -> str:
    """The operating system's words for a failed write: an OSError's strerror, or lxml's ``IO_EFBIG`` as "File too
    large" (lxml names the errno; anything else it raises is shown as it is)."""
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    name = str(exc).strip()
    code = getattr(errno, name[3:], None) if name.startswith("IO_") else None
    return os.strerror(code) if isinstance(code, int) else name or type(exc).__name__


def atomic_write(path, write: Callable[[str], object], *, suffix: str = ".tmp") -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    ``suffix`` is the temporary file's ending (openpyxl reads back only files ending in ``.xlsx``).
    Raises :class:`WriteError` on an operating-system error; the target is then as it was before.
    """
    path = Path(path)
    check_folder(path.parent, path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:_PREFIX_CHARS]}.", suffix=suffix, dir=path.parent)
    except OSError as exc:
        raise WriteError(path, exc) from None
    _LIVE_TEMPORARIES.add(tmp)
    failure = None
    try:
        os.close(fd)
        write(tmp)
        _sync(tmp)
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600 files: give the output its usual permissions
        os.replace(tmp, path)  # a symlink at ``path`` is replaced, never followed
    except (OSError, _SerialisationError) as exc:
        failure = _failure_text(exc)
        # the writer's half-closed generators (openpyxl) are finalised when this frame lets go of ``exc``: their
        # second failure would print "Exception ignored ... Traceback" on the way out, so it is silenced until
        # they are collected
        hook, sys.unraisablehook = sys.unraisablehook, _ignore_unraisable
    except BaseException:
        _discard(tmp)
        raise
    if failure is not None:
        try:
            _discard(tmp)
            gc.collect()
        finally:
            sys.unraisablehook = hook
        raise WriteError(path, failure)
    _LIVE_TEMPORARIES.discard(tmp)
    return path


def save_png(fig, path, **savefig) -> Path:
    """Write a matplotlib figure as a PNG through :func:`atomic_write`, every text of it made inert first
    (:func:`finmodel.term.inert_figure`: control characters escaped, nothing parsed as mathtext).
    ``savefig``: keywords of ``Figure.savefig`` (``dpi``)."""
    from finmodel.term import inert_figure

    inert_figure(fig)
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", **savefig))


def _ignore_unraisable(_unraisable) -> None:
    pass


def _sync(tmp: str) -> None:
    """Flush the temporary file to disk before the rename (a crash leaves the old file or the new one)."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mode_for(path: Path) -> int:
    """The permissions the output should have: the replaced regular file's, else the default under the umask."""
    try:
        st = os.lstat(path)
    except OSError:
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        return st.st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


STDOUT = "-"
"""The output path meaning standard output (``--json -``)."""


def check_output_path(path, suffix: str, option: str) -> Path | str | None:
    """``path`` as a Path if it names a ``suffix`` file (not a folder); None stays None; ``-`` (standard output)
    stays ``-`` for JSON; else InputError.

    A path that cannot be written because one of its folders is a file raises :class:`WriteError` here, before
    any work, rather than after it.
    """
    if path is None:
        return None
    if str(path) == STDOUT and suffix == ".json":
        return STDOUT
    p = Path(path)
    if p.suffix.lower() != suffix:
        raise InputError([(option, f"expected a {suffix} file name, found {str(path)!r}")])
    if p.is_dir():
        raise InputError([(option, f"expected a file name, found the folder {str(path)!r}")])
    check_folder(p.parent, p)
    return p


NAME_MAX_BYTES = 255
"""Longest file name (one path component) Linux, macOS and Windows file systems accept, in bytes (UTF-8)."""


def check_file_name(path, option: str = "NAME") -> Path:
    """Refuse (InputError) a new file's name that is empty, names a folder, holds control characters or is too
    long for a file system; return it as a Path."""
    text = str(path)
    if not text or text.endswith(("/", "\\")) or Path(text).name in ("", ".", ".."):
        raise InputError([(option, f"expected a file name, found {text!r}")])
    bad = sorted({f"U+{ord(c):04X}" for c in text if ord(c) < 32 or 127 <= ord(c) < 160})
    if bad:
        raise InputError([(option, f"expected a file name without control characters, found {', '.join(bad)}")])
    longest = max(len(part.encode("utf-8", "surrogateescape")) for part in Path(text).parts)
    if longest > NAME_MAX_BYTES:
        raise InputError(
            [
                (
                    option,
                    f"expected file and folder names of at most {NAME_MAX_BYTES} bytes, found one of {longest:,} bytes",
                )
            ]
        )
    return Path(text)


def check_folder(folder, target=None) -> None:
    """Raise :class:`WriteError` if ``folder`` (or its first existing ancestor) is not a folder."""
    folder = Path(folder)
    probe = folder
    while not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():  # a file, or a link to nothing / to a file
        raise WriteError(target if target is not None else folder, f"{probe} is not a directory")


def make_folder(folder) -> Path:
    """Create ``folder`` (and its parents) for output files; :class:`WriteError` if that is impossible."""
    folder = Path(folder)
    check_folder(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(folder, exc) from None
    return folder


def _identity(path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def check_not_inputs(outputs: Mapping[str, object], inputs: Iterable[object]) -> None:
    """Refuse (InputError, before any work) an output that is the same file as an input.

    ``outputs``: option -> path (None = not asked). A folder output (``--charts DIR``) conflicts with an input
    file directly inside it with a ``.png`` name. Files are compared by identity (device and inode: hard links
    and symlinks included) and by resolved path.
    """
    ins = [Path(p) for p in inputs if isinstance(p, (str, os.PathLike))]  # a loaded Scenario has no file here
    problems = []
    for option, out in outputs.items():
        if out is None or str(out) == STDOUT:
            continue
        out = Path(out)
        for inp in ins:
            if out.is_dir():
                clash = inp.suffix.lower() == ".png" and _same(inp.parent, out)
            else:
                clash = _same(inp, out)
            if clash:
                problems.append(
                    (
                        option,
                        f"expected an output that is not one of the inputs, found {str(out)!r}, "
                        f"which is the input {str(inp)!r}",
                    )
                )
                break
    if problems:
        raise InputError(problems)


def _same(a: Path, b: Path) -> bool:
    ia, ib = _identity(a), _identity(b)
    if ia is not None and ia == ib:
        return True
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return False
