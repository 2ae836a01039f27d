"""Where the relay may post: a webhook URL is chosen by a merchant but fetched by
the platform's own server, so every address its host resolves to is checked
before any connection is made (SSRF). Only globally routable unicast addresses
pass, unless the relay runs with ``--allow-private-targets`` (local development
and tests); ``https`` is required under the same condition.

The connection is then made to the address that was checked (not to the name
again, which a hostile DNS server could answer differently the second time).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Special-purpose IPv6 prefixes that tunnel or translate to IPv4: the embedded
# IPv4 address is what would be reached, so it is classified instead.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class TargetRefused(Exception):
    """The relay will not connect to this URL; the message is the reason recorded."""


@dataclass(frozen=True)
class Target:
    """A URL the relay may connect to, with the addresses checked for it."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]

    @property
    def origin(self) -> str:
        """scheme://host:port, for logs (the path and query may hold a merchant's token)."""
        return f"{self.scheme}://{self.host}:{self.port}"


def non_public_reason(address: str | IPAddress) -> str | None:
    """Why an address is not a public unicast address, or None when it is."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            reason = non_public_reason(embedded)
            return f"{reason} (embedded in {ip})" if reason else None
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "site-local"),
        (not ip.is_global, "not globally routable"),
    )
    for matched, reason in checks:
        if matched:
            return f"{ip} is {reason}"
    return None


Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (a literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        if address not in seen:
            seen.append(address)
    return seen


def check_target(url: str, allow_private: bool, resolver: Resolver | None = None) -> Target:
    """The URL as a Target whose every address may be connected to, or TargetRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"invalid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused(f"scheme {scheme or '(none)'} is not http(s)")
    if scheme == "http" and not allow_private:
        raise TargetRefused("http is refused: webhook URLs must use https (or start the relay with --allow-private-targets)")
    host = parts.hostname
    if not host:
        raise TargetRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the URL carries user info")
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = (resolver or resolve)(host, port)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"cannot resolve {host}: {exc}") from exc
    if not addresses:
        raise TargetRefused(f"{host} resolves to no address")
    if not allow_private:
        for address in addresses:
            reason = non_public_reason(address)
            if reason:
                raise TargetRefused(f"{host} resolves to {reason}: refused (start the relay with "
                                    "--allow-private-targets to allow it)")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port, path, tuple(addresses))
