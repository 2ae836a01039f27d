"""The types of sql/types: composite types only functions use, deployed beside them.

A type that only functions take, return or declare (the parsed create request,
its question items, a rule of the rule table) is code, not data: it lives in
``sql/types/<schema>.<name>.sql`` (one ``create type ... as (...)``, its
``comment on type``), and a change of its shape is a change of that file, never a
migration. ``migrate`` deploys the type files in the upgrade's one transaction,
before the function files: a type whose file changed (or that is missing, or
whose attributes were altered by hand) is dropped and created again, with every
type file's type that uses it; each function that takes or returns it is dropped
first, by its signature, and created again by its file in the same transaction
(``functions.plan``'s ``rerun``), as is every function file that names the type
(its compiled plans, in every session, are made again). A table, view or
another object that uses the type stops the deploy with its name: a type a table
uses belongs in a migration.

Bookkeeping (``interview_deploy.type_files``): per file, its type, the checksum
it was applied with, the attributes the catalog had after, and ``adopted``: the
definition the type had when this code first took it over from the migrations
that created it (0010, 0011, 0016). A rollback to a release from before
sql/types existed puts that definition back (``restore_adopted``), so the old
migrations' rollbacks and the old functions find the type they were written for.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pglast
import psycopg
from pglast import ast
from psycopg import sql

from .db import DeployError
from .functions import (
    BOOKKEEPING_SCHEMA,
    FunctionFile,
    FunctionFileError,
    Statement,
    file_records,
    parse_sql_file,
    resolve,
)
from .project import Project

Progress = Callable[[str], None]
TABLE = f"{BOOKKEEPING_SCHEMA}.type_files"


def _quiet(_: str) -> None:
    return None


class TypeFileError(FunctionFileError):
    """A type file that does not parse, does not apply, or is not one composite type named like its file."""


@dataclass(frozen=True)
class TypeFile:
    path: Path
    text: str
    sha256: str
    statements: tuple[Statement, ...]
    qualified_name: str  # schema.name

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def label(self) -> str:
        return f"sql/types/{self.path.name}"


def problems(path: Path) -> list[tuple[int, str]]:
    """(line, problem) of a type file: one ``create type schema.name as (...)`` named like
    its file, and a ``comment on type`` of it (for lint and for reading)."""
    text = path.read_text(encoding="utf-8")
    try:
        parsed = pglast.parse_sql(text)
    except pglast.parser.ParseError as exc:
        return [(1, f"does not parse: {exc}")]
    created = [r for r in parsed if isinstance(r.stmt, ast.CompositeTypeStmt)]
    found: list[tuple[int, str]] = []
    others = [r for r in parsed if isinstance(r.stmt, (ast.CreateEnumStmt, ast.CreateDomainStmt, ast.DefineStmt,
                                                       ast.CreateRangeStmt))]
    if others:
        found.append((1, "holds a type that is not composite: enums and domains used by tables stay in migrations"))
    if len(created) != 1:
        return found + [(1, f"must create exactly one composite type (create type schema.name as (...)), "
                            f"creates {len(created)}")]
    relation = created[0].stmt.typevar
    name = f"{relation.schemaname}.{relation.relname}" if relation.schemaname else relation.relname
    line = text[: created[0].stmt_location or 0].count("\n") + 1
    if f"{name}.sql" != path.name:
        found.append((line, f"creates {name}: a type file is named <schema>.<name>.sql for the type it creates"))
    commented = any(
        isinstance(r.stmt, ast.CommentStmt) and r.stmt.objtype == pglast.enums.ObjectType.OBJECT_TYPE
        for r in parsed)
    if not commented:
        found.append((line, f"type {name} has no `comment on type`"))
    return found


def read_type_file(path: Path) -> TypeFile:
    label = f"sql/types/{path.name}"
    statements = parse_sql_file(path, label)
    wrong = problems(path)
    if wrong:
        line, problem = wrong[0]
        raise TypeFileError(f"{label} line {line}: {problem}")
    return TypeFile(path, path.read_text(encoding="utf-8"), hashlib.sha256(path.read_bytes()).hexdigest(),
                    tuple(statements), path.name.removesuffix(".sql"))


def names_type(text: str, qualified_name: str) -> bool:
    """Whether a SQL text names the type (schema.name, as a whole name)."""
    return re.search(rf"(?<![\w.]){re.escape(qualified_name)}(?![\w])", text, re.IGNORECASE) is not None


def dependency_order(files: list[TypeFile]) -> list[TypeFile]:
    """Type files with each type's attribute types first (name order otherwise)."""
    ordered: list[TypeFile] = []
    remaining = sorted(files, key=lambda f: f.name)
    while remaining:
        ready = [f for f in remaining
                 if not any(o is not f and o not in ordered and names_type(f.text, o.qualified_name) for o in remaining)]
        ordered.append((ready or remaining)[0])
        remaining.remove(ordered[-1])
    return ordered


def read_type_files(project: Project) -> list[TypeFile]:
    """Every type file of the project, checked, in dependency order ([] when it has no sql/types)."""
    return dependency_order([read_type_file(p) for p in project.type_files()])


def type_names(project: Project) -> list[str]:
    """schema.name of every type of sql/types (from the file names; for the drift scope)."""
    return sorted(p.name.removesuffix(".sql") for p in project.type_files())


# -- the catalog ---------------------------------------------------------------

# A composite type's attributes as the catalog prints them (search_path pg_catalog, pg_temp:
# every other schema's type is qualified): the definition drift and the bookkeeping compare.
_DEFINITION_SQL = """
select pg_catalog.string_agg(pg_catalog.quote_ident(a.attname) operator(pg_catalog.||) ' '
         operator(pg_catalog.||) pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum)
from pg_catalog.pg_type as t join pg_catalog.pg_attribute as a on a.attrelid = t.typrelid
where t.oid = pg_catalog.to_regtype(%s) and a.attnum > 0 and not a.attisdropped
"""

# What uses a type or its array type: functions (by signature), the attributes of other
# composite types, and anything else (columns, views, domains, defaults), described.
_DEPENDENTS_SQL = """
select case when d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass then 'function'
            when c.relkind = 'c' then 'type' else 'other' end,
       case when d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass then d.objid::pg_catalog.regprocedure::text
            when c.relkind = 'c' then c.reltype::pg_catalog.regtype::text
            else pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) end
from pg_catalog.pg_type as t
join pg_catalog.pg_depend as d
  on d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass and d.refobjid in (t.oid, t.typarray)
 and d.deptype = 'n'
left join pg_catalog.pg_class as c on d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and c.oid = d.objid
where t.oid = pg_catalog.to_regtype(%s)
order by 1, 2
"""


def definition(conn: psycopg.Connection, qualified_name: str) -> str | None:
    """The type's attributes as the catalog has them, or None when there is no such composite type."""
    row = conn.execute(_DEFINITION_SQL, (qualified_name,)).fetchone()
    return str(row[0]) if row and row[0] is not None else None


def dependents(conn: psycopg.Connection, qualified_name: str) -> list[tuple[str, str]]:
    """(kind, identity) of what uses the type: function, type (another composite) or other."""
    return [(str(r[0]), str(r[1])) for r in conn.execute(_DEPENDENTS_SQL, (qualified_name,)).fetchall()]


def _comment(conn: psycopg.Connection, qualified_name: str) -> str | None:
    row = conn.execute("select pg_catalog.obj_description(pg_catalog.to_regtype(%s), 'pg_type')",
                       (qualified_name,)).fetchone()
    return str(row[0]) if row and row[0] is not None else None


def ensure_bookkeeping(conn: psycopg.Connection) -> None:
    conn.execute(sql.SQL(
        """
        create table if not exists {schema}.type_files (
          path text primary key,
          type_name text not null,
          sha256 text not null,
          definition text not null,
          adopted text,
          applied_at timestamptz not null default now()
        )
        """).format(schema=sql.Identifier(BOOKKEEPING_SCHEMA)))


@dataclass
class TypeRecord:
    path: str
    type_name: str
    sha256: str
    definition: str
    adopted: str | None  # the create statement (and comment) the migrations had left, when first taken over


def records(conn: psycopg.Connection) -> dict[str, TypeRecord]:
    exists = conn.execute("select to_regclass(%s) is not null", (TABLE,)).fetchone()
    if not (exists and exists[0]):
        return {}
    rows = conn.execute(sql.SQL("select path, type_name, sha256, definition, adopted from {}.type_files").format(
        sql.Identifier(BOOKKEEPING_SCHEMA))).fetchall()
    return {str(r[0]): TypeRecord(str(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4]) for r in rows}


@dataclass
class TypePlan:
    files: list[TypeFile]
    states: dict[str, str]  # file -> applied | changed | new | missing | drifted
    recreate: list[TypeFile]  # in dependency order: the files that are not applied and every type using theirs
    removed: list[str]  # recorded files that are gone (their types are left as they are)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.recreate or self.removed)


def plan(conn: psycopg.Connection, files: list[TypeFile]) -> TypePlan:
    """Which type files must be created again (search_path pg_catalog, pg_temp)."""
    recorded = records(conn)
    states: dict[str, str] = {}
    for f in files:
        record = recorded.get(f.name)
        live = definition(conn, f.qualified_name)
        if record is None:
            states[f.name] = "new"
        elif record.sha256 != f.sha256:
            states[f.name] = "changed"
        elif live is None:
            states[f.name] = "missing"
        elif live != record.definition:
            states[f.name] = "drifted"
        else:
            states[f.name] = "applied"
    going = {f.qualified_name for f in files if states[f.name] != "applied"}
    grew = True
    while grew:  # a type whose attribute is of a type created again is created again too
        grew = False
        for f in files:
            if f.qualified_name not in going and any(names_type(f.text, name) for name in going):
                going.add(f.qualified_name)
                states[f.name] = "uses a type created again"
                grew = True
    recreate = [f for f in files if f.qualified_name in going]
    removed = sorted(name for name in recorded if name not in {f.name for f in files})
    return TypePlan(files, states, recreate, removed)


@dataclass
class TypePhase:
    applied: list[str] = field(default_factory=list)  # type files created again
    rerun: set[str] = field(default_factory=set)  # function files to run again in the same transaction


@dataclass(frozen=True)
class _Definition:
    """What creates one type: a type file, or the definition recorded when it was adopted."""

    qualified_name: str
    label: str
    statements: tuple[str, ...]
    lines: tuple[int, ...]


def _of_file(f: TypeFile) -> _Definition:
    return _Definition(f.qualified_name, f.label, tuple(s.text for s in f.statements),
                       tuple(s.line for s in f.statements))


def _recreate(
    conn: psycopg.Connection, definitions: list[_Definition], function_files: list[FunctionFile], progress: Progress,
) -> set[str]:
    """Drop the types (dependents first) and create them again from ``definitions`` (in
    dependency order), inside the caller's transaction. Every function that takes or
    returns one is dropped first; returns the function files to run again: those that
    define a dropped function and those that name one of the types."""
    ours = {d.qualified_name for d in definitions}
    # the package's functions no file defines any more (recorded when deployed): the
    # function phase drops them anyway, so they may go now
    leaving = {s for r in file_records(conn).values() for s in r.functions}
    file_of: dict[str, str] = {}
    for f in function_files:
        for header in f.defines:
            signature = resolve(conn, header)
            if signature:
                file_of[signature] = f.name
    dropping: list[str] = []
    for d in definitions:
        for kind, identity in dependents(conn, d.qualified_name):
            if kind == "function":
                if identity not in file_of and identity not in leaving:
                    raise DeployError(
                        f"{d.label}: {d.qualified_name} must be created again, and function {identity} takes or "
                        "returns it but no file of sql/functions defines it; drop that function or give it a file; "
                        "nothing was changed")
                if identity not in dropping:
                    dropping.append(identity)
            elif kind == "type" and identity in ours:
                continue
            else:
                raise DeployError(
                    f"{d.label}: {d.qualified_name} must be created again, but {identity} uses it: a type that a "
                    "table (or anything but the package's functions) uses belongs in a migration, not in sql/types; "
                    "nothing was changed")
    rerun = {file_of[s] for s in dropping if s in file_of}
    rerun |= {f.name for f in function_files if any(names_type(f.text, name) for name in ours)}
    for signature in dropping:
        try:
            with conn.transaction():
                conn.execute(sql.SQL("drop function {}").format(sql.SQL(signature)))
        except psycopg.errors.DependentObjectsStillExist as exc:
            raise DeployError(
                f"{signature} takes or returns a type of sql/types that must be created again, but other objects "
                f"depend on it: {exc.diag.message_detail or exc.diag.message_primary}; nothing was changed") from None
    for d in reversed(definitions):
        if definition(conn, d.qualified_name) is not None:
            progress(f"dropping type {d.qualified_name} to create it again")
            try:
                with conn.transaction():
                    conn.execute(sql.SQL("drop type {}").format(sql.SQL(d.qualified_name)))
            except psycopg.errors.DependentObjectsStillExist as exc:
                raise DeployError(
                    f"{d.label}: {d.qualified_name} cannot be created again: "
                    f"{exc.diag.message_detail or exc.diag.message_primary}; nothing was changed") from None
    for d in definitions:
        progress(f"applying type file {d.label}")
        for text, line in zip(d.statements, d.lines, strict=True):
            try:
                with conn.transaction():
                    conn.execute(text)
            except psycopg.Error as exc:
                if isinstance(exc, psycopg.errors.LockNotAvailable):
                    raise
                raise TypeFileError(f"{d.label} line {line}: {exc.diag.message_primary or exc}") from None
    return rerun


def _adoption(conn: psycopg.Connection, qualified_name: str) -> str | None:
    """The statements that create the type as it is now (before this code takes it over)."""
    attributes = definition(conn, qualified_name)
    if attributes is None:
        return None
    text = f"create type {qualified_name} as ({attributes});"
    comment = _comment(conn, qualified_name)
    if comment is not None:
        quoted = "'" + comment.replace("'", "''") + "'"
        text += f"\ncomment on type {qualified_name} is {quoted};"
    return text


def deploy(
    conn: psycopg.Connection, type_plan: TypePlan, function_files: list[FunctionFile], progress: Progress = _quiet,
) -> TypePhase:
    """Create again what the plan says and record every type file; ``conn`` is inside the
    upgrade's transaction with search_path pg_catalog, pg_temp. Returns the function
    files that must run again (``functions.plan(..., rerun=...)``)."""
    ensure_bookkeeping(conn)
    phase = TypePhase()
    recorded = records(conn)
    adopted = {f.name: recorded[f.name].adopted if f.name in recorded else _adoption(conn, f.qualified_name)
               for f in type_plan.files}
    if type_plan.recreate:
        phase.rerun = _recreate(conn, [_of_file(f) for f in type_plan.recreate], function_files, progress)
        phase.applied = [f.name for f in type_plan.recreate]
    for name in type_plan.removed:
        progress(f"sql/types/{name} is gone: its type is left as it is (drop it in a migration if nothing uses it)")
    table = sql.Identifier(BOOKKEEPING_SCHEMA)
    conn.execute(sql.SQL("delete from {}.type_files").format(table))
    for f in type_plan.files:
        conn.execute(
            sql.SQL("insert into {}.type_files (path, type_name, sha256, definition, adopted) "
                    "values (%s, %s, %s, %s, %s)").format(table),
            (f.name, f.qualified_name, f.sha256, definition(conn, f.qualified_name), adopted[f.name]))
    return phase


def restore_adopted(
    conn: psycopg.Connection, function_files: Iterable[FunctionFile], progress: Progress = _quiet,
) -> TypePhase:
    """For a rollback to a release from before sql/types: every recorded type goes back to the
    definition its migrations had left (when it differs now), and the records are forgotten.
    Functions that take or return it are dropped; the rollback then deploys the release's
    function files, which create them again. ``conn`` is inside the rollback's transaction."""
    phase = TypePhase()
    recorded = {r.type_name: r for r in records(conn).values()}
    if not recorded:
        return phase
    going = {name for name, r in recorded.items()
             if r.adopted is not None and definition(conn, name) is not None and _adoption(conn, name) != r.adopted}
    grew = True
    while grew:  # with the recorded types that use one of them (their attributes would go with the drop)
        grew = False
        for name, r in recorded.items():
            if name not in going and r.adopted and any(names_type(r.adopted, n) for n in going if n != name):
                going.add(name)
                grew = True
    definitions = [_Definition(name, f"the type {name} as its migrations left it",
                               tuple(s.strip() for s in pglast.split(recorded[name].adopted or "")),
                               tuple(1 for _ in pglast.split(recorded[name].adopted or "")))
                   for name in sorted(going)]
    ordered: list[_Definition] = []
    while definitions:
        ready = [d for d in definitions if not any(
            o is not d and names_type(" ".join(d.statements), o.qualified_name) for o in definitions)]
        ordered.append((ready or definitions)[0])
        definitions.remove(ordered[-1])
    if ordered:
        phase.rerun = _recreate(conn, ordered, list(function_files), progress)
        phase.applied = [d.qualified_name for d in ordered]
    conn.execute(sql.SQL("delete from {}.type_files").format(sql.Identifier(BOOKKEEPING_SCHEMA)))
    return phase
