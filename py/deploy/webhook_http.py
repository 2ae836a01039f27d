"""One webhook POST under one deadline: DNS, connect, TLS, the request and the
whole answer (status line, headers, body up to a cap) must all be done by it.

The deadline is enforced on the raw socket: before every blocking call the
socket's timeout is set to the time that is left, and a read that returns a
little (a receiver trickling its answer a byte at a time) does not reset it.
Name resolution, which no socket timeout covers, runs in a helper thread that
is abandoned when the time is up. No redirect is followed.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from .webhook_targets import Target

T = TypeVar("T")
_HEADER_LIMIT = 64 * 1024


class Deadline:
    """A point in time (time.monotonic) that every step of one attempt must meet."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left; TimeoutError when none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no complete answer within {self.seconds:g} s")
        return left

    def run(self, work: Callable[[], T]) -> T:
        """``work()`` in a helper thread, given up (TimeoutError) when the time is up."""
        box: dict[str, object] = {}

        def target() -> None:
            try:
                box["value"] = work()
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                box["error"] = exc

        thread = threading.Thread(target=target, daemon=True, name="webhook-resolve")
        thread.start()
        thread.join(self.left())
        if thread.is_alive():
            raise TimeoutError(f"no complete answer within {self.seconds:g} s")
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box["value"]  # type: ignore[return-value]


def _request_bytes(target: Target, body: bytes, headers: dict[str, str]) -> bytes:
    host = target.host if ":" not in target.host else f"[{target.host}]"
    default_port = 443 if target.scheme == "https" else 80
    lines = [f"POST {target.path} HTTP/1.1", f"host: {host}" + ("" if target.port == default_port else f":{target.port}")]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"content-length: {len(body)}", "connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _connect(target: Target, deadline: Deadline) -> socket.socket:
    sock = socket.create_connection((target.addresses[0], target.port), timeout=deadline.left())
    if target.scheme != "https":
        return sock
    context = ssl.create_default_context()
    tls = context.wrap_socket(sock, server_hostname=target.host, do_handshake_on_connect=False)
    tls.settimeout(deadline.left())
    tls.do_handshake()
    return tls


class _Reader:
    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        self.sock = sock
        self.deadline = deadline
        self.buffer = b""
        self.eof = False

    def fill(self) -> None:
        self.sock.settimeout(self.deadline.left())
        chunk = self.sock.recv(4096)
        if not chunk:
            self.eof = True
        self.buffer += chunk
        self.deadline.left()  # a trickle that ends past the deadline is late too


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """The status code and the headers (lower-cased names) of an HTTP/1.x answer."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit() or len(parts[1]) != 3:
        raise ConnectionError(f"not an HTTP/1.x answer: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


def post(target: Target, body: bytes, headers: dict[str, str], deadline: Deadline, max_bytes: int) -> tuple[int, bytes]:
    """POST once and read the answer, all before ``deadline`` (else TimeoutError).
    Returns the status and at most ``max_bytes`` of the body; a body longer than
    that is not read further (the connection is closed instead)."""
    sock = _connect(target, deadline)
    try:
        sock.settimeout(deadline.left())
        sock.sendall(_request_bytes(target, body, headers))
        reader = _Reader(sock, deadline)
        while b"\r\n\r\n" not in reader.buffer:
            if reader.eof:
                raise ConnectionError("the connection closed before a complete answer")
            if len(reader.buffer) > _HEADER_LIMIT:
                raise ConnectionError("the answer's headers are too long")
            reader.fill()
        head, _, rest = reader.buffer.partition(b"\r\n\r\n")
        status, answer_headers = parse_head(head)
        reader.buffer = rest
        length = answer_headers.get("content-length")
        if status in (204, 304) or 100 <= status < 200:
            wanted = 0
        elif length is not None and length.isdigit():
            wanted = min(int(length), max_bytes)
        else:  # chunked or delimited by the close: read up to the cap (chunk sizes stay in the excerpt)
            wanted = max_bytes
        while len(reader.buffer) < wanted and not reader.eof:
            reader.fill()
        if length is not None and length.isdigit() and len(reader.buffer) < wanted:
            raise ConnectionError("the connection closed in the middle of the answer")
        return status, reader.buffer[:wanted]
    finally:
        try:
            sock.close()
        except OSError:
            pass
