"""Where an RPC call's server time goes, function by function.

PostgreSQL counts, per function, its calls, its total time and its self time
(its own statements, without the functions it calls) when ``track_functions``
is ``all``: ``pg_stat_user_functions``. A profile runs N calls on a session of
its own with that setting and takes the difference of two snapshots of the
view, so it resets nobody's statistics. Setting ``track_functions`` needs a
superuser session (a disposable local PostgreSQL has one; a hosted database
usually does not, and then there is no profile).

The clock reading around each function call adds a little to every function;
the profile shows where the time goes, the benchmark's ratios how much.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

_SNAPSHOT = """
select f.schemaname || '.' || f.funcname as function, f.calls, f.total_time, f.self_time
from pg_stat_user_functions as f
"""


@dataclass
class FunctionTime:
    function: str
    calls: float  # calls of the function per RPC call
    total_ms: float  # per RPC call, with the functions it calls
    self_ms: float  # per RPC call, its own statements only


@dataclass
class FunctionProfile:
    questions: int
    calls: int
    functions: list[FunctionTime]


class ProfileUnavailable(RuntimeError):
    """The server cannot count function times for this session (not a superuser, or older than 15)."""


def _snapshot(conn: psycopg.Connection) -> dict[str, tuple[int, float, float]]:
    conn.execute("select pg_stat_clear_snapshot()")
    return {str(name): (int(calls), float(total), float(self_))
            for name, calls, total, self_ in conn.execute(_SNAPSHOT).fetchall()}


def profile_calls(
    reader: psycopg.Connection,
    caller: psycopg.Connection,
    call: Callable[[psycopg.Connection], None],
    calls: int,
    *,
    questions: int,
    marker: str,
) -> FunctionProfile:
    """Run ``call(caller)`` ``calls`` times with ``track_functions = all`` on ``caller``
    and return each function's calls and times per call, dearest self time first.
    ``reader`` reads the statistics; ``marker`` is a function every call runs once
    (to wait until the caller's counts are flushed)."""
    try:
        caller.execute("set track_functions = 'all'")
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ProfileUnavailable("setting track_functions needs a superuser session") from exc
    if not reader.execute("select to_regproc('pg_catalog.pg_stat_force_next_flush') is not null").fetchone()[0]:  # type: ignore[index]
        raise ProfileUnavailable("PostgreSQL 15 or newer is needed (pg_stat_force_next_flush)")
    before = _snapshot(reader)
    for _ in range(calls):
        call(caller)
    caller.execute("select pg_stat_force_next_flush()")  # flushed when the session goes idle
    expected = before.get(marker, (0, 0.0, 0.0))[0] + calls
    deadline = time.monotonic() + 10
    after = _snapshot(reader)
    while after.get(marker, (0, 0.0, 0.0))[0] < expected and time.monotonic() < deadline:
        time.sleep(0.05)
        after = _snapshot(reader)
    caller.execute("reset track_functions")
    functions = []
    for name, (n, total, self_) in after.items():
        b_n, b_total, b_self = before.get(name, (0, 0.0, 0.0))
        if n > b_n:
            functions.append(FunctionTime(name, round((n - b_n) / calls, 2), round((total - b_total) / calls, 3),
                                          round((self_ - b_self) / calls, 3)))
    functions.sort(key=lambda f: (-f.self_ms, f.function))
    return FunctionProfile(questions, calls, functions)


def format_profile(profile: FunctionProfile, top: int = 12) -> list[str]:
    lines = [f"Where an N={profile.questions} call's server time goes ({profile.calls} calls; "
             "pg_stat_user_functions, ms per RPC call, dearest own time first)",
             f"  {'function':<52}  {'calls':>5}  {'total':>8}  {'self':>8}"]
    for f in profile.functions[:top]:
        lines.append(f"  {f.function:<52}  {f.calls:>5g}  {f.total_ms:>8.3f}  {f.self_ms:>8.3f}")
    return lines
