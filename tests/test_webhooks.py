"""Webhooks: endpoints as data (RPCs, RLS, secrets), deliveries written with the
event, and the relay in process against a real receiver on 127.0.0.1 that
verifies every signature with standardwebhooks.

The relay's process faults (SIGKILL, SIGTERM, two relays, a database restart)
are in test_webhook_relay.py.
"""

from __future__ import annotations

import base64
import io
import ipaddress
import itertools
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from interview_db.postgrest import RpcResponse, call_rpc
from interview_db.relay import Relay, RelayLog, RelayOptions, RetryPolicy
from interview_db.webhook_targets import TargetRefused, check_target, non_public_reason

from .helpers import TestDatabase, User, minimal_body
from .webhook_receiver import Receiver

BOTH = ["interview.created", "interview.expectations_requested"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(hang_seconds=2.0) as r:
        yield r


def call(db: TestDatabase, function: str, body: dict[str, Any], user: User | None) -> RpcResponse:
    return call_rpc(db.api, function, body, user.claims if user else None)


def allow_private_targets(db: TestDatabase) -> None:
    """The receivers listen on http://127.0.0.1: the deployment must allow private targets."""
    db.admin.execute("update interview_private.webhook_settings set allow_private_targets = true")


def add_endpoint(db: TestDatabase, user: User, receiver: Receiver, path: str, plan: list[str] | None = None,
                 default: str | None = None, **fields: Any) -> dict[str, Any]:
    allow_private_targets(db)
    response = call(db, "webhook_endpoint_create", {"url": receiver.url(path), **fields}, user)
    assert response.status == 200, response.body
    receiver.endpoint(path, response.body["secret"], plan, default)
    return response.body


def create_interviews(db: TestDatabase, user: User, count: int, *, expectations: bool = True) -> list[str]:
    """count creates; each writes interview.created, and interview.expectations_requested unless told not to."""
    ids = []
    for i in range(count):
        extra = {} if expectations else {"candidate_expectations_json": {"skills": ["go"]}}
        response = db.rpc(minimal_body(name=f"Role {i}", **extra), user)
        assert response.status == 200, response.body
        ids.append(response.body["interview_def_set_id"])
    return ids


def relay(db: TestDatabase, log: io.StringIO | None = None, **options: Any) -> Relay:
    retry = RetryPolicy(base_seconds=0.2, max_seconds=5.0, max_attempts=options.pop("max_attempts", 6))
    settings: dict[str, Any] = {"once": True, "allow_private_targets": True, "timeout_seconds": 1.0,
                                "lease_seconds": 10.0, "retry": retry, **options}
    return Relay(db.url, RelayOptions(**settings), RelayLog(stream=log if log is not None else io.StringIO()))


def deliveries(db: TestDatabase, endpoint_id: str) -> list[dict[str, Any]]:
    return db.admin.execute(
        "select d.*, o.event_type from interview_private.webhook_deliveries as d "
        "join interview_private.outbox_events as o on o.id = d.event_id where d.endpoint_id = %s order by d.event_id",
        (endpoint_id,),
    ).fetchall()


def attempts(db: TestDatabase, endpoint_id: str) -> list[dict[str, Any]]:
    return db.admin.execute(
        "select a.* from interview_private.webhook_attempts as a "
        "join interview_private.webhook_deliveries as d on d.id = a.delivery_id "
        "where d.endpoint_id = %s order by a.id",
        (endpoint_id,),
    ).fetchall()


# -- endpoints as data ---------------------------------------------------------------


def test_an_owner_creates_an_endpoint_and_gets_its_secret_once(db: TestDatabase) -> None:
    owner = db.owner()
    response = call(db, "webhook_endpoint_create",
                    {"url": "https://hooks.example.test/in", "event_types": ["interview.created"]}, owner)

    assert response.status == 200, response.body
    body = response.body
    assert body["secret"].startswith("whsec_") and len(base64.b64decode(body["secret"][6:])) == 32
    assert body["merchant_id"] == owner.merchant_id and body["event_types"] == ["interview.created"]
    assert body["enabled"] is True
    stored = db.admin.execute("select secret from interview_private.webhook_endpoint_secrets where endpoint_id = %s",
                              (body["id"],)).fetchone()
    assert stored is not None and bytes(stored["secret"]) == base64.b64decode(body["secret"][6:])
    # Null event types mean all of them.
    every = call(db, "webhook_endpoint_create", {"url": "https://hooks.example.test/all"}, owner)
    assert every.status == 200 and every.body["event_types"] == BOTH


def test_members_read_their_merchants_endpoints_without_the_secret(db: TestDatabase) -> None:
    owner = db.owner()
    staff = db.user(owner.merchant_id, "merchant")
    stranger = db.owner()
    created = call(db, "webhook_endpoint_create", {"url": "https://hooks.example.test/in"}, owner).body

    def read_as(user: User) -> list[str]:
        with db.api.transaction():
            db.api.execute("select set_config('role', 'authenticated', true), "
                           "set_config('request.jwt.claims', %s, true)", (json.dumps(user.claims),))
            cursor = db.api.execute("select * from public.webhook_endpoints")
            columns = [c.name for c in cursor.description or []]
            rows = cursor.fetchall()
        assert "url" in columns and not [c for c in columns if "secret" in c and c != "secret_rotated_at"], columns
        return [str(r[0]) for r in rows]

    assert read_as(staff) == [created["id"]]
    assert read_as(stranger) == []
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.api.transaction():
        db.api.execute("set local role authenticated")
        db.api.execute("select * from interview_private.webhook_endpoint_secrets")


def test_only_owners_and_admins_manage_endpoints(db: TestDatabase) -> None:
    owner = db.owner()
    staff = db.user(owner.merchant_id, "merchant")
    candidate = db.user(owner.merchant_id, "candidate")
    admin = db.user(None, "admin")
    stranger = db.owner()
    url = {"url": "https://hooks.example.test/in"}

    for user in (staff, candidate):
        response = call(db, "webhook_endpoint_create", url, user)
        assert response.status == 403 and response.body["details"] == "role", response.body
    assert call(db, "webhook_endpoint_create", url, None).status == 401  # anon: no EXECUTE
    denied = call(db, "webhook_endpoint_create", {**url, "merchant_id": stranger.merchant_id}, owner)
    assert denied.status == 403 and denied.body["details"] == "merchant_id"

    no_merchant = call(db, "webhook_endpoint_create", url, admin)
    assert no_merchant.status == 422 and no_merchant.body["details"] == "merchant_id"
    by_admin = call(db, "webhook_endpoint_create", {**url, "merchant_id": owner.merchant_id}, admin)
    assert by_admin.status == 200 and by_admin.body["merchant_id"] == owner.merchant_id

    sub = db.merchant(parent=owner.merchant_id)
    for_sub = call(db, "webhook_endpoint_create", {**url, "merchant_id": sub}, owner)
    assert for_sub.status == 200, for_sub.body

    endpoint_id = by_admin.body["id"]
    not_yours = call(db, "webhook_endpoint_rotate_secret", {"endpoint_id": endpoint_id}, stranger)
    missing = call(db, "webhook_endpoint_rotate_secret", {"endpoint_id": "00000000-0000-4000-8000-000000000000"}, owner)
    assert not_yours.status == missing.status == 404
    assert not_yours.body["message"] == missing.body["message"]  # nothing tells the two apart
    assert call(db, "webhook_endpoint_update", {"endpoint_id": endpoint_id, "enabled": False}, staff).status == 403


@pytest.mark.parametrize(("fields", "path"), [
    ({"url": "ftp://hooks.example.test/"}, "url"),
    ({"url": "https://user:pw@hooks.example.test/"}, "url"),
    ({"url": "https://"}, "url"),
    ({"url": "https://hooks.example.test/" + "x" * 2100}, "url"),
    ({"url": "https://hooks.example.test/", "event_types": []}, "event_types"),
    ({"url": "https://hooks.example.test/", "event_types": ["interview.created", "interview.deleted"]},
     "event_types[1]"),
    ({"url": "https://hooks.example.test/", "description": "d" * 501}, "description"),
])
def test_invalid_endpoints_are_refused_with_the_field(db: TestDatabase, fields: dict[str, Any], path: str) -> None:
    response = call(db, "webhook_endpoint_create", fields, db.owner())
    assert response.status == 422, response.body
    assert response.body["details"] == path and response.body["hint"]
    assert db.admin.execute("select count(*) as n from public.webhook_endpoints").fetchone()["n"] == 0


def test_rotation_returns_a_new_secret_and_both_verify_for_a_day(db: TestDatabase, receiver: Receiver) -> None:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    owner = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "rotating")
    rotated = call(db, "webhook_endpoint_rotate_secret", {"endpoint_id": endpoint["id"]}, owner)
    assert rotated.status == 200 and rotated.body["secret"] != endpoint["secret"]
    assert set(rotated.body) == {"id", "secret", "secret_rotated_at"}
    receiver.secrets["rotating"] = rotated.body["secret"]

    create_interviews(db, owner, 1, expectations=False)
    relay(db).run()
    got = receiver.of("rotating")
    assert len(got) == 1 and got[0].verified  # with the new secret
    assert len(got[0].signature.split(" ")) == 2
    Webhook(endpoint["secret"]).verify(got[0].raw, dict(got[0].headers))  # and, for now, with the previous one

    # A day later the previous secret signs no more.
    db.admin.execute("update interview_private.webhook_endpoint_previous_secrets "
                     "set valid_until = now() - interval '1 second'")
    create_interviews(db, owner, 1, expectations=False)
    relay(db).run()
    later = receiver.of("rotating")[1]
    assert later.verified and len(later.signature.split(" ")) == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(later.raw, dict(later.headers))


# -- delivery --------------------------------------------------------------------------


def test_each_event_is_delivered_exactly_once_to_each_endpoint(db: TestDatabase, receiver: Receiver) -> None:
    owner = db.owner()
    first = add_endpoint(db, owner, receiver, "first")
    second = add_endpoint(db, owner, receiver, "second")
    other = db.owner()
    add_endpoint(db, other, receiver, "other-merchant")
    sets = create_interviews(db, owner, 3)
    log = io.StringIO()

    stats = relay(db, log, batch_size=4).run()
    again = relay(db).run()

    assert stats.delivered == 12 and stats.claims >= 6 and again.delivered == 0
    for path in ("first", "second"):
        got = receiver.of(path)
        assert all(r.verified for r in got)
        assert sorted(r.event_key for r in got) == sorted((t, s) for s in sets for t in BOTH)  # type: ignore[type-var]
        assert len({r.webhook_id for r in got}) == 6
        body = got[0].body
        assert body is not None and set(body) == {"type", "timestamp", "data"}
    assert receiver.of("other-merchant") == []
    for endpoint in (first, second):
        rows = deliveries(db, endpoint["id"])
        assert [r["status"] for r in rows] == ["delivered"] * 6
        assert all(r["attempts"] == 1 and r["last_status_code"] == 204 and r["claimed_by"] is None for r in rows)
        tries = attempts(db, endpoint["id"])
        assert [(a["outcome"], a["status_code"], a["attempt"]) for a in tries] == [("delivered", 204, 1)] * 6
        assert all(a["latency_ms"] >= 0 for a in tries)
    # A progress line per batch; neither secret nor signature is ever logged.
    text = log.getvalue()
    assert text.count("claimed ") == stats.claims
    for secret in (first["secret"], second["secret"]):
        assert secret[6:] not in text
    assert all(r.signature.split(",", 1)[1] not in text for r in receiver.received)


def test_a_failing_endpoint_is_retried_with_growing_delays_until_it_succeeds(
    db: TestDatabase, receiver: Receiver
) -> None:
    owner = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "flaky", plan=["500", "close", "timeout", "redirect", "ok"],
                            event_types=["interview.created"])
    create_interviews(db, owner, 1)

    r = relay(db, timeout_seconds=0.5)
    deadline = time.monotonic() + 30
    while deliveries(db, endpoint["id"])[0]["status"] == "pending":
        assert time.monotonic() < deadline, attempts(db, endpoint["id"])
        r.run()
        time.sleep(0.02)

    tries = attempts(db, endpoint["id"])
    assert [(a["attempt"], a["outcome"], a["status_code"]) for a in tries] == [
        (1, "failed", 500), (2, "failed", None), (3, "failed", None), (4, "failed", 302), (5, "delivered", 204)]
    assert tries[0]["error"].startswith("HTTP 500: receiver says no")
    assert len(tries[0]["error"]) < 300  # the body is read up to a cap, and only an excerpt kept
    assert "timed out" in tries[2]["error"]
    assert tries[3]["error"] == "HTTP 302: redirect not followed"
    got = receiver.of("flaky")
    assert [g.answer for g in got] == ["500", "close", "timeout", "redirect", "ok"]  # no request to /elsewhere
    assert len({g.webhook_id for g in got}) == 1 and all(g.verified for g in got)
    # The wait after failed attempt n is between half and all of 0.2 s * 2**(n-1).
    waits = [(b["started_at"] - a["recorded_at"]).total_seconds() for a, b in itertools.pairwise(tries)]
    for n, wait in enumerate(waits, start=1):
        assert wait >= 0.2 * 2 ** (n - 1) / 2 - 0.01, waits
    assert all(b >= a * 0.9 for a, b in itertools.pairwise(waits)), waits
    delivery = deliveries(db, endpoint["id"])[0]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 5


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout(db: TestDatabase, receiver: Receiver) -> None:
    owner = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "drip", plan=["drip"], event_types=["interview.created"])
    create_interviews(db, owner, 1)

    started = time.monotonic()
    relay(db, timeout_seconds=0.5).run()

    assert time.monotonic() - started < 5  # not the 100 s the body would take
    [tried] = attempts(db, endpoint["id"])
    assert tried["outcome"] == "failed" and tried["error"] == "timed out after 0.5 s"
    assert 400 <= tried["latency_ms"] < 2000


def test_the_backoff_grows_and_stays_within_its_bounds() -> None:
    import random

    policy = RetryPolicy(base_seconds=1.0, max_seconds=30.0, max_attempts=10)
    rng = random.Random(7)
    for attempt in range(1, 10):
        ceiling = min(30.0, 2.0 ** (attempt - 1))
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert min(delays) >= ceiling / 2 and max(delays) <= ceiling
        assert len({round(d, 6) for d in delays}) > 100  # jitter
    assert max(policy.delay(n, rng) for n in range(1, 5)) <= 8 < policy.delay(6, rng) * 2


def test_a_delivery_is_dead_after_the_attempt_limit(db: TestDatabase, receiver: Receiver) -> None:
    owner = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "down", plan=["500"] * 10, event_types=["interview.created"])
    create_interviews(db, owner, 1)

    r = relay(db, max_attempts=3, retry=RetryPolicy(base_seconds=0.05, max_seconds=0.1, max_attempts=3))
    deadline = time.monotonic() + 20
    while deliveries(db, endpoint["id"])[0]["status"] == "pending":
        assert time.monotonic() < deadline
        r.run()
        time.sleep(0.02)

    delivery = deliveries(db, endpoint["id"])[0]
    assert delivery["status"] == "dead" and delivery["attempts"] == 3 and delivery["dead_at"] is not None
    assert [a["outcome"] for a in attempts(db, endpoint["id"])] == ["failed"] * 3
    time.sleep(0.15)
    relay(db).run()
    assert len(receiver.of("down")) == 3  # dead stays dead


def test_a_disabled_endpoint_gets_nothing(db: TestDatabase, receiver: Receiver) -> None:
    owner = db.owner()
    disabled = add_endpoint(db, owner, receiver, "disabled", enabled=False)
    paused = add_endpoint(db, owner, receiver, "paused", event_types=["interview.created"])
    create_interviews(db, owner, 1)
    assert deliveries(db, disabled["id"]) == []
    # Disabled after the event: its delivery waits, and goes out once enabled again.
    off = call(db, "webhook_endpoint_update", {"endpoint_id": paused["id"], "enabled": False}, owner)
    assert off.status == 200 and off.body["enabled"] is False and "secret" not in off.body
    create_interviews(db, owner, 1)

    relay(db).run()
    assert receiver.of("disabled") == [] and receiver.of("paused") == []
    assert [d["status"] for d in deliveries(db, paused["id"])] == ["pending"]

    assert call(db, "webhook_endpoint_update", {"endpoint_id": paused["id"], "enabled": True}, owner).status == 200
    relay(db).run()
    assert len(receiver.of("paused")) == 1 and receiver.of("disabled") == []


def test_an_endpoint_subscribed_to_one_type_gets_only_that_type(db: TestDatabase, receiver: Receiver) -> None:
    owner = db.owner()
    add_endpoint(db, owner, receiver, "created-only", event_types=["interview.created"])
    add_endpoint(db, owner, receiver, "expectations-only", event_types=["interview.expectations_requested"])
    sets = create_interviews(db, owner, 2)

    relay(db).run()

    assert sorted(r.event_key for r in receiver.of("created-only")) == sorted(  # type: ignore[type-var]
        ("interview.created", s) for s in sets)
    assert sorted(r.event_key for r in receiver.of("expectations-only")) == sorted(  # type: ignore[type-var]
        ("interview.expectations_requested", s) for s in sets)


def test_deliveries_are_written_in_the_creating_transaction(db: TestDatabase, receiver: Receiver) -> None:
    owner = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "tx")
    failed = db.rpc(minimal_body(name=""), owner)  # refused: nothing written, no delivery either
    assert failed.status == 422
    assert deliveries(db, endpoint["id"]) == []
    create_interviews(db, owner, 1)
    assert [d["event_type"] for d in deliveries(db, endpoint["id"])] == BOTH


# -- SSRF ------------------------------------------------------------------------------


def test_without_the_flag_a_loopback_endpoint_is_refused_before_connecting(
    db: TestDatabase, receiver: Receiver
) -> None:
    owner = db.owner()
    plain = add_endpoint(db, owner, receiver, "plain", event_types=["interview.created"])
    secure = call(db, "webhook_endpoint_create", {"url": f"https://127.0.0.1:{receiver.port}/secure",
                                                  "event_types": ["interview.created"]}, owner).body
    named = call(db, "webhook_endpoint_create", {"url": f"https://localhost:{receiver.port}/named",
                                                 "event_types": ["interview.created"]}, owner).body
    create_interviews(db, owner, 1)

    stats = relay(db, allow_private_targets=False).run()

    assert stats.refused == 3 and stats.delivered == 0
    assert receiver.connections == 0 and receiver.received == []
    reasons = {e["url"]: attempts(db, e["id"]) for e in (plain, secure, named)}
    assert [a["outcome"] for tries in reasons.values() for a in tries] == ["refused"] * 3
    assert "http is refused" in reasons[plain["url"]][0]["error"]
    assert "127.0.0.1 is loopback" in reasons[secure["url"]][0]["error"]
    assert "is loopback" in reasons[named["url"]][0]["error"]
    assert all(d["status"] == "pending" and d["attempts"] == 1 for e in (plain, secure, named)
               for d in deliveries(db, e["id"]))


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("10.1.2.3", "private"), ("172.16.0.1", "private"),
    ("192.168.1.1", "private"), ("169.254.169.254", "link-local"), ("0.0.0.0", "unspecified"),
    ("100.64.0.1", "not globally routable"), ("192.0.2.10", "private"), ("198.18.0.1", "private"),
    ("224.0.0.1", "multicast"), ("255.255.255.255", "private"), ("240.0.0.1", "240.0.0.1 is"),
    ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"), ("fc00::1", "private"),
    ("fd12:3456::1", "private"), ("ff02::1", "multicast"), ("2001:db8::1", "private"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("64:ff9b::a00:1", "private"),
    ("2002:7f00:1::", "loopback"), ("2002:a9fe:a9fe::1", "link-local"), ("fec0::1", "site-local"),
])
def test_the_classifier_refuses_every_non_public_address(address: str, reason: str) -> None:
    found = non_public_reason(address)
    assert found is not None and reason in found, found


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111",
                                     "2a00:1450:4001:82a::200e", "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_the_classifier_passes_public_addresses(address: str) -> None:
    assert non_public_reason(address) is None
    assert ipaddress.ip_address(address)  # literals only: nothing here connects anywhere


def test_a_name_is_refused_when_any_of_its_addresses_is_not_public() -> None:
    def fake(addresses: list[str]) -> Any:
        return lambda host, port: addresses  # no DNS, no connection

    ok = check_target("https://hooks.example.test:8443/in?token=x", False, fake(["93.184.216.34"]))
    assert (ok.host, ok.port, ok.path, ok.addresses) == ("hooks.example.test", 8443, "/in?token=x", ("93.184.216.34",))
    assert ok.origin == "https://hooks.example.test:8443"
    with pytest.raises(TargetRefused, match="10.0.0.7 is private"):
        check_target("https://hooks.example.test/", False, fake(["93.184.216.34", "10.0.0.7"]))
    with pytest.raises(TargetRefused, match="http is refused"):
        check_target("http://hooks.example.test/", False, fake(["93.184.216.34"]))
    with pytest.raises(TargetRefused, match="not http"):
        check_target("file:///etc/passwd", True, fake(["127.0.0.1"]))
    with pytest.raises(TargetRefused, match="user info"):
        check_target("https://a:b@hooks.example.test/", True, fake(["93.184.216.34"]))
    allowed = check_target("http://hooks.example.test/", True, fake(["10.0.0.7"]))
    assert allowed.addresses == ("10.0.0.7",)


# -- doctor ----------------------------------------------------------------------------


def test_doctor_reports_the_backlog_due_retrying_dead_and_oldest_age(db: TestDatabase, receiver: Receiver) -> None:
    from click.testing import CliRunner
    from interview_db.cli import main
    from interview_db.doctor import RELAY

    def webhooks() -> tuple[int, dict[str, Any]]:
        result = CliRunner().invoke(main, ["doctor", "--database-url", db.url, "--json"])
        payload = json.loads(result.stdout)
        return result.exit_code, next(c for c in payload["checks"] if c["name"] == "webhooks")

    code, check = webhooks()
    assert code == 0 and check == {"name": "webhooks", "ok": True, "summary": "0 due, 0 retrying, 0 dead", "fix": None}

    owner = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "backlog", plan=["500"] * 5)
    create_interviews(db, owner, 2)  # 4 deliveries
    relay(db, batch_size=1, max_attempts=1,
          retry=RetryPolicy(base_seconds=60, max_seconds=60, max_attempts=1)).run()  # all dead at once
    create_interviews(db, owner, 1)  # 2 more: due
    code, check = webhooks()
    assert code == 0 and check["ok"] is None
    assert check["summary"].startswith("2 due, 0 retrying, 4 dead; oldest due for ")

    # One retrying, and the oldest due delivery an hour old: no relay is running.
    ids = [d["id"] for d in deliveries(db, endpoint["id"]) if d["status"] == "pending"]
    db.admin.execute("update interview_private.webhook_deliveries set attempts = 1 where id = %s", (ids[0],))
    db.admin.execute("update interview_private.webhook_deliveries set next_attempt_at = now() - interval '1 hour' "
                     "where id = %s", (ids[1],))
    code, check = webhooks()
    assert code == 1 and check["ok"] is False and check["fix"] == RELAY
    assert check["summary"] == "2 due, 1 retrying, 4 dead; oldest due for 60 min: is a relay running?"

    # Created long ago but due only since its backoff ended a minute ago: no alarm.
    db.admin.execute("update interview_private.webhook_deliveries set created_at = now() - interval '5 hours', "
                     "next_attempt_at = now() - interval '1 minute' where status = 'pending'")
    code, check = webhooks()
    assert code == 0 and check["summary"].startswith("2 due, 1 retrying, 4 dead; oldest due for 6")  # 60-69 s
    # A disabled endpoint's deliveries are no relay's to send: held, not due.
    assert call(db, "webhook_endpoint_update", {"endpoint_id": endpoint["id"], "enabled": False}, owner).status == 200
    db.admin.execute("update interview_private.webhook_deliveries set next_attempt_at = now() - interval '2 hours' "
                     "where status = 'pending'")
    code, check = webhooks()
    assert code == 0 and check["summary"].startswith("0 due, 0 retrying, 4 dead, 2 held by disabled endpoints (")


# -- bench -----------------------------------------------------------------------------


def test_the_bench_measures_delivery_rate_and_latency(db: TestDatabase) -> None:
    from interview_db.bench import (
        Bench,
        BenchOptions,
        BenchResult,
        bench_webhooks,
        format_table,
        performance_markdown,
    )

    bench = Bench(db.url, db.api_url, BenchOptions.quick(), lambda _: None)
    try:
        point = bench_webhooks(bench, 20)
    finally:
        bench.close()

    assert point.events == 20 and point.events_per_second > 0 and point.drain_seconds > 0
    assert point.latency.calls == 20 and 0 < point.latency.median_ms <= point.latency.p95_ms
    assert db.admin.execute("select count(*) as n from interview_private.webhook_deliveries "
                            "where status = 'delivered'").fetchone()["n"] == 60  # 20 + 20 + 20 beside the tarpit
    noisy = point.noisy
    assert noisy is not None and noisy.tarpit_endpoints == 20 and noisy.honest_events == 20
    assert noisy.tarpit_attempts_in_flight == noisy.merchant_limit == 8  # the tarpit holds no more than its share
    assert noisy.honest_latency.p95_ms < noisy.timeout_seconds * 1000  # never waits for a tarpit's timeout
    assert db.admin.execute("select count(*) as n from public.webhook_endpoints").fetchone()["n"] == 1
    result = BenchResult("15", 2, "test", {}, webhooks=point)
    table = format_table(result)
    assert "events/s delivered" in table and "created-to-delivered latency: median" in table
    assert "beside a merchant with 20 tarpit endpoints (8 attempts held)" in table
    markdown = performance_markdown({**json.loads(result.to_json()), "sizes": []})
    assert "Beside a merchant with 20 endpoints that never answer (8 attempts held" in markdown


def test_the_relay_command_fails_in_one_line_where_it_cannot_work(empty_db: str) -> None:
    from click.testing import CliRunner

    from interview_db.cli import main

    undeployed = CliRunner().invoke(main, ["relay", "--once", "--database-url", empty_db])
    assert undeployed.exit_code == 1
    assert "Error: this database has no webhook relay functions" in undeployed.output
    assert "interview-db migrate" in undeployed.output and "Traceback" not in undeployed.output

    unreachable = CliRunner().invoke(main, ["relay", "--once", "--database-url",
                                            "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"])
    assert unreachable.exit_code == 1 and "Error: cannot connect to 127.0.0.1:1/none: " in unreachable.output


# -- bounded attempts, leases, attempt numbers --------------------------------------------


def test_a_trickling_answer_with_connection_close_is_cut_at_the_timeout(db: TestDatabase, receiver: Receiver) -> None:
    owner = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "trickle", plan=["trickle"], event_types=["interview.created"])
    create_interviews(db, owner, 1)

    started = time.monotonic()
    relay(db, timeout_seconds=1.0).run()

    assert time.monotonic() - started < 3  # not the 100 s the answer would take at a byte every 0.25 s
    [tried] = attempts(db, endpoint["id"])
    assert tried["outcome"] == "failed" and tried["error"] == "timed out after 1 s"
    assert 900 <= tried["latency_ms"] < 1600


def test_a_slow_name_resolution_counts_against_the_deadline(db: TestDatabase, receiver: Receiver) -> None:
    owner = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "slow-dns", event_types=["interview.created"])
    create_interviews(db, owner, 1)

    def slow(host: str, port: int) -> list[str]:
        time.sleep(3)
        return ["127.0.0.1"]

    r = relay(db, timeout_seconds=0.5)
    r.resolver = slow
    started = time.monotonic()
    r.run()
    assert time.monotonic() - started < 2
    [tried] = attempts(db, endpoint["id"])
    assert tried["error"] == "timed out after 0.5 s" and receiver.received == []


def test_a_lease_shorter_than_the_timeout_and_its_margin_is_refused() -> None:
    from click.testing import CliRunner

    from interview_db.cli import main

    with pytest.raises(ValueError, match="lease"):
        RelayOptions(lease_seconds=10, timeout_seconds=10)
    result = CliRunner().invoke(main, ["relay", "--database-url", "postgresql://nobody@127.0.0.1:1/none",
                                       "--timeout", "10", "--lease-seconds", "10.5"])
    assert result.exit_code == 2
    assert "--lease-seconds: the lease (10.5 s) must be at least the timeout (10 s) plus 1 s" in result.output
    assert "Traceback" not in result.output


def test_attempt_numbers_follow_the_recording_order_even_from_a_late_relay(db: TestDatabase) -> None:
    owner = db.owner()
    allow_private_targets(db)
    created = call(db, "webhook_endpoint_create", {"url": "http://127.0.0.1:9/late",
                                                   "event_types": ["interview.created"]}, owner).body
    create_interviews(db, owner, 1)
    claim = "select delivery_id from interview_private.claim_webhook_deliveries(%s, 1, %s, 8)"
    record = ("select interview_private.record_webhook_attempt(%s, %s, now(), 5, 500, false, 'HTTP 500', 12, "
              "interval '0') as state")
    [late] = db.admin.execute(claim, ("relay-a", timedelta(milliseconds=100))).fetchall()
    time.sleep(0.2)  # relay-a's lease ends while its POST is still running
    [again] = db.admin.execute(claim, ("relay-b", timedelta(seconds=30))).fetchall()
    assert late["delivery_id"] == again["delivery_id"]

    states = [db.admin.execute(record, (late["delivery_id"], who)).fetchone()["state"]
              for who in ("relay-a", "relay-b", "relay-a")]

    assert states == ["unchanged", "retrying", "unchanged"]
    rows = attempts(db, created["id"])
    assert [(a["attempt"], a["relay"]) for a in rows] == [(1, "relay-a"), (2, "relay-b"), (3, "relay-a")]
    # only relay-b's record was applied: the late relay's two spend none of the delivery's budget
    [delivery] = deliveries(db, created["id"])
    assert delivery["attempts"] == 1
    endpoint = db.admin.execute("select failing_since from public.webhook_endpoints where id = %s",
                                (created["id"],)).fetchone()
    assert endpoint["failing_since"] is not None  # relay-b's failure, the one applied


# -- rotation, registration limits -------------------------------------------------------


def test_two_rotations_within_a_day_keep_both_old_secrets_verifying(db: TestDatabase, receiver: Receiver) -> None:
    from standardwebhooks.webhooks import Webhook

    owner = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "twice")
    first = call(db, "webhook_endpoint_rotate_secret", {"endpoint_id": endpoint["id"]}, owner).body
    second = call(db, "webhook_endpoint_rotate_secret", {"endpoint_id": endpoint["id"]}, owner).body
    receiver.secrets["twice"] = second["secret"]

    create_interviews(db, owner, 1, expectations=False)
    relay(db).run()

    [got] = receiver.of("twice")
    assert got.verified and len(got.signature.split(" ")) == 3
    for secret in (endpoint["secret"], first["secret"], second["secret"]):
        assert Webhook(secret).verify(got.raw, dict(got.headers))["type"] == "interview.created"


def test_http_urls_are_refused_unless_the_deployment_allows_private_targets(db: TestDatabase) -> None:
    owner = db.owner()
    refused = call(db, "webhook_endpoint_create", {"url": "http://hooks.example.test/in"}, owner)
    assert refused.status == 422 and refused.body["details"] == "url" and "https" in refused.body["message"]
    allow_private_targets(db)
    assert call(db, "webhook_endpoint_create", {"url": "http://hooks.example.test/in"}, owner).status == 200


def test_the_endpoint_cap_and_a_duplicate_url_are_refused_naming_the_limit(db: TestDatabase) -> None:
    owner = db.owner()
    for i in range(20):  # the documented default of webhook_settings.max_endpoints_per_merchant
        assert call(db, "webhook_endpoint_create", {"url": f"https://hooks.example.test/{i}"}, owner).status == 200

    duplicate = call(db, "webhook_endpoint_create", {"url": "https://hooks.example.test/3"}, owner)
    assert duplicate.status == 409 and duplicate.body["details"] == "url", duplicate.body
    assert "one endpoint per merchant and url" in duplicate.body["message"]
    over = call(db, "webhook_endpoint_create", {"url": "https://hooks.example.test/20"}, owner)
    assert over.status == 409 and over.body["details"] == "max_endpoints_per_merchant", over.body
    assert "max_endpoints_per_merchant is 20" in over.body["message"]
    some = db.admin.execute("select id from public.webhook_endpoints order by url limit 1").fetchone()["id"]
    moved = call(db, "webhook_endpoint_update", {"endpoint_id": str(some), "url": "https://hooks.example.test/5"}, owner)
    assert moved.status == 409 and moved.body["details"] == "url"
    assert db.admin.execute("select count(*) as n from public.webhook_endpoints").fetchone()["n"] == 20

    db.admin.execute("update interview_private.webhook_settings set max_endpoints_per_merchant = 21")
    assert call(db, "webhook_endpoint_create", {"url": "https://hooks.example.test/20"}, owner).status == 200
    other = db.owner()  # the cap is per merchant, and so is the url
    assert call(db, "webhook_endpoint_create", {"url": "https://hooks.example.test/3"}, other).status == 200


def test_an_endpoint_failing_for_the_whole_period_is_disabled_with_the_reason(
    db: TestDatabase, receiver: Receiver
) -> None:
    owner = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "broken", default="500", event_types=["interview.created"])
    create_interviews(db, owner, 1)
    relay(db).run()
    row = db.admin.execute("select enabled, failing_since from public.webhook_endpoints where id = %s",
                           (endpoint["id"],)).fetchone()
    assert row["enabled"] and row["failing_since"] is not None  # failing, not yet for 5 days

    db.admin.execute("update public.webhook_endpoints set failing_since = now() - interval '5 days 1 minute'")
    db.admin.execute("update interview_private.webhook_deliveries set next_attempt_at = now()")
    relay(db).run()

    seen = call(db, "webhook_endpoint_deliveries", {"endpoint_id": endpoint["id"]}, owner)
    assert seen.status == 200
    with db.api.transaction():
        db.api.execute("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                       (json.dumps(owner.claims),))
        mine = db.api.execute("select enabled, disabled_reason from public.webhook_endpoints").fetchone()
    assert mine[0] is False and mine[1].startswith("disabled automatically: every attempt failed since ")
    assert "last error: HTTP 500" in mine[1]
    again = call(db, "webhook_endpoint_update", {"endpoint_id": endpoint["id"], "enabled": True}, owner).body
    assert again["enabled"] and again["disabled_reason"] is None and again["failing_since"] is None


# -- retention -------------------------------------------------------------------------------


def test_pruning_deletes_old_final_deliveries_and_events_and_keeps_what_is_not_final(
    db: TestDatabase, receiver: Receiver
) -> None:
    from click.testing import CliRunner

    from interview_db.cli import main

    owner = db.owner()
    good = add_endpoint(db, owner, receiver, "good", event_types=["interview.created"])
    down = add_endpoint(db, owner, receiver, "down", default="500", event_types=["interview.created"])
    quiet = db.owner()  # no endpoint: its events have no delivery at all
    create_interviews(db, owner, 2)
    create_interviews(db, quiet, 1)
    relay(db, max_attempts=1, retry=RetryPolicy(base_seconds=0.05, max_seconds=0.1, max_attempts=1)).run()
    create_interviews(db, owner, 1)  # pending: never attempted
    assert {d["status"] for d in deliveries(db, good["id"])} == {"pending", "delivered"}
    assert {d["status"] for d in deliveries(db, down["id"])} == {"pending", "dead"}
    # published_at: set when every delivery of an event is final, and none before
    published = db.admin.execute(
        "select o.event_type, o.merchant_id, o.published_at is not null as published, "
        "bool_and(d.status <> 'pending') as final from interview_private.outbox_events as o "
        "left join interview_private.webhook_deliveries as d on d.event_id = o.id "
        "where o.merchant_id = %s group by o.id", (owner.merchant_id,)).fetchall()
    assert all(r["published"] == bool(r["final"]) for r in published if r["event_type"] == "interview.created")
    db.admin.execute("update interview_private.webhook_deliveries set created_at = created_at - interval '40 days', "
                     "delivered_at = delivered_at - interval '40 days', dead_at = dead_at - interval '40 days'")
    db.admin.execute("update interview_private.outbox_events set created_at = created_at - interval '40 days'")
    db.admin.execute("update interview_private.outbox_events set published_at = published_at - interval '40 days' "
                     "where published_at is not null")
    before = db.admin.execute("select count(*) as n from interview_private.webhook_attempts").fetchone()["n"]

    result = CliRunner().invoke(main, ["prune", "--database-url", db.url])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("pruned 2 delivered deliveries (with their attempts) and ")
    assert [d["status"] for d in deliveries(db, good["id"])] == ["pending"]
    assert sorted(d["status"] for d in deliveries(db, down["id"])) == ["dead", "dead", "pending"]
    after = db.admin.execute("select count(*) as n from interview_private.webhook_attempts").fetchone()["n"]
    assert after == before - 2
    # Every event that still has a delivery stays; the quiet merchant's are marked published, then pruned next time.
    orphans = db.admin.execute(
        "select count(*) as n from interview_private.webhook_deliveries as d where not exists "
        "(select from interview_private.outbox_events as o where o.id = d.event_id)").fetchone()["n"]
    assert orphans == 0
    quiet_events = db.admin.execute("select published_at from interview_private.outbox_events where merchant_id = %s",
                                    (quiet.merchant_id,)).fetchall()
    assert len(quiet_events) == 2 and all(e["published_at"] is not None for e in quiet_events)
    db.admin.execute("update interview_private.outbox_events set published_at = now() - interval '40 days' "
                     "where merchant_id = %s", (quiet.merchant_id,))
    assert CliRunner().invoke(main, ["prune", "--database-url", db.url]).exit_code == 0
    assert db.admin.execute("select count(*) as n from interview_private.outbox_events where merchant_id = %s",
                            (quiet.merchant_id,)).fetchone()["n"] == 0


# -- what merchants see and do ---------------------------------------------------------------


def test_merchants_read_their_deliveries_and_attempts_and_no_one_elses(db: TestDatabase, receiver: Receiver) -> None:
    owner = db.owner()
    stranger = db.owner()
    staff = db.user(owner.merchant_id, "merchant")
    endpoint = add_endpoint(db, owner, receiver, "seen", plan=["500"], event_types=["interview.created"])
    create_interviews(db, owner, 1)
    r = relay(db)
    r.run()
    time.sleep(0.3)
    r.run()

    seen = call(db, "webhook_endpoint_deliveries", {"endpoint_id": endpoint["id"]}, owner)
    assert seen.status == 200, seen.body
    [delivery] = seen.body
    assert delivery["status"] == "delivered" and delivery["event_type"] == "interview.created"
    assert [(a["attempt"], a["outcome"], a["status_code"]) for a in delivery["attempt_log"]] == [
        (1, "failed", 500), (2, "delivered", 204)]
    assert all(a["latency_ms"] >= 0 for a in delivery["attempt_log"])
    assert delivery["attempt_log"][0]["error"].startswith("HTTP 500")
    assert "secret" not in json.dumps(seen.body)
    assert call(db, "webhook_endpoint_deliveries", {"endpoint_id": endpoint["id"], "status": "dead"},
                owner).body == []
    bad = call(db, "webhook_endpoint_deliveries", {"endpoint_id": endpoint["id"], "status": "lost"}, owner)
    assert bad.status == 422 and bad.body["details"] == "status"

    for other, status in ((stranger, 404), (staff, 403), (None, 401)):
        refused = call(db, "webhook_endpoint_deliveries", {"endpoint_id": endpoint["id"]}, other)
        assert refused.status == status, refused.body
    unknown = call(db, "webhook_endpoint_deliveries", {"endpoint_id": str(uuid.uuid4())}, owner)
    assert unknown.status == 404 and unknown.body["message"] == \
        call(db, "webhook_endpoint_deliveries", {"endpoint_id": endpoint["id"]}, stranger).body["message"]


def test_a_dead_delivery_is_replayed_by_its_merchant_only(db: TestDatabase, receiver: Receiver) -> None:
    owner = db.owner()
    stranger = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "revived", plan=["500"], event_types=["interview.created"])
    create_interviews(db, owner, 1)
    relay(db, max_attempts=1, retry=RetryPolicy(base_seconds=0.05, max_seconds=0.1, max_attempts=1)).run()
    [dead] = deliveries(db, endpoint["id"])
    assert dead["status"] == "dead"

    for other in (stranger, None):
        refused = call(db, "webhook_delivery_replay", {"delivery_id": str(dead["id"])}, other)
        assert refused.status in (401, 404), refused.body
    # another tenant's delivery is answered as an unknown one, naming the RPC's own parameter
    unknown = call(db, "webhook_delivery_replay", {"delivery_id": str(uuid.uuid4())}, owner)
    strangers = call(db, "webhook_delivery_replay", {"delivery_id": str(dead["id"])}, stranger)
    assert unknown.status == strangers.status == 404
    assert unknown.body["details"] == strangers.body["details"] == "delivery_id"
    assert unknown.body["message"] == strangers.body["message"]
    assert deliveries(db, endpoint["id"])[0]["status"] == "dead"

    replayed = call(db, "webhook_delivery_replay", {"delivery_id": str(dead["id"])}, owner)
    assert replayed.status == 200 and replayed.body["status"] == "pending"
    again = call(db, "webhook_delivery_replay", {"delivery_id": str(dead["id"])}, owner)
    assert again.status == 409 and again.body["details"] == "delivery_id"
    relay(db).run()

    got = receiver.of("revived")
    assert [g.answer for g in got] == ["500", "ok"] and got[0].webhook_id == got[1].webhook_id
    assert [(a["attempt"], a["outcome"]) for a in attempts(db, endpoint["id"])] == [(1, "failed"), (2, "delivered")]
    assert deliveries(db, endpoint["id"])[0]["status"] == "delivered"


def test_an_endpoint_is_deleted_by_its_merchant_only(db: TestDatabase, receiver: Receiver) -> None:
    owner = db.owner()
    stranger = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "gone")
    create_interviews(db, owner, 1)

    refused = call(db, "webhook_endpoint_delete", {"endpoint_id": endpoint["id"]}, stranger)
    assert refused.status == 404 and refused.body["details"] == "endpoint_id"
    assert len(deliveries(db, endpoint["id"])) == 2

    deleted = call(db, "webhook_endpoint_delete", {"endpoint_id": endpoint["id"]}, owner)
    assert deleted.status == 200 and deleted.body == {"id": endpoint["id"], "deleted": True}
    assert deliveries(db, endpoint["id"]) == []
    assert db.admin.execute("select count(*) as n from interview_private.webhook_endpoint_secrets "
                            "where endpoint_id = %s", (endpoint["id"],)).fetchone()["n"] == 0
    assert call(db, "webhook_endpoint_delete", {"endpoint_id": endpoint["id"]}, owner).status == 404
    relay(db).run()
    assert receiver.received == []


def test_a_test_event_is_signed_and_sent_now_for_its_merchant_only(db: TestDatabase, receiver: Receiver) -> None:
    owner = db.owner()
    stranger = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "tested")
    other = add_endpoint(db, owner, receiver, "untouched")

    refused = call(db, "webhook_endpoint_test", {"endpoint_id": endpoint["id"]}, stranger)
    assert refused.status == 404 and refused.body["details"] == "endpoint_id"
    sent = call(db, "webhook_endpoint_test", {"endpoint_id": endpoint["id"]}, owner)
    assert sent.status == 200 and sent.body["event_type"] == "webhook.test"
    relay(db).run()

    [got] = receiver.of("tested")
    assert got.verified and got.webhook_id == sent.body["webhook_id"]
    assert got.body == {"type": "webhook.test", "timestamp": got.body["timestamp"] if got.body else None,
                        "data": {"endpoint_id": endpoint["id"], "test": True}}
    assert receiver.of("untouched") == [] and other["id"]
    off = call(db, "webhook_endpoint_update", {"endpoint_id": endpoint["id"], "enabled": False}, owner)
    assert off.status == 200
    disabled = call(db, "webhook_endpoint_test", {"endpoint_id": endpoint["id"]}, owner)
    assert disabled.status == 409 and disabled.body["details"] == "endpoint_id"


def test_a_running_relay_prunes_by_itself(db: TestDatabase, receiver: Receiver) -> None:
    import threading

    owner = db.owner()
    endpoint = add_endpoint(db, owner, receiver, "pruned", event_types=["interview.created"])
    create_interviews(db, owner, 2)
    relay(db).run()
    db.admin.execute("update interview_private.webhook_deliveries set delivered_at = now() - interval '31 days'")

    r = relay(db, once=False, poll_seconds=0.1)
    worker = threading.Thread(target=r.run, daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while deliveries(db, endpoint["id"]):
            assert time.monotonic() < deadline, "the relay did not prune"
            time.sleep(0.1)
    finally:
        r.request_stop()
        worker.join(timeout=10)
    assert r.stats.pruned == 2 and attempts(db, endpoint["id"]) == []


def test_event_types_are_declared_once_in_the_enum(db: TestDatabase) -> None:
    owner = db.owner()
    unknown = call(db, "webhook_endpoint_create", {"url": "https://hooks.example.test/a",
                                                   "event_types": ["interview.archived"]}, owner)
    assert unknown.status == 422 and unknown.body["details"] == "event_types[0]"
    assert unknown.body["hint"] == ", ".join(BOTH)

    db.admin.execute("alter type interview_private.webhook_event_type add value 'interview.archived'")

    known = call(db, "webhook_endpoint_create", {"url": "https://hooks.example.test/a",
                                                 "event_types": ["interview.archived"]}, owner)
    assert known.status == 200, known.body  # the validation and the table's check both read the enum
    every = call(db, "webhook_endpoint_create", {"url": "https://hooks.example.test/b"}, owner)
    assert every.body["event_types"] == [*BOTH, "interview.archived"]
    db.admin.execute("insert into interview_private.outbox_events (event_type, merchant_id, interview_def_set_id, "
                     "payload) values ('interview.archived', %s, gen_random_uuid(), '{}')", (owner.merchant_id,))
    with pytest.raises(psycopg.errors.CheckViolation):
        db.admin.execute("insert into interview_private.outbox_events (event_type, merchant_id, interview_def_set_id, "
                         "payload) values ('interview.deleted', %s, gen_random_uuid(), '{}')", (owner.merchant_id,))
