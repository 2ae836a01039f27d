"""The merchant tree can never hold a cycle, even when two transactions
re-parent concurrently (X.parent = Y in one, Y.parent = X in the other): each
change of parent first updates the one row of interview_private.merchant_tree_lock,
so the second waits for the first and then sees its commit (READ COMMITTED), or
fails with a serialization error (REPEATABLE READ, SERIALIZABLE)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from .helpers import TestDatabase, wait_for

# Every merchant that is its own ancestor; empty when the tree is a forest.
_CYCLES = """
with recursive walk (start, id, depth) as (
  select m.id, m.parent_merchant_id, 1 from public.merchants as m where m.parent_merchant_id is not null
  union all
  select w.start, m.parent_merchant_id, w.depth + 1
  from walk as w join public.merchants as m on m.id = w.id
  where m.parent_merchant_id is not null and w.id <> w.start and w.depth < 10000
)
select distinct start::text as merchant from walk where id = start
"""

REPARENT = "update public.merchants set parent_merchant_id = %s where id = %s"


def cycles(db: TestDatabase) -> list[str]:
    return [r["merchant"] for r in db.admin.execute(_CYCLES).fetchall()]


def test_the_cycle_finder_finds_a_cycle_made_past_the_trigger(db: TestDatabase) -> None:
    """So that `cycles(db) == []` below could fail."""
    x, y, z = db.merchant(name="X"), db.merchant(name="Y"), db.merchant(name="Z")
    db.admin.execute("set session_replication_role = replica")  # no triggers in this session
    try:
        db.admin.execute(REPARENT, (y, x))
        db.admin.execute(REPARENT, (x, y))
        db.admin.execute(REPARENT, (x, z))  # under the cycle, not in it
    finally:
        db.admin.execute("reset session_replication_role")
    assert sorted(cycles(db)) == sorted([x, y])


def parents(db: TestDatabase, *ids: str) -> list[str | None]:
    rows = {r["id"]: r["parent_merchant_id"] for r in db.admin.execute(
        "select id::text, parent_merchant_id::text from public.merchants where id = any (%s::uuid[])", (list(ids),))}
    return [rows[i] for i in ids]


@contextmanager
def transaction(db: TestDatabase, isolation: str) -> Iterator[psycopg.Connection]:
    """A connection (the deployer's role, as a tenant-admin tool would use) inside an open transaction."""
    with psycopg.connect(db.url, autocommit=True) as conn:
        conn.execute(f"begin isolation level {isolation}")
        try:
            yield conn
        finally:
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.execute("rollback")


def waiting_on_a_lock(db: TestDatabase, pid: int) -> bool:
    row = db.admin.execute("select wait_event_type from pg_catalog.pg_stat_activity where pid = %s", (pid,)).fetchone()
    return row is not None and row["wait_event_type"] == "Lock"


def blocked(db: TestDatabase, conn: psycopg.Connection, thread: threading.Thread) -> None:
    """Wait until the statement on ``thread`` waits for a lock (or, without the serialisation, has ended)."""
    wait_for(lambda: not thread.is_alive() or waiting_on_a_lock(db, conn.info.backend_pid),
             "the second re-parenting waits for the first, or ends")


def in_background(conn: psycopg.Connection, query: str, params: tuple[Any, ...]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run one statement on its own thread; the outcome (None, or the error) lands in the dict."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            conn.execute(query, params)
            outcome["error"] = None
        except psycopg.Error as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("isolation", ["read committed", "repeatable read", "serializable"])
def test_two_concurrent_reparentings_that_would_form_a_cycle_cannot_both_commit(
    db: TestDatabase, isolation: str
) -> None:
    x, y = db.merchant(name="X"), db.merchant(name="Y")
    with transaction(db, isolation) as first, transaction(db, isolation) as second:
        first.execute("select 1")
        second.execute("select 1")  # both snapshots taken before either change (REPEATABLE READ keeps it)
        first.execute(REPARENT, (y, x))  # X under Y
        thread, outcome = in_background(second, REPARENT, (x, y))  # Y under X: it has to wait for the first
        blocked(db, second, thread)
        first.execute("commit")
        thread.join(timeout=60)
        assert not thread.is_alive()

        error = outcome["error"]
        assert error is not None, "both re-parentings went through"
        if isolation == "read committed":
            # it saw the committed X -> Y and refused the cycle
            assert error.sqlstate == "23514", error
            assert error.diag.message_primary == f"merchant {y} cannot have {x} as parent: it would be its own ancestor"
            assert error.diag.constraint_name == "merchants_no_cycles"
        else:
            # its snapshot predates X -> Y: it fails, retryable, rather than commit blind
            assert error.sqlstate == "40001", error
            assert error.diag.message_primary == (
                f"merchant {y} cannot be moved under {x} now: another transaction changed the merchant tree since "
                "this transaction began")
            assert "retry" in (error.diag.message_hint or "")
        second.execute("rollback")

    assert parents(db, x, y) == [y, None]
    assert cycles(db) == []


def test_under_repeatable_read_a_reparenting_after_a_concurrent_commit_fails_without_waiting(db: TestDatabase) -> None:
    """No lock wait at all: the other transaction committed after this one's snapshot and before its update."""
    x, y = db.merchant(name="X"), db.merchant(name="Y")
    with transaction(db, "repeatable read") as late:
        late.execute("select count(*) from public.merchants")  # the snapshot
        db.admin.execute(REPARENT, (y, x))  # X under Y, committed
        with pytest.raises(psycopg.errors.SerializationFailure, match=f"merchant {y} cannot be moved under {x} now"):
            late.execute(REPARENT, (x, y))
    assert parents(db, x, y) == [y, None]
    assert cycles(db) == []
    # retried in a new transaction, it meets the committed change and is a cycle
    with pytest.raises(psycopg.errors.CheckViolation, match="its own ancestor"):
        db.admin.execute(REPARENT, (x, y))


def test_a_longer_cycle_through_concurrent_reparentings_is_refused_too(db: TestDatabase) -> None:
    """a -> b -> c in one transaction's view, c -> a in the other's."""
    a, b, c = db.merchant(name="A"), db.merchant(name="B"), db.merchant(name="C")
    db.admin.execute(REPARENT, (b, a))  # a under b, committed
    with transaction(db, "read committed") as first, transaction(db, "read committed") as second:
        first.execute(REPARENT, (c, b))  # b under c
        thread, outcome = in_background(second, REPARENT, (a, c))  # c under a
        blocked(db, second, thread)
        first.execute("commit")
        thread.join(timeout=60)
        assert outcome["error"] is not None and outcome["error"].sqlstate == "23514"
        second.execute("rollback")
    assert cycles(db) == []


def test_reparentings_that_form_no_cycle_both_commit_one_after_the_other(db: TestDatabase) -> None:
    root, x, y = db.merchant(name="Root"), db.merchant(name="X"), db.merchant(name="Y")
    with transaction(db, "read committed") as first, transaction(db, "read committed") as second:
        first.execute(REPARENT, (root, x))
        thread, outcome = in_background(second, REPARENT, (root, y))
        blocked(db, second, thread)
        first.execute("commit")
        thread.join(timeout=60)
        assert outcome["error"] is None
        second.execute("commit")
    assert parents(db, x, y) == [root, root]


def test_only_a_change_of_parent_takes_the_tree_lock(db: TestDatabase) -> None:
    """Creating merchants, renaming them or setting the same parent again neither waits nor conflicts."""
    root, other = db.merchant(name="Root"), db.merchant(name="Other")
    child = db.merchant(name="Child", parent=root)
    with transaction(db, "read committed") as holder:
        holder.execute(REPARENT, (root, db.merchant(name="Moved")))  # a change of parent: holds the lock
        db.admin.execute("set lock_timeout = '2s'")
        try:
            db.merchant(name="New", parent=root)
            db.admin.execute("update public.merchants set name = 'Renamed' where id = %s", (child,))
            db.admin.execute(REPARENT, (root, child))  # the same parent
            db.admin.execute(REPARENT, (None, child))  # no parent: a root closes no cycle
            with pytest.raises(psycopg.errors.LockNotAvailable):
                db.admin.execute(REPARENT, (other, child))  # a change of parent: waits for the holder
        finally:
            db.admin.execute("reset lock_timeout")


def test_a_swap_in_one_statement_is_refused(db: TestDatabase) -> None:
    """The trigger of the second row sees the first row's new parent (same statement, earlier row)."""
    x, y = db.merchant(name="X"), db.merchant(name="Y")
    with pytest.raises(psycopg.errors.CheckViolation, match="its own ancestor"):
        db.admin.execute(
            "update public.merchants set parent_merchant_id = case id when %s::uuid then %s::uuid else %s::uuid end "
            "where id in (%s, %s)", (x, y, x, x, y))
    assert parents(db, x, y) == [None, None]


def test_an_uncommitted_new_merchant_cannot_be_made_a_parent_so_an_insert_needs_no_tree_lock(
    db: TestDatabase,
) -> None:
    """Why INSERT skips the lock: while N (under P) is uncommitted, no other transaction can put P under N."""
    p = db.merchant(name="P")
    with transaction(db, "read committed") as inserting:
        n = inserting.execute(
            "insert into public.merchants (name, parent_merchant_id) values ('N', %s) returning id::text", (p,)
        ).fetchone()[0]  # type: ignore[index]
        db.admin.execute("set lock_timeout = '5s'")
        try:
            with pytest.raises(psycopg.errors.ForeignKeyViolation):
                db.admin.execute(REPARENT, (n, p))
        finally:
            db.admin.execute("reset lock_timeout")
        inserting.execute("commit")
    assert parents(db, n, p) == [p, None]
    assert cycles(db) == []
