"""The pgcrypto stand-ins of the shim (for a PostgreSQL without pgcrypto):
checked against RFC 4231, Python's hmac and, where it exists, pgcrypto itself."""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Iterator

import psycopg
import pytest

from interview_db.project import Project

# RFC 4231 test cases 1-4, 6, 7 (case 5 is a truncated MAC): key, data, HMAC-SHA-256
RFC4231 = [
    ("0b" * 20, b"Hi There".hex(), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe".hex(), b"what do ya want for nothing?".hex(),
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    ("aa" * 20, "dd" * 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    ("0102030405060708090a0b0c0d0e0f10111213141516171819", "cd" * 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    ("aa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First".hex(),
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ("aa" * 131, b"This is a test using a larger than block-size key and a larger than block-size data. "
                 b"The key needs to be hashed before being used by the HMAC algorithm.".hex(),
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]


@pytest.fixture
def standin(empty_db: str, project: Project, template_db: str) -> Iterator[psycopg.Connection]:
    """A database with the stand-ins installed in `extensions` (roles exist from the template)."""
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("create schema extensions")
        conn.execute(project.pgcrypto_fallback_file.read_text())
        yield conn


@pytest.mark.parametrize(("key", "data", "mac"), RFC4231)
def test_hmac_matches_rfc_4231(standin: psycopg.Connection, key: str, data: str, mac: str) -> None:
    got = standin.execute("select encode(extensions.hmac(decode(%s, 'hex'), decode(%s, 'hex'), 'sha256'), 'hex')",
                          (data, key)).fetchone()[0]
    assert got == mac


def test_hmac_matches_python_on_random_inputs(standin: psycopg.Connection) -> None:
    rng = random.Random(4231)
    for _ in range(200):
        key, data = rng.randbytes(rng.randrange(0, 200)), rng.randbytes(rng.randrange(0, 500))
        got = standin.execute("select extensions.hmac(%s, %s, 'sha256')", (data, key)).fetchone()[0]
        assert bytes(got) == hmac.new(key, data, hashlib.sha256).digest()


def test_hmac_refuses_other_algorithms(standin: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="only sha256"):
        standin.execute("select extensions.hmac('a'::bytea, 'b'::bytea, 'md5')")


def test_hmac_matches_pgcrypto_where_it_exists(standin: psycopg.Connection) -> None:
    if not standin.execute("select exists (select from pg_available_extensions where name = 'pgcrypto')").fetchone()[0]:
        pytest.skip("this PostgreSQL has no pgcrypto to compare with (the embedded wheel); RFC 4231 and Python still apply")
    standin.execute("create schema real_pgcrypto; create extension pgcrypto with schema real_pgcrypto")
    rng = random.Random(7)
    for _ in range(100):
        key, data = rng.randbytes(rng.randrange(0, 150)), rng.randbytes(rng.randrange(0, 300))
        ours, theirs = standin.execute(
            "select extensions.hmac(%s, %s, 'sha256'), real_pgcrypto.hmac(%s, %s, 'sha256')", (data, key, data, key)
        ).fetchone()
        assert ours == theirs


def test_gen_random_bytes_lengths_and_limits(standin: psycopg.Connection) -> None:
    for n in (1, 16, 31, 32, 33, 100, 1024):
        assert len(standin.execute("select extensions.gen_random_bytes(%s)", (n,)).fetchone()[0]) == n
    for bad in (0, -1, 1025):
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            standin.execute("select extensions.gen_random_bytes(%s)", (bad,))


def test_gen_random_bytes_has_no_fixed_bits(standin: psycopg.Connection) -> None:
    # A raw UUID has fixed version and variant bits; the stand-in hashes them away:
    # every position of every byte takes many values, and no two keys repeat.
    samples = [bytes(r[0]) for r in standin.execute(
        "select extensions.gen_random_bytes(32) from generate_series(1, 2000)").fetchall()]
    assert len(set(samples)) == len(samples)
    for position in range(32):
        assert len({s[position] for s in samples}) > 200, position
    ones = sum(bin(b).count("1") for s in samples for b in s)
    assert abs(ones / (len(samples) * 256) - 0.5) < 0.01
