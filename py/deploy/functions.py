"""The function files of sql/functions: read, ordered, and deployed.

A function is known by its signature, not by the file that defines it: moving
a function to another file, or renaming a file, never drops it. The whole
function phase runs inside the upgrade's one transaction (migrations.py), so the
database has either all the new definitions or all the old ones; an error names
the file and line. A function no file defines any more is not dropped there:
``deploy`` checks nothing calls it, moves a public one out of PostgREST's reach,
and leaves the drop to the upgrade's second step. ``dependency_order`` is the
one order both ``migrate`` and ``export-supabase`` use.

Bookkeeping (schema interview_deploy): ``function_files`` holds, per file, the
checksum it was applied with and the signatures it defined then. A file runs
again when it changed, when a function it defines is missing, or when the
catalog drifted from what was deployed (see drift.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pglast
import psycopg
from pglast import ast
from pglast.enums.parsenodes import FunctionParameterMode
from pglast.stream import RawStream
from psycopg import sql

from .db import DeployError
from .project import Project
from .shim import MIGRATION_SEARCH_PATH

BOOKKEEPING_SCHEMA = "interview_deploy"
API_SCHEMA = "public"  # the schema PostgREST exposes
_INPUT_MODES = {
    FunctionParameterMode.FUNC_PARAM_IN,
    FunctionParameterMode.FUNC_PARAM_INOUT,
    FunctionParameterMode.FUNC_PARAM_VARIADIC,
    FunctionParameterMode.FUNC_PARAM_DEFAULT,
}
# A dependency that a later file creates (sql-language bodies are checked at creation).
_DEFERRABLE_SQLSTATES = {"42883", "42P01", "42704", "3F000"}

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


class FunctionFileError(DeployError):
    """A function file that does not parse or does not apply; the message names file and line."""


@dataclass(frozen=True)
class FunctionHeader:
    """What a CREATE FUNCTION says about the function's identity and its shape."""

    schema: str
    name: str
    input_types: tuple[str, ...]
    shape: str  # every parameter (mode, name, type, default) and the return type

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def signature(self) -> str:
        """As written in the file (type names as pglast prints them)."""
        return f"{self.qualified_name}({', '.join(self.input_types)})"


@dataclass(frozen=True)
class Statement:
    text: str
    line: int  # of its first line that is not blank or a comment
    creates: FunctionHeader | None = None
    text_line: int = 0  # the line ``text`` (leading comments included) starts on


@dataclass(frozen=True)
class FunctionFile:
    path: Path
    text: str
    sha256: str
    statements: tuple[Statement, ...]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def label(self) -> str:
        return f"sql/functions/{self.path.name}"

    @property
    def defines(self) -> list[FunctionHeader]:
        return [s.creates for s in self.statements if s.creates is not None]


def _header(stmt: ast.CreateFunctionStmt) -> FunctionHeader:
    names = [n.sval for n in stmt.funcname or ()]
    schema, name = (names[-2], names[-1]) if len(names) >= 2 else ("public", names[-1])
    def stream(node: object) -> str:
        return str(RawStream()(node))

    params = list(stmt.parameters or ())
    inputs = tuple(stream(p.argType) for p in params if p.mode in _INPUT_MODES)
    shape = "; ".join(
        f"{p.mode.name if p.mode else ''} {p.name or ''} {stream(p.argType)} {stream(p.defexpr) if p.defexpr else ''}"
        for p in params
    ) + f" -> {stream(stmt.returnType) if stmt.returnType else ''}"
    return FunctionHeader(schema, name, inputs, shape)


def function_headers(text: str) -> list[FunctionHeader]:
    """What every CREATE FUNCTION of a SQL text says about the function it creates."""
    return [_header(raw.stmt) for raw in pglast.parse_sql(text) if isinstance(raw.stmt, ast.CreateFunctionStmt)]


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def parse_sql_file(path: Path, label: str) -> list[Statement]:
    """The statements of a SQL file with their lines; one clear line when it does not parse."""
    text = path.read_text(encoding="utf-8")
    data = text.encode("utf-8")
    try:
        raw = pglast.parse_sql(text)
    except pglast.parser.ParseError as exc:
        location = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        line = text[:location].count("\n") + 1
        raise FunctionFileError(f"{label} line {line}: {exc.args[0]}") from None
    found: list[Statement] = []
    for item in raw:
        start = item.stmt_location or 0
        end = start + item.stmt_len if item.stmt_len else len(data)
        chunk = data[start:end]
        # skip leading blank lines and comments to find the line the statement starts on
        skipped = 0
        for raw_line in chunk.split(b"\n"):
            stripped = raw_line.strip()
            if stripped and not stripped.startswith(b"--"):
                break
            skipped += len(raw_line) + 1
        creates = _header(item.stmt) if isinstance(item.stmt, ast.CreateFunctionStmt) else None
        leading = len(chunk) - len(chunk.lstrip())
        found.append(Statement(chunk.decode("utf-8").strip(), _line_of(data, start + skipped), creates,
                               _line_of(data, start + leading)))
    return found


def read_function_file(path: Path) -> FunctionFile:
    statements = parse_sql_file(path, f"sql/functions/{path.name}")
    text = path.read_text(encoding="utf-8")
    return FunctionFile(path, text, hashlib.sha256(path.read_bytes()).hexdigest(), tuple(statements))


def dependency_order(files: list[FunctionFile]) -> list[FunctionFile]:
    """Function files with each file's dependencies first (name order otherwise).

    sql-language bodies are checked at creation, so a file that calls a
    function of another file must come after it. A cycle (possible between
    plpgsql functions, which are checked only when they run) keeps name order.
    """
    names = {f.name: {h.qualified_name for h in f.defines} for f in files}
    needs: dict[str, set[str]] = {}
    for f in files:
        needs[f.name] = {
            other
            for other, defined in names.items()
            if other != f.name and any(re.search(rf"(?<![\w.]){re.escape(n)}\s*\(", f.text) for n in defined)
        }
    ordered: list[FunctionFile] = []
    done: set[str] = set()
    remaining = sorted(files, key=lambda f: f.name)
    while remaining:
        ready = [f for f in remaining if needs[f.name] <= done] or remaining[:1]
        ordered.append(ready[0])
        done.add(ready[0].name)
        remaining.remove(ready[0])
    return ordered


def read_function_files(project: Project) -> list[FunctionFile]:
    """Every function file of the project, parsed, in dependency order."""
    return dependency_order([read_function_file(p) for p in project.function_files()])


def package_function_names(files: Iterable[FunctionFile]) -> list[str]:
    return sorted({h.qualified_name for f in files for h in f.defines})


# -- the catalog --------------------------------------------------------------

_LIVE_SQL = """
select p.oid::regprocedure::text
from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
where n.nspname operator(pg_catalog.||) '.' operator(pg_catalog.||) p.proname = any(%s)
order by 1
"""
_RESOLVE_SQL = """
select p.oid::regprocedure::text
from pg_catalog.pg_proc as p
where p.pronamespace = pg_catalog.to_regnamespace(%s) and p.proname = %s
  and p.proargtypes operator(pg_catalog.=) (
    select coalesce(pg_catalog.string_agg(pg_catalog.to_regtype(t)::oid::text, ' ' order by o), '')::oidvector
    from unnest(%s::text[]) with ordinality as u (t, o))
"""


def live_signatures(conn: psycopg.Connection, names: list[str]) -> list[str]:
    """Catalog signatures (schema-qualified) of every function with one of ``names`` (schema.name).

    Run with search_path pg_catalog, pg_temp so that every name prints qualified."""
    return [str(r[0]) for r in conn.execute(_LIVE_SQL, (names,)).fetchall()]


def resolve(conn: psycopg.Connection, header: FunctionHeader) -> str | None:
    """The catalog signature of the function a header describes, or None when it does not exist."""
    row = conn.execute(_RESOLVE_SQL, (header.schema, header.name, list(header.input_types))).fetchone()
    return str(row[0]) if row else None


@dataclass
class FileRecord:
    sha256: str
    functions: list[str]


def ensure_bookkeeping(conn: psycopg.Connection) -> None:
    conn.execute(
        sql.SQL(
            """
            create table if not exists {schema}.function_files (
              path text primary key,
              sha256 text not null,
              functions text[] not null default '{{}}',
              applied_at timestamptz not null default now()
            );
            create table if not exists {schema}.pending_drops (
              signature text primary key,
              location text not null,
              recorded_at timestamptz not null default now()
            )
            """
        ).format(schema=sql.Identifier(BOOKKEEPING_SCHEMA))
    )


def record_pending_drops(conn: psycopg.Connection, deferred: dict[str, str]) -> None:
    """Inside the upgrade's transaction: the functions its second step drops, so that
    a run that dies before (or whose wait times out) leaves them for the next one."""
    for signature, location in deferred.items():
        conn.execute(
            sql.SQL("insert into {}.pending_drops (signature, location) values (%s, %s) "
                    "on conflict (signature) do update set location = excluded.location").format(
                sql.Identifier(BOOKKEEPING_SCHEMA)), (signature, location))


def pending_drops(conn: psycopg.Connection) -> dict[str, str]:
    """Functions an upgrade left to drop (signature -> where it is now), minus any a
    function file defines again since."""
    rows = conn.execute(
        sql.SQL("select d.signature, d.location from {schema}.pending_drops as d where not exists ("
                "select 1 from {schema}.function_files as f where d.location = any(f.functions)) order by 1").format(
            schema=sql.Identifier(BOOKKEEPING_SCHEMA))).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def forget_pending_drop(conn: psycopg.Connection, signature: str) -> None:
    conn.execute(sql.SQL("delete from {}.pending_drops where signature = %s").format(
        sql.Identifier(BOOKKEEPING_SCHEMA)), (signature,))


def file_records(conn: psycopg.Connection) -> dict[str, FileRecord]:
    exists = conn.execute("select to_regclass(%s) is not null", (f"{BOOKKEEPING_SCHEMA}.function_files",)).fetchone()
    if not (exists and exists[0]):
        return {}
    rows = conn.execute(
        sql.SQL("select path, sha256, functions from {}.function_files").format(sql.Identifier(BOOKKEEPING_SCHEMA))
    ).fetchall()
    return {str(r[0]): FileRecord(str(r[1]), [str(s) for s in r[2]]) for r in rows}


@dataclass
class FunctionPlan:
    """What the function phase would do, judged against the bookkeeping and the catalog."""

    files: list[FunctionFile]
    run: list[FunctionFile]  # changed, new, or a function of it missing or drifted
    states: dict[str, str]  # file -> applied | changed | new | missing | drifted | type created again
    removed: list[str]  # recorded files that are gone
    stale: list[str]  # signatures that exist but no file defines any more (recorded, or an overload of a package name)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.run or self.removed or self.stale)


def plan(
    conn: psycopg.Connection, files: list[FunctionFile], drifted: set[str] | None = None,
    rerun: set[str] | None = None,
) -> FunctionPlan:
    """Which files must run, which records are gone, which functions no file defines.

    ``drifted`` holds catalog signatures whose deployed state differs (drift.py):
    the files defining them run again; ``rerun`` names files that run again because a
    type of sql/types they use was created again (owned_types.py). Must run with
    search_path pg_catalog, pg_temp.
    """
    drifted = drifted or set()
    rerun = rerun or set()
    records = file_records(conn)
    names = package_function_names(files) + sorted(
        {s.split("(")[0] for r in records.values() for s in r.functions}
    )
    live = set(live_signatures(conn, sorted(set(names))))
    states: dict[str, str] = {}
    run: list[FunctionFile] = []
    defined: set[str] = set()
    for f in files:
        record = records.get(f.name)
        resolved = [resolve(conn, h) for h in f.defines]
        defined |= {s for s in resolved if s}
        if record is None:
            state = "new"
        elif record.sha256 != f.sha256:
            state = "changed"
        elif any(s is None for s in resolved) or any(s not in live for s in record.functions):
            state = "missing"
        elif drifted & {s for s in resolved if s}:
            state = "drifted"
        elif f.name in rerun:
            state = "type created again"
        else:
            state = "applied"
        states[f.name] = state
        if state != "applied":
            run.append(f)
    on_disk = {f.name for f in files}
    removed = sorted(name for name in records if name not in on_disk)
    # Every function of a package name that no file defines: a file's old signature,
    # a removed file's, or an overload created by hand. A signature a changed file
    # still defines is found when it runs; until then it is not stale.
    changed_names = {h.qualified_name for f in run for h in f.defines}
    stale = sorted(
        s for s in live
        if s not in defined and s.split("(")[0] not in changed_names
    )
    return FunctionPlan(files, run, states, removed, stale)


@dataclass
class FunctionPhase:
    applied: list[str] = field(default_factory=list)
    # no file defines them: signature -> where it is until the drop after the commit (public
    # ones are retired into the bookkeeping schema, the others stay in place)
    deferred: dict[str, str] = field(default_factory=dict)


def _error(file: FunctionFile, statement: Statement, exc: psycopg.Error) -> FunctionFileError:
    line = statement.line
    position = exc.diag.statement_position
    if position:
        # statement_position counts characters of the statement as sent, from 1
        before = statement.text[: int(position) - 1]
        line = statement.text_line + before.count("\n")
    message = exc.diag.message_primary or str(exc).strip().splitlines()[0]
    context = exc.diag.context or ""
    where = re.search(r"PL/pgSQL function .* (line \d+)", context) or re.search(r"(near line \d+)", context)
    detail = f" (function body {where.group(1)})" if where else ""
    return FunctionFileError(f"{file.label} line {line}: {message}{detail}")


def exists(conn: psycopg.Connection, signature: str) -> bool:
    return conn.execute("select pg_catalog.to_regprocedure(%s) is not null", (signature,)).fetchone() == (True,)


def drop(conn: psycopg.Connection, signature: str, why: str) -> None:
    """Drop one function (its catalog signature); a clear error when objects depend on it."""
    _drop(conn, signature, why)


def _check_droppable(conn: psycopg.Connection, signature: str) -> None:
    """Drop and restore at once (a savepoint): fails now, inside the upgrade's
    transaction, when something depends on a function the second step would drop."""
    with contextlib.suppress(_Undo):
        with conn.transaction():
            _drop(conn, signature, "is defined by no file in sql/functions any more")
            raise _Undo


def retire(conn: psycopg.Connection, signature: str) -> str:
    """Move a function out of the API's reach without dropping it: renamed into the
    bookkeeping schema (no API grants), it keeps its oid, so a call already inside it
    (or holding a plan that names it) finishes; no new call can resolve it. Returns its
    signature there, for the drop once no call can be inside it."""
    oid = conn.execute("select pg_catalog.to_regprocedure(%s)::oid", (signature,)).fetchone()[0]  # type: ignore[index]
    conn.execute(sql.SQL("alter function {} rename to {}").format(sql.SQL(signature), sql.Identifier(f"retired_{oid}")))
    renamed = conn.execute("select %s::oid::regprocedure::text", (oid,)).fetchone()[0]  # type: ignore[index]
    conn.execute(sql.SQL("alter function {} set schema {}").format(sql.SQL(renamed), sql.Identifier(BOOKKEEPING_SCHEMA)))
    return str(conn.execute("select %s::oid::regprocedure::text", (oid,)).fetchone()[0])  # type: ignore[index]


class _Undo(Exception):
    pass


# A deployed function's body that names another: schema.name( or "schema"."name"(
_CALLERS_SQL = """
select p.oid::regprocedure::text
from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
where n.nspname not in ('pg_catalog', 'information_schema')
  and p.oid::regprocedure::text <> all(%s)
  and p.prosrc operator(pg_catalog.~*) %s
order by 1
"""


def callers(conn: psycopg.Connection, name: str, going: list[str]) -> list[str]:
    """Deployed functions (other than ``going``) whose body names ``name`` (schema.name)
    followed by ``(``: a scan of pg_proc.prosrc, quoted or not, any case."""
    schema, _, bare = name.partition(".")
    pattern = (rf'(^|[^\w."])"?{re.escape(schema)}"?\s*\.\s*"?{re.escape(bare)}"?\s*\(')
    return [str(r[0]) for r in conn.execute(_CALLERS_SQL, (going, pattern)).fetchall()]


def _drop(conn: psycopg.Connection, signature: str, why: str) -> None:
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL("drop function {}").format(sql.SQL(signature))  # the catalog's own, quoted rendering
            )
    except psycopg.errors.DependentObjectsStillExist as exc:
        raise DeployError(
            f"{signature} {why}, but other objects depend on it: {exc.diag.message_detail or exc.diag.message_primary}"
        ) from None


def _reset_grants(conn: psycopg.Connection, signature: str) -> None:
    """Revoke every privilege on an existing function, so that its file's grants are all it has after."""
    grantees = conn.execute(
        """
        select distinct case when a.grantee = 0 then 'public' else pg_catalog.quote_ident(r.rolname) end
        from pg_catalog.pg_proc as p
        cross join lateral pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) as a
        left join pg_catalog.pg_roles as r on r.oid = a.grantee
        where p.oid::regprocedure::text = %s and a.grantee <> p.proowner
        """,
        (signature,),
    ).fetchall()
    if grantees:
        conn.execute(
            sql.SQL("revoke all on function {} from {}").format(
                sql.SQL(signature), sql.SQL(", ").join(sql.SQL(str(g[0])) for g in grantees)
            )
        )


def _run_statement(conn: psycopg.Connection, file: FunctionFile, statement: Statement) -> None:
    if statement.creates is None:
        conn.execute(statement.text)
        return
    try:
        with conn.transaction():
            conn.execute(statement.text)
    except psycopg.errors.InvalidFunctionDefinition:
        # CREATE OR REPLACE cannot change a function's return type, parameter names
        # or defaults: drop it and create it again, in this same transaction (the
        # file carries its grants and comments; an object depending on it stops it).
        existing = resolve(conn, statement.creates)
        if existing is None:
            raise
        _drop(conn, existing, f"must be dropped and created again by {file.label}")
        conn.execute(statement.text)


def _run_file(conn: psycopg.Connection, file: FunctionFile) -> None:
    for header in file.defines:
        existing = resolve(conn, header)
        if existing is not None:
            _reset_grants(conn, existing)
    for statement in file.statements:
        try:
            _run_statement(conn, file, statement)
        except psycopg.Error as exc:
            raise _FileFailed(file, statement, exc) from exc


class _FileFailed(Exception):
    def __init__(self, file: FunctionFile, statement: Statement, exc: psycopg.Error) -> None:
        super().__init__(str(exc))
        self.file, self.statement, self.exc = file, statement, exc


def deploy(
    conn: psycopg.Connection,
    function_plan: FunctionPlan,
    progress: Progress = _quiet,
) -> FunctionPhase:
    """Run the planned files, drop what no file defines, record it all; ``conn``
    must be inside the caller's transaction with search_path pg_catalog, pg_temp."""
    phase = FunctionPhase()
    pending = list(function_plan.run)
    while pending:
        deferred: list[tuple[FunctionFile, _FileFailed]] = []
        for file in pending:
            progress(f"applying function file {file.name}")
            try:
                with conn.transaction():
                    _run_file(conn, file)
            except _FileFailed as failed:
                if isinstance(failed.exc, psycopg.errors.LockNotAvailable):
                    raise failed.exc from None  # the upgrade tries again
                if failed.exc.sqlstate not in _DEFERRABLE_SQLSTATES:
                    raise _error(failed.file, failed.statement, failed.exc) from None
                deferred.append((file, failed))
                continue
            phase.applied.append(file.name)
        if len(deferred) == len(pending):
            file, failed = deferred[0]
            raise _error(failed.file, failed.statement, failed.exc) from None
        pending = [f for f, _ in deferred]

    records = file_records(conn)
    defined: dict[str, list[str]] = {}
    for file in function_plan.files:
        if file.name in phase.applied or file.name not in records:
            defined[file.name] = sorted({s for h in file.defines if (s := resolve(conn, h))})
        else:
            defined[file.name] = records[file.name].functions
    everything = {s for signatures in defined.values() for s in signatures}
    names = package_function_names(function_plan.files) + [s.split("(")[0] for r in records.values() for s in r.functions]
    going = [s for s in live_signatures(conn, sorted(set(names))) if s not in everything]
    kept_names = {s.split("(")[0] for s in everything}
    for signature in going:
        name = signature.split("(")[0]
        if name not in kept_names:  # the name goes away: nothing deployed may still call it
            calling = callers(conn, name, going)
            if calling:
                raise DeployError(
                    f"{signature} is defined by no file in sql/functions any more, but deployed function(s) "
                    f"call {name}: {', '.join(calling)}; restore its file or change the callers first; "
                    "nothing was changed"
                )
        _check_droppable(conn, signature)
    for signature in going:  # checked all first: a retired function no longer has its name
        # An old overload next to the new one makes calls ambiguous (PostgREST's 300
        # PGRST203 in public, 42725 "is not unique" for a call with defaults), so it is
        # retired now, and so is every public one. A function whose name goes away
        # stays where it is, for old code still running to find it by name.
        ambiguous = signature.split("(")[0] in kept_names or signature.startswith(f"{API_SCHEMA}.")
        phase.deferred[signature] = retire(conn, signature) if ambiguous else signature

    table = sql.Identifier(BOOKKEEPING_SCHEMA)
    conn.execute(sql.SQL("delete from {}.function_files").format(table))
    for file in function_plan.files:
        conn.execute(
            sql.SQL("insert into {}.function_files (path, sha256, functions) values (%s, %s, %s)").format(table),
            (file.name, file.sha256, defined[file.name]),
        )
    return phase


def foreign_owners(conn: psycopg.Connection, files: list[FunctionFile]) -> list[tuple[str, str]]:
    """(signature, owner) of every package function that the deploying role does not own.

    CREATE OR REPLACE keeps the owner of a function that someone else created
    first; a SECURITY DEFINER function would then run with that role's rights."""
    rows = conn.execute(
        """
        select p.oid::regprocedure::text, pg_catalog.pg_get_userbyid(p.proowner)
        from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
        where (n.nspname operator(pg_catalog.||) '.' operator(pg_catalog.||) p.proname) = any(%s)
          and p.proowner operator(pg_catalog.<>) (select oid from pg_catalog.pg_roles where rolname = current_user)
        order by 1
        """,
        (package_function_names(files),),
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def take_ownership(conn: psycopg.Connection, signature: str) -> None:
    conn.execute(sql.SQL("alter function {} owner to current_user").format(sql.SQL(signature)))


def set_search_path(conn: psycopg.Connection) -> None:
    """Inside a transaction: the path every deployment statement runs with."""
    conn.execute(f"set local search_path = {MIGRATION_SEARCH_PATH}")
