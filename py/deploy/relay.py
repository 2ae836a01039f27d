"""interview-db relay: deliver the outbox's events to merchant webhook endpoints.

One relay process holds one database connection and a pool of ``concurrency``
posting threads. Whenever a thread is free it claims due deliveries
(interview_private.claim_webhook_deliveries: fair across merchants and
endpoints, at most one attempt in flight per endpoint and ``merchant_limit``
per merchant, leased so that a relay that dies leaves them due again), posts
each as a Standard Webhooks message signed with the ``standardwebhooks``
package, and records every attempt in its own transaction
(interview_private.record_webhook_attempt): a 2xx makes the delivery delivered,
anything else due again after an exponential backoff with jitter, until the
attempt limit makes it dead.

Each attempt has one deadline (``timeout_seconds``) for DNS, connect, TLS, the
request and the whole answer (webhook_http.py), and the lease must exceed it by
LEASE_MARGIN_SECONDS, so no healthy relay posts a message another still holds.

At least once: a delivery leaves "due" only through a recorded 2xx; a relay
killed after a POST and before its record posts it again after the lease, with
the same ``webhook-id`` (msg_<delivery id>), so receivers can deduplicate.

Stopping (SIGTERM, SIGINT): nothing more is claimed, the POSTs in flight finish
(within the timeout) and are recorded, then the relay exits. A lost database
connection is retried with backoff; ``--once`` fails instead. Once an hour the
relay prunes what its retention allows (interview_private.prune_webhooks).
Secrets and signatures are never logged; URLs are logged as scheme://host:port.
"""

from __future__ import annotations

import json
import math
import os
import random
import secrets
import select
import signal
import socket
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from standardwebhooks.webhooks import Webhook

from . import __version__
from .webhook_http import Deadline, post
from .webhook_targets import Resolver, TargetRefused, check_target

CHANNEL = "interview_webhooks"
DB_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError)
LEASE_MARGIN_SECONDS = 1.0  # recording an attempt after its deadline must fit in the lease too
PRUNE_EVERY_SECONDS = 3600.0


class RelayError(Exception):
    """The relay cannot go on (``--once`` without a database); one clear line."""


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter: attempt n failed -> wait between half and
    all of min(max_seconds, base_seconds * 2**(n-1)) ("equal jitter": delays
    spread out, yet never shrink from one attempt to the next); dead after
    max_attempts attempts."""

    base_seconds: float = 10.0
    max_seconds: float = 6 * 3600.0
    max_attempts: int = 12

    def delay(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.max_seconds, self.base_seconds * 2.0 ** max(0, attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass
class RelayOptions:
    """How a relay works. ``lease_seconds`` must be at least ``timeout_seconds`` +
    LEASE_MARGIN_SECONDS (ValueError otherwise): a lease that can end while its
    attempt is still running lets a second relay post the same message."""

    batch_size: int = 10
    lease_seconds: float = 60.0
    timeout_seconds: float = 10.0
    poll_seconds: float = 1.0
    max_response_bytes: int = 4096
    allow_private_targets: bool = False
    once: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    reconnect_max_seconds: float = 5.0
    concurrency: int = 16
    merchant_limit: int = 8
    prune_seconds: float = PRUNE_EVERY_SECONDS

    def __post_init__(self) -> None:
        problem = lease_problem(self.lease_seconds, self.timeout_seconds)
        if problem:
            raise ValueError(problem)
        if self.concurrency < 1 or self.merchant_limit < 1:
            raise ValueError("concurrency and merchant_limit must be at least 1")


def lease_problem(lease_seconds: float, timeout_seconds: float) -> str | None:
    """Why a lease is too short for the timeout, or None when it is long enough."""
    if lease_seconds < timeout_seconds + LEASE_MARGIN_SECONDS:
        return (f"the lease ({lease_seconds:g} s) must be at least the timeout ({timeout_seconds:g} s) plus "
                f"{LEASE_MARGIN_SECONDS:g} s: an attempt could outlast its lease and another relay post the same "
                "message again")
    return None


@dataclass(frozen=True)
class Claimed:
    """One claimed delivery: what to post, where, and with which secret."""

    delivery_id: str
    webhook_id: str
    attempt: int
    endpoint_id: str
    endpoint_url: str
    endpoint_secret: bytes = field(repr=False)
    event_id: int
    event_type: str
    event_payload: dict[str, Any]
    event_created_at: datetime
    endpoint_previous_secrets: tuple[bytes, ...] = field(default=(), repr=False)
    merchant_id: str = ""


@dataclass(frozen=True)
class AttemptResult:
    started_at: datetime
    latency_ms: int
    status_code: int | None
    refused: bool
    error: str | None

    @property
    def ok(self) -> bool:
        return not self.refused and self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class RelayStats:
    claims: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    refused: int = 0
    unchanged: int = 0
    reconnects: int = 0
    pruned: int = 0

    def count(self, state: str, result: AttemptResult) -> None:
        if result.refused:
            self.refused += 1
        if state in ("delivered", "retrying", "dead", "unchanged"):
            setattr(self, state, getattr(self, state) + 1)


class RelayLog:
    """Progress lines (one per batch, one per failed attempt), as text or JSON lines."""

    def __init__(self, as_json: bool = False, stream: TextIO | None = None) -> None:
        self.as_json = as_json
        self.stream = stream if stream is not None else sys.stdout

    def emit(self, event: str, text: str, **fields: Any) -> None:
        now = datetime.now(UTC)
        if self.as_json:
            line = json.dumps({"time": now.isoformat(timespec="milliseconds"), "event": event, **fields}, default=str)
        else:
            line = f"{now:%Y-%m-%dT%H:%M:%S}Z {text}"
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed stdout must not stop deliveries

    def claimed(self, relay_id: str, claimed: int, in_flight: int) -> None:
        self.emit("claim", f"claimed {claimed}, {in_flight} in flight", relay=relay_id, claimed=claimed,
                  in_flight=in_flight)

    def attempt(self, item: Claimed, origin: str, result: AttemptResult, state: str) -> None:
        status = result.status_code if result.status_code is not None else "-"
        text = (f"{item.webhook_id} attempt {item.attempt} to endpoint {item.endpoint_id} ({origin}): "
                f"{state}, status {status}, {result.latency_ms} ms" + (f": {result.error}" if result.error else ""))
        self.emit("attempt", text, webhook_id=item.webhook_id, delivery_id=item.delivery_id,
                  endpoint_id=item.endpoint_id, target=origin, event_type=item.event_type, attempt=item.attempt,
                  state=state, status_code=result.status_code, latency_ms=result.latency_ms, error=result.error)


# -- the message and the POST ------------------------------------------------------


def message(item: Claimed, now: datetime | None = None) -> tuple[bytes, dict[str, str]]:
    """The Standard Webhooks message of a delivery: JSON body and headers, signed."""
    now = now or datetime.now(UTC)
    body = json.dumps(
        {"type": item.event_type, "timestamp": item.event_created_at.astimezone(UTC).isoformat(),
         "data": item.event_payload},
        separators=(",", ":"), sort_keys=True,
    )
    keys = [item.endpoint_secret, *item.endpoint_previous_secrets]
    # One signature per valid secret, space-separated: each previous one for 24 hours after its rotation.
    signature = " ".join(Webhook(key).sign(item.webhook_id, now, body) for key in keys)
    headers = {
        "content-type": "application/json",
        "user-agent": f"interview-db-relay/{__version__}",
        "webhook-id": item.webhook_id,
        "webhook-timestamp": str(math.floor(now.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode(), headers


def _excerpt(data: bytes) -> str:
    text = data[:200].decode("utf-8", "replace")
    return " ".join(text.split())


# -- the relay -----------------------------------------------------------------------


class Relay:
    def __init__(self, url: str, options: RelayOptions, log: RelayLog | None = None,
                 resolver: Resolver | None = None) -> None:
        self.url = url
        self.options = options
        self.log = log or RelayLog()
        self.resolver = resolver
        self.relay_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"
        self.stats = RelayStats()
        self._stop = threading.Event()
        self._rng = random.Random()
        self._pruned_at: float | None = None

    # -- control
    def request_stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- database
    def _connect(self) -> psycopg.Connection[dict[str, Any]]:
        conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10, row_factory=dict_row,
                               application_name="interview-db relay")
        conn.execute(sql.SQL("listen {}").format(sql.Identifier(CHANNEL)))
        return conn

    def _claim(self, conn: psycopg.Connection[dict[str, Any]], limit: int) -> list[Claimed]:
        rows = conn.execute(
            "select * from interview_private.claim_webhook_deliveries(%s, %s, %s, %s)",
            (self.relay_id, limit, timedelta(seconds=self.options.lease_seconds), self.options.merchant_limit),
        ).fetchall()
        return [
            Claimed(str(r["delivery_id"]), r["webhook_id"], r["attempt"], str(r["endpoint_id"]), r["endpoint_url"],
                    bytes(r["endpoint_secret"]), r["event_id"], r["event_type"], r["event_payload"],
                    r["event_created_at"], tuple(bytes(k) for k in r["endpoint_previous_secrets"] or ()),
                    str(r["merchant_id"]))
            for r in rows
        ]

    def _record(self, conn: psycopg.Connection[dict[str, Any]], item: Claimed, result: AttemptResult) -> str:
        delay = timedelta(seconds=self.options.retry.delay(item.attempt, self._rng))
        row = conn.execute(
            "select interview_private.record_webhook_attempt(%s, %s, %s, %s, %s, %s, %s, %s, %s) as state",
            (item.delivery_id, self.relay_id, result.started_at, result.latency_ms, result.status_code,
             result.refused, result.error, self.options.retry.max_attempts, delay),
        ).fetchone()
        return str(row["state"]) if row else "unchanged"

    def prune(self, conn: psycopg.Connection[dict[str, Any]]) -> int:
        """Delete what retention allows (interview_private.prune_webhooks), in short transactions."""
        total = 0
        while True:
            row = conn.execute("select * from interview_private.prune_webhooks()").fetchone()
            done = (row["deliveries"] + row["events"]) if row else 0
            total += done
            if done < 10000:
                break
        self.stats.pruned += total
        self._pruned_at = time.monotonic()
        if total:
            self.log.emit("prune", f"pruned {total} delivered deliveries and published events",
                          relay=self.relay_id, pruned=total)
        return total

    def _prune_due(self) -> bool:
        every = self.options.prune_seconds
        return every > 0 and (self._pruned_at is None or time.monotonic() - self._pruned_at >= every)

    # -- one delivery
    def attempt(self, item: Claimed) -> tuple[AttemptResult, str]:
        """Post one delivery under one deadline; returns the result and the origin (for logs)."""
        started = datetime.now(UTC)
        clock = time.perf_counter()
        deadline = Deadline(self.options.timeout_seconds)
        origin = "(unresolved)"
        status: int | None = None
        error: str | None = None
        data = b""
        try:
            target = deadline.run(
                lambda: check_target(item.endpoint_url, self.options.allow_private_targets, self.resolver))
            origin = target.origin
            body, headers = message(item)
            status, data = post(target, body, headers, deadline, self.options.max_response_bytes)
        except TargetRefused as exc:
            return AttemptResult(started, round((time.perf_counter() - clock) * 1000), None, True, str(exc)), "(refused)"
        except TimeoutError:
            error = f"timed out after {self.options.timeout_seconds:g} s"
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        latency = round((time.perf_counter() - clock) * 1000)
        if status is not None and not 200 <= status < 300:
            error = f"HTTP {status}" + (": redirect not followed" if 300 <= status < 400 else "")
            if data and not 300 <= status < 400:
                error += f": {_excerpt(data)}"
        return AttemptResult(started, latency, status, False, error), origin

    def _finish(self, conn: psycopg.Connection[dict[str, Any]], item: Claimed,
                outcome: tuple[AttemptResult, str]) -> None:
        result, origin = outcome
        state = self._record(conn, item, result)
        self.stats.count(state, result)
        if not result.ok or state != "delivered":
            self.log.attempt(item, origin, result, state)

    # -- the loop
    def _wait(self, conn: psycopg.Connection[dict[str, Any]]) -> None:
        """Until a notification (psycopg keeps those that came during other
        queries for notifies()), the poll interval, or a stop request."""
        deadline = time.monotonic() + self.options.poll_seconds
        while not self.stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if list(conn.notifies(timeout=min(0.2, remaining), stop_after=1)):
                return

    def _wait_busy(self, conn: psycopg.Connection[dict[str, Any]],
                   in_flight: list[Future[tuple[AttemptResult, str]]]) -> None:
        """With attempts in flight and room for more: until one of them ends, a
        notification (a new event may be claimed at once), or the poll interval.
        One select() on the connection's socket and a pipe the attempts' ends write to."""
        if list(conn.notifies(timeout=0, stop_after=1)):  # those that came during other queries
            return
        wake, waker = socket.socketpair()
        try:
            def ring(_: object) -> None:
                try:
                    waker.send(b"x")
                except OSError:
                    pass

            for future in in_flight:
                future.add_done_callback(ring)
            readable, _, _ = select.select([conn.fileno(), wake], [], [], self.options.poll_seconds)
            if conn.fileno() in readable:
                list(conn.notifies(timeout=0, stop_after=1))
        finally:
            waker.close()
            wake.close()

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def run(self) -> RelayStats:
        """Deliver until stopped (or, with ``once``, until nothing is due or in flight)."""
        options = self.options
        mode = "once" if options.once else "continuous"
        targets = "private targets ALLOWED (development only)" if options.allow_private_targets else "public https only"
        self.log.emit("start", f"relay {self.relay_id} started ({mode}): {options.concurrency} at once "
                      f"(at most {options.merchant_limit} per merchant, 1 per endpoint), timeout "
                      f"{options.timeout_seconds:g} s, lease {options.lease_seconds:g} s, {targets}",
                      relay=self.relay_id, once=options.once, concurrency=options.concurrency,
                      merchant_limit=options.merchant_limit, timeout_seconds=options.timeout_seconds,
                      lease_seconds=options.lease_seconds, allow_private_targets=options.allow_private_targets)
        conn: psycopg.Connection[dict[str, Any]] | None = None
        backoff = 0.1
        in_flight: dict[Future[tuple[AttemptResult, str]], Claimed] = {}
        pool = ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="webhook-post")
        try:
            while not self.stopping or in_flight:
                try:
                    if conn is None:
                        conn = self._connect()
                        backoff = 0.1
                    for future in [f for f in in_flight if f.done()]:
                        self._finish(conn, in_flight[future], future.result())
                        del in_flight[future]
                    free = options.concurrency - len(in_flight)
                    claimed: list[Claimed] = []
                    if free > 0 and not self.stopping:
                        claimed = self._claim(conn, min(free, options.batch_size))
                        for item in claimed:
                            in_flight[pool.submit(self.attempt, item)] = item
                        if claimed:
                            self.stats.claims += 1
                            self.log.claimed(self.relay_id, len(claimed), len(in_flight))
                    if in_flight:
                        if len(in_flight) >= options.concurrency:
                            wait(list(in_flight), timeout=options.poll_seconds, return_when=FIRST_COMPLETED)
                        elif not claimed:
                            self._wait_busy(conn, list(in_flight))
                        continue
                    if self.stopping or options.once:
                        break
                    if self._prune_due():
                        self.prune(conn)
                    self._wait(conn)
                except (psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName,
                        psycopg.errors.InsufficientPrivilege) as exc:
                    raise RelayError(
                        f"this database has no webhook relay functions this role may run ({exc.diag.message_primary}): "
                        "deploy the package (interview-db migrate) and connect as its owner"
                    ) from exc
                except DB_ERRORS as exc:
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    if options.once:
                        raise RelayError(f"database error: {reason}") from exc
                    if self.stopping:  # what is left unrecorded is due again when its lease ends
                        self.log.emit("reconnect", f"database unavailable ({reason}) while stopping: "
                                      f"{len(in_flight)} attempts left unrecorded", relay=self.relay_id, reason=reason)
                        break
                    if conn is not None:
                        conn.close()
                        conn = None
                    self.stats.reconnects += 1
                    self.log.emit("reconnect", f"database unavailable ({reason}); reconnecting in {backoff:.1f} s",
                                  relay=self.relay_id, reason=reason, wait_seconds=backoff)
                    self._sleep(backoff)
                    backoff = min(options.reconnect_max_seconds, backoff * 2)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            if conn is not None:
                conn.close()
        self.log.emit("stop", f"relay {self.relay_id} stopped: {self.stats.delivered} delivered, "
                      f"{self.stats.retrying} retrying, {self.stats.dead} dead",
                      relay=self.relay_id, **asdict(self.stats))
        return self.stats


def stop_on_signals(relay: Relay) -> None:
    """SIGTERM and SIGINT ask the relay to stop after the attempt in flight."""

    def handler(signum: int, frame: object) -> None:
        relay.request_stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
