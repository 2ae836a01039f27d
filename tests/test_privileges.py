"""Privilege audit, read from the catalogs of a deployed clone.

Every table, view, materialized view, sequence and function that an API role
(anon, authenticated, service_role, PostgREST's authenticator) or PUBLIC holds a
privilege on, in every schema PostgREST exposes, every schema an API role has
USAGE on, and the package's private schemas, is compared with the reviewed
allowlist below: anything that becomes reachable and is not listed fails.

Then the structural rules of the package: SECURITY DEFINER only where listed,
search_path = pg_catalog, pg_temp on every function, RLS on every table, no policy on
a table without RLS, an index under every foreign key, and no API access to the
private schemas.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import jwt
import psycopg
import pytest
from psycopg import sql

from interview_db.postgrest import SchemaCache, call_rpc, service_role_claims
from interview_db.project import Project

from .helpers import RPC as RPC_NAME
from .helpers import TestDatabase, example_body, minimal_body

API_ROLES = ("anon", "authenticated", "service_role", "authenticator")
EVERYONE = ("PUBLIC", *API_ROLES)  # a grant to PUBLIC reaches every role
SIGNED_IN = ("authenticated", "service_role")
PRIVATE_SCHEMAS = ("interview_private", "interview_deploy")
PACKAGE_SCHEMAS = ("public", "interview_private", "interview_access")

_PUBLIC_TABLES = (
    "merchants", "profiles", "platform_languages", "platform_language_accents", "interview_templates",
    "knowledge_base_stores", "interview_def_set", "interview_def_question", "interview_def_step",
)
RPC = "public.job_interview_create_from_array"
RPC_NAMED = f"{RPC}(" + ",".join(["jsonb"] * 45) + ")"  # every parameter jsonb default null
RPC_FALLBACK = f"{RPC}(json)"  # json: a jsonb one would make a one-argument call ambiguous
VERIFY_TOKEN = "public.verify_embed_token(text)"
# The membership RPCs (invitations, removal, merchants by admins): signed-in users only.
INVITATION_CREATE = "public.merchant_invitation_create(jsonb,jsonb,jsonb,jsonb)"
INVITATION_ACCEPT = "public.merchant_invitation_accept(jsonb)"
MEMBER_REMOVE = "public.merchant_member_remove(jsonb)"
MERCHANT_CREATE = "public.merchant_create(jsonb,jsonb,jsonb)"
WEBHOOK_CREATE = "public.webhook_endpoint_create(text,text[],uuid,text,boolean)"
WEBHOOK_UPDATE = "public.webhook_endpoint_update(uuid,text,text[],boolean,text)"
WEBHOOK_ROTATE = "public.webhook_endpoint_rotate_secret(uuid)"
WEBHOOK_DELETE = "public.webhook_endpoint_delete(uuid)"
WEBHOOK_TEST = "public.webhook_endpoint_test(uuid)"
WEBHOOK_DELIVERIES = "public.webhook_endpoint_deliveries(uuid,text,timestamp with time zone,integer)"
WEBHOOK_REPLAY = "public.webhook_delivery_replay(uuid)"

# The reviewed allowlist: (object, privilege) -> the roles that may hold it, and why.
ALLOWED: dict[tuple[str, str], tuple[str, ...]] = {
    # Reads of the package's tables, for signed-in users: RLS decides which rows
    # (members see their merchant's, reference data is for everyone signed in).
    # service_role bypasses RLS, as on Supabase. No INSERT/UPDATE/DELETE: writes
    # go through the RPC only. anon reads nothing.
    **{(f"public.{table}", "SELECT"): SIGNED_IN for table in _PUBLIC_TABLES},
    # The RPC and its fallback overload (unknown keys -> 422): signed-in callers
    # only; anon gets 401 from the revoked EXECUTE.
    (RPC_NAMED, "EXECUTE"): SIGNED_IN,
    (RPC_FALLBACK, "EXECUTE"): SIGNED_IN,
    # The membership helper of the RLS policies: policies run it as the querying
    # role, so signed-in roles execute it (interview_access is not exposed).
    ("interview_access.may_act_for(uuid)", "EXECUTE"): SIGNED_IN,
    ("interview_access.readable_merchant_ids()", "EXECUTE"): SIGNED_IN,
    ("interview_access.acting_roles()", "EXECUTE"): SIGNED_IN,
    # The membership RPCs act for a person (auth.uid()): signed-in users only;
    # not service_role (no user) and not anon.
    **{(f, "EXECUTE"): ("authenticated",) for f in (INVITATION_CREATE, INVITATION_ACCEPT, MEMBER_REMOVE,
                                                     MERCHANT_CREATE)},
    # The embed page's backend checks a signed embed token (a JWT) with the
    # service_role key; the signing key never leaves the function.
    (VERIFY_TOKEN, "EXECUTE"): ("service_role",),
    # Webhook endpoints: members read their merchant's through RLS; the table has
    # no secret column (secrets live in interview_private.webhook_endpoint_secrets).
    ("public.webhook_endpoints", "SELECT"): SIGNED_IN,
    # Managing endpoints: signed-in owners and admins (the functions check the
    # profile role); no user, no call: service_role and anon get no EXECUTE.
    (WEBHOOK_CREATE, "EXECUTE"): ("authenticated",),
    (WEBHOOK_UPDATE, "EXECUTE"): ("authenticated",),
    (WEBHOOK_ROTATE, "EXECUTE"): ("authenticated",),
    # What merchants see and do with deliveries: the same owners and admins.
    **{(f, "EXECUTE"): ("authenticated",) for f in (WEBHOOK_DELETE, WEBHOOK_TEST, WEBHOOK_DELIVERIES, WEBHOOK_REPLAY)},
    # Supabase's own: the JWT claim helpers that RLS policies call (the local
    # shim defines them exactly as Supabase does, executable by everyone).
    **{(f"auth.{f}()", "EXECUTE"): EVERYONE for f in ("uid", "role", "email", "jwt")},
    # The two pgcrypto functions the package uses; where the server has no
    # pgcrypto the shim's stand-ins (same names) are granted like pgcrypto's.
    ("extensions.gen_random_bytes(integer)", "EXECUTE"): EVERYONE,
    ("extensions.hmac(bytea,bytea,text)", "EXECUTE"): EVERYONE,
}

# Members of these extensions are Supabase's own (pgcrypto and fuzzystrmatch live in
# `extensions` on Supabase, executable by everyone); they are accepted as long
# as the privilege is EXECUTE on a function.
SUPABASE_EXTENSIONS = ("pgcrypto", "fuzzystrmatch")

# Functions that run with their owner's rights; each is an API entry point that
# must bypass the caller's table rights, and sets search_path = pg_catalog, pg_temp.
SECURITY_DEFINER_ALLOWED = {
    RPC_NAMED: "the RPC: writes the set, steps, keys and outbox that the caller has no grants on",
    RPC_FALLBACK: "the fallback overload: creates the interview from the known keys, as the RPC does",
    VERIFY_TOKEN: (
        "checks an embed token against the signing key in interview_private.embed_keys, which no API role may "
        "read; returns only the token's embed, interview and claims, never the key"
    ),
    INVITATION_CREATE: (
        "writes interview_private.merchant_invitations (no API grants); checks the caller's role (owner or admin), "
        "the role granted (at most the caller's, never admin) and interview_access.may_act_for(merchant)"
    ),
    INVITATION_ACCEPT: (
        "reads the invitation by the token's sha256 and writes public.profiles (no API write grants): the only way "
        "a user joins a merchant; only for the signed-in user, with the invitation's email, once, before expiry"
    ),
    MEMBER_REMOVE: (
        "deletes from public.profiles (no API write grants): owners and admins, members of a merchant they may act "
        "for, of at most their own role, never themselves"
    ),
    MERCHANT_CREATE: "inserts into public.merchants (no API write grants): platform admins only",
    WEBHOOK_CREATE: (
        "writes public.webhook_endpoints (no write grants to API roles) and the endpoint's secret in "
        "interview_private.webhook_endpoint_secrets; owners and admins only (profile role), for merchants they may act for"
    ),
    WEBHOOK_UPDATE: (
        "writes public.webhook_endpoints, which API roles may only read; owners and admins of the endpoint's merchant"
    ),
    WEBHOOK_ROTATE: (
        "replaces the secret in interview_private.webhook_endpoint_secrets, which no API role may read or write; "
        "owners and admins of the endpoint's merchant; the new secret is returned once"
    ),
    WEBHOOK_DELETE: (
        "deletes from public.webhook_endpoints (no write grants to API roles), cascading to its secrets and "
        "deliveries; owners and admins of the endpoint's merchant"
    ),
    WEBHOOK_TEST: (
        "writes a webhook.test event and its one delivery in interview_private; owners and admins of the "
        "endpoint's merchant"
    ),
    WEBHOOK_DELIVERIES: (
        "reads the endpoint's deliveries and attempts in interview_private (never a secret); owners and admins "
        "of the endpoint's merchant"
    ),
    WEBHOOK_REPLAY: (
        "makes a dead delivery in interview_private pending again; owners and admins of its endpoint's merchant"
    ),
    "interview_access.readable_merchant_ids()": (
        "the RLS policies' merchant set, once per statement: reads profiles and merchants past their own policies "
        "(the merchants policy calls it); answers only about the calling user (auth.uid())"
    ),
    "interview_access.may_act_for(uuid)": (
        "the RLS policies' membership test: reads profiles and merchants past their own policies (the merchants "
        "policy calls it); answers only about the calling user (auth.uid())"
    ),
}


@dataclass(frozen=True, order=True)
class Grant:
    object: str
    kind: str
    role: str
    privilege: str
    extension: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        owner = f" (extension {self.extension})" if self.extension else ""
        return f"{self.role} {self.privilege} on {self.kind} {self.object}{owner}"


# PostgreSQL's own schemas (pg_catalog, information_schema, pg_toast) are left out.
_AUDITED_SCHEMAS = """
select n.nspname
from pg_catalog.pg_namespace as n
where n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
  and (n.nspname = any (%(exposed)s)
       or n.nspname = any (%(private)s)
       or exists (
         select from pg_catalog.unnest(%(roles)s::text[]) as r (role)
         where pg_catalog.has_schema_privilege(r.role, n.oid, 'USAGE')
       ))
"""

# has_*_privilege answers for inherited and PUBLIC grants too; for tables the
# column-level variant also catches a grant on a single column.
_REACHABLE = """
with roles (role) as (select pg_catalog.unnest(%(roles)s::text[])),
schemas as (
  select n.oid, n.nspname from pg_catalog.pg_namespace as n where n.nspname = any (%(schemas)s)
),
extension_members as (
  select d.classid, d.objid, e.extname
  from pg_catalog.pg_depend as d join pg_catalog.pg_extension as e on e.oid = d.refobjid
  where d.refclassid = 'pg_catalog.pg_extension'::regclass and d.deptype = 'e'
),
relations as (
  select c.oid::regclass::text as object,
         case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view'
                        when 'f' then 'foreign table' else 'table' end as kind,
         r.role, p.privilege, x.extname
  from pg_catalog.pg_class as c
  join schemas as s on s.oid = c.relnamespace
  cross join roles as r
  cross join lateral pg_catalog.unnest(
    case when c.relkind = 'S' then array['USAGE', 'SELECT', 'UPDATE']
         else array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] end
  ) as p (privilege)
  left join extension_members as x on x.classid = 'pg_catalog.pg_class'::regclass and x.objid = c.oid
  where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
    and case
          when c.relkind = 'S' then pg_catalog.has_sequence_privilege(r.role, c.oid, p.privilege)
          when p.privilege in ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
            then pg_catalog.has_any_column_privilege(r.role, c.oid, p.privilege)
          else pg_catalog.has_table_privilege(r.role, c.oid, p.privilege)
        end
),
functions as (
  select f.oid::regprocedure::text, case f.prokind when 'p' then 'procedure' else 'function' end,
         r.role, 'EXECUTE', x.extname
  from pg_catalog.pg_proc as f
  join schemas as s on s.oid = f.pronamespace
  cross join roles as r
  left join extension_members as x on x.classid = 'pg_catalog.pg_proc'::regclass and x.objid = f.oid
  where pg_catalog.has_function_privilege(r.role, f.oid, 'EXECUTE')
)
select * from relations union all select * from functions
"""


@pytest.fixture
def audited(db: TestDatabase) -> TestDatabase:
    # An empty search_path: every name the catalog prints is schema-qualified.
    db.admin.execute("set search_path = ''")
    return db


def audited_schemas(db: TestDatabase, project: Project) -> list[str]:
    rows = db.admin.execute(
        _AUDITED_SCHEMAS,
        {"exposed": project.exposed_schemas(), "private": list(PRIVATE_SCHEMAS), "roles": ["public", *API_ROLES]},
    ).fetchall()
    return sorted(r["nspname"] for r in rows)


def reachable(db: TestDatabase, schemas: list[str]) -> set[Grant]:
    rows = db.admin.execute(_REACHABLE, {"roles": ["public", *API_ROLES], "schemas": schemas}).fetchall()
    return {
        Grant(r["object"], r["kind"], "PUBLIC" if r["role"] == "public" else r["role"], r["privilege"], r["extname"])
        for r in rows
    }


def expected_grants() -> set[Grant]:
    return {
        Grant(obj, "function" if "(" in obj else "table", role, privilege)
        for (obj, privilege), roles in ALLOWED.items()
        for role in roles
    }


def test_the_audit_covers_the_exposed_the_api_usable_and_the_private_schemas(
    audited: TestDatabase, project: Project
) -> None:
    schemas = audited_schemas(audited, project)
    assert "public" in project.exposed_schemas()
    assert {"public", "auth", "extensions", *PRIVATE_SCHEMAS} <= set(schemas), schemas


def test_api_roles_reach_exactly_the_reviewed_allowlist(audited: TestDatabase, project: Project) -> None:
    actual = reachable(audited, audited_schemas(audited, project))
    supabase_own = {g for g in actual if g.extension in SUPABASE_EXTENSIONS and (g.object, g.privilege) not in ALLOWED}
    assert all(g.kind == "function" and g.privilege == "EXECUTE" for g in supabase_own), sorted(
        map(str, supabase_own))

    expected = expected_grants()
    unexpected = sorted(map(str, actual - supabase_own - expected))
    missing = sorted(map(str, expected - actual))
    assert unexpected == [], "reachable but not in the reviewed allowlist:\n" + "\n".join(unexpected)
    assert missing == [], "in the allowlist but not granted (remove it, or restore the grant):\n" + "\n".join(missing)


def test_a_new_grant_to_an_api_role_fails_the_audit(audited: TestDatabase, project: Project) -> None:
    """The audit is not vacuous: one stray grant makes the difference it reports."""
    before = reachable(audited, audited_schemas(audited, project))
    audited.admin.execute("grant insert (name) on public.merchants to authenticated")
    audited.admin.execute("grant execute on function interview_private.raise_invalid(text, text, text) to anon")
    after = reachable(audited, audited_schemas(audited, project))

    assert {str(g) for g in after - before} == {
        "authenticated INSERT on table public.merchants",
        "anon EXECUTE on function interview_private.raise_invalid(text,text,text)",
    }


def test_no_api_role_has_usage_on_the_private_schemas(audited: TestDatabase) -> None:
    rows = audited.admin.execute(
        """
        select r.role, n.nspname, p.privilege
        from pg_catalog.unnest(%(roles)s::text[]) as r (role)
        cross join pg_catalog.unnest(%(schemas)s::text[]) as s (name)
        join pg_catalog.pg_namespace as n on n.nspname = s.name
        cross join pg_catalog.unnest(array['USAGE', 'CREATE']) as p (privilege)
        where pg_catalog.has_schema_privilege(r.role, n.oid, p.privilege)
        """,
        {"roles": ["public", *API_ROLES], "schemas": list(PRIVATE_SCHEMAS)},
    ).fetchall()
    found = audited.admin.execute(
        "select count(*) as n from pg_catalog.pg_namespace where nspname = any (%s)", (list(PRIVATE_SCHEMAS),)
    ).fetchone()
    assert found is not None and found["n"] == len(PRIVATE_SCHEMAS)
    assert rows == []


def test_only_the_listed_functions_are_security_definer(audited: TestDatabase) -> None:
    rows = audited.admin.execute(
        """
        select p.oid::regprocedure::text as signature
        from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
        where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')
        """
    ).fetchall()
    assert {r["signature"] for r in rows} == set(SECURITY_DEFINER_ALLOWED)


def test_every_package_function_has_search_path_pg_catalog_then_pg_temp(audited: TestDatabase) -> None:
    rows = audited.admin.execute(
        """
        select p.oid::regprocedure::text as signature, p.proconfig
        from pg_catalog.pg_proc as p join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
        where n.nspname = any (%s)
          and not exists (select from pg_catalog.pg_depend as d
                          where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        """,
        (list(PACKAGE_SCHEMAS),),
    ).fetchall()
    assert len(rows) >= 10
    # pg_temp named last: an empty search_path would look up type names in pg_temp first
    unfixed = [(r["signature"], r["proconfig"]) for r in rows
               if "search_path=pg_catalog, pg_temp" not in (r["proconfig"] or [])]
    assert unfixed == []


def test_every_package_table_has_row_level_security(audited: TestDatabase) -> None:
    rows = audited.admin.execute(
        """
        select c.oid::regclass::text as table_name, c.relrowsecurity
        from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = any (%s) and c.relkind in ('r', 'p')
        """,
        (list(PACKAGE_SCHEMAS),),
    ).fetchall()
    assert {f"public.{t}" for t in _PUBLIC_TABLES} <= {r["table_name"] for r in rows}
    assert [r["table_name"] for r in rows if not r["relrowsecurity"]] == []


def test_no_policy_sits_on_a_table_without_row_level_security(audited: TestDatabase) -> None:
    rows = audited.admin.execute(
        """
        select c.oid::regclass::text as table_name, p.polname, c.relrowsecurity
        from pg_catalog.pg_policy as p join pg_catalog.pg_class as c on c.oid = p.polrelid
        """
    ).fetchall()
    assert len(rows) >= len(_PUBLIC_TABLES)  # the package's policies were found at all
    assert [(r["table_name"], r["polname"]) for r in rows if not r["relrowsecurity"]] == []


_FOREIGN_KEYS = """
select c.conname, c.conrelid::regclass::text as table_name,
       array(select a.attname::text
             from pg_catalog.unnest(c.conkey) as k (attnum)
             join pg_catalog.pg_attribute as a on a.attrelid = c.conrelid and a.attnum = k.attnum
             order by a.attname) as columns
from pg_catalog.pg_constraint as c join pg_catalog.pg_namespace as n on n.oid = c.connamespace
where c.contype = 'f' and n.nspname not in ('pg_catalog', 'information_schema')
"""

_INDEXES = """
select i.indexrelid::regclass::text as index_name, i.indrelid::regclass::text as table_name,
       array(select coalesce(a.attname::text, '(expression)')
             from pg_catalog.unnest(i.indkey::int2[]) with ordinality as k (attnum, n)
             left join pg_catalog.pg_attribute as a on a.attrelid = i.indrelid and a.attnum = k.attnum
             where k.n <= i.indnkeyatts
             order by k.n) as columns,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid) as predicate
from pg_catalog.pg_index as i
where i.indisvalid
"""

_NOT_NULL = re.compile(r"^\(*\s*(\"?[a-z_][a-z0-9_]*\"?)\s+IS\s+NOT\s+NULL\s*\)*$", re.IGNORECASE)


def covers(index: dict[str, object], fk_columns: list[str]) -> bool:
    """Leading columns exactly the FK's; a partial index only when it leaves out
    rows with a null FK column (which reference nothing)."""
    columns = list(index["columns"])  # type: ignore[call-overload]
    if sorted(columns[: len(fk_columns)]) != sorted(fk_columns):
        return False
    predicate = index["predicate"]
    if predicate is None:
        return True
    terms = [t.strip() for t in re.split(r"\bAND\b", str(predicate), flags=re.IGNORECASE)]
    matches = [_NOT_NULL.match(t) for t in terms]
    return all(m is not None and m.group(1).strip('"') in fk_columns for m in matches)


def test_every_foreign_key_has_a_covering_index(audited: TestDatabase) -> None:
    foreign_keys = audited.admin.execute(_FOREIGN_KEYS).fetchall()
    indexes = audited.admin.execute(_INDEXES).fetchall()
    assert len(foreign_keys) >= 10

    uncovered = [
        f"{fk['table_name']}.{fk['conname']} ({', '.join(fk['columns'])})"
        for fk in foreign_keys
        if not any(ix["table_name"] == fk["table_name"] and covers(ix, list(fk["columns"])) for ix in indexes)
    ]
    assert uncovered == []


def test_the_covering_rule_accepts_only_not_null_partial_indexes() -> None:
    plain = {"columns": ["merchant_id", "created_at"], "predicate": None}
    not_null = {"columns": ["created_by"], "predicate": "(created_by IS NOT NULL)"}
    other = {"columns": ["language_code"], "predicate": "is_primary"}
    trailing = {"columns": ["created_at", "merchant_id"], "predicate": None}
    assert covers(plain, ["merchant_id"]) and covers(not_null, ["created_by"])
    assert not covers(other, ["language_code"]) and not covers(trailing, ["merchant_id"])
    assert covers({"columns": ["a", "b"], "predicate": "(b IS NOT NULL)"}, ["b", "a"])


# -- a session's temporary objects never run with the owner's rights ----------------

_HIJACK = """
create function pg_temp.spy(what text) returns boolean language plpgsql volatile as $spy$
begin
  raise notice 'hijack % ran as %', what, current_user;
  return true;
end
$spy$;
create function pg_temp.spy_jsonb(v pg_catalog.jsonb) returns boolean language sql volatile
  as $spy$ select pg_temp.spy('jsonb') $spy$;
create function pg_temp.spy_text(v pg_catalog.text) returns boolean language sql volatile
  as $spy$ select pg_temp.spy('text') $spy$;
create function pg_temp.spy_uuid(v pg_catalog.uuid) returns boolean language sql volatile
  as $spy$ select pg_temp.spy('uuid') $spy$;
create function pg_temp.spy_bool(v pg_catalog.bool) returns boolean language sql volatile
  as $spy$ select pg_temp.spy('boolean') $spy$;
create function pg_temp.spy_eq(a pg_catalog.text, b pg_catalog.text) returns boolean language sql volatile
  as $spy$ select pg_temp.spy('operator') and a operator(pg_catalog.=) b $spy$;
-- temporary domains named like the types the package uses
create domain pg_temp.jsonb as pg_catalog.jsonb check (pg_temp.spy_jsonb(value));
create domain pg_temp.json as pg_catalog.json check (pg_temp.spy_jsonb(value::pg_catalog.jsonb));
create domain pg_temp.text as pg_catalog.text check (pg_temp.spy_text(value));
create domain pg_temp.uuid as pg_catalog.uuid check (pg_temp.spy_uuid(value));
create domain pg_temp.bytea as pg_catalog.bytea check (pg_temp.spy('bytea'));
create domain pg_temp.boolean as pg_catalog.bool check (pg_temp.spy_bool(value));
-- a temporary type named like one of the package's
create type pg_temp.interview_status as enum ('draft', 'active');
create type pg_temp.question_item as (question pg_catalog.text);
-- temporary tables named like the package's tables
create table pg_temp.merchants (id pg_catalog.uuid, parent_merchant_id pg_catalog.uuid);
create table pg_temp.profiles (id pg_catalog.uuid, merchant_id pg_catalog.uuid, role pg_catalog.text);
create table pg_temp.interview_templates (id pg_catalog.uuid);
create table pg_temp.embed_keys (embed_id pg_catalog.uuid, signing_key pg_catalog.text);
-- an operator (PostgreSQL never looks for operators in pg_temp; made anyway)
create operator pg_temp.= (leftarg = pg_catalog.text, rightarg = pg_catalog.text, function = pg_temp.spy_eq);
"""


@pytest.fixture
def intruder(db: TestDatabase) -> Iterator[tuple[psycopg.Connection, str]]:
    """A login role that is a member of authenticated (as PostgREST's authenticator
    is), with the TEMP privilege every role has by default, and its connection."""
    name = f"intruder_{uuid.uuid4().hex[:8]}"
    db.admin.execute(sql.SQL("create role {} login in role authenticated, service_role").format(sql.Identifier(name)))
    try:
        url = db.server.url(db.name, user=name)
        with psycopg.connect(url, autocommit=True) as conn:
            yield conn, name
    finally:
        db.admin.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
        db.admin.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def test_temporary_objects_of_the_calling_session_never_run_as_the_owner(
    db: TestDatabase, intruder: tuple[psycopg.Connection, str]
) -> None:
    conn, name = intruder
    owner = db.admin.execute(
        "select pg_catalog.pg_get_userbyid(p.proowner) as owner from pg_catalog.pg_proc as p "
        "where p.oid = 'public.job_interview_create_from_array(json)'::regprocedure"
    ).fetchone()["owner"]  # type: ignore[index]
    ran_as: list[str] = []
    conn.add_notice_handler(lambda d: ran_as.append(d.message_primary or ""))
    conn.execute(_HIJACK)
    conn.execute("select 'x'::text, '{}'::jsonb")  # the domains are live in this session
    assert ran_as == [f"hijack text ran as {name}", f"hijack jsonb ran as {name}"]
    ran_as.clear()

    # PostgREST reads its schema cache on its own connection, not in the caller's session.
    cache = SchemaCache()
    cache.routines(db.api, "public", RPC_NAME)
    cache.routines(db.api, "public", "verify_embed_token")
    user = db.owner(coaching=True)
    embed = db.rpc(minimal_body(is_embedded=True), user).body
    token = jwt.encode({"exp": int(time.time()) + 600, "name": "Ada"}, embed["embed_signing_key"], algorithm="HS256",
                       headers={"kid": embed["embed_id"]})
    created = call_rpc(conn, RPC_NAME, example_body(), user.claims, schema_cache=cache)
    typo = call_rpc(conn, RPC_NAME, {**minimal_body(), "nmae": "x"}, user.claims, schema_cache=cache)
    service = call_rpc(conn, RPC_NAME, minimal_body(merchant_id=user.merchant_id), service_role_claims(),
                       schema_cache=cache)

    verified = call_rpc(conn, "verify_embed_token", {"token": token}, service_role_claims(), schema_cache=cache)
    forged = call_rpc(conn, "verify_embed_token", {"token": token[:-4] + "AAAA"}, service_role_claims(),
                      schema_cache=cache)

    assert created.status == 200, created.body
    assert verified.status == 200 and verified.body["name"] == "Ada", verified.body
    assert forged.status == 401 and forged.body["details"] == "bad_signature", forged.body
    assert typo.status == 200 and typo.body["warnings"][0]["suggestion"] == "name", typo.body
    assert service.status == 200, service.body
    # The caller's own statement (PostgREST's json_to_record) may meet its domains,
    # as the caller; nothing inside the SECURITY DEFINER functions does.
    assert [m for m in ran_as if m.endswith(f" as {owner}")] == []
    assert set(ran_as) <= {f"hijack {t} ran as {r}" for t in ("jsonb", "json", "text", "uuid", "boolean", "bytea")
                          for r in ("authenticated", "service_role", name)}
