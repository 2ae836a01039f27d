"""Drift: what the catalog says now against what it said when the package was
deployed.

At the end of every deployment (``migrate``, and every file that
``export-supabase`` writes for ``supabase db push``) the catalog's own
description of each package object is recorded in
``interview_deploy.catalog_fingerprints``:

* a function (every function whose schema.name a file of sql/functions
  defines, so an extra overload counts): a hash of ``pg_get_functiondef`` (body,
  SECURITY DEFINER, settings), its owner, the SECURITY DEFINER flag and its grants;
* a table the migrations create: owner, row level security (enabled, forced),
  table and column grants, and each RLS policy in full;
* a type of sql/types: its attributes (name and type, in order) and owner, so a
  type altered by hand is drift (``migrate`` creates it again from its file).

``doctor`` and ``status`` compare the live catalog with the record and name
each difference; ``migrate`` repairs it (functions by running their files
again, tables from the recorded description).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pglast
import psycopg
from pglast import ast
from psycopg import sql
from psycopg.types.json import Jsonb

from .functions import BOOKKEEPING_SCHEMA, FunctionFile, package_function_names
from .owned_types import type_names
from .project import Project

FINGERPRINT_TABLE = f"{BOOKKEEPING_SCHEMA}.catalog_fingerprints"
_NAME = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


def _grants(acl: str, kind: str, owner: str) -> str:
    return f"""coalesce((select pg_catalog.jsonb_agg(g order by g) from (
        select distinct (case when a.grantee = 0 then 'public' else pg_catalog.pg_get_userbyid(a.grantee) end)
               operator(pg_catalog.||) ':' operator(pg_catalog.||) a.privilege_type as g
        from pg_catalog.aclexplode(coalesce({acl}, pg_catalog.acldefault('{kind}', {owner}))) as a
        where a.grantee operator(pg_catalog.<>) {owner}) as s), '[]'::jsonb)"""


# Every name schema-qualified (pg_catalog too): the text is also written into the
# exported migrations, which run with search_path = pg_catalog, pg_temp.
FINGERPRINT_QUERY = f"""
select 'function'::text as kind, p.oid::regprocedure::text as identity,
       pg_catalog.jsonb_build_object(
         'definition', pg_catalog.md5(pg_catalog.pg_get_functiondef(p.oid)),
         'owner', pg_catalog.pg_get_userbyid(p.proowner),
         'security_definer', p.prosecdef,
         'grants', {_grants('p.proacl', 'f', 'p.proowner')}) as fingerprint
from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
where (n.nspname operator(pg_catalog.||) '.' operator(pg_catalog.||) p.proname) = any({{functions}})
union all
select 'table', c.oid::regclass::text,
       pg_catalog.jsonb_build_object(
         'owner', pg_catalog.pg_get_userbyid(c.relowner),
         'row_security', c.relrowsecurity,
         'force_row_security', c.relforcerowsecurity,
         'grants', {_grants('c.relacl', 'r', 'c.relowner')},
         'column_grants', coalesce((
           select pg_catalog.jsonb_agg(g order by g) from (
             select distinct pg_catalog.quote_ident(at.attname) operator(pg_catalog.||) ' '
                    operator(pg_catalog.||) (case when a.grantee = 0 then 'public' else pg_catalog.pg_get_userbyid(a.grantee) end)
                    operator(pg_catalog.||) ':' operator(pg_catalog.||) a.privilege_type as g
             from pg_catalog.pg_attribute as at cross join lateral pg_catalog.aclexplode(at.attacl) as a
             where at.attrelid = c.oid and at.attacl is not null and not at.attisdropped) as s), '[]'::jsonb),
         'policies', coalesce((
           select pg_catalog.jsonb_object_agg(pol.polname, pg_catalog.jsonb_build_object(
             'command', pol.polcmd::text,
             'permissive', pol.polpermissive,
             'roles', (select pg_catalog.jsonb_agg(case when r = 0 then 'public' else pg_catalog.pg_get_userbyid(r) end order by 1)
                       from pg_catalog.unnest(pol.polroles) as r),
             'using', pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
             'with_check', pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid)))
           from pg_catalog.pg_policy as pol where pol.polrelid = c.oid), '{{}}'::jsonb)) as fingerprint
from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and (n.nspname operator(pg_catalog.||) '.' operator(pg_catalog.||) c.relname) = any({{tables}})
union all
select 'type', t.oid::pg_catalog.regtype::text,
       pg_catalog.jsonb_build_object(
         'owner', pg_catalog.pg_get_userbyid(t.typowner),
         'attributes', coalesce((
           select pg_catalog.jsonb_agg(pg_catalog.quote_ident(a.attname) operator(pg_catalog.||) ' '
                  operator(pg_catalog.||) pg_catalog.format_type(a.atttypid, a.atttypmod) order by a.attnum)
           from pg_catalog.pg_attribute as a
           where a.attrelid = t.typrelid and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped), '[]'::jsonb))
from pg_catalog.pg_type as t join pg_catalog.pg_namespace as n on n.oid = t.typnamespace
where t.typtype = 'c'
  and (n.nspname operator(pg_catalog.||) '.' operator(pg_catalog.||) t.typname) = any({{types}})
"""


@dataclass(frozen=True)
class Scope:
    """The package's objects, by name: functions, tables and the types of sql/types (schema.name)."""

    functions: tuple[str, ...]
    tables: tuple[str, ...]
    types: tuple[str, ...] = ()


def migration_statements(paths: Iterable[Path]) -> Iterator[Any]:
    """Every statement (pglast's AST) of the migration files, in order; a file that does not parse is skipped."""
    for path in paths:
        try:
            parsed = pglast.parse_sql(path.read_text(encoding="utf-8"))
        except pglast.parser.ParseError:
            continue  # lint and the migration itself report it
        for raw in parsed:
            yield raw.stmt


def migration_tables(paths: Iterable[Path]) -> list[str]:
    """schema.name of every table the migration files create."""
    return sorted({f"{stmt.relation.schemaname}.{stmt.relation.relname}" for stmt in migration_statements(paths)
                   if isinstance(stmt, ast.CreateStmt) and stmt.relation.schemaname})


def scope_of(project: Project, files: list[FunctionFile]) -> Scope:
    return Scope(tuple(package_function_names(files)), tuple(migration_tables(project.migration_files())),
                 tuple(type_names(project)))


def _array(names: Iterable[str]) -> str:
    checked = [n for n in names if _NAME.match(n)]
    return "array[" + ", ".join(f"'{n}'" for n in checked) + "]::text[]"


def ensure_table_sql() -> str:
    return (
        f"create schema if not exists {BOOKKEEPING_SCHEMA};\n"
        f"revoke all on schema {BOOKKEEPING_SCHEMA} from public;\n"
        f"create table if not exists {FINGERPRINT_TABLE} (\n"
        "  kind text not null,\n"
        "  identity text not null,\n"
        "  fingerprint jsonb not null,\n"
        "  recorded_at timestamptz not null default pg_catalog.now(),\n"
        "  primary key (kind, identity)\n"
        ");\n"
    )


# The role that deployed: every package function must be owned by it (a function
# someone else created first keeps its owner through CREATE OR REPLACE).
DEPLOYER = ("deployment", "deployer")
DEPLOYER_SQL = (
    f"insert into {FINGERPRINT_TABLE} (kind, identity, fingerprint) "
    "select 'deployment', 'deployer', pg_catalog.jsonb_build_object('role', current_user)"
)


def record_sql(scope: Scope) -> str:
    """The statements that record the fingerprint, with the scope written in
    (for the exported migrations; their search_path is pg_catalog, pg_temp)."""
    query = (FINGERPRINT_QUERY.replace("{functions}", _array(scope.functions)).replace("{tables}", _array(scope.tables))
             .replace("{types}", _array(scope.types)))
    return (
        ensure_table_sql()
        + f"delete from {FINGERPRINT_TABLE};\n"
        + f"{DEPLOYER_SQL};\n"
        + f"insert into {FINGERPRINT_TABLE} (kind, identity, fingerprint)\n{query.strip()};\n"
    )


Fingerprints = dict[tuple[str, str], dict[str, Any]]


def live(conn: psycopg.Connection, scope: Scope) -> Fingerprints:
    """The catalog's description now (run with search_path pg_catalog, pg_temp, inside a transaction)."""
    query = (FINGERPRINT_QUERY.replace("{functions}", "%(functions)s").replace("{tables}", "%(tables)s")
             .replace("{types}", "%(types)s"))
    rows = conn.execute(query, {"functions": list(scope.functions), "tables": list(scope.tables),
                                "types": list(scope.types)}).fetchall()
    return {(str(r[0]), str(r[1])): dict(r[2]) for r in rows}


def recorded(conn: psycopg.Connection) -> Fingerprints | None:
    """What was recorded at the last deployment, or None when nothing was."""
    exists = conn.execute("select to_regclass(%s) is not null", (FINGERPRINT_TABLE,)).fetchone()
    if not (exists and exists[0]):
        return None
    rows = conn.execute(
        sql.SQL("select kind, identity, fingerprint from {}.catalog_fingerprints").format(
            sql.Identifier(BOOKKEEPING_SCHEMA))
    ).fetchall()
    return {(str(r[0]), str(r[1])): dict(r[2]) for r in rows} if rows else None


def record(conn: psycopg.Connection, scope: Scope) -> None:
    """Record the catalog's description now (inside the deployment's transaction)."""
    conn.execute(ensure_table_sql())
    conn.execute(sql.SQL("delete from {}.catalog_fingerprints").format(sql.Identifier(BOOKKEEPING_SCHEMA)))
    conn.execute(DEPLOYER_SQL)
    for (kind, identity), fingerprint in live(conn, scope).items():
        conn.execute(
            sql.SQL("insert into {}.catalog_fingerprints (kind, identity, fingerprint) values (%s, %s, %s)").format(
                sql.Identifier(BOOKKEEPING_SCHEMA)),
            (kind, identity, Jsonb(fingerprint)),
        )


@dataclass
class Drift:
    """One object whose catalog entry differs from what was deployed."""

    kind: str  # function | table | type
    identity: str
    problems: list[str] = field(default_factory=list)
    missing: bool = False
    extra: bool = False

    def describe(self) -> str:
        return f"{self.identity}: {'; '.join(self.problems)}"


def _grant_changes(what: str, before: list[str], after: list[str]) -> list[str]:
    problems = []
    for grant in sorted(set(after) - set(before)):
        role, privilege = grant.rsplit(":", 1)
        problems.append(f"{what}{privilege} granted to {role} (not at deploy)")
    for grant in sorted(set(before) - set(after)):
        role, privilege = grant.rsplit(":", 1)
        problems.append(f"{what}{privilege} revoked from {role}")
    return problems


def compare(expected: Fingerprints, actual: Fingerprints) -> list[Drift]:
    """Each object whose live description differs from the recorded one, with every difference named."""
    drifts: list[Drift] = []
    deployer = expected.get(DEPLOYER, {}).get("role")
    # a fingerprint recorded by an interview-db from before sql/types has no type: not drift
    types_recorded = any(kind == "type" for kind, _ in expected)
    for key in sorted((set(expected) | set(actual)) - {DEPLOYER}):
        kind, identity = key
        before, after = expected.get(key), actual.get(key)
        if kind == "type" and not types_recorded:
            continue
        if after is None:
            drifts.append(Drift(kind, identity, ["missing (dropped since it was deployed)"], missing=True))
            continue
        if before is None:
            what = "an overload no file defines" if kind == "function" else "not there at deploy"
            drifts.append(Drift(kind, identity, [f"{what} (created outside the deployment)"], extra=True))
            continue
        problems: list[str] = []
        if kind == "type" and before.get("attributes") != after.get("attributes"):
            added = [a for a in after.get("attributes", []) if a not in before.get("attributes", [])]
            gone = [a for a in before.get("attributes", []) if a not in after.get("attributes", [])]
            problems.append("attributes altered since it was deployed"
                            + (f" (added: {', '.join(added)})" if added else "")
                            + (f" (gone: {', '.join(gone)})" if gone else ""))
        if kind == "function" and before.get("definition") != after.get("definition"):
            problems.append("definition (body or settings) replaced since it was deployed")
        if before.get("owner") != after.get("owner"):
            problems.append(f"owner is {after.get('owner')}, deployed as {before.get('owner')}")
        elif kind == "function" and deployer and after.get("owner") != deployer:
            problems.append(f"owner is {after.get('owner')}, not the deployer {deployer}")
        if before.get("security_definer") != after.get("security_definer"):
            flag = "on" if after.get("security_definer") else "off"
            problems.append(f"SECURITY DEFINER is {flag}, deployed {'off' if flag == 'on' else 'on'}")
        problems += _grant_changes("", before.get("grants", []), after.get("grants", []))
        if kind == "table":
            for flag, label in (("row_security", "row level security"), ("force_row_security", "forced row level security")):
                if before.get(flag) != after.get(flag):
                    problems.append(f"{label} {'enabled' if after.get(flag) else 'disabled'} since deploy")
            before_columns, after_columns = before.get("column_grants", []), after.get("column_grants", [])
            for grant in sorted(set(after_columns) - set(before_columns)):
                problems.append(f"column grant {grant} added since deploy")
            for grant in sorted(set(before_columns) - set(after_columns)):
                problems.append(f"column grant {grant} revoked since deploy")
            policies_before, policies_after = before.get("policies", {}), after.get("policies", {})
            for name in sorted(set(policies_before) | set(policies_after)):
                if name not in policies_after:
                    problems.append(f"policy {name} dropped")
                elif name not in policies_before:
                    problems.append(f"policy {name} added")
                elif policies_before[name] != policies_after[name]:
                    problems.append(f"policy {name} changed")
        if problems:
            drifts.append(Drift(kind, identity, problems))
    return drifts


_COMMANDS = {"r": "select", "a": "insert", "w": "update", "d": "delete", "*": "all"}


def _role(name: str) -> sql.Composable:
    return sql.SQL("public") if name == "public" else sql.Identifier(name)


def repair_table(conn: psycopg.Connection, identity: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Put a table's owner, RLS flags, grants and policies back as recorded (inside a transaction)."""
    table = sql.SQL(identity)  # regclass text, quoted by the catalog
    if before.get("owner") != after.get("owner"):
        conn.execute(sql.SQL("alter table {} owner to {}").format(table, sql.Identifier(before["owner"])))
    for flag, on, off in (("row_security", "enable row level security", "disable row level security"),
                          ("force_row_security", "force row level security", "no force row level security")):
        if before.get(flag) != after.get(flag):
            conn.execute(sql.SQL("alter table {} " + (on if before.get(flag) else off)).format(table))
    if before.get("grants") != after.get("grants") or before.get("column_grants") != after.get("column_grants"):
        roles = {g.rsplit(":", 1)[0] for g in after.get("grants", [])}
        roles |= {g.split(" ", 1)[1].rsplit(":", 1)[0] for g in after.get("column_grants", [])}
        for role in sorted(roles):
            conn.execute(sql.SQL("revoke all on table {} from {}").format(table, _role(role)))
        for grant in before.get("grants", []):
            role, privilege = grant.rsplit(":", 1)
            conn.execute(sql.SQL("grant {} on table {} to {}").format(sql.SQL(privilege), table, _role(role)))
        for grant in before.get("column_grants", []):
            column, rest = grant.split(" ", 1)
            role, privilege = rest.rsplit(":", 1)
            conn.execute(sql.SQL("grant {} ({}) on table {} to {}").format(
                sql.SQL(privilege), sql.SQL(column), table, _role(role)))
    policies_before, policies_after = before.get("policies", {}), after.get("policies", {})
    for name in sorted(set(policies_before) | set(policies_after)):
        if policies_before.get(name) == policies_after.get(name):
            continue
        if name in policies_after:
            conn.execute(sql.SQL("drop policy {} on {}").format(sql.Identifier(name), table))
        if name in policies_before:
            policy = policies_before[name]
            statement = sql.SQL("create policy {} on {} as {} for {} to {}").format(
                sql.Identifier(name), table,
                sql.SQL("permissive" if policy["permissive"] else "restrictive"),
                sql.SQL(_COMMANDS[policy["command"]]),
                sql.SQL(", ").join(_role(r) for r in policy["roles"] or ["public"]),
            )
            if policy.get("using") is not None:
                statement += sql.SQL(" using ({})").format(sql.SQL(policy["using"]))
            if policy.get("with_check") is not None:
                statement += sql.SQL(" with check ({})").format(sql.SQL(policy["with_check"]))
            conn.execute(statement)
