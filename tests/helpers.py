"""Test helpers: a database handle with tenants, users and the RPC call."""

from __future__ import annotations

import copy
import json
import re
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import dict_row
from psycopg.types.string import TextLoader

from interview_db.localdb import LocalPostgres
from interview_db.postgrest import RpcResponse, call_rpc, service_role_claims, user_claims
from interview_db.project import Project

RPC = "job_interview_create_from_array"
VOICE_TEMPLATE = "5b6f0c3e-2a51-4f0e-9d4c-1a7e3c9b0001"  # base credit 1, default answer time 120 s
AVATAR_VOICE_TEMPLATE = "5b6f0c3e-2a51-4f0e-9d4c-1a7e3c9b0002"  # base credit 2.5, scoring: ai_assessment_resume
NON_INTERACTIVE_TEMPLATE = "5b6f0c3e-2a51-4f0e-9d4c-1a7e3c9b0003"  # base credit 0.35
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# Tables a create call writes; "nothing written" means none of them changed.
WRITTEN_TABLES = (
    "public.interview_def_set",
    "public.interview_def_question",
    "public.interview_def_step",
    "interview_private.embed_keys",
    "interview_private.idempotency_keys",
    "interview_private.outbox_events",
)


T = TypeVar("T")


def copy_project(project: Project, target: Path) -> Project:
    """The package's SQL and Supabase files under ``target``, to change without touching the checkout."""
    for part in ("sql", "supabase"):
        shutil.copytree(project.root / part, target / part)
    return Project(target)


def scalar(url: str, query: str, *params: object) -> Any:
    """The first column of the first row of a query, on its own autocommit connection."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query, params or None).fetchone()
        return row[0] if row else None


def wait_for(condition: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Poll ``condition`` (a catalog query, a process state) until it returns a value.

    The deadline only turns a hang into a failure that says what never happened;
    no test relies on it for ordering.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting until {what}")
        time.sleep(0.02)


@contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    """Python's json module recurses once per nesting level (call_rpc parses the
    body for its keys, as PostgREST does, and psycopg loads jsonb with it): raise
    the interpreter's limit while a test sends or reads deeply nested JSON."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


RULE_LIST = Path(__file__).resolve().parents[1] / "sql" / "functions" / "interview_private.request_field_rule_list.sql"
_RULE_ROW = re.compile(r"interview_private\.field_rule\(\s*'([a-z_]+)',\s*'([a-z_]+)'")


def rule_fields(scope: str, rule_list: Path = RULE_LIST) -> list[str]:
    """The fields of a scope of the rule table (interview_private.request_field_rule_list(),
    the one list of the request's fields), in its order, read from its source so that
    tests can name them where no database is at hand (hypothesis strategies)."""
    rows = _RULE_ROW.findall(rule_list.read_text(encoding="utf-8"))
    return [field for row_scope, field in rows if row_scope == scope]


# Every field of the body and of a question object, from the rule table.
BODY_FIELDS = rule_fields("body")
QUESTION_FIELDS = rule_fields("question")


def minimal_body(**overrides: Any) -> dict[str, Any]:
    """The nine required fields, valid."""
    body: dict[str, Any] = {
        "name": "Backend developer",
        "location": "remote",
        "interview_template_id": VOICE_TEMPLATE,
        "mojito_language_code": "en",
        "description": "Builds and runs our APIs.",
        "status": "draft",
        "type": "interview",
        "visibility": "merchant_public",
        "questions": [{"question": "Tell us about yourself."}],
    }
    body.update(overrides)
    return body


def example_body() -> dict[str, Any]:
    return json.loads((EXAMPLES / "create-interview.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class DeployedCluster:
    """A running cluster that the tests did not start (``INTERVIEW_DB_TEST_TEMPLATE_URL``):
    the same ``url()``, ``host``, ``port`` and ``user`` as interview_db.localdb.LocalPostgres."""

    host: str
    port: int
    user: str

    @classmethod
    def from_url(cls, url: str) -> DeployedCluster:
        parts = urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 5432, parts.username or "postgres")

    def url(self, dbname: str = "postgres", user: str | None = None) -> str:
        return f"postgresql://{user or self.user}@{self.host}:{self.port}/{dbname}"


@dataclass
class User:
    id: str
    merchant_id: str | None
    role: str | None

    @property
    def claims(self) -> dict[str, Any]:
        return user_claims(self.id, f"{self.id}@example.test")


class TestDatabase:
    """A cloned database: an admin (superuser) connection for set-up and
    inspection, and an API connection as PostgREST's ``authenticator`` role."""

    __test__ = False  # not a test class

    def __init__(self, server: LocalPostgres | DeployedCluster, name: str) -> None:
        self.server = server
        self.name = name
        self.url = server.url(name)
        self.api_url = server.url(name, user="authenticator")
        self.admin = psycopg.connect(self.url, autocommit=True, row_factory=dict_row)
        self.admin.adapters.register_loader("uuid", TextLoader)  # compare ids as the API's strings
        self.api = psycopg.connect(self.api_url, autocommit=True)

    def close(self) -> None:
        self.admin.close()
        self.api.close()

    # -- tenants -----------------------------------------------------------
    def merchant(self, *, parent: str | None = None, coaching: bool = False, name: str = "Merchant") -> str:
        row = self.admin.execute(
            "insert into public.merchants (name, parent_merchant_id, coaching_enabled) values (%s, %s, %s) returning id",
            (name, parent, coaching),
        ).fetchone()
        assert row is not None
        return str(row["id"])

    def user(self, merchant_id: str | None, role: str | None = "merchant_owner") -> User:
        user_id = str(uuid.uuid4())
        self.admin.execute("insert into auth.users (id, email) values (%s, %s)", (user_id, f"{user_id}@example.test"))
        if role is not None:
            self.admin.execute(
                "insert into public.profiles (id, merchant_id, role) values (%s, %s, %s)", (user_id, merchant_id, role)
            )
        return User(user_id, merchant_id, role)

    def owner(self, **merchant_options: Any) -> User:
        return self.user(self.merchant(**merchant_options), "merchant_owner")

    def knowledge_base(self, merchant_id: str) -> str:
        row = self.admin.execute(
            "insert into public.knowledge_base_stores (merchant_id, name) values (%s, 'Handbook') returning id",
            (merchant_id,),
        ).fetchone()
        assert row is not None
        return str(row["id"])

    # -- calls -------------------------------------------------------------
    def rpc(self, body: Any, caller: User | dict[str, Any] | None, **options: Any) -> RpcResponse:
        claims = caller.claims if isinstance(caller, User) else caller
        return call_rpc(self.api, RPC, copy.deepcopy(body), claims, **options)

    def service_rpc(self, body: Any, **options: Any) -> RpcResponse:
        return call_rpc(self.api, RPC, copy.deepcopy(body), service_role_claims(), **options)

    # -- inspection --------------------------------------------------------
    def counts(self) -> dict[str, int]:
        return {
            table: int(self.admin.execute(f"select count(*) as n from {table}").fetchone()["n"])  # type: ignore[index]
            for table in WRITTEN_TABLES
        }

    def interview(self, set_id: str) -> dict[str, Any]:
        row = self.admin.execute("select * from public.interview_def_set where id = %s", (set_id,)).fetchone()
        assert row is not None, f"no interview_def_set {set_id}"
        return row

    def steps(self, set_id: str) -> list[dict[str, Any]]:
        return self.admin.execute(
            """
            select st.position, st.kind::text as kind, st.is_default, st.text, st.caller_question_id,
                   st.is_conditional, st.conditional_on_position, st.question_id,
                   q.question, q.mojito_language_code, q.duration, q.label, q.is_multiple_choice,
                   q.question_alternatives, q.external_id, q.external_data, q.knowledge_base_id,
                   q.is_without_scoring, q.is_expert, q.is_candidate_asking_recruiter, q.candidate_expectations_json
            from public.interview_def_step as st
            left join public.interview_def_question as q on q.id = st.question_id
            where st.interview_def_set_id = %s
            order by st.position
            """,
            (set_id,),
        ).fetchall()

    def outbox(self, set_id: str) -> list[dict[str, Any]]:
        return self.admin.execute(
            "select event_type, payload from interview_private.outbox_events where interview_def_set_id = %s order by id",
            (set_id,),
        ).fetchall()
