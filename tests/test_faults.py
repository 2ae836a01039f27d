"""Faults: a statement timeout, a cancelled or terminated backend, a server
restart or crash, a killed `migrate`. Each time nothing committed is lost,
nothing is half-written, and the next call (or run) succeeds.

Synchronisation is by the server's own signals: a test waits until
pg_stat_activity shows the call waiting on a lock (or the migration sleeping)
before it injects the fault.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from interview_db.localdb import LocalPostgres
from interview_db.migrations import migrate, status
from interview_db.postgrest import RpcResponse, call_rpc
from interview_db.project import Project
from interview_db.seeds import seed

from .helpers import RPC, TestDatabase, User, copy_project, minimal_body, scalar, wait_for

Body = dict[str, Any]


def many_questions(count: int = 200, prefix: str = "Question", size: int = 0) -> list[dict[str, Any]]:
    return [
        {"question": f"{prefix} {i}: tell us about a project you led?" + " detail" * size,
         "question_alternatives": [f"Alternative {i}.{j}" + " words" * size for j in range(3)],
         "external_data": {"rank": i, "note": "n" * size}}
        for i in range(count)
    ]


# -- blockers: another transaction that holds what the call needs -------------


def hold_idempotency_key(db: TestDatabase, merchant_id: str, key: str) -> psycopg.Connection:
    """An open transaction that has inserted (merchant, key) and does not commit:
    a call with that key waits on the row until this one ends."""
    conn = psycopg.connect(db.url)
    conn.execute(
        "insert into interview_private.idempotency_keys (merchant_id, idempotency_key, request_hash) "
        "values (%s, %s, sha256('another request'::bytea))",
        (merchant_id, key),
    )
    return conn


def hold_questions(db: TestDatabase, user: User, body: Body) -> psycopg.Connection:
    """An open transaction of the same user creating an interview with ``body``
    (through the RPC, as PostgREST would), not committed: a call that stores one
    of the same question records waits on it in the middle of its writes."""
    conn = psycopg.connect(db.api_url)
    conn.execute(
        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
        (json.dumps(user.claims),),
    )
    # every parameter is jsonb: each value goes as its JSON
    args = sql.SQL(", ").join(
        sql.SQL("{} => {}::jsonb").format(sql.Identifier(key), sql.Placeholder()) for key in body
    )
    values = [Jsonb(v) for v in body.values()]
    row = conn.execute(sql.SQL("select public.{}({})").format(sql.Identifier(RPC), args), values).fetchone()
    assert row is not None and "interview_def_set_id" in row[0], row
    return conn


class CallInFlight:
    """One RPC call on its own API connection, run in a thread."""

    def __init__(self, db: TestDatabase, body: Body, user: User, *, setup: str | None = None) -> None:
        self.conn = psycopg.connect(db.api_url, autocommit=True)
        if setup:
            self.conn.execute(setup)
        self.pid = self.conn.info.backend_pid
        self._pool = ThreadPoolExecutor(max_workers=1)
        self.future: Future[RpcResponse] = self._pool.submit(call_rpc, self.conn, RPC, body, user.claims)

    def result(self) -> RpcResponse:
        return self.future.result(timeout=120)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.conn.close()


def waiting_on_a_lock(db: TestDatabase, pid: int) -> dict[str, Any] | None:
    return db.admin.execute(
        "select backend_xid::text as xid, wait_event from pg_stat_activity where pid = %s and wait_event_type = 'Lock'",
        (pid,),
    ).fetchone()


def locks_held(db: TestDatabase, pid: int) -> set[tuple[str, str]]:
    rows = db.admin.execute(
        "select n.nspname || '.' || c.relname as relation, l.mode from pg_locks as l "
        "join pg_class as c on c.oid = l.relation join pg_namespace as n on n.oid = c.relnamespace "
        "where l.pid = %s and l.granted and l.locktype = 'relation'",
        (pid,),
    ).fetchall()
    return {(r["relation"], r["mode"]) for r in rows}


# -- statement timeout, cancel, terminate --------------------------------------


def test_a_200_question_call_cut_by_statement_timeout_writes_nothing_and_the_next_call_succeeds(
    db: TestDatabase,
) -> None:
    owner = db.owner()
    body = minimal_body(questions=many_questions(200, size=250), disable_deduplication=True)
    assert 1_000_000 < len(json.dumps(body)) < 2 * 1024 * 1024  # big, but under the body limit
    before = db.counts()

    db.api.execute("set statement_timeout = '10ms'")
    cut = db.rpc(body, owner)
    db.api.execute("reset statement_timeout")

    assert (cut.status, cut.body["code"]) == (500, "57014"), cut.body
    assert "statement timeout" in cut.body["message"]
    assert db.counts() == before
    again = db.rpc(body, owner)
    assert again.status == 200, again.body
    assert again.body["questions_created"] == 200
    assert len(db.steps(again.body["interview_def_set_id"])) == 202


def test_a_statement_timeout_while_the_call_waits_mid_write_rolls_back_what_it_wrote(db: TestDatabase) -> None:
    owner = db.owner()
    questions = many_questions(200)
    before = db.counts()
    blocker = hold_questions(db, owner, minimal_body(name="Other", questions=[questions[150]]))
    call = CallInFlight(db, minimal_body(questions=questions), owner, setup="set statement_timeout = '3s'")
    try:
        waiting = wait_for(lambda: waiting_on_a_lock(db, call.pid), "the call waits on the other transaction")
        assert waiting["xid"] is not None  # it has written: its interview_def_set row is in
        assert ("public.interview_def_set", "RowExclusiveLock") in locks_held(db, call.pid)
        cut = call.result()
    finally:
        blocker.rollback()
        blocker.close()
        call.close()

    assert (cut.status, cut.body["code"]) == (500, "57014"), cut.body
    assert db.counts() == before
    again = db.rpc(minimal_body(questions=questions), owner)
    assert again.status == 200 and again.body["questions_created"] == 200


def test_a_call_cancelled_mid_write_rolls_back_what_it_wrote(db: TestDatabase) -> None:
    owner = db.owner()
    questions = many_questions(200)
    before = db.counts()
    blocker = hold_questions(db, owner, minimal_body(name="Other", questions=[questions[10]]))
    call = CallInFlight(db, minimal_body(questions=questions), owner)
    try:
        waiting = wait_for(lambda: waiting_on_a_lock(db, call.pid), "the call waits on the other transaction")
        assert waiting["xid"] is not None
        assert db.admin.execute("select pg_cancel_backend(%s) as ok", (call.pid,)).fetchone()["ok"]
        cancelled = call.result()
    finally:
        blocker.rollback()
        blocker.close()
        call.close()

    assert (cancelled.status, cancelled.body["code"]) == (500, "57014"), cancelled.body
    assert db.counts() == before
    assert db.rpc(minimal_body(questions=questions), owner).status == 200


@pytest.mark.parametrize("blocked_on", ["idempotency key", "question records"])
def test_a_backend_terminated_while_its_call_holds_locks_leaves_no_partial_set(
    db: TestDatabase, blocked_on: str
) -> None:
    owner = db.owner()
    assert owner.merchant_id is not None
    body = minimal_body(questions=many_questions(50), idempotency_key="order-7", is_embedded=True)
    before = db.counts()
    if blocked_on == "idempotency key":
        blocker = hold_idempotency_key(db, owner.merchant_id, "order-7")
    else:
        blocker = hold_questions(db, owner, minimal_body(name="Other", questions=[body["questions"][25]]))
    call = CallInFlight(db, body, owner)
    try:
        waiting = wait_for(lambda: waiting_on_a_lock(db, call.pid), f"the call waits on the {blocked_on}")
        held = locks_held(db, call.pid)
        assert ("interview_private.idempotency_keys", "RowExclusiveLock") in held, held
        if blocked_on == "question records":
            assert waiting["xid"] is not None and ("public.interview_def_set", "RowExclusiveLock") in held
        assert db.admin.execute("select pg_terminate_backend(%s) as ok", (call.pid,)).fetchone()["ok"]
        terminated = call.result()
        wait_for(lambda: db.admin.execute("select pid from pg_stat_activity where pid = %s", (call.pid,)).fetchone()
                 is None, "the terminated backend is gone")
    finally:
        blocker.rollback()
        blocker.close()
        call.close()

    assert terminated.status == 503, terminated.body  # PostgREST: the connection was lost
    assert db.counts() == before  # nothing of the call, nothing of the blocker
    first = db.rpc(body, owner)
    assert first.status == 200, first.body
    assert first.body["questions_created"] == 50 and "embed_signing_key" in first.body
    assert db.rpc(body, owner).body == first.body  # the key works as new: replay, not 409


# -- restart and crash of the server -------------------------------------------


@pytest.fixture(scope="module")
def restartable(project: Project) -> Iterator[LocalPostgres]:
    """A cluster of its own (the session's is shared), deployed and seeded.
    synchronous_commit is on, as on a real deployment: a commit's WAL is written
    before the call returns (the session cluster trades that for speed)."""
    with LocalPostgres(settings={"synchronous_commit": "on"}) as pg:
        migrate(pg.url(), project)
        with psycopg.connect(pg.url(), autocommit=True) as conn:
            seed(conn, project)
        yield pg


def merchant_state(db: TestDatabase, merchant_id: str) -> dict[str, Any]:
    """Everything the package stored for one merchant, in a comparable form."""
    def rows(query: str) -> list[dict[str, Any]]:
        return db.admin.execute(query, {"m": merchant_id}).fetchall()

    return {
        "sets": rows("select * from public.interview_def_set where merchant_id = %(m)s order by id"),
        "steps": rows("select st.* from public.interview_def_step as st join public.interview_def_set as s "
                      "on s.id = st.interview_def_set_id where s.merchant_id = %(m)s order by st.id"),
        "questions": rows("select * from public.interview_def_question where merchant_id = %(m)s order by id"),
        "embed_keys": rows("select e.* from interview_private.embed_keys as e join public.interview_def_set as s "
                           "on s.id = e.interview_def_set_id where s.merchant_id = %(m)s order by e.embed_id"),
        "idempotency": rows("select * from interview_private.idempotency_keys where merchant_id = %(m)s "
                            "order by idempotency_key"),
        "outbox": rows("select * from interview_private.outbox_events where merchant_id = %(m)s order by id"),
    }


def create_sets(db: TestDatabase, owner: User, count: int) -> list[tuple[Body, RpcResponse]]:
    made = []
    for i in range(count):
        body = minimal_body(name=f"Role {i}", questions=[f"Question {i}.{j}?" for j in range(5)],
                            idempotency_key=f"before-{i}", is_embedded=True)
        response = db.rpc(body, owner)
        assert response.status == 200, response.body
        made.append((body, response))
    return made


def test_a_restart_between_calls_loses_nothing_committed_and_drops_the_call_in_flight(
    restartable: LocalPostgres,
) -> None:
    db = TestDatabase(restartable, "postgres")
    owner = db.owner()
    assert owner.merchant_id is not None
    made = create_sets(db, owner, 3)
    saved = merchant_state(db, owner.merchant_id)
    # A call in flight when the server stops: it waits on a key another open transaction holds.
    blocker = hold_idempotency_key(db, owner.merchant_id, "in-flight")
    call = CallInFlight(db, minimal_body(idempotency_key="in-flight"), owner)
    try:
        wait_for(lambda: waiting_on_a_lock(db, call.pid), "the call waits on the key")
        restartable.stop()  # fast shutdown: sessions end, open transactions roll back
        in_flight = call.result()
    finally:
        call.close()
        blocker.close()
        db.close()
    restartable.start()

    after = TestDatabase(restartable, "postgres")
    try:
        assert in_flight.status == 503, in_flight.body
        assert merchant_state(after, owner.merchant_id) == saved
        for body, response in made:  # each replay finds its first response, signing key included
            assert after.rpc(body, owner).body == response.body
        next_call = after.rpc(minimal_body(idempotency_key="in-flight"), owner)
        assert next_call.status == 200, next_call.body
        assert len(after.steps(next_call.body["interview_def_set_id"])) == 3
    finally:
        after.close()


def test_a_server_crash_loses_no_committed_set(restartable: LocalPostgres) -> None:
    db = TestDatabase(restartable, "postgres")
    owner = db.owner()
    assert owner.merchant_id is not None
    create_sets(db, owner, 3)
    saved = merchant_state(db, owner.merchant_id)
    log_size = restartable.logfile.stat().st_size
    db.close()

    assert restartable.pid is not None
    os.kill(restartable.pid, signal.SIGQUIT)  # immediate shutdown: no checkpoint, as in a crash
    restartable.stop()
    restartable.start()

    with restartable.logfile.open("rb") as log:
        log.seek(log_size)
        assert b"automatic recovery in progress" in log.read()  # it did crash, and WAL was replayed
    after = TestDatabase(restartable, "postgres")
    try:
        assert merchant_state(after, owner.merchant_id) == saved
        assert after.rpc(minimal_body(), owner).status == 200
    finally:
        after.close()


# -- migrate killed in the middle of a migration -------------------------------


def test_migrate_killed_mid_migration_leaves_the_database_as_before_and_the_next_run_completes(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    slow = copy.migrations_dir / "0099_slow_table.sql"
    slow.write_text("create table interview_private.slow_table (id integer primary key);\nselect pg_sleep(3600);\n")
    env = dict(os.environ, DATABASE_URL=empty_db, INTERVIEW_DB_PROJECT=str(copy.root))
    command = [sys.executable, "-m", "interview_db", "migrate"]
    killed = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sleeper = wait_for(
            lambda: scalar(empty_db, "select pid from pg_stat_activity where wait_event = 'PgSleep' "
                                     "and datname = current_database() and query like '%pg_sleep(3600)%'"),
            "the migration sleeps after creating its table",
        )
        killed.kill()  # SIGKILL: no cleanup of any kind on the client side
    finally:
        killed.wait(timeout=60)

    # The server notices the client is gone (client_connection_check_interval)
    # and rolls the migration back instead of sleeping on with its locks.
    wait_for(lambda: scalar(empty_db, "select pid from pg_stat_activity where pid = %s", sleeper) is None,
             "the killed migration's backend ends")
    assert scalar(empty_db, "select to_regclass('interview_private.slow_table')") is None
    assert status(empty_db, copy).pending_migrations == ["0099_slow_table"]
    assert scalar(empty_db, "select pid from interview_deploy.yoyo_lock") == killed.pid  # yoyo's stale lock row

    slow.write_text("create table interview_private.slow_table (id integer primary key);\n")  # never applied
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert rerun.returncode == 0, rerun.stderr
    assert f"broke a stale migration lock left by process {killed.pid}" in rerun.stdout
    assert "applied 1 migration(s), up to 0099_slow_table" in rerun.stdout
    assert scalar(empty_db, "select to_regclass('interview_private.slow_table') is not null")
    assert scalar(empty_db, "select count(*) from interview_deploy.yoyo_lock") == 0
    assert status(empty_db, copy).pending_migrations == []
