"""Embed credentials (their tokens: test_embed_tokens.py); idempotent replays."""

from __future__ import annotations

from datetime import date, timedelta

import threading
from typing import Any

import psycopg
import pytest

from interview_db.postgrest import call_rpc

from .helpers import AVATAR_VOICE_TEMPLATE, RPC, TestDatabase, User, minimal_body


def test_embedded_interview_returns_fresh_credentials_stored_privately(db: TestDatabase) -> None:
    owner = db.owner()
    first = db.rpc(minimal_body(is_embedded=True), owner).body
    second = db.rpc(minimal_body(is_embedded=True), owner).body

    for body in (first, second):
        assert len(body["embed_signing_key"]) == 64 and int(body["embed_signing_key"], 16) >= 0
    assert first["embed_signing_key"] != second["embed_signing_key"] and first["embed_id"] != second["embed_id"]
    stored = db.admin.execute(
        "select interview_def_set_id, signing_key from interview_private.embed_keys where embed_id = %s",
        (first["embed_id"],),
    ).fetchone()
    assert stored == {"interview_def_set_id": first["interview_def_set_id"], "signing_key": first["embed_signing_key"]}
    assert "embed_id" not in db.rpc(minimal_body(), owner).body


# -- idempotency ---------------------------------------------------------------


def test_same_key_and_body_returns_the_first_response_and_creates_nothing(db: TestDatabase) -> None:
    owner = db.owner()
    body = minimal_body(idempotency_key="order-1", is_embedded=True, questions=["A?", "B?"])
    first = db.rpc(body, owner)
    counts = db.counts()
    replay = db.rpc(body, owner)

    assert first.status == replay.status == 200
    assert replay.body == first.body  # the embed signing key included
    assert db.counts() == counts
    stored = db.admin.execute("select response from interview_private.idempotency_keys").fetchone()["response"]
    assert "embed_signing_key" not in stored  # the secret is kept in embed_keys only


def test_same_key_with_another_body_is_409(db: TestDatabase) -> None:
    owner = db.owner()
    assert db.rpc(minimal_body(idempotency_key="order-2"), owner).status == 200
    counts = db.counts()
    conflict = db.rpc(minimal_body(idempotency_key="order-2", name="Another name"), owner)
    assert conflict.status == 409 and conflict.body["code"] == "PT409"
    assert conflict.body["details"] == "idempotency_key"
    assert db.counts() == counts


def test_keys_are_per_merchant(db: TestDatabase) -> None:
    body = minimal_body(idempotency_key="shared-key")
    first, second = db.rpc(body, db.owner()), db.rpc(body, db.owner())
    assert first.status == second.status == 200
    assert first.body["interview_def_set_id"] != second.body["interview_def_set_id"]


def test_a_failed_call_does_not_burn_its_key(db: TestDatabase) -> None:
    owner = db.owner()
    assert db.rpc(minimal_body(idempotency_key="k", questions=[{"question": "x", "duration": 0}]), owner).status == 422
    assert db.rpc(minimal_body(idempotency_key="k"), owner).status == 200


def test_a_replay_returns_the_first_response_whatever_changed_since(db: TestDatabase) -> None:
    """The key is looked up as soon as the caller and the merchant are known, before
    the rest is validated and before any reference: a deactivated template and a
    date that has passed do not turn the replay into a 422."""
    owner = db.owner()
    body = minimal_body(idempotency_key="order-late", interview_template_id=AVATAR_VOICE_TEMPLATE,
                        interview_available_till=(date.today() + timedelta(days=2)).isoformat())
    first = db.rpc(body, owner)
    assert first.status == 200, first.body
    db.admin.execute("update public.interview_templates set is_active = false where id = %s", (AVATAR_VOICE_TEMPLATE,))
    db.admin.execute("update interview_private.idempotency_keys set created_at = created_at - interval '1 day'")
    counts = db.counts()

    replay = db.rpc(body, owner)
    assert replay.status == 200 and replay.body == first.body
    assert db.counts() == counts
    fresh = db.rpc({**body, "idempotency_key": "order-new"}, owner)
    assert fresh.status == 422 and fresh.body["details"] == "interview_template_id"  # a new call is validated


@pytest.mark.parametrize(("first", "again"), [
    ({"interview_attempts": 1}, {"interview_attempts": 1.0}),
    ({"interview_attempts": 2, "max_followups": 3}, {"max_followups": 3.00, "interview_attempts": 2e0}),
    ({"custom_scoring": {"max_score": 10, "early_stop": True}}, {"custom_scoring": {"early_stop": True, "max_score": 1e1}}),
])
def test_bodies_are_compared_as_json_values(db: TestDatabase, first: dict[str, Any], again: dict[str, Any]) -> None:
    owner = db.owner()
    created = db.rpc(minimal_body(idempotency_key="same-value", **first), owner)
    assert created.status == 200, created.body
    counts = db.counts()
    replay = db.rpc(minimal_body(**again, idempotency_key="same-value"), owner)
    assert replay.status == 200 and replay.body == created.body
    assert db.counts() == counts
    other = db.rpc(minimal_body(idempotency_key="same-value", **{**first, "name": "Another"}), owner)
    assert other.status == 409


def test_a_malformed_key_or_merchant_is_named_before_anything_else(db: TestDatabase) -> None:
    owner = db.owner()
    for body, path in ((minimal_body(idempotency_key=7), "idempotency_key"),
                       (minimal_body(idempotency_key=""), "idempotency_key"),
                       (minimal_body(merchant_id="not-a-uuid", name=5), "merchant_id")):
        response = db.rpc(body, owner)
        assert response.status == 422 and response.body["details"] == path, response.body


def run_concurrently(db: TestDatabase, calls: list[tuple[dict[str, Any], User]]) -> list[Any]:
    """Each call on its own connection, all released at the same moment."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    connections = [psycopg.connect(db.api_url, autocommit=True) for _ in calls]

    def run(i: int) -> None:
        body, user = calls[i]
        barrier.wait()
        try:
            results[i] = call_rpc(connections[i], RPC, body, user.claims)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for conn in connections:
        conn.close()
    return results


def test_eight_concurrent_calls_with_one_key_create_one_interview(db: TestDatabase) -> None:
    owner = db.owner()
    body = minimal_body(idempotency_key="burst", questions=["One?", "Two?"], is_embedded=True)
    results = run_concurrently(db, [(body, owner)] * 8)

    assert all(getattr(r, "status", None) == 200 for r in results), results
    assert len({r.body["interview_def_set_id"] for r in results}) == 1
    assert len({r.body["embed_signing_key"] for r in results}) == 1
    assert db.counts()["public.interview_def_set"] == 1
    assert db.counts()["interview_private.embed_keys"] == 1


@pytest.mark.slow
def test_forty_concurrent_creates_by_one_merchant_all_succeed(db: TestDatabase) -> None:
    owner = db.owner()
    shared = ["Tell us about yourself.", "Why this role?", "What are your salary expectations?"]
    calls = [(minimal_body(questions=[*shared, f"Unique question {i}?"]), owner) for i in range(40)]
    results = run_concurrently(db, calls)

    assert all(getattr(r, "status", None) == 200 for r in results), [
        getattr(r, "body", r) for r in results if getattr(r, "status", None) != 200]
    assert len({r.body["interview_def_set_id"] for r in results}) == 40
    counts = db.counts()
    assert counts["public.interview_def_set"] == 40
    assert counts["public.interview_def_question"] == 3 + 40  # the shared three stored once
    assert counts["public.interview_def_step"] == 40 * 6
