"""Call a database function the way PostgREST does for ``POST /rpc/<name>``.

There is no PostgREST binary on these machines, so this module reproduces what
PostgREST (v12/v13) sends to PostgreSQL for an RPC call, and what it answers:

* the function is resolved from the catalog by name and the body's keys, with
  PostgREST's rules: a named signature whose parameters cover the keys, else a
  single unnamed ``json``/``jsonb`` parameter that takes the whole body, else
  ``404 PGRST202``;
* one transaction: ``BEGIN ISOLATION LEVEL READ COMMITTED`` (``READ WRITE`` for
  a volatile function, ``READ ONLY`` otherwise), then transaction-local
  ``set_config`` of ``search_path``, ``role``, ``request.jwt.claims``,
  ``request.method``, ``request.path``, ``request.headers`` and
  ``request.cookies``, then the call with named arguments taken from the JSON
  body through ``json_to_record`` (only the keys present, so defaults apply),
  then ``COMMIT`` (or ``ROLLBACK`` with ``Prefer: tx=rollback``, or on error);
* an error becomes PostgREST's status and body ``{code, message, details,
  hint}``, with its SQLSTATE table (``PTnnn`` -> nnn, 42501 -> 401 for anon and
  403 otherwise, 23505 -> 409, 22xxx and P0001 -> 400, 40xxx -> 500, ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus

DEFAULT_EXTRA_SEARCH_PATH = ("public", "extensions")
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class RpcResponse:
    """What PostgREST would answer: HTTP status, parsed JSON body, headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class _Param:
    name: str
    type: str
    required: bool
    variadic: bool


@dataclass(frozen=True)
class _Routine:
    schema: str
    name: str
    params: tuple[_Param, ...]
    volatile: bool

    def matches(self, keys: set[str]) -> bool:
        if not self.params:
            return not keys
        required = {p.name for p in self.params if p.required}
        optional = {p.name for p in self.params if not p.required}
        if not optional:
            return keys == required
        if not required:
            return keys <= optional
        return keys - optional == required

    @property
    def single_unnamed_json(self) -> bool:
        return len(self.params) == 1 and self.params[0].name == "" and self.params[0].type in ("json", "jsonb")


class SchemaCache:
    """PostgREST's schema cache, for the functions a caller resolves: loaded
    once per (schema, name), as PostgREST loads its cache at start-up. Without
    one, every call reads the catalog (always fresh, a little slower)."""

    def __init__(self) -> None:
        self._routines: dict[tuple[str, str], list[_Routine]] = {}
        self._queries: dict[tuple[_Routine, frozenset[str], bool], bytes] = {}

    def routines(self, conn: psycopg.Connection, schema: str, name: str) -> list[_Routine]:
        key = (schema, name)
        if key not in self._routines:
            self._routines[key] = _routines(conn, schema, name)
        return self._routines[key]

    def query(self, conn: psycopg.Connection, routine: _Routine, keys: set[str], is_object: bool) -> bytes:
        key = (routine, frozenset(keys), is_object)
        if key not in self._queries:
            self._queries[key] = _call_query(routine, keys, is_object).as_bytes(conn)
        return self._queries[key]


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.response = RpcResponse(
            status,
            {"code": code, "message": message, "details": details, "hint": hint},
            {"Content-Type": JSON_CONTENT_TYPE},
        )


def user_claims(user_id: str, email: str | None = None) -> dict[str, Any]:
    """The claims of a Supabase access token for a signed-in user."""
    claims: dict[str, Any] = {"sub": str(user_id), "role": "authenticated", "aud": "authenticated"}
    if email:
        claims["email"] = email
    return claims


def service_role_claims() -> dict[str, Any]:
    """The claims of Supabase's service_role key."""
    return {"role": "service_role", "iss": "supabase"}


_ROUTINES_SQL = """
select n.nspname, p.proname, p.provolatile = 'v',
       coalesce(array_agg(coalesce(a.name, '') order by a.n) filter (where a.n is not null), '{}'),
       coalesce(array_agg(format_type(a.typ, null) order by a.n) filter (where a.n is not null), '{}'),
       coalesce(array_agg(a.mode order by a.n) filter (where a.n is not null), '{}'),
       p.pronargs - p.pronargdefaults
from pg_proc as p
join pg_namespace as n on n.oid = p.pronamespace
left join lateral unnest(
  coalesce(p.proallargtypes::oid[], p.proargtypes::oid[]),
  coalesce(p.proargmodes::text[], array_fill('i'::text, array[p.pronargs::integer])),
  p.proargnames
) with ordinality as a (typ, mode, name, n) on a.mode in ('i', 'b', 'v')
where n.nspname = %s and p.proname = %s and p.prokind = 'f'
group by p.oid, n.nspname, p.proname, p.provolatile, p.pronargs, p.pronargdefaults
"""


def _routines(conn: psycopg.Connection, schema: str, name: str) -> list[_Routine]:
    routines = []
    for schema_name, proname, volatile, names, types, modes, n_required in conn.execute(
        _ROUTINES_SQL, (schema, name)
    ).fetchall():
        params = tuple(
            _Param(pname, ptype, i < n_required, mode == "v")
            for i, (pname, ptype, mode) in enumerate(zip(names, types, modes, strict=True))
        )
        routines.append(_Routine(schema_name, proname, params, bool(volatile)))
    return routines


def _resolve(routines: list[_Routine], schema: str, name: str, keys: set[str]) -> _Routine:
    named = [r for r in routines if r.matches(keys)]
    fallback = [r for r in routines if not r.matches(keys) and r.single_unnamed_json]
    if len(named) == 1:
        return named[0]
    if len(named) > 1 or (not named and len(fallback) > 1):
        candidates = named or fallback
        listed = ", ".join(
            f"{r.schema}.{r.name}(" + ", ".join(f"{p.name} => {p.type}" for p in r.params) + ")" for r in candidates
        )
        raise _ApiError(
            300,
            "PGRST203",
            f"Could not choose the best candidate function between: {listed}",
            None,
            "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
        )
    if fallback:
        return fallback[0]
    ordered = sorted(keys)
    params_msg = f"({', '.join(ordered)})" if ordered else " without parameters"
    params_det = (
        f" with parameter{'s' if len(ordered) > 1 else ''} {', '.join(ordered)}" if ordered else " without parameters"
    )
    raise _ApiError(
        404,
        "PGRST202",
        f"Could not find the function {schema}.{name}{params_msg} in the schema cache",
        f"Searched for the function {schema}.{name}{params_det} or with a single unnamed json/jsonb parameter, "
        "but no matches were found in the schema cache.",
        None,
    )


def _body_keys(payload: Any) -> set[str]:
    if isinstance(payload, dict):
        return set(payload)
    if isinstance(payload, list) and payload and all(isinstance(item, dict) for item in payload):
        keys = set(payload[0])
        if any(set(item) != keys for item in payload):
            raise _ApiError(400, "PGRST102", "All object keys must match")
        return keys
    if isinstance(payload, list) and not payload:
        return set()
    raise _ApiError(400, "PGRST102", "Empty or invalid json")


def _call_query(routine: _Routine, keys: set[str], is_object: bool) -> sql.Composed:
    fn = sql.SQL("{}.{}").format(sql.Identifier(routine.schema), sql.Identifier(routine.name))
    if routine.single_unnamed_json and not routine.matches(keys):
        call = sql.SQL("FROM (SELECT {fn}(%(body)s::{typ}) pgrst_scalar) pgrst_call").format(
            fn=fn, typ=sql.SQL(routine.params[0].type)
        )
    else:
        params = [p for p in routine.params if p.name in keys]
        if not params:
            call = sql.SQL("FROM (SELECT {fn}() pgrst_scalar) pgrst_call").format(fn=fn)
        else:
            names = sql.SQL(", ").join(sql.Identifier(p.name) for p in params)
            typed = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(p.name), sql.SQL(p.type)) for p in params
            )
            args = sql.SQL(", ").join(
                sql.SQL("{variadic}{name} := pgrst_body.{name}").format(
                    variadic=sql.SQL("VARIADIC " if p.variadic else ""), name=sql.Identifier(p.name)
                )
                for p in params
            )
            to_record = sql.SQL("json_to_record" if is_object else "json_to_recordset")
            call = sql.SQL(
                "FROM (SELECT %(body)s::json AS json_data) pgrst_payload, "
                "LATERAL (SELECT {names} FROM {to_record}(pgrst_payload.json_data) AS _({typed}) LIMIT 1) pgrst_body, "
                "LATERAL (SELECT {fn}({args}) pgrst_scalar) pgrst_call"
            ).format(names=names, to_record=to_record, typed=typed, fn=fn, args=args)
    return sql.SQL(
        "WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar {call}) "
        "SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, "
        "coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null')::text AS body, "
        "nullif(current_setting('response.headers', true), '') AS response_headers, "
        "nullif(current_setting('response.status', true), '') AS response_status "
        "FROM (SELECT pgrst_source.* FROM pgrst_source) _postgrest_t"
    ).format(call=call)


def http_status(sqlstate: str, message: str, authenticated: bool) -> int:
    """PostgREST's mapping of a SQLSTATE to an HTTP status."""
    s = sqlstate or ""
    exact = {
        "23503": 409,
        "23505": 409,
        "25006": 405,
        "P0001": 400,
        "42883": 404,
        "42P01": 404,
        "42P17": 500,
        "53400": 500,
        "57P01": 503,
    }
    if s == "42501":
        return 403 if authenticated else 401
    if s == "21000":
        return 400 if message.endswith("requires a WHERE clause") else 500
    if s == "22023":
        return 401 if message.startswith("role") and message.endswith("does not exist") else 400
    if s in exact:
        return exact[s]
    if s.startswith("PT"):
        try:
            return int(s[2:])
        except ValueError:
            return 500
    prefixes = {
        "08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500, "39": 500,
        "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500, "F0": 500, "HV": 500,
        "P0": 500, "XX": 500,
    }  # fmt: skip
    return prefixes.get(s[:2], 400)


def _error_response(exc: psycopg.Error, authenticated: bool) -> RpcResponse:
    diag = exc.diag
    sqlstate = diag.sqlstate or ""
    message = diag.message_primary or str(exc)
    headers = {"Content-Type": JSON_CONTENT_TYPE}
    if sqlstate == "PGRST":
        try:
            custom = json.loads(message)
            control = json.loads(diag.message_detail or "")
            status = int(control["status"])
            headers.update({str(k): str(v) for k, v in (control.get("headers") or {}).items()})
            body = {
                "code": custom["code"],
                "message": custom["message"],
                "details": custom.get("details"),
                "hint": custom.get("hint"),
            }
            return RpcResponse(status, body, headers)
        except (ValueError, KeyError, TypeError):
            return RpcResponse(
                500,
                {"code": "PGRST121", "message": 'Could not parse JSON in the "RAISE SQLSTATE \'PGRST\'" error',
                 "details": None, "hint": None},
                headers,
            )
    status = http_status(sqlstate, message, authenticated)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return RpcResponse(
        status,
        {"code": sqlstate, "message": message, "details": diag.message_detail, "hint": diag.message_hint},
        headers,
    )


def rpc_statement(
    conn: psycopg.Connection, function: str, body_text: str, *, schema: str = "public",
    schema_cache: SchemaCache | None = None,
) -> str:
    """The statement PostgREST runs for ``POST /rpc/<function>`` with this body,
    the body being its one parameter ``$1`` (for timing a call on the server)."""
    payload = json.loads(body_text)
    keys = _body_keys(payload)
    routines = schema_cache.routines(conn, schema, function) if schema_cache else _routines(conn, schema, function)
    routine = _resolve(routines, schema, function, keys)
    query = _call_query(routine, keys, isinstance(payload, dict)).as_string(conn)
    return query.replace("%(body)s", "$1").replace("%%", "%")


def call_rpc(
    conn: psycopg.Connection,
    function: str,
    body: Any = None,
    claims: dict[str, Any] | None = None,
    *,
    raw_body: str | None = None,
    schema: str = "public",
    extra_search_path: tuple[str, ...] = DEFAULT_EXTRA_SEARCH_PATH,
    anon_role: str = "anon",
    headers: dict[str, str] | None = None,
    tx_rollback: bool = False,
    schema_cache: SchemaCache | None = None,
) -> RpcResponse:
    """``POST /rpc/<function>`` with a JSON body, as PostgREST runs it.

    ``claims`` are the verified JWT's claims (None: no JWT, the anon role).
    ``raw_body`` sends text as is (to test invalid JSON); otherwise ``body`` is
    serialised. ``tx_rollback`` is ``Prefer: tx=rollback``. ``schema_cache``
    keeps the function lookup between calls, as PostgREST does. ``conn`` must
    be an idle connection (as PostgREST's ``authenticator``, or a superuser).
    """
    if conn.info.transaction_status != TransactionStatus.IDLE:
        raise ValueError("call_rpc needs an idle connection (no transaction in progress)")
    text = raw_body if raw_body is not None else json.dumps(body if body is not None else {})
    try:
        payload = json.loads(text) if text.strip() else {}
        keys = _body_keys(payload)
        routines = schema_cache.routines(conn, schema, function) if schema_cache else _routines(conn, schema, function)
        routine = _resolve(routines, schema, function, keys)
    except json.JSONDecodeError:
        return _ApiError(400, "PGRST102", "Empty or invalid json").response
    except _ApiError as err:
        return err.response

    _, authenticated, settings = _request_settings(conn, function, claims, schema, extra_search_path, anon_role,
                                                   headers)
    access = "READ WRITE" if routine.volatile else "READ ONLY"
    query: sql.Composed | bytes = (
        schema_cache.query(conn, routine, keys, isinstance(payload, dict))
        if schema_cache
        else _call_query(routine, keys, isinstance(payload, dict))
    )

    saved_autocommit = conn.autocommit
    conn.autocommit = True
    try:
        conn.execute(f"BEGIN ISOLATION LEVEL READ COMMITTED {access}")
        try:
            conn.execute(_SETTINGS_SQL, settings)
            row = conn.execute(query, {"body": text}).fetchone()
        except psycopg.Error as exc:
            conn.execute("ROLLBACK")
            return _error_response(exc, authenticated)
        conn.execute("ROLLBACK" if tx_rollback else "COMMIT")
    except psycopg.OperationalError as exc:
        return RpcResponse(
            503,
            {"code": "PGRST000", "message": "Database connection error. Retrying the connection.",
             "details": str(exc), "hint": None},
            {"Content-Type": JSON_CONTENT_TYPE},
        )
    finally:
        if not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE:
            conn.autocommit = saved_autocommit

    assert row is not None
    return _response(row)


_SETTINGS_SQL = (
    "select set_config('search_path', %s, true), set_config('role', %s, true), "
    "set_config('request.jwt.claims', %s, true), set_config('request.method', 'POST', true), "
    "set_config('request.path', %s, true), set_config('request.headers', %s, true), "
    "set_config('request.cookies', '{}', true)"
)


def _request_settings(
    conn: psycopg.Connection, function: str, claims: dict[str, Any] | None, schema: str,
    extra_search_path: tuple[str, ...], anon_role: str, headers: dict[str, str] | None,
) -> tuple[str, bool, tuple[str, ...]]:
    """The request's role, whether it is authenticated, and the values of the transaction's settings."""
    role = str((claims or {}).get("role") or anon_role)
    # PostgREST's "authed": the request's role is not the anonymous role.
    authenticated = role != anon_role
    jwt_claims = json.dumps(claims if claims is not None else {"role": anon_role})
    request_headers = {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}}
    if claims is not None:
        request_headers.setdefault("authorization", "Bearer <jwt>")
    search_path = ", ".join(sql.Identifier(s).as_string(conn) for s in (schema, *extra_search_path))
    return role, authenticated, (search_path, role, jwt_claims, f"/rpc/{function}", json.dumps(request_headers))


def call_rpc_in_transaction(
    conn: psycopg.Connection, function: str, body: Any, claims: dict[str, Any] | None, *, schema: str = "public",
    extra_search_path: tuple[str, ...] = DEFAULT_EXTRA_SEARCH_PATH, anon_role: str = "anon",
) -> RpcResponse:
    """``POST /rpc/<function>`` as PostgREST runs it, inside the caller's open
    transaction and undone at once: the settings and the call run in a savepoint
    that is always rolled back (for ``doctor``, which calls every RPC with rows
    of its own that the enclosing transaction also rolls back)."""
    if conn.info.transaction_status != TransactionStatus.INTRANS:
        raise ValueError("call_rpc_in_transaction needs an open transaction")
    text = json.dumps(body if body is not None else {})
    try:
        payload = json.loads(text)
        keys = _body_keys(payload)
        routine = _resolve(_routines(conn, schema, function), schema, function, keys)
    except _ApiError as err:
        return err.response
    _, authenticated, settings = _request_settings(conn, function, claims, schema, extra_search_path, anon_role, None)
    conn.execute("savepoint pgrst_call")
    try:
        conn.execute(_SETTINGS_SQL, settings)
        row = conn.execute(_call_query(routine, keys, isinstance(payload, dict)), {"body": text}).fetchone()
    except psycopg.Error as exc:
        return _error_response(exc, authenticated)
    finally:
        conn.execute("rollback to savepoint pgrst_call")
        conn.execute("release savepoint pgrst_call")
    assert row is not None
    return _response(row)


def _response(row: tuple[Any, ...]) -> RpcResponse:
    _, _, body_text, response_headers, response_status = row
    out_headers = {"Content-Type": JSON_CONTENT_TYPE}
    if response_headers:
        for item in json.loads(response_headers):
            out_headers.update({str(k): str(v) for k, v in item.items()})
    status = int(response_status) if response_status else 200
    return RpcResponse(status, json.loads(body_text), out_headers)
