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
from psycopg.rows import tuple_row

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
    """Calls, total and self time of every function by name (overloads summed)."""
    cursor = conn.cursor(row_factory=tuple_row)
    cursor.execute("select pg_stat_clear_snapshot()")
    found: dict[str, tuple[int, float, float]] = {}
    for name, calls, total, self_ in cursor.execute(_SNAPSHOT).fetchall():
        n, t, s = found.get(name, (0, 0.0, 0.0))
        found[name] = (n + int(calls), t + float(total), s + float(self_))
    return found


def _flushed(
    reader: psycopg.Connection, caller: psycopg.Connection, marker: str, at_least: int
) -> dict[str, tuple[int, float, float]]:
    """A snapshot taken once the caller's counts are flushed: the marker counted ``at_least`` times."""
    caller.execute("select pg_stat_force_next_flush()")  # flushed when the session goes idle
    deadline = time.monotonic() + 10
    while True:
        snapshot = _snapshot(reader)
        if snapshot.get(marker, (0, 0.0, 0.0))[0] >= at_least:
            return snapshot
        if time.monotonic() > deadline:
            raise ProfileUnavailable(f"the server did not report the calls of {marker} within 10 s")
        time.sleep(0.05)


def profile_calls(
    reader: psycopg.Connection,
    caller: psycopg.Connection,
    call: Callable[[psycopg.Connection], None],
    calls: int,
    *,
    questions: int,
    marker: str,
    warmup: int = 0,
) -> FunctionProfile:
    """Run ``call(caller)`` ``warmup`` times, then ``calls`` times with ``track_functions =
    all`` on ``caller``, and return each function's calls and times per measured call,
    dearest self time first. ``reader`` reads the statistics; ``marker`` is a function
    every call runs once: the snapshots wait until its count shows every call before
    them (so that no warm-up call lands among the measured ones). Calls of the same
    functions by other sessions count too, where the server tracks them for everyone
    (its own ``track_functions`` not ``none``): profile on a quiet database."""
    try:
        caller.execute("set track_functions = 'all'")
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ProfileUnavailable("setting track_functions needs a superuser session") from exc
    has_flush = reader.cursor(row_factory=tuple_row).execute(
        "select to_regproc('pg_catalog.pg_stat_force_next_flush') is not null").fetchone()
    if not (has_flush and has_flush[0]):
        raise ProfileUnavailable("PostgreSQL 15 or newer is needed (pg_stat_force_next_flush)")
    try:
        start = _snapshot(reader).get(marker, (0, 0.0, 0.0))[0]
        for _ in range(warmup):
            call(caller)
        before = _flushed(reader, caller, marker, start + warmup)
        for _ in range(calls):
            call(caller)
        after = _flushed(reader, caller, marker, before.get(marker, (0, 0.0, 0.0))[0] + calls)
    finally:
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
