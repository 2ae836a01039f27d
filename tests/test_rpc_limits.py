"""Limits: the body (2 MiB of serialized JSON, checked first, details "$"),
additional_context (64 KiB), external_data (16 KiB per question), 200
questions, and every text by its length. Each is shown at its bound (accepted)
and one past it (422 naming the field, nothing written); and the refusal of an
oversized body is cheap: none of the validation or building functions runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from interview_db.postgrest import call_rpc

from .helpers import RPC, TestDatabase, User, minimal_body

BODY_LIMIT = 2 * 1024 * 1024
BODY_MARGIN = 32 * 1024
ADDITIONAL_CONTEXT_LIMIT = 64 * 1024
EXTERNAL_DATA_LIMIT = 16 * 1024
MAX_QUESTIONS = 200

Body = dict[str, Any]


@pytest.fixture
def owner(db: TestDatabase) -> User:
    return db.owner()


def serialized_size(db: TestDatabase, value: Any) -> int:
    """Bytes of ``value`` as jsonb (pg_column_size): the measure of the size limits,
    which PostgreSQL knows without writing the value out as text."""
    row = db.admin.execute("select pg_column_size(%s::jsonb) as n", (json.dumps(value),)).fetchone()
    assert row is not None
    return int(row["n"])


def object_of_size(db: TestDatabase, size: int) -> dict[str, str]:
    """A JSON object whose serialized form is exactly ``size`` bytes."""
    value = {"k": ""}
    value["k"] = "v" * (size - serialized_size(db, value))
    assert serialized_size(db, value) == size
    return value


def big_questions(count: int, text_size: int, alternatives: int) -> list[dict[str, Any]]:
    return [
        {"question": f"{i:03d} " + "q" * (text_size - 4),
         "question_alternatives": [f"{i:03d}.{j:02d} " + "a" * (text_size - 7) for j in range(alternatives)]}
        for i in range(count)
    ]


def body_of_size(db: TestDatabase, size: int) -> Body:
    """A valid body (every field within its own limit) of exactly ``size`` bytes of
    JSON text: 200 questions near their largest, padded to the byte with description_long."""
    body = minimal_body(questions=big_questions(MAX_QUESTIONS, 2000, 4), description_long="")
    # one more alternative of 2000 characters (2004 serialized bytes) in as many questions as fit
    for i in range(max(0, (size - serialized_size(db, body) - 10_000) // 2004)):
        body["questions"][i]["question_alternatives"].append(f"{i:03d}.extra " + "e" * 1990)
    body["description_long"] = "d" * (size - serialized_size(db, body))
    assert 0 < len(body["description_long"]) <= 20000
    assert serialized_size(db, body) == size
    return body


def refused(db: TestDatabase, response: Any, details: str, before: dict[str, int]) -> None:
    assert (response.status, response.body["code"], response.body["details"]) == (422, "PT422", details), \
        response.body
    assert db.counts() == before


# -- the body ------------------------------------------------------------------


def test_a_valid_body_just_under_2_mib_is_accepted_and_one_just_over_is_refused_at_the_root(
    db: TestDatabase, owner: User
) -> None:
    # 32 KiB either side: the function measures the body as PostgreSQL holds it
    # (jsonb), within a fraction of a percent of the JSON text for bodies like these.
    under = body_of_size(db, BODY_LIMIT - BODY_MARGIN)
    accepted = db.rpc(under, owner)
    assert accepted.status == 200, accepted.body
    assert accepted.body["questions_created"] == MAX_QUESTIONS

    over = body_of_size(db, BODY_LIMIT + BODY_MARGIN)
    before = db.counts()
    response = db.rpc(over, owner)
    refused(db, response, "$", before)
    assert "request body" in response.body["message"] and f"the limit is {BODY_LIMIT}" in response.body["message"]


def test_the_body_limit_is_checked_before_any_field(db: TestDatabase, owner: User) -> None:
    body = minimal_body(questions=big_questions(MAX_QUESTIONS, 2000, 5), name="x" * 201, status="published")
    assert serialized_size(db, body) > BODY_LIMIT
    before = db.counts()
    refused(db, db.rpc(body, owner), "$", before)  # not "name", not "status": the size comes first


def completed_functions(conn: psycopg.Connection) -> set[str]:
    """The package's functions that have run to completion in this database, from
    the statistics PostgreSQL keeps with track_functions = all (flushed on
    demand). A function that raises is not counted: only work done is."""
    conn.execute("select pg_stat_force_next_flush()")
    rows = conn.execute(
        "select schemaname || '.' || funcname from pg_stat_user_functions "
        "where schemaname in ('public', 'interview_private') and calls > 0"
    ).fetchall()
    return {str(r[0]) for r in rows}


def test_refusing_an_oversized_body_runs_no_validation_and_no_building(db: TestDatabase, owner: User) -> None:
    db.admin.execute(f"alter role authenticator in database \"{db.name}\" set track_functions = 'all'")
    calls = [
        ("oversized", minimal_body(questions=big_questions(MAX_QUESTIONS, 2000, 5)), 422),
        ("invalid field", minimal_body(questions=[{"question": "Q?", "duration": 18000}]), 422),
        ("valid", minimal_body(), 200),
    ]
    completed: dict[str, set[str]] = {}
    for name, body, expected in calls:  # statistics add up: each set includes the ones before
        with psycopg.connect(db.api_url, autocommit=True) as api:
            assert call_rpc(api, RPC, body, owner.claims).status == expected
            completed[name] = completed_functions(api)

    # Nothing of the package ran for the oversized body: no validation, no lookup, no building.
    assert completed["oversized"] == set()
    # The same statistics do see the validation of a refused field, and all the work of a valid call.
    assert completed["invalid field"], "a refused field is found by validation functions that complete"
    assert {"interview_private.create_interview", "interview_private.insert_steps"} <= completed["valid"]
    assert len(completed["valid"]) > len(completed["invalid field"]) + 3


EXPANDING_BODIES: dict[str, Body] = {
    "additional_context": minimal_body(additional_context={"extra": "NUMBERS"}),
    "candidate_expectations_json": minimal_body(candidate_expectations_json={"extra": "NUMBERS"}),
    "a key a question may carry unvalidated": minimal_body(
        idempotency_key="order-1", questions=[{"question": "Q?", "extra": "NUMBERS"}]),
}


@pytest.mark.parametrize("where", list(EXPANDING_BODIES))
def test_a_small_body_whose_numbers_expand_in_serialization_is_refused_without_a_5xx(
    db: TestDatabase, owner: User, where: str
) -> None:
    """20000 numbers written as 1e131071 make a 180 KB body (jsonb keeps each in
    a few bytes) whose JSON text, every digit written out, would be 2.6 GB: no
    step may build that text. Numbers beyond a double's range are refused before
    any other work, and no check writes an object or array out as text."""
    numbers = "[" + ",".join(["1e131071"] * 20000) + "]"
    text = json.dumps(EXPANDING_BODIES[where]).replace('"NUMBERS"', numbers)
    assert len(text) < 200_000
    before = db.counts()
    response = call_rpc(db.api, RPC, None, owner.claims, raw_body=text)

    assert response.status < 500, response.body
    assert response.status == 422 and db.counts() == before


# -- per-field limits ----------------------------------------------------------


def test_additional_context_of_exactly_64_kib_is_accepted_and_one_byte_more_is_refused(
    db: TestDatabase, owner: User
) -> None:
    at_limit = object_of_size(db, ADDITIONAL_CONTEXT_LIMIT)
    accepted = db.rpc(minimal_body(additional_context=at_limit), owner)
    assert accepted.status == 200, accepted.body
    assert db.interview(accepted.body["interview_def_set_id"])["creation_parameters"]["additional_context"] == at_limit

    before = db.counts()
    response = db.rpc(minimal_body(additional_context=object_of_size(db, ADDITIONAL_CONTEXT_LIMIT + 1)), owner)
    refused(db, response, "additional_context", before)
    assert f"at most {ADDITIONAL_CONTEXT_LIMIT} bytes (it has {ADDITIONAL_CONTEXT_LIMIT + 1})" in \
        response.body["message"]


def test_external_data_of_exactly_16_kib_per_question_is_accepted_and_one_byte_more_is_refused(
    db: TestDatabase, owner: User
) -> None:
    at_limit = object_of_size(db, EXTERNAL_DATA_LIMIT)
    questions = [{"question": f"Question {i}?", "external_data": at_limit} for i in range(3)]
    accepted = db.rpc(minimal_body(questions=questions, disable_deduplication=True), owner)
    assert accepted.status == 200, accepted.body
    assert [s["external_data"] for s in db.steps(accepted.body["interview_def_set_id"])[1:4]] == [at_limit] * 3

    questions[1]["external_data"] = object_of_size(db, EXTERNAL_DATA_LIMIT + 1)
    before = db.counts()
    response = db.rpc(minimal_body(questions=questions), owner)
    refused(db, response, "questions[1].external_data", before)


def test_200_questions_at_the_largest_external_data_exceed_the_body_limit(db: TestDatabase, owner: User) -> None:
    """The per-field limits alone would allow 3.2 MB of external_data: the body limit caps the sum."""
    at_limit = object_of_size(db, EXTERNAL_DATA_LIMIT)
    body = minimal_body(questions=[{"question": f"Q{i}?", "external_data": at_limit} for i in range(MAX_QUESTIONS)])
    before = db.counts()
    refused(db, db.rpc(body, owner), "$", before)


def test_200_questions_are_accepted_and_201_are_refused(db: TestDatabase, owner: User) -> None:
    accepted = db.rpc(minimal_body(questions=[f"Question {i}?" for i in range(MAX_QUESTIONS)]), owner)
    assert accepted.status == 200 and accepted.body["questions_created"] == MAX_QUESTIONS

    before = db.counts()
    response = db.rpc(minimal_body(questions=[f"Question {i}?" for i in range(MAX_QUESTIONS + 1)]), owner)
    refused(db, response, "questions", before)
    assert f"at most {MAX_QUESTIONS} items (it has {MAX_QUESTIONS + 1})" in response.body["message"]


def body_field(name: str) -> Callable[[str], Body]:
    return lambda text: minimal_body(**{name: text})


def question_field(name: str) -> Callable[[str], Body]:
    return lambda text: minimal_body(questions=[{"question": "Q?", name: text}])


# (field, maximum length in characters, body with a text of that length, path of the 422)
TEXT_LIMITS: list[tuple[str, int, Callable[[str], Body], str]] = [
    ("name", 200, body_field("name"), "name"),
    ("location", 200, body_field("location"), "location"),
    ("description", 20000, body_field("description"), "description"),
    ("code", 100, body_field("code"), "code"),
    ("interview_department", 200, body_field("interview_department"), "interview_department"),
    ("interview_salary", 200, body_field("interview_salary"), "interview_salary"),
    ("description_long", 100000, body_field("description_long"), "description_long"),
    ("candidate_expectations", 5000, body_field("candidate_expectations"), "candidate_expectations"),
    ("instructional_video_custom_text", 2000, body_field("instructional_video_custom_text"),
     "instructional_video_custom_text"),
    ("welcome_message", 2000, body_field("welcome_message"), "welcome_message"),
    ("thank_you_message", 2000, body_field("thank_you_message"), "thank_you_message"),
    ("interview_tone", 200, body_field("interview_tone"), "interview_tone"),
    ("idempotency_key", 200, body_field("idempotency_key"), "idempotency_key"),
    ("cover_image_url", 2048, lambda t: minimal_body(cover_image_url="https://x.test/" + t[15:]), "cover_image_url"),
    ("tag", 200, lambda t: minimal_body(tags=[t]), "tags[0]"),
    ("question", 2000, lambda t: minimal_body(questions=[{"question": t}]), "questions[0].question"),
    ("question as a plain string", 2000, lambda t: minimal_body(questions=[t]), "questions[0].question"),
    ("label", 200, question_field("label"), "questions[0].label"),
    ("id", 200, question_field("id"), "questions[0].id"),
    ("external_id", 200, question_field("external_id"), "questions[0].external_id"),
    ("question alternative", 2000, lambda t: minimal_body(questions=[{"question": "Q?", "question_alternatives": [t]}]),
     "questions[0].question_alternatives[0]"),
]


@pytest.mark.parametrize(("field", "limit", "make", "path"), TEXT_LIMITS, ids=[c[0] for c in TEXT_LIMITS])
def test_each_text_is_accepted_at_its_length_limit_and_refused_one_past_it(
    db: TestDatabase, owner: User, field: str, limit: int, make: Callable[[str], Body], path: str
) -> None:
    # Characters, not bytes: a limit of 200 holds 200 four-byte emoji.
    text = ("\U0001F600" if field not in ("cover_image_url", "idempotency_key") else "k") * limit
    accepted = db.rpc(make(text), owner)
    assert accepted.status == 200, accepted.body

    before = db.counts()
    response = db.rpc(make(text + "x"), owner)
    refused(db, response, path, before)


def test_every_text_field_of_the_rules_is_accepted_at_its_limit_and_refused_one_past_it(
    db: TestDatabase, owner: User
) -> None:
    # from the rule table itself: a new text field of the body is covered without a line here
    rules = db.admin.execute(
        "select field, max_length from interview_private.request_field_rules() "
        "where scope = 'body' and kind = 'text' and max_length is not null and pattern is null order by ordinal"
    ).fetchall()
    assert len(rules) >= 10
    for rule in rules:
        field, limit = rule["field"], rule["max_length"]
        accepted = db.rpc(minimal_body(**{field: "k" * limit}), owner)
        assert accepted.status == 200, (field, accepted.body)
        before = db.counts()
        refused(db, db.rpc(minimal_body(**{field: "k" * (limit + 1)}), owner), field, before)


@pytest.mark.parametrize(("make", "count", "path"), [
    (lambda n: minimal_body(tags=[f"tag {i}" for i in range(n)]), 100, "tags"),
    (lambda n: minimal_body(questions=[{"question": "Q?", "question_alternatives": [f"A{i}" for i in range(n)]}]),
     20, "questions[0].question_alternatives"),
], ids=["tags", "question_alternatives"])
def test_each_list_is_accepted_at_its_item_limit_and_refused_one_past_it(
    db: TestDatabase, owner: User, make: Callable[[int], Body], count: int, path: str
) -> None:
    assert db.rpc(make(count), owner).status == 200
    before = db.counts()
    refused(db, db.rpc(make(count + 1), owner), path, before)
