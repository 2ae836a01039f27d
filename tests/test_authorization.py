"""One authorization primitive (issue 24): interview_private.authorize_caller answers
who the caller is and whether they may act, for the create call, the membership RPCs
and the webhook RPCs; every 401 and 403 is raised through
interview_private.raise_refused, in one shape."""

from __future__ import annotations

import json
import re
from typing import Any

import psycopg
import pytest

from interview_db.postgrest import RpcResponse, call_rpc
from interview_db.project import Project

from .helpers import RPC, TestDatabase, User, minimal_body

HINT_401 = "send the access token of a signed-in user as Authorization: Bearer <token>"

# Every RPC that acts for a person, with a body that passes its own checks: the
# refusal can only come from who calls.
PERSON_RPCS: dict[str, dict[str, Any]] = {
    RPC: minimal_body(),
    "merchant_create": {"name": "Acme"},
    "merchant_invitation_create": {"role": "merchant", "email": "a@example.test"},
    "merchant_member_remove": {"user_id": "00000000-0000-4000-8000-000000000000"},
    "merchant_invitation_accept": {"token": "0" * 64},
    "webhook_endpoint_create": {"url": "https://example.test/hook"},
}
# What a candidate (a profile whose role may do none of these) gets: the role 403.
ROLE_REFUSED = [name for name in PERSON_RPCS if name != "merchant_invitation_accept"]


def call(db: TestDatabase, function: str, body: dict[str, Any], claims: dict[str, Any]) -> RpcResponse:
    return call_rpc(db.api, function, body, claims)


def test_no_function_raises_a_401_or_403_but_the_helper(project: Project) -> None:
    inline = re.compile(r"'PT40[13]'")
    raising = sorted(f.name for f in project.functions_dir.glob("*.sql") if inline.search(f.read_text()))
    assert raising == ["interview_private.raise_refused.sql"]


def test_the_callers_are_looked_up_in_one_function(project: Project) -> None:
    """The copies went: only the primitive reads the JWT's user to refuse a call."""
    readers = sorted(f.name for f in project.functions_dir.glob("*.sql") if "the JWT has no sub claim" in f.read_text())
    assert readers == ["interview_private.authorize_caller.sql"]
    for gone in ("current_caller", "membership_caller"):
        assert not (project.functions_dir / f"interview_private.{gone}.sql").exists()


@pytest.mark.parametrize("function", list(PERSON_RPCS))
def test_a_jwt_without_a_user_is_the_same_401_everywhere(db: TestDatabase, function: str) -> None:
    response = call(db, function, PERSON_RPCS[function], {"role": "authenticated", "aud": "authenticated"})
    assert response.status == 401, response.body
    assert response.body["code"] == "PT401"
    assert response.body["details"] == "the JWT has no sub claim"
    assert response.body["hint"] == HINT_401


@pytest.mark.parametrize("function", ROLE_REFUSED)
def test_a_role_that_may_not_act_is_a_403_on_role_everywhere(db: TestDatabase, function: str) -> None:
    candidate: User = db.user(db.merchant(), "candidate")
    response = call(db, function, PERSON_RPCS[function], candidate.claims)
    assert response.status == 403, response.body
    assert response.body["code"] == "PT403" and response.body["details"] == "role"
    assert response.body["hint"]


def test_the_primitive_returns_the_caller_and_refuses_an_unknown_action(db: TestDatabase) -> None:
    owner = db.owner()
    with db.admin.transaction():
        db.admin.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(owner.claims),))
        row = db.admin.execute(
            "select user_id::text, is_service, role::text, merchant_id::text "
            "from interview_private.authorize_caller('invite_members')").fetchone()
        assert row == {"user_id": owner.id, "is_service": False, "role": "merchant_owner",
                       "merchant_id": owner.merchant_id}
        with pytest.raises(psycopg.Error) as refused:
            with db.admin.transaction():
                db.admin.execute("select interview_private.authorize_caller('drop_everything')")
    assert refused.value.sqlstate == "PT403"
    assert refused.value.diag.message_detail == "role"
    assert refused.value.diag.message_primary == "Unknown action drop_everything"
