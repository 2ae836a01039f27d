"""The disposable local PostgreSQL: starts and stops as root and as a normal
user, and leaves no process or directory behind, Ctrl-C included."""

from __future__ import annotations

import multiprocessing
import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from interview_db import localdb
from interview_db.localdb import LocalPostgres, PgBinaries, find_binaries


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie of ours counts as gone once reaped; check its state
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return True
    return state == "Z"


def exercise(binaries: PgBinaries) -> tuple[str, int, str, str]:
    """Start, query, stop; returns what is needed to check nothing is left."""
    with LocalPostgres(binaries) as pg:
        with psycopg.connect(pg.url()) as conn:
            version = conn.execute("show server_version").fetchone()[0]
            user = conn.execute("select current_setting('data_directory')").fetchone()[0]
        basedir, pid = str(pg.basedir), pg.pid
        description = pg.describe()
    assert pid is not None
    return basedir, pid, version, f"{description} / {user}"


def assert_nothing_left(basedir: str, pid: int) -> None:
    deadline = time.monotonic() + 10
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(pid), f"postmaster {pid} still runs"
    assert not Path(basedir).exists(), f"{basedir} left behind"


def test_binaries_are_found_and_described() -> None:
    binaries = find_binaries()
    assert (binaries.bindir / "postgres").is_file() and binaries.major >= 15
    assert binaries.source


def test_explicit_bin_directory_that_is_wrong_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INTERVIEW_DB_PG_BIN", str(tmp_path))
    with pytest.raises(localdb.LocalPostgresError, match="no PostgreSQL server binaries found"):
        find_binaries()


@pytest.mark.skipif(os.geteuid() != 0, reason="the root path needs a root process; CI runs as root")
def test_starts_and_stops_as_root_running_the_server_unprivileged() -> None:
    basedir, pid, version, _ = exercise(find_binaries())
    assert version.split(".")[0] == str(find_binaries().major)
    assert_nothing_left(basedir, pid)


def _run_as_normal_user(binaries: PgBinaries, uid: int, gid: int, queue: multiprocessing.Queue) -> None:
    try:
        if os.geteuid() == 0:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        os.environ["HOME"] = "/tmp"
        queue.put(("ok", exercise(binaries)))
    except BaseException as exc:  # noqa: BLE001 - sent back to the test
        queue.put(("error", repr(exc)))


def test_starts_and_stops_as_a_normal_user() -> None:
    binaries = find_binaries()
    if os.geteuid() == 0:
        account = pwd.getpwnam("nobody")
        if not localdb._reachable_by(account, binaries.program("postgres")):
            binaries = localdb._shared_copy(binaries)
        uid, gid = account.pw_uid, account.pw_gid
    else:
        uid, gid = os.geteuid(), os.getegid()
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue = context.Queue()
    child = context.Process(target=_run_as_normal_user, args=(binaries, uid, gid, queue))
    child.start()
    outcome, payload = queue.get(timeout=120)
    child.join(timeout=30)
    assert outcome == "ok", payload
    basedir, pid, _, _ = payload
    assert_nothing_left(basedir, pid)


def test_ctrl_c_stops_and_removes_the_cluster() -> None:
    script = (
        "import signal, sys, time\n"
        # Ctrl-C as at a terminal, even where this test runs with SIGINT ignored (a background job
        # of a shell without job control inherits SIG_IGN, and Python then never raises KeyboardInterrupt)
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from interview_db.localdb import LocalPostgres\n"
        "with LocalPostgres() as pg:\n"
        "    print(pg.basedir, pg.pid, flush=True)\n"
        "    time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    basedir, pid = proc.stdout.readline().split()
    proc.send_signal(signal.SIGINT)
    # stop() may take up to 50 s on a stalled server (SIGINT 30 s, SIGQUIT 10 s, SIGKILL 10 s):
    # wait past that, and say what the child and the server were doing if it still hangs
    try:
        proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        log = Path(basedir) / "server.log"
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no server log)"
        pytest.fail(f"Ctrl-C did not stop the process within 90 s\nstderr:\n{stderr}\nserver log:\n{tail}")
    assert_nothing_left(basedir, int(pid))


def test_restart_keeps_the_data() -> None:
    with LocalPostgres() as pg:
        with psycopg.connect(pg.url(), autocommit=True) as conn:
            conn.execute("create table kept (x int); insert into kept values (42)")
        first_pid = pg.pid
        pg.stop()
        assert pg.pid is None
        pg.start()
        assert pg.pid != first_pid
        with psycopg.connect(pg.url()) as conn:
            assert conn.execute("select x from kept").fetchone() == (42,)
