"""The PostgREST-faithful caller on small fixture functions: routing by keys,
the transaction and its settings, and PostgREST's SQLSTATE -> HTTP table."""

from __future__ import annotations

import pytest

from interview_db.postgrest import call_rpc, http_status, user_claims

from .helpers import TestDatabase

FIXTURES = r"""
create schema if not exists caller_test;
create function public.caller_echo(a text default null, b numeric default null, c jsonb default null)
returns jsonb language sql volatile as $$
  select jsonb_build_object('a', a, 'b', b, 'c', c,
    'role', current_setting('role'), 'sub', current_setting('request.jwt.claims', true)::jsonb ->> 'sub',
    'method', current_setting('request.method', true), 'path', current_setting('request.path', true),
    'search_path', current_setting('search_path'), 'read_only', current_setting('transaction_read_only'),
    'isolation', current_setting('transaction_isolation'))
$$;
create function public.caller_required(x integer) returns integer language sql immutable as $$ select x * 2 $$;
create function public.caller_raise(code text, msg text) returns void language plpgsql volatile as $$
begin
  raise exception using errcode = code, message = msg, detail = 'the detail', hint = 'the hint';
end $$;
create table caller_test.t (id serial primary key);
create function public.caller_write() returns integer language sql volatile as $$
  insert into caller_test.t values (default) returning 1
$$;
create function public.caller_status() returns jsonb language plpgsql volatile as $$
begin
  perform set_config('response.status', '201', true);
  return '{"created": true}'::jsonb;
end $$;
create function public.caller_json(jsonb) returns jsonb language sql volatile as $$ select $1 $$;
grant usage on schema caller_test to authenticated, anon;
grant all on caller_test.t to authenticated;
grant usage on sequence caller_test.t_id_seq to authenticated;
revoke execute on function public.caller_raise(text, text) from public, anon;
"""


@pytest.fixture
def caller_db(db: TestDatabase) -> TestDatabase:
    db.admin.execute(FIXTURES)
    return db


def test_success_body_and_the_transaction_postgrest_opens(caller_db: TestDatabase) -> None:
    claims = user_claims("11111111-1111-4111-8111-111111111111")
    response = call_rpc(caller_db.api, "caller_echo", {"a": "x", "b": "2.5"}, claims)
    assert response.status == 200
    assert response.body["a"] == "x" and response.body["b"] == 2.5 and response.body["c"] is None
    assert response.body["role"] == "authenticated" and response.body["sub"] == claims["sub"]
    assert response.body["method"] == "POST" and response.body["path"] == "/rpc/caller_echo"
    # PostgREST prepends the request's schema to db-extra-search-path without removing duplicates
    assert response.body["search_path"] == '"public", "public", "extensions"'
    assert response.body["read_only"] == "off" and response.body["isolation"] == "read committed"


def test_stable_and_immutable_functions_run_read_only(caller_db: TestDatabase) -> None:
    assert call_rpc(caller_db.api, "caller_required", {"x": 21}, user_claims("a" * 8 + "-1111-4111-8111-111111111111")).body == 42


def test_pt_codes_become_their_status(caller_db: TestDatabase) -> None:
    caller_db.admin.execute("grant execute on function public.caller_raise(text, text) to authenticated")
    claims = user_claims("11111111-1111-4111-8111-111111111111")
    for code, status in (("PT422", 422), ("PT403", 403), ("PT409", 409), ("P0001", 400), ("23505", 409),
                         ("22023", 400), ("40001", 500), ("42501", 403)):
        response = call_rpc(caller_db.api, "caller_raise", {"code": code, "msg": "boom"}, claims)
        assert response.status == status, code
        assert response.body == {"code": code, "message": "boom", "details": "the detail", "hint": "the hint"}


def test_anon_on_a_function_revoked_from_anon_is_401(caller_db: TestDatabase) -> None:
    response = call_rpc(caller_db.api, "caller_raise", {"code": "PT422", "msg": "x"}, None)
    assert response.status == 401 and response.body["code"] == "42501"


def test_unknown_key_is_404_pgrst202(caller_db: TestDatabase) -> None:
    response = call_rpc(caller_db.api, "caller_required", {"x": 1, "y": 2}, None)
    assert response.status == 404 and response.body["code"] == "PGRST202"
    assert response.body["message"] == "Could not find the function public.caller_required(x, y) in the schema cache"
    missing_required = call_rpc(caller_db.api, "caller_required", {}, None)
    assert missing_required.status == 404 and "without parameters" in missing_required.body["message"]


def test_single_unnamed_jsonb_takes_the_whole_body(caller_db: TestDatabase) -> None:
    body = {"anything": [1, {"x": None}], "other": "y"}
    assert call_rpc(caller_db.api, "caller_json", body, user_claims("11111111-1111-4111-8111-111111111111")).body == body


def test_cast_failure_is_400(caller_db: TestDatabase) -> None:
    response = call_rpc(caller_db.api, "caller_echo", {"b": "not a number"}, None)
    assert response.status == 400 and response.body["code"] == "22P02"


def test_invalid_json_is_400_pgrst102(caller_db: TestDatabase) -> None:
    response = call_rpc(caller_db.api, "caller_echo", raw_body='{"a": ', claims=None)
    assert response.status == 400 and response.body["code"] == "PGRST102"


def test_commit_and_prefer_tx_rollback(caller_db: TestDatabase) -> None:
    claims = user_claims("11111111-1111-4111-8111-111111111111")
    assert call_rpc(caller_db.api, "caller_write", {}, claims).status == 200
    assert call_rpc(caller_db.api, "caller_write", {}, claims, tx_rollback=True).status == 200
    assert caller_db.admin.execute("select count(*) as n from caller_test.t").fetchone()["n"] == 1


def test_response_status_guc(caller_db: TestDatabase) -> None:
    response = call_rpc(caller_db.api, "caller_status", {}, user_claims("11111111-1111-4111-8111-111111111111"))
    assert response.status == 201 and response.body == {"created": True}


def test_an_error_leaves_the_connection_usable(caller_db: TestDatabase) -> None:
    claims = user_claims("11111111-1111-4111-8111-111111111111")
    caller_db.admin.execute("grant execute on function public.caller_raise(text, text) to authenticated")
    assert call_rpc(caller_db.api, "caller_raise", {"code": "PT422", "msg": "x"}, claims).status == 422
    assert call_rpc(caller_db.api, "caller_required", {"x": 2}, claims).body == 4


@pytest.mark.parametrize(("sqlstate", "authed", "status"), [
    ("08006", True, 503), ("09000", True, 500), ("0L000", True, 403), ("0P000", True, 403), ("23503", True, 409),
    ("23505", True, 409), ("23514", True, 400), ("25006", True, 405), ("25001", True, 500), ("28000", True, 403),
    ("2D000", True, 500), ("38000", True, 500), ("39000", True, 500), ("3B000", True, 500), ("40P01", True, 500),
    ("53400", True, 500), ("53200", True, 503), ("54001", True, 500), ("55000", True, 500), ("57P01", True, 503),
    ("57014", True, 500), ("58000", True, 500), ("F0000", True, 500), ("HV000", True, 500), ("P0001", True, 400),
    ("P0002", True, 500), ("XX000", True, 500), ("42883", True, 404), ("42P01", True, 404), ("42P17", True, 500),
    ("42501", True, 403), ("42501", False, 401), ("PT418", True, 418), ("22P02", True, 400), ("22001", True, 400),
])
def test_postgrest_sqlstate_table(sqlstate: str, authed: bool, status: int) -> None:
    assert http_status(sqlstate, "message", authed) == status
