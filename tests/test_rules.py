"""The rule table stays true to the schema and to the RPC's signature."""

from __future__ import annotations

from .helpers import RPC, TestDatabase


def test_enum_rules_allow_exactly_the_enum_types_values(db: TestDatabase) -> None:
    rows = db.admin.execute(
        """
        select r.field, r.allowed,
               (select array_agg(e.enumlabel::text order by e.enumsortorder)
                from pg_enum as e where e.enumtypid = a.atttypid) as labels
        from interview_private.request_field_rules() as r
        join pg_attribute as a on a.attrelid = 'public.interview_def_set'::regclass and a.attname = r.field
        where r.scope = 'body' and r.kind = 'enum'
        """
    ).fetchall()
    assert len(rows) == 10
    for row in rows:
        assert row["allowed"] == row["labels"], row["field"]


def test_every_body_field_is_a_parameter_of_the_rpc_and_back(db: TestDatabase) -> None:
    fields = {r["field"] for r in db.admin.execute(
        "select field from interview_private.request_field_rules() where scope = 'body' and field <> '*'")}
    parameters = set(db.admin.execute(
        """
        select p.proargnames from pg_proc as p
        where p.oid = (select oid from pg_proc where proname = %s and pronargs > 1
                       and pronamespace = 'public'::regnamespace)
        """, (RPC,)).fetchone()["proargnames"])
    assert fields == parameters and len(fields) == 45


def test_every_rule_has_a_hint_and_a_description(db: TestDatabase) -> None:
    missing = db.admin.execute(
        "select scope, field from interview_private.request_field_rules() where hint is null or description is null"
    ).fetchall()
    assert missing == []
    scopes = {r["nested_scope"] for r in db.admin.execute(
        "select nested_scope from interview_private.request_field_rules() where nested_scope is not null")}
    known = {r["scope"] for r in db.admin.execute("select distinct scope from interview_private.request_field_rules()")}
    assert scopes <= known
