"""A body with a key the RPC does not have reaches the single-json fallback
overload, as PostgREST routes it: the interview is created from the known keys
and each unknown key is named in the response's warnings (never a 404)."""

from __future__ import annotations

import json

import pytest

from interview_db.postgrest import call_rpc

from .helpers import RPC, TestDatabase, minimal_body


@pytest.mark.parametrize(("typo", "meant"), [
    ("nmae", "name"), ("questoins", "questions"), ("Name", "name"), ("descripton", "description"),
    ("mojito_language", "mojito_language_code"),
])
def test_a_typo_of_a_required_field_is_its_422_with_the_suggestion_in_the_hint(
    db: TestDatabase, typo: str, meant: str
) -> None:
    body = minimal_body()
    body[typo] = body.pop(meant)
    before = db.counts()
    response = db.rpc(body, db.owner())

    assert response.status == 422 and response.body["code"] == "PT422"
    assert response.body["details"] == meant
    assert response.body["message"] == f"{meant} is required"
    assert response.body["hint"].startswith(f"did you mean {meant}? ({typo} was sent, which is not a field")
    assert db.counts() == before


def test_a_typo_of_an_optional_field_is_ignored_and_named_with_the_suggestion(db: TestDatabase) -> None:
    response = db.rpc(minimal_body(is_embeded=True), db.owner())
    assert response.status == 200, response.body
    assert "embed_id" not in response.body  # the ignored key set nothing
    assert response.body["warnings"] == [{
        "path": "is_embeded", "code": "ignored_key", "suggestion": "is_embedded",
        "message": "is_embeded is not a field of the request body and was ignored (did you mean is_embedded?)"}]


def test_every_unknown_key_is_named(db: TestDatabase) -> None:
    body = minimal_body(colour="blue", questoins=[], zzz_totally_unrelated=1)
    response = db.rpc(body, db.owner())
    assert response.status == 200, response.body
    assert [(w["path"], w.get("suggestion")) for w in response.body["warnings"]] == [
        ("colour", None), ("questoins", "questions"), ("zzz_totally_unrelated", None)]


def test_suggestions_are_computed_for_at_most_10_unknown_keys(db: TestDatabase) -> None:
    body = minimal_body(**{f"name{i}": i for i in range(25)})  # each within 2 edits of name
    response = db.rpc(body, db.owner())
    assert response.status == 200, response.body
    warnings = response.body["warnings"]
    assert [w["path"] for w in warnings] == [f"name{i}" for i in range(25)]  # in the order sent
    assert [w.get("suggestion") for w in warnings] == ["name"] * 10 + [None] * 15


def test_more_than_50_unknown_keys_are_truncated(db: TestDatabase) -> None:
    response = db.rpc(minimal_body(**{f"extra_{i:02d}": i for i in range(60)}), db.owner())
    assert response.status == 200, response.body
    warnings = response.body["warnings"]
    assert len(warnings) == 51 and warnings[-1]["code"] == "truncated"
    assert warnings[-1]["message"] == "10 more warnings are not listed"


def test_the_fallback_is_hardened_like_the_rpc(db: TestDatabase) -> None:
    assert db.rpc(minimal_body(nmae="x"), None).status == 401  # anon: execute revoked
    definition = db.admin.execute(
        "select p.prosecdef, p.proconfig from pg_proc as p where p.oid = 'public.job_interview_create_from_array(json)'::regprocedure"
    ).fetchone()
    assert definition == {"prosecdef": True, "proconfig": ["search_path=pg_catalog, pg_temp"]}


def test_a_non_object_body_is_explained(db: TestDatabase) -> None:
    owner = db.owner()
    with db.admin.transaction():
        db.admin.execute("set local role authenticated")
        db.admin.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(owner.claims),))
        try:
            db.admin.execute(f"select public.{RPC}('[1, 2]'::json)")
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "sqlstate", None) == "PT422"
            assert "must be a JSON object" in str(exc)
        else:
            raise AssertionError("no error")


def test_without_the_fallback_postgrest_would_answer_404(db: TestDatabase) -> None:
    db.admin.execute(f"drop function public.{RPC}(json)")
    response = call_rpc(db.api, RPC, minimal_body(nmae="x"), db.owner().claims)
    assert response.status == 404 and response.body["code"] == "PGRST202"
