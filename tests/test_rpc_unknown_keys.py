"""A body with a key the RPC does not have reaches the single-jsonb fallback
overload, as PostgREST routes it, and gets one clear 422 instead of a 404."""

from __future__ import annotations

import json

import pytest

from interview_db.postgrest import call_rpc

from .helpers import RPC, TestDatabase, minimal_body


@pytest.mark.parametrize(("typo", "meant"), [
    ("nmae", "name"), ("questoins", "questions"), ("Name", "name"), ("descripton", "description"),
    ("mojito_language", "mojito_language_code"), ("is_embeded", "is_embedded"),
])
def test_a_typo_names_the_key_and_suggests_the_field(db: TestDatabase, typo: str, meant: str) -> None:
    body = minimal_body()
    body[typo] = body.pop(meant) if meant in body else True
    before = db.counts()
    response = db.rpc(body, db.owner())

    assert response.status == 422 and response.body["code"] == "PT422"
    assert response.body["details"] == typo
    assert f"{typo} (did you mean {meant}?)" in response.body["message"]
    assert response.body["hint"].startswith("accepted fields: name, location, interview_template_id")
    assert db.counts() == before


def test_every_unknown_key_is_named(db: TestDatabase) -> None:
    body = minimal_body(colour="blue", questoins=[], zzz_totally_unrelated=1)
    response = db.rpc(body, db.owner())
    message = response.body["message"]
    assert message.startswith("Unknown fields in the request body: ")
    assert "colour" in message and "questoins (did you mean questions?)" in message
    assert "zzz_totally_unrelated" in message and "zzz_totally_unrelated (did you mean" not in message


def test_many_unknown_keys_are_summarised(db: TestDatabase) -> None:
    body = minimal_body(**{f"extra_{i:02d}": i for i in range(25)})
    response = db.rpc(body, db.owner())
    assert response.status == 422 and "and 15 more" in response.body["message"]


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
