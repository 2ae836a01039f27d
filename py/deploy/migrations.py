"""Deploy the schema: the Supabase shim (plain PostgreSQL only), the versioned
migrations (yoyo) and the function files, all under one lock.

yoyo keeps its bookkeeping tables in ``interview_deploy``, a schema PostgREST
never exposes; we add what yoyo lacks there: the checksum of every applied
migration (so an edited migration is caught) and of every function file (so a
changed one is re-applied, an unchanged one is not).

Each migration is applied and marked in one transaction, so a run that dies in
the middle leaves the database as it was before that migration.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from yoyo import read_migrations
from yoyo.backends.base import DatabaseBackend
from yoyo.connections import get_backend
from yoyo.migrations import Migration

from .project import Project
from .supabase_export import deployed_by_cli

BOOKKEEPING_SCHEMA = "interview_deploy"
SHIM_MARKER = "Supabase Auth stand-in (local shim)"
# One key for every interview-db process that changes the schema; the lock is
# held by a session, so PostgreSQL releases it when its holder dies.
MIGRATE_LOCK_KEY = 0x696E_7465_7276_6462  # "intervdb"

# A deploy whose process dies (kill -9, a cancelled CI job) must not leave its
# statement running on the server with the locks of a half-done migration until
# that statement ends by itself: every connection asks the server to check each
# second whether its client is still there, and to cancel and roll back when not
# (client_connection_check_interval, PostgreSQL 14+ on Linux, macOS and the BSDs).
CLIENT_CHECK_INTERVAL = "1s"
_CLIENT_CHECK_SQL = (
    "select pg_catalog.set_config('client_connection_check_interval', %s, false) "
    "where pg_catalog.current_setting('server_version_num')::integer >= 140000"
)

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


class MigrationError(RuntimeError):
    """A deployment problem the user can act on; its message says how."""


class EditedMigrationError(MigrationError):
    """An applied migration's file changed after it was applied."""


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
    functions_applied: list[str] = field(default_factory=list)
    functions_dropped: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.shim_applied
            or self.migrations_applied
            or self.functions_applied
            or self.functions_dropped
            or self.checksums_recorded
        )


@dataclass
class MigrationState:
    id: str
    applied_at: datetime | None
    file_present: bool
    edited: bool

    @property
    def applied(self) -> bool:
        return self.applied_at is not None


@dataclass
class FunctionFileState:
    path: str
    state: str  # applied | changed | new | removed | missing (a function it defines is gone)


@dataclass
class StatusResult:
    database: str
    supabase: bool
    shim: bool
    migrations: list[MigrationState]
    functions: list[FunctionFileState]
    # interview-db's own bookkeeping exists (deployed with `migrate`); a database
    # deployed with `supabase db push` has none, see supabase_export.pushed_state.
    bookkeeping: bool = False

    @property
    def pending_migrations(self) -> list[str]:
        return [m.id for m in self.migrations if not m.applied and m.file_present]

    @property
    def edited_migrations(self) -> list[str]:
        return [m.id for m in self.migrations if m.edited]

    @property
    def drifted_functions(self) -> list[str]:
        return [f.path for f in self.functions if f.state != "applied"]


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe_url(url: str) -> str:
    """host:port/dbname of a URL, without credentials, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or '/'}"


def _yoyo_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "postgresql+psycopg"):
        raise MigrationError(
            f"database URL must look like postgresql://user:password@host:port/dbname, got scheme {parts.scheme!r}"
        )
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "schema"]
    query.append(("schema", BOOKKEEPING_SCHEMA))
    return urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, urlencode(query), ""))


def connect(url: str) -> psycopg.Connection:
    """An autocommit connection, with a clear error when the database is out of reach."""
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise MigrationError(f"cannot connect to {describe_url(url)}: {reason}") from exc
    except psycopg.ProgrammingError as exc:
        raise MigrationError(f"invalid database URL: {exc}") from exc
    _end_with_client(conn)
    return conn


def _end_with_client(conn: psycopg.Connection) -> None:
    """Have the server cancel this session's statement when our process is gone.

    ``conn`` must be in autocommit mode (the setting then lasts for the session).
    A server that cannot watch its clients (an older major, another platform)
    keeps its default: nothing else depends on it.
    """
    try:
        conn.execute(_CLIENT_CHECK_SQL, (CLIENT_CHECK_INTERVAL,))
    except psycopg.Error:
        pass


def has_auth_schema(conn: psycopg.Connection) -> bool:
    return conn.execute("select to_regnamespace('auth') is not null").fetchone()[0]  # type: ignore[index]


def is_local_shim(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select coalesce(obj_description(to_regnamespace('auth'), 'pg_namespace'), '')"
    ).fetchone()
    return bool(row and str(row[0]).startswith(SHIM_MARKER))


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
        if not conn.closed:
            conn.execute("select pg_advisory_unlock(%s)", (MIGRATE_LOCK_KEY,))


def _has_bookkeeping(conn: psycopg.Connection) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", (f"{BOOKKEEPING_SCHEMA}._yoyo_migration",)).fetchone()
    return bool(row and row[0])


def _ensure_bookkeeping(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute(
            sql.SQL(
                """
                create schema if not exists {schema};
                comment on schema {schema} is
                  'interview-db deployment bookkeeping (yoyo tables, checksums). Not exposed; no API grants.';
                revoke all on schema {schema} from public;
                create table if not exists {schema}.migration_checksums (
                  migration_id text primary key,
                  sha256 text not null,
                  recorded_at timestamptz not null default now()
                );
                create table if not exists {schema}.function_files (
                  path text primary key,
                  sha256 text not null,
                  functions text[] not null default '{{}}',
                  applied_at timestamptz not null default now()
                );
                """
            ).format(schema=sql.Identifier(BOOKKEEPING_SCHEMA))
        )


def apply_shim(conn: psycopg.Connection, project: Project) -> str:
    """Apply the Supabase shim (supabase/shim.sql, and the pgcrypto stand-ins
    where pgcrypto is missing); returns how pgcrypto is provided.

    ``migrate`` calls it on a plain PostgreSQL; the Supabase CLI tests call it
    alone, to stand in for what a Supabase database has before ``db push``."""
    with conn.transaction():
        conn.execute(f"set local search_path = {MIGRATION_SEARCH_PATH}")
        conn.execute(project.shim_file.read_text())
        available = conn.execute(
            "select exists (select from pg_available_extensions where name = 'pgcrypto')"
        ).fetchone()[0]  # type: ignore[index]
        if available:
            conn.execute("create extension if not exists pgcrypto with schema extensions")
            return "pgcrypto extension"
        conn.execute(project.pgcrypto_fallback_file.read_text())
        return "pgcrypto stand-ins (this PostgreSQL has no pgcrypto)"


@contextmanager
def _yoyo(url: str) -> Iterator[DatabaseBackend]:
    backend = get_backend(_yoyo_url(url))
    try:
        _end_with_client(backend.connection)  # yoyo's connection is in autocommit mode
        yield backend
    finally:
        backend.connection.close()


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


def _checksums(conn: psycopg.Connection) -> dict[str, str]:
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
        _record_checksum(conn, m)
    return [m.id for m in adopted]


def _record_checksum(conn: psycopg.Connection, migration: Migration) -> None:
    conn.execute(
        sql.SQL(
            "insert into {}.migration_checksums (migration_id, sha256) values (%s, %s) "
            "on conflict (migration_id) do update set sha256 = excluded.sha256, recorded_at = now()"
        ).format(sql.Identifier(BOOKKEEPING_SCHEMA)),
        (migration.id, sha256_file(Path(migration.path))),
    )


# The path a migration's statements run with: every name in them is resolved in
# pg_catalog first and pg_temp last, never in a schema another role could create
# objects in (the same rule as for the functions; tests/test_pgspot.py checks the
# files under it). yoyo's own bookkeeping needs its schema back afterwards.
MIGRATION_SEARCH_PATH = "pg_catalog, pg_temp"


def _process_steps(backend: DatabaseBackend, migration: Migration, direction: str) -> None:
    backend.execute(f"set local search_path = {MIGRATION_SEARCH_PATH}")
    migration.process_steps(backend, direction)
    backend.execute(f"set local search_path = {BOOKKEEPING_SCHEMA}")


def _apply_migration(backend: DatabaseBackend, migration: Migration) -> None:
    """Apply, mark and checksum one migration in a single transaction."""
    with backend.transaction():
        _process_steps(backend, migration, "apply")
        backend.log_migration(migration, "apply")
        backend.mark_one(migration, log=False)
        backend.execute(
            f"insert into {BOOKKEEPING_SCHEMA}.migration_checksums (migration_id, sha256) values (:id, :sha) "
            "on conflict (migration_id) do update set sha256 = excluded.sha256, recorded_at = now()",
            {"id": migration.id, "sha": sha256_file(Path(migration.path))},
        )


def _rollback_migration(backend: DatabaseBackend, migration: Migration) -> None:
    with backend.transaction():
        _process_steps(backend, migration, "rollback")
        backend.log_migration(migration, "rollback")
        backend.unmark_one(migration, log=False)
        backend.execute(
            f"delete from {BOOKKEEPING_SCHEMA}.migration_checksums where migration_id = :id",
            {"id": migration.id},
        )


# -- function files --------------------------------------------------------

_DEFERRABLE_SQLSTATES = {"42883", "42P01", "42704", "3F000"}  # a dependency not created yet


def _function_records(conn: psycopg.Connection) -> dict[str, tuple[str, list[str]]]:
    rows = conn.execute(
        sql.SQL("select path, sha256, functions from {}.function_files").format(sql.Identifier(BOOKKEEPING_SCHEMA))
    ).fetchall()
    return {str(r[0]): (str(r[1]), list(r[2])) for r in rows}


def _drop_function(conn: psycopg.Connection, file: str, signature: str, *, redefined: bool = False) -> bool:
    """Drop a function by its recorded signature, quoted by the catalog itself."""
    row = conn.execute(
        "select 'drop function ' || to_regprocedure(%s)::text", (signature,)
    ).fetchone()
    statement = row[0] if row else None
    if statement is None:  # already gone
        return False
    try:
        conn.execute(statement)
    except psycopg.errors.DependentObjectsStillExist as exc:
        change = "changes the return type or parameter names of" if redefined else "no longer defines"
        raise MigrationError(
            f"{file} {change} {signature}, but other objects depend on it: "
            f"{exc.diag.message_detail or exc.diag.message_primary}"
        ) from exc
    return True


def _apply_function_file(
    conn: psycopg.Connection, name: str, text: str, sha: str, previous: list[str]
) -> list[str]:
    """Run one file; drop the functions it defined before but no longer does. Returns those dropped.

    CREATE OR REPLACE cannot change a function's return type or the names of its
    parameters: when the file does, its previous functions are dropped first and
    created again, in the same transaction (the file carries their grants and
    comments; an object that depends on one, a trigger or a policy, stops it).
    """
    try:
        return _run_function_file(conn, name, text, sha, previous, drop_first=False)
    except psycopg.errors.InvalidFunctionDefinition:
        return _run_function_file(conn, name, text, sha, previous, drop_first=True)


def _run_function_file(
    conn: psycopg.Connection, name: str, text: str, sha: str, previous: list[str], *, drop_first: bool
) -> list[str]:
    dropped: list[str] = []
    with conn.transaction():
        if drop_first:
            for signature in previous:
                _drop_function(conn, name, signature, redefined=True)
        conn.execute(text)
        # Every function the file created, replaced or granted carries this
        # transaction's id in xmin: that is the set the file defines now.
        defined = [
            str(r[0])
            for r in conn.execute(
                "select p.oid::regprocedure::text from pg_proc as p where p.xmin = pg_current_xact_id()::xid order by 1"
            ).fetchall()
        ]
        for signature in previous:
            if signature not in defined and _drop_function(conn, name, signature):
                dropped.append(signature)
        conn.execute(
            sql.SQL(
                "insert into {}.function_files (path, sha256, functions) values (%s, %s, %s) "
                "on conflict (path) do update set sha256 = excluded.sha256, functions = excluded.functions, applied_at = now()"
            ).format(sql.Identifier(BOOKKEEPING_SCHEMA)),
            (name, sha, defined),
        )
    return dropped


def _missing(conn: psycopg.Connection, signatures: list[str]) -> bool:
    """Whether a function recorded for a file is gone (dropped with a type by a rollback, or by hand)."""
    if not signatures:
        return False
    row = conn.execute(
        "select bool_or(to_regprocedure(s) is null) from unnest(%s::text[]) as s", (signatures,)
    ).fetchone()
    return bool(row and row[0])


def _apply_function_files(conn: psycopg.Connection, project: Project, result: MigrateResult, progress: Progress) -> None:
    records = _function_records(conn)
    files = {p.name: p for p in project.function_files()}
    # A file runs when it changed, or when a function it defines has gone missing.
    pending = [
        (name, path.read_text(), sha)
        for name, path in files.items()
        if (sha := sha256_file(path)) != records.get(name, ("", []))[0] or _missing(conn, records[name][1])
    ]
    # A file may use a function of a later file (sql-language bodies are
    # checked at creation): defer it and retry while the others make progress.
    while pending:
        deferred: list[tuple[str, str, str]] = []
        last_error: psycopg.Error | None = None
        for name, text, sha in pending:
            progress(f"applying function file {name}")
            try:
                result.functions_dropped += _apply_function_file(conn, name, text, sha, records.get(name, ("", []))[1])
                result.functions_applied.append(name)
            except psycopg.Error as exc:
                if exc.sqlstate not in _DEFERRABLE_SQLSTATES:
                    raise MigrationError(f"{name}: {exc.diag.message_primary or exc}") from exc
                deferred.append((name, text, sha))
                last_error = exc
        if len(deferred) == len(pending):
            assert last_error is not None
            raise MigrationError(f"{deferred[0][0]}: {last_error.diag.message_primary or last_error}")
        pending = deferred
    for name, (_, functions) in records.items():
        if name in files:
            continue
        progress(f"function file {name} was removed: dropping its functions")
        with conn.transaction():
            for signature in functions:
                if _drop_function(conn, name, signature):
                    result.functions_dropped.append(signature)
            conn.execute(
                sql.SQL("delete from {}.function_files where path = %s").format(sql.Identifier(BOOKKEEPING_SCHEMA)),
                (name,),
            )


# -- commands --------------------------------------------------------------


def migrate(url: str, project: Project, progress: Progress = _quiet) -> MigrateResult:
    """Bring the database up to date: shim when needed, migrations, function files."""
    result = MigrateResult(database=describe_url(url))
    with connect(url) as conn, migrate_lock(conn, progress) as waited:
        result.waited_for_lock = waited
        result.supabase = has_auth_schema(conn) and not is_local_shim(conn)
        if deployed_by_cli(conn) and not _has_bookkeeping(conn):
            raise MigrationError(
                "the package was deployed here with `supabase db push` (supabase_migrations.schema_migrations "
                "lists it): keep deploying it that way (interview-db export-supabase, then supabase db push); "
                "migrate would apply every migration a second time"
            )
        if not has_auth_schema(conn):
            progress("plain PostgreSQL (no auth schema): applying the Supabase shim")
            result.pgcrypto = apply_shim(conn, project)
            result.shim_applied = True
        _ensure_bookkeeping(conn)
        migrations = read_migrations(str(project.migrations_dir))
        with _yoyo(url) as backend:
            result.broke_stale_lock = _break_stale_yoyo_lock(backend)
            if result.broke_stale_lock:
                progress(result.broke_stale_lock)
            with backend.lock():
                applied = _applied_ids(backend)
                result.checksums_recorded = _check_edits(conn, list(migrations), applied)
                for migration in backend.to_apply(migrations):
                    progress(f"applying migration {migration.id}")
                    try:
                        _apply_migration(backend, migration)
                    except psycopg.Error as exc:
                        raise MigrationError(
                            f"migration {migration.id} failed and was rolled back: {exc.diag.message_primary or exc}"
                        ) from exc
                    result.migrations_applied.append(migration.id)
        _apply_function_files(conn, project, result, progress)
    return result


def status(url: str, project: Project) -> StatusResult:
    """What is applied, pending, edited or drifted; changes nothing."""
    with connect(url) as conn:
        auth = has_auth_schema(conn)
        shim = auth and is_local_shim(conn)
        bookkeeping = _has_bookkeeping(conn)
        applied: dict[str, datetime] = {}
        checksums: dict[str, str] = {}
        records: dict[str, tuple[str, list[str]]] = {}
        if bookkeeping:
            applied = {
                str(r[0]): r[1]
                for r in conn.execute(
                    sql.SQL("select migration_id, applied_at_utc from {}._yoyo_migration").format(
                        sql.Identifier(BOOKKEEPING_SCHEMA)
                    )
                ).fetchall()
            }
            checksums = _checksums(conn)
            records = _function_records(conn)
        missing = {name for name, (_, signatures) in records.items() if _missing(conn, signatures)}
    files = {p.stem: p for p in project.migration_files()}
    migrations = [
        MigrationState(
            id=mid,
            applied_at=applied.get(mid),
            file_present=mid in files,
            edited=mid in applied and mid in files and mid in checksums and checksums[mid] != sha256_file(files[mid]),
        )
        for mid in sorted(set(files) | set(applied))
    ]
    functions: list[FunctionFileState] = []
    for path in project.function_files():
        record = records.get(path.name)
        if record is None:
            state = "new"
        elif record[0] != sha256_file(path):
            state = "changed"
        else:
            state = "missing" if path.name in missing else "applied"
        functions.append(FunctionFileState(path.name, state))
    on_disk = {p.name for p in project.function_files()}
    functions += [FunctionFileState(name, "removed") for name in sorted(records) if name not in on_disk]
    return StatusResult(
        database=describe_url(url),
        supabase=auth and not shim,
        shim=shim,
        migrations=migrations,
        functions=functions,
        bookkeeping=bool(bookkeeping),
    )


def rollback(url: str, project: Project, count: int = 1, progress: Progress = _quiet) -> list[str]:
    """Roll back the last ``count`` applied migrations, newest first."""
    if count < 1:
        raise MigrationError("--count must be at least 1")
    rolled_back: list[str] = []
    with connect(url) as conn, migrate_lock(conn, progress):
        _ensure_bookkeeping(conn)
        migrations = read_migrations(str(project.migrations_dir))
        with _yoyo(url) as backend:
            stale = _break_stale_yoyo_lock(backend)
            if stale:
                progress(stale)
            with backend.lock():
                candidates = list(backend.to_rollback(migrations))[:count]
                if not candidates:
                    raise MigrationError("no applied migration to roll back")
                for migration in candidates:
                    progress(f"rolling back migration {migration.id}")
                    try:
                        _rollback_migration(backend, migration)
                    except psycopg.Error as exc:
                        raise MigrationError(
                            f"rollback of {migration.id} failed and was undone: {exc.diag.message_primary or exc}"
                        ) from exc
                    rolled_back.append(migration.id)
    return rolled_back
