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


def test_inert_escapes_every_active_character_and_keeps_text():
    from finmodel.term import inert

    assert inert("\x1b[31mred.yaml") == "\\x1b[31mred.yaml"
    assert inert("a\x07\r\n\x7f\x9b") == "a\\x07\\x0d\\x0a\\x7f\\x9b"
    assert inert("\u202eevil\u202c \u2066x\u2069") == "\\u202eevil\\u202c \\u2066x\\u2069"
    assert inert("line\u2028para\u2029") == "line\\u2028para\\u2029"
    assert inert(b"bad\xff".decode("utf-8", "surrogateescape")) == "bad\\udcff"  # a non-UTF-8 file name
    kept = "스마트시티 مشروع المياه 🚰 a\u200bb Ω $x$ [b]"
    assert inert(kept) == kept  # text, right-to-left script, emoji and markup characters are not controls


def test_save_png_makes_every_text_of_a_figure_inert(tmp_path):
    from matplotlib.figure import Figure

    from finmodel.files import save_png

    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="\u202eleg")
    ax.legend()
    ax.set_title("case \x1b[31m$\\frac$")  # unparseable as mathtext: drawing it as such would raise
    fig.suptitle("a\nb")
    out = save_png(fig, tmp_path / "c.png", dpi=50)
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert ax.get_title() == "case \\x1b[31m$\\frac$"
    assert fig._suptitle.get_text() == "a\\x0ab"
    assert ax.get_legend().get_texts()[0].get_text() == "\\u202eleg"
