"""Static checks of the package's SQL with pglast (PostgreSQL's own parser).

Rules:

* every file parses, and so does every PL/pgSQL body in it;
* every function states its volatility (immutable, stable or volatile);
* every function sets ``search_path = pg_catalog, pg_temp``, exactly: an empty
  search_path still looks up type names in pg_temp first (PostgreSQL's guide to
  SECURITY DEFINER functions), so a session could shadow ``jsonb`` with a
  temporary domain; pg_temp named last closes that (functions of Supabase's
  own ``auth`` schema, which the local shim mirrors, are checked too);
* every table created in a schema PostgREST exposes enables row level security
  (in any file of the set: a migration may enable it after creating the table);
* a type file (sql/types) creates one composite type, named like the file, with
  its ``comment on type`` (owned_types.problems).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pglast
from pglast import ast
from pglast.enums.parsenodes import AlterTableType

from .owned_types import problems as type_file_problems


@dataclass(frozen=True, order=True)
class Violation:
    file: str
    line: int
    subject: str
    rule: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.subject}: {self.rule}"


def _line_of(text: str, offset: int | None) -> int:
    if not offset:
        return 1
    return text.encode("utf-8")[:offset].decode("utf-8", errors="ignore").count("\n") + 1


def _first_code_line(raw: str, first_line: int) -> int:
    """The line where a statement's code starts, past leading blank and comment lines."""
    for offset, line in enumerate(raw.split("\n")):
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            return first_line + offset
    return first_line


def _qualified(names: Iterable[ast.String]) -> str:
    return ".".join(n.sval for n in names)


def _function_signature(stmt: ast.CreateFunctionStmt) -> str:
    args = []
    for param in stmt.parameters or ():
        type_name = ".".join(n.sval for n in param.argType.names) if param.argType else "?"
        type_name = type_name.removeprefix("pg_catalog.") + ("[]" if param.argType and param.argType.arrayBounds else "")
        args.append(f"{param.name} {type_name}" if param.name else type_name)
    return f"function {_qualified(stmt.funcname)}({', '.join(args)})"


# libpg_query parses PL/pgSQL without a catalog: it resolves a variable's type
# only in pg_catalog and public, and takes an array of a type it does not know
# for an array of records, which PL/pgSQL refuses. For this syntax check only,
# every name qualified by one of the package's other schemas is spelled as a
# built-in type; the statement's structure, which is what is checked, stays the
# same. (Types and names are checked for real when migrate creates the function.)
_OTHER_SCHEMA_NAME = re.compile(r"\b(?:public|interview_private|interview_access|interview_deploy|auth|extensions)\.\w+")


_FIELD_ASSIGNMENT = re.compile(r"^\s*(\w+)\.\w+\s*:=", re.MULTILINE)


def _for_plpgsql_parser(statement: str) -> str:
    # The parser cannot look up the project's types: they parse as text, except that a
    # variable whose fields are assigned (v_request.name := ...) is of a composite type
    # and parses as a record.
    for variable in set(_FIELD_ASSIGNMENT.findall(statement)):
        statement = re.sub(rf"(\b{variable}\s+){_OTHER_SCHEMA_NAME.pattern}(\s*;)", r"\1record\2", statement)
    return _OTHER_SCHEMA_NAME.sub("pg_catalog.text", statement)


REQUIRED_SEARCH_PATH = ["pg_catalog", "pg_temp"]


def _search_path(stmt: ast.CreateFunctionStmt) -> list[str] | None:
    """The search_path a function sets (``set search_path = a, b``), or None when it sets none."""
    for opt in stmt.options or ():
        if opt.defname == "set" and isinstance(opt.arg, ast.VariableSetStmt) and opt.arg.name == "search_path":
            return [str(getattr(getattr(a, "val", None), "sval", "")) for a in opt.arg.args or ()]
    return None


def _check_function(stmt: ast.CreateFunctionStmt, raw: str, file: str, line: int) -> list[Violation]:
    subject = _function_signature(stmt)
    options = {opt.defname: opt for opt in stmt.options or ()}
    found: list[Violation] = []
    if "volatility" not in options:
        found.append(Violation(file, line, subject, "does not state its volatility (immutable, stable or volatile)"))
    path = _search_path(stmt)
    if path != REQUIRED_SEARCH_PATH:
        definer = getattr(getattr(options.get("security"), "arg", None), "boolval", False)
        kind = "is SECURITY DEFINER and" if definer else "is a function that"
        shown = "no search_path" if path is None else "search_path = " + (", ".join(path) if path != [""] else "''")
        found.append(Violation(file, line, subject,
                               f"{kind} sets {shown}, not `set search_path = pg_catalog, pg_temp` (pg_temp last)"))
    language = options.get("language")
    if language is not None and getattr(language.arg, "sval", "") == "plpgsql":
        try:
            pglast.parse_plpgsql(_for_plpgsql_parser(raw))
        except pglast.parser.ParseError as exc:
            found.append(Violation(file, line, subject, f"PL/pgSQL body does not parse: {exc}"))
    return found


def lint_files(files: Iterable[Path], exposed_schemas: Iterable[str] = ("public",), root: Path | None = None) -> list[Violation]:
    """Every violation in ``files``, sorted by file and line."""
    exposed = set(exposed_schemas)
    violations: list[Violation] = []
    tables: dict[str, tuple[str, int]] = {}
    rls: set[str] = set()
    for path in files:
        name = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
        text = path.read_text(encoding="utf-8")
        if path.parent.name == "types" and path.parent.parent.name == "sql":
            violations += [Violation(name, line, "type file", problem) for line, problem in type_file_problems(path)
                           if not problem.startswith("does not parse")]
        try:
            statements = pglast.parse_sql(text)
        except pglast.parser.ParseError as exc:
            violations.append(Violation(name, _line_of(text, getattr(exc, "location", None)), "file", f"does not parse: {exc}"))
            continue
        for raw_stmt in statements:
            stmt = raw_stmt.stmt
            start = raw_stmt.stmt_location or 0
            length = raw_stmt.stmt_len or len(text.encode("utf-8")) - start
            raw = text.encode("utf-8")[start : start + length].decode("utf-8")
            line = _first_code_line(raw, _line_of(text, start))
            if isinstance(stmt, ast.CreateFunctionStmt):
                violations += _check_function(stmt, raw, name, line)
            elif isinstance(stmt, ast.CreateStmt):
                schema = stmt.relation.schemaname or "public"
                if schema in exposed and stmt.relation.relpersistence == "p":
                    tables.setdefault(f"{schema}.{stmt.relation.relname}", (name, line))
            elif isinstance(stmt, ast.AlterTableStmt):
                schema = stmt.relation.schemaname or "public"
                for cmd in stmt.cmds or ():
                    if cmd.subtype in (AlterTableType.AT_EnableRowSecurity, AlterTableType.AT_ForceRowSecurity):
                        rls.add(f"{schema}.{stmt.relation.relname}")
    for table, (file, line) in tables.items():
        if table not in rls:
            violations.append(
                Violation(file, line, f"table {table}", "is in an exposed schema and never enables row level security")
            )
    return sorted(violations)
