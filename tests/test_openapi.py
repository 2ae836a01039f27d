"""The OpenAPI document: regenerated from the deployed rule table, it equals the
checked-in copy byte for byte, and it is a valid OpenAPI 3.1 document whose
request schema has every field of the rule table."""

from __future__ import annotations

import json
from typing import Any

import psycopg
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from interview_db.cli import main
from interview_db.openapi import PATH, generate, read_rules
from interview_db.project import Project

from .helpers import TestDatabase


def test_the_checked_in_document_is_what_the_rules_generate(db: TestDatabase, project: Project) -> None:
    with psycopg.connect(db.url, autocommit=True) as conn:
        generated = generate(conn, project)
    checked_in = project.openapi_file.read_text(encoding="utf-8")
    assert generated == checked_in, (
        "openapi/job_interview_create_from_array.json is out of date: "
        "run `interview-db openapi --output openapi/job_interview_create_from_array.json`"
    )


def test_every_rule_is_a_property_with_its_constraints(db: TestDatabase, project: Project) -> None:
    document = json.loads(project.openapi_file.read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    with psycopg.connect(db.url, autocommit=True) as conn:
        rules = read_rules(conn)
    names = {"body": "CreateInterviewRequest", "question": "Question", "custom_scoring": "CustomScoring",
             "pdf_export_auto_config": "PdfExportAutoConfig", "hiring_for_company": "HiringForCompany",
             "candidate_expectations": "CandidateExpectations"}
    for rule in rules:
        schema = schemas[names[rule.scope]]
        if rule.field == "*":
            assert schema["additionalProperties"] is (rule.kind != "closed"), rule.scope
            continue
        prop = schema["properties"][rule.field]
        assert rule.description in prop["description"] and (rule.hint or "") in prop["description"]
        assert (rule.field in schema.get("required", [])) == rule.required, rule
        flat = json.dumps(prop)
        if rule.allowed:
            assert all(f'"{value}"' in flat for value in rule.allowed), rule
        if rule.max_length and rule.kind not in ("object",):
            assert f'"maxLength": {rule.max_length}' in flat, rule
        if rule.min_value is not None and rule.kind == "seconds":  # more than min_value
            assert f'"exclusiveMinimum": {rule.min_value}' in flat and '"maximum"' in flat, rule
        elif rule.min_value is not None:
            assert '"minimum"' in flat and '"maximum"' in flat, rule
        if rule.pattern:  # the validation's own pattern, not a restatement of it
            assert json.dumps(rule.pattern) in flat, rule
    body = schemas["CreateInterviewRequest"]
    assert body["required"] == ["name", "location", "interview_template_id", "mojito_language_code", "description",
                                "status", "type", "visibility", "questions"]
    # every parameter is jsonb: a JSON value of the wrong kind is the function's 422, not PostgREST's 400
    assert "x-parameter-type" not in json.dumps(body)


def test_the_document_is_openapi_3_1_with_every_status(project: Project) -> None:
    document: dict[str, Any] = json.loads(project.openapi_file.read_text(encoding="utf-8"))
    assert document["openapi"] == "3.1.0"
    Draft202012Validator.check_schema({"$defs": document["components"]["schemas"]})
    operation = document["paths"][PATH]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "409", "422"}
    for status in ("400", "401", "403", "409", "422"):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/PostgrestError"}
    error = document["components"]["schemas"]["PostgrestError"]
    assert error["required"] == ["code", "message", "details", "hint"]
    example = operation["responses"]["422"]["content"]["application/json"]["example"]
    assert example["code"] == "PT422" and example["details"] == "questions[2].duration"
    Draft202012Validator(error).validate(example)
    request = {"$defs": document["components"]["schemas"],
               "$ref": "#/$defs/CreateInterviewRequest"}
    body_example = operation["requestBody"]["content"]["application/json"]["example"]
    Draft202012Validator(json.loads(json.dumps(request).replace("#/components/schemas/", "#/$defs/"))).validate(body_example)


def test_openapi_check_says_whether_the_copy_is_current(db: TestDatabase, project: Project, tmp_path: Any) -> None:
    runner = CliRunner()
    current = runner.invoke(main, ["openapi", "--database-url", db.url, "--check"])
    assert current.exit_code == 0, current.output
    assert "is up to date" in current.output

    written = tmp_path / "doc.json"
    done = runner.invoke(main, ["openapi", "--database-url", db.url, "--output", str(written)])
    assert done.exit_code == 0 and written.read_text() == project.openapi_file.read_text()
    printed = runner.invoke(main, ["openapi", "--database-url", db.url])
    assert printed.stdout == project.openapi_file.read_text()


def test_openapi_on_a_database_without_the_package_is_a_clear_error(empty_db: str) -> None:
    result = CliRunner().invoke(main, ["openapi", "--database-url", empty_db])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "run `interview-db migrate` first" in result.output or "request_field_rules" in result.output
