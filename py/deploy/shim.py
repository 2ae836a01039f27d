"""What kind of database this is (Supabase, a plain PostgreSQL with or without
the local shim), the Supabase shim itself, and the extensions the package needs
in schema ``extensions``.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from .db import DeployError
from .project import Project

SHIM_MARKER = "Supabase Auth stand-in (local shim)"
# The path the shim's and the migrations' statements run with: every name in them
# is resolved in pg_catalog first and pg_temp last, never in a schema another
# role could create objects in (tests/test_pgspot.py checks the files under it).
MIGRATION_SEARCH_PATH = "pg_catalog, pg_temp"
SUPABASE_ROLES = ("anon", "authenticated", "service_role")
# Extensions the package's functions call as extensions.<function>: they must
# live in schema extensions (as on Supabase).
EXTENSIONS = ("pgcrypto", "fuzzystrmatch")


@dataclass(frozen=True)
class Platform:
    """Supabase, the local shim, or a plain PostgreSQL (with an ``auth`` of its own or none)."""

    auth: bool  # an auth schema exists
    shim: bool  # made by interview-db's local shim
    roles: bool  # Supabase's: anon, authenticated and service_role, auth.users and auth.uid()

    @property
    def supabase(self) -> bool:
        return self.auth and not self.shim and self.roles

    @property
    def foreign_auth(self) -> bool:
        """A plain PostgreSQL with an ``auth`` schema that is neither Supabase's nor the shim
        (no auth.users, no auth.uid(), or no API roles)."""
        return self.auth and not self.shim and not self.roles

    def describe(self) -> str:
        if self.shim:
            return "plain PostgreSQL with the local Supabase shim"
        if self.supabase:
            return "Supabase (its own auth schema and roles)"
        if self.foreign_auth:
            return "plain PostgreSQL with an auth schema of its own (not Supabase's: no auth.users, auth.uid() or API roles)"
        return "plain PostgreSQL without the Supabase shim"


def has_auth_schema(conn: psycopg.Connection) -> bool:
    return bool(conn.execute("select to_regnamespace('auth') is not null").fetchone()[0])  # type: ignore[index]


def is_local_shim(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select coalesce(obj_description(to_regnamespace('auth'), 'pg_namespace'), '')"
    ).fetchone()
    return bool(row and str(row[0]).startswith(SHIM_MARKER))


def detect(conn: psycopg.Connection) -> Platform:
    roles = conn.execute(
        "select (select count(*) = %s from pg_roles where rolname = any(%s)) "
        "and exists (select from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
        "            where n.nspname = 'auth' and c.relname = 'users') "
        "and exists (select from pg_proc where proname = 'uid' and pronamespace = to_regnamespace('auth'))",
        (len(SUPABASE_ROLES), list(SUPABASE_ROLES)),
    ).fetchone()
    return Platform(auth=has_auth_schema(conn), shim=is_local_shim(conn), roles=bool(roles and roles[0]))


def misplaced_extensions(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(extension, schema) of every extension the package needs that is installed outside ``extensions``."""
    rows = conn.execute(
        "select e.extname, n.nspname from pg_extension as e join pg_namespace as n on n.oid = e.extnamespace "
        "where e.extname = any(%s) and n.nspname <> 'extensions' order by 1",
        (list(EXTENSIONS),),
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def check_extensions(conn: psycopg.Connection) -> None:
    """Refuse, before anything is applied, a database whose pgcrypto (or fuzzystrmatch) lives elsewhere.

    Moving an extension is the operator's decision, not ours: code of their own
    may call its functions unqualified through the old schema.
    """
    misplaced = misplaced_extensions(conn)
    if misplaced:
        name, schema = misplaced[0]
        others = "".join(f"; {n} is in schema {s} too" for n, s in misplaced[1:])
        raise DeployError(
            f"extension {name} is installed in schema {schema}, but the package calls it as extensions.*{others}: "
            f"run `create schema if not exists extensions; alter extension {name} set schema extensions;` "
            "as its owner (check that nothing of yours calls its functions through "
            f"{schema}), then run this again; nothing was changed"
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
