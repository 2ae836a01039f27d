"""interview-db relay: deliver the outbox's events to merchant webhook endpoints.

One relay process holds one database connection. It claims due deliveries in
small batches (interview_private.claim_webhook_deliveries: FOR UPDATE SKIP
LOCKED, so several relays share the work, and a lease, so a relay that dies
leaves its deliveries due again), posts each as a Standard Webhooks message
signed with the ``standardwebhooks`` package, and records every attempt in its
own transaction (interview_private.record_webhook_attempt): a 2xx makes the
delivery delivered, anything else due again after an exponential backoff with
jitter, until the attempt limit makes it dead.

At least once: a delivery leaves "due" only through a recorded 2xx; a relay
killed after a POST and before its record posts it again after the lease, with
the same ``webhook-id`` (msg_<delivery id>), so receivers can deduplicate.

Stopping (SIGTERM, SIGINT): the POST in flight finishes and is recorded, the
rest of the batch is released (due again at once), then the relay exits.
A lost database connection is retried with backoff; ``--once`` fails instead.
Secrets and signatures are never logged; URLs are logged as scheme://host:port.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from standardwebhooks.webhooks import Webhook

from . import __version__
from .webhook_targets import Resolver, Target, TargetRefused, check_target

CHANNEL = "interview_webhooks"
DB_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError)


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
    batch_size: int = 10
    lease_seconds: float = 60.0
    timeout_seconds: float = 10.0
    poll_seconds: float = 1.0
    max_response_bytes: int = 4096
    allow_private_targets: bool = False
    once: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    reconnect_max_seconds: float = 5.0


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
    endpoint_previous_secret: bytes | None = field(default=None, repr=False)


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
class BatchReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    refused: int = 0
    unchanged: int = 0
    released: int = 0
    seconds: float = 0.0


@dataclass
class RelayStats:
    batches: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    refused: int = 0
    released: int = 0
    reconnects: int = 0

    def add(self, report: BatchReport) -> None:
        self.batches += 1
        self.delivered += report.delivered
        self.retrying += report.retrying
        self.dead += report.dead
        self.refused += report.refused
        self.released += report.released


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

    def batch(self, relay_id: str, report: BatchReport) -> None:
        text = (f"batch of {report.claimed}: {report.delivered} delivered, {report.retrying} retrying, "
                f"{report.dead} dead ({report.refused} refused), {report.released} released, in {report.seconds:.3f} s")
        self.emit("batch", text, relay=relay_id, **asdict(report))

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
    keys = [item.endpoint_secret] + ([item.endpoint_previous_secret] if item.endpoint_previous_secret else [])
    # One signature per valid secret, space-separated: the previous one for 24 hours after a rotation.
    signature = " ".join(Webhook(key).sign(item.webhook_id, now, body) for key in keys)
    headers = {
        "content-type": "application/json",
        "user-agent": f"interview-db-relay/{__version__}",
        "webhook-id": item.webhook_id,
        "webhook-timestamp": str(math.floor(now.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode(), headers


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to the name again."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.addresses[0]

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.addresses[0]

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float, max_bytes: int) -> tuple[int, bytes]:
    """POST once; no redirect is followed (http.client follows none); at most
    ``max_bytes`` of the response body are read. ``timeout`` bounds the whole
    exchange, not only each read: a receiver that trickles its answer a byte at a
    time has its connection shut down when the time is up (TimeoutError)."""
    conn: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target, timeout) if target.scheme == "https" else _PinnedHTTPConnection(target, timeout)
    )
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read(max_bytes)
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise TimeoutError(f"no complete answer within {timeout:g} s") from exc
        raise
    finally:
        timer.cancel()
        conn.close()
    if expired.is_set():  # a read cut short by the shutdown returns what it had
        raise TimeoutError(f"no complete answer within {timeout:g} s")
    return response.status, data


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

    def _claim(self, conn: psycopg.Connection[dict[str, Any]]) -> list[Claimed]:
        rows = conn.execute(
            "select * from interview_private.claim_webhook_deliveries(%s, %s, %s)",
            (self.relay_id, self.options.batch_size, timedelta(seconds=self.options.lease_seconds)),
        ).fetchall()
        return [
            Claimed(str(r["delivery_id"]), r["webhook_id"], r["attempt"], str(r["endpoint_id"]), r["endpoint_url"],
                    bytes(r["endpoint_secret"]), r["event_id"], r["event_type"], r["event_payload"],
                    r["event_created_at"],
                    bytes(r["endpoint_previous_secret"]) if r["endpoint_previous_secret"] is not None else None)
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

    def _release(self, conn: psycopg.Connection[dict[str, Any]], items: list[Claimed]) -> int:
        row = conn.execute(
            "select interview_private.release_webhook_deliveries(%s, %s::uuid[]) as n",
            (self.relay_id, [i.delivery_id for i in items]),
        ).fetchone()
        return int(row["n"]) if row else 0

    # -- one delivery
    def attempt(self, item: Claimed) -> tuple[AttemptResult, str]:
        """Post one delivery; returns the result and the origin (for logs)."""
        started = datetime.now(UTC)
        clock = time.perf_counter()
        try:
            target = check_target(item.endpoint_url, self.options.allow_private_targets, self.resolver)
        except TargetRefused as exc:
            return AttemptResult(started, 0, None, True, str(exc)), "(refused)"
        body, headers = message(item)
        status: int | None = None
        error: str | None = None
        data = b""
        try:
            status, data = post(target, body, headers, self.options.timeout_seconds, self.options.max_response_bytes)
        except TimeoutError:
            error = f"timed out after {self.options.timeout_seconds:g} s"
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        latency = round((time.perf_counter() - clock) * 1000)
        if status is not None and not 200 <= status < 300:
            error = f"HTTP {status}" + (": redirect not followed" if 300 <= status < 400 else "")
            if data and not 300 <= status < 400:
                error += f": {_excerpt(data)}"
        return AttemptResult(started, latency, status, False, error), target.origin

    def process(self, conn: psycopg.Connection[dict[str, Any]], batch: list[Claimed],
                claimed_at: float | None = None) -> BatchReport:
        """Attempt each claimed delivery in turn. Stops early, releasing the rest,
        when asked to stop, or when an attempt might outlast the lease (another
        relay could claim the same delivery then): the first is always attempted."""
        report = BatchReport(claimed=len(batch))
        clock = time.perf_counter()
        claimed_at = time.monotonic() if claimed_at is None else claimed_at
        for index, item in enumerate(batch):
            elapsed = time.monotonic() - claimed_at
            near_lease_end = index > 0 and elapsed + self.options.timeout_seconds + 1 > self.options.lease_seconds
            if self.stopping or near_lease_end:
                report.released = self._release(conn, batch[index:])
                break
            result, origin = self.attempt(item)
            state = self._record(conn, item, result)
            if result.refused:
                report.refused += 1
            if state in ("delivered", "retrying", "dead", "unchanged"):
                setattr(report, state, getattr(report, state) + 1)
            if not result.ok or state != "delivered":
                self.log.attempt(item, origin, result, state)
        report.seconds = time.perf_counter() - clock
        return report

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

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def run(self) -> RelayStats:
        """Deliver until stopped (or, with ``once``, until nothing is due)."""
        options = self.options
        mode = "once" if options.once else "continuous"
        targets = "private targets ALLOWED (development only)" if options.allow_private_targets else "public https only"
        self.log.emit("start", f"relay {self.relay_id} started ({mode}): batches of {options.batch_size}, "
                      f"lease {options.lease_seconds:g} s, {targets}", relay=self.relay_id, once=options.once,
                      batch_size=options.batch_size, lease_seconds=options.lease_seconds,
                      allow_private_targets=options.allow_private_targets)
        conn: psycopg.Connection[dict[str, Any]] | None = None
        backoff = 0.1
        try:
            while not self.stopping:
                try:
                    if conn is None:
                        conn = self._connect()
                        backoff = 0.1
                    claimed_at = time.monotonic()
                    batch = self._claim(conn)
                    if batch:
                        report = self.process(conn, batch, claimed_at)
                        self.stats.add(report)
                        self.log.batch(self.relay_id, report)
                        continue
                    if options.once:
                        break
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
                    if conn is not None:
                        conn.close()
                        conn = None
                    self.stats.reconnects += 1
                    self.log.emit("reconnect", f"database unavailable ({reason}); reconnecting in {backoff:.1f} s",
                                  relay=self.relay_id, reason=reason, wait_seconds=backoff)
                    self._sleep(backoff)
                    backoff = min(options.reconnect_max_seconds, backoff * 2)
        finally:
            if conn is not None:
                conn.close()
        self.log.emit("stop", f"relay {self.relay_id} stopped: {self.stats.delivered} delivered, "
                      f"{self.stats.retrying} retrying, {self.stats.dead} dead in {self.stats.batches} batches",
                      relay=self.relay_id, **asdict(self.stats))
        return self.stats


def stop_on_signals(relay: Relay) -> None:
    """SIGTERM and SIGINT ask the relay to stop after the attempt in flight."""

    def handler(signum: int, frame: object) -> None:
        relay.request_stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
