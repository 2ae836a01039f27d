"""The demo: a merchant and a user, then the RPC called as PostgREST would."""

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


@dataclass
class DemoResult:
    merchant_id: str
    user_id: str
    created: RpcResponse
    steps: list[DemoStep] = field(default_factory=list)
    rejected: RpcResponse | None = None
    rejected_body: dict[str, Any] = field(default_factory=dict)


def ensure_demo_tenant(conn: psycopg.Connection) -> None:
    """A demo merchant with a coaching portal, and its owner; safe to run twice."""
    with conn.transaction():
        conn.execute(
            "insert into auth.users (id, email) values (%s, %s) on conflict (id) do nothing",
            (DEMO_USER_ID, DEMO_USER_EMAIL),
        )
        conn.execute(
            "insert into public.merchants (id, name, coaching_enabled) values (%s, 'Demo Merchant', true) "
            "on conflict (id) do nothing",
            (DEMO_MERCHANT_ID,),
        )
        conn.execute(
            "insert into public.profiles (id, merchant_id, role, full_name) "
            "values (%s, %s, 'merchant_owner', 'Demo Owner') on conflict (id) do nothing",
            (DEMO_USER_ID, DEMO_MERCHANT_ID),
        )


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
    result = DemoResult(merchant_id=DEMO_MERCHANT_ID, user_id=DEMO_USER_ID, created=created)
    if created.ok and isinstance(created.body, dict):
        result.steps = steps_of(conn, str(created.body["interview_def_set_id"]))
    bad = dict(body)
    bad["questions"] = [*body.get("questions", [])[:2], {"question": "Tell us about a deadline you missed.", "duration": 5}]
    result.rejected_body = bad
    result.rejected = call_rpc(conn, RPC_NAME, bad, claims)
    return result
