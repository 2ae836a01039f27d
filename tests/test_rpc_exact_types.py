"""Exact JSON types, nulls as absent keys, and a hostile body that costs nothing.

Every parameter of the RPC is jsonb, so every value reaches the function as the
client sent it: a value of the wrong JSON type is a 422 naming the field (never
PostgREST's 400, never a silent cast), and a JSON null inside an object is an
absent key, so the default applies. The cases the issue demonstrated come first,
each now a 4xx that writes nothing; the two cost cases run under a 2 s
statement_timeout (Supabase gives `authenticated` 8 s) and must not reach it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from interview_db.postgrest import RpcResponse, call_rpc

from .helpers import RPC, TestDatabase, User, minimal_body


@pytest.fixture
def owner(db: TestDatabase) -> User:
    return db.owner()


@pytest.fixture
def two_second_timeout(db: TestDatabase) -> Iterator[None]:
    """The calling session's statement_timeout, as a role setting would give it."""
    db.api.execute("set statement_timeout = '2s'")
    try:
        yield
    finally:
        db.api.execute("reset statement_timeout")


def send_text(db: TestDatabase, text: str, caller: User | None) -> RpcResponse:
    return call_rpc(db.api, RPC, None, caller.claims if caller else None, raw_body=text)


def assert_refused(db: TestDatabase, response: RpcResponse, status: int, details: str | None = None) -> None:
    assert response.status == status, response.body
    if details is not None:
        assert response.body["details"] == details, response.body


# -- the demonstrated cases ------------------------------------------------------------


def test_huge_numbers_in_a_question_objects_extra_keys_are_refused_before_any_text_is_made(
    db: TestDatabase, owner: User, two_second_timeout: None
) -> None:
    for keys in (1_000, 5_000, 8_000):
        extra = ", ".join(f'"k{i}": 1e131071' for i in range(keys))
        body = json.dumps(minimal_body(questions=["placeholder"])).replace(
            '["placeholder"]', '[{"question": "Why us?", ' + extra + "}]")
        before = db.counts()
        response = send_text(db, body, owner)
        assert_refused(db, response, 422, "$")
        assert "beyond the range of a double" in response.body["message"]
        assert db.counts() == before


@pytest.mark.parametrize("field", ["hiring_for_company", "candidate_expectations_json"])
def test_huge_numbers_in_open_objects_are_refused(db: TestDatabase, owner: User, field: str,
                                                  two_second_timeout: None) -> None:
    extra = ", ".join(f'"k{i}": 1e131071' for i in range(2_000))
    body = json.dumps(minimal_body(**{field: {"name": "Acme"}})).replace('{"name": "Acme"}', "{" + extra + "}")
    response = send_text(db, body, owner)
    assert_refused(db, response, 422, "$")


@pytest.mark.parametrize("role", ["candidate", None])
def test_the_unknown_key_fallback_checks_the_caller_first(db: TestDatabase, role: str | None,
                                                          two_second_timeout: None) -> None:
    """300 junk keys of 64 characters (21 KB) from a candidate or a user without a
    profile: a 403 at once, no edit distance computed."""
    caller = db.user(db.merchant(), role)
    junk = {f"{i:03d}" + "x" * 61: 1 for i in range(300)}
    response = db.rpc({**minimal_body(), **junk}, caller)
    assert_refused(db, response, 403)


def test_the_unknown_key_fallback_suggests_for_ten_keys_only(db: TestDatabase, owner: User,
                                                             two_second_timeout: None) -> None:
    junk = {f"{i:05d}" + "nmae" * 15: 1 for i in range(20_000)}  # 20,000 keys of 65 characters, about 1.5 MB
    response = db.rpc({**minimal_body(), "nmae": "x", **junk}, owner)
    assert response.status == 200, response.body  # created from the known keys
    warnings = response.body["warnings"]
    assert len(warnings) == 51 and warnings[0] == {
        "path": "nmae", "code": "ignored_key", "suggestion": "name",
        "message": "nmae is not a field of the request body and was ignored (did you mean name?)"}
    assert warnings[-1]["message"] == "19951 more warnings are not listed"  # 20,001 unknown keys, 50 listed


def test_the_fallback_applies_the_body_limits(db: TestDatabase, owner: User) -> None:
    response = send_text(db, json.dumps({**minimal_body(), "nmae": "x"}).replace('"x"', "1e131071"), owner)
    assert_refused(db, response, 422, "$")


@pytest.mark.parametrize("value", ["yes", "on", "1", "true", 1, 0, {"evil": True}, ["true"]])
def test_is_embedded_takes_only_a_boolean(db: TestDatabase, owner: User, value: Any) -> None:
    before = db.counts()
    response = db.rpc(minimal_body(is_embedded=value), owner)
    assert_refused(db, response, 422, "is_embedded")
    assert response.body["message"] == "is_embedded must be true or false"
    assert db.counts() == before


@pytest.mark.parametrize("value", ["3", True, [3], {"n": 3}])
def test_interview_attempts_takes_only_a_number(db: TestDatabase, owner: User, value: Any) -> None:
    response = db.rpc(minimal_body(interview_attempts=value), owner)
    assert_refused(db, response, 422, "interview_attempts")
    assert response.body["message"] == "interview_attempts must be a number"


@pytest.mark.parametrize("value", [{"evil": [1, 2]}, ["Backend"], 12345, True])
def test_a_text_takes_only_a_string(db: TestDatabase, owner: User, value: Any) -> None:
    before = db.counts()
    response = db.rpc(minimal_body(name=value), owner)
    assert_refused(db, response, 422, "name")
    assert response.body["message"] == "name must be a string"
    assert db.counts() == before


@pytest.mark.parametrize(("question", "path"), [
    ({"question": "Why?", "id": 7}, "questions[0].id"),
    ({"question": "Why?", "duration": "60"}, "questions[0].duration"),
    ({"question": "Why?", "is_expert": "true"}, "questions[0].is_expert"),
    ({"question": 42}, "questions[0].question"),
    ({"question": "Why?", "external_data": "x"}, "questions[0].external_data"),
])
def test_question_fields_take_their_exact_type(db: TestDatabase, owner: User, question: dict[str, Any],
                                                path: str) -> None:
    response = db.rpc(minimal_body(questions=[question]), owner)
    assert_refused(db, response, 422, path)


# -- nulls inside objects are absent keys ----------------------------------------------


def test_null_members_of_custom_scoring_keep_the_defaults(db: TestDatabase, owner: User) -> None:
    response = db.rpc(minimal_body(custom_scoring={"max_score": None, "early_stop": None, "speech_cadence": False}), owner)
    assert response.status == 200, response.body
    scoring = db.interview(response.body["interview_def_set_id"])["scoring_config"]
    assert scoring["max_score"] == 100 and scoring["early_stop"] is False and scoring["speech_cadence"] is False
    assert None not in scoring.values()


def test_a_null_template_of_pdf_export_keeps_classic(db: TestDatabase, owner: User) -> None:
    response = db.rpc(minimal_body(pdf_export_auto_config={"template": None, "transcript": True, "files": None}), owner)
    assert response.status == 200, response.body
    assert db.interview(response.body["interview_def_set_id"])["pdf_export_auto_config"] == {
        "template": "classic", "transcript": True}


@pytest.mark.parametrize(("company", "stored"), [
    ({"name": ""}, None),
    ({"name": "  ", "sector": None}, None),
    ({"name": " Acme ", "sector": "", "location": None, "founded": 1999}, {"name": "Acme", "founded": 1999}),
    ("", None),
    ("  Acme  ", {"name": "Acme"}),
])
def test_hiring_for_company_drops_empty_and_null_members(db: TestDatabase, owner: User, company: Any,
                                                         stored: Any) -> None:
    response = db.rpc(minimal_body(hiring_for_company=company), owner)
    assert response.status == 200, response.body
    assert db.interview(response.body["interview_def_set_id"])["creation_parameters"]["hiring_for_company"] == stored


def test_null_members_of_a_question_keep_the_defaults(db: TestDatabase, owner: User) -> None:
    response = db.rpc(minimal_body(questions=[{"question": "Why?", "duration": None, "is_expert": None,
                                               "question_alternatives": None, "label": None}]), owner)
    assert response.status == 200, response.body
    step = db.steps(response.body["interview_def_set_id"])[1]
    assert (step["duration"], step["is_expert"], step["question_alternatives"], step["label"]) == (None, False, [], None)


def test_null_members_of_candidate_expectations_are_dropped(db: TestDatabase, owner: User) -> None:
    response = db.rpc(minimal_body(candidate_expectations_json={"weak": None, "strong": ["Owns it"], "x": None}), owner)
    assert response.status == 200, response.body
    assert db.interview(response.body["interview_def_set_id"])["candidate_expectations_json"] == {"strong": ["Owns it"]}


# -- limits of the contract ------------------------------------------------------------


def test_the_string_form_of_hiring_for_company_has_a_length_limit(db: TestDatabase, owner: User) -> None:
    response = db.rpc(minimal_body(hiring_for_company="x" * 100_000), owner)
    assert_refused(db, response, 422, "hiring_for_company")
    assert "at most 200 characters" in response.body["message"]
    assert db.rpc(minimal_body(hiring_for_company="x" * 200), owner).status == 200


def test_a_pasted_job_ad_fits_the_description(db: TestDatabase, owner: User) -> None:
    ad = ("We are hiring a backend developer. " * 72)[:2500]
    response = db.rpc(minimal_body(description=ad, description_long="# Role\n" + "Details. " * 10_000), owner)
    assert response.status == 200, response.body
    stored = db.interview(response.body["interview_def_set_id"])
    assert stored["description"] == ad.strip() and len(stored["description_long"]) > 20_000


# -- every field of the rule table, every wrong JSON type --------------------------------

WRONG = {"string": "text", "number": 7, "boolean": True, "object": {"k": 1}, "array": ["x"]}
ACCEPTED = {  # the JSON types each kind of the rule table accepts
    "text": {"string"}, "enum": {"string"}, "uuid": {"string"}, "language": {"string"}, "datetime": {"string"},
    "integer": {"number"}, "number": {"number"}, "seconds": {"number"}, "boolean": {"boolean"}, "object": {"object"},
    "company": {"object", "string"}, "string_array": {"array"}, "questions": {"array"},
}
HOLDERS = {  # where a rule's field sits in a body, and the path details gives
    "body": ("", lambda body, field, value: {**body, field: value}),
    "question": ("questions[0].", lambda body, field, value: {
        **body, "questions": [{"question": "Why?", field: value}]}),
    "custom_scoring": ("custom_scoring.", lambda body, field, value: {**body, "custom_scoring": {field: value}}),
    "pdf_export_auto_config": ("pdf_export_auto_config.", lambda body, field, value: {
        **body, "pdf_export_auto_config": {field: value}}),
    "hiring_for_company": ("hiring_for_company.", lambda body, field, value: {
        **body, "hiring_for_company": {field: value}}),
    "candidate_expectations": ("candidate_expectations_json.", lambda body, field, value: {
        **body, "candidate_expectations_json": {field: value}}),
}


def rules(db: TestDatabase) -> list[dict[str, Any]]:
    return db.admin.execute(
        "select scope, field, kind from interview_private.request_field_rules() where field <> '*' order by ordinal"
    ).fetchall()


@pytest.mark.parametrize("scope", sorted(HOLDERS))
def test_every_field_refuses_every_wrong_json_type_naming_it(db: TestDatabase, owner: User, scope: str) -> None:
    """Generated from the rule table: a new field is covered without a new test."""
    prefix, place = HOLDERS[scope]
    checked, wrong = 0, []
    before = db.counts()
    for rule in (r for r in rules(db) if r["scope"] == scope):
        assert rule["kind"] in ACCEPTED, f"a kind this test does not know: {rule}"
        for json_type, value in WRONG.items():
            if json_type in ACCEPTED[rule["kind"]]:
                continue
            body = place(minimal_body(), rule["field"], value)
            response = db.rpc(body, owner)
            path = prefix + rule["field"]
            checked += 1
            if response.status != 422 or response.body.get("details") != path:
                wrong.append((path, json_type, response.status, response.body))
    assert db.counts() == before
    assert checked >= 5 and wrong == []


def test_the_fields_of_the_rule_table_are_the_parameters_of_the_rpc(db: TestDatabase) -> None:
    """Every parameter is jsonb default null, one per body field of the rule table."""
    rows = db.admin.execute(
        """
        select a.name, pg_catalog.format_type(a.type, null) as type
        from pg_catalog.pg_proc as p,
             unnest(p.proargnames, p.proargtypes::oid[]) with ordinality as a (name, type, n)
        where p.oid = (select oid from pg_catalog.pg_proc
                       where proname = 'job_interview_create_from_array' and pronargs > 1)
        order by a.n
        """
    ).fetchall()
    body_fields = [r["field"] for r in rules(db) if r["scope"] == "body"]
    assert [r["name"] for r in rows] == body_fields
    assert {r["type"] for r in rows} == {"jsonb"}



# -- near misses of question fields ------------------------------------------------------


@pytest.mark.parametrize(("key", "field"), [
    ("duraton", "duration"), ("lable", "label"), ("questoin", "question"), ("Duration", "duration"),
    ("is_expret", "is_expert"), ("externel_id", "external_id"), ("knowledge_base", "knowledge_base_id"),
])
def test_a_near_miss_of_a_question_field_is_ignored_with_the_field_as_suggestion(
    db: TestDatabase, owner: User, key: str, field: str
) -> None:
    response = db.rpc(minimal_body(questions=["First?", {"question": "Why?", key: 60}]), owner)
    assert response.status == 200, response.body
    assert response.body["warnings"] == [{
        "path": f"questions[1].{key}", "code": "ignored_key", "suggestion": field,
        "message": f"questions[1].{key} is not a question field and was ignored (did you mean {field}?)"}]


@pytest.mark.parametrize("key", ["notes", "order", "weight", "x_custom_category", "answer_hint", "points"])
def test_any_other_extra_key_of_a_question_is_ignored(db: TestDatabase, owner: User, key: str) -> None:
    response = db.rpc(minimal_body(questions=[{"question": "Why?", key: "kept out"}]), owner)
    assert response.status == 200, response.body
    assert db.steps(response.body["interview_def_set_id"])[1]["question"] == "Why?"


def test_a_question_object_takes_at_most_64_keys(db: TestDatabase, owner: User) -> None:
    """Each extra key is named in a warning: more than any client sends is refused as a whole."""
    at_limit = {"question": "Why?", **{f"note_{j:02d}": j for j in range(63)}}
    assert db.rpc(minimal_body(questions=[at_limit]), owner).status == 200
    past = {**at_limit, "one_more": 1}
    response = db.rpc(minimal_body(questions=["First?", past]), owner)
    assert_refused(db, response, 422, "questions[1]")
    assert response.body["message"] == "questions[1] has 65 keys; a question object takes at most 64"
