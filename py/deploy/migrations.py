"""Deploy the schema: the Supabase shim (plain PostgreSQL only), the versioned
migrations (yoyo), the function files (functions.py) and the catalog's
fingerprint (drift.py), all under one lock.

yoyo keeps its bookkeeping tables in ``interview_deploy``, a schema PostgREST
never exposes; we add what yoyo lacks there: the checksum of every applied
migration (so an edited migration is caught). yoyo connects through
``db.connect`` like everything else (keyword DSNs, percent-encoded names and
multi-host URLs work, and no URL is parsed twice).

An upgrade is one transaction: every pending migration (yoyo runs on the
deploying session, so its steps are savepoints and its bookkeeping rows are
written in the same transaction, and ``status``/``rollback`` read them as ever),
then every changed function file, then the catalog's fingerprint. Other
sessions see the old release or the new one; a run that fails or dies leaves
the old release. Its first lock is the upgrade gate's key (gate.py): calls
already inside a public RPC finish before any DDL, later ones wait at the gate
and run the new release's function after the commit; a deployed release without
the gate gets it first, in a short transaction of its own. Locks are taken with
``lock_timeout`` and the transaction is tried again a bounded number of times
(LockPolicy). Functions that no file
defines any more are dropped in a second step, once every transaction older
than the commit has ended (public ones are moved out of PostgREST's reach in
the first). A rollback is one transaction too, and deploys the function files
of the release it goes back to (releases.py). Before anything
is applied, ``migrate`` refuses a database it would damage: one deployed by
``supabase db push``, one that applied migrations this checkout does not have
(a newer release), one whose pgcrypto lives outside ``extensions``, and a tree
with two migrations of one number or a new migration older than an applied one.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pglast
import pglast.ast
import pglast.enums
import psycopg
from psycopg import sql
from yoyo import read_migrations
from yoyo.backends.base import DatabaseBackend
from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
from yoyo.connections import parse_uri
from yoyo.migrations import Migration, default_migration_table

from . import drift, exposure, functions, gate, owned_types, releases
from .db import DeployError, connect, database_error, describe_url
from .functions import BOOKKEEPING_SCHEMA, FunctionFile, read_function_files
from .project import Project
from .shim import (  # apply_shim, has_auth_schema, is_local_shim: also imported from here by older callers
    MIGRATION_SEARCH_PATH,
    Platform,
    apply_shim,
    check_extensions,
    detect,
    has_auth_schema,
    is_local_shim,
)
from .supabase_export import deployed_by_cli, pushed_function_states, pushed_state

__all__ = [
    "DeployError", "EditedMigrationError", "MigrateResult", "MigrationError", "NewerDeploymentError",
    "StatusResult", "apply_shim", "connect", "describe_url", "has_auth_schema", "is_local_shim",
    "migrate", "rollback", "status",
]

# One key for every interview-db process that changes the schema; the lock is
# held by a session, so PostgreSQL releases it when its holder dies.
MIGRATE_LOCK_KEY = 0x696E_7465_7276_6462  # "intervdb"

Progress = Callable[[str], None]
MigrationError = DeployError  # the name callers know


def _quiet(_: str) -> None:
    return None


class EditedMigrationError(DeployError):
    """An applied migration's file changed after it was applied."""


class NewerDeploymentError(DeployError):
    """The database applied migrations this checkout does not have."""


@dataclass
class MigrateResult:
    """What one ``migrate`` did."""

    database: str = ""
    supabase: bool = False
    shim_applied: bool = False
    pgcrypto: str = ""
    waited_for_lock: bool = False
    broke_stale_lock: str | None = None
    migrations_applied: list[str] = field(default_factory=list)
    checksums_recorded: list[str] = field(default_factory=list)
    types_applied: list[str] = field(default_factory=list)  # type files of sql/types created again
    functions_applied: list[str] = field(default_factory=list)
    functions_dropped: list[str] = field(default_factory=list)  # after every older transaction ended
    functions_left: list[str] = field(default_factory=list)  # old ones kept: older transactions ran on
    repaired: list[str] = field(default_factory=list)  # drift put back as deployed
    gated: list[str] = field(default_factory=list)  # public functions of a release without the gate, wrapped first
    left_alone: list[str] = field(default_factory=list)  # exposure through objects not the package's (exposure.py)
    fingerprint_recorded: bool = False

    @property
    def changed(self) -> bool:
        return bool(
            self.shim_applied
            or self.migrations_applied
            or self.types_applied
            or self.functions_applied
            or self.functions_dropped
            or self.functions_left
            or self.checksums_recorded
            or self.repaired
            or self.gated
        )


@dataclass
class MigrationState:
    id: str
    applied_at: datetime | None
    file_present: bool
    edited: bool
    pushed_version: str | None = None  # deployed by `supabase db push`: the CLI's version of it

    @property
    def applied(self) -> bool:
        return self.applied_at is not None or self.pushed_version is not None


@dataclass
class FunctionFileState:
    path: str
    state: str  # applied | changed | new | removed | missing (a function it defines is gone) | drifted


@dataclass
class StatusResult:
    database: str
    supabase: bool
    shim: bool
    migrations: list[MigrationState]
    functions: list[FunctionFileState]
    types: list[FunctionFileState] = field(default_factory=list)  # the type files of sql/types, as the functions
    # interview-db's own bookkeeping exists (deployed with `migrate`); a database
    # deployed with `supabase db push` has none, see supabase_export.pushed_state.
    bookkeeping: bool = False
    deployed_with: str | None = None  # "interview-db migrate" | "supabase db push" | None
    drift: list[str] = field(default_factory=list)  # each object that differs from what was deployed
    fingerprint: bool = False  # a fingerprint of the deployed catalog was recorded
    newer_migrations: list[str] = field(default_factory=list)  # applied, but this checkout has no file

    @property
    def pending_migrations(self) -> list[str]:
        return [m.id for m in self.migrations if not m.applied and m.file_present]

    @property
    def edited_migrations(self) -> list[str]:
        return [m.id for m in self.migrations if m.edited]

    @property
    def drifted_functions(self) -> list[str]:
        return [f.path for f in self.functions if f.state != "applied"]

    @property
    def drifted_types(self) -> list[str]:
        return [f.path for f in self.types if f.state != "applied"]


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def migrate_lock(conn: psycopg.Connection, progress: Progress = _quiet) -> Iterator[bool]:
    """Hold the deployment lock; yields whether we had to wait for another process."""
    waited = False
    if not conn.execute("select pg_try_advisory_lock(%s)", (MIGRATE_LOCK_KEY,)).fetchone()[0]:  # type: ignore[index]
        holder = conn.execute(
            """
            select a.pid, coalesce(a.application_name, '')
            from pg_locks as l join pg_stat_activity as a using (pid)
            where l.locktype = 'advisory' and l.granted
              and l.classid = (%s >> 32)::oid and l.objid = (%s & 4294967295)::oid
            """,
            (MIGRATE_LOCK_KEY, MIGRATE_LOCK_KEY),
        ).fetchone()
        who = f" (backend pid {holder[0]})" if holder else ""
        progress(f"waiting for another interview-db process that is deploying{who}")
        conn.execute("select pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))
        waited = True
    try:
        yield waited
    finally:
        if not conn.closed and not conn.broken:
            conn.execute("select pg_advisory_unlock(%s)", (MIGRATE_LOCK_KEY,))


def has_bookkeeping(conn: psycopg.Connection) -> bool:
    """Whether `interview-db migrate` deployed here (yoyo's table exists)."""
    row = conn.execute("select to_regclass(%s) is not null", (f"{BOOKKEEPING_SCHEMA}._yoyo_migration",)).fetchone()
    return bool(row and row[0])


def _ensure_bookkeeping(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute(
            sql.SQL(
                """
                create schema if not exists {schema};
                comment on schema {schema} is
                  'interview-db deployment bookkeeping (yoyo tables, checksums, catalog fingerprint). Not exposed; no API grants.';
                revoke all on schema {schema} from public;
                create table if not exists {schema}.migration_checksums (
                  migration_id text primary key,
                  sha256 text not null,
                  recorded_at timestamptz not null default now()
                );
                """
            ).format(schema=sql.Identifier(BOOKKEEPING_SCHEMA))
        )
        functions.ensure_bookkeeping(conn)
        owned_types.ensure_bookkeeping(conn)
        conn.execute(drift.ensure_table_sql())


class _Backend(PostgresqlPsycopgBackend):
    """yoyo's psycopg backend on the deploying connection (made by db.connect).

    yoyo then shares the session that holds the advisory lock, and its
    bookkeeping (``_yoyo_migration``, ``_yoyo_log``) is written inside the
    upgrade's one transaction: a nested ``backend.transaction()`` is a savepoint."""

    shared: psycopg.Connection | None = None

    def connect(self, dburi: object) -> psycopg.Connection:
        self.schema = BOOKKEEPING_SCHEMA
        assert self.shared is not None
        return self.shared


@contextmanager
def _yoyo(conn: psycopg.Connection) -> Iterator[DatabaseBackend]:
    backend_class = type("Backend", (_Backend,), {"shared": conn})
    backend = backend_class(parse_uri(f"postgresql+psycopg:///interview?schema={BOOKKEEPING_SCHEMA}"),
                            default_migration_table)
    try:
        backend.init_database()
        yield backend
    finally:
        if not conn.closed and not conn.broken:
            conn.execute("reset search_path")  # yoyo set it for the session


def _break_stale_yoyo_lock(backend: DatabaseBackend) -> str | None:
    """A yoyo lock row left by a process that died.

    Every interview-db process holds the advisory lock while it holds yoyo's
    lock, and we hold the advisory lock now: any row left is from a holder that
    is gone.
    """
    row = backend.execute(f"select pid, ctime from {backend.lock_table_quoted}").fetchone()
    if row is None:
        return None
    backend.break_lock()
    return f"broke a stale migration lock left by process {row[0]} (taken {row[1]:%Y-%m-%d %H:%M:%S} UTC); its holder is gone"


def _applied_ids(backend: DatabaseBackend) -> dict[str, datetime]:
    backend.ensure_internal_schema_updated()
    rows = backend.execute(
        f"select migration_id, applied_at_utc from {backend.migration_table_quoted}"
    ).fetchall()
    return {str(r[0]): r[1] for r in rows}


def _applied(conn: psycopg.Connection) -> dict[str, datetime]:
    """Applied migrations from yoyo's table, read without yoyo (read-only)."""
    if not has_bookkeeping(conn):
        return {}
    return {
        str(r[0]): r[1]
        for r in conn.execute(
            sql.SQL("select migration_id, applied_at_utc from {}._yoyo_migration").format(
                sql.Identifier(BOOKKEEPING_SCHEMA))
        ).fetchall()
    }


def _checksums(conn: psycopg.Connection) -> dict[str, str]:
    exists = conn.execute("select to_regclass(%s) is not null", (f"{BOOKKEEPING_SCHEMA}.migration_checksums",)).fetchone()
    if not (exists and exists[0]):
        return {}
    rows = conn.execute(
        sql.SQL("select migration_id, sha256 from {}.migration_checksums").format(
            sql.Identifier(BOOKKEEPING_SCHEMA)
        )
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def _check_edits(
    conn: psycopg.Connection, migrations: list[Migration], applied: dict[str, datetime]
) -> list[str]:
    """Refuse to go on when an applied migration was edited; record missing checksums."""
    stored = _checksums(conn)
    edited = [
        m.id for m in migrations if m.id in applied and m.id in stored and stored[m.id] != sha256_file(Path(m.path))
    ]
    if edited:
        raise EditedMigrationError(
            "applied migration(s) edited since they were applied: "
            + ", ".join(edited)
            + ". Migrations never change after they land: restore the file and add a new migration instead."
        )
    adopted = [m for m in migrations if m.id in applied and m.id not in stored]
    for m in adopted:
        conn.execute(
            sql.SQL(
                "insert into {}.migration_checksums (migration_id, sha256) values (%s, %s) "
                "on conflict (migration_id) do update set sha256 = excluded.sha256, recorded_at = now()"
            ).format(sql.Identifier(BOOKKEEPING_SCHEMA)),
            (m.id, sha256_file(Path(m.path))),
        )
    return [m.id for m in adopted]


def check_history(project: Project, applied: list[str], how: str) -> None:
    """Refuse a database that applied migrations this checkout lacks (a newer release
    deployed it), and a checkout whose new migration is older than an applied one."""
    files = [p.stem for p in project.migration_files()]
    unknown = sorted(set(applied) - set(files))
    if unknown:
        raise NewerDeploymentError(
            f"this database applied migration(s) this checkout does not have: {', '.join(unknown)}; it was "
            f"deployed ({how}) from a newer release, schema {max(applied)}, and this checkout deploys schema "
            f"{project.schema_version or 'none'}. Deploy from that release or a newer one; nothing was changed"
        )
    if applied:
        newest = max(applied)
        late = [f for f in files if f not in applied and f < newest]
        if late:
            raise DeployError(
                f"migration(s) {', '.join(late)} sort before {newest}, which is applied already: a new migration "
                f"is numbered after the newest one; renumber it after {newest[:4]}; nothing was changed"
            )


def _process_steps(backend: DatabaseBackend, migration: Migration, direction: str) -> None:
    backend.execute(f"set local search_path = {MIGRATION_SEARCH_PATH}")
    # yoyo prints the rows of a migration's top-level select: keep stdout for --json
    with contextlib.redirect_stdout(sys.stderr):
        migration.process_steps(backend, direction)
    backend.execute(f"set local search_path = {BOOKKEEPING_SCHEMA}")


def _step(backend: DatabaseBackend, migration: Migration, direction: str) -> None:
    """Apply (or roll back), mark (or unmark) and checksum one migration, inside the
    caller's transaction (yoyo's nested transactions are savepoints)."""
    try:
        _process_steps(backend, migration, direction)
    except psycopg.errors.LockNotAvailable:
        raise  # the whole transaction is tried again
    except psycopg.Error as exc:
        what = (f"migration {migration.id} failed and was rolled back, with the whole upgrade" if direction == "apply"
                else f"rollback of {migration.id} failed and was undone, with the whole rollback")
        raise DeployError(f"{what}: {exc.diag.message_primary or exc}") from None
    backend.log_migration(migration, direction)
    if direction == "apply":
        backend.mark_one(migration, log=False)
        backend.execute(
            f"insert into {BOOKKEEPING_SCHEMA}.migration_checksums (migration_id, sha256) values (:id, :sha) "
            "on conflict (migration_id) do update set sha256 = excluded.sha256, recorded_at = now()",
            {"id": migration.id, "sha": sha256_file(Path(migration.path))},
        )
    else:
        backend.unmark_one(migration, log=False)
        backend.execute(f"delete from {BOOKKEEPING_SCHEMA}.migration_checksums where migration_id = :id",
                        {"id": migration.id})


def refuse_untransactional(migrations: list[Migration]) -> None:
    """An upgrade is one transaction: a migration that must run outside one
    (yoyo's ``-- transactional: false``) cannot be part of it."""
    for migration in migrations:
        migration.load()
        if not migration.use_transactions:
            raise DeployError(
                f"migration {migration.id} must run outside a transaction (transactional: false), and every "
                "upgrade runs as one transaction so that no caller sees half of it; such migrations are not "
                "supported yet: split it into a transactional migration; nothing was changed"
            )


@dataclass(frozen=True)
class LockPolicy:
    """How an upgrade takes its locks: never wait more than ``timeout`` seconds
    for one (so API calls never queue behind a deploy that waits), and try the
    whole transaction again up to ``attempts`` times."""

    timeout: float = 5.0
    attempts: int = 5
    drain_timeout: float = 60.0  # how long the second step waits for older transactions


def _in_one_transaction(
    conn: psycopg.Connection, backend: DatabaseBackend, policy: LockPolicy, progress: Progress,
    work: Callable[[], None], what: str,
) -> int:
    """Run ``work`` in one transaction with ``lock_timeout``; retry when a lock is not granted.

    The transaction takes the upgrade gate's key exclusively first (gate.py): the
    public RPCs' calls already past their gate finish before any DDL, later ones
    wait at the gate and run the new release after the commit.

    Returns the attempt that committed. Any other error rolls everything back."""
    for attempt in range(1, policy.attempts + 1):
        try:
            with backend.transaction():
                conn.execute("select pg_catalog.set_config('lock_timeout', %s, true)",
                             (f"{max(1, int(policy.timeout * 1000))}ms",))
                conn.execute("select pg_catalog.pg_advisory_xact_lock(%s)", (gate.GATE_KEY,))
                work()
            return attempt
        except psycopg.errors.LockNotAvailable as exc:
            if attempt == policy.attempts:
                raise DeployError(
                    f"{what}: a lock was not granted within {policy.timeout:g}s, {attempt} times "
                    f"({exc.diag.message_primary or exc}); a long transaction holds it. Nothing was changed; "
                    "run it again later or with a longer --lock-timeout"
                ) from None
            progress(f"a lock was not granted within {policy.timeout:g}s (attempt {attempt} of "
                     f"{policy.attempts}): rolled back, trying again")
            time.sleep(min(0.2 * 2 ** attempt, 3.0))
    raise AssertionError("unreachable")


_OLDER_TRANSACTIONS_SQL = """
select l.virtualxid
from pg_catalog.pg_locks as l join pg_catalog.pg_stat_activity as a on a.pid = l.pid
where l.locktype = 'virtualxid' and l.granted and l.mode = 'ExclusiveLock'
  and l.pid <> pg_catalog.pg_backend_pid() and a.datname = pg_catalog.current_database()
  and a.backend_type = 'client backend'  -- a call comes from a client; autovacuum never runs our functions
"""


def wait_for_older_transactions(conn: psycopg.Connection, timeout: float, progress: Progress = _quiet) -> bool:
    """Wait until every transaction of this database that is running now has ended
    (as CREATE INDEX CONCURRENTLY waits out older snapshots: by their virtual
    transaction ids). ``conn`` must be in autocommit. False when ``timeout`` passed."""
    older = {str(r[0]) for r in conn.execute(_OLDER_TRANSACTIONS_SQL).fetchall()}
    deadline = time.monotonic() + timeout
    told = False
    while older:
        older &= {str(r[0]) for r in conn.execute(_OLDER_TRANSACTIONS_SQL).fetchall()}
        if not older:
            break
        if time.monotonic() > deadline:
            return False
        if not told and time.monotonic() > deadline - timeout + 1:
            progress(f"waiting for {len(older)} transaction(s) that began before the upgrade to end")
            told = True
        time.sleep(0.05)
    return True


# -- drift -----------------------------------------------------------------


@dataclass
class _Drift:
    recorded: drift.Fingerprints | None
    drifts: list[drift.Drift]
    live: drift.Fingerprints


def _judge_drift(conn: psycopg.Connection, scope: drift.Scope) -> _Drift:
    with conn.transaction():
        functions.set_search_path(conn)
        recorded = drift.recorded(conn)
        live = drift.live(conn, scope)
    drifts = drift.compare(recorded, live) if recorded is not None else []
    return _Drift(recorded, drifts, live)


def _repair_tables(conn: psycopg.Connection, judged: _Drift, result: MigrateResult, progress: Progress) -> None:
    tables = [d for d in judged.drifts if d.kind == "table" and not d.extra and not d.missing]
    if not tables or judged.recorded is None:
        return
    with conn.transaction():
        functions.set_search_path(conn)
        for d in tables:
            progress(f"repairing {d.describe()}")
            key = ("table", d.identity)
            drift.repair_table(conn, d.identity, judged.recorded[key], judged.live[key])
            result.repaired.append(d.describe())


def _repair_exposure(
    conn: psycopg.Connection, project: Project, scope: drift.Scope, result: MigrateResult, progress: Progress
) -> None:
    """The package's schema privileges put back as its migrations leave them; what
    API roles reach through objects that are not the package's is named, not touched."""
    with conn.transaction():
        found = exposure.find(conn, project.migration_files(), project.exposed_schemas(),
                              [*scope.functions, *scope.tables])
        for repair in exposure.repair(conn, found):
            progress(f"repairing {repair}")
            result.repaired.append(repair)
    for item in found.foreign:
        progress(f"left alone (not the package's): {item}")
    result.left_alone = found.foreign


# -- commands --------------------------------------------------------------


def _read(project: Project) -> tuple[Any, list[FunctionFile], drift.Scope]:
    """Everything the run will apply, read and checked before the database is touched."""
    project.check_migration_numbers()
    files = read_function_files(project)
    return read_migrations(str(project.migrations_dir)), files, drift.scope_of(project, files)


def _refuse_pushed(conn: psycopg.Connection, what: str) -> None:
    if deployed_by_cli(conn) and not has_bookkeeping(conn):
        raise DeployError(
            "the package was deployed here with `supabase db push` (supabase_migrations.schema_migrations "
            "lists it): keep deploying it that way (interview-db export-supabase, then supabase db push); "
            f"{what}; nothing was changed"
        )


def migrate(
    url: str, project: Project, progress: Progress = _quiet, policy: LockPolicy | None = None,
) -> MigrateResult:
    """Bring the database up to date: shim when needed, then every pending migration
    and every changed function file in one transaction; repair drift; then drop, once
    no call can be inside them, the functions whose signatures went away."""
    policy = policy or LockPolicy()
    result = MigrateResult(database=describe_url(url))
    migrations, files, scope = _read(project)
    types = owned_types.read_type_files(project)
    with connect(url) as conn:
        try:
            with migrate_lock(conn, progress) as waited:
                result.waited_for_lock = waited
                _migrate(conn, project, migrations, files, scope, result, progress, policy, types)
        except psycopg.Error as exc:
            failure = database_error(exc, url, "migrate")
            failure.applied = _committed_before_failure(result)  # type: ignore[attr-defined]
            raise failure from exc
        except DeployError as exc:
            exc.applied = _committed_before_failure(result)  # type: ignore[attr-defined]
            raise
    return result


def _committed_before_failure(result: MigrateResult) -> list[str]:
    """What a failed migrate left committed: never a migration or a function file of the
    release (one transaction), but the shim and the gating of an ungated release commit
    before it, each on its own."""
    return (["the Supabase shim"] if result.shim_applied else []) + [f"gated {s}" for s in result.gated]


@dataclass
class UpgradePlan:
    """What ``migrate`` would do, in order; nothing is changed to find out."""

    database: str = ""
    supabase: bool = False
    shim: bool = False  # the Supabase shim first (plain PostgreSQL)
    migrations: list[str] = field(default_factory=list)  # in the upgrade's transaction, in this order
    type_files: list[dict[str, str]] = field(default_factory=list)  # {"path", "state"}: created again, in this order
    function_files: list[dict[str, str]] = field(default_factory=list)  # {"path", "state"}, in this order
    drop_after_commit: list[str] = field(default_factory=list)  # signatures no file defines any more
    repairs: list[str] = field(default_factory=list)  # drift put back as deployed

    @property
    def nothing_to_do(self) -> bool:
        return not (self.shim or self.migrations or self.type_files or self.function_files or self.drop_after_commit
                    or self.repairs)


def plan(url: str, project: Project) -> UpgradePlan:
    """``migrate --plan``: every check migrate makes, then what it would apply, in order."""
    migrations, files, scope = _read(project)
    types = owned_types.read_type_files(project)
    result = UpgradePlan(database=describe_url(url))
    with connect(url) as conn:
        try:
            platform = _refuse_foreign(conn, project)
            result.supabase, result.shim = platform.supabase, not platform.auth
            applied = _applied(conn)
            pending = _pending(migrations, applied)
            refuse_untransactional(pending)
            stored = _checksums(conn)
            edited = [m.id for m in migrations
                      if m.id in applied and m.id in stored and stored[m.id] != sha256_file(Path(m.path))]
            if edited:
                raise EditedMigrationError(f"applied migration(s) edited since they were applied: {', '.join(edited)}")
            result.migrations = [m.id for m in pending]
            judged = _judge_drift(conn, scope)
            drifted = {d.identity for d in judged.drifts if d.kind == "function" and not d.extra}
            with conn.transaction(force_rollback=True):
                functions.set_search_path(conn)
                conn.execute("set transaction read only")
                typed = owned_types.plan(conn, types)
                rerun = {f.name for f in files if any(owned_types.names_type(f.text, t.qualified_name)
                                                      for t in typed.recreate)}
                planned = functions.plan(conn, files, drifted, rerun)
            result.type_files = [{"path": f.name, "state": typed.states[f.name]} for f in typed.recreate]
            result.function_files = [{"path": f.name, "state": planned.states[f.name]} for f in planned.run]
            result.drop_after_commit = planned.stale
            result.repairs = [d.describe() for d in judged.drifts if d.kind == "table" and not d.extra and not d.missing]
        except psycopg.Error as exc:
            raise database_error(exc, url, "planning the upgrade") from exc
    return result


def _refuse_foreign(conn: psycopg.Connection, project: Project) -> Platform:
    platform: Platform = detect(conn)
    if platform.foreign_auth:
        raise DeployError(
            "this PostgreSQL has an auth schema of its own (no auth.users, auth.uid() or API roles): it is "
            "neither Supabase nor the local shim, and the shim would mix with it; deploy into another database"
        )
    _refuse_pushed(conn, "migrate would apply every migration a second time")
    check_extensions(conn)
    check_history(project, list(_applied(conn)), "with interview-db migrate")
    return platform


def _pending(migrations: Any, applied: dict[str, datetime] | list[str]) -> list[Migration]:
    return [m for m in migrations if m.id not in applied]


def _migrate(
    conn: psycopg.Connection, project: Project, migrations: Any, files: list[FunctionFile],
    scope: drift.Scope, result: MigrateResult, progress: Progress, policy: LockPolicy,
    types: list[owned_types.TypeFile] | None = None,
) -> None:
    platform = _refuse_foreign(conn, project)
    result.supabase = platform.supabase
    refuse_untransactional(_pending(migrations, _applied(conn)))
    judged = _judge_drift(conn, scope)
    if not platform.auth:
        progress("plain PostgreSQL (no auth schema): applying the Supabase shim")
        result.pgcrypto = apply_shim(conn, project)
        result.shim_applied = True
    _ensure_bookkeeping(conn)
    _gate_the_deployed_release(conn, files, result, progress, policy)
    deferred: dict[str, str] = {}
    with _yoyo(conn) as backend:
        result.broke_stale_lock = _break_stale_yoyo_lock(backend)
        if result.broke_stale_lock:
            progress(result.broke_stale_lock)
        with backend.lock():
            applied = _applied_ids(backend)
            result.checksums_recorded = _check_edits(conn, list(migrations), applied)
            pending = list(backend.to_apply(migrations))

            def upgrade() -> None:
                nonlocal deferred
                result.migrations_applied, result.repaired = [], []
                _repair_tables(conn, judged, result, progress)
                _repair_exposure(conn, project, scope, result, progress)
                for migration in pending:
                    progress(f"applying migration {migration.id}")
                    _step(backend, migration, "apply")
                    result.migrations_applied.append(migration.id)
                deferred = _function_phase(conn, files, scope, judged, result, progress, types or [])

            progress(f"upgrading in one transaction: {len(pending)} migration(s), then the function files")
            _in_one_transaction(conn, backend, policy, progress, upgrade, "migrate")
    if result.changed:
        progress("committed: every session now sees the new release")
    deferred = {**functions.pending_drops(conn), **deferred}  # with those a run before left
    if deferred:
        _drop_when_no_call_is_inside(conn, deferred, scope, result, progress, policy)


def _gate_the_deployed_release(
    conn: psycopg.Connection, files: list[FunctionFile], result: MigrateResult, progress: Progress,
    policy: LockPolicy,
) -> None:
    """A release deployed before the upgrade gate: its public functions get the gate
    in a short transaction of their own (same functions, same behaviour), then every
    transaction older than that commit is waited out, so that no call is inside an
    ungated body when the upgrade takes the gate (gate.py)."""
    with conn.transaction():
        functions.set_search_path(conn)
        # the package's names: those the deployed release recorded, and this release's
        package = {s.split("(")[0] for r in functions.file_records(conn).values() for s in r.functions}
        package |= set(functions.package_function_names(files))
        ungated = [f for f in gate.deployed_public(conn)
                   if not f.gated and f"{functions.API_SCHEMA}.{f.name}" in package]
        if not ungated:
            return
        conn.execute("select pg_catalog.set_config('lock_timeout', %s, true)",
                     (f"{max(1, int(policy.timeout * 1000))}ms",))
        progress("gating the deployed public functions (the deployed release has no upgrade gate)")
        done = gate.gate_deployed(conn, ungated, gate.new_release_headers(files), progress)
        gate.refresh_fingerprints(conn, done.wrapped)
    result.gated = done.wrapped
    if done.wrapped and not wait_for_older_transactions(conn, policy.drain_timeout, progress):
        raise DeployError(
            f"gated {len(done.wrapped)} public function(s), but transactions older than that still run after "
            f"{policy.drain_timeout:g}s, and a call inside an ungated function could meet the new schema; the "
            "upgrade was not started (the gated functions behave as before); run migrate again")


def _function_phase(
    conn: psycopg.Connection, files: list[FunctionFile], scope: drift.Scope, judged: _Drift,
    result: MigrateResult, progress: Progress, types: list[owned_types.TypeFile] | None = None,
) -> dict[str, str]:
    """The type files that changed (created again with the functions using them), every
    function file that must run, the owner repairs and the fingerprint, inside the
    upgrade's transaction. Returns the signatures no file defines any more: they are
    dropped after the commit (see _drop_when_no_call_is_inside)."""
    drifted = {d.identity for d in judged.drifts if d.kind == "function" and not d.extra}
    functions.set_search_path(conn)
    type_phase = owned_types.deploy(conn, owned_types.plan(conn, types or []), files, progress)
    result.types_applied = type_phase.applied
    recreated = {t.qualified_name for t in types or [] if t.name in type_phase.applied}
    result.repaired += [d.describe() for d in judged.drifts if d.kind == "type" and d.identity in recreated]
    planned = functions.plan(conn, files, drifted, type_phase.rerun)
    phase = functions.deploy(conn, planned, progress) if not planned.nothing_to_do else functions.FunctionPhase()
    result.functions_applied = phase.applied
    result.repaired += [d.describe() for d in judged.drifts
                        if d.kind == "function" and not d.extra and not d.missing]
    for signature, owner in functions.foreign_owners(conn, [f for f in files]):
        progress(f"{signature} is owned by {owner}: giving it to the deployer")
        functions.take_ownership(conn, signature)
        if not any(r.startswith(f"{signature}: ") for r in result.repaired):
            result.repaired.append(f"{signature}: owner was {owner}, not the deployer")
    result.repaired += [d.describe() for d in judged.drifts if d.kind == "function" and d.extra]
    if result.changed or phase.deferred or judged.recorded is None or judged.drifts:
        drift.record(conn, scope)
        result.fingerprint_recorded = True
    functions.record_pending_drops(conn, phase.deferred)
    return phase.deferred


def _drop_when_no_call_is_inside(
    conn: psycopg.Connection, signatures: dict[str, str], scope: drift.Scope, result: MigrateResult,
    progress: Progress, policy: LockPolicy,
) -> None:
    """The second step of an upgrade. In its transaction a function no file defines
    any more was retired (moved into the bookkeeping schema, out of the API's reach,
    its oid kept), as a call that entered it before the commit may still be running
    it; it is dropped once every transaction that began before the commit has ended.
    When they do not end in time the functions stay retired (no file, no deployed
    function and no API role reaches them) and the next migrate drops them."""
    progress(f"waiting for calls that began before the commit, then dropping {len(signatures)} old function(s)")
    if not wait_for_older_transactions(conn, policy.drain_timeout, progress):
        result.functions_left = list(signatures)
        progress(f"transactions older than the upgrade still run after {policy.drain_timeout:g}s: "
                 f"{len(signatures)} old function(s) stay until the next migrate")
        return
    with _yoyo(conn) as backend:

        def drop() -> None:
            functions.set_search_path(conn)
            result.functions_dropped = []
            for signature, retired in signatures.items():
                if functions.exists(conn, retired):
                    progress(f"dropping {signature}: no file in sql/functions defines it")
                    functions.drop(conn, retired, "is defined by no file in sql/functions any more")
                    result.functions_dropped.append(signature)
                functions.forget_pending_drop(conn, signature)
            drift.record(conn, scope)  # the catalog without them is what was deployed

        _in_one_transaction(conn, backend, policy, progress, drop, "dropping the old functions")


def status(url: str, project: Project) -> StatusResult:
    """What is applied, pending, edited or drifted; changes nothing."""
    files = read_function_files(project)
    scope = drift.scope_of(project, files)
    with connect(url) as conn:
        try:
            return _status(conn, url, project, files, scope)
        except psycopg.Error as exc:
            raise database_error(exc, url, "reading the deployment state") from None


def _status(
    conn: psycopg.Connection, url: str, project: Project, files: list[FunctionFile], scope: drift.Scope
) -> StatusResult:
    platform = detect(conn)
    bookkeeping = has_bookkeeping(conn)
    applied: dict[str, datetime] = {}
    checksums: dict[str, str] = {}
    pushed = None
    if bookkeeping:
        applied, checksums = _applied(conn), _checksums(conn)
    elif deployed_by_cli(conn):
        pushed = pushed_state(conn, project)
    judged = _judge_drift(conn, scope)
    drifted = {d.identity for d in judged.drifts if d.kind == "function"}
    with conn.transaction():
        functions.set_search_path(conn)
        typed = owned_types.plan(conn, owned_types.read_type_files(project)) if bookkeeping else None
        rerun = {f.name for f in files if typed and any(owned_types.names_type(f.text, t.qualified_name)
                                                         for t in typed.recreate)}
        planned = functions.plan(conn, files, drifted, rerun) if bookkeeping else None
    on_disk = {p.stem: p for p in project.migration_files()}
    if pushed is not None:
        states = [MigrationState(mid, None, True, mid in pushed.edited, pushed.versions.get(mid))
                  for mid in sorted(on_disk)]
        newer = pushed.unknown
    else:
        states = [
            MigrationState(
                id=mid,
                applied_at=applied.get(mid),
                file_present=mid in on_disk,
                edited=mid in applied and mid in on_disk and mid in checksums
                and checksums[mid] != sha256_file(on_disk[mid]),
            )
            for mid in sorted(set(on_disk) | set(applied))
        ]
        newer = sorted(set(applied) - set(on_disk))
    function_states: list[FunctionFileState] = []
    if planned is not None:
        function_states = [FunctionFileState(f.name, planned.states[f.name]) for f in sorted(files, key=lambda f: f.name)]
        function_states += [FunctionFileState(name, "removed") for name in planned.removed]
    elif pushed is not None and pushed.functions_version:
        function_states = _pushed_function_states(pushed, files, judged.drifts)
    type_states = ([FunctionFileState(f.name, typed.states[f.name]) for f in typed.files]
                   + [FunctionFileState(name, "removed") for name in typed.removed]) if typed else []
    return StatusResult(
        database=describe_url(url),
        supabase=platform.supabase,
        shim=platform.shim,
        migrations=states,
        functions=function_states,
        types=type_states,
        bookkeeping=bookkeeping,
        deployed_with="interview-db migrate" if bookkeeping else ("supabase db push" if pushed and pushed.deployed else None),
        drift=[d.describe() for d in judged.drifts],
        fingerprint=judged.recorded is not None,
        newer_migrations=newer,
    )


def _pushed_function_states(pushed: Any, files: list[FunctionFile], drifts: list[drift.Drift]) -> list[FunctionFileState]:
    """Function files of a database deployed by `supabase db push`: as pushed, and then as the catalog has them."""
    states = pushed_function_states(pushed, files)
    missing = {d.identity.split("(")[0] for d in drifts if d.kind == "function" and d.missing}
    drifted = {d.identity.split("(")[0] for d in drifts if d.kind == "function" and not d.missing}
    for f in files:
        names = {h.qualified_name for h in f.defines}
        if states[f.name] == "applied" and names & missing:
            states[f.name] = "missing"
        elif states[f.name] == "applied" and names & drifted:
            states[f.name] = "drifted"
    return [FunctionFileState(f.name, states[f.name]) for f in sorted(files, key=lambda f: f.name)]


@dataclass
class RollbackResult:
    """A rollback's plan (newest first, and the rows of every table it would drop) and what it did."""

    migrations: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)  # table it drops -> rows it holds now
    target: str | None = None  # the schema (newest migration) it leaves
    functions_from: str = ""  # where the target release's function files come from
    rolled_back: list[str] = field(default_factory=list)
    functions_applied: list[str] = field(default_factory=list)  # the target release's files
    functions_dropped: list[str] = field(default_factory=list)  # functions the target release does not define
    functions_left: list[str] = field(default_factory=list)


def _rollbacks_name_types(conn: psycopg.Connection, candidates: list[Migration]) -> bool:
    """Whether a rollback file of ``candidates`` names a type a file of sql/types deployed."""
    names = [r.type_name for r in owned_types.records(conn).values()]
    for migration in candidates:
        path = Path(migration.path).with_suffix(".rollback.sql")
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if any(owned_types.names_type(text, name) for name in names):
            return True
    return False


def _dropped_tables(conn: psycopg.Connection, migration: Migration) -> list[str]:
    """Tables a migration's rollback file drops (schema.name), read with pglast: each
    ``drop table``, and every table of a schema dropped with ``cascade``."""
    path = Path(migration.path).with_suffix(".rollback.sql")
    if not path.exists():
        return []
    found = []
    for raw in pglast.parse_sql(path.read_text(encoding="utf-8")):
        stmt = raw.stmt
        if not isinstance(stmt, pglast.ast.DropStmt):
            continue
        if stmt.removeType == pglast.enums.ObjectType.OBJECT_TABLE:
            for names in stmt.objects:
                parts = [n.sval for n in names]
                found.append(".".join(parts if len(parts) > 1 else ["public", *parts]))
        elif (stmt.removeType == pglast.enums.ObjectType.OBJECT_SCHEMA
              and stmt.behavior == pglast.enums.DropBehavior.DROP_CASCADE):
            found += [str(r[0]) for r in conn.execute(
                "select n.nspname || '.' || c.relname from pg_catalog.pg_class as c join pg_catalog.pg_namespace "
                "as n on n.oid = c.relnamespace where n.nspname = any(%s) and c.relkind in ('r', 'p') order by 1",
                ([getattr(o, "sval", str(o)) for o in stmt.objects],)).fetchall()]
    return found


def rollback(
    url: str, project: Project, count: int = 1, progress: Progress = _quiet, *, yes: bool = False,
    allow_data_loss: bool = False, on_plan: Callable[[RollbackResult], None] | None = None,
    functions_from: Path | None = None, keep_functions: bool = False,
) -> RollbackResult:
    """Roll back the last ``count`` applied migrations, newest first, in one transaction.

    The plan (and the rows of every table it would drop) goes to ``on_plan`` first;
    without ``yes`` nothing is changed, and a table holding rows is dropped only
    with ``allow_data_loss``. In the same transaction the function files of the
    release it goes back to (from git history, or ``functions_from``) replace
    today's, so that the functions match the schema."""
    if count < 1:
        raise DeployError("--count must be at least 1")
    migrations, _, _ = _read(project)
    result = RollbackResult()
    with tempfile.TemporaryDirectory(prefix="interview-db-rollback-") as scratch:
        _rollback(url, project, migrations, count, progress, yes, allow_data_loss, on_plan, functions_from,
                  keep_functions, Path(scratch), result)
    return result


def _rollback(
    url: str, project: Project, migrations: Any, count: int, progress: Progress, yes: bool, allow_data_loss: bool,
    on_plan: Callable[[RollbackResult], None] | None, functions_from: Path | None, keep_functions: bool,
    scratch: Path, result: RollbackResult,
) -> None:
    with connect(url) as conn:
        try:
            with migrate_lock(conn, progress):
                _refuse_pushed(conn, "roll back with a new migration that undoes the change, and push it")
                if not has_bookkeeping(conn):
                    raise DeployError("no applied migration to roll back: interview-db migrate never ran here")
                check_history(project, list(_applied(conn)), "with interview-db migrate")
                with _yoyo(conn) as backend:
                    stale = _break_stale_yoyo_lock(backend)
                    if stale:
                        progress(stale)
                    with backend.lock():
                        candidates = list(backend.to_rollback(migrations))[:count]
                        if not candidates:
                            raise DeployError("no applied migration to roll back")
                        result.migrations = [m.id for m in candidates]
                        remaining = sorted(set(_applied(conn)) - set(result.migrations))
                        result.target = remaining[-1] if remaining else None
                        target_tree = project
                        if keep_functions:
                            result.functions_from = "none: --keep-functions leaves today's functions deployed"
                        elif result.target is None:  # back to nothing: no function file either
                            result.functions_from = "none: no migration is left"
                        elif functions_from is not None:
                            target_tree = releases.checked(Project(root=functions_from), result.target)
                            result.functions_from = str(functions_from)
                        else:
                            target_tree = releases.release_with(project, remaining, scratch)
                            result.functions_from = f"git history of {project.root}"
                        target_files = read_function_files(target_tree) if result.target or keep_functions else []
                        target_types = (owned_types.read_type_files(target_tree)
                                        if result.target or keep_functions else [])
                        # the old migrations' rollbacks and a release from before sql/types expect the
                        # types as the migrations left them (owned_types.restore_adopted)
                        restore_types = not target_tree.types_dir.is_dir() or not (result.target or keep_functions) \
                            or _rollbacks_name_types(conn, candidates)
                        # functions a type's re-creation may drop: the target release's and today's
                        known_files = [*target_files, *read_function_files(project)]
                        target_scope = drift.scope_of(target_tree, target_files)
                        for migration in candidates:
                            for table in _dropped_tables(conn, migration):
                                if table not in result.tables and conn.execute(
                                        "select to_regclass(%s) is not null", (table,)).fetchone() == (True,):
                                    result.tables[table] = int(conn.execute(
                                        sql.SQL("select count(*) from {}").format(
                                            sql.Identifier(*table.split(".")))).fetchone()[0])  # type: ignore[index]
                        if on_plan:
                            on_plan(result)
                        if not yes:
                            raise DeployError(
                                f"rollback would undo {len(candidates)} migration(s) and drop "
                                f"{len(result.tables)} table(s) (the plan above); run it again with --yes to "
                                "do it; nothing was changed")
                        full = {t: n for t, n in result.tables.items() if n}
                        if full and not allow_data_loss:
                            raise DeployError(
                                "rollback would drop table(s) holding rows: "
                                + ", ".join(f"{t} ({n} rows)" for t, n in full.items())
                                + "; export them first, or add --allow-data-loss; nothing was changed")

                        deferred: dict[str, str] = {}

                        def undo() -> None:
                            nonlocal deferred
                            result.rolled_back = []
                            retyped: set[str] = set()
                            if restore_types:
                                functions.set_search_path(conn)
                                retyped = owned_types.restore_adopted(conn, known_files, progress).rerun
                            for migration in candidates:
                                progress(f"rolling back migration {migration.id}")
                                _step(backend, migration, "rollback")
                                result.rolled_back.append(migration.id)
                            functions.set_search_path(conn)
                            if not keep_functions and target_types:
                                type_phase = owned_types.deploy(
                                    conn, owned_types.plan(conn, target_types), known_files, progress)
                                retyped |= type_phase.rerun
                            if not keep_functions:
                                planned = functions.plan(conn, target_files, rerun=retyped)
                                phase = functions.deploy(conn, planned, progress)
                                result.functions_applied, deferred = phase.applied, phase.deferred
                                functions.record_pending_drops(conn, deferred)
                            drift.record(conn, target_scope)

                        _in_one_transaction(conn, backend, LockPolicy(), progress, undo, "rollback")
                if deferred:
                    dropped = MigrateResult()
                    _drop_when_no_call_is_inside(conn, deferred, target_scope, dropped, progress, LockPolicy())
                    result.functions_dropped, result.functions_left = dropped.functions_dropped, dropped.functions_left
        except psycopg.Error as exc:
            raise database_error(exc, url, "rollback") from None
