"""TypeScript types of ``job_interview_create_from_array``, generated from its
OpenAPI document (openapi/job_interview_create_from_array.json, which
``interview-db openapi`` generates from the rule table).

The output (checked in at types/interview-db.ts) is a pure function of the
document's schemas: the request with its required fields, every enum as a union
of literals and each JSON Schema constraint (lengths, ranges, items, pattern,
format) as a doc-comment tag; the response as a union in which ``embed_id`` and
``embed_signing_key`` exist only on the embedded variant; the PostgREST error
body with the codes the function raises; and a ``Database``-shaped fragment
whose function entry replaces the one of ``supabase gen types`` under type-fest's
``MergeDeep``. It reads no database and runs no node: the same document gives the
same bytes. What the document does not say (which codes map to which status,
which response fields come with ``is_embedded``) is stated here and checked
against the document, so a document that no longer fits fails with one line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .project import Project

RPC_NAME = "job_interview_create_from_array"
TYPES_PATH = Path("types") / "interview-db.ts"
REQUEST = "CreateInterviewRequest"
RESPONSE = "CreateInterviewResponse"
ERROR = "PostgrestError"
# Objects whose other keys the function keeps (stored as given): an index signature of JSON values.
# Every other object is closed in TypeScript, so that a misspelled key in a literal is a compile
# error, on purpose: the function ignores unknown keys of a question (naming each in the response's
# warnings, with the field it is close to), so only the types can catch `duraton` before a call.
KEPT_EXTRA_KEYS = {"CandidateExpectations"}
# The request flag that adds the embed fields to the response, and those fields.
EMBED_FLAG = "is_embedded"
# SQLSTATE codes the function (or PostgREST for it) answers with, and their HTTP status.
ERROR_CODES: dict[str, tuple[int, str]] = {
    "PT401": (401, "The JWT identifies no user and is not the service_role key."),
    "42501": (401, "No JWT: the anon role may not execute the function."),
    "PT403": (403, "The caller's role cannot create interviews, or the caller may not create for merchant_id."),
    "PT409": (409, "idempotency_key was used before with another body."),
    "PT422": (422, "A field breaks its rule; details is the field's path."),
}
# JSON Schema keywords shown as doc-comment tags, in this order.
CONSTRAINT_TAGS = ("format", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "pattern")
IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


class TypeScriptError(ValueError):
    """The OpenAPI document has a shape the generator does not turn into types."""


def types_file(project: Project) -> Path:
    """Where the checked-in types live."""
    return project.root / TYPES_PATH


def load_document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TypeScriptError(f"cannot read the OpenAPI document {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise TypeScriptError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise TypeScriptError(f"{path} is not an OpenAPI document (not a JSON object)")
    return document


def _comment(lines: list[str], indent: str) -> list[str]:
    """A JSDoc block (blank lines kept between paragraphs); `*/` inside a text cannot end it."""
    text = [line.replace("*/", "*\\/").rstrip() for line in lines]
    while text and not text[0]:
        text.pop(0)
    while text and not text[-1]:
        text.pop()
    if not text:
        return []
    if len(text) == 1:
        return [f"{indent}/** {text[0]} */"]
    return [f"{indent}/**", *(f"{indent} * {t}" if t else f"{indent} *" for t in text), f"{indent} */"]


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeScriptError(f"an enum value the generator cannot write as a TypeScript literal: {value!r}")


def _key(name: str) -> str:
    return name if IDENTIFIER.match(name) else json.dumps(name, ensure_ascii=False)


def _ref_name(ref: str, schemas: dict[str, Any]) -> str:
    prefix = "#/components/schemas/"
    name = ref[len(prefix):] if ref.startswith(prefix) else ""
    if name not in schemas:
        raise TypeScriptError(f"a $ref the document does not define: {ref}")
    return name


def _union(parts: list[str]) -> str:
    unique: list[str] = []
    for part in parts:
        if part not in unique:
            unique.append(part)
    return " | ".join(unique)


def _type_of(schema: dict[str, Any], schemas: dict[str, Any], where: str) -> str:
    """The TypeScript type of a JSON Schema (the subset interview-db's document uses)."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"], schemas)
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf", schema.get("oneOf"))
        return _union([_type_of(option, schemas, where) for option in options])
    if "enum" in schema:
        return _union([_literal(value) for value in schema["enum"]])
    if "const" in schema:
        return _literal(schema["const"])
    kinds = schema.get("type")
    if kinds is None:
        raise TypeScriptError(f"{where}: a schema without type, $ref, anyOf or enum")
    parts = [_single_type(kind, schema, schemas, where) for kind in (kinds if isinstance(kinds, list) else [kinds])]
    return _union(parts)


def _single_type(kind: str, schema: dict[str, Any], schemas: dict[str, Any], where: str) -> str:
    if kind == "string":
        return "string"
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "null":
        return "null"
    if kind == "array":
        items = schema.get("items")
        item = _type_of(items, schemas, where + "[]") if isinstance(items, dict) else "Json"
        return f"{item}[]" if IDENTIFIER.match(item) or item in ("Json",) else f"({item})[]"
    if kind == "object":
        if schema.get("properties"):
            raise TypeScriptError(f"{where}: an inline object with properties (give it a component schema)")
        return "JsonObject"
    raise TypeScriptError(f"{where}: a JSON type the generator does not know: {kind}")


def _constraint_tags(schema: dict[str, Any]) -> list[str]:
    """The constraints of a property, then those of its items, as doc tags."""
    tags = [f"@{keyword} {_tag_value(schema[keyword])}" for keyword in CONSTRAINT_TAGS if keyword in schema]
    items = schema.get("items")
    if isinstance(items, dict):
        for option in items.get("anyOf", [items]):
            if "$ref" not in option:
                kind = option.get("type")
                label = f"each {kind} item" if "anyOf" in items and isinstance(kind, str) else "each item"
                tags += [f"@{keyword} ({label}) {_tag_value(option[keyword])}" for keyword in CONSTRAINT_TAGS
                         if keyword in option]
    tags += [f"@example {json.dumps(example, ensure_ascii=False)}" for example in schema.get("examples", [])]
    return tags


def _tag_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class _Writer:
    schemas: dict[str, Any]
    lines: list[str] = field(default_factory=list)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def object_type(self, name: str, schema: dict[str, Any], *, doc: list[str], types: dict[str, str] | None = None) -> None:
        if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
            raise TypeScriptError(f"components.schemas.{name} is not an object schema with properties")
        required = set(schema.get("required", []))
        unknown_required = required - set(schema["properties"])
        if unknown_required:
            raise TypeScriptError(f"components.schemas.{name} requires undefined properties: {sorted(unknown_required)}")
        self.add(*_comment(doc, ""))
        self.add(f"export type {name} = {{")
        for prop, prop_schema in schema["properties"].items():
            self.property(prop, prop_schema, prop in required, f"{name}.{prop}", (types or {}).get(prop))
        if name in KEPT_EXTRA_KEYS and schema.get("additionalProperties", True) is not False:
            self.add("  /** Other keys are kept as given. */", "  [key: string]: Json | undefined")
        self.add("}", "")

    def property(self, prop: str, schema: dict[str, Any], required: bool, where: str, ts_type: str | None = None) -> None:
        doc = [schema.get("description", "")]
        tags = _constraint_tags(schema)
        if tags:
            doc += ["", *tags] if doc[0] else tags
        self.add(*_comment(doc, "  "))
        optional = "" if required else "?"
        self.add(f"  {_key(prop)}{optional}: {ts_type or _type_of(schema, self.schemas, where)}")


def _check_operation(document: dict[str, Any]) -> dict[str, Any]:
    operation = document.get("paths", {}).get(f"/rpc/{RPC_NAME}", {}).get("post")
    if not isinstance(operation, dict):
        raise TypeScriptError(f"the OpenAPI document has no POST /rpc/{RPC_NAME}")
    statuses = set(operation.get("responses", {}))
    missing = sorted({str(status) for status, _ in ERROR_CODES.values()} - statuses)
    if missing:
        raise TypeScriptError(f"the operation has no response for status {', '.join(missing)}, which error codes map to")
    return operation


def _response_parts(schemas: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """The response's always-present fields, its other optional fields (warnings: present when the call
    ignored or adjusted something) and the fields present exactly when is_embedded is true."""
    response = schemas.get(RESPONSE)
    request = schemas.get(REQUEST)
    for name, schema in ((REQUEST, request), (RESPONSE, response)):
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
            raise TypeScriptError(f"components.schemas.{name} is not an object schema with properties")
    assert isinstance(request, dict) and isinstance(response, dict)
    flag = request.get("properties", {}).get(EMBED_FLAG, {})
    if "boolean" not in (flag.get("type") if isinstance(flag.get("type"), list) else [flag.get("type")]):
        raise TypeScriptError(f"{REQUEST}.{EMBED_FLAG} is not a boolean: the response's embed fields have no flag")
    required = [p for p in response["properties"] if p in set(response.get("required", []))]
    optional = [p for p in response["properties"] if p not in set(response.get("required", []))]
    embedded = [p for p in optional if p.startswith("embed_")]
    if not embedded:
        raise TypeScriptError(f"{RESPONSE}: no optional embed fields (embed_*), found {optional}")
    return required, [p for p in optional if p not in embedded], embedded


def build(document: dict[str, Any], source: str) -> str:
    """The TypeScript module for ``document`` (read from ``source``, named in the header)."""
    schemas = document.get("components", {}).get("schemas")
    if not isinstance(schemas, dict) or REQUEST not in schemas:
        raise TypeScriptError(f"the OpenAPI document has no components.schemas.{REQUEST}")
    operation = _check_operation(document)
    always, sometimes, embed = _response_parts(schemas)
    error = schemas.get(ERROR)
    if not isinstance(error, dict) or "code" not in error.get("properties", {}):
        raise TypeScriptError(f"the OpenAPI document has no components.schemas.{ERROR} with a code")

    w = _Writer(schemas)
    version = document.get("info", {}).get("version", "")
    summary = operation.get("summary") or document.get("info", {}).get("summary", "")
    w.add(
        f"// Types of {RPC_NAME}: {summary}",
        f"// Generated by `interview-db typescript` from {source} (API version {version}); do not edit.",
        "//",
        "// Request, response and error of supabase.rpc('job_interview_create_from_array', body), and a",
        "// Database fragment to merge onto `supabase gen types typescript` output with type-fest's MergeDeep:",
        "//   export type Database = MergeDeep<WithoutGeneratedInterviewDb<DatabaseGenerated>, InterviewDbDatabase>",
        "",
        "/** A JSON value (as `supabase gen types` defines it). */",
        "export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]",
        "",
        "/** A JSON object. */",
        "export type JsonObject = { [key: string]: Json | undefined }",
        "",
    )

    request = schemas[REQUEST]
    w.object_type(REQUEST, request, doc=[
        request.get("description", ""),
        "",
        "Required fields are required; an optional field may be left out or sent as null (the same thing).",
        "supabase.rpc infers its args generically, so TypeScript does not flag an unknown key of a literal",
        "passed to it straight: declare the body with this type (or `satisfies CreateInterviewRequest`).",
    ])
    for name, schema in schemas.items():
        if name in (REQUEST, RESPONSE, ERROR):
            continue
        w.object_type(name, schema, doc=[schema.get("description", "")])

    response = schemas[RESPONSE]
    plain = {**response, "properties": {p: response["properties"][p] for p in [*always, *sometimes]},
             "required": always}
    w.object_type(f"{RESPONSE}NotEmbedded", plain, doc=[
        f"{response.get('description', '')}",
        "",
        f"The response of a call without {EMBED_FLAG}: true. It has no {', '.join(embed)}.",
    ])
    embedded = {"type": "object", "properties": {p: response["properties"][p] for p in embed}, "required": embed}
    w.add(*_comment([f"The response of a call with {EMBED_FLAG}: true: the embed credentials come with it."], ""))
    w.add(f"export type {RESPONSE}Embedded = {RESPONSE}NotEmbedded & {{")
    for prop in embed:
        w.property(prop, embedded["properties"][prop], True, f"{RESPONSE}.{prop}")
    w.add("}", "")
    w.add(
        *_comment([
            f"The response: {', '.join(embed)} are present exactly when the request had {EMBED_FLAG}: true.",
            f"Narrow before reading them: `isEmbedded(data)` or `if ('{embed[-1]}' in data)`, in any order.",
        ], ""),
        f"export type {RESPONSE} = {RESPONSE}NotEmbedded | {RESPONSE}Embedded",
        "",
        *_comment([f"The response a body gets: embedded exactly when its {EMBED_FLAG} is the literal true."], ""),
        f"export type {RESPONSE}For<Body extends {{ {EMBED_FLAG}?: boolean | null }}> =",
        f"  Body extends {{ {EMBED_FLAG}: true }} ? {RESPONSE}Embedded",
        f"  : Body extends {{ {EMBED_FLAG}?: false | null | undefined }} ? {RESPONSE}NotEmbedded",
        f"  : {RESPONSE}",
        "",
        *_comment([f"Whether a response carries the embed credentials ({EMBED_FLAG} was true)."], ""),
        # Generic, so that the true branch is the caller's own union member: with a plain
        # `response is ...Embedded`, a supabase-js result (a mapped copy of the union) came out of
        # the if as the not-embedded member alone, and a later `'embed_signing_key' in data` no
        # longer narrowed to a string.
        f"export function isEmbedded<R extends {RESPONSE}>(response: R): response is Extract<R, {{ {embed[-1]}: string }}> {{",
        f"  return '{embed[-1]}' in response",
        "}",
        "",
    )

    w.add(*_comment(["The SQLSTATE codes of the function's errors, with their HTTP status."], ""))
    w.add("export const CREATE_INTERVIEW_ERROR_STATUS = {")
    for code, (status, text) in ERROR_CODES.items():
        w.add(*_comment([text], "  "), f"  {_key(code)}: {status},")
    w.add("} as const", "")
    w.add(
        *_comment(["A code of the function's errors: PT401, 42501 (401), PT403, PT409, PT422."], ""),
        "export type CreateInterviewErrorCode = keyof typeof CREATE_INTERVIEW_ERROR_STATUS",
        "",
    )
    # The document's code is any string (PostgREST has codes of its own): the function's are these.
    code = {**error["properties"]["code"], "description": "The SQLSTATE the function raised (see CREATE_INTERVIEW_ERROR_STATUS)."}
    error = {**error, "properties": {**error["properties"], "code": code}}
    w.object_type("CreateInterviewError", error, types={"code": "CreateInterviewErrorCode"}, doc=[
        error.get("description", ""),
        "",
        "As the function raises it (code one of CreateInterviewErrorCode); supabase-js's PostgrestError",
        "has the same fields. Narrow a PostgrestError with isCreateInterviewError.",
    ])
    w.add(
        *_comment([
            "Whether an error (e.g. supabase-js's PostgrestError) is one the function raised: then its code",
            "is a CreateInterviewErrorCode, details the field's path (PT422) and hint what is accepted.",
        ], ""),
        "export function isCreateInterviewError<E extends { code: string }>(",
        "  error: E | null | undefined,",
        "): error is E & { code: CreateInterviewErrorCode } {",
        "  return error != null && Object.prototype.hasOwnProperty.call(CREATE_INTERVIEW_ERROR_STATUS, error.code)",
        "}",
        "",
    )

    never = "{ [_ in never]: never }"
    w.add(
        *_comment([f"The entry of public.{RPC_NAME} in a supabase-js Database type."], ""),
        "export type JobInterviewCreateFromArrayFunction = {",
        f"  Args: {REQUEST}",
        f"  Returns: {RESPONSE}",
        "}",
        "",
        *_comment([
            f"A Database type (e.g. `supabase gen types typescript` output) without its public.{RPC_NAME}",
            "entry. MergeDeep merges a type into the one it overrides, and the generated entry is Json",
            "(every argument optional, an overload for the unknown-key fallback): merged into it, the",
            "contract's types would be widened back to Json. Without it, MergeDeep adds this file's entry as is.",
        ], ""),
        "export type WithoutGeneratedInterviewDb<Generated> = {",
        "  [Schema in keyof Generated]: Schema extends 'public'",
        "    ? {",
        "        [Part in keyof Generated[Schema]]: Part extends 'Functions'",
        f"          ? Omit<Generated[Schema][Part], '{RPC_NAME}'>",
        "          : Generated[Schema][Part]",
        "      }",
        "    : Generated[Schema]",
        "}",
        "",
        *_comment([
            "A Database fragment with this function alone, to merge onto `supabase gen types typescript` output",
            "the way Supabase documents overriding generated types (type-fest's MergeDeep):",
            "",
            "  import type { MergeDeep } from 'type-fest'",
            "  import type { Database as DatabaseGenerated } from './database.types'",
            "  import type { InterviewDbDatabase, WithoutGeneratedInterviewDb } from './interview-db'",
            "  export type Database = MergeDeep<WithoutGeneratedInterviewDb<DatabaseGenerated>, InterviewDbDatabase>",
            "",
            "or to use alone: createClient<InterviewDbDatabase>(url, key).",
        ], ""),
        "export type InterviewDbDatabase = {",
        "  public: {",
        f"    Tables: {never}",
        f"    Views: {never}",
        "    Functions: {",
        f"      {RPC_NAME}: JobInterviewCreateFromArrayFunction",
        "    }",
        f"    Enums: {never}",
        f"    CompositeTypes: {never}",
        "  }",
        "}",
    )
    return "\n".join(w.lines) + "\n"


def generate(openapi_path: Path, project: Project) -> str:
    """The TypeScript module from the OpenAPI document at ``openapi_path``."""
    try:
        source = openapi_path.resolve().relative_to(project.root.resolve()).as_posix()
    except ValueError:
        source = openapi_path.name
    return build(load_document(openapi_path), source)


def out_of_date(project: Project, text: str) -> str | None:
    """Why the checked-in types differ from ``text`` (what to run), or None when they are current."""
    path = types_file(project)
    checked_in = path.read_text(encoding="utf-8") if path.exists() else None
    if checked_in == text:
        return None
    state = "is missing" if checked_in is None else "is out of date"
    return f"{TYPES_PATH.as_posix()} {state}: run `interview-db typescript --output {TYPES_PATH.as_posix()}`"
