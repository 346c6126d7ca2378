"""finmodel.files: atomic writes and output-path checks."""

from __future__ import annotations

import os

import pytest

from finmodel.errors import InputError
from finmodel.files import atomic_write, check_output_path


def test_atomic_write_permissions_follow_the_umask_or_the_replaced_file(tmp_path):
    umask = os.umask(0o022)
    try:
        new = atomic_write(tmp_path / "a.json", lambda tmp: open(tmp, "w").write("{}"))
        assert new.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
        new.chmod(0o600)
        atomic_write(new, lambda tmp: open(tmp, "w").write("[]"))
        assert new.stat().st_mode & 0o777 == 0o600  # a replaced file keeps its permissions
        assert new.read_text() == "[]"
    finally:
        os.umask(umask)


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"previous")

    def broken(tmp):
        open(tmp, "wb").write(b"half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_check_output_path(tmp_path):
    assert check_output_path(None, ".json", "--json") is None
    assert check_output_path(tmp_path / "x.json", ".json", "--json") == tmp_path / "x.json"
    with pytest.raises(InputError, match="expected a .xlsx file name"):
        check_output_path(tmp_path / "x.txt", ".xlsx", "--output")
    (tmp_path / "d.xlsx").mkdir()
    with pytest.raises(InputError, match="found the folder"):
        check_output_path(tmp_path / "d.xlsx", ".xlsx", "--output")
