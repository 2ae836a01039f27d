"""Reads go through RLS: members see their merchant's rows, strangers none,
and no API role reaches an embed signing key by any route."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from .helpers import TestDatabase, User, minimal_body

PUBLIC_TABLES = [
    "merchants", "profiles", "interview_def_set", "interview_def_step", "interview_def_question",
    "knowledge_base_stores", "interview_templates", "platform_languages", "platform_language_accents",
]


def read_as(db: TestDatabase, claims: dict[str, Any] | None, query: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run a read in a PostgREST-like transaction as the claims' role."""
    role = (claims or {}).get("role", "anon")
    with psycopg.connect(db.api_url) as conn:
        conn.execute("select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                     (role, json.dumps(claims or {"role": "anon"})))
        rows = conn.execute(query, params).fetchall()
        conn.rollback()
    return rows


@pytest.fixture
def created(db: TestDatabase) -> tuple[User, str]:
    owner = db.owner()
    db.knowledge_base(owner.merchant_id)  # type: ignore[arg-type]
    response = db.rpc(minimal_body(questions=["First?", "Second?"]), owner)
    assert response.status == 200
    return owner, response.body["interview_def_set_id"]


def test_a_member_sees_the_set_its_steps_and_questions(db: TestDatabase, created: tuple[User, str]) -> None:
    owner, set_id = created
    staff = db.user(owner.merchant_id, "merchant")
    for member in (owner, staff):
        assert read_as(db, member.claims, "select id::text from public.interview_def_set") == [(set_id,)]
        assert len(read_as(db, member.claims, "select 1 from public.interview_def_step where interview_def_set_id = %s",
                           set_id)) == 4
        assert len(read_as(db, member.claims, "select 1 from public.interview_def_question")) == 2
        assert read_as(db, member.claims, "select id::text from public.merchants") == [(owner.merchant_id,)]
        assert len(read_as(db, member.claims, "select 1 from public.knowledge_base_stores")) == 1
        assert read_as(db, member.claims, "select id::text from public.profiles") == [(member.id,)]


def test_a_stranger_sees_none_of_it(db: TestDatabase, created: tuple[User, str]) -> None:
    owner, _ = created
    stranger = db.owner()
    candidate = db.user(owner.merchant_id, "candidate")
    for outsider in (stranger, candidate):
        for table in ("interview_def_set", "interview_def_step", "interview_def_question", "knowledge_base_stores"):
            assert read_as(db, outsider.claims, f"select 1 from public.{table}") == [], (outsider.role, table)
        assert (owner.merchant_id,) not in read_as(db, outsider.claims, "select id::text from public.merchants")


def test_signed_in_users_read_the_reference_data(db: TestDatabase) -> None:
    user = db.owner()
    assert len(read_as(db, user.claims, "select 1 from public.platform_languages")) == 34
    assert len(read_as(db, user.claims, "select 1 from public.interview_templates")) >= 4


@pytest.mark.parametrize("table", PUBLIC_TABLES)
def test_anon_reads_nothing(db: TestDatabase, created: tuple[User, str], table: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        read_as(db, None, f"select 1 from public.{table}")


@pytest.mark.parametrize("table", PUBLIC_TABLES)
def test_api_roles_cannot_write_directly(db: TestDatabase, created: tuple[User, str], table: str) -> None:
    owner, _ = created
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        read_as(db, owner.claims, f"delete from public.{table}")


def test_admin_reads_every_merchant(db: TestDatabase, created: tuple[User, str]) -> None:
    admin = db.user(None, "admin")
    _, set_id = created
    assert (set_id,) in read_as(db, admin.claims, "select id::text from public.interview_def_set")


@pytest.mark.parametrize("role", ["anon", "authenticated", "service_role"])
def test_no_api_role_reaches_an_embed_signing_key(db: TestDatabase, role: str) -> None:
    owner = db.owner()
    secret = db.rpc(minimal_body(is_embedded=True), owner).body["embed_signing_key"]
    claims = {"anon": {"role": "anon"}, "authenticated": owner.claims, "service_role": {"role": "service_role"}}[role]

    # the table itself, in the private schema
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        read_as(db, claims, "select signing_key from interview_private.embed_keys")
    # any function an API role can execute returns no key (search every function's result we can call)
    for query in (
        "select string_agg(t::text, '') from interview_private.embed_keys as t",
        "select string_agg(response::text, '') from interview_private.idempotency_keys",
        "select string_agg(payload::text, '') from interview_private.outbox_events",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            read_as(db, claims, query)
    # every relation the role may select, in any schema: none holds the key
    relations = read_as(db, claims, """
        select format('%%I.%%I', n.nspname, c.relname)
        from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'v', 'm', 'p', 'f')
          and n.nspname not in ('pg_catalog', 'information_schema')
          and has_schema_privilege(n.oid, 'usage') and has_table_privilege(c.oid, 'select')
    """)
    for (relation,) in relations:
        dump = read_as(db, claims, f"select coalesce(string_agg(t::text, ''), '') from {relation} as t")[0][0]
        assert secret not in dump, relation


def test_owners_and_staff_read_what_they_may_create_for_a_grandchild(db: TestDatabase) -> None:
    """Reading follows the same rule as creating (interview_access.may_act_for): the
    owner of a merchant creates for its grandchild and reads that set back."""
    owner = db.owner()
    child = db.merchant(parent=owner.merchant_id, name="Child")
    grandchild = db.merchant(parent=child, name="Grandchild")
    kb = db.knowledge_base(grandchild)
    staff = db.user(owner.merchant_id, "merchant")
    created = db.rpc(minimal_body(merchant_id=grandchild, questions=["Why us?"]), owner)
    assert created.status == 200, created.body
    set_id = created.body["interview_def_set_id"]

    for member in (owner, staff):
        assert read_as(db, member.claims, "select id::text from public.interview_def_set") == [(set_id,)]
        assert len(read_as(db, member.claims, "select 1 from public.interview_def_step where interview_def_set_id = %s",
                           set_id)) == 3
        assert len(read_as(db, member.claims, "select 1 from public.interview_def_question")) == 1
        assert read_as(db, member.claims, "select id::text from public.knowledge_base_stores") == [(kb,)]
        assert sorted(read_as(db, member.claims, "select id::text from public.merchants")) == sorted(
            [(owner.merchant_id,), (child,), (grandchild,)])

    # the grandchild's own owner sees its own merchant and the set, not its ancestors
    grandchild_owner = db.user(grandchild, "merchant_owner")
    assert read_as(db, grandchild_owner.claims, "select id::text from public.interview_def_set") == [(set_id,)]
    assert read_as(db, grandchild_owner.claims, "select id::text from public.merchants") == [(grandchild,)]
    # a sibling's owner sees none of it
    sibling_owner = db.user(db.merchant(parent=owner.merchant_id, name="Sibling"), "merchant_owner")
    assert read_as(db, sibling_owner.claims, "select id::text from public.interview_def_set") == []


def test_reads_follow_a_subtree_that_moves_to_another_owner(db: TestDatabase) -> None:
    """The merchant set is read from the tree's closure (interview_private.merchant_ancestry): when a
    sub-merchant moves, its rows leave the old ancestors' readers at once and reach the new ones'."""
    old_owner, new_owner = db.owner(name="Old"), db.owner(name="New")
    child = db.merchant(parent=old_owner.merchant_id, name="Child")
    grandchild = db.merchant(parent=child, name="Grandchild")
    created = db.rpc(minimal_body(merchant_id=grandchild, questions=["Why us?"]), old_owner)
    assert created.status == 200, created.body
    set_id = created.body["interview_def_set_id"]
    sets = "select id::text from public.interview_def_set"
    assert read_as(db, old_owner.claims, sets) == [(set_id,)] and read_as(db, new_owner.claims, sets) == []

    db.admin.execute("update public.merchants set parent_merchant_id = %s where id = %s",
                     (new_owner.merchant_id, child))
    assert read_as(db, old_owner.claims, sets) == [] and read_as(db, new_owner.claims, sets) == [(set_id,)]
    assert sorted(read_as(db, new_owner.claims, "select id::text from public.merchants")) == sorted(
        [(new_owner.merchant_id,), (child,), (grandchild,)])
    assert read_as(db, old_owner.claims, "select id::text from public.merchants") == [(old_owner.merchant_id,)]
    # and the RPCs ask the same set: the old owner may no longer create for the grandchild
    refused = db.rpc(minimal_body(merchant_id=grandchild, idempotency_key="after-move"), old_owner)
    assert refused.status == 403, refused.body
    assert db.rpc(minimal_body(merchant_id=grandchild, idempotency_key="after-move"), new_owner).status == 200
