"""The demo: a merchant and a user, then the RPC called as PostgREST would.

The result carries what a newcomer needs to do the same on their own project:
the SQL that made the merchant and the user (what ``interview-db merchant add``
and ``member add`` do), the JWT claims of the call, the 200 body, the steps,
and a refused call with its 422.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import psycopg

from .postgrest import RpcResponse, call_rpc, user_claims
from .project import RPC_NAME, Project

DEMO_MERCHANT_ID = "d0000000-0000-4000-8000-000000000001"
DEMO_USER_ID = "d0000000-0000-4000-8000-0000000000a1"
DEMO_USER_EMAIL = "owner@demo-merchant.example"
EXAMPLE_BODY = "create-interview.json"


@dataclass
class DemoStep:
    position: int
    kind: str
    text: str


# The statements of ensure_demo_tenant, shown by the demo with their values.
TENANT_SQL = (
    ("insert into auth.users (id, email) values (%s, %s) on conflict (id) do nothing",
     (DEMO_USER_ID, DEMO_USER_EMAIL)),
    ("insert into public.merchants (id, name, coaching_enabled) values (%s, 'Demo Merchant', true) "
     "on conflict (id) do nothing", (DEMO_MERCHANT_ID,)),
    ("insert into public.profiles (id, merchant_id, role, full_name) "
     "values (%s, %s, 'merchant_owner', 'Demo Owner') on conflict (id) do nothing", (DEMO_USER_ID, DEMO_MERCHANT_ID)),
)


def shown_sql() -> list[str]:
    """The tenant statements with their values in place, uuids shortened, without
    the ``on conflict`` clause that only makes a second run harmless."""
    shown = []
    for statement, params in TENANT_SQL:
        text = statement.split(" on conflict")[0]
        for value in params:
            literal = value if len(value) != 36 or value.count("-") != 4 else f"{value[:8]}…{value[-4:]}"
            text = text.replace("%s", f"'{literal}'", 1)
        shown.append(text)
    return shown


@dataclass
class DemoResult:
    merchant_id: str
    user_id: str
    created: RpcResponse
    sql: list[str] = field(default_factory=list)
    claims: dict[str, Any] = field(default_factory=dict)
    steps: list[DemoStep] = field(default_factory=list)
    rejected: RpcResponse | None = None
    rejected_body: dict[str, Any] = field(default_factory=dict)


def ensure_demo_tenant(conn: psycopg.Connection) -> None:
    """A demo merchant with a coaching portal, and its owner; safe to run twice."""
    with conn.transaction():
        for statement, params in TENANT_SQL:
            conn.execute(statement, params)


def load_example(project: Project, name: str = EXAMPLE_BODY) -> dict[str, Any]:
    body = json.loads((project.examples_dir / name).read_text(encoding="utf-8"))
    if not isinstance(body, dict):
        raise ValueError(f"{name} must hold a JSON object")
    return body


def steps_of(conn: psycopg.Connection, set_id: str) -> list[DemoStep]:
    rows = conn.execute(
        """
        select st.position, st.kind::text, coalesce(q.question, st.text, '')
        from public.interview_def_step as st
        left join public.interview_def_question as q on q.id = st.question_id
        where st.interview_def_set_id = %s
        order by st.position
        """,
        (set_id,),
    ).fetchall()
    return [DemoStep(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def run_demo(conn: psycopg.Connection, project: Project) -> DemoResult:
    """Create one interview from the example body, then show one rejected call."""
    ensure_demo_tenant(conn)
    claims = user_claims(DEMO_USER_ID, DEMO_USER_EMAIL)
    body = load_example(project)
    created = call_rpc(conn, RPC_NAME, body, claims)
    result = DemoResult(merchant_id=DEMO_MERCHANT_ID, user_id=DEMO_USER_ID, created=created, sql=shown_sql(),
                        claims=claims)
    if created.ok and isinstance(created.body, dict):
        result.steps = steps_of(conn, str(created.body["interview_def_set_id"]))
    bad = dict(body)
    bad["questions"] = [*body.get("questions", [])[:2], {"question": "Tell us about a deadline you missed.", "duration": 18000}]
    result.rejected_body = bad
    result.rejected = call_rpc(conn, RPC_NAME, bad, claims)
    return result
