"""The upgrade gate: calls already inside the old code finish, later ones run the new code.

Every public RPC's body starts with the gate (``gate_lines``): a shared
advisory lock on ``GATE_KEY``, granted at once (about a microsecond) unless an
upgrade holds the key; when it is not, ``interview_private.upgrade_gate()``
(sql/functions/interview_private.upgrade_gate.sql) waits for the upgrade's
commit and reads its catalog, and the RPC calls itself again by name
(``redispatch``). An upgrade's one transaction takes
the gate key exclusively before any other lock (migrations._in_one_transaction):
calls already past the gate hold it shared, so the upgrade waits for them; calls
that arrive later wait at the gate for the commit and then re-dispatch, reaching
the new release's function (a replaced one keeps its oid and is compiled again,
a retired one was renamed out of ``public``).

A release deployed before the gate existed has ungated public functions. Before
its upgrade, ``gate_deployed`` wraps each of them in one short transaction of
its own: the same function (``create or replace``, same oid, same signature,
grants and settings) whose body is a gate written out in full (the release has
no gate function) followed by the old body as a nested block, so it behaves as
before. Then every transaction older than that commit is waited out, so no call
is inside an ungated body when the upgrade takes the gate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pglast
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from .functions import _INPUT_MODES, API_SCHEMA, BOOKKEEPING_SCHEMA, FunctionFile, FunctionHeader

GATE_KEY = int.from_bytes(b"intervdg", "big")  # also written in interview_private.upgrade_gate.sql
GATE_FUNCTION = "interview_private.upgrade_gate"
# A gate written out in full by gate_deployed locks this table (it exists wherever migrate deployed)
_WRAPPER_RELATION = f"{BOOKKEEPING_SCHEMA}.function_files"
_FAST_PATH = f"pg_catalog.pg_try_advisory_xact_lock_shared({GATE_KEY})"
_WRAPPED_MARK = "-- interview-db upgrade gate (the release deployed before it had none)"

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def redispatch(function: str, names: list[str | None], indent: str = "    ") -> str:
    """``return <function>(<name> => $1, ...);``: the call again, by name, with the
    call's own arguments (named when every input parameter has a name)."""
    if all(names):
        items = [f"{n} => ${i}" for i, n in enumerate(names, 1)]
    else:
        items = [f"${i}" for i in range(1, len(names) + 1)]
    one_line = f"{indent}return {function}({', '.join(items)});"
    if len(one_line) <= 100:
        return one_line
    return f"{indent}return {function}(\n" + ",\n".join(f"{indent}  {a}" for a in items) + f"\n{indent});"


def gate_lines(function: str, names: list[str | None], indent: str = "  ") -> str:
    """The first statement of every public RPC's body: the fast path (a shared
    advisory lock, granted at once unless an upgrade holds the key) written out,
    the wait in the gate function, then the call again."""
    return (f"{indent}if not {_FAST_PATH} then\n"
            f"{indent}  perform {GATE_FUNCTION}();\n"
            f"{redispatch(function, names, indent + '  ')}\n"
            f"{indent}end if;\n")


# -- wrapping a release without the gate -----------------------------------------

_DIRECTIVE = re.compile(r"\A(\s*(?:--[^\n]*\n\s*)*)(#\w+[^\n]*\n)")


def wrap_body(prosrc: str, same_shape_call: str, new_shape_call: str | None, old_signature: str) -> str:
    """A plpgsql body with the gate written out in front and the old body as a nested block.

    After waiting, the call goes to the function of its own signature when it is
    still deployed (the upgrade failed, or replaced it in place), otherwise to the
    new release's function of that name (``new_shape_call``)."""
    directives = ""
    body = prosrc
    while (m := _DIRECTIVE.match(body)):  # #variable_conflict and the like come first
        directives += m.group(2)
        body = m.group(1) + body[m.end():]
    body = body.rstrip()
    if body.endswith(";"):
        body = body[:-1].rstrip()
    if not re.search(r"\bend\s*(\w+\s*)?$", body, re.IGNORECASE):
        raise ValueError("its body does not end with the end of its block")
    redirect = same_shape_call
    if new_shape_call and new_shape_call != same_shape_call:
        redirect = (f"if pg_catalog.to_regprocedure({_literal(old_signature)}) is not null then\n"
                    f"    {same_shape_call}\n"
                    f"    end if;\n"
                    f"    {new_shape_call}")
    return (
        f"{directives}begin\n"
        f"  {_WRAPPED_MARK}\n"
        f"  if not {_FAST_PATH} then\n"
        f"    perform pg_catalog.pg_advisory_xact_lock_shared({GATE_KEY});\n"
        f"    lock table {_WRAPPER_RELATION} in access share mode;\n"
        f"    {redirect}\n"
        f"  end if;\n"
        f"{body}\n;\n"
        f"end\n"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_DEPLOYED_SQL = """
select p.oid, p.oid::regprocedure::text, p.proname, p.prosrc, p.proargnames, p.proargmodes, p.proretset,
       (select pg_catalog.array_agg(t::regtype::text order by o)
        from unnest(p.proargtypes::oid[]) with ordinality as u (t, o))
from pg_catalog.pg_proc as p
join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
join pg_catalog.pg_language as l on l.oid = p.prolang
where n.nspname = %s and l.lanname = 'plpgsql' and p.prokind = 'f'
order by 2
"""


@dataclass
class Deployed:
    oid: int
    signature: str
    name: str
    prosrc: str
    input_names: list[str | None]
    input_types: list[str]
    returns_set: bool

    @property
    def gated(self) -> bool:
        return _FAST_PATH in self.prosrc


def deployed_public(conn: psycopg.Connection) -> list[Deployed]:
    """Every plpgsql function of the API schema (run with search_path pg_catalog, pg_temp)."""
    found = []
    for oid, signature, name, prosrc, argnames, argmodes, retset, types in conn.execute(
            _DEPLOYED_SQL, (API_SCHEMA,)).fetchall():
        modes = list(argmodes or [])
        names = list(argnames or [])
        inputs: list[str | None] = []
        for index in range(len(modes) if modes else len(types or [])):
            mode = modes[index] if modes else "i"
            if mode in ("i", "b", "v"):
                inputs.append((names[index] or None) if index < len(names) else None)
        found.append(Deployed(int(oid), str(signature), str(name), str(prosrc), inputs, list(types or []),
                              bool(retset)))
    return found


@dataclass
class GateResult:
    wrapped: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "signature: why"


def gate_deployed(conn: psycopg.Connection, ungated: list[Deployed],
                  new_headers: dict[str, tuple[FunctionHeader, list[str | None]]],
                  progress: Progress = _quiet) -> GateResult:
    """Inside a transaction of its own: wrap each of the ``ungated`` public plpgsql
    functions (deployed_public's, without the gate).

    ``new_headers``: schema.name -> (header, input parameter names) of the release
    being deployed, for the call a waiting call makes when its own signature is gone."""
    result = GateResult()
    for function in ungated:
        if function.returns_set:
            result.skipped.append(f"{function.signature}: returns a set")
            continue
        qualified = f"{API_SCHEMA}.{function.name}"
        same = redispatch(qualified, function.input_names, "").strip()
        new = None
        if qualified in new_headers:
            header, names = new_headers[qualified]
            if len(names) >= len(function.input_names) and all(names) and all(function.input_names):
                by_name = dict(zip(function.input_names, range(1, len(function.input_names) + 1)))
                types = dict(zip(names, header.input_types))
                arguments = []
                for name in names:
                    if name in by_name:
                        i = by_name[name]
                        old_type = function.input_types[i - 1]
                        value = f"${i}"
                        if types[name] == "jsonb" and old_type != "jsonb":
                            value = f"pg_catalog.to_jsonb(${i})"
                        arguments.append(f"{name} => {value}")
                new = f"return {qualified}({', '.join(arguments)});"
        try:
            body = wrap_body(function.prosrc, same, new, function.signature)
        except ValueError as exc:
            result.skipped.append(f"{function.signature}: {exc}")
            continue
        definition = conn.execute("select pg_catalog.pg_get_functiondef(%s)", (function.oid,)).fetchone()[0]  # type: ignore[index]
        found = re.search(r"\nAS \$\w*\$", definition)
        if found is None:
            result.skipped.append(f"{function.signature}: no AS in its definition")
            continue
        header_sql = definition[:found.start()]
        try:
            with conn.transaction():
                conn.execute(sql.SQL("{} AS {}").format(sql.SQL(header_sql), sql.Literal(body)))
        except psycopg.Error as exc:
            result.skipped.append(f"{function.signature}: {exc.diag.message_primary or exc}")
            continue
        progress(f"gating {function.signature}")
        result.wrapped.append(function.signature)
    for item in result.skipped:
        progress(f"not gated: {item}")
    return result


def refresh_fingerprints(conn: psycopg.Connection, signatures: list[str]) -> None:
    """The recorded fingerprint of each wrapped function, as it is now (wrapping is
    a deployment, not drift); only functions that had a record."""
    from . import drift  # drift imports functions, as this module does

    if not signatures or drift.recorded(conn) is None:
        return
    names = sorted({s.split("(")[0] for s in signatures})
    for (kind, identity), fingerprint in drift.live(conn, drift.Scope(tuple(names), ())).items():
        if kind == "function" and identity in signatures:
            conn.execute(
                sql.SQL("update {}.catalog_fingerprints set fingerprint = %s "
                        "where kind = 'function' and identity = %s").format(sql.Identifier(BOOKKEEPING_SCHEMA)),
                (Jsonb(fingerprint), identity))


def input_names(statement_text: str) -> list[str | None]:
    """The input parameters' names of a CREATE FUNCTION statement, in order (None: unnamed)."""
    parsed = pglast.parse_sql(statement_text)[0].stmt
    return [p.name or None for p in (parsed.parameters or ()) if p.mode in _INPUT_MODES]


def new_release_headers(files: list[FunctionFile]) -> dict[str, tuple[FunctionHeader, list[str | None]]]:
    """schema.name -> (header, input names) of each public function the files define (one per name)."""
    found: dict[str, tuple[FunctionHeader, list[str | None]]] = {}
    for file in files:
        for statement in file.statements:
            header = statement.creates
            if header is not None and header.schema == API_SCHEMA:
                names = input_names(statement.text)
                if all(names) or header.qualified_name not in found:
                    found[header.qualified_name] = (header, names)
    return found


def unwrapped(prosrc: str) -> str:
    """The body gate_deployed wrapped (its trailing semicolon and blanks dropped), or the body itself."""
    if _WRAPPED_MARK not in prosrc:
        return _normal(prosrc)
    start = prosrc.index("\n  end if;\n", prosrc.index(_WRAPPED_MARK)) + len("\n  end if;\n")
    inner = prosrc[start:]
    inner = inner[: inner.rstrip().rindex("end")].rstrip()
    assert inner.endswith(";")
    return _normal(inner[:-1])


def _normal(body: str) -> str:
    body = body.rstrip()
    return body[:-1].rstrip() if body.endswith(";") else body
