"""The OpenAPI document against the RPC itself: bodies generated from the
document's request schema (hypothesis-jsonschema) are created and stored as
sent (after the documented trimming), and a body with one field made to break
its documented constraint, a value of a wrong JSON type included, gets a 422
that names that field in `details`: never a 5xx, never a silent cast.

The document cannot state every rule (references to rows, a date in the future,
rules between fields): the generator of valid bodies is narrowed to avoid them,
with real template ids and language codes and no merchant, knowledge base or
recruiter ids."""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from interview_db.openapi import NON_BLANK, PATH
from interview_db.project import find_project

from .conftest import _janitor, unique_dbname
from .helpers import DeployedCluster, TestDatabase, User

DOCUMENT: dict[str, Any] = json.loads(find_project().openapi_file.read_text(encoding="utf-8"))
OPERATION = DOCUMENT["paths"][PATH]["post"]
_counter = itertools.count()


def resolve(schema: Any) -> Any:
    """The schema with every #/components/schemas/... reference inlined (the document has no cycles)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return resolve(DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
        return {k: resolve(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [resolve(v) for v in schema]
    return schema


REQUEST = resolve(OPERATION["requestBody"]["content"]["application/json"]["schema"])
RESPONSE = resolve(OPERATION["responses"]["200"]["content"]["application/json"]["schema"])
ERROR = resolve(OPERATION["responses"]["422"]["content"]["application/json"]["schema"])
REQUEST_VALIDATOR = Draft202012Validator(REQUEST)


@dataclass(frozen=True)
class Reality:
    """What the document cannot know: the deployed rows a valid body refers to."""

    owner: User
    templates: list[str]
    languages: list[str]  # enabled for interviews, with an Azure accent
    capable: list[str]  # and pronunciation-capable
    codes: list[str]  # every platform language


def reality(db: TestDatabase) -> Reality:
    cached = db.__dict__.get("_reality")
    if cached is None:
        rows = db.admin.execute(
            """
            select l.code, l.interview_interface and exists (
                     select from public.platform_language_accents as a where a.language_code = l.code) as usable,
                   l.pronunciation_capable
            from public.platform_languages as l order by l.code
            """
        ).fetchall()
        templates = [r["id"] for r in db.admin.execute(
            "select id::text as id from public.interview_templates where is_active and merchant_id is null order by id")]
        cached = Reality(
            owner=db.owner(coaching=True),  # so that type coaching is valid too
            templates=templates,
            languages=[r["code"] for r in rows if r["usable"]],
            capable=[r["code"] for r in rows if r["usable"] and r["pronunciation_capable"]],
            codes=[r["code"] for r in rows],
        )
        db.__dict__["_reality"] = cached
    return cached


@pytest.fixture(scope="module")
def shared_db(pg_server: DeployedCluster, template_db: str) -> Iterator[TestDatabase]:
    """One clone for the many small property tests of this module: each checks that its
    failed call wrote nothing, so none depends on another's rows."""
    name = unique_dbname("openapi")
    with _janitor(pg_server, name, template=template_db):
        database = TestDatabase(pg_server, name)
        try:
            yield database
        finally:
            database.close()


def _object_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The object alternative of a nullable object field."""
    return next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "object")


def valid_request_schema(real: Reality) -> dict[str, Any]:
    """The document's request schema, narrowed to what the database and the rules between fields accept."""
    schema = copy.deepcopy(REQUEST)
    props = schema["properties"]
    props["interview_template_id"] = {"enum": real.templates}
    props["mojito_language_code"] = {"enum": real.languages}
    for name in ("merchant_id", "knowledge_base_store_id", "recruiter_profile_id", "idempotency_key"):
        del props[name]  # ids of rows this test has not made; keys are made unique below
    interview_types = props["interview_type"]
    interview_types["enum"] = [v for v in interview_types["enum"] if v != "process-verification-from-knowledge-base"]
    props["interview_available_till"] = {"enum": [None, "2999-12-31", "2999-12-31T18:00:00Z", "2999-06-01 08:30"]}
    props["additional_context"]["maxProperties"] = 3
    props["tags"]["maxItems"] = 4
    props["questions"]["maxItems"] = 4
    question = props["questions"]["items"]["anyOf"][0]
    qprops = question["properties"]
    qprops["mojito_language_code"] = {"enum": [*real.languages, None]}
    for name in ("knowledge_base_id", "id", "external_id", "conditional_question_main_id", "is_conditional"):
        del qprops[name]  # references between the items are not JSON Schema
    question["additionalProperties"] = False
    qprops["question_alternatives"]["maxItems"] = 3
    qprops["external_data"]["maxProperties"] = 3
    _object_schema(props["pdf_export_auto_config"])["properties"]["mojito_language_code"] = {"enum": [*real.codes, None]}
    return schema


def _without_nul(value: Any) -> Any:
    """What the document's body description rules out in free-form values: U+0000 in a text
    (PostgreSQL cannot hold it) and numbers beyond about 1e-308..1e308 in magnitude."""
    if isinstance(value, str):
        return value.replace("\x00", "0")
    if isinstance(value, float) and value and not 1e-300 < abs(value) < 1e300:
        return 1.5
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def make_valid(body: dict[str, Any], real: Reality) -> dict[str, Any]:
    """The rules between fields that the narrowed schema cannot hold."""
    body = _without_nul(body)
    questions = [q for q in body["questions"] if isinstance(q, dict)]
    if body.get("required_pronunciation"):
        body["mojito_language_code"] = real.capable[0]
        for q in questions:
            if q.get("mojito_language_code") is not None:
                q["mojito_language_code"] = real.capable[-1]
    for q in questions:
        if q.get("is_multiple_choice") and len(q.get("question_alternatives") or []) < 2:
            q["question_alternatives"] = ["The first choice", "The second choice"]
    if next(_counter) % 3 == 0:
        body["idempotency_key"] = f"openapi-{next(_counter)}"
    return body


def strategy_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of a schema: hypothesis-jsonschema for each leaf, while an object's optional
    fields are each present half of the time (from_schema alone leaves most of them out)."""
    if "anyOf" in schema:
        return st.one_of(*(strategy_for(alternative) for alternative in schema["anyOf"]))
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind and len(kind) == 2 and kind[0] in ("object", "array"):
        return st.none() | strategy_for({**schema, "type": kind[0]})
    if kind == "object" and "properties" in schema:
        required = set(schema.get("required", []))
        fields = {name: strategy_for(prop) for name, prop in schema["properties"].items()}
        return st.fixed_dictionaries(
            {k: v for k, v in fields.items() if k in required}, optional={k: v for k, v in fields.items() if k not in required}
        )
    if kind == "array" and isinstance(schema.get("items"), dict) and "anyOf" in schema["items"]:
        return st.lists(strategy_for(schema["items"]), min_size=schema.get("minItems", 0), max_size=schema["maxItems"])
    return from_schema(schema)


_strategies: dict[tuple[str, ...], st.SearchStrategy[Any]] = {}


@st.composite
def valid_bodies(draw: st.DrawFn, real: Reality) -> dict[str, Any]:
    key = (*real.templates, "|", *real.languages, "|", *real.codes)
    if key not in _strategies:  # the same rows in every clone: build the strategy once
        _strategies[key] = strategy_for(valid_request_schema(real))
    body = make_valid(draw(_strategies[key]), real)
    assert not list(REQUEST_VALIDATOR.iter_errors(body)), body  # still within the document
    return body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_bodies_generated_from_the_document_are_created(shared_db: TestDatabase, data: st.DataObject) -> None:
    real = reality(shared_db)
    body = data.draw(valid_bodies(real))

    response = shared_db.rpc(body, real.owner)

    assert response.status == 200, (response.body, body)
    Draft202012Validator(RESPONSE).validate(response.body)
    assert ("embed_id" in response.body) == bool(body.get("is_embedded"))
    # no silent cast: each stored value is the sent one, after the documented trimming
    stored = shared_db.interview(response.body["interview_def_set_id"])
    for field in ("name", "location", "description"):
        assert stored[field] == body[field].strip(BLANK), field
    for field in ("code", "interview_department", "interview_salary", "candidate_expectations"):
        assert stored[field] == ((body.get(field) or "").strip(BLANK) or None), field
    for field in ("required_pronunciation", "instructional_video", "is_embedded"):
        assert stored[field] is bool(body.get(field)), field
    assert stored["result_enable_edit_transcript"] is (body.get("result_enable_edit_transcript") is not False)
    if body.get("max_followups") is not None:  # else the template's default
        assert stored["max_followups"] == body["max_followups"]
    assert stored["scoring_config"]["max_retries"] == (
        (body.get("custom_scoring") or {}).get("max_retries") or body.get("interview_attempts") or 1)
    for field in ("status", "type", "visibility", "recording", "recording_full_session", "result_view",
                  "candidate_video_introduction"):
        assert stored[field] == body.get(field), field


# -- one field that breaks its documented constraint ----------------------------

BLANK = " \t\r\n"  # what the documented trimming removes
JSON_KINDS: dict[str, Any] = {"string": "text", "number": 7.5, "integer": 3, "boolean": True,
                              "object": {"k": 1}, "array": [1], "null": None}
# Broken for the server's URL rule too (the document's pattern is stricter: ASCII only).
BAD_URLS = ["ftp://files.example", "example.com/page", "http://", "https:// spaced.example", "javascript:alert(1)"]


@dataclass(frozen=True)
class Violation:
    path: str  # the field's path, as `details` names it
    expected_status: int = 422


def _types(schema: dict[str, Any]) -> set[str]:
    """The JSON kinds a schema accepts."""
    if "anyOf" in schema:
        return set().union(*(_types(s) for s in schema["anyOf"]))
    kind = schema.get("type")
    found = {kind} if isinstance(kind, str) else set(kind or [])
    if None in schema.get("enum", []):
        found.add("null")
    return found


def bad_values(draw: st.DrawFn, schema: dict[str, Any], required: bool) -> list[Any]:
    """Values that each break one documented constraint of the field."""
    allowed = _types(schema)
    options: list[Any] = [
        value for kind, value in JSON_KINDS.items()
        if kind not in allowed and not (kind == "integer" and "number" in allowed)
        and not (kind == "null" and not required)
    ]
    alternatives = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    main = alternatives[0] if len(alternatives) == 1 else {}
    if "enum" in main:
        options.append(draw(st.text(max_size=20).filter(lambda s: s not in main["enum"] and "\x00" not in s)))
    pattern = main.get("pattern")
    if pattern == NON_BLANK:
        options.append(draw(st.text(alphabet=" \t\r\n", max_size=4)))
    elif pattern and "://" in pattern:
        options.append(draw(st.sampled_from(BAD_URLS)))
    elif pattern:
        options.append(draw(st.text(max_size=30).filter(lambda s: not re.search(pattern, s) and "\x00" not in s)))
    if main.get("maxLength"):
        options.append("x" * (main["maxLength"] + draw(st.integers(1, 5))))
    if main.get("minLength"):
        options.append("")
    if "minimum" in main:
        options.append(main["minimum"] - draw(st.sampled_from([1, 0.001, 1000])))
        if "integer" in _types(main):
            options.append(main["minimum"] + 0.5)
    if "maximum" in main:
        options.append(main["maximum"] + draw(st.sampled_from([1, 0.001, 1000])))
    if main.get("minItems"):
        options.append([])
    if main.get("maxItems"):
        options.append(["Question?"] * (main["maxItems"] + 1))
    if "items" in main:
        options.append([draw(st.sampled_from(bad_values(draw, main["items"], required=True)))])
    return options


@dataclass(frozen=True)
class Target:
    """A documented field: its path (``*`` for the index of a question) and schema."""

    path: str
    schema: dict[str, Any]
    required: bool


def _targets() -> list[Target]:
    targets: list[Target] = []

    def add(prefix: str, schema: dict[str, Any]) -> None:
        for name, prop in schema["properties"].items():
            targets.append(Target(f"{prefix}{name}", prop, name in schema.get("required", [])))

    props = REQUEST["properties"]
    question = props["questions"]["items"]["anyOf"][0]
    add("", REQUEST)
    add("questions[*].", question)
    add("questions[*].candidate_expectations_json.", _object_schema(question["properties"]["candidate_expectations_json"]))
    for name in ("custom_scoring", "pdf_export_auto_config", "hiring_for_company", "candidate_expectations_json"):
        add(f"{name}.", _object_schema(props[name]))
    return targets


TARGETS = _targets()


def _holder(draw: st.DrawFn, body: dict[str, Any], target: Target) -> tuple[dict[str, Any], str]:
    """The object of ``body`` that holds the target field (made present where it is a nested
    object, a question string made an object), and the field's real path."""
    holder, path = body, target.path
    parts = target.path.split(".")
    for part in parts[:-1]:
        if part == "questions[*]":
            index = draw(st.integers(0, len(body["questions"]) - 1))
            if not isinstance(body["questions"][index], dict):
                body["questions"][index] = {"question": body["questions"][index]}
            holder, path = body["questions"][index], path.replace("*", str(index), 1)
        else:
            if not isinstance(holder.get(part), dict):
                holder[part] = {}
            holder = holder[part]
    return holder, path


@st.composite
def violations(draw: st.DrawFn, real: Reality, target: Target) -> tuple[dict[str, Any], Violation]:
    body = draw(valid_bodies(real))
    holder, path = _holder(draw, body, target)
    field = path.rsplit(".", 1)[-1]
    # every parameter is jsonb: a value of any wrong kind reaches the function, which names it
    options = bad_values(draw, target.schema, target.required)
    kinds = (["value"] if options else []) + (["missing"] if target.required else [])
    assert kinds, f"{target.path}: no documented constraint to break"
    kind = draw(st.sampled_from(kinds))
    if kind == "missing":
        del holder[field]
    else:
        holder[field] = draw(st.sampled_from(options))
    return body, Violation(path)


def names_the_field(details: str | None, path: str) -> bool:
    return details is not None and (details == path or details.startswith((f"{path}.", f"{path}[")))


@pytest.mark.parametrize("target", TARGETS, ids=[t.path for t in TARGETS])
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                HealthCheck.filter_too_much])
@given(data=st.data())
def test_one_broken_field_gets_a_422_naming_it(shared_db: TestDatabase, target: Target, data: st.DataObject) -> None:
    real = reality(shared_db)
    body, violation = data.draw(violations(real, target))
    before = shared_db.counts()

    response = shared_db.rpc(body, real.owner)

    assert response.status == violation.expected_status, (violation.path, response.body, body)
    Draft202012Validator(ERROR).validate(response.body)
    assert response.body["code"] == "PT422"
    assert names_the_field(response.body["details"], violation.path), (violation.path, response.body)
    assert shared_db.counts() == before


def test_an_unknown_key_is_ignored_and_named_in_a_warning(shared_db: TestDatabase) -> None:
    db = shared_db
    real = reality(db)
    body = {**make_valid({"questions": ["Why us?"], "name": "Role", "location": "remote", "description": "About.",
                          "interview_template_id": real.templates[0], "mojito_language_code": real.languages[0],
                          "status": "draft", "type": "interview", "visibility": "merchant_public"}, real),
            "unexpected_key": 1}
    assert not list(REQUEST_VALIDATOR.iter_errors(body))  # the document allows it too
    response = db.rpc(body, real.owner)
    assert response.status == 200 and [w["path"] for w in response.body["warnings"]] == ["unexpected_key"]
    for scope in ("custom_scoring", "pdf_export_auto_config"):
        nested = {**{k: v for k, v in body.items() if k not in ("unexpected_key", "idempotency_key")},
                  scope: {"unexpected_key": True}}
        response = db.rpc(nested, real.owner)
        assert response.status == 200, response.body
        assert [w["path"] for w in response.body["warnings"]] == [f"{scope}.unexpected_key"]


def test_a_null_question_alternatives_means_absent(shared_db: TestDatabase) -> None:
    # Found by the generator above: it was a 400 (22023, "cannot get array length of a scalar")
    # once any question had an id, an external_id, a condition or multiple choice.
    real = reality(shared_db)
    body = make_valid({"name": "Role", "location": "remote", "description": "About.", "status": "draft",
                       "interview_template_id": real.templates[0], "mojito_language_code": real.languages[0],
                       "type": "interview", "visibility": "merchant_public",
                       "questions": [{"question": "First?", "question_alternatives": None},
                                     {"id": "q2", "question": "Second?"}]}, real)
    assert not list(REQUEST_VALIDATOR.iter_errors(body))
    response = shared_db.rpc(body, real.owner)
    assert response.status == 200, response.body
