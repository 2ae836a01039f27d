"""Onboarding by the operator: a merchant, and a profile for a signed-up user.

These run over the direct connection (the ``postgres`` role, which owns the
tables), as the trusted operator: API roles cannot write ``merchants`` or
``profiles``. A running app onboards people with invitations instead
(``merchant_invitation_create`` / ``merchant_invitation_accept``).

Each function runs in one transaction, checks what a person can get wrong
(an unknown email or merchant, a user who already has a profile, a role that
does not exist) and raises :class:`OnboardingError` with one line saying what to
do; the result says what was written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg
from psycopg import errors

ROLES = ("admin", "merchant_owner", "merchant", "candidate")
NAME_MAX = 200

INSERT_MERCHANT = (
    "insert into public.merchants (name, parent_merchant_id, coaching_enabled) values (%s, %s, %s) returning id"
)
INSERT_PROFILE = "insert into public.profiles (id, merchant_id, role) values (%s, %s, %s)"


class OnboardingError(RuntimeError):
    """Something the operator can fix; the message is one line."""


@dataclass(frozen=True)
class MerchantAdded:
    merchant_id: str
    name: str
    parent_merchant_id: str | None
    coaching_enabled: bool


@dataclass(frozen=True)
class MemberAdded:
    user_id: str
    email: str
    merchant_id: str
    merchant_name: str
    role: str


def _uuid(value: str, what: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise OnboardingError(f"{what} must be a uuid, got {value!r}") from None


def _deployed(conn: psycopg.Connection) -> None:
    row = conn.execute(
        "select to_regclass('public.merchants') is not null and to_regclass('public.profiles') is not null"
    ).fetchone()
    if not row or not row[0]:
        raise OnboardingError("the package is not deployed in this database: run `interview-db migrate` first")


def add_merchant(
    conn: psycopg.Connection, name: str, *, parent_id: str | None = None, coaching: bool = False
) -> MerchantAdded:
    """Insert a merchant (a sub-merchant of ``parent_id`` when given)."""
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise OnboardingError(f"the merchant name must be 1 to {NAME_MAX} characters, got {len(name)}")
    parent = _uuid(parent_id, "--parent") if parent_id else None
    _deployed(conn)
    with conn.transaction():
        if parent and conn.execute("select from public.merchants where id = %s", (parent,)).fetchone() is None:
            raise OnboardingError(f"no merchant with id {parent} (--parent)")
        row = conn.execute(INSERT_MERCHANT, (name, parent, coaching)).fetchone()
    assert row is not None
    return MerchantAdded(str(row[0]), name, parent, coaching)


def add_member(conn: psycopg.Connection, *, merchant_id: str, email: str, role: str) -> MemberAdded:
    """Give the existing auth user with ``email`` a profile: ``role`` in ``merchant_id``."""
    if role not in ROLES:
        raise OnboardingError(f"--role must be one of {', '.join(ROLES)}; got {role!r}")
    merchant = _uuid(merchant_id, "--merchant")
    _deployed(conn)
    with conn.transaction():
        found = conn.execute("select name from public.merchants where id = %s", (merchant,)).fetchone()
        if found is None:
            raise OnboardingError(f"no merchant with id {merchant} (--merchant); `interview-db merchant add` makes one")
        merchant_name = str(found[0])
        users = conn.execute(
            "select id, email from auth.users "
            "where interview_private.email_key(email) = interview_private.email_key(%s) order by id limit 2",
            (email.strip(),),
        ).fetchall()
        if not users:
            raise OnboardingError(
                f"no user with email {email.strip()} in auth.users: the user signs up first (Supabase Auth), "
                "then run this again"
            )
        if len(users) > 1:
            raise OnboardingError(f"more than one user has the email {email.strip()} in auth.users")
        user_id, user_email = str(users[0][0]), str(users[0][1])
        existing = conn.execute(
            "select p.role::text, m.name, p.merchant_id from public.profiles as p "
            "left join public.merchants as m on m.id = p.merchant_id where p.id = %s",
            (user_id,),
        ).fetchone()
        if existing is not None:
            role_now, merchant_now, merchant_now_id = existing
            where = f"{merchant_now} {merchant_now_id}" if merchant_now_id else "no merchant"
            raise OnboardingError(
                f"{user_email} already has a profile ({role_now} of {where}): a user belongs to one merchant"
            )
        try:
            conn.execute(INSERT_PROFILE, (user_id, merchant, role))
        except errors.UniqueViolation:
            raise OnboardingError(f"{user_email} already has a profile (made just now by another session)") from None
    return MemberAdded(user_id, user_email, merchant, merchant_name, role)


@dataclass(frozen=True)
class MerchantListed:
    merchant_id: str
    name: str
    parent_merchant_id: str | None
    coaching_enabled: bool
    members: int
    created_at: str


@dataclass(frozen=True)
class MemberListed:
    user_id: str
    email: str | None
    merchant_id: str | None
    merchant_name: str | None
    role: str
    created_at: str


def list_merchants(conn: psycopg.Connection) -> list[MerchantListed]:
    """Every merchant with its id, parent and number of members, oldest first."""
    _deployed(conn)
    rows = conn.execute(
        "select m.id, m.name, m.parent_merchant_id, m.coaching_enabled, "
        "(select count(*) from public.profiles as p where p.merchant_id = m.id), m.created_at "
        "from public.merchants as m order by m.created_at, m.id"
    ).fetchall()
    return [MerchantListed(str(r[0]), str(r[1]), str(r[2]) if r[2] else None, bool(r[3]), int(r[4]), r[5].isoformat())
            for r in rows]


def list_members(conn: psycopg.Connection, merchant_id: str | None = None) -> list[MemberListed]:
    """Every profile (of one merchant with ``merchant_id``), with the user's email, oldest first."""
    merchant = _uuid(merchant_id, "--merchant") if merchant_id else None
    _deployed(conn)
    if merchant and conn.execute("select from public.merchants where id = %s", (merchant,)).fetchone() is None:
        raise OnboardingError(f"no merchant with id {merchant} (--merchant); `interview-db merchant list` shows them")
    rows = conn.execute(
        "select p.id, u.email, p.merchant_id, m.name, p.role::text, p.created_at "
        "from public.profiles as p left join auth.users as u on u.id = p.id "
        "left join public.merchants as m on m.id = p.merchant_id "
        "where %(merchant)s::uuid is null or p.merchant_id = %(merchant)s::uuid "
        "order by p.created_at, p.id",
        {"merchant": merchant},
    ).fetchall()
    return [MemberListed(str(r[0]), str(r[1]) if r[1] else None, str(r[2]) if r[2] else None,
                         str(r[3]) if r[3] else None, str(r[4]), r[5].isoformat()) for r in rows]
