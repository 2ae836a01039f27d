"""doctor's proof that the API works: every public RPC of the package is called
as PostgREST would call it (postgrest.call_rpc_in_transaction: role, JWT
claims, named arguments through json_to_record), inside one transaction that
is rolled back, so nothing it does is ever seen by anyone.

The transaction first makes a caller of its own (an auth user, a merchant and
its owner's profile), so that each call gets past the authorisation and
reaches the code that reads and writes the package's tables: a deployment
whose functions call a table, type or function that no longer exists (a
partial rollback, a hand-dropped helper) answers 404 ``42P01``/``42883``, 400
``42704`` or 500 ``XX000`` here instead of to the first real user. Each probe
states the answer a working deployment gives (a 422 naming the field for bad
input, a 401 ``malformed`` for a garbage embed token, a 404 for an unknown
webhook endpoint); any other answer is a failure naming the function.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from .postgrest import call_rpc_in_transaction, service_role_claims, user_claims

# SQLSTATEs of a function that cannot run: a missing table, function or type,
# an internal error (e.g. "cache lookup failed"), or PostgREST not finding it.
BROKEN_SQLSTATES = ("42P01", "42883", "42704", "42703", "XX000", "PGRST202", "PGRST203")
UNKNOWN_TOKEN = "0" * 64  # well formed, never issued: the lookup runs and finds nothing


@dataclass(frozen=True)
class Probe:
    """One call and the answer a working deployment gives it."""

    function: str
    what: str  # the body, in a few words
    caller: str  # owner | service_role
    body: dict[str, Any]
    status: int
    details: str | None = None  # the field a 4xx must name (PostgREST's details), when it names one

    @property
    def label(self) -> str:
        return f"{self.function} ({self.what}, as {self.caller.replace('_', ' ')})"


@dataclass
class ProbeResult:
    probe: Probe
    status: int
    code: str | None
    details: str | None
    message: str | None

    @property
    def ok(self) -> bool:
        if self.code in BROKEN_SQLSTATES or self.status >= 500:
            return False
        if self.status != self.probe.status:
            return False
        return self.probe.details is None or self.details == self.probe.details

    def describe(self) -> str:
        got = f"HTTP {self.status}" + (f" {self.code}" if self.code else "")
        if self.details:
            got += f" ({self.details})"
        if self.message and not self.ok:
            got += f": {self.message}"
        expected = f"HTTP {self.probe.status}" + (f" naming {self.probe.details}" if self.probe.details else "")
        return f"{self.probe.label}: {got}" + ("" if self.ok else f", expected {expected}")


def probes(merchant_id: str, template_id: str | None, language: str | None) -> list[Probe]:
    """The calls doctor makes, for a caller who owns ``merchant_id``."""
    body = {
        "name": "doctor probe", "location": "remote", "interview_template_id": template_id or str(uuid.uuid4()),
        "mojito_language_code": language or "en", "description": "doctor's rolled-back call", "status": "draft",
        "type": "interview", "visibility": "merchant_public",
        "questions": [{"question": "Tell us about yourself."}], "is_embedded": True,
    }
    found: list[Probe] = []
    if template_id and language:  # the reference data is there (the seed check says when not)
        found.append(Probe("job_interview_create_from_array", "a valid embedded interview", "owner", body, 200))
    found += [
        Probe("job_interview_create_from_array", "a question of 5 hours", "owner",
              {**body, "questions": [{"question": "Tell us about yourself.", "duration": 18000}]}, 422,
              "questions[0].duration"),
        # the fallback overload: an unknown key is ignored, so a typo of a required field is the missing field
        Probe("job_interview_create_from_array", "a typo of a required field", "owner",
              {**{k: v for k, v in body.items() if k != "name"}, "nmae": "typo"}, 422, "name"),
        Probe("merchant_invitation_create", "a valid invitation", "owner",
              {"merchant_id": merchant_id, "role": "merchant", "email": "doctor-probe@example.invalid"}, 200),
        Probe("merchant_invitation_create", "a malformed email", "owner",
              {"merchant_id": merchant_id, "role": "merchant", "email": "not an address"}, 422, "email"),
        Probe("merchant_invitation_accept", "a malformed token", "owner", {"token": "not-a-token"}, 422, "token"),
        Probe("merchant_invitation_accept", "a token never issued", "owner", {"token": UNKNOWN_TOKEN}, 403, "token"),
        Probe("merchant_member_remove", "a malformed user id", "owner", {"user_id": "not-a-uuid"}, 422, "user_id"),
        Probe("merchant_create", "by an owner, not an admin", "owner", {"name": "doctor probe"}, 403),
        Probe("verify_embed_token", "a malformed token", "service_role", {"token": "not.a.token"}, 401, "malformed"),
        Probe("webhook_endpoint_create", "a malformed url", "owner", {"url": "not a url"}, 422, "url"),
        Probe("webhook_endpoint_create", "a valid endpoint", "owner", {"url": "https://hooks.example.com/doctor-probe"}, 200),
        Probe("webhook_endpoint_update", "an unknown endpoint", "owner", {"endpoint_id": str(uuid.uuid4()), "enabled": False}, 404),
        Probe("webhook_endpoint_rotate_secret", "an unknown endpoint", "owner", {"endpoint_id": str(uuid.uuid4())}, 404),
        Probe("webhook_endpoint_delete", "an unknown endpoint", "owner", {"endpoint_id": str(uuid.uuid4())}, 404),
        Probe("webhook_endpoint_test", "an unknown endpoint", "owner", {"endpoint_id": str(uuid.uuid4())}, 404),
        Probe("webhook_endpoint_deliveries", "an unknown endpoint", "owner", {"endpoint_id": str(uuid.uuid4())}, 404),
        Probe("webhook_delivery_replay", "an unknown delivery", "owner", {"delivery_id": str(uuid.uuid4())}, 404),
    ]
    return found


class ProbeSetupError(RuntimeError):
    """The rolled-back caller could not be made (the message says why)."""


def _caller(conn: psycopg.Connection) -> tuple[str, str, str | None, str | None]:
    """An auth user owning a new merchant, inside the open transaction: (user, merchant, template, language)."""
    user_id, merchant_id = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        conn.execute("savepoint doctor_caller")
        conn.execute("insert into auth.users (id, email) values (%s, %s)", (user_id, f"{user_id}@doctor.invalid"))
        conn.execute("insert into public.merchants (id, name) values (%s, 'doctor probe')", (merchant_id,))
        conn.execute("insert into public.profiles (id, merchant_id, role) values (%s, %s, 'merchant_owner')",
                     (user_id, merchant_id))
        template = conn.execute("select id::text from public.interview_templates order by id limit 1").fetchone()
        language = conn.execute(
            "select code from public.platform_languages order by code <> 'en', code limit 1").fetchone()
        conn.execute("release savepoint doctor_caller")
    except psycopg.Error as exc:
        conn.execute("rollback to savepoint doctor_caller")
        raise ProbeSetupError(exc.diag.message_primary or type(exc).__name__) from None
    return user_id, merchant_id, (template[0] if template else None), (language[0] if language else None)


def may_act_as_api_roles(conn: psycopg.Connection) -> bool:
    """Whether this session may take the API roles' identity (as PostgREST's authenticator does)."""
    row = conn.execute(
        "select count(*) = 2 from pg_catalog.pg_roles as r where r.rolname in ('authenticated', 'service_role') "
        "and pg_catalog.pg_has_role(current_user, r.oid, 'member')").fetchone()
    return bool(row and row[0])


def call_every_rpc(conn: psycopg.Connection) -> list[ProbeResult]:
    """Every probe, in one transaction that is rolled back; ``conn`` in autocommit and idle."""
    results: list[ProbeResult] = []
    with conn.transaction(force_rollback=True):
        user_id, merchant_id, template, language = _caller(conn)
        claims = {"owner": user_claims(user_id, f"{user_id}@doctor.invalid"), "service_role": service_role_claims()}
        for probe in probes(merchant_id, template, language):
            response = call_rpc_in_transaction(conn, probe.function, probe.body, claims[probe.caller])
            body = response.body if isinstance(response.body, dict) else {}
            results.append(ProbeResult(
                probe, response.status,
                str(body["code"]) if not response.ok and body.get("code") else None,
                str(body["details"]) if not response.ok and body.get("details") is not None else None,
                str(body["message"]) if not response.ok and body.get("message") else None))
    return results


def unprobed(public_functions: list[str]) -> list[str]:
    """The package's public RPCs (schema.name) that no probe calls."""
    called = {f"public.{p.function}" for p in probes(str(uuid.uuid4()), "x", "en")}
    return sorted(set(n for n in public_functions if n.startswith("public.")) - called)
