"""The TypeScript types (types/interview-db.ts): regenerated from the OpenAPI
document they equal the checked-in copy byte for byte and follow every change of
it, and the real tsc with the pinned supabase-js and type-fest accepts a valid
call, refuses each kind of mistake on its own line, and accepts the body the RPC
tests send (examples/create-interview.json)."""

from __future__ import annotations

import copy
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from interview_db.cli import main
from interview_db.project import Project
from interview_db.typescript import TYPES_PATH, build, generate, types_file

from .typescript_toolchain import PACKAGES, ToolchainUnavailable, install, missing_tools, tsc

ROOT = Path(__file__).resolve().parents[1]
CALLS = Path("tests") / "fixtures" / "typescript" / "calls.ts"
EXAMPLE_FILES = ("database.types.ts", "database.ts", "supabase-js.ts")
MARKER = re.compile(r"^\s*// @ts-expect-error (?P<case>.+)$")
TSC_ERROR = re.compile(r"^(?P<file>[^(]+)\((?P<line>\d+),\d+\): error (?P<code>TS\d+): (?P<message>.*)$")


def _document(project: Project) -> dict[str, Any]:
    return json.loads(project.openapi_file.read_text(encoding="utf-8"))


def _build(document: dict[str, Any]) -> str:
    return build(document, "openapi/job_interview_create_from_array.json")


def test_the_checked_in_types_are_what_the_document_generates(project: Project) -> None:
    generated = generate(project.openapi_file, project)
    assert generated == types_file(project).read_text(encoding="utf-8"), (
        f"{TYPES_PATH} is out of date: run `interview-db typescript --output {TYPES_PATH}`"
    )


def test_typescript_check_and_output_agree_with_the_checked_in_file(project: Project, tmp_path: Path) -> None:
    runner = CliRunner()
    current = runner.invoke(main, ["typescript", "--check"])
    assert current.exit_code == 0 and "is up to date" in current.output, current.output
    written = tmp_path / "types.ts"
    done = runner.invoke(main, ["typescript", "--output", str(written)])
    assert done.exit_code == 0 and written.read_bytes() == types_file(project).read_bytes()
    assert runner.invoke(main, ["typescript"]).stdout == types_file(project).read_text(encoding="utf-8")

    changed = _document(project)
    changed["components"]["schemas"]["CreateInterviewRequest"]["properties"]["status"]["enum"].append("archived")
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    stale = runner.invoke(main, ["typescript", "--openapi", str(tmp_path / "changed.json"), "--check"])
    assert stale.exit_code == 1 and "Traceback" not in stale.output
    assert f"{TYPES_PATH.as_posix()} is out of date: run `interview-db typescript --output" in stale.output


def test_every_property_of_the_document_is_typed_with_its_rule(project: Project) -> None:
    document = _document(project)
    text = types_file(project).read_text(encoding="utf-8")
    schemas = document["components"]["schemas"]
    for name in ("CreateInterviewRequest", "Question", "CustomScoring", "PdfExportAutoConfig", "HiringForCompany",
                 "CandidateExpectations"):
        block = text[text.index(f"export type {name} = {{"):]
        block = block[:block.index("\n}\n")]
        required = set(schemas[name].get("required", []))
        for prop, schema in schemas[name]["properties"].items():
            line = re.search(rf"^  {re.escape(prop)}(\??): (.+)$", block, re.M)
            assert line is not None, f"{name}.{prop} is not a property"
            assert (line.group(1) == "") == (prop in required), f"{name}.{prop}: required is {prop in required}"
            for value in schema.get("enum", []):
                assert (json.dumps(value) if value is not None else "null") in line.group(2), f"{name}.{prop}: {value}"
            for keyword in ("maxLength", "minimum", "maximum", "maxItems"):
                if keyword in schema:
                    assert f"@{keyword} {json.dumps(schema[keyword])}" in block, f"{name}.{prop}: {keyword}"
    request = text[text.index("export type CreateInterviewRequest = {"):]
    assert re.search(r"^  status: \"draft\" \| \"active\"$", request, re.M)
    assert re.search(r"^  questions: \(Question \| string\)\[\]$", request, re.M)
    assert re.search(r"^  question: string$", text[text.index("export type Question = {"):], re.M)


def test_the_types_follow_a_change_of_the_document(project: Project) -> None:
    document = _document(project)
    request = document["components"]["schemas"]["CreateInterviewRequest"]
    request["properties"]["visibility"]["enum"].append("merchant_secret")
    request["required"].append("code")
    request["properties"]["interview_attempts"]["maximum"] = 30
    text = _build(document)
    assert '"merchant_public" | "merchant_invite" | "merchant_unlisted" | "merchant_secret"' in text
    assert re.search(r"^  code: string \| null$", text, re.M)
    assert "@maximum 30" in text and "@maximum 20\n" not in text.split("interview_attempts")[0][-200:]


def test_the_types_need_neither_x_parameter_type_nor_the_400_response(project: Project) -> None:
    """The contract change drops both from the document: the types must not depend on them."""
    document = _document(project)
    stripped = copy.deepcopy(document)
    for schema in stripped["components"]["schemas"].values():
        for prop in schema.get("properties", {}).values():
            prop.pop("x-parameter-type", None)
    stripped["paths"]["/rpc/job_interview_create_from_array"]["post"]["responses"].pop("400", None)
    assert '"x-parameter-type":' not in json.dumps(stripped["components"]) and _build(stripped) == _build(document)


def test_a_document_the_types_cannot_say_is_one_clear_line(project: Project, tmp_path: Path) -> None:
    broken = _document(project)
    del broken["components"]["schemas"]["CreateInterviewResponse"]["properties"]["embed_id"]
    del broken["components"]["schemas"]["CreateInterviewResponse"]["properties"]["embed_signing_key"]
    broken["components"]["schemas"]["CreateInterviewResponse"]["properties"]["note"] = {"type": "string"}
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    result = CliRunner().invoke(main, ["typescript", "--openapi", str(tmp_path / "broken.json")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "CreateInterviewResponse: no optional embed fields (embed_*), found ['warnings', 'note']" in result.output
    missing = CliRunner().invoke(main, ["typescript", "--openapi", str(tmp_path / "absent.json")])
    assert missing.exit_code == 1 and "cannot read the OpenAPI document" in missing.output


# The compile test: the real tsc, supabase-js and type-fest.


@dataclass(frozen=True)
class Compiled:
    workdir: Path
    clean: list[tuple[str, int, str, str]]  # (file, line, code, message) of the files as they are
    unmarked: list[tuple[str, int, str, str]]  # ... of calls.ts without its markers, and a wrong body
    expected: dict[int, str]  # line of calls.ts -> the case its marker names


def _errors(output: str) -> list[tuple[str, int, str, str]]:
    """tsc's errors; an error's indented continuation lines are part of its message."""
    errors: list[tuple[str, int, str, str]] = []
    for line in output.splitlines():
        found = TSC_ERROR.match(line)
        if found:
            errors.append((found["file"], int(found["line"]), found["code"], found["message"]))
        elif errors and line.startswith(" "):
            file, number, code, message = errors[-1]
            errors[-1] = (file, number, code, f"{message} {line.strip()}")
    return errors


def _body_module(body_text: str) -> str:
    """The example body file, byte for byte, as a TypeScript expression checked against the request type.
    (An imported .json module would not do: TypeScript widens its strings, so no enum literal could match.)"""
    return ("import type { CreateInterviewRequest } from './types/interview-db'\n\n"
            f"export const body = {body_text.strip()} satisfies CreateInterviewRequest\n")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    reason = missing_tools()
    if reason:
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    try:
        modules = install()
    except ToolchainUnavailable as exc:
        pytest.fail(str(exc))
    workdir = tmp_path_factory.mktemp("typescript")
    for relative in (TYPES_PATH, CALLS, *(Path("examples") / name for name in EXAMPLE_FILES)):
        (workdir / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, workdir / relative)
    body_text = (ROOT / "examples" / "create-interview.json").read_text(encoding="utf-8")
    (workdir / "example-body.ts").write_text(_body_module(body_text))
    files = [CALLS.as_posix(), "examples/supabase-js.ts", "example-body.ts"]
    clean = tsc(modules, workdir, files)

    lines = (ROOT / CALLS).read_text(encoding="utf-8").splitlines()
    expected = {}
    for number, line in enumerate(lines, start=1):
        marker = MARKER.match(line)
        if marker:
            expected[number + 1] = marker["case"]
            lines[number - 1] = "//"
    (workdir / "unmarked.ts").write_text("\n".join(lines) + "\n")
    (workdir / "unmarked.ts").rename(workdir / CALLS.parent / "unmarked.ts")
    wrong = json.loads(body_text)
    wrong["status"] = "published"
    (workdir / "wrong-body.ts").write_text(_body_module(json.dumps(wrong, indent=2)))
    unmarked = tsc(modules, workdir, [(CALLS.parent / "unmarked.ts").as_posix(), "wrong-body.ts"])
    return Compiled(workdir, _errors(clean.stdout + clean.stderr) or ([("?", 0, "?", clean.stdout + clean.stderr)]
                                                                     if clean.returncode else []),
                    _errors(unmarked.stdout), expected)


def test_tsc_accepts_the_valid_calls_and_every_marked_mistake_is_an_error(compiled: Compiled) -> None:
    """tsc --noEmit --strict passes: the valid calls compile and no @ts-expect-error marker is unused
    (an unused one, TS2578, would mean tsc took that mistake)."""
    assert compiled.clean == [], "\n".join(f"{f}({line}): {code} {message}" for f, line, code, message in compiled.clean)
    cases = set(compiled.expected.values())
    for case in ("a missing required field (name)", "a misspelled key", "a wrong enum literal", "a number for a string",
                 "a question object without question", "reading embed_signing_key without narrowing"):
        assert case in cases, f"calls.ts has no marked case: {case}"


# What tsc says about each marked mistake: the mistake itself, not another error nearby.
REASONS = {
    "reading embed_signing_key without narrowing": "Property 'embed_signing_key' does not exist on type",
    "a missing required field (name)": "Property 'name' is missing",
    "a wrong enum literal": """Type '"published"' is not assignable to type '"draft" | "active"'""",
    "a number for a string": "Type 'number' is not assignable to type 'string'",
    "a question object without question": "Property 'question' is missing",
    "a string where a boolean belongs": "Type 'string' is not assignable to type 'boolean | null | undefined'",
    "a misspelled key": "'is_embeded' does not exist in type 'CreateInterviewRequest'",
    "a misspelled key of a question": "'duraton' does not exist in type 'Question'",
    "the response of a body with is_embedded: true has the signing key": "missing the following properties",
    "plain MergeDeep widens the response to Json": "is not assignable to type 'string'",
}


def test_each_mistake_is_refused_on_its_own_line_for_its_own_reason(compiled: Compiled) -> None:
    """Without the markers, tsc reports on every marked line the error of that mistake, and
    nothing on any other line."""
    calls = [(line, message) for f, line, code, message in compiled.unmarked if f.endswith("unmarked.ts")]
    assert set(compiled.expected.values()) == set(REASONS)
    for line, case in compiled.expected.items():
        messages = [message for at, message in calls if at == line]
        assert any(REASONS[case] in message for message in messages), f"line {line}, {case}: {messages}"
    extra = [(line, message) for line, message in calls if line not in compiled.expected]
    assert not extra, f"errors on unmarked lines: {extra}"


def test_the_example_body_type_checks_and_a_wrong_one_does_not(compiled: Compiled) -> None:
    """examples/create-interview.json, the body the RPC tests send, satisfies CreateInterviewRequest
    (it compiled above); the same body with a status outside the enum is refused."""
    wrong = [(line, message) for f, line, code, message in compiled.unmarked if f == "wrong-body.ts"]
    assert wrong and any('"published"' in message for _, message in wrong), wrong


def test_the_toolchain_is_pinned() -> None:
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in PACKAGES.values())
    assert set(PACKAGES) == {"typescript", "@supabase/supabase-js", "type-fest"}
