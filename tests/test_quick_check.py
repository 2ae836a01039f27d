"""The quick check (interview_private.passes_field_rules, generated from the rule
table) against the walk of the rule table (interview_private.first_invalid_field):
it is checked in as generated, it passes valid bodies, and it never passes a body
the walk refuses: not one value that breaks a rule, at each rule's bounds, nor any
generated body."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, assume, given, settings

from interview_db.bench import request_body
from interview_db.field_rules import FieldRule, read_rules
from interview_db.project import Project
from interview_db.quick_check import generate, path

from .helpers import TestDatabase, example_body, minimal_body
from .strategies import mutated_bodies

JSON_TYPES: list[Any] = [None, True, 0, 1.5, "x", "", " \t ", [], ["x"], {}, {"x": 1}]


def judge(db: TestDatabase, body: Any) -> tuple[bool, str | None]:
    """(the quick check's answer, the walk's first invalid path) for one body."""
    row = db.admin.execute(
        "select interview_private.passes_field_rules(%(b)s::jsonb) as quick, "
        "(interview_private.first_invalid_field(%(b)s::jsonb)).path as walk",
        {"b": json.dumps(body)},
    ).fetchone()
    assert row is not None
    return bool(row["quick"]), row["walk"]


def test_the_checked_in_quick_check_is_generated_from_the_rules(db: TestDatabase, project: Project) -> None:
    with psycopg.connect(db.url) as conn:
        generated = generate(read_rules(conn))
    assert path(project).read_text(encoding="utf-8") == generated, (
        "sql/functions/interview_private.passes_field_rules.sql is out of date: run `interview-db quick-check --write`"
    )


def test_the_quick_check_passes_valid_bodies(db: TestDatabase) -> None:
    full = example_body()
    full["questions"].append("A plain string question?")
    for body in [minimal_body(), full, request_body(10, "a"), request_body(200, "b")]:
        assert judge(db, body) == (True, None), body


def test_a_body_the_quick_check_does_not_judge_goes_to_the_walk(db: TestDatabase) -> None:
    # what needs a warning goes to the walk, which finds nothing invalid (the warnings
    # are computed only then): an ignored key (a near miss of a question field too), an
    # empty tag or expectation, a fractional duration; a blank optional URL is absent
    assert judge(db, minimal_body(extra=None)) == (False, None)
    assert judge(db, minimal_body(questions=[{"question": "Why?", "my_own_key": 1}])) == (False, None)
    assert judge(db, minimal_body(questions=[{"question": "Why?", "duraton": 60}])) == (False, None)
    assert judge(db, minimal_body(tags=["a", " "])) == (False, None)
    assert judge(db, minimal_body(candidate_expectations_json={"weak": [""]})) == (False, None)
    assert judge(db, minimal_body(questions=[{"question": "Why?", "duration": 45.5}])) == (False, None)
    assert judge(db, minimal_body(custom_scoring={"weighting": 1})) == (False, None)
    assert judge(db, minimal_body(cover_image_url=" ")) == (True, None)


def test_the_quick_check_passes_nothing_but_an_object_of_fields(db: TestDatabase) -> None:
    # the key test runs first and takes the minus only of an object: anything else, SQL null
    # included, is no pass (and no error), as is an object with a key that is not a field
    quick = "select interview_private.passes_field_rules(%s::jsonb) as quick"
    for body in ["null", "[]", '["name"]', '"name"', "1", "true", "{}", '{"questions": null, "other": null}']:
        assert db.admin.execute(quick, (body,)).fetchone() == {"quick": False}, body
    assert db.admin.execute(quick, (None,)).fetchone() == {"quick": False}


def _bad_values(rule: FieldRule) -> list[Any]:
    """Values at and past the rule's bounds, and every JSON type."""
    values: list[Any] = list(JSON_TYPES)
    for n in (rule.min_length, rule.max_length):
        if n is not None:
            values += ["y" * n, "y" * (n + 1), "y" * max(n - 1, 0), " " + "y" * n + " ", "\n" * (n + 1)]
            values += [["y" * n], ["y" * (n + 1)], [" " * n]]
    for v in (rule.min_value, rule.max_value):
        if v is not None:
            values += [v, v - 1, v + 1, v + Decimal("0.5"), v - Decimal("0.001")]
    if rule.max_items is not None:
        values += [["y"] * rule.max_items, ["y"] * (rule.max_items + 1), [{"question": "Why?"}] * (rule.max_items + 1)]
    values += [a + "x" for a in rule.allowed or []] + list(rule.allowed or [])
    values += ["00000000-0000-4000-8000-00000000000g", "ab1", "2030-13-45", "2030-12-31T25:00:00Z", "ftp://x.test",
               "http://user@x.test", "http://x.test/é", "EN", "e"]
    return [float(v) if isinstance(v, Decimal) else v for v in values]


def _place(rule: FieldRule, value: Any) -> dict[str, Any]:
    """A valid body with the value at the rule's field, in its scope."""
    body = copy.deepcopy(example_body())
    question = body["questions"][0]
    targets: dict[str, dict[str, Any]] = {
        "body": body,
        "question": question,
        "custom_scoring": body.setdefault("custom_scoring", {}),
        "pdf_export_auto_config": body.setdefault("pdf_export_auto_config", {}),
        "hiring_for_company": body.setdefault("hiring_for_company", {}),
        "candidate_expectations": question.setdefault("candidate_expectations_json", {}),
    }
    targets[rule.scope][rule.field] = value
    return body


def test_the_quick_check_never_passes_a_value_the_walk_refuses(db: TestDatabase) -> None:
    with psycopg.connect(db.url) as conn:
        rules = read_rules(conn)
    refused = passed = 0
    for rule in rules:
        for value in _bad_values(rule):
            body = _place(rule, value)
            quick, walk = judge(db, body)
            assert not (quick and walk is not None), (rule.scope, rule.field, value, walk)
            refused += walk is not None
            passed += quick
    # the test looked at many refusals, and the quick check passed the valid values among them
    assert refused > 1000 and passed > 100, (refused, passed)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(body=mutated_bodies())
def test_the_quick_check_never_passes_a_generated_body_the_walk_refuses(db: TestDatabase, body: dict[str, Any]) -> None:
    assume("\\u0000" not in json.dumps(body))  # jsonb cannot hold it (the RPC refuses it before either runs)
    quick, walk = judge(db, body)
    assert not (quick and walk is not None), (walk, body)


def test_the_generator_checks_no_more_than_the_walk_does(db: TestDatabase) -> None:
    # rules of a shape the walk does not check are refused, not turned into checks
    # the walk would not make (which could pass what it refuses)
    with psycopg.connect(db.url) as conn:
        rules = read_rules(conn)
    nested = [replace(r, nested_scope="custom_scoring") if (r.scope, r.field) == ("question", "external_data") else r
              for r in rules]
    with pytest.raises(ValueError, match="question.external_data"):
        generate(nested)
    renamed = [replace(r, field="items") if (r.scope, r.field) == ("body", "questions") else r for r in rules]
    with pytest.raises(ValueError, match="body.questions"):
        generate(renamed)
    # a text rule without a trimming flag is measured untrimmed, as the walk does
    untrimmed = [replace(r, trimmed=None) if (r.scope, r.field) == ("body", "code") else r for r in rules]
    assert "pg_catalog.char_length((p_body ->> 'code')) <= 100" in generate(untrimmed)
