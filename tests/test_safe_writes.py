"""Safe writes and bounded resources (issue 10), in this process: the atomic writer, output/input clashes, I/O
errors as one line, signals, the memory estimate, the column limit, the Dask deadline, grant-element bounds,
and a portfolio that must not quote the files it refuses. The command-line side is tests/test_hostile_input.py.
"""

from __future__ import annotations

import errno
import os
import signal
import time

import pytest

from finmodel import files
from finmodel.errors import FinmodelError, InputError
from finmodel.files import Interrupted, WriteError, atomic_write, check_not_inputs, check_output_path


def _write_text(text):
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    return write


def test_a_symlink_at_the_target_is_replaced_and_what_it_pointed_to_is_untouched(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "out.json"
    link.symlink_to(victim)
    atomic_write(link, _write_text("{}"))
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and link.read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "victim.txt"]


def test_a_dangling_symlink_at_the_target_is_replaced_not_followed(tmp_path):
    link = tmp_path / "out.json"
    link.symlink_to(tmp_path / "elsewhere.txt")
    atomic_write(link, _write_text("{}"))
    assert not (tmp_path / "elsewhere.txt").exists()
    assert link.read_text() == "{}"


def test_the_temporary_file_is_created_exclusively_beside_the_target(tmp_path, monkeypatch):
    seen = {}

    def write(tmp):
        seen["tmp"] = tmp
        st = os.lstat(tmp)
        seen["mode"] = st.st_mode & 0o777
        open(tmp, "w").write("x")

    atomic_write(tmp_path / "out.csv", write)
    assert os.path.dirname(seen["tmp"]) == str(tmp_path)
    assert seen["mode"] == 0o600  # mkstemp: O_CREAT | O_EXCL, private until renamed
    assert not os.path.exists(seen["tmp"])


def test_a_long_name_does_not_push_the_temporary_file_past_the_name_limit(tmp_path):
    name = "가" * 80 + ".json"  # 245 bytes: a legal name; the temporary name must stay legal too
    atomic_write(tmp_path / name, _write_text("{}"))
    assert (tmp_path / name).read_text() == "{}"


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EFBIG, errno.EACCES, errno.EROFS])
def test_an_io_error_is_one_line_and_leaves_the_previous_file(tmp_path, code):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"previous")

    def failing(tmp):
        open(tmp, "wb").write(b"half")
        raise OSError(code, os.strerror(code))

    with pytest.raises(WriteError) as info:
        atomic_write(target, failing)
    assert str(info.value) == f"cannot write {target}: {os.strerror(code)}"
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_a_folder_that_is_a_file_is_refused_before_any_work(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(WriteError, match="is not a directory"):
        check_output_path(tmp_path / "file" / "sub" / "out.json", ".json", "--json")
    with pytest.raises(WriteError, match="is not a directory"):
        atomic_write(tmp_path / "file" / "out.json", _write_text("{}"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_a_write_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(WriteError, match="Permission denied"):
            atomic_write(ro / "out.json", _write_text("{}"))
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_write_removes_the_temporary_file(tmp_path, signum):
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    files.install_signal_handlers()
    target = tmp_path / "out.json"
    target.write_text("previous")

    def interrupted(tmp):
        open(tmp, "w").write("half")
        os.kill(os.getpid(), signum)
        time.sleep(5)  # the handler raises before this ends

    try:
        with pytest.raises(Interrupted) as info:
            atomic_write(target, interrupted)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    assert info.value.exit_code == 128 + signum  # 143 for SIGTERM, 130 for SIGINT
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    assert not files._LIVE_TEMPORARIES


def test_outputs_that_are_inputs_are_refused(tmp_path):
    src = tmp_path / "s.yaml"
    src.write_text("x")
    (tmp_path / "hard.json").hardlink_to(src)
    (tmp_path / "soft.json").symlink_to(src)
    for out in (src, tmp_path / "hard.json", tmp_path / "soft.json", tmp_path / "sub" / ".." / "s.yaml"):
        with pytest.raises(InputError, match="not one of the inputs"):
            check_not_inputs({"--json": out}, [src])
    check_not_inputs({"--json": tmp_path / "other.json", "--output": None}, [src, None])
    png = tmp_path / "charts" / "dscr.png"
    png.parent.mkdir()
    png.write_text("x")
    with pytest.raises(InputError, match="--charts"):
        check_not_inputs({"--charts": png.parent}, [png])


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("", "expected a file name"),
        ("a\nb", "U+000A"),
        ("x" * 300, "255 bytes"),
        ("dir/", "expected a file name"),
        ("a\x1b[31m", "U+001B"),
    ],
)
def test_new_refuses_names_no_file_system_takes(tmp_path, name, fragment):
    from finmodel.inputs.validation import new_scenario_file

    with pytest.raises(InputError, match=fragment.replace("+", r"\+")):
        new_scenario_file(f"{tmp_path}/{name}" if name else name)
    assert list(tmp_path.iterdir()) == []


def test_new_writes_atomically_and_replaces_a_planted_symlink_only_with_force(tmp_path):
    from finmodel.inputs.validation import new_scenario_file

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "kk.yaml").symlink_to(victim)
    with pytest.raises(InputError, match="--force"):
        new_scenario_file(tmp_path / "kk")
    new_scenario_file(tmp_path / "kk", force=True)
    assert victim.read_text() == "precious"
    assert not (tmp_path / "kk.yaml").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kk.yaml", "victim.txt"]


# --- resources -------------------------------------------------------------------------------------------


def test_the_memory_estimate_refuses_what_cannot_fit(monkeypatch):
    from finmodel.risk import simulation

    monkeypatch.setattr(simulation, "memory_limit", lambda: 8 * 1024**3)  # a machine with ~10.7 GB
    simulation.check_options(1_000_000, 0, 4096)  # the README's 1,000,000-path run fits
    with pytest.raises(InputError) as info:
        simulation.check_options(10**9, 0, 4096)
    ((option, msg),) = info.value.problems
    assert option == "--paths" and "8.0 GB" in msg and "estimated 477" in msg
    with pytest.raises(InputError, match="--chunk-size"):
        simulation.check_memory(100_000, 100_000, periods=1200)
    with pytest.raises(InputError, match="--chunk-size"):
        simulation.check_options(10, 0, 0)


def test_the_memory_estimate_grows_with_paths_chunks_and_periods():
    from finmodel.risk.simulation import memory_estimate

    base = memory_estimate(10_000, 4096, 60)
    assert memory_estimate(20_000, 4096, 60) > base
    assert memory_estimate(10_000, 8192, 60) > base
    assert memory_estimate(10_000, 4096, 120) > base
    assert memory_estimate(100, 4096, 60) == memory_estimate(100, 100, 60)  # a chunk never exceeds the paths


def test_a_workbook_past_the_last_excel_column_is_refused():
    from finmodel.workbook.cells import FIRST_COL
    from finmodel.workbook.layout import MAX_COLUMNS, check_columns

    check_columns(MAX_COLUMNS - FIRST_COL + 1)  # the last column: fine
    with pytest.raises(InputError, match="16,384 columns"):
        check_columns(MAX_COLUMNS - FIRST_COL + 2)


def test_a_silent_dask_scheduler_fails_within_the_deadline(monkeypatch):
    from finmodel.risk import api

    monkeypatch.setattr(api, "CONNECT_TIMEOUT_S", 0.2)

    class Silent:
        def __init__(self, address, timeout):
            time.sleep(30)

    class Refusing:
        def __init__(self, address, timeout):
            raise OSError(f"Timed out trying to connect to {address} after {timeout} s")

    t0 = time.monotonic()
    with pytest.raises(FinmodelError, match="no answer"):
        api._client_within(Silent, "tcp://192.0.2.1:8786")
    assert time.monotonic() - t0 < 10  # generous: the deadline is 0.2 + 2 s; the point is "not 30 s"
    with pytest.raises(FinmodelError, match="cannot connect to the Dask scheduler 'tcp://x:1'.*Timed out"):
        api._client_within(Refusing, "tcp://x:1")


@pytest.mark.parametrize("maturity", [100.5, 1e9, 1e300])
def test_grant_element_maturity_is_bounded(maturity):
    from finmodel.inputs.grant_element import MAX_MATURITY_YEARS, grant_element_report

    assert MAX_MATURITY_YEARS == 100
    with pytest.raises(InputError, match="up to 100"):
        grant_element_report(0.01, maturity, 5, method="rate", discount_rate=0.05)
    grant_element_report(0.01, 100, 5, method="rate", discount_rate=0.05)


def test_a_refused_portfolio_project_is_never_quoted(tmp_path):
    from finmodel.funds import portfolio

    secret = tmp_path / "secret.yaml"
    secret.write_text("api_key: sk-THE-SECRET-VALUE\nroot: [x, 'hunter2']\n")
    notyaml = tmp_path / "passwd"
    notyaml.write_text("root:x:0:0:THE-PASSWD-LINE:/root:/bin/bash\n")
    pf = tmp_path / "pf.yaml"
    pf.write_text(
        "fund: {name: F, structure: pis, start_date: 2026-01-01, periods_per_year: 1, term_years: 20,\n"
        "       investment_years: 5, management_fee: 0.01, total_commitment: 1.0e9,\n"
        "       tranches: {government: {commitment: 1.0e8}, public: {commitment: 3.0e8},\n"
        "                  private: {commitment: 6.0e8}}}\n"
        f"projects:\n  - {{name: a, scenario: {secret}, stake: 0.2}}\n"
        f"  - {{name: b, scenario: {notyaml}, stake: 0.2}}\n"
        f"  - {{name: c, scenario: {tmp_path / 'missing.yaml'}, stake: 0.2}}\n  - {{name: d, scenario: {tmp_path}, "
        "stake: 0.2}\n"
    )
    with pytest.raises(InputError) as info:
        portfolio.load(pf)
    text = info.value.format()
    for leak in ("sk-THE-SECRET", "hunter2", "api_key", "THE-PASSWD-LINE", "root:x"):
        assert leak not in text
    assert "projects.0.scenario" in text and "finmodel validate" in text
    assert "no such file" in text and "not a regular file" in text
