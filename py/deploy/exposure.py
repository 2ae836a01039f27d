"""What the API roles can reach that the package did not give them.

The fingerprint (drift.py) compares the package's own functions and tables
with what was deployed. This module looks at what it cannot see:

* the privileges on the package's schemas (``interview_private``,
  ``interview_access``, ``interview_deploy``) against the grants and revokes
  its migrations make: ``grant usage on schema interview_private to
  authenticated`` is found, and ``migrate`` revokes it (and grants back what
  a migration grants and someone revoked);
* functions the package does not define that run with their owner's rights
  (SECURITY DEFINER) and that an API role may execute, in an exposed schema or
  in one of the package's schemas: a hand-made ``public.leak()`` returning the
  embed keys, executable by ``anon``;
* anything else in the package's schemas that the package does not define
  (a table, view, sequence or function) on which an API role has a privilege.

Only the schema privileges are the package's own to put back; the rest is
someone else's object, which ``migrate`` names and leaves alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from pglast import ast
from pglast.enums.parsenodes import ObjectType, RoleSpecType
from psycopg import sql

from .drift import migration_statements
from .functions import BOOKKEEPING_SCHEMA

API_ROLES = ("anon", "authenticated", "service_role", "authenticator", "public")
SCHEMA_PRIVILEGES = ("USAGE", "CREATE")


@dataclass
class Exposure:
    """What doctor reports and what migrate repairs (or leaves alone)."""

    schema_grants_extra: list[tuple[str, str, str]] = field(default_factory=list)  # (schema, role, privilege)
    schema_grants_missing: list[tuple[str, str, str]] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)  # objects not the package's, described

    @property
    def repairable(self) -> list[str]:
        return ([f"schema {s}: {p} granted to {r} (no migration grants it)" for s, r, p in self.schema_grants_extra]
                + [f"schema {s}: {p} revoked from {r} (a migration grants it)" for s, r, p in self.schema_grants_missing])

    @property
    def problems(self) -> list[str]:
        return self.repairable + self.foreign


def _role(spec: ast.RoleSpec) -> str:
    return "public" if spec.roletype == RoleSpecType.ROLESPEC_PUBLIC else str(spec.rolename)


def _names(node: object) -> str:
    return str(getattr(node, "sval", node))


def package_schemas(paths: Iterable[Path]) -> list[str]:
    """The schemas the migrations create, and the bookkeeping schema."""
    found = {BOOKKEEPING_SCHEMA}
    for stmt in migration_statements(paths):
        if isinstance(stmt, ast.CreateSchemaStmt) and stmt.schemaname:
            found.add(str(stmt.schemaname))
    return sorted(found)


def defined_schema_grants(paths: Iterable[Path], schemas: Iterable[str]) -> set[tuple[str, str, str]]:
    """(schema, role, privilege) that the migrations, applied in order, leave granted on ``schemas``."""
    wanted = set(schemas)
    granted: set[tuple[str, str, str]] = set()
    for stmt in migration_statements(paths):
        if not (isinstance(stmt, ast.GrantStmt) and stmt.objtype == ObjectType.OBJECT_SCHEMA):
            continue
        privileges = ([str(p.priv_name).upper() for p in stmt.privileges] if stmt.privileges
                      else list(SCHEMA_PRIVILEGES))
        for schema in map(_names, stmt.objects or ()):
            if schema not in wanted:
                continue
            for role in map(_role, stmt.grantees or ()):
                for privilege in privileges:
                    (granted.add if stmt.is_grant else granted.discard)((schema, role, privilege))
    return granted


_SCHEMA_GRANTS_SQL = """
select n.nspname,
       case when a.grantee = 0 then 'public' else pg_catalog.pg_get_userbyid(a.grantee) end,
       a.privilege_type
from pg_catalog.pg_namespace as n
cross join lateral pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) as a
where n.nspname = any(%s) and a.grantee <> n.nspowner
"""

# SECURITY DEFINER functions the package does not define, executable by an API
# role, in an exposed schema or one of the package's schemas (extensions' own excluded).
_FOREIGN_DEFINERS_SQL = """
select pg_catalog.format('%%I.%%I(%%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
       pg_catalog.pg_get_userbyid(p.proowner),
       array(select r from pg_catalog.unnest(%(roles)s::text[]) as r
             where r <> 'public' and exists (select from pg_catalog.pg_roles where rolname = r)
               and pg_catalog.has_function_privilege(r, p.oid, 'execute'))
from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
where p.prosecdef
  and n.nspname = any(%(schemas)s)
  and (n.nspname operator(pg_catalog.||) '.' operator(pg_catalog.||) p.proname) <> all(%(package)s)
  and not exists (select from pg_catalog.pg_depend as d
                  where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
order by 1
"""

# Relations and functions in the package's schemas that it does not define, on
# which an API role (or PUBLIC) holds a privilege.
_FOREIGN_GRANTS_SQL = """
select o.kind, o.identity, g.name, o.privilege from (
  select case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view'
              else 'table' end as kind,
         pg_catalog.format('%%I.%%I', n.nspname, c.relname) as identity, n.nspname, c.relname as name, a.grantee, a.privilege_type as privilege,
         (select tn.nspname operator(pg_catalog.||) '.' operator(pg_catalog.||) t.relname
          from pg_catalog.pg_depend as d
          join pg_catalog.pg_class as t on t.oid = d.refobjid
          join pg_catalog.pg_namespace as tn on tn.oid = t.relnamespace
          where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid
            and d.refclassid = 'pg_catalog.pg_class'::regclass and d.deptype in ('a', 'i')
          limit 1) as owned_by
  from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
  cross join lateral pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault(
    case when c.relkind = 'S' then 's' else 'r' end::"char", c.relowner))) as a
  where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and n.nspname = any(%(schemas)s)
  union all
  select 'function', pg_catalog.format('%%I.%%I(%%s)', n.nspname, p.proname,
                                      pg_catalog.pg_get_function_identity_arguments(p.oid)), n.nspname, p.proname, a.grantee, a.privilege_type, null
  from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
  cross join lateral pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) as a
  where n.nspname = any(%(schemas)s) and not p.prosecdef
) as o
cross join lateral (select case when o.grantee = 0 then 'public' else pg_catalog.pg_get_userbyid(o.grantee) end) as g(name)
where g.name = any(%(roles)s)
  and (o.nspname operator(pg_catalog.||) '.' operator(pg_catalog.||) o.name) <> all(%(package)s)
  and coalesce(o.owned_by, '') <> all(%(package)s)
order by 2, 3, 4
"""


def find(conn: psycopg.Connection, migrations: list[Path], exposed: list[str], package: list[str]) -> Exposure:
    """Everything above, read from the catalog (``package``: schema.name of every package function and table)."""
    schemas = package_schemas(migrations)
    defined = defined_schema_grants(migrations, schemas)
    live = {(str(s), str(r), str(p)) for s, r, p in conn.execute(_SCHEMA_GRANTS_SQL, (schemas,)).fetchall()}
    existing = {str(r[0]) for r in conn.execute("select nspname from pg_catalog.pg_namespace where nspname = any(%s)",
                                                 (schemas,)).fetchall()}
    found = Exposure(
        schema_grants_extra=sorted(live - defined),
        schema_grants_missing=sorted(g for g in defined - live if g[0] in existing and _role_exists(conn, g[1])),
    )
    params = {"schemas": sorted(set(schemas) | set(exposed)), "roles": list(API_ROLES), "package": package}
    for signature, owner, roles in conn.execute(_FOREIGN_DEFINERS_SQL, params).fetchall():
        if roles:
            found.foreign.append(f"{signature} is SECURITY DEFINER (runs as {owner}), executable by "
                                 f"{', '.join(roles)}, and not the package's")
    params["schemas"] = schemas
    grants: dict[tuple[str, str], list[str]] = {}
    for kind, identity, grantee, privilege in conn.execute(_FOREIGN_GRANTS_SQL, params).fetchall():
        grants.setdefault((str(kind), str(identity)), []).append(f"{privilege} to {grantee}")
    for (kind, identity), granted in grants.items():
        found.foreign.append(f"{kind} {identity} in a schema of the package is not the package's, and grants "
                             + ", ".join(granted))
    return found


def _role_exists(conn: psycopg.Connection, role: str) -> bool:
    if role == "public":
        return True
    row = conn.execute("select exists (select from pg_catalog.pg_roles where rolname = %s)", (role,)).fetchone()
    return bool(row and row[0])


def _grantee(role: str) -> sql.Composable:
    return sql.SQL("public") if role == "public" else sql.Identifier(role)


def repair(conn: psycopg.Connection, found: Exposure) -> list[str]:
    """Put the package's schema privileges back as its migrations leave them (inside a transaction)."""
    for schema, role, privilege in found.schema_grants_extra:
        conn.execute(sql.SQL("revoke {} on schema {} from {}").format(
            sql.SQL(privilege), sql.Identifier(schema), _grantee(role)))
    for schema, role, privilege in found.schema_grants_missing:
        conn.execute(sql.SQL("grant {} on schema {} to {}").format(
            sql.SQL(privilege), sql.Identifier(schema), _grantee(role)))
    return found.repairable
