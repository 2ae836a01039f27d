"""The request is parsed once (conventions: "everything after it reads fields of
that record, never the JSON again"), checked statically with pglast over
sql/functions/: only the validation and parse functions apply a JSON operator
(->, ->>, #>, #>>, ?, ?|, ?&, @>) to the request body, and no function after
the parse takes the body at all."""

from __future__ import annotations

import pglast
from pglast import ast
from pglast.parser import scan

from interview_db.project import Project

BODY = "p_body"  # the request body's name in every function that takes it
JSON_OPERATORS = {"->", "->>", "#>", "#>>", "?", "?|", "?&", "@>"}
# The validation and the parse: the only functions that may read the body's JSON.
READERS = {
    "interview_private.parse_request_key",
    "interview_private.passes_field_rules",
    "interview_private.first_invalid_field",
    "interview_private.assert_valid_request",
    "interview_private.request_warnings",  # part of the validation: what it ignored or adjusted
    "interview_private.parse_request",
    "interview_private.parse_request_texts",  # part of the parse: the plain texts, generated from the rules
}
# The functions that hand the body on, reading nothing in it (the limits are checked on
# the parameters before the body is built, by interview_private.assert_body_limits).
PASSERS = {"interview_private.create_interview"}


def _functions(project: Project) -> dict[str, tuple[list[str], str]]:
    """name -> (parameter names, body text) of every function of sql/functions/."""
    found: dict[str, tuple[list[str], str]] = {}
    for path in project.function_files():
        for raw in pglast.parse_sql(path.read_text(encoding="utf-8")):
            stmt = raw.stmt
            if not isinstance(stmt, ast.CreateFunctionStmt):
                continue
            name = ".".join(n.sval for n in stmt.funcname)
            body = next(o.arg[0].sval for o in stmt.options if o.defname == "as")
            found[name] = ([p.name or "" for p in stmt.parameters or ()], body)
    return found


def _body_readings(body: str) -> list[str]:
    """The JSON operators applied directly to p_body in a function body (the SQL scanner's tokens)."""
    tokens = scan(body)
    found = []
    for first, second in zip(tokens, tokens[1:], strict=False):
        if body[first.start:first.end + 1] == BODY and second.name == "Op":
            operator = body[second.start:second.end + 1]
            if operator in JSON_OPERATORS:
                found.append(operator)
    return found


def test_only_the_validation_and_the_parse_read_the_request_body(project: Project) -> None:
    functions = _functions(project)
    readers = {name for name, (_, body) in functions.items() if _body_readings(body)}
    assert readers and readers <= READERS, sorted(readers - READERS)


def test_no_function_after_the_parse_takes_the_request_body(project: Project) -> None:
    takers = {name for name, (params, _) in _functions(project).items() if BODY in params}
    assert takers == READERS | PASSERS


def test_the_check_finds_a_reading_where_there_is_one() -> None:
    assert _body_readings("begin return p_body ->> 'name'; end") == ["->>"]
    assert _body_readings("begin return p_body ? 'name' and p_body #>> '{}' = ''; end") == ["?", "#>>"]
    assert _body_readings("begin return p_body - 'idempotency_key'; end") == []
    assert _body_readings("begin return v_request.name; end") == []
