"""A real HTTP receiver on 127.0.0.1 for the webhook tests.

Every request is verified with ``standardwebhooks`` against the secret of its
path; each path can be told how to answer, one plan entry per request: "ok"
(204), "500", "timeout" (answers only after ``hang_seconds``), "close" (closes
the connection without an answer), "redirect" (302 to another path), "drip"
(a 200 whose body comes a byte every 0.1 s) or "trickle" (a 200 with
``connection: close`` and no length, its body a byte every 0.25 s). A path
can also be given a default answer for every request (``default``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    path: str
    webhook_id: str
    webhook_timestamp: str
    signature: str
    verified: bool
    body: dict[str, Any] | None
    answer: str
    at: float
    raw: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def event_type(self) -> str | None:
        return self.body["type"] if self.body else None

    @property
    def event_key(self) -> tuple[str, str] | None:
        """(event type, interview set): one outbox event."""
        if not self.body:
            return None
        return self.body["type"], self.body["data"]["interview_def_set_id"]


class Receiver:
    def __init__(self, hang_seconds: float = 3.0, delay_seconds: float = 0.0) -> None:
        self.hang_seconds = hang_seconds
        self.delay_seconds = delay_seconds
        self.secrets: dict[str, str] = {}
        self.plans: dict[str, deque[str]] = defaultdict(deque)
        self.defaults: dict[str, str] = {}
        self.received: list[Received] = []
        self.connections = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                with receiver._lock:
                    receiver.connections += 1
                super().setup()

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                receiver._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def endpoint(self, path: str, secret: str, plan: list[str] | None = None, default: str | None = None) -> None:
        self.secrets[path] = secret
        self.plans[path].extend(plan or [])
        if default:
            self.defaults[path] = default

    def of(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.lstrip("/")
        raw = request.rfile.read(int(request.headers.get("content-length") or 0))
        headers = {k.lower(): v for k, v in request.headers.items()}
        verified, body = False, None
        secret = self.secrets.get(path)
        if secret is not None:
            try:
                body = Webhook(secret).verify(raw, headers)
                verified = True
            except WebhookVerificationError:
                body = json.loads(raw) if raw else None
        with self._lock:
            answer = self.plans[path].popleft() if self.plans[path] else self.defaults.get(path, "ok")
            self.received.append(Received(path, headers.get("webhook-id", ""), headers.get("webhook-timestamp", ""),
                                          headers.get("webhook-signature", ""), verified, body, answer,
                                          time.monotonic(), raw, tuple(headers.items())))
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        if answer == "close":
            request.close_connection = True
            request.connection.close()
            return
        if answer == "timeout":
            time.sleep(self.hang_seconds)
        if answer == "trickle":  # 200, no length, connection: close, then a byte every 0.25 s
            request.close_connection = True
            _dribble(request, ("connection", "close"), 400, 0.25)
            return
        if answer == "drip":  # a complete status line, then the body a byte at a time
            _dribble(request, ("content-length", "1000"), 1000, 0.1)
            return
        status = {"ok": 204, "500": 500, "timeout": 204, "redirect": 302}[answer] if verified or answer != "ok" else 401
        request.send_response(status)
        if answer == "redirect":
            request.send_header("location", "/elsewhere")
        payload = b"" if status == 204 else b"receiver says no " * 1000
        request.send_header("content-length", str(len(payload)))
        request.end_headers()
        if payload:
            request.wfile.write(payload)


def _dribble(request: BaseHTTPRequestHandler, header: tuple[str, str], count: int, interval: float) -> None:
    """A 200 with ``header``, then a body of ``count`` bytes, one every ``interval`` seconds."""
    request.send_response(200)
    request.send_header(*header)
    request.end_headers()
    for _ in range(count):
        try:
            request.wfile.write(b"x")
            request.wfile.flush()
        except OSError:
            return
        time.sleep(interval)
