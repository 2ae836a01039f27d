"""No password in any output, ever; a malformed connection string is one line.

Every command that connects is fed each malformed or password-bearing
connection string an operator has been seen to use, with a known password: the
password appears nowhere in stdout, stderr or --json, and the answer is one
line on stderr with exit 1 or 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from interview_db.cli import main
from interview_db.db import describe_url, mask_url, redact

from .helpers import TestDatabase

PASSWORD = "Pw-7q9zK-s3cr3t"
CLOSED = "127.0.0.1:1"  # nothing listens on port 1

MALFORMED = {
    "unencoded percent": f"postgresql://postgres:{PASSWORD}%zz@{CLOSED}/db",
    "unencoded space": f"postgresql://postgres:{PASSWORD} x@{CLOSED}/db",
    "unencoded at": f"postgresql://postgres:{PASSWORD}@x@{CLOSED}/db",
    "sqlalchemy scheme": f"postgresql+psycopg://postgres:{PASSWORD}@{CLOSED}/db",
    "mysql scheme": f"mysql://postgres:{PASSWORD}@{CLOSED}/db",
    "unclosed ipv6 with path": f"postgresql://postgres:{PASSWORD}@[::1/t1",
    "unclosed ipv6": f"postgresql://postgres:{PASSWORD}@[::1",
    "port not a number": f"postgresql://postgres:{PASSWORD}@127.0.0.1:abc/db",
    "port out of range": f"postgresql://postgres:{PASSWORD}@127.0.0.1:99999/db",
    "multi-host, all closed": f"postgresql://postgres:{PASSWORD}@127.0.0.1:1,127.0.0.1:2/db",
    "encoded space in dbname, closed": f"postgresql://postgres:{PASSWORD}@{CLOSED}/my%20db",
    "closed port": f"postgresql://postgres:{PASSWORD}@{CLOSED}/db",
    "keyword dsn, closed": f"host=127.0.0.1 port=1 dbname=db user=postgres password={PASSWORD}",
    "keyword dsn, quoted password": f"host=127.0.0.1 port=1 dbname=db user=postgres password='{PASSWORD} x'",
    "password in the query": f"postgresql://postgres@{CLOSED}/db?password={PASSWORD}",
}
COMMANDS = {
    "migrate": ["migrate", "--json"],
    "status": ["status", "--json"],
    "seed": ["seed"],
    "rollback": ["rollback"],
    "doctor": ["doctor"],
    "doctor --json": ["doctor", "--json"],
    "openapi": ["openapi"],
    "demo": ["demo", "--json"],
    "bench": ["bench", "--quick"],
    "merchant add": ["merchant", "add", "Acme"],
    "member add": ["member", "add", "--merchant", "00000000-0000-4000-8000-000000000001", "--email", "a@b.example",
                   "--role", "merchant"],
    "relay": ["relay", "--once"],
}


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
@pytest.mark.parametrize("url", MALFORMED.values(), ids=list(MALFORMED))
def test_every_command_answers_a_bad_connection_string_in_one_line_without_the_password(command: str, url: str) -> None:
    result = CliRunner().invoke(main, [*COMMANDS[command], "--database-url", url])

    everything = result.stdout + result.stderr
    assert PASSWORD not in everything and PASSWORD.split("-")[-1] not in everything, everything
    assert "Traceback" not in everything
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # no exception escaped click
    assert result.exit_code in (1, 2), everything
    if command.startswith("doctor"):  # doctor reports: a failed "reachable" check, exit 1
        assert "reachable" in result.stdout
    else:
        # with --json the error is also a JSON object on stdout; without it stdout stays empty
        expected = ({"error": result.stderr.strip().removeprefix("Error: "), "applied": []} if "--json" in COMMANDS[command]
                    else None)
        assert (json.loads(result.stdout) if result.stdout else None) == expected, everything
        assert len(result.stderr.strip().splitlines()) == 1, everything
        assert result.stderr.startswith("Error: ")


def test_a_closed_port_still_says_connection_refused() -> None:
    result = CliRunner().invoke(main, ["status", "--database-url", MALFORMED["closed port"]])
    assert result.exit_code == 1 and "Connection refused" in result.stderr
    assert result.stderr.startswith("Error: cannot connect to 127.0.0.1:1/db: ")


def test_a_real_process_prints_one_line_and_no_traceback() -> None:
    done = subprocess.run([sys.executable, "-m", "interview_db", "migrate", "--database-url",
                           MALFORMED["unclosed ipv6 with path"]], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "Error: invalid database URL postgresql://postgres:***@[::1/t1: end of string reached when looking for "
        "matching (part hidden) in IPv6 host address in URI: (part hidden)"]


def keyword_dsn(db: TestDatabase) -> str:
    parts = urlsplit(db.url)
    return f"host={parts.hostname} port={parts.port} dbname={db.name} user={parts.username} password={PASSWORD}"


@pytest.mark.parametrize("command", ["status", "doctor", "migrate", "seed"])
def test_a_working_keyword_dsn_with_a_password_is_never_echoed(db: TestDatabase, command: str) -> None:
    dsn = keyword_dsn(db)
    for extra in ([], ["--json"]) if command != "seed" else ([],):
        result = CliRunner().invoke(main, [command, "--database-url", dsn, *extra])
        everything = result.stdout + result.stderr
        assert result.exit_code == 0, everything
        assert PASSWORD not in everything
        assert f"{urlsplit(db.url).hostname}:{urlsplit(db.url).port}/{db.name}" in everything or command == "seed"


def test_a_percent_encoded_database_name_is_decoded_for_every_connection(db: TestDatabase) -> None:
    renamed = f"my {db.name}"
    db.close()
    import psycopg

    with psycopg.connect(db.server.url(), autocommit=True) as conn:
        conn.execute(f'alter database "{db.name}" rename to "{renamed}"')
    try:
        url = db.server.url(renamed.replace(" ", "%20"))
        result = CliRunner().invoke(main, ["migrate", "--database-url", url])
        assert result.exit_code == 0, result.output
        assert "Nothing to do" in result.stdout and f"/{renamed}:" in result.stdout
    finally:
        with psycopg.connect(db.server.url(), autocommit=True) as conn:
            conn.execute(f'alter database "{renamed}" rename to "{db.name}"')


def test_masking_and_describing_never_show_a_password() -> None:
    for url in MALFORMED.values():
        assert PASSWORD not in mask_url(url) and PASSWORD not in describe_url(url), url
        assert PASSWORD not in redact(f"echo {url}", url)
    assert mask_url(f"postgresql://u:{PASSWORD}@h:5432/d?sslmode=require") == "postgresql://u:***@h:5432/d?sslmode=require"
    assert describe_url(f"postgresql://u:{PASSWORD}@h1:5432,h2:5433/d") == "h1:5432,h2:5433/d"
    assert describe_url(f"host=h port=6543 dbname=d password={PASSWORD}") == "h:6543/d"


@pytest.mark.parametrize(("password", "message"), [
    ("server", 'connection to server at "127.0.0.1", port 1 failed: Connection refused'),
    ("p", "the token expired; port 1 is closed"),
    ("Connection", "Connection refused"),
])
def test_masking_goes_by_the_connection_strings_parts_not_the_passwords_text(password: str, message: str) -> None:
    for url in (f"postgresql://postgres:{password}@127.0.0.1:1/db", f"host=127.0.0.1 port=1 password={password}"):
        assert redact(message, url) == message
        assert redact(f"{message}: {url}", url) == f"{message}: {mask_url(url)}"
        assert redact(f'invalid value "{password}" for option', url) == 'invalid value "***" for option'
    assert redact("see postgresql://u:other-secret@h/db", "") == "see postgresql://u:***@h/db"


def test_a_short_password_that_is_a_common_word_leaves_libpqs_message_whole() -> None:
    result = CliRunner().invoke(main, ["status", "--database-url", "postgresql://postgres:server@127.0.0.1:1/db"])
    assert result.exit_code == 1
    assert 'connection to server at "127.0.0.1", port 1 failed: Connection refused' in result.stderr
    assert "***" not in result.stderr


@pytest.mark.parametrize("url", [
    "postgresql://postgres:p@ss@127.0.0.1:1/db",
    "postgresql://postgres:p@ss/word@127.0.0.1:1/db",  # libpq would read host "ss" and show "ss/word"
    "postgres://postgres:ab@cd@localhost",
])
def test_an_unencoded_at_in_the_password_gets_a_hint_to_percent_encode_it(url: str) -> None:
    result = CliRunner().invoke(main, ["status", "--database-url", url])
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "must be percent-encoded as %40" in result.stderr
    assert "ss" not in result.stderr.replace("password", "").replace("address", "") and "cd" not in result.stderr
