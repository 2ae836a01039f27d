"""Every limit of the request at its exact bound and one past it, as the contract
(/work/shared/spec/api.md, docs/reference.md "Limits") states it:

* the body: 2 MiB, 2,097,152 bytes of the body as jsonb: a valid body of exactly
  that size is accepted, one byte more is a 422 at ``$``;
* nesting: 64 levels of objects and arrays (the body object is the first):
  64 accepted, 65 refused at ``$``, whether the innermost container holds a value
  or is empty;
* numbers: within a double's range: the largest finite double (and its negative)
  and the smallest positive normal double are accepted, numbers past them (which
  no double holds) are refused;
* description (20,000 characters) and description_long (100,000).

Each refusal writes nothing. tests/test_rpc_limits.py covers the per-field texts,
lists, 200 questions, additional_context and external_data at their bounds.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from interview_db.postgrest import call_rpc

from .helpers import RPC, TestDatabase, User, minimal_body, recursion_limit
from .test_rpc_limits import BODY_LIMIT, body_of_size, serialized_size

MAX_DEPTH = 64
DBL_MAX = "1.7976931348623157e308"  # the largest finite double
PAST_DBL_MAX = "1.7976931348623159e308"  # rounds to infinity: no double holds it
DBL_MIN_NORMAL = "2.2250738585072014e-308"  # the smallest positive normal double
UNDERFLOW = "1e-324"  # below the smallest subnormal (4.94e-324): rounds to zero in every double


@pytest.fixture
def owner(db: TestDatabase) -> User:
    return db.owner()


def refused_at(db: TestDatabase, response: Any, details: str, before: dict[str, int]) -> None:
    assert (response.status, response.body["code"], response.body["details"]) == (422, "PT422", details), \
        response.body
    assert db.counts() == before


# -- the body: 2,097,152 bytes as jsonb ----------------------------------------------------


def test_a_body_of_exactly_2_mib_as_jsonb_is_accepted(db: TestDatabase, owner: User) -> None:
    body = body_of_size(db, BODY_LIMIT)
    assert serialized_size(db, body) == 2_097_152
    response = db.rpc(body, owner)
    assert response.status == 200, response.body
    assert response.body["questions_created"] == 200


def test_a_body_one_byte_over_2_mib_as_jsonb_is_refused_at_the_root(db: TestDatabase, owner: User) -> None:
    body = body_of_size(db, BODY_LIMIT + 1)
    assert serialized_size(db, body) == 2_097_153
    before = db.counts()
    response = db.rpc(body, owner)
    refused_at(db, response, "$", before)
    assert "the request body is 2097153 bytes; the limit is 2097152" in response.body["message"]


# -- nesting: 64 levels, the body object being the first --------------------------------------


def nested_objects(levels: int, innermost: Any) -> Any:
    """``levels`` objects, each the only value of the one before: {"a": {"a": ... innermost}}."""
    value = innermost
    for _ in range(levels):
        value = {"a": value}
    return value


def nested_arrays(levels: int, innermost: Any) -> Any:
    value = innermost
    for _ in range(levels):
        value = [value]
    return value


def with_nesting(total_levels: int, kind: str, innermost: Any) -> dict[str, Any]:
    """A valid body whose deepest container is at ``total_levels`` (the body is level 1)."""
    if kind == "objects in additional_context":
        # body (1) > additional_context (2) > ... : total_levels - 1 objects from additional_context down
        return minimal_body(additional_context=nested_objects(total_levels - 1, innermost))
    # body (1) > questions (2) > question (3) > external_data (4) > arrays (5 ...)
    external_data = {"a": nested_arrays(total_levels - 4, innermost)}
    return minimal_body(questions=[{"question": "Q?", "external_data": external_data}])


KINDS = ["objects in additional_context", "arrays in a question's external_data"]


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


@pytest.mark.parametrize("kind", KINDS)
def test_64_levels_of_nesting_are_accepted(db: TestDatabase, owner: User, kind: str) -> None:
    body = with_nesting(MAX_DEPTH, kind, "leaf")
    assert depth_of(body) == MAX_DEPTH
    with recursion_limit(10_000):
        response = db.rpc(body, owner)
        assert response.status == 200, response.body
        stored = db.interview(response.body["interview_def_set_id"])
    if kind.startswith("objects"):
        assert stored["creation_parameters"]["additional_context"] == body["additional_context"]


@pytest.mark.parametrize("innermost", ["leaf", [], {}], ids=["a value", "an empty array", "an empty object"])
@pytest.mark.parametrize("kind", KINDS)
def test_65_levels_of_nesting_are_refused_at_the_root(db: TestDatabase, owner: User, kind: str, innermost: Any) -> None:
    """An empty container at level 65 nests 65 levels as much as one holding a value."""
    body = with_nesting(MAX_DEPTH + 1, kind, innermost) if innermost == "leaf" else \
        with_nesting(MAX_DEPTH, kind, innermost)
    assert depth_of(body) == MAX_DEPTH + 1
    before = db.counts()
    with recursion_limit(10_000):
        response = db.rpc(body, owner)
    refused_at(db, response, "$", before)
    assert "more than 64 levels" in response.body["message"]


# -- numbers: within a double's range ---------------------------------------------------


def call_with_number(db: TestDatabase, owner: User, literal: str) -> Any:
    """additional_context {"n": <literal>}, the literal sent as written (no client
    parses it into a double first)."""
    text = json.dumps(minimal_body(additional_context={"n": "NUMBER"})).replace('"NUMBER"', literal)
    return call_rpc(db.api, RPC, None, owner.claims, raw_body=text)


@pytest.mark.parametrize("literal", [DBL_MAX, "-" + DBL_MAX, DBL_MIN_NORMAL, "-" + DBL_MIN_NORMAL, "0", "-0.0"])
def test_numbers_at_the_bounds_of_a_double_are_accepted_and_stored_as_sent(
    db: TestDatabase, owner: User, literal: str
) -> None:
    response = call_with_number(db, owner, literal)
    assert response.status == 200, response.body
    row = db.admin.execute(
        "select (creation_parameters -> 'additional_context' -> 'n') = %s::jsonb as same "
        "from public.interview_def_set where id = %s",
        (literal, response.body["interview_def_set_id"]),
    ).fetchone()
    assert row == {"same": True}


@pytest.mark.parametrize("literal", [PAST_DBL_MAX, "-" + PAST_DBL_MAX, UNDERFLOW, "-" + UNDERFLOW, "1e131071"])
def test_numbers_past_a_doubles_range_are_refused_at_the_root(db: TestDatabase, owner: User, literal: str) -> None:
    before = db.counts()
    response = call_with_number(db, owner, literal)
    refused_at(db, response, "$", before)
    assert "beyond the range of a double" in response.body["message"]


# -- the two long texts of the contract ---------------------------------------------------


@pytest.mark.parametrize(("field", "limit"), [("description", 20_000), ("description_long", 100_000)])
def test_description_and_description_long_at_their_length_and_one_past(
    db: TestDatabase, owner: User, field: str, limit: int
) -> None:
    text = "\U0001F600" * limit  # characters, not bytes
    accepted = db.rpc(minimal_body(**{field: text}), owner)
    assert accepted.status == 200, accepted.body

    before = db.counts()
    response = db.rpc(minimal_body(**{field: text + "x"}), owner)
    refused_at(db, response, field, before)
