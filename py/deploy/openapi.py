"""The OpenAPI 3.1 document of ``POST /rpc/job_interview_create_from_array``,
generated from a deployed database: the request schemas from the rule table
``interview_private.request_field_rules()`` (which the validation itself walks:
kinds, bounds, allowed values and the patterns themselves), the summary from the
function's comment, and the example of a 422 from a real (rolled back) call. A copy is checked in at
openapi/job_interview_create_from_array.json; the tests regenerate it and
compare, so the document cannot drift from the rules.
"""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from typing import Any

import psycopg

from . import __version__
from .demo import load_example
from .field_rules import FieldRule, read_rules
from .postgrest import call_rpc, service_role_claims
from .project import RPC_NAME, Project

PATH = f"/rpc/{RPC_NAME}"
JSON = "application/json"
# JSON Schema patterns are ECMA-262 regular expressions, unanchored. The rule
# table's own patterns are written to mean the same in PostgreSQL and ECMA-262;
# this one says what trimming (btrim of spaces, tabs and line breaks) leaves non-empty.
NON_BLANK = "[^ \\t\\r\\n]"
TRIMMED = "Leading and trailing spaces, tabs and line breaks are trimmed; lengths count after trimming."

# Components named after the rule table's scopes.
SCOPE_SCHEMAS = {
    "body": "CreateInterviewRequest",
    "question": "Question",
    "custom_scoring": "CustomScoring",
    "pdf_export_auto_config": "PdfExportAutoConfig",
    "hiring_for_company": "HiringForCompany",
    "candidate_expectations": "CandidateExpectations",
}


def _rpc_comment(conn: psycopg.Connection) -> str:
    """The named function's comment (its first line is the summary PostgREST shows)."""
    row = conn.execute(
        """
        select coalesce(obj_description(p.oid, 'pg_proc'), '')
        from pg_proc as p
        where p.pronamespace = 'public'::regnamespace and p.proname = %s and p.pronargs > 1
        order by p.pronargs desc
        limit 1
        """,
        (RPC_NAME,),
    ).fetchone()
    if row is None:
        raise LookupError(f"public.{RPC_NAME} is not deployed in this database: run `interview-db migrate` first")
    return str(row[0])


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _describe(rule: FieldRule, extra: str = "") -> str:
    parts = [rule.description or ""]
    if extra:
        parts.append(extra)
    if rule.hint:
        parts.append(f"Accepted: {rule.hint}.")
    return " ".join(p for p in parts if p)


def _ref(scope: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{SCOPE_SCHEMAS[scope]}"}


def _value_schema(rule: FieldRule, rules: list[FieldRule]) -> tuple[dict[str, Any], str]:
    """The JSON Schema of a present, non-null value of the field, and a note for its description."""
    kind = rule.kind
    if kind == "text":
        schema: dict[str, Any] = {"type": "string", "maxLength": rule.max_length}
        if rule.pattern:
            schema["pattern"] = rule.pattern
        elif rule.trimmed and (rule.min_length or 0) > 0:
            schema["pattern"] = NON_BLANK
        elif not rule.trimmed and (rule.min_length or 0) > 0:
            schema["minLength"] = rule.min_length
        return schema, TRIMMED if rule.trimmed else ""
    if kind == "enum":
        return {"type": "string", "enum": list(rule.allowed or [])}, ""
    if kind == "uuid":
        return {"type": "string", "format": "uuid", "pattern": rule.pattern}, ""
    if kind == "language":
        return {"type": "string", "pattern": rule.pattern, "examples": ["en", "de", "br"]}, ""
    if kind == "seconds":
        schema = {"type": "number"}
        if rule.min_value is not None:
            schema["exclusiveMinimum"] = _number(rule.min_value)
        if rule.max_value is not None:
            schema["maximum"] = _number(rule.max_value)
        return schema, ""
    if kind in ("integer", "number"):
        schema = {"type": kind}
        if rule.min_value is not None:
            schema["minimum"] = _number(rule.min_value)
        if rule.max_value is not None:
            schema["maximum"] = _number(rule.max_value)
        return schema, ""
    if kind == "boolean":
        return {"type": "boolean"}, ""
    if kind == "datetime":
        return {"type": "string", "pattern": rule.pattern,
                "examples": ["2030-12-31", "2030-12-31T18:00:00Z", "2030-12-31T18:00:00.1234567+02:00"]}, ""
    if kind == "object":
        if rule.nested_scope:
            return _ref(rule.nested_scope), ""
        note = f"At most {rule.max_length} bytes as JSON." if rule.max_length else ""
        return {"type": "object"}, note
    if kind == "company":
        return {"anyOf": [_ref(rule.nested_scope or "hiring_for_company"),
                          {"type": "string", "maxLength": rule.max_length}]}, TRIMMED
    if kind == "string_array":
        item: dict[str, Any] = {"type": "string", "maxLength": rule.max_length}
        if (rule.min_length or 0) > 0:
            item["pattern"] = NON_BLANK
            return {"type": "array", "maxItems": rule.max_items, "items": item}, "Each text is trimmed."
        return ({"type": "array", "maxItems": rule.max_items, "items": item},
                "Each text is trimmed; an empty one is dropped (with a warning).")
    if kind == "questions":
        # A plain string item is taken as {"question": <the string>}: the rules of that text apply.
        scope = rule.nested_scope or "question"
        text = next((r for r in rules if r.scope == scope and r.field == "question"), None)
        plain: dict[str, Any] = {"type": "string", "pattern": NON_BLANK}
        if text is not None and text.max_length:
            plain["maxLength"] = text.max_length
        items = {"anyOf": [_ref(scope), plain]}
        return {"type": "array", "minItems": 1, "maxItems": rule.max_items, "items": items}, ""
    raise ValueError(f"request_field_rules(): field {rule.scope}.{rule.field} has a kind the generator does not know: {kind}")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """null is accepted where a field is optional: it means the same as leaving the field out."""
    if "enum" in schema:
        return {**schema, "type": [schema["type"], "null"], "enum": [*schema["enum"], None]}
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    if isinstance(schema.get("type"), list):
        return {**schema, "type": [*schema["type"], "null"]}
    return {"anyOf": [*schema.get("anyOf", [schema]), {"type": "null"}]}


def _field_schema(rule: FieldRule, rules: list[FieldRule]) -> dict[str, Any]:
    schema, note = _value_schema(rule, rules)
    if not rule.required:
        schema = _nullable(schema)
    return {"description": _describe(rule, note), **schema}


def _scope_schema(scope: str, rules: list[FieldRule], summary: str) -> dict[str, Any]:
    fields = [r for r in rules if r.scope == scope and r.field != "*"]
    closed = [r for r in rules if r.scope == scope and r.field == "*" and r.kind == "closed"]
    schema: dict[str, Any] = {"type": "object", "description": summary}
    required = [r.field for r in fields if r.required]
    if required:
        schema["required"] = required
    schema["properties"] = {r.field: _field_schema(r, rules) for r in fields}
    schema["additionalProperties"] = not closed
    return schema


_SCOPE_SUMMARIES = {
    "body": (
        "The body of the create call: the existing API's body, unchanged. Rules that involve more than one field "
        "or the database (references, uniqueness within the questions, conditions between fields) are stated in "
        "each field's description. A field sent as null is treated as absent. Texts cannot contain the NUL "
        "character (U+0000), which PostgreSQL refuses (400); numbers are 0 or about 1e-308 to 1e308 in magnitude "
        "(what a JSON client reads as a double). The whole body is at most 2 MiB of JSON. Every value is checked for "
        "its exact JSON type: a string where a number or boolean belongs, or anything but a string where a text "
        "belongs, is a 422 that names the field, never a silent cast. Other keys are ignored: the call creates the "
        "interview from the known keys and names each other key in the response's warnings."
    ),
    "question": (
        "A question object (an item of questions). Other keys are ignored (the existing API allows them), each "
        "named in the response's warnings; a key within a small edit distance of a field name (duraton, lable) "
        "gets that field as the warning's suggestion."
    ),
    "custom_scoring": (
        "Scoring settings merged over the platform defaults and the template's overrides. Other keys are ignored, "
        "each named in the response's warnings."
    ),
    "pdf_export_auto_config": "Automatic PDF export of results. Other keys are ignored, each named in the response's warnings.",
    "hiring_for_company": "The company the role is for. Texts are trimmed; an empty one is absent. Other keys are kept.",
    "candidate_expectations": "Expectations per level of answer. Other keys are kept as given.",
}

_ERROR_SCHEMA = {
    "type": "object",
    "description": "PostgREST's error body.",
    "required": ["code", "message", "details", "hint"],
    "properties": {
        "code": {"type": "string", "description": "SQLSTATE (PT422, PT401, PT403, PT409, 42501) or PostgREST's PGRSTnnn."},
        "message": {"type": "string", "description": "What is wrong, in plain words, naming the field."},
        "details": {
            "type": ["string", "null"],
            "description": "For a 422: the field's path, e.g. questions[3].duration (indexes from 0), or the first unknown key.",
        },
        "hint": {"type": ["string", "null"], "description": "What is accepted."},
    },
    "additionalProperties": False,
}

_WARNING_SCHEMA = {
    "type": "object",
    "description": "Something the call ignored or adjusted.",
    "required": ["path", "code", "message"],
    "properties": {
        "path": {"type": "string", "description": "The key or item, e.g. questions[2].duraton or tags[3] ($ for truncated)."},
        "code": {
            "type": "string",
            "enum": ["ignored_key", "dropped_empty_item", "rounded", "truncated"],
            "description": "ignored_key: a key that is no field (top level, question, custom_scoring, "
            "pdf_export_auto_config); dropped_empty_item: an empty tag or expectation; rounded: a fractional "
            "duration rounded up; truncated: more warnings than the 50 listed.",
        },
        "message": {"type": "string", "description": "What was ignored or adjusted, in plain words."},
        "suggestion": {"type": "string", "description": "For an ignored key close to a field name: that field."},
    },
    "additionalProperties": False,
}

_RESPONSE_SCHEMA = {
    "type": "object",
    "description": "The created interview (or, for a repeated idempotency_key and body, the first call's response).",
    "required": ["interview_def_set_id", "questions_created", "credits_per_session"],
    "properties": {
        "interview_def_set_id": {
            "type": "string", "format": "uuid", "description": "Id of the interview (public.interview_def_set)."
        },
        "questions_created": {"type": "integer", "minimum": 1, "description": "Question steps after deduplication."},
        "credits_per_session": {"type": "number", "minimum": 0, "description": "Price of one candidate session, in credits."},
        "warnings": {
            "type": "array",
            "maxItems": 51,
            "items": {"$ref": "#/components/schemas/RequestWarning"},
            "description": "Present only when the call ignored or adjusted something, in body order: at most 50, "
            "then one truncated warning. Warnings never change what is stored for the fields that were sent.",
        },
        "embed_id": {"type": "string", "format": "uuid", "description": "Only when is_embedded is true: the embed's id."},
        "embed_signing_key": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "Only when is_embedded is true: 32 random bytes, hex. Your backend signs each embed "
            "link's token with it as a standard JWT: HS256 with the hex text as the secret, header kid = embed_id, "
            "claims exp (required, at most 7 days ahead), iat, name, email; the embed page's backend checks it "
            "with rpc verify_embed_token (service_role). Returned only by the creating call and its idempotent replays "
            "(same idempotency_key and body); keep it server-side.",
        },
    },
    "additionalProperties": False,
}

_ERRORS = {
    "400": (
        "A body that is not JSON (PGRST102), or a text holding the NUL character (22P05), which PostgreSQL's JSON "
        "parser refuses before the function runs. A JSON value of the wrong kind is never a 400: it is a 422.",
        {"code": "PGRST102", "message": "Empty or invalid json", "details": None, "hint": None},
    ),
    "401": (
        "No JWT (the anon role may not execute the function: 42501), or a JWT that identifies no user and is not "
        "the service_role key (PT401).",
        {"code": "PT401", "message": "The JWT identifies no user: sign in, or call with the service_role key and a merchant_id",
         "details": None, "hint": None},
    ),
    "403": (
        "PT403: the caller's role cannot create interviews (a candidate, or no profile), or the caller may not "
        "create for merchant_id (an unknown merchant gives the same 403).",
        None,
    ),
    "409": ("PT409: idempotency_key was used before with another body.", None),
    "422": (
        "PT422: a field breaks its rule (missing, wrong type, out of range, not one of the values, unresolved "
        "reference, a string where a number or boolean belongs, ...). details is the field's path, hint says "
        "what is accepted (for a missing required field, also a near-miss key that was sent and ignored). "
        "Nothing was written.",
        None,
    ),
}


EXAMPLE_MERCHANT = "Example merchant of interview-db openapi"


def _example_422(conn: psycopg.Connection, project: Project) -> dict[str, Any] | None:
    """The demo's rejected call (a 5-hour answer time), made for real and rolled back.

    The merchant is authorized before the body is validated, so the call needs
    a merchant: one is made for it and removed right after."""
    body = load_example(project)
    body["questions"] = [*body["questions"][:2], {"question": "Tell us about a deadline you missed.", "duration": 18000}]
    merchant = conn.execute("insert into public.merchants (name) values (%s) returning id::text",
                            (EXAMPLE_MERCHANT,)).fetchone()
    assert merchant is not None
    try:
        body["merchant_id"] = merchant[0]
        response = call_rpc(conn, RPC_NAME, body, service_role_claims(), tx_rollback=True)
    finally:
        conn.execute("delete from public.merchants where id = %s", (merchant[0],))
    return response.body if response.status == 422 else None


def _servers(project: Project) -> list[dict[str, Any]]:
    try:
        port = int(tomllib.loads(project.supabase_config.read_text())["api"]["port"])
    except (OSError, KeyError, ValueError, tomllib.TOMLDecodeError):
        port = 54321
    return [
        {
            "url": "https://{project_ref}.supabase.co/rest/v1",
            "description": "A Supabase project",
            "variables": {"project_ref": {"default": "your-project-ref", "description": "The project's reference id."}},
        },
        {"url": f"http://127.0.0.1:{port}/rest/v1", "description": "`supabase start` (supabase/config.toml)"},
    ]


def build_document(conn: psycopg.Connection, project: Project) -> dict[str, Any]:
    """The OpenAPI document, from the database ``conn`` is connected to (autocommit, idle)."""
    comment = _rpc_comment(conn)
    rules = read_rules(conn)
    summary, _, details = comment.partition("\n")
    scopes = [s for s in SCOPE_SCHEMAS if any(r.scope == s for r in rules)]
    unknown = sorted({r.scope for r in rules} - set(SCOPE_SCHEMAS))
    if unknown:
        raise ValueError(f"request_field_rules() has scopes the generator does not name: {', '.join(unknown)}")
    schemas: dict[str, Any] = {
        SCOPE_SCHEMAS[s]: _scope_schema(s, rules, _SCOPE_SUMMARIES[s]) for s in scopes
    }
    schemas["CreateInterviewResponse"] = _RESPONSE_SCHEMA
    schemas["RequestWarning"] = _WARNING_SCHEMA
    schemas["PostgrestError"] = _ERROR_SCHEMA

    example_422 = _example_422(conn, project)
    responses: dict[str, Any] = {
        "200": {
            "description": "Created, or a replay of the first call with the same idempotency_key and body.",
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/CreateInterviewResponse"}}},
        }
    }
    for status, (description, example) in _ERRORS.items():
        if status == "422":
            example = example_422
        content: dict[str, Any] = {"schema": {"$ref": "#/components/schemas/PostgrestError"}}
        if example is not None:
            content["example"] = example
        responses[status] = {"description": description, "content": {JSON: content}}

    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{RPC_NAME} (interview-db)",
            "version": __version__,
            "summary": summary.strip(),
            "description": details.strip()
            + "\n\nGenerated by `interview-db openapi` from interview_private.request_field_rules(); do not edit.",
        },
        "servers": _servers(project),
        "security": [{"apikey": [], "bearer": []}],
        "paths": {
            PATH: {
                "post": {
                    "operationId": RPC_NAME,
                    "summary": summary.strip(),
                    "description": f"supabase-js: `supabase.rpc('{RPC_NAME}', body)`.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            JSON: {
                                "schema": {"$ref": f"#/components/schemas/{SCOPE_SCHEMAS['body']}"},
                                "example": load_example(project),
                            }
                        },
                    },
                    "responses": responses,
                }
            }
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apikey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "apikey",
                    "description": "The project's anon (publishable) key, which Supabase's API gateway requires.",
                },
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A signed-in user's access token (role authenticated), or the service_role key "
                    "for server-side calls (which must then give merchant_id).",
                },
            },
        },
    }


def render(document: dict[str, Any]) -> str:
    """The document as the checked-in file holds it (stable key order, UTF-8, final newline)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def generate(conn: psycopg.Connection, project: Project) -> str:
    return render(build_document(conn, project))
