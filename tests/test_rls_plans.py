"""RLS that scales: with tens of thousands of other tenants' rows in the tables,
a tenant's read is planned as an index scan on merchant_id, and the reader's
merchant set (interview_access.readable_merchant_ids) is computed once per
statement (an InitPlan), never once per row (a SubPlan or a function in a
row filter). Read from the plans (EXPLAIN, as PostgREST's role and claims),
not from a clock."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from .helpers import VOICE_TEMPLATE, TestDatabase, User, minimal_body, wait_for

OTHER_SETS = 20_000
OTHER_MERCHANTS = 200
SET_FUNCTION = "interview_access.readable_merchant_ids()"

READS = {
    "interview_def_set limit 1000": "select id, name from public.interview_def_set limit 1000",
    "interview_def_set count": "select count(*) from public.interview_def_set",
    "interview_def_set latest 20": "select id, name from public.interview_def_set order by created_at desc limit 20",
    "interview_def_step limit 1000": "select id, position from public.interview_def_step limit 1000",
    "interview_def_step count": "select count(*) from public.interview_def_step",
    "interview_def_question count": "select count(*) from public.interview_def_question",
    # 200-odd rows: a sequential scan may well be cheapest, but with the set once
    "merchants": "select id, name from public.merchants",
    # the other policies migration 0050 rewrote: tables this fixture leaves small, the set once all the same
    "interview_templates": "select id, name from public.interview_templates",
    "knowledge_base_stores": "select id, name from public.knowledge_base_stores",
    "webhook_endpoints": "select id, url from public.webhook_endpoints",
}
SMALL_TABLES = {"merchants", "interview_templates", "knowledge_base_stores", "webhook_endpoints"}
# the table each read is about, and the index its merchant filter must use
TABLE_OF = {name: name.split()[0] for name in READS}


def plan_as(db: TestDatabase, claims: dict[str, Any], query: str) -> dict[str, Any]:
    """EXPLAIN (verbose, JSON) of a read in a PostgREST-like transaction."""
    with psycopg.connect(db.api_url) as conn:
        conn.execute("select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                     (claims["role"], json.dumps(claims)))
        row = conn.execute(f"explain (verbose, format json) {query}").fetchone()
        conn.rollback()
    assert row is not None
    plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
    return plan[0]["Plan"]  # type: ignore[no-any-return]


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


@pytest.fixture
def crowded(db: TestDatabase) -> tuple[User, User]:
    """A tenant (owner's merchant, a child, a grandchild; one set in the
    grandchild) among 20,000 sets, their steps and question records of 200
    other merchants, loaded as the superuser in one statement each."""
    owner = db.owner()
    child = db.merchant(parent=owner.merchant_id, name="Child")
    grandchild = db.merchant(parent=child, name="Grandchild")
    created = db.rpc(minimal_body(merchant_id=grandchild, questions=["Why us?"]), owner)
    assert created.status == 200, created.body
    staff = db.user(owner.merchant_id, "merchant")
    params = {"sets": OTHER_SETS, "merchants": OTHER_MERCHANTS, "template": VOICE_TEMPLATE}
    with db.admin.transaction():
        db.admin.execute("""
            insert into public.merchants (id, name)
            select md5('other-m' || g)::uuid, 'Other ' || g from generate_series(1, %(merchants)s) as g""", params)
        db.admin.execute("""
            insert into public.interview_def_set (id, merchant_id, interview_template_id, mojito_language_code,
              name, location, description, status, type, visibility, seniority_level,
              interview_conversation_speed, max_followups, scoring_config, credits_per_session, activated_at)
            select md5('other-s' || g)::uuid, md5('other-m' || (1 + g %% %(merchants)s))::uuid, %(template)s, 'en',
                   'Role ' || g, 'remote', 'Another tenant''s interview.', 'active', 'interview', 'merchant_public',
                   'intermediate', 'normal', 2, '{"max_score": 100}', 1, now()
            from generate_series(1, %(sets)s) as g""", params)
        db.admin.execute("""
            insert into public.interview_def_question (id, merchant_id, question, mojito_language_code, dedup_key)
            select md5('other-q' || g)::uuid, md5('other-m' || (1 + g %% %(merchants)s))::uuid,
                   'Question ' || g || '?', 'en', md5('other-k' || g)::uuid
            from generate_series(1, %(sets)s) as g""", params)
        db.admin.execute("""
            insert into public.interview_def_step (interview_def_set_id, merchant_id, position, kind, text)
            select md5('other-s' || g)::uuid, md5('other-m' || (1 + g %% %(merchants)s))::uuid, p,
                   (case p when 1 then 'welcome' else 'thank_you' end)::public.interview_step_kind, 'Hello'
            from generate_series(1, %(sets)s) as g, generate_series(1, 2) as p""", params)
    db.admin.execute("analyze")
    return owner, staff


def test_a_tenants_reads_use_the_merchant_index_and_the_set_once(db: TestDatabase, crowded: tuple[User, User]) -> None:
    _, staff = crowded
    for read in READS:
        assert_scoped_plan(plan_as(db, staff.claims, READS[read]), read)


# The InitPlan's value in a condition: $0 up to PostgreSQL 16, (InitPlan 1).col1 from 17 on.
INIT_PLAN_VALUE = r"(\$0|\(InitPlan 1\)\.col1)"


def compares_with_the_set(condition: str, column: str = "") -> bool:
    return re.search(rf"{re.escape(column)} = ANY \({INIT_PLAN_VALUE}\)", condition) is not None


def assert_scoped_plan(plan: dict[str, Any], read: str) -> None:
    table = TABLE_OF[read]
    everything = list(nodes(plan))
    text = f"{read}: {json.dumps(plan)}"
    # the merchant set: computed once, as an InitPlan, and nowhere else
    init_plans = [n for n in everything if n.get("Parent Relationship") == "InitPlan"]
    assert [o for n in init_plans for o in n.get("Output", [])] == [SET_FUNCTION], text
    assert text.count("readable_merchant_ids") == 1, text
    # nothing per row: no SubPlan, no function of the package in a filter
    assert not [n for n in everything if n.get("Parent Relationship") == "SubPlan"], text
    assert "may_act_for" not in text and "interview_private." not in text, text
    if table in SMALL_TABLES:
        assert compares_with_the_set(text), text
        return
    # the table is reached through an index on merchant_id, never read whole
    scans = [n for n in everything if n.get("Relation Name") == table]
    assert scans and all(n["Node Type"] != "Seq Scan" for n in scans), text
    index_conditions = [n.get("Index Cond", "") for n in everything if "Index" in n["Node Type"]]
    merchant_column = "id" if table == "merchants" else "merchant_id"
    assert any(compares_with_the_set(c, merchant_column) for c in index_conditions), text


def test_the_crowded_tenant_still_reads_exactly_its_own(db: TestDatabase, crowded: tuple[User, User]) -> None:
    owner, staff = crowded
    candidate = db.user(owner.merchant_id, "candidate")
    nobody = db.user(None, None)
    for reader, sets, steps in ((owner, 1, 3), (staff, 1, 3), (candidate, 0, 0), (nobody, 0, 0)):
        with psycopg.connect(db.api_url) as conn:
            conn.execute("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                         (json.dumps(reader.claims),))
            assert conn.execute("select count(*) from public.interview_def_set").fetchone() == (sets,)
            assert conn.execute("select count(*) from public.interview_def_step").fetchone() == (steps,)
            conn.rollback()


def scans(db: TestDatabase, table: str) -> tuple[int, int]:
    """(sequential scans, index scans) of a table so far, from the cumulative statistics."""
    row = db.admin.execute(
        "select coalesce(seq_scan, 0) as seq, coalesce(idx_scan, 0) as idx from pg_catalog.pg_stat_all_tables "
        "where relid = %s::regclass", (table,)).fetchone()
    assert row is not None
    return row["seq"], row["idx"]


def test_the_merchant_set_is_one_read_of_the_ancestry_not_a_walk_of_the_merchants(
    db: TestDatabase, crowded: tuple[User, User]
) -> None:
    """The set of an owner of a three-level tree is read from interview_private.merchant_ancestry,
    one scan a statement (by its primary key once the table is large; its 200-odd rows here may be
    read whole), without reading public.merchants at all: no walk, whose cost follows the depth."""
    owner, _ = crowded
    ancestry, merchants = "interview_private.merchant_ancestry", "public.merchants"
    before = {table: scans(db, table) for table in (ancestry, merchants)}
    statements = 5
    with psycopg.connect(db.api_url, autocommit=True) as conn:
        for _ in range(statements):
            with conn.transaction(force_rollback=True):
                conn.execute("select set_config('role', 'authenticated', true), "
                             "set_config('request.jwt.claims', %s, true)", (json.dumps(owner.claims),))
                assert conn.execute("select count(*) from public.interview_def_set").fetchone() == (1,)
    # a session's statistics reach the view when it ends
    wait_for(lambda: sum(scans(db, ancestry)) >= sum(before[ancestry]) + statements, "the reader's scans are counted")
    assert sum(scans(db, ancestry)) == sum(before[ancestry]) + statements
    assert scans(db, merchants) == before[merchants]
