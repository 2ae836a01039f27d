"""Connections: database URLs and keyword DSNs parsed, checked, described and
masked, so that no password ever reaches a message.

Every command connects through ``connect``; every message that names a
database uses ``describe_url`` (host:port/dbname, no credentials) or
``mask_url`` (the whole string with the password replaced by ``***``), and
every message that quotes the server or libpq goes through ``redact``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import psycopg
from psycopg.conninfo import conninfo_to_dict

MASK = "***"
URL_SCHEMES = ("postgresql", "postgres")
EXAMPLE_URL = "postgresql://user:password@host:5432/dbname"

# A deploy whose process dies (kill -9, a cancelled CI job) must not leave its
# statement running on the server with the locks of a half-done migration until
# that statement ends by itself: every connection asks the server to check each
# second whether its client is still there, and to cancel and roll back when not
# (client_connection_check_interval, PostgreSQL 14+ on Linux, macOS and the BSDs).
CLIENT_CHECK_INTERVAL = "1s"
_CLIENT_CHECK_SQL = (
    "select pg_catalog.set_config('client_connection_check_interval', %s, false) "
    "where pg_catalog.current_setting('server_version_num')::integer >= 140000"
)

_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&]*)", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"?')


class DeployError(RuntimeError):
    """A problem the user can act on; its message (one line, no password) says how."""


class InvalidDatabaseUrl(DeployError):
    """The database URL or DSN cannot be used as given."""


class DatabaseUnreachable(DeployError):
    """The server refused or never answered."""


def _scheme(url: str) -> str | None:
    match = re.match(r"^\s*([A-Za-z][A-Za-z0-9+.\-]*)://", url)
    return match.group(1) if match else None


def mask_url(url: str) -> str:
    """The URL or DSN with its password replaced by ``***`` (works on malformed ones too)."""
    masked = url
    if _scheme(url) is not None:
        scheme, rest = url.split("://", 1)
        # userinfo ends at the last '@' before the path (an unencoded '@' may be in the password)
        authority_end = len(rest)
        for sep in "/?#":
            index = rest.find(sep, rest.rfind("@") + 1 if "@" in rest else 0)
            if index >= 0:
                authority_end = min(authority_end, index)
        authority, tail = rest[:authority_end], rest[authority_end:]
        if "@" in authority:
            userinfo, host = authority.rsplit("@", 1)
            user = userinfo.split(":", 1)[0]
            authority = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{user}@{host}"
        masked = f"{scheme}://{authority}{tail}"
    return _KEYWORD_PASSWORD.sub(lambda m: m.group(1) + MASK, masked)


def _passwords(url: str) -> list[str]:
    """The password of ``url`` as written and as libpq reads it (decoded), longest first."""
    found: set[str] = set()
    if _scheme(url) is not None:
        rest = url.split("://", 1)[1]
        if "@" in rest:
            userinfo = rest.rsplit("@", 1)[0]
            if ":" in userinfo:
                found.add(userinfo.split(":", 1)[1])
    for match in _KEYWORD_PASSWORD.finditer(url):
        found.add(match.group(2).strip("'"))
    try:
        password = conninfo_to_dict(url).get("password")
    except (psycopg.Error, ValueError, TypeError):
        password = None
    if password:
        found.add(str(password))
    found |= {unquote(s) for s in found}
    return sorted((s for s in found if s), key=len, reverse=True)


# The password part of any connection URL in a text: user:PASSWORD@ (up to the last '@' of the URL).
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@?#]*:)[^\s]*@")


def redact(text: str, url: str) -> str:
    """``text`` with the password of ``url`` masked, found by the connection string's parts, never by
    searching for its text (a password ``server`` leaves "connection to server" alone): the connection
    string itself wherever it is quoted, the password of any URL, any ``password=`` pair, and the
    password where libpq quotes it whole as a value (``"..."`` or ``'...'``)."""
    if url and url.strip():
        text = text.replace(url, mask_url(url))
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", text)
    text = _KEYWORD_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
    for secret in _passwords(url):
        for quote in ('"', "'"):
            text = text.replace(f"{quote}{secret}{quote}", f"{quote}{MASK}{quote}")
    return text


def conninfo(url: str) -> dict[str, str]:
    """The connection parameters of a URL or keyword DSN, checked; one clear line when unusable."""
    if not url or not url.strip():
        raise InvalidDatabaseUrl(f"no database URL given: pass --database-url {EXAMPLE_URL} (or set DATABASE_URL)")
    scheme = _scheme(url)
    if scheme is not None and scheme.lower() not in URL_SCHEMES:
        raise InvalidDatabaseUrl(
            f"database URL scheme {scheme!r} is not supported ({mask_url(url)}): use {EXAMPLE_URL}"
        )
    if scheme is not None and re.split(r"[?#]", url.split("://", 1)[1], maxsplit=1)[0].count("@") > 1:
        raise InvalidDatabaseUrl(
            f"invalid database URL {mask_url(url)}: an '@' in the user name or password must be percent-encoded as "
            "%40 (and '/' as %2F, ':' as %3A, '%' as %25)"
        )
    if scheme is None and "=" not in url:
        raise InvalidDatabaseUrl(f"not a database URL or keyword DSN: {mask_url(url)}; use {EXAMPLE_URL}")
    try:
        params = {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    except psycopg.Error as exc:
        # libpq quotes the offending part of the string, which may be the password
        reason = _QUOTED.sub("(part hidden)", str(exc).strip().splitlines()[0] if str(exc).strip() else "").strip(" :")
        hint = (" (a '%', space or '@' in the password must be percent-encoded: %25, %20, %40)"
                if "percent" in reason or "space" in reason else "")
        raise InvalidDatabaseUrl(f"invalid database URL {mask_url(url)}: {redact(reason, url)}{hint}") from None
    for port in filter(None, params.get("port", "").split(",")):
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidDatabaseUrl(
                f"invalid port {redact(port, url)!r} in database URL {mask_url(url)}: a port is a number from 1 to 65535"
            )
    return params


def describe_url(url: str) -> str:
    """host:port/dbname of a URL or DSN, without credentials, for messages (never raises)."""
    try:
        params = conninfo(url)
    except DeployError:
        return mask_url(url)
    hosts = (params.get("host") or params.get("hostaddr") or "localhost").split(",")
    ports = params.get("port", "").split(",")
    if len(ports) == 1:
        ports = ports * len(hosts)
    where = ",".join(f"{h}:{p}" if p else h for h, p in zip(hosts, ports + [""] * len(hosts), strict=False))
    return redact(f"{where}/{params.get('dbname', '')}", url)


def _reason(exc: BaseException, url: str) -> str:
    """The first line of a libpq or server message, redacted, without libpq's prefix."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    reason = lines[0] if lines else type(exc).__name__
    reason = re.sub(r"^connection failed:\s*", "", reason)
    return redact(reason, url)


def connect(url: str, *, autocommit: bool = True, connect_timeout: int = 10) -> psycopg.Connection:
    """A connection (autocommit by default) that the server ends with our process;
    a clear error, without the password, when the URL is bad or the database out of reach."""
    conninfo(url)  # one clear line for a malformed URL, before libpq sees it
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout)
    except psycopg.Error as exc:
        raise DatabaseUnreachable(f"cannot connect to {describe_url(url)}: {_reason(exc, url)}") from None
    except (ValueError, OSError) as exc:
        raise DatabaseUnreachable(f"cannot connect to {describe_url(url)}: {_reason(exc, url)}") from None
    end_with_client(conn)
    conn.autocommit = autocommit
    return conn


def end_with_client(conn: psycopg.Connection) -> None:
    """Have the server cancel this session's statement when our process is gone.

    ``conn`` must be in autocommit mode (the setting then lasts for the session).
    A server that cannot watch its clients (an older major, another platform)
    keeps its default: nothing else depends on it.
    """
    try:
        conn.execute(_CLIENT_CHECK_SQL, (CLIENT_CHECK_INTERVAL,))
    except psycopg.Error:
        pass


def database_error(exc: psycopg.Error, url: str, doing: str) -> DeployError:
    """A server error while ``doing`` something, as one line (permission problems say whom to connect as)."""
    diag = exc.diag
    lines = str(exc).strip().splitlines()
    message = diag.message_primary or (lines[0] if lines else type(exc).__name__)
    hint = ""
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        hint = " (connect as the role that owns the package's schemas, e.g. postgres)"
    code = f" [{exc.sqlstate}]" if exc.sqlstate else ""
    return DeployError(redact(f"{doing} failed on {describe_url(url)}{code}: {message}{hint}", url))
