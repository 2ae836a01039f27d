"""The relay as a process, under faults: SIGTERM in the middle of a batch,
SIGKILL in the middle of a batch then a restart, two relays at once, and the
database restarted under a running relay. Each relay is `interview-db relay`
run as a subprocess against a real receiver on 127.0.0.1.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from interview_db.localdb import LocalPostgres
from interview_db.migrations import migrate
from interview_db.project import Project
from interview_db.seeds import seed

from .helpers import TestDatabase, wait_for
from .test_webhooks import add_endpoint, create_interviews
from .webhook_receiver import Receiver

pytestmark = pytest.mark.slow


def start_relay(url: str, log: Path, *options: str) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "interview_db", "relay", "--database-url", url, "--allow-private-targets",
            "--json", "--poll-interval", "0.2", "--backoff-base", "0.2", "--timeout", "3", *options]
    with log.open("ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def log_events(log: Path) -> list[dict[str, object]]:
    """The relay's JSON log lines (a line still being written is left out)."""
    events = []
    for line in log.read_text().splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=20)


def statuses(db: TestDatabase) -> dict[str, int]:
    rows = db.admin.execute(
        "select status, count(*) as n from interview_private.webhook_deliveries group by status").fetchall()
    return {r["status"]: r["n"] for r in rows}


def all_delivered(db: TestDatabase, total: int) -> bool:
    return statuses(db).get("delivered", 0) == total


def test_sigterm_finishes_the_post_in_flight_records_it_and_claims_nothing_more(
    db: TestDatabase, tmp_path: Path
) -> None:
    with Receiver(delay_seconds=0.4) as receiver:
        owner = db.owner()
        add_endpoint(db, owner, receiver, "slow")
        create_interviews(db, owner, 3)  # 6 events, one endpoint: one at a time
        log = tmp_path / "relay.log"
        relay = start_relay(db.url, log, "--batch-size", "6")
        try:
            wait_for(lambda: receiver.count() >= 1, "the relay posts its first message", timeout=30)
            relay.send_signal(signal.SIGTERM)
            assert relay.wait(timeout=20) == 0
        finally:
            stop(relay)

        rows = db.admin.execute(
            "select d.status, d.attempts, d.claimed_by, d.next_attempt_at <= clock_timestamp() as due, "
            "(select count(*) from interview_private.webhook_attempts as a where a.delivery_id = d.id) as recorded "
            "from interview_private.webhook_deliveries as d").fetchall()
        delivered = [r for r in rows if r["status"] == "delivered"]
        released = [r for r in rows if r["status"] == "pending"]
        assert len(delivered) == receiver.count() >= 1  # every POST made was recorded, none half-way
        assert all(r["attempts"] == r["recorded"] == 1 for r in delivered)
        assert released and all(r["attempts"] == r["recorded"] == 0 and r["due"] for r in released)
        assert all(r["claimed_by"] is None for r in rows)
        stopped = [e for e in log_events(log) if e["event"] == "stop"]
        assert len(stopped) == 1 and stopped[0]["delivered"] == len(delivered)


def test_a_relay_killed_mid_batch_then_restarted_delivers_every_event_with_stable_ids(
    db: TestDatabase, tmp_path: Path
) -> None:
    with Receiver(delay_seconds=0.3) as receiver:
        owner = db.owner()
        add_endpoint(db, owner, receiver, "target")
        create_interviews(db, owner, 4)  # 8 events
        log = tmp_path / "relay.log"
        killed = start_relay(db.url, log, "--batch-size", "4", "--lease-seconds", "1.5", "--timeout", "0.5",
                             "--concurrency", "2")
        try:
            wait_for(lambda: receiver.count() >= 2, "two messages are posted", timeout=30)
            killed.send_signal(signal.SIGKILL)  # the second POST is in flight: never recorded
            assert killed.wait(timeout=10) == -signal.SIGKILL
        finally:
            stop(killed)
        leased = db.admin.execute(
            "select count(*) as n from interview_private.webhook_deliveries "
            "where status = 'pending' and claimed_by is not null").fetchone()["n"]
        assert leased >= 1  # the dead relay's claim is still held, until its lease ends

        time.sleep(1.6)
        again = subprocess.run(
            [sys.executable, "-m", "interview_db", "relay", "--database-url", db.url, "--allow-private-targets",
             "--once", "--batch-size", "4"], capture_output=True, text=True, timeout=120, check=False)
        assert again.returncode == 0, again.stdout + again.stderr

        assert statuses(db) == {"delivered": 8}
        by_event: dict[object, set[str]] = defaultdict(set)
        for message in receiver.received:
            assert message.verified
            by_event[message.event_key].add(message.webhook_id)
        assert len(by_event) == 8  # every event at least once
        assert all(len(ids) == 1 for ids in by_event.values())  # a duplicate carries the same webhook-id
        assert receiver.count() > 8  # the POST cut by the kill was delivered again


def test_two_relays_at_once_deliver_each_event_once(db: TestDatabase, tmp_path: Path) -> None:
    with Receiver(delay_seconds=0.05) as receiver:
        owner = db.owner()
        paths = [f"shared{i}" for i in range(3)]
        for path in paths:
            add_endpoint(db, owner, receiver, path)
        logs = [tmp_path / f"relay{i}.log" for i in range(2)]
        # one attempt at a time each: with three endpoints, neither relay can take all the work
        relays = [start_relay(db.url, log, "--batch-size", "3", "--concurrency", "1") for log in logs]
        try:
            wait_for(lambda: all(log.exists() and log_events(log) for log in logs), "both relays have started",
                     timeout=60)
            create_interviews(db, owner, 10)  # 20 events x 3 endpoints, while both relays wait for them
            wait_for(lambda: all_delivered(db, 60), "all 60 deliveries are delivered", timeout=90)
        finally:
            codes = [stop(r) for r in relays]
        assert codes == [0, 0]

        for path in paths:
            ids = [m.webhook_id for m in receiver.of(path)]
            assert len(ids) == 20 and len(set(ids)) == 20
        assert all(m.verified for m in receiver.received)
        workers = db.admin.execute("select count(distinct relay) as n from interview_private.webhook_attempts"
                                   ).fetchone()["n"]
        assert workers == 2  # both relays took part
        overlapping = db.admin.execute(
            "select count(*) as n from interview_private.webhook_attempts as a "
            "join interview_private.webhook_deliveries as d on d.id = a.delivery_id "
            "join interview_private.webhook_attempts as b on b.id > a.id "
            "join interview_private.webhook_deliveries as e on e.id = b.delivery_id and e.endpoint_id = d.endpoint_id "
            "where a.started_at < b.started_at + b.latency_ms * interval '1 ms' "
            "and b.started_at < a.started_at + a.latency_ms * interval '1 ms'").fetchone()["n"]
        assert overlapping == 0  # never two attempts at once to one endpoint, whichever relays made them


# -- the database restarted under a running relay ------------------------------------


@pytest.fixture(scope="module")
def restartable(project: Project) -> Iterator[LocalPostgres]:
    """A cluster of its own (the session's is shared), deployed and seeded."""
    with LocalPostgres() as pg:
        migrate(pg.url(), project)
        with psycopg.connect(pg.url(), autocommit=True) as conn:
            seed(conn, project)
        yield pg


def test_the_relay_reconnects_after_a_database_restart_and_goes_on(
    restartable: LocalPostgres, tmp_path: Path
) -> None:
    with Receiver() as receiver:
        db = TestDatabase(restartable, "postgres")
        owner = db.owner()
        add_endpoint(db, owner, receiver, "steady", event_types=["interview.created"])
        create_interviews(db, owner, 2)
        log = tmp_path / "relay.log"
        relay = start_relay(restartable.url(), log)
        try:
            wait_for(lambda: all_delivered(db, 2), "the first two events are delivered", timeout=30)
            db.close()
            restartable.stop()
            time.sleep(0.5)
            restartable.start()
            after = TestDatabase(restartable, "postgres")
            try:
                create_interviews(after, owner, 2)
                wait_for(lambda: all_delivered(after, 4), "the events made after the restart are delivered",
                         timeout=60)
                assert relay.poll() is None  # the same process, still running
                assert receiver.count() == 4
            finally:
                after.close()
        finally:
            code = stop(relay)
        assert code == 0
        events = [e["event"] for e in log_events(log)]
        assert "reconnect" in events and events[-1] == "stop"
        assert len({m.webhook_id for m in receiver.received}) == 4


# -- fair and parallel delivery, with the relay's default settings -------------------------


def start_default_relay(url: str, log: Path) -> subprocess.Popen[bytes]:
    """A relay with its default settings but for private targets (the receivers are on 127.0.0.1)."""
    args = [sys.executable, "-m", "interview_db", "relay", "--database-url", url, "--allow-private-targets", "--json"]
    with log.open("ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def test_a_merchant_with_tarpit_endpoints_at_the_cap_delays_only_itself(db: TestDatabase, tmp_path: Path) -> None:
    with Receiver(hang_seconds=60) as tarpit, Receiver() as honest:
        noisy = db.owner()
        cap = db.admin.execute("select max_endpoints_per_merchant as n from interview_private.webhook_settings"
                               ).fetchone()["n"]
        for i in range(cap):
            add_endpoint(db, noisy, tarpit, f"tarpit{i}", default="timeout")
        create_interviews(db, noisy, 5)  # 10 events x the cap of endpoints, each attempt held to the timeout
        quiet = db.owner()
        add_endpoint(db, quiet, honest, "honest", event_types=["interview.created"])
        relay = start_default_relay(db.url, tmp_path / "relay.log")
        try:
            wait_for(lambda: tarpit.count() >= 4, "the relay is busy with the tarpit", timeout=30)
            sent = time.monotonic()
            create_interviews(db, quiet, 1)
            wait_for(lambda: honest.count() >= 1, "the honest merchant's message arrives", timeout=15)
            took = time.monotonic() - sent
        finally:
            stop(relay)
        assert took < 15
        [got] = honest.received
        assert got.verified and got.event_type == "interview.created"


def test_forty_events_to_a_slow_receiver_arrive_within_ten_seconds_on_one_relay(
    db: TestDatabase, tmp_path: Path
) -> None:
    with Receiver(delay_seconds=0.5) as receiver:
        for i in range(20):  # 20 merchants with one endpoint each; 2 events each
            owner = db.owner()
            add_endpoint(db, owner, receiver, f"slow{i}")
            create_interviews(db, owner, 1)
        assert db.admin.execute("select count(*) as n from interview_private.webhook_deliveries").fetchone()["n"] == 40
        log = tmp_path / "relay.log"
        relay = start_default_relay(db.url, log)
        try:
            wait_for(lambda: log.exists() and any(e["event"] == "start" for e in log_events(log)),
                     "the relay starts", timeout=30)
            started = time.monotonic()
            wait_for(lambda: all_delivered(db, 40), "all 40 are delivered", timeout=30)
            took = time.monotonic() - started
        finally:
            stop(relay)
        assert took < 10, took
        assert receiver.count() == 40 and all(m.verified for m in receiver.received)
