"""Hostile input: deep JSON, huge strings, control and NUL characters, unicode
of every kind, numbers at the limits of numeric, arrays where objects belong,
in the whole body and in every field of the body and of a question. The call
never answers with a status >= 500 and a failed call writes nothing; text,
SQL included, is stored as given (trimmed).

Bodies are sent as JSON text, as PostgREST receives them: ``Raw`` puts a number
token into the text as written (1e131071 is no Python float). Unpaired UTF-16
surrogates are left out: json.dumps escapes them into text that is not valid
Unicode, which PostgreSQL rejects with 400 before anything runs.
"""

from __future__ import annotations

import json
from decimal import Decimal
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interview_db.postgrest import RpcResponse, call_rpc

from .helpers import (
    BODY_FIELDS,
    QUESTION_FIELDS,
    RPC,
    TestDatabase,
    User,
    minimal_body,
    recursion_limit,
)

FAILURE_STATUSES = {400, 401, 403, 404, 409, 422}
REALISTIC_DEPTH = 1000  # deeper than any body a real client sends
PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                           HealthCheck.too_slow, HealthCheck.data_too_large])


@dataclass(frozen=True)
class Raw:
    """A JSON token written into the body text as is."""

    token: str


def to_json(value: Any) -> str:
    """JSON text of ``value``, with every Raw token in place."""
    tokens: dict[str, str] = {}

    def mark(v: Any) -> Any:
        if isinstance(v, Raw):
            placeholder = f"raw-{uuid.uuid4().hex}"
            tokens[placeholder] = v.token
            return placeholder
        if isinstance(v, dict):
            return {k: mark(x) for k, x in v.items()}
        if isinstance(v, list):
            return [mark(x) for x in v]
        return v

    with recursion_limit(20_000):
        text = json.dumps(mark(value))
    for placeholder, token in tokens.items():
        text = text.replace(f'"{placeholder}"', token)
    return text


def has_raw(value: Any) -> bool:
    if isinstance(value, Raw):
        return True
    if isinstance(value, dict):
        return any(has_raw(v) for v in value.values())
    if isinstance(value, list):
        return any(has_raw(v) for v in value)
    return False


def nested(depth: int, shape: str, leaf: Any = 1) -> Any:
    """``leaf`` inside ``depth`` objects, arrays, or both in turn (built without recursion)."""
    value = leaf
    for level in range(depth):
        as_object = shape == "object" or (shape == "mixed" and level % 2 == 0)
        value = {"a": value} if as_object else [value]
    return value


# -- strategies ---------------------------------------------------------------

SPECIAL_TEXT = [
    "\u200f", "\u200e", "\u202e", "\u2066", "\u2069",  # bidi marks and isolates (RTL override)
    "\ufeff", "\u200b", "\u200d", "\u2028", "\u2029", "\u00a0", "\u3000", "\u0085",  # invisible, separators
    "e\u0301", "\u0308\u0308\u0308", "Z\u0351\u0324\u0353\u035a",  # combining marks
    "\U0001F600", "\U0001F469\u200d\U0001F4BB", "\U0001F1FA\U0001F1E6", "\U0001D54F",  # emoji, ZWJ, flags, astral
    "\ufdfa", "\uffff", "\ufffe", "\U0010ffff", "\x7f",  # noncharacters, DEL
    "שלום", "مرحبا", "日本語", "한국어",
    "'", '"', "\\", "$$", "%s", "{0}", "--", ";", "/*", "*/",
]
NUMBERS = [
    "1e131071", "-1e131071", "-1e-16383", "1e-16383", "1e400", "-1e400", "1E+308", "1e-400", "-0", "0e0",
    "123456789012345678901234567890123456789", "0.000000000000000000000000000001", "1e131072", "-1e-16384",
]
HUGE_TEXT = ["x" * 1_000_000, " " * 1_000_000, "\U0001F600" * 250_000, "é" * 1_000_000]

unicode_pieces = st.one_of(
    st.characters(exclude_categories=("Cs",)),  # any code point but a lone surrogate
    st.characters(min_codepoint=1, max_codepoint=0x1F),  # control characters
    st.sampled_from(SPECIAL_TEXT),
)
unicode_text = st.lists(unicode_pieces, max_size=40).map("".join)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False), unicode_text,
)
raw_numbers = st.sampled_from(NUMBERS).map(Raw)
deep_values = st.builds(nested, st.integers(1, REALISTIC_DEPTH), st.sampled_from(["object", "array", "mixed"]),
                        scalars | raw_numbers)
arrays_for_objects = st.lists(st.lists(scalars, max_size=3), min_size=1, max_size=3)
hostile_values = st.one_of(
    deep_values,
    st.sampled_from(HUGE_TEXT),
    unicode_text,
    unicode_text.map(lambda s: s + "\x00" + s),  # NUL: PostgreSQL's text and jsonb refuse it (400)
    raw_numbers,
    arrays_for_objects,
    st.lists(raw_numbers | scalars, max_size=5),
    st.dictionaries(unicode_text, raw_numbers | scalars | deep_values, max_size=3),
)


# -- the calls -----------------------------------------------------------------


@pytest.fixture
def owner(db: TestDatabase) -> User:
    return db.owner(coaching=True)


def send(db: TestDatabase, body: Any, user: User) -> RpcResponse:
    text = to_json(body)
    with recursion_limit(20_000):  # call_rpc reads the body's keys with Python's json, as PostgREST does
        return call_rpc(db.api, RPC, None, user.claims, raw_body=text)


def assert_no_5xx_and_no_partial_write(db: TestDatabase, body: Any, user: User) -> RpcResponse:
    before = db.counts()
    response = send(db, body, user)
    after = db.counts()
    shown = to_json(body)[:300]
    assert response.status < 500, (response.status, response.body, shown)
    if response.status == 200 and after == before:
        # an idempotent replay: the same key and body as an earlier example; it returns that interview
        assert isinstance(body, dict) and "idempotency_key" in body, (response.body, shown)
        db.interview(response.body["interview_def_set_id"])
    elif response.status == 200:
        assert after["public.interview_def_set"] == before["public.interview_def_set"] + 1
    else:
        assert response.status in FAILURE_STATUSES, (response.status, response.body, shown)
        assert after == before, (response.body, shown)
    return response


def as_json_value(text: str) -> Any:
    """A JSON text as a value whose numbers are exact (JSON's numbers are decimals: the float
    2.171307777878735e+16 the client sent is the number 21713077778787350 that jsonb stores)."""
    with recursion_limit(20_000):
        return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def stored_additional_context(db: TestDatabase, set_id: str) -> Any:
    row = db.admin.execute(
        "select (creation_parameters -> 'additional_context')::text as value from public.interview_def_set where id = %s",
        (set_id,),
    ).fetchone()
    assert row is not None
    return as_json_value(row["value"])


@settings(PROPERTY, max_examples=90)
@given(field=st.sampled_from(BODY_FIELDS), value=hostile_values, wrap=st.booleans())
def test_hostile_values_in_any_body_field_never_give_5xx_or_a_partial_write(
    db: TestDatabase, owner: User, field: str, value: Any, wrap: bool
) -> None:
    body = minimal_body(questions=[{"id": "a", "question": "First?"}, {"id": "b", "question": "Second?"}])
    body[field] = {"nested": value} if wrap else value
    response = assert_no_5xx_and_no_partial_write(db, body, owner)
    if response.status == 200 and field == "additional_context" and not has_raw(body[field]):
        with recursion_limit(20_000):
            sent = json.dumps(body[field])
        assert stored_additional_context(db, response.body["interview_def_set_id"]) == as_json_value(sent)


def test_a_number_beyond_a_doubles_integers_is_stored_as_the_decimal_the_client_sent(
    db: TestDatabase, owner: User
) -> None:
    # found by the property above: the float 2.171307777878735e+16 is the JSON number 21713077778787350
    body = minimal_body(additional_context={"a": 2.171307777878735e+16})
    response = assert_no_5xx_and_no_partial_write(db, body, owner)
    assert response.status == 200
    assert stored_additional_context(db, response.body["interview_def_set_id"]) == {"a": Decimal("21713077778787350")}


@settings(PROPERTY, max_examples=70)
@given(field=st.sampled_from(QUESTION_FIELDS), value=hostile_values, index=st.integers(0, 2),
       as_item=st.booleans())
def test_hostile_values_in_any_question_field_never_give_5xx_or_a_partial_write(
    db: TestDatabase, owner: User, field: str, value: Any, index: int, as_item: bool
) -> None:
    questions: list[Any] = [{"id": f"q{i}", "question": f"Question {i}?"} for i in range(3)]
    if as_item:
        questions[index] = value  # the item itself: a deep array, a huge string, a number...
    else:
        questions[index][field] = value
    assert_no_5xx_and_no_partial_write(db, minimal_body(questions=questions), owner)


@settings(PROPERTY, max_examples=50)
@given(body=st.one_of(
    hostile_values,
    st.dictionaries(unicode_text, hostile_values, max_size=4),  # unknown keys of every kind
    st.lists(st.dictionaries(st.sampled_from(BODY_FIELDS), scalars, max_size=3), min_size=1, max_size=3),
    st.builds(lambda extra, value: {**minimal_body(), extra: value}, unicode_text, hostile_values),
))
def test_a_hostile_whole_body_never_gives_5xx_or_a_partial_write(db: TestDatabase, owner: User, body: Any) -> None:
    assert_no_5xx_and_no_partial_write(db, body, owner)


@settings(PROPERTY, max_examples=80)
@given(text=st.one_of(unicode_text, unicode_text.map(lambda s: f" \t{s}\r\n "), st.sampled_from(HUGE_TEXT)),
       where=st.sampled_from(["name", "description", "question"]))
def test_any_text_is_stored_exactly_as_sent_after_trimming_or_refused_whole(
    db: TestDatabase, owner: User, text: str, where: str
) -> None:
    limit, path = {"name": (200, "name"), "description": (2000, "description"),
                   "question": (2000, "questions[0].question")}[where]
    if where == "question":
        body = minimal_body(questions=[{"question": text}], disable_deduplication=True)
    else:
        body = minimal_body(**{where: text})
    before = db.counts()
    response = send(db, body, owner)
    trimmed = text.strip(" \t\r\n")

    if "\x00" in text:  # PostgreSQL text cannot hold NUL: PostgREST's cast refuses it
        assert (response.status, response.body["code"]) == (400, "22P05"), response.body
    elif not 1 <= len(trimmed) <= limit:
        assert (response.status, response.body["details"]) == (422, path), response.body
    else:
        assert response.status == 200, response.body
        set_id = response.body["interview_def_set_id"]
        stored = (db.steps(set_id)[1]["question"] if where == "question"
                  else db.interview(set_id)[where])
        assert stored == trimmed
        return
    assert db.counts() == before


# -- SQL is text ---------------------------------------------------------------

SQL_TEXTS = [
    "'); drop table public.merchants; --",
    "Robert'); DROP TABLE public.interview_def_set;--",
    "x' or '1'='1",
    "$$; select pg_sleep(10); $$",
    "'; update public.profiles set role = 'admin'; --",
    '"); select auth.uid(); --',
    "\\'; copy public.merchants to program 'id'; --",
]


@pytest.mark.parametrize("text", SQL_TEXTS)
def test_sql_in_every_text_is_stored_verbatim_and_never_run(db: TestDatabase, owner: User, text: str) -> None:
    body = minimal_body(
        name=f"  {text}  ",
        location=text,
        description=f"\n{text}\t",
        tags=[text[:64]],
        idempotency_key=text,
        additional_context={text: text},
        questions=[{"question": f" {text} ", "label": text, "id": text, "external_id": text,
                    "external_data": {text: [text]}, "question_alternatives": [text, text + "!"]}],
    )
    response = db.rpc(body, owner)
    assert response.status == 200, response.body

    stored = db.interview(response.body["interview_def_set_id"])
    assert (stored["name"], stored["location"], stored["description"], stored["tags"]) == (
        text, text, text, [text[:64]])
    assert stored["creation_parameters"]["additional_context"] == {text: text}
    question = db.steps(response.body["interview_def_set_id"])[1]
    assert (question["question"], question["label"], question["caller_question_id"]) == (text, text, text)
    assert question["external_data"] == {text: [text]} and question["question_alternatives"] == [text, text + "!"]
    assert db.rpc(body, owner).body == response.body  # the key, SQL and all, finds its first response
    assert db.admin.execute("select count(*) as n from public.merchants").fetchone()["n"] >= 1
    assert db.admin.execute("select role::text as role from public.profiles where id = %s",
                            (owner.id,)).fetchone()["role"] == "merchant_owner"


def test_an_unknown_key_that_is_sql_is_named_in_a_warning_and_never_run(db: TestDatabase, owner: User) -> None:
    key = "name'); drop table public.merchants; --"
    response = db.rpc({**minimal_body(), key: "x"}, owner)

    assert response.status == 200, response.body
    assert [(w["path"], w["code"]) for w in response.body["warnings"]] == [(key, "ignored_key")]
    assert key in response.body["warnings"][0]["message"]
    assert db.admin.execute("select to_regclass('public.merchants') is not null as ok").fetchone()["ok"]


# -- numbers at the limits of numeric -----------------------------------------

NUMBER_CASES = [
    # (where, token, status, details): a number beyond a double's range is refused by
    # the body's limits, before any check that could write it out ($), wherever it is
    ("interview_attempts", "1e131071", 422, "$"),
    ("interview_attempts", "1e400", 422, "$"),
    ("max_followups", "-1e-16383", 422, "$"),
    ("questions_random_subset", "-1e131071", 422, "$"),
    ("question.duration", "1e400", 422, "$"),
    ("question.duration", "-1e-16383", 422, "$"),
    ("custom_scoring.max_score", "1e131071", 422, "$"),
    ("is_embedded", "1e400", 422, "$"),
    # within a double's range, out of the field's: the field is named
    ("interview_attempts", "1e300", 422, "interview_attempts"),
    ("question.duration", "-1e-300", 422, "questions[0].duration"),  # (1e-300 is more than 0: one second)
    # beyond numeric itself: PostgreSQL's JSON parser refuses it before the function runs
    ("interview_attempts", "1e131072", 400, None),
    ("question.duration", "-1e-16384", 400, None),
]


@pytest.mark.parametrize(("where", "token", "status", "details"), NUMBER_CASES)
def test_numbers_at_the_limits_of_numeric_are_refused_cleanly(
    db: TestDatabase, owner: User, where: str, token: str, status: int, details: str | None
) -> None:
    body = minimal_body()
    if where.startswith("question."):
        body["questions"] = [{"question": "How long?", where.split(".")[1]: Raw(token)}]
    elif where.startswith("custom_scoring."):
        body["custom_scoring"] = {where.split(".")[1]: Raw(token)}
    else:
        body[where] = Raw(token)
    before = db.counts()
    response = send(db, body, owner)

    assert response.status == status, response.body
    if details is not None:
        assert response.body["details"] == details
    assert db.counts() == before


# -- NUL ------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["name", "question", "tag", "additional_context key", "external_data value"])
def test_a_nul_character_anywhere_is_a_400_that_writes_nothing(db: TestDatabase, owner: User, where: str) -> None:
    nul = "before\x00after"
    body = minimal_body()
    if where == "name":
        body["name"] = nul
    elif where == "question":
        body["questions"] = [nul]
    elif where == "tag":
        body["tags"] = [nul]
    elif where == "additional_context key":
        body["additional_context"] = {nul: 1}
    else:
        body["questions"] = [{"question": "Q?", "external_data": {"k": nul}}]
    before = db.counts()
    response = db.rpc(body, owner)

    assert (response.status, response.body["code"]) == (400, "22P05"), response.body
    assert db.counts() == before


# -- nesting depth -------------------------------------------------------------


def deep_body(depth: int, shape: str) -> str:
    """additional_context nested ``depth`` levels, as JSON text built without recursion."""
    inner = '{"a": ' * depth + "1" + "}" * depth if shape == "object" else "[" * depth + "1" + "]" * depth
    body = json.dumps(minimal_body())
    return body[:-1] + ', "additional_context": {"x": ' + inner + "}}"


def call_raw(db: TestDatabase, user: User, text: str) -> RpcResponse:
    with recursion_limit(200_000):
        return call_rpc(db.api, RPC, None, user.claims, raw_body=text)


@pytest.mark.parametrize("shape", ["object", "array"])
def test_nesting_fails_only_at_the_servers_stack_limit_far_beyond_realistic_depths(
    db: TestDatabase, owner: User, shape: str, record_property: Any
) -> None:
    """The depth where PostgreSQL's recursive JSON code exhausts max_stack_depth
    (54001) is measured, not assumed: it depends on the server and its settings.
    Up to REALISTIC_DEPTH every call is answered < 500 (the property tests above
    send up to that depth in every field); past the stack limit the body cannot
    be parsed at all and PostgreSQL fails with 54001, writing nothing."""
    ok, failing = REALISTIC_DEPTH, 30_000
    assert call_raw(db, owner, deep_body(ok, shape)).status < 500
    assert call_raw(db, owner, deep_body(failing, shape)).status >= 500
    while failing - ok > 1:
        middle = (ok + failing) // 2
        if call_raw(db, owner, deep_body(middle, shape)).status >= 500:
            failing = middle
        else:
            ok = middle

    below = call_raw(db, owner, deep_body(ok, shape))
    before = db.counts()
    at_limit = call_raw(db, owner, deep_body(failing, shape))
    server = db.admin.execute("select current_setting('server_version') as version, "
                              "current_setting('max_stack_depth') as stack").fetchone()
    record_property(f"first_failing_depth_{shape}", failing)
    print(f"\nPostgreSQL {server['version']}, max_stack_depth {server['stack']}: {shape}s nested {failing} levels deep fail "
          f"with {at_limit.status} {at_limit.body['code']}; {ok} levels are answered with {below.status}")
    assert failing > 5 * REALISTIC_DEPTH
    assert below.status < 500
    assert (at_limit.status, at_limit.body["code"]) == (500, "54001"), at_limit.body
    assert db.counts() == before
