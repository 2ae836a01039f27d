"""Invitations and membership through the API (basejump's model): an owner or a
platform admin invites someone by email to a merchant they may act for, with a
role of at most their own; the signed-in invitee accepts with the token, which
creates their profile; an owner removes a member; an admin creates merchants.

Every refusal is shown with its full error (status, code, details) and with
nothing written: expired, reused, another user's, role escalation, another
merchant's, staff and candidates inviting, malformed arguments.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from typing import Any

import psycopg
import pytest

from interview_db.postgrest import RpcResponse, call_rpc, service_role_claims

from .helpers import TestDatabase, User, minimal_body, wait_for
from .test_rls import read_as

CREATE = "merchant_invitation_create"
ACCEPT = "merchant_invitation_accept"
REMOVE = "merchant_member_remove"
MERCHANT_CREATE = "merchant_create"


def call(db: TestDatabase, function: str, body: dict[str, Any], caller: User | dict[str, Any] | None) -> RpcResponse:
    claims = caller.claims if isinstance(caller, User) else caller
    return call_rpc(db.api, function, body, claims)


def signed_up(db: TestDatabase, email: str | None = None) -> User:
    """A user who signed up (an auth.users row) and has no profile yet."""
    user = db.user(None, role=None)
    if email is not None:
        db.admin.execute("update auth.users set email = %s where id = %s", (email, user.id))
    return user


def email_of(db: TestDatabase, user: User) -> str:
    row = db.admin.execute("select email from auth.users where id = %s", (user.id,)).fetchone()
    assert row is not None
    return str(row["email"])


def invite(db: TestDatabase, inviter: User, invitee: User, role: str = "merchant", merchant_id: str | None = None,
           **extra: Any) -> RpcResponse:
    body = {"merchant_id": merchant_id or inviter.merchant_id, "role": role, "email": email_of(db, invitee), **extra}
    return call(db, CREATE, body, inviter)


def invitations(db: TestDatabase) -> list[dict[str, Any]]:
    return db.admin.execute(
        "select merchant_id::text, role::text, email, token_hash, invited_by::text, accepted_by::text, accepted_at, "
        "expires_at - created_at as lifetime from interview_private.merchant_invitations order by created_at"
    ).fetchall()


def profile(db: TestDatabase, user: User) -> dict[str, Any] | None:
    return db.admin.execute(
        "select merchant_id::text, role::text from public.profiles where id = %s", (user.id,)
    ).fetchone()


def refused(response: RpcResponse, status: int, details: str, message: str) -> None:
    assert response.status == status, response.body
    assert response.body["code"] == f"PT{status}"
    assert response.body["details"] == details
    assert message in response.body["message"], response.body


# -- inviting and accepting ------------------------------------------------------


def test_an_owner_invites_and_the_invitee_accepting_gets_a_profile_and_can_create(db: TestDatabase) -> None:
    owner = db.owner()
    invitee = signed_up(db, "New.Hire@Example.test")

    created = invite(db, owner, invitee, "merchant")
    assert created.status == 200, created.body
    token = created.body["token"]
    assert len(token) == 64 and int(token, 16) >= 0
    assert created.body["merchant_id"] == owner.merchant_id and created.body["role"] == "merchant"
    assert profile(db, invitee) is None  # no one joins without accepting

    # an invitee signs in with their email in any case
    db.admin.execute("update auth.users set email = 'new.hire@example.test' where id = %s", (invitee.id,))
    accepted = call(db, ACCEPT, {"token": token}, invitee)
    assert accepted.status == 200, accepted.body
    assert accepted.body == {"user_id": invitee.id, "merchant_id": owner.merchant_id, "role": "merchant"}
    assert profile(db, invitee) == {"merchant_id": owner.merchant_id, "role": "merchant"}

    member = User(invitee.id, owner.merchant_id, "merchant")
    response = db.rpc(minimal_body(), member)
    assert response.status == 200, response.body
    assert read_as(db, member.claims, "select id::text from public.interview_def_set") == [
        (response.body["interview_def_set_id"],)]


def test_the_token_is_stored_only_as_its_sha256_and_expires_after_72_hours_by_default(db: TestDatabase) -> None:
    owner = db.owner()
    created = invite(db, owner, signed_up(db))
    [row] = invitations(db)
    token = bytes.fromhex(created.body["token"])
    assert bytes(row["token_hash"]) == hashlib.sha256(token).digest()
    assert created.body["token"] not in str(row)
    assert str(row["lifetime"]) == "3 days, 0:00:00"
    assert row["invited_by"] == owner.id and row["accepted_by"] is None


def test_two_invitations_get_different_tokens(db: TestDatabase) -> None:
    owner = db.owner()
    first, second = invite(db, owner, signed_up(db)), invite(db, owner, signed_up(db))
    assert first.body["token"] != second.body["token"]


def test_an_owner_may_invite_owners_and_candidates_to_a_sub_merchant_at_any_depth(db: TestDatabase) -> None:
    owner = db.owner()
    child = db.merchant(parent=owner.merchant_id)
    grandchild = db.merchant(parent=child)
    for role in ("merchant_owner", "candidate"):
        invitee = signed_up(db)
        created = invite(db, owner, invitee, role, merchant_id=grandchild)
        assert created.status == 200, created.body
        assert call(db, ACCEPT, {"token": created.body["token"]}, invitee).status == 200
        assert profile(db, invitee) == {"merchant_id": grandchild, "role": role}


def test_an_admin_invites_to_any_merchant(db: TestDatabase) -> None:
    admin = db.user(None, "admin")
    merchant = db.merchant()
    created = invite(db, admin, signed_up(db), "merchant_owner", merchant_id=merchant)
    assert created.status == 200, created.body


def test_a_custom_expiry_is_kept(db: TestDatabase) -> None:
    created = invite(db, db.owner(), signed_up(db), expires_in_hours=1)
    assert created.status == 200, created.body
    assert str(invitations(db)[0]["lifetime"]) == "1:00:00"


# -- refusals of create ----------------------------------------------------------------


def test_an_owner_may_not_invite_an_admin(db: TestDatabase) -> None:
    owner = db.owner()
    refused(invite(db, owner, signed_up(db), "admin"), 403, "role", "You may not grant the role admin")
    assert invitations(db) == []


def test_not_even_an_admin_grants_admin_by_invitation(db: TestDatabase) -> None:
    admin = db.user(None, "admin")
    refused(invite(db, admin, signed_up(db), "admin", merchant_id=db.merchant()), 403, "role",
            "You may not grant the role admin")
    assert invitations(db) == []


@pytest.mark.parametrize("role", ["merchant", "candidate"])
def test_staff_and_candidates_invite_no_one(db: TestDatabase, role: str) -> None:
    owner = db.owner()
    member = db.user(owner.merchant_id, role)
    for invited_role in ("candidate", "merchant"):
        refused(invite(db, member, signed_up(db), invited_role), 403, "role",
                "Only merchant owners and platform admins may invite")
    assert invitations(db) == []


def test_a_user_without_a_profile_invites_no_one(db: TestDatabase) -> None:
    loner = signed_up(db)
    body = {"merchant_id": db.merchant(), "role": "candidate", "email": "x@example.test"}
    refused(call(db, CREATE, body, loner), 403, "role", "Only merchant owners and platform admins may invite")


def test_an_owner_may_not_invite_to_another_merchant_or_its_parent(db: TestDatabase) -> None:
    parent = db.merchant()
    owner = db.owner(parent=parent)
    stranger = db.owner()
    for target in (stranger.merchant_id, parent, str(uuid.uuid4())):
        refused(invite(db, owner, signed_up(db), merchant_id=target), 403, "merchant_id",
                f"You may not invite members to merchant {target}")
    assert invitations(db) == []


@pytest.mark.parametrize(
    ("body", "details", "message"),
    [
        ({"role": "merchant", "email": "a@example.test"}, "merchant_id", "merchant_id is required"),
        ({"merchant_id": "not-a-uuid", "role": "merchant", "email": "a@example.test"}, "merchant_id",
         "merchant_id must be a uuid"),
        ({"merchant_id": 42, "role": "merchant", "email": "a@example.test"}, "merchant_id",
         "merchant_id must be a string, not a JSON number"),
        ({"role": "owner", "email": "a@example.test"}, "role", "role must be merchant_owner, merchant or candidate"),
        ({"role": ["merchant"], "email": "a@example.test"}, "role", "role must be a string, not a JSON array"),
        ({"role": "merchant"}, "email", "email must be the invitee's email address"),
        ({"role": "merchant", "email": "no-at-sign"}, "email", "email must be the invitee's email address"),
        ({"role": "merchant", "email": "a@example.test", "expires_in_hours": 0}, "expires_in_hours",
         "expires_in_hours must be a whole number of hours from 1 to 720"),
        ({"role": "merchant", "email": "a@example.test", "expires_in_hours": 721}, "expires_in_hours",
         "expires_in_hours must be a whole number"),
        ({"role": "merchant", "email": "a@example.test", "expires_in_hours": 1.5}, "expires_in_hours",
         "expires_in_hours must be a whole number"),
        ({"role": "merchant", "email": "a@example.test", "expires_in_hours": "24"}, "expires_in_hours",
         "expires_in_hours must be a whole number"),
        ({"role": "merchant", "email": "a@example.test", "expires_in_hours": 1e300}, "expires_in_hours",
         "expires_in_hours must be a whole number"),
    ],
)
def test_invalid_arguments_are_a_422_naming_the_field(
    db: TestDatabase, body: dict[str, Any], details: str, message: str
) -> None:
    owner = db.owner()
    body = {"merchant_id": owner.merchant_id, **body} if "merchant_id" not in body and details != "merchant_id" \
        else body
    refused(call(db, CREATE, body, owner), 422, details, message)
    assert invitations(db) == []


def test_invitations_are_for_signed_in_users_only(db: TestDatabase) -> None:
    owner = db.owner()
    body = {"merchant_id": owner.merchant_id, "role": "merchant", "email": "a@example.test"}
    anon = call(db, CREATE, body, None)
    assert anon.status == 401 and anon.body["code"] == "42501"
    service = call(db, CREATE, body, service_role_claims())
    assert service.status == 403 and service.body["code"] == "42501"  # execute not granted to service_role
    no_user = call(db, CREATE, body, {"role": "authenticated"})
    refused(no_user, 401, "the JWT has no sub claim", "This call needs a signed-in user")
    assert invitations(db) == []


# -- refusals of accept ----------------------------------------------------------------


def _open_invitation(db: TestDatabase, role: str = "merchant") -> tuple[User, User, str]:
    owner = db.owner()
    invitee = signed_up(db)
    created = invite(db, owner, invitee, role)
    assert created.status == 200, created.body
    return owner, invitee, created.body["token"]


def test_an_expired_invitation_is_refused(db: TestDatabase) -> None:
    _, invitee, token = _open_invitation(db)
    db.admin.execute("update interview_private.merchant_invitations set created_at = now() - interval '4 days', "
                     "expires_at = now() - interval '1 second'")
    refused(call(db, ACCEPT, {"token": token}, invitee), 403, "token", "This invitation expired at")
    assert profile(db, invitee) is None


def test_an_invitation_is_accepted_once(db: TestDatabase) -> None:
    owner, invitee, token = _open_invitation(db)
    assert call(db, ACCEPT, {"token": token}, invitee).status == 200
    refused(call(db, ACCEPT, {"token": token}, invitee), 409, "token", "already been accepted")
    # and not by anyone else after it was used, even with the same email
    twin = signed_up(db)
    db.admin.execute("update auth.users set email = (select email from auth.users where id = %s) where id = %s",
                     (invitee.id, twin.id))
    refused(call(db, ACCEPT, {"token": token}, twin), 409, "token", "already been accepted")
    assert profile(db, twin) is None
    [row] = invitations(db)
    assert row["accepted_by"] == invitee.id and row["accepted_at"] is not None


def test_another_users_invitation_is_refused(db: TestDatabase) -> None:
    _, invitee, token = _open_invitation(db)
    intruder = signed_up(db)
    refused(call(db, ACCEPT, {"token": token}, intruder), 403, "token",
            "This invitation is made out to another email address")
    assert profile(db, intruder) is None
    assert invitations(db)[0]["accepted_at"] is None  # still open for the invitee
    assert call(db, ACCEPT, {"token": token}, invitee).status == 200


@pytest.mark.parametrize("look_alike", ["bob@v\u0130ctim.example", "bob@victim.exampl\u212a", "BOB@VICTIM.EXAMPLE "])
def test_an_invitation_matches_its_address_exactly_after_an_ascii_lowercase(db: TestDatabase, look_alike: str) -> None:
    """lower() under the database's collation folds the dotted capital I and the
    Kelvin sign to ASCII: a user registered with such a look-alike address must not
    accept bob@victim.example's invitation; ASCII case and outer blanks do not matter."""
    owner = db.owner()
    created = call(db, CREATE, {"merchant_id": owner.merchant_id, "role": "merchant", "email": "bob@victim.example"},
                   owner)
    assert created.status == 200, created.body
    user = signed_up(db, look_alike)
    accepted = call(db, ACCEPT, {"token": created.body["token"]}, user)
    if look_alike.isascii():
        assert accepted.status == 200, accepted.body
    else:
        refused(accepted, 403, "token", "This invitation is made out to another email address")
        assert profile(db, user) is None


def test_a_member_of_another_merchant_cannot_take_its_invitation(db: TestDatabase) -> None:
    """An owner of another merchant holding the token (leaked) gets nothing: the
    invitation is made out to the invitee, and the owner already has a profile."""
    _, invitee, token = _open_invitation(db, "merchant_owner")
    other_owner = db.owner()
    refused(call(db, ACCEPT, {"token": token}, other_owner), 403, "token", "another email address")
    assert profile(db, other_owner) == {"merchant_id": other_owner.merchant_id, "role": "merchant_owner"}


def test_a_user_with_a_profile_cannot_join_a_second_merchant(db: TestDatabase) -> None:
    owner = db.owner()
    member = db.user(db.merchant(), "candidate")
    created = invite(db, owner, member, "merchant_owner")
    refused(call(db, ACCEPT, {"token": created.body["token"]}, member), 409, "profiles",
            "Your account already has a profile")
    assert profile(db, member) == {"merchant_id": member.merchant_id, "role": "candidate"}


@pytest.mark.parametrize("token", ["", "abc", "z" * 64, "0" * 63, 12345, None])
def test_a_malformed_token_is_a_422(db: TestDatabase, token: Any) -> None:
    invitee = signed_up(db)
    response = call(db, ACCEPT, {"token": token} if token is not None else {}, invitee)
    assert response.status == 422 and response.body["details"] == "token", response.body


def test_an_unknown_token_is_refused(db: TestDatabase) -> None:
    _open_invitation(db)
    refused(call(db, ACCEPT, {"token": "ab" * 32}, signed_up(db)), 403, "token", "This invitation token is not valid")


def test_accepting_needs_a_signed_in_user(db: TestDatabase) -> None:
    _, _, token = _open_invitation(db)
    assert call(db, ACCEPT, {"token": token}, None).status == 401
    refused(call(db, ACCEPT, {"token": token}, {"role": "authenticated"}), 401, "the JWT has no sub claim",
            "signed-in user")
    assert invitations(db)[0]["accepted_at"] is None


# -- removing members -------------------------------------------------------------------


def test_an_owner_removes_a_member_who_then_reads_nothing(db: TestDatabase) -> None:
    owner = db.owner()
    staff = db.user(owner.merchant_id, "merchant")
    assert db.rpc(minimal_body(), staff).status == 200
    removed = call(db, REMOVE, {"user_id": staff.id}, owner)
    assert removed.status == 200, removed.body
    assert removed.body == {"user_id": staff.id, "merchant_id": owner.merchant_id, "role": "merchant"}
    assert profile(db, staff) is None
    assert read_as(db, staff.claims, "select id from public.interview_def_set") == []
    assert db.rpc(minimal_body(), staff).status == 403


def test_an_owner_removes_a_member_of_a_sub_merchant_and_another_owner(db: TestDatabase) -> None:
    owner = db.owner()
    sub_member = db.user(db.merchant(parent=owner.merchant_id), "candidate")
    co_owner = db.user(owner.merchant_id, "merchant_owner")
    for member in (sub_member, co_owner):
        assert call(db, REMOVE, {"user_id": member.id}, owner).status == 200
        assert profile(db, member) is None


def test_removal_refusals(db: TestDatabase) -> None:
    owner = db.owner()
    staff = db.user(owner.merchant_id, "merchant")
    stranger = db.user(db.merchant(), "merchant")
    admin_here = db.user(owner.merchant_id, "admin")
    refused(call(db, REMOVE, {"user_id": owner.id}, staff), 403, "role", "Only merchant owners and platform admins")
    refused(call(db, REMOVE, {"user_id": owner.id}, owner), 403, "user_id", "You cannot remove yourself")
    for target in (stranger.id, admin_here.id, str(uuid.uuid4())):
        refused(call(db, REMOVE, {"user_id": target}, owner), 403, "user_id", f"You may not remove user {target}")
    refused(call(db, REMOVE, {"user_id": "nope"}, owner), 422, "user_id", "user_id must be a uuid")
    refused(call(db, REMOVE, {}, owner), 422, "user_id", "user_id is required")
    for user in (owner, staff, stranger, admin_here):
        assert profile(db, user) is not None


def test_an_admin_removes_anyone_but_themselves(db: TestDatabase) -> None:
    admin = db.user(None, "admin")
    owner = db.owner()
    db.user(owner.merchant_id, "merchant_owner")  # not the merchant's last owner
    assert call(db, REMOVE, {"user_id": owner.id}, admin).status == 200
    assert profile(db, owner) is None


def test_no_one_removes_a_merchants_last_owner(db: TestDatabase) -> None:
    admin = db.user(None, "admin")
    owner = db.owner()
    sub_owner = db.user(db.merchant(parent=owner.merchant_id), "merchant_owner")
    for caller, last in ((admin, owner), (owner, sub_owner), (admin, sub_owner)):
        response = call(db, REMOVE, {"user_id": last.id}, caller)
        refused(response, 409, "user_id", f"User {last.id} is the last owner of merchant {last.merchant_id}")
        assert profile(db, last) is not None


def _race(db: TestDatabase, calls: list[tuple[User, User]], locked: list[User]) -> list[RpcResponse]:
    """Run the removals (caller, member) at the same moment: a superuser session
    holds the locks of the locked profiles until every call waits, then lets go."""
    results: list[RpcResponse | None] = [None] * len(calls)

    def remove(i: int, caller: User, member: User) -> None:
        with psycopg.connect(db.api_url, autocommit=True) as api:
            results[i] = call_rpc(api, REMOVE, {"user_id": member.id}, caller.claims)

    with psycopg.connect(db.url) as locker:
        locker.execute("select from public.profiles where id = any(%s::uuid[]) for update", ([u.id for u in locked],))
        threads = [threading.Thread(target=remove, args=(i, c, m)) for i, (c, m) in enumerate(calls)]
        for thread in threads:
            thread.start()
        wait_for(lambda: db.admin.execute(
            "select count(*) = %s as all from pg_stat_activity where datname = current_database() "
            "and wait_event_type = 'Lock' and query like '%%merchant_member_remove%%'", (len(calls),)).fetchone()["all"],
            "every removal waits on a profile's lock")
        locker.rollback()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def owners_of(db: TestDatabase, merchant_id: str | None) -> int:
    row = db.admin.execute("select count(*) as n from public.profiles where merchant_id = %s and role = 'merchant_owner'",
                           (merchant_id,)).fetchone()
    return int(row["n"])  # type: ignore[index]


@pytest.mark.parametrize("trial", range(3))
def test_two_owners_removing_each_other_at_once_do_not_both_succeed(db: TestDatabase, trial: int) -> None:
    first = db.owner()
    second = db.user(first.merchant_id, "merchant_owner")
    results = _race(db, [(first, second), (second, first)], [first, second])
    assert sorted(r.status for r in results) == [200, 403], [r.body for r in results]
    assert owners_of(db, first.merchant_id) == 1


@pytest.mark.parametrize("trial", range(3))
def test_two_admins_removing_a_merchants_last_two_owners_at_once_leave_one(db: TestDatabase, trial: int) -> None:
    first = db.owner()
    second = db.user(first.merchant_id, "merchant_owner")
    admins = [db.user(None, "admin"), db.user(None, "admin")]
    results = _race(db, [(admins[0], first), (admins[1], second)], [first, second])
    assert sorted(r.status for r in results) == [200, 409], [r.body for r in results]
    assert owners_of(db, first.merchant_id) == 1


# -- merchants by admins ----------------------------------------------------------------


def test_an_admin_creates_a_merchant_and_a_sub_merchant(db: TestDatabase) -> None:
    admin = db.user(None, "admin")
    top = call(db, MERCHANT_CREATE, {"name": "  Acme  ", "coaching_enabled": True}, admin)
    assert top.status == 200, top.body
    assert top.body["name"] == "Acme" and top.body["coaching_enabled"] is True
    sub = call(db, MERCHANT_CREATE, {"name": "Acme Berlin", "parent_merchant_id": top.body["merchant_id"]}, admin)
    assert sub.status == 200, sub.body
    row = db.admin.execute("select name, parent_merchant_id::text, coaching_enabled from public.merchants "
                           "where id = %s", (sub.body["merchant_id"],)).fetchone()
    assert row == {"name": "Acme Berlin", "parent_merchant_id": top.body["merchant_id"], "coaching_enabled": False}


def test_only_admins_create_merchants(db: TestDatabase) -> None:
    before = db.admin.execute("select count(*) as n from public.merchants").fetchone()["n"]  # type: ignore[index]
    owner = db.owner()
    for caller in (owner, db.user(owner.merchant_id, "merchant"), signed_up(db)):
        refused(call(db, MERCHANT_CREATE, {"name": "Mine"}, caller), 403, "role", "Only platform admins")
    after = db.admin.execute("select count(*) as n from public.merchants").fetchone()["n"]  # type: ignore[index]
    assert after == before + 1  # only db.owner()'s merchant


@pytest.mark.parametrize(
    ("body", "details"),
    [({}, "name"), ({"name": " "}, "name"), ({"name": "x" * 201}, "name"), ({"name": 7}, "name"),
     ({"name": "A", "parent_merchant_id": str(uuid.uuid4())}, "parent_merchant_id"),
     ({"name": "A", "coaching_enabled": "yes"}, "coaching_enabled")],
)
def test_merchant_create_validates_its_fields(db: TestDatabase, body: dict[str, Any], details: str) -> None:
    response = call(db, MERCHANT_CREATE, body, db.user(None, "admin"))
    assert (response.status, response.body["details"]) == (422, details), response.body


# -- an invitation is worth no more than its inviter's rights --------------------------------


def test_an_invitation_dies_with_its_inviters_membership(db: TestDatabase) -> None:
    owner, invitee, token = _open_invitation(db, "merchant_owner")
    db.admin.execute("delete from public.profiles where id = %s", (owner.id,))
    refused(call(db, ACCEPT, {"token": token}, invitee), 403, "token", "may no longer invite to this merchant")
    assert profile(db, invitee) is None


def test_an_owner_invitation_dies_when_its_inviter_is_demoted_to_staff(db: TestDatabase) -> None:
    owner, invitee, token = _open_invitation(db, "merchant_owner")
    db.admin.execute("update public.profiles set role = 'merchant' where id = %s", (owner.id,))
    refused(call(db, ACCEPT, {"token": token}, invitee), 403, "token", "may no longer invite to this merchant")
    assert profile(db, invitee) is None


def test_an_acceptance_racing_the_demotion_of_its_inviter_waits_for_it_and_is_refused(db: TestDatabase) -> None:
    owner, invitee, token = _open_invitation(db, "merchant_owner")
    answers: list[RpcResponse] = []

    def accept() -> None:
        with psycopg.connect(db.api_url, autocommit=True) as api:
            answers.append(call_rpc(api, ACCEPT, {"token": token}, invitee.claims))

    with psycopg.connect(db.url) as demoting:  # a removal or demotion in flight, holding the inviter's row
        demoting.execute("update public.profiles set role = 'merchant' where id = %s", (owner.id,))
        thread = threading.Thread(target=accept)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive() and not answers  # it waits for the inviter's row, not past it
        demoting.commit()
    thread.join(30)
    [answer] = answers
    refused(answer, 403, "token", "may no longer invite to this merchant")
    assert profile(db, invitee) is None


def test_an_invitation_to_a_sub_merchant_dies_when_it_is_moved_out_of_the_inviters_tree(db: TestDatabase) -> None:
    owner = db.owner()
    child = db.merchant(parent=owner.merchant_id)
    invitee = signed_up(db)
    token = invite(db, owner, invitee, merchant_id=child).body["token"]
    db.admin.execute("update public.merchants set parent_merchant_id = %s where id = %s", (db.merchant(), child))
    refused(call(db, ACCEPT, {"token": token}, invitee), 403, "token", "may no longer invite to this merchant")
    assert profile(db, invitee) is None


# -- no input is a 5xx ----------------------------------------------------------------------

HOSTILE_VALUES: list[Any] = [{"a": [1, {"b": None}]}, [1, "x"], True, -1, 1e308, "", " ", "x" * 100_000,
                             "\U0001F600" * 10, "'; drop table public.profiles; --"]
PARAMS = {CREATE: ("merchant_id", "role", "email", "expires_in_hours"), ACCEPT: ("token",), REMOVE: ("user_id",),
          MERCHANT_CREATE: ("name", "parent_merchant_id", "coaching_enabled")}


@pytest.mark.parametrize("function", list(PARAMS))
def test_no_value_of_any_argument_is_a_5xx_or_writes_anything(db: TestDatabase, function: str) -> None:
    owner = db.owner()
    admin = db.user(None, "admin")
    valid = {CREATE: {"merchant_id": owner.merchant_id, "role": "merchant", "email": "a@example.test"},
             ACCEPT: {"token": "ab" * 32}, REMOVE: {"user_id": str(uuid.uuid4())}, MERCHANT_CREATE: {"name": "M"}}
    caller = admin if function == MERCHANT_CREATE else owner
    before = (db.admin.execute("select count(*) as n from public.merchants").fetchone(),
              db.admin.execute("select count(*) as n from public.profiles").fetchone(), invitations(db))
    for param in PARAMS[function]:
        for value in HOSTILE_VALUES:
            response = call(db, function, {**valid[function], param: value}, caller)
            assert response.status < 500, (param, value, response.body)
            if response.status >= 400:
                assert response.body["details"] is not None, (param, value, response.body)
            elif function == MERCHANT_CREATE:  # a valid odd name ("'; drop ...") is stored as given
                db.admin.execute("delete from public.merchants where id = %s", (response.body["merchant_id"],))
            elif function == CREATE:
                db.admin.execute("delete from interview_private.merchant_invitations")
    after = (db.admin.execute("select count(*) as n from public.merchants").fetchone(),
             db.admin.execute("select count(*) as n from public.profiles").fetchone(), invitations(db))
    assert after == before


def test_two_concurrent_accepts_of_one_invitation_make_one_profile(db: TestDatabase) -> None:
    """Both calls wait on the invitation's row lock; the first to get it accepts,
    the second then finds it accepted (409), not a second profile or a 500."""
    _, invitee, token = _open_invitation(db)
    twin = signed_up(db, email_of(db, invitee))  # another account with the same address
    results: dict[str, RpcResponse] = {}

    def accept(user: User) -> None:
        with psycopg.connect(db.api_url, autocommit=True) as api:
            results[user.id] = call_rpc(api, ACCEPT, {"token": token}, user.claims)

    with psycopg.connect(db.url) as locker:
        locker.execute("select from interview_private.merchant_invitations for update")
        threads = [threading.Thread(target=accept, args=(user,)) for user in (invitee, twin)]
        for thread in threads:
            thread.start()
        wait_for(lambda: db.admin.execute(
            "select count(*) = 2 as both from pg_stat_activity where datname = current_database() "
            "and wait_event_type = 'Lock' and query like '%%merchant_invitation_accept%%'").fetchone()["both"],
            "both accepts wait on the invitation's lock")
        locker.rollback()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(r.status for r in results.values()) == [200, 409], {k: r.body for k, r in results.items()}
    winner = next(user for user in (invitee, twin) if results[user.id].status == 200)
    loser = twin if winner is invitee else invitee
    assert results[loser.id].body["message"] == "This invitation has already been accepted"
    assert profile(db, winner) is not None and profile(db, loser) is None
