"""Who may create interviews for which merchant (api.md, Authorization)."""

from __future__ import annotations

import json

import psycopg
import pytest

from interview_db.postgrest import call_rpc

from .helpers import RPC, TestDatabase, minimal_body


def test_anon_without_jwt_gets_401_from_the_revoked_execute(db: TestDatabase) -> None:
    before = db.counts()
    response = db.rpc(minimal_body(), None)
    assert response.status == 401
    assert response.body["code"] == "42501" and "permission denied" in response.body["message"]
    assert response.headers.get("WWW-Authenticate") == "Bearer"
    assert db.counts() == before


def test_the_anon_key_jwt_is_also_401(db: TestDatabase) -> None:
    response = db.rpc(minimal_body(), {"role": "anon", "iss": "supabase"})
    assert response.status == 401 and response.body["code"] == "42501"


def test_jwt_without_a_user_gets_401(db: TestDatabase) -> None:
    before = db.counts()
    response = db.rpc(minimal_body(), {"role": "authenticated", "aud": "authenticated"})
    assert response.status == 401 and response.body["code"] == "PT401"
    assert "no user" in response.body["message"]
    assert db.counts() == before


def test_user_without_profile_gets_403(db: TestDatabase) -> None:
    response = db.rpc(minimal_body(), db.user(None, role=None))
    assert response.status == 403 and "no profile" in response.body["message"]


def test_candidate_gets_403(db: TestDatabase) -> None:
    candidate = db.user(db.merchant(), "candidate")
    before = db.counts()
    response = db.rpc(minimal_body(), candidate)
    assert response.status == 403 and response.body["code"] == "PT403"
    assert "candidate" in response.body["message"]
    assert db.counts() == before


@pytest.mark.parametrize("role", ["merchant_owner", "merchant"])
def test_owner_and_staff_create_for_their_own_merchant(db: TestDatabase, role: str) -> None:
    user = db.user(db.merchant(), role)
    for body in (minimal_body(), minimal_body(merchant_id=user.merchant_id)):
        response = db.rpc(body, user)
        assert response.status == 200, response.body
        assert db.interview(response.body["interview_def_set_id"])["merchant_id"] == user.merchant_id


def test_foreign_merchant_gets_403(db: TestDatabase) -> None:
    owner, stranger = db.owner(), db.owner()
    before = db.counts()
    response = db.rpc(minimal_body(merchant_id=stranger.merchant_id), owner)
    assert response.status == 403 and response.body["details"] == "merchant_id"
    assert db.counts() == before


def test_unknown_merchant_gets_the_same_403(db: TestDatabase) -> None:
    owner, stranger = db.owner(), db.owner()
    foreign = db.rpc(minimal_body(merchant_id=stranger.merchant_id), owner).body
    unknown_id = "00000000-0000-4000-8000-00000000dead"
    unknown = db.rpc(minimal_body(merchant_id=unknown_id), owner).body
    assert unknown["code"] == foreign["code"] == "PT403"
    assert unknown["message"].replace(unknown_id, "X") == foreign["message"].replace(stranger.merchant_id, "X")
    assert unknown["hint"] == foreign["hint"] and unknown["details"] == foreign["details"]


@pytest.mark.parametrize("role", ["merchant_owner", "merchant"])
def test_sub_merchant_at_depth_two_is_allowed_but_not_upwards(db: TestDatabase, role: str) -> None:
    root = db.merchant(name="Root")
    child = db.merchant(parent=root, name="Child")
    grandchild = db.merchant(parent=child, name="Grandchild")
    sibling = db.merchant(parent=root, name="Sibling")
    root_user, child_user = db.user(root, role), db.user(child, role)

    down = db.rpc(minimal_body(merchant_id=grandchild), root_user)
    assert down.status == 200, down.body
    assert db.interview(down.body["interview_def_set_id"])["merchant_id"] == grandchild
    assert db.rpc(minimal_body(merchant_id=grandchild), child_user).status == 200
    assert db.rpc(minimal_body(merchant_id=root), child_user).status == 403  # upwards
    assert db.rpc(minimal_body(merchant_id=sibling), child_user).status == 403  # sideways


def test_a_sub_merchant_500_levels_down_is_allowed_and_its_chain_is_walked_in_one_query(db: TestDatabase) -> None:
    """Any depth, no cap: a chain of 500 merchants built in one statement; the root's
    owner creates for the deepest, the deepest's owner cannot create for the root."""
    chain = db.admin.execute(
        """
        with recursive chain (n, id) as (
          select 1, gen_random_uuid()
          union all
          select n + 1, gen_random_uuid() from chain where n < 500
        ), inserted as (
          insert into public.merchants (id, name, parent_merchant_id)
          select c.id, 'Level ' || c.n, lag(c.id) over (order by c.n) from chain as c
          returning id
        )
        select c.id::text from chain as c order by c.n
        """
    ).fetchall()
    root, deepest = chain[0]["id"], chain[-1]["id"]
    owner, deepest_owner = db.user(root, "merchant_owner"), db.user(deepest, "merchant_owner")

    created = db.rpc(minimal_body(merchant_id=deepest), owner)
    assert created.status == 200, created.body
    assert db.interview(created.body["interview_def_set_id"])["merchant_id"] == deepest
    assert db.rpc(minimal_body(merchant_id=root), deepest_owner).status == 403


def test_admin_creates_for_any_merchant(db: TestDatabase) -> None:
    admin = db.user(None, "admin")
    target = db.merchant()
    response = db.rpc(minimal_body(merchant_id=target), admin)
    assert response.status == 200, response.body
    stored = db.interview(response.body["interview_def_set_id"])
    assert stored["merchant_id"] == target and stored["created_by"] == admin.id


def test_admin_without_a_merchant_must_name_one(db: TestDatabase) -> None:
    response = db.rpc(minimal_body(), db.user(None, "admin"))
    assert response.status == 422 and response.body["details"] == "merchant_id"


def test_service_role_with_merchant_id_records_no_creator(db: TestDatabase) -> None:
    target = db.merchant()
    response = db.service_rpc(minimal_body(merchant_id=target))
    assert response.status == 200, response.body
    stored = db.interview(response.body["interview_def_set_id"])
    assert stored["merchant_id"] == target and stored["created_by"] is None


def test_service_role_without_merchant_id_gets_422(db: TestDatabase) -> None:
    before = db.counts()
    response = db.service_rpc(minimal_body())
    assert response.status == 422 and response.body["details"] == "merchant_id"
    assert "service_role" in response.body["message"]
    assert db.counts() == before


def test_a_forged_service_role_claim_is_not_a_service_call(db: TestDatabase) -> None:
    # A session as `authenticated` that writes service_role claims itself.
    with psycopg.connect(db.api_url, autocommit=True) as conn:
        conn.execute("begin")
        conn.execute("set local role authenticated")
        conn.execute("""select set_config('request.jwt.claims', '{"role": "service_role"}', true)""")
        body = minimal_body(merchant_id=db.merchant())
        arguments = ", ".join(f"{key} => %s::jsonb" for key in body)
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(f"select public.{RPC}({arguments})", [json.dumps(v) for v in body.values()])
        assert caught.value.sqlstate == "PT401"
        conn.execute("rollback")


def test_merchants_cannot_form_a_cycle(db: TestDatabase) -> None:
    root = db.merchant()
    child = db.merchant(parent=root)
    grandchild = db.merchant(parent=child)
    with pytest.raises(psycopg.errors.CheckViolation, match="its own ancestor"):
        db.admin.execute("update public.merchants set parent_merchant_id = %s where id = %s", (grandchild, root))
    with pytest.raises(psycopg.errors.CheckViolation):
        db.admin.execute("update public.merchants set parent_merchant_id = id where id = %s", (root,))


def test_caller_as_superuser_connection_behaves_the_same(db: TestDatabase) -> None:
    # The caller sets the role itself, so the connection's own role does not matter.
    owner = db.owner()
    with psycopg.connect(db.url, autocommit=True) as conn:
        assert call_rpc(conn, RPC, minimal_body(), owner.claims).status == 200
        assert call_rpc(conn, RPC, minimal_body(), None).status == 401


UID = "6f1c1a52-8f0e-4a43-9a51-0d5b7a1e2c11"
LEGACY_UID = "0b7d7c2e-3d0a-4d8e-8c1f-5a2b9e6f7a01"


@pytest.mark.parametrize(
    "settings",
    [
        {"request.jwt.claims": f'{{"sub": "{UID}", "role": "authenticated"}}'},
        {"request.jwt.claims": '{"role": "service_role"}'},
        {"request.jwt.claims": '{"role": "service_role", "sub": "svc-worker"}'},
        {"request.jwt.claims": f'{{"sub": "{UID}"}}', "request.jwt.claim.sub": LEGACY_UID},
        {"request.jwt.claims": "", "request.jwt.claim.sub": LEGACY_UID},
        {"request.jwt.claims": "not json", "request.jwt.claim.sub": LEGACY_UID},
        {"request.jwt.claims": '{"role": "authenticated"}', "request.jwt.claim": '{"role": "service_role"}'},
        {"request.jwt.claims": '{"sub": "", "role": "authenticated"}'},
        {"request.jwt.claims": ""},
        {},
    ],
    ids=["sub-and-role", "service-role", "service-role-text-sub", "legacy-sub-wins", "legacy-sub-only",
         "legacy-sub-bad-claims", "legacy-claim-wins", "empty-sub", "empty", "unset"],
)
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("interview_private.request_user_id()", "auth.uid()"),
     ("interview_private.request_jwt_role()", "auth.jwt() ->> 'role'")],
    ids=["user", "role"],
)
def test_the_request_jwt_readers_answer_as_auth_uid_and_auth_jwt(
    db: TestDatabase, settings: dict[str, str], ours: str, theirs: str
) -> None:
    # request_user_id and request_jwt_role stand in for auth.uid() and auth.jwt() ->> 'role' (whose
    # cost depends on how the platform defines them): the same value, or the same error, for every
    # way the claims come
    def read(expression: str) -> tuple[str, object]:
        try:
            with db.admin.transaction():
                for name, value in settings.items():
                    db.admin.execute("select set_config(%s, %s, true)", (name, value))
                return "value", db.admin.execute(f"select ({expression})::text as v").fetchone()["v"]
        except psycopg.Error as exc:
            return "error", exc.sqlstate

    assert read(ours) == read(theirs)


def test_a_service_call_whose_jwt_has_a_sub_that_is_no_uuid_still_works(db: TestDatabase) -> None:
    # the service role is decided before any user is read: a sub that is not a UUID is no user
    merchant_id = db.merchant()
    response = db.rpc(minimal_body(merchant_id=merchant_id), {"role": "service_role", "sub": "svc-worker"})
    assert response.status == 200, response.body
