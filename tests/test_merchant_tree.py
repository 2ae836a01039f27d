"""The merchant tree can never hold a cycle, even when two transactions
re-parent concurrently (X.parent = Y in one, Y.parent = X in the other): each
change of parent first updates the one row of interview_private.merchant_tree_lock,
so the second waits for the first and then sees its commit (READ COMMITTED), or
fails with a serialization error (REPEATABLE READ, SERIALIZABLE)."""

from __future__ import annotations

import threading
import uuid
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


# The tree's closure as the parents say it is: every merchant with itself and each ancestor.
_CLOSURE = """
with recursive up (ancestor_id, merchant_id) as (
  select m.id, m.id from public.merchants as m
  union
  select p.parent_merchant_id, u.merchant_id
  from up as u join public.merchants as p on p.id = u.ancestor_id
  where p.parent_merchant_id is not null
)
select ancestor_id::text, merchant_id::text from up
"""


def ancestry(db: TestDatabase) -> set[tuple[str, str]]:
    """The rows of interview_private.merchant_ancestry (ancestor, merchant)."""
    return {(r["ancestor_id"], r["merchant_id"]) for r in db.admin.execute(
        "select ancestor_id::text, merchant_id::text from interview_private.merchant_ancestry").fetchall()}


def assert_ancestry_is_the_tree(db: TestDatabase) -> None:
    """interview_private.merchant_ancestry holds exactly the closure of the parents (no row missing, none stale)."""
    truth = {(r["ancestor_id"], r["merchant_id"]) for r in db.admin.execute(_CLOSURE).fetchall()}
    kept = ancestry(db)
    assert kept == truth, {"missing": truth - kept, "stale": kept - truth}


def below(db: TestDatabase, merchant: str) -> set[str]:
    """The merchants the ancestry puts at or below ``merchant``: what its owners act for."""
    return {m for a, m in ancestry(db) if a == merchant}


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
    assert_ancestry_is_the_tree(db)


def test_only_a_change_of_the_tree_takes_the_tree_lock(db: TestDatabase) -> None:
    """Creating a root merchant, renaming one or setting the same parent again neither waits nor
    conflicts; a change of parent (to none included) and an insert under a parent wait: both change
    the ancestry (interview_private.merchant_ancestry) of rows a concurrent change could move."""
    root, other = db.merchant(name="Root"), db.merchant(name="Other")
    child = db.merchant(name="Child", parent=root)
    with transaction(db, "read committed") as holder:
        holder.execute(REPARENT, (root, db.merchant(name="Moved")))  # a change of parent: holds the lock
        db.admin.execute("set lock_timeout = '2s'")
        try:
            db.merchant(name="New root")
            db.admin.execute("update public.merchants set name = 'Renamed' where id = %s", (child,))
            db.admin.execute(REPARENT, (root, child))  # the same parent
            for change in ((REPARENT, (other, child)), (REPARENT, (None, child)),
                           ("insert into public.merchants (name, parent_merchant_id) values ('New', %s)", (root,))):
                with pytest.raises(psycopg.errors.LockNotAvailable):
                    db.admin.execute(*change)  # waits for the holder
        finally:
            db.admin.execute("reset lock_timeout")
    assert_ancestry_is_the_tree(db)


def test_a_swap_in_one_statement_is_refused(db: TestDatabase) -> None:
    """The trigger of the second row sees the ancestry the first row's move left (same statement, earlier row)."""
    x, y = db.merchant(name="X"), db.merchant(name="Y")
    with pytest.raises(psycopg.errors.CheckViolation, match="its own ancestor"):
        db.admin.execute(
            "update public.merchants set parent_merchant_id = case id when %s::uuid then %s::uuid else %s::uuid end "
            "where id in (%s, %s)", (x, y, x, x, y))
    assert parents(db, x, y) == [None, None]
    assert_ancestry_is_the_tree(db)


def test_an_uncommitted_new_merchant_cannot_be_made_a_parent(db: TestDatabase) -> None:
    """An insert closes no cycle: while N (under P) is uncommitted, no other transaction can put P under N
    (the foreign key refuses it before the tree's trigger runs, so it does not wait for the tree lock)."""
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


def test_the_ancestry_follows_inserts_moves_and_deletes(db: TestDatabase) -> None:
    r1, r2 = db.merchant(name="R1"), db.merchant(name="R2")
    a = db.merchant(name="A", parent=r1)
    b = db.merchant(name="B", parent=a)
    c = db.merchant(name="C", parent=b)
    d = db.merchant(name="D", parent=r2)
    assert below(db, r1) == {r1, a, b, c} and below(db, b) == {b, c} and below(db, r2) == {r2, d}
    assert_ancestry_is_the_tree(db)

    # one statement, the child's row before its parent's: the child still gets every ancestor
    p2, c2 = str(uuid.uuid4()), str(uuid.uuid4())
    db.admin.execute("insert into public.merchants (id, name, parent_merchant_id) "
                     "values (%s, 'C2', %s), (%s, 'P2', %s)", (c2, p2, p2, b))
    assert below(db, r1) == {r1, a, b, c, p2, c2} and below(db, p2) == {p2, c2}
    assert_ancestry_is_the_tree(db)

    db.admin.execute(REPARENT, (d, a))  # A's subtree moves from R1 to R2 (under D)
    assert below(db, r1) == {r1} and below(db, r2) == {r2, d, a, b, c, p2, c2} and below(db, d) == {d, a, b, c, p2, c2}
    assert_ancestry_is_the_tree(db)

    db.admin.execute(REPARENT, (None, b))  # B's subtree becomes a tree of its own
    assert below(db, r2) == {r2, d, a} and below(db, b) == {b, c, p2, c2}
    assert_ancestry_is_the_tree(db)

    # several moves in one statement: each row moves against the ancestry the rows before it left
    db.admin.execute(
        "update public.merchants set parent_merchant_id = case id when %s::uuid then %s::uuid else %s::uuid end "
        "where id in (%s, %s)", (b, r1, b, b, d))  # B under R1, and D (with A) under B
    assert_ancestry_is_the_tree(db)
    assert below(db, r1) == {r1, b, c, p2, c2, d, a} and below(db, r2) == {r2}

    db.admin.execute("delete from public.merchants where id = %s", (c2,))  # a leaf: its rows go with it
    assert all(c2 not in row for row in ancestry(db))
    assert_ancestry_is_the_tree(db)


def test_a_cycle_is_refused_and_leaves_the_ancestry_as_it_was(db: TestDatabase) -> None:
    chain = [db.merchant(name="Top")]
    for depth in range(1, 6):
        chain.append(db.merchant(name=f"Level {depth}", parent=chain[-1]))
    before = ancestry(db)
    for top, under in ((chain[0], chain[-1]), (chain[2], chain[3])):
        with pytest.raises(psycopg.errors.CheckViolation, match=f"merchant {top} cannot have {under} as parent"):
            db.admin.execute(REPARENT, (under, top))
    assert ancestry(db) == before
    assert_ancestry_is_the_tree(db)


@pytest.mark.parametrize("isolation", ["read committed", "repeatable read"])
def test_a_merchant_added_under_a_parent_that_moves_meanwhile_gets_the_new_ancestors(
    db: TestDatabase, isolation: str
) -> None:
    """Without the tree lock on the insert, the new merchant would keep the ancestors its parent had
    (a stale ancestry: the old ancestor's owners would still read it)."""
    old, new = db.merchant(name="Old root"), db.merchant(name="New root")
    parent = db.merchant(name="Parent", parent=old)
    with transaction(db, isolation) as moving, transaction(db, isolation) as adding:
        adding.execute("select 1")  # its snapshot predates the move
        moving.execute(REPARENT, (new, parent))
        thread, outcome = in_background(
            adding, "insert into public.merchants (name, parent_merchant_id) values ('Child', %s)", (parent,))
        blocked(db, adding, thread)
        moving.execute("commit")
        thread.join(timeout=60)
        assert not thread.is_alive()
        if isolation == "read committed":
            assert outcome["error"] is None
            adding.execute("commit")
        else:
            error = outcome["error"]
            assert error is not None and error.sqlstate == "40001", error
            assert error.diag.message_primary.startswith("merchant ") and f"cannot be added under {parent} now" in (
                error.diag.message_primary)
            adding.execute("rollback")
    children = [r["id"] for r in db.admin.execute(
        "select id::text from public.merchants where name = 'Child'").fetchall()]
    assert below(db, old) == {old} and below(db, new) == {new, parent, *children}
    assert_ancestry_is_the_tree(db)


def test_a_move_waits_for_a_merchant_being_added_below_and_moves_it_too(db: TestDatabase) -> None:
    old, new = db.merchant(name="Old root"), db.merchant(name="New root")
    parent = db.merchant(name="Parent", parent=old)
    with transaction(db, "read committed") as adding, transaction(db, "read committed") as moving:
        child = adding.execute("insert into public.merchants (name, parent_merchant_id) values ('Child', %s) "
                               "returning id::text", (parent,)).fetchone()[0]  # type: ignore[index]
        thread, outcome = in_background(moving, REPARENT, (new, parent))
        blocked(db, moving, thread)
        adding.execute("commit")
        thread.join(timeout=60)
        assert outcome["error"] is None
        moving.execute("commit")
    assert below(db, old) == {old} and below(db, new) == {new, parent, child}
    assert_ancestry_is_the_tree(db)


def test_the_migration_fills_the_ancestry_of_an_existing_tree_and_its_rollback_drops_it(db: TestDatabase) -> None:
    from interview_db.migrations import migrate, rollback
    from interview_db.project import find_project

    project = find_project()
    names = [path.stem for path in project.migration_files() if not path.stem.endswith(".rollback")]
    count = len(names) - names.index("0090_merchant_ancestry")
    rollback(db.url, project, count=count, yes=True, allow_data_loss=True)
    gone = db.admin.execute("select to_regclass('interview_private.merchant_ancestry') as t").fetchone()
    assert gone is not None and gone["t"] is None
    root = db.merchant(name="Root")
    chain = [db.merchant(name="Level 1", parent=root)]
    for depth in range(2, 30):
        chain.append(db.merchant(name=f"Level {depth}", parent=chain[-1]))
    other = db.merchant(name="Other", parent=chain[3])

    migrate(db.url, project)
    assert below(db, root) == {root, *chain, other} and below(db, chain[3]) == {*chain[3:], other}
    assert_ancestry_is_the_tree(db)
    db.admin.execute(REPARENT, (root, chain[10]))  # and the trigger keeps it from there
    assert below(db, chain[3]) == {*chain[3:10], other}
    assert_ancestry_is_the_tree(db)
