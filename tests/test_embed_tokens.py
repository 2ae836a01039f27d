"""Embed tokens: standard JWTs (HS256, kid = embed_id) that the merchant's backend
signs with embed_signing_key, checked by public.verify_embed_token (api.md, "Embed key").

Tokens are signed with PyJWT, as a merchant's backend would; the tampered and
hand-made ones are built from their segments here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
import psycopg
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from interview_db.migrations import migrate, rollback, status
from interview_db.postgrest import RpcResponse, call_rpc, service_role_claims
from interview_db.project import Project

from .helpers import EXAMPLES, TestDatabase, minimal_body, scalar
from .node_jose import JoseUnavailable, install

VERIFY = "verify_embed_token"
REASONS = {"malformed", "unsupported_alg", "unknown_key", "bad_signature", "expired"}
WEEK = 7 * 24 * 3600
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Embed:
    embed_id: str
    key: str
    set_id: str


def embedded(db: TestDatabase) -> Embed:
    body = db.rpc(minimal_body(is_embedded=True), db.owner()).body
    return Embed(body["embed_id"], body["embed_signing_key"], body["interview_def_set_id"])


def sign(embed_id: str, key: str, *, exp_in: float | None = 3600, algorithm: str = "HS256",
         headers: dict[str, Any] | None = None, **claims: Any) -> str:
    """A token as a merchant's backend signs it with PyJWT (exp ``exp_in`` seconds from now; None: no exp)."""
    now = int(time.time())
    payload: dict[str, Any] = {"iat": now, **claims}
    if exp_in is not None:
        payload["exp"] = now + exp_in
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": embed_id, **(headers or {})})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hs256(key: str, header: bytes, payload: bytes) -> str:
    """A token of exactly these header and payload bytes, correctly signed."""
    signing_input = f"{b64(header)}.{b64(payload)}"
    return f"{signing_input}.{b64(hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest())}"


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def nudged(segment: str) -> str:
    """The same bytes with an unused trailing bit set: lenient decoders accept it, a strict one does not."""
    assert len(segment) % 4 in (2, 3)
    return segment[:-1] + _ALPHABET[_ALPHABET.index(segment[-1]) ^ 1]


def with_header(token: str, header: dict[str, Any]) -> str:
    """The token with another header, its payload and signature kept."""
    _, payload, signature = token.split(".")
    return f"{b64(json.dumps(header).encode())}.{payload}.{signature}"


def with_claims(token: str, claims: dict[str, Any]) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


def verify(db: TestDatabase, token: Any) -> RpcResponse:
    return call_rpc(db.api, VERIFY, {"token": token}, service_role_claims())


def refused(response: RpcResponse, reason: str) -> str:
    """Assert a 401 with the reason in details; returns the message."""
    assert response.status == 401, (response.status, response.body)
    assert response.body["code"] == "PT401", response.body
    assert response.body["details"] == reason, response.body
    assert response.body["message"].startswith("The embed token"), response.body
    return str(response.body["message"])


# -- valid tokens --------------------------------------------------------------


def test_a_token_signed_with_the_embed_key_says_who_it_is_for(db: TestDatabase) -> None:
    embed = embedded(db)
    token = sign(embed.embed_id, embed.key, name="Ada Lovelace", email="ada@example.com")
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]

    response = verify(db, token)
    assert response.status == 200, response.body
    assert response.body == {"embed_id": embed.embed_id, "interview_def_set_id": embed.set_id,
                             "name": "Ada Lovelace", "email": "ada@example.com", "exp": exp}


def test_name_and_email_are_optional_and_come_back_null(db: TestDatabase) -> None:
    embed = embedded(db)
    body = verify(db, sign(embed.embed_id, embed.key)).body
    assert body["name"] is None and body["email"] is None and body["embed_id"] == embed.embed_id
    body = verify(db, sign(embed.embed_id, embed.key, name=None, email="only@example.com")).body
    assert body["name"] is None and body["email"] == "only@example.com"


def test_a_token_without_typ_and_one_with_a_fractional_exp_are_accepted(db: TestDatabase) -> None:
    embed = embedded(db)
    now = time.time()
    bare = hs256(embed.key, json.dumps({"alg": "HS256", "kid": embed.embed_id}).encode(),
                 json.dumps({"exp": now + 60.5}).encode())
    response = verify(db, bare)
    assert response.status == 200, response.body
    assert response.body["exp"] == pytest.approx(now + 60.5)


# -- tampering -----------------------------------------------------------------


def test_a_tampered_header_fails_the_signature(db: TestDatabase) -> None:
    embed, other = embedded(db), embedded(db)
    token = sign(embed.embed_id, embed.key)
    header = jwt.get_unverified_header(token)

    refused(verify(db, with_header(token, {**header, "kid": other.embed_id})), "bad_signature")
    refused(verify(db, with_header(token, {**header, "x5u": "https://evil.test/key"})), "bad_signature")
    # the same header, encoded with other spacing: other bytes, so another signing input
    _, payload, signature = token.split(".")
    respaced = b64(json.dumps(header, indent=1).encode())
    refused(verify(db, f"{respaced}.{payload}.{signature}"), "bad_signature")


def test_tampered_claims_fail_the_signature(db: TestDatabase) -> None:
    embed = embedded(db)
    token = sign(embed.embed_id, embed.key, name="Bob Smith", email="bob.smith@corp.com")
    claims = jwt.decode(token, options={"verify_signature": False})

    # the ambiguity of the old embed_id || name || email signature is gone
    refused(verify(db, with_claims(token, {**claims, "name": "Bob Smithbob.", "email": "smith@corp.com"})),
            "bad_signature")
    refused(verify(db, with_claims(token, {**claims, "exp": claims["exp"] + 3600})), "bad_signature")
    refused(verify(db, with_claims(token, {**claims, "email": "eve@example.com"})), "bad_signature")


def test_every_altered_byte_of_the_signature_fails(db: TestDatabase) -> None:
    embed = embedded(db)
    token = sign(embed.embed_id, embed.key)
    head, payload, signature = token.split(".")
    mac = unb64(signature)
    assert verify(db, token).status == 200
    for i in range(len(mac)):
        altered = mac[:i] + bytes([mac[i] ^ 0x80]) + mac[i + 1:]
        refused(verify(db, f"{head}.{payload}.{b64(altered)}"), "bad_signature")


def test_a_token_for_another_embed_id_fails_the_signature(db: TestDatabase) -> None:
    mine, theirs = embedded(db), embedded(db)
    # signed with my key, but naming their embed
    refused(verify(db, sign(theirs.embed_id, mine.key)), "bad_signature")


def test_a_token_signed_with_another_sets_key_fails_the_signature(db: TestDatabase) -> None:
    mine, theirs = embedded(db), embedded(db)
    # naming my embed, signed with the key of another set
    refused(verify(db, sign(mine.embed_id, theirs.key)), "bad_signature")


# -- algorithms ----------------------------------------------------------------


def test_alg_none_is_refused_as_unsupported(db: TestDatabase) -> None:
    embed = embedded(db)
    unsigned = jwt.encode({"exp": int(time.time()) + 60}, "", algorithm="none", headers={"kid": embed.embed_id})
    assert unsigned.endswith(".")  # an empty signature
    message = refused(verify(db, unsigned), "unsupported_alg")
    assert "alg none" in message and "HS256" in message
    # the same token with the correct HMAC appended is still refused: alg decides
    header, payload, _ = unsigned.split(".")
    mac = hmac.new(embed.key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    refused(verify(db, f"{header}.{payload}.{b64(mac)}"), "unsupported_alg")


def test_hs512_signed_with_the_right_key_is_refused_as_unsupported(db: TestDatabase) -> None:
    embed = embedded(db)
    assert "HS512" in refused(verify(db, sign(embed.embed_id, embed.key, algorithm="HS512")), "unsupported_alg")


def test_an_rs256_header_and_a_missing_or_odd_alg_are_refused_as_unsupported(db: TestDatabase) -> None:
    embed = embedded(db)
    token = sign(embed.embed_id, embed.key)
    _, payload, _ = token.split(".")
    rs256 = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": embed.embed_id}).encode())
    refused(verify(db, f"{rs256}.{payload}.{b64(os.urandom(256))}"), "unsupported_alg")
    for header in ({"typ": "JWT", "kid": embed.embed_id}, {"alg": "hs256", "kid": embed.embed_id},
                   {"alg": ["HS256"], "kid": embed.embed_id}, {"alg": None, "kid": embed.embed_id}):
        refused(verify(db, with_header(token, header)), "unsupported_alg")


def test_the_alg_is_refused_before_the_key_is_looked_up(db: TestDatabase) -> None:
    """While another session holds embed_keys exclusively, a wrong alg is still
    answered at once; an HS256 token for the same kid has to wait for the table."""
    embed = embedded(db)
    none = jwt.encode({"exp": int(time.time()) + 60}, "", algorithm="none", headers={"kid": embed.embed_id})
    refused(verify(db, with_header(none, {"alg": "none", "kid": UNKNOWN_ID})), "unsupported_alg")  # not unknown_key

    with psycopg.connect(db.url) as blocker:
        blocker.execute("lock table interview_private.embed_keys in access exclusive mode")
        db.api.execute("set lock_timeout = '3s'")
        try:
            refused(verify(db, none), "unsupported_alg")
            refused(verify(db, sign(embed.embed_id, embed.key, algorithm="HS512")), "unsupported_alg")
            waited = verify(db, sign(embed.embed_id, embed.key))
            assert waited.body["code"] == "55P03", waited.body  # lock_not_available: it did reach the table
        finally:
            db.api.execute("reset lock_timeout")
            blocker.rollback()
    assert verify(db, sign(embed.embed_id, embed.key)).status == 200


# -- keys ----------------------------------------------------------------------


def test_an_unknown_kid_is_unknown_key(db: TestDatabase) -> None:
    embed = embedded(db)
    assert "kid" in refused(verify(db, sign(UNKNOWN_ID, embed.key)), "unknown_key")
    refused(verify(db, sign("not-a-uuid", embed.key)), "unknown_key")
    refused(verify(db, sign(embed.embed_id.replace("-", ""), embed.key)), "unknown_key")  # only the 8-4-4-4-12 form
    # the uuid in capitals names the same embed
    assert verify(db, sign(embed.embed_id.upper(), embed.key)).status == 200


def test_a_missing_or_non_string_kid_is_malformed(db: TestDatabase) -> None:
    embed = embedded(db)
    token = sign(embed.embed_id, embed.key)
    assert "kid" in refused(verify(db, with_header(token, {"alg": "HS256", "typ": "JWT"})), "malformed")
    refused(verify(db, with_header(token, {"alg": "HS256", "kid": 12})), "malformed")


def test_a_deleted_interview_takes_its_key_with_it(db: TestDatabase) -> None:
    embed = embedded(db)
    token = sign(embed.embed_id, embed.key)
    assert verify(db, token).status == 200
    db.admin.execute("delete from public.interview_def_set where id = %s", (embed.set_id,))
    refused(verify(db, token), "unknown_key")


# -- time ----------------------------------------------------------------------


def test_an_expired_token_is_refused_with_its_expiry_time(db: TestDatabase) -> None:
    embed = embedded(db)
    message = refused(verify(db, sign(embed.embed_id, embed.key, exp_in=-60)), "expired")
    assert "expired at 20" in message and message.endswith("Z")
    refused(verify(db, sign(embed.embed_id, embed.key, exp_in=-10 * 365 * 86400)), "expired")
    assert "before 1970" in refused(verify(db, hs256(
        embed.key, json.dumps({"alg": "HS256", "kid": embed.embed_id}).encode(), b'{"exp": -1e100000}')), "expired")


def test_clocks_a_few_seconds_apart_are_tolerated(db: TestDatabase) -> None:
    """The leeway is 5 seconds: a token that ran out a second ago, or issued 2 s ahead, passes."""
    embed = embedded(db)
    assert verify(db, sign(embed.embed_id, embed.key, exp_in=-1)).status == 200
    assert verify(db, sign(embed.embed_id, embed.key, iat=int(time.time()) + 2)).status == 200
    refused(verify(db, sign(embed.embed_id, embed.key, exp_in=-30)), "expired")


def test_a_token_without_exp_is_malformed(db: TestDatabase) -> None:
    embed = embedded(db)
    assert "exp" in refused(verify(db, sign(embed.embed_id, embed.key, exp_in=None)), "malformed")
    token = sign(embed.embed_id, embed.key, exp_in=None, exp=str(int(time.time()) + 60))  # a string, not a number
    refused(verify(db, token), "malformed")


def test_exp_more_than_seven_days_ahead_is_malformed(db: TestDatabase) -> None:
    embed = embedded(db)
    assert verify(db, sign(embed.embed_id, embed.key, exp_in=WEEK)).status == 200
    assert "7 days" in refused(verify(db, sign(embed.embed_id, embed.key, exp_in=WEEK + 60)), "malformed")
    refused(verify(db, sign(embed.embed_id, embed.key, exp_in=100 * 365 * 86400)), "malformed")
    refused(verify(db, hs256(embed.key, json.dumps({"alg": "HS256", "kid": embed.embed_id}).encode(),
                             b'{"exp": 1e100000}')), "malformed")


def test_iat_or_nbf_in_the_future_is_malformed(db: TestDatabase) -> None:
    embed = embedded(db)
    later = int(time.time()) + 600
    assert "iat" in refused(verify(db, sign(embed.embed_id, embed.key, iat=later)), "malformed")
    assert "nbf" in refused(verify(db, sign(embed.embed_id, embed.key, nbf=later)), "malformed")
    assert verify(db, sign(embed.embed_id, embed.key, nbf=int(time.time()) - 60)).status == 200


# -- malformed tokens ----------------------------------------------------------


def test_claims_of_the_wrong_type_are_malformed_even_when_signed(db: TestDatabase) -> None:
    embed = embedded(db)
    header = json.dumps({"alg": "HS256", "typ": "JWT", "kid": embed.embed_id}).encode()
    exp = int(time.time()) + 60
    for payload in (b"not json", b"[1, 2]", b'"a string"', b"\xff\xfe", b'{"exp": 1, "x": "\\u0000"}',
                    json.dumps({"exp": exp, "name": 12}).encode(), json.dumps({"exp": exp, "email": {}}).encode(),
                    json.dumps({"exp": exp, "iat": "now"}).encode(), json.dumps({"exp": exp, "nbf": True}).encode(),
                    b'{"exp": 1e200000}'):
        refused(verify(db, hs256(embed.key, header, payload)), "malformed")


@pytest.mark.parametrize(
    "label",
    ["empty", "one segment", "two segments", "four segments", "padding", "plus", "slash", "space", "newline",
     "header not json", "header an array", "header bad utf-8", "header nul", "short signature",
     "long signature", "non-canonical signature", "non-canonical header", "typ not JWT", "crit", "null"],
)
def test_malformed_tokens_are_refused_as_malformed(db: TestDatabase, label: str) -> None:
    embed = embedded(db)
    token = sign(embed.embed_id, embed.key)
    head, payload, signature = token.split(".")
    header = jwt.get_unverified_header(token)
    mac = unb64(signature)
    bad_utf8 = b64(b'{"alg":"HS256","k":"\xff"}')
    nul = b64(b'{"alg":"HS256","k":"\\u0000"}')
    odd = b'{"alg":"HS256","kid":"' + embed.embed_id.encode() + b'"}'
    while len(odd) % 3 == 0:  # a length whose encoding has unused bits
        odd = odd[:-1] + b" }"
    cases: dict[str, Any] = {
        "empty": "",
        "one segment": head,
        "two segments": f"{head}.{payload}",
        "four segments": f"{token}.{signature}",
        "padding": f"{head}.{payload}.{signature}=",
        "plus": f"{head}.{payload}.{signature[:-2]}+{signature[-1]}",
        "slash": f"{head}/.{payload}.{signature}",
        "space": f"{head}.{payload}. {signature}",
        "newline": f"{token}\n",
        "header not json": f"{b64(b'alg: HS256')}.{payload}.{signature}",
        "header an array": f"{b64(b'[]')}.{payload}.{signature}",
        "header bad utf-8": f"{bad_utf8}.{payload}.{signature}",
        "header nul": f"{nul}.{payload}.{signature}",
        "short signature": f"{head}.{payload}.{b64(mac[:31])}",
        "long signature": f"{head}.{payload}.{b64(mac + b'x')}",
        "non-canonical signature": f"{head}.{payload}.{nudged(signature)}",
        "non-canonical header": f"{nudged(b64(odd))}.{payload}.{signature}",
        "typ not JWT": sign(embed.embed_id, embed.key, headers={"typ": "at+jwt"}),
        "crit": sign(embed.embed_id, embed.key, headers={"crit": ["exp"]}),
        "null": None,
    }
    # the cases differ from a valid token only as named
    assert header["alg"] == "HS256" and unb64(nudged(signature)) == mac and unb64(nudged(b64(odd))) == odd
    refused(verify(db, cases[label]), "malformed")


def test_an_oversized_token_is_refused_before_it_is_decoded(db: TestDatabase) -> None:
    embed = embedded(db)
    fits = sign(embed.embed_id, embed.key, name="x" * 5500)
    too_long = sign(embed.embed_id, embed.key, name="x" * 6500)
    assert len(fits) <= 8192 < len(too_long)
    assert verify(db, fits).status == 200
    assert "8192 bytes" in refused(verify(db, too_long), "malformed")
    started = time.monotonic()
    refused(verify(db, "a" * 20_000_000), "malformed")  # 20 MB: the size decides, nothing is parsed
    assert time.monotonic() - started < 10


# -- who may verify ------------------------------------------------------------


def test_only_the_service_role_may_verify(db: TestDatabase) -> None:
    owner = db.owner()
    body = db.rpc(minimal_body(is_embedded=True), owner).body
    token = sign(body["embed_id"], body["embed_signing_key"])
    signed_in = call_rpc(db.api, VERIFY, {"token": token}, owner.claims)
    anonymous = call_rpc(db.api, VERIFY, {"token": token}, None)
    assert (signed_in.status, signed_in.body["code"]) == (403, "42501")
    assert (anonymous.status, anonymous.body["code"]) == (401, "42501")
    assert verify(db, token).status == 200


def test_the_old_signature_check_is_gone(db: TestDatabase) -> None:
    row = db.admin.execute(
        "select count(*) as n from pg_catalog.pg_proc where proname = 'verify_embed_signature'").fetchone()
    assert row is not None and row["n"] == 0
    gone = call_rpc(db.api, "verify_embed_signature",
                    {"embed_id": UNKNOWN_ID, "name": "", "email": "", "signature": "00" * 32}, service_role_claims())
    assert gone.status == 404


OLD_CHECK = "public.verify_embed_signature(uuid,text,text,text)"


def test_the_migration_drops_the_old_check_and_its_rollback_restores_it(empty_db: str, project: Project) -> None:
    migrate(empty_db, project)
    assert scalar(empty_db, "select to_regprocedure(%s)", OLD_CHECK) is None
    while (done := rollback(empty_db, project, yes=True, allow_data_loss=True,
                            keep_functions=True).rolled_back) != ["0020_drop_verify_embed_signature"]:
        assert done  # later migrations first

    assert scalar(empty_db, "select prosecdef from pg_proc where oid = to_regprocedure(%s)", OLD_CHECK) is True
    assert scalar(empty_db, "select has_function_privilege('service_role', %s, 'execute')", OLD_CHECK) is True
    assert scalar(empty_db, "select has_function_privilege('authenticated', %s, 'execute')", OLD_CHECK) is False
    assert scalar(empty_db, "select obj_description(to_regprocedure(%s), 'pg_proc')", OLD_CHECK).startswith(
        "Verify the signature of an embed link.")

    assert "0020_drop_verify_embed_signature" in migrate(empty_db, project).migrations_applied
    assert scalar(empty_db, "select to_regprocedure(%s)", OLD_CHECK) is None
    assert status(empty_db, project).drifted_functions == []


# -- no input gives a 500 ------------------------------------------------------


def json_values() -> st.SearchStrategy[Any]:
    scalars = (st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40)
               | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


_HEADER_VARIANTS: dict[str, list[Any]] = {
    "alg": ["none", "HS512", "RS256", "", "hs256"], "typ": ["jwt", "JOSE", ""], "crit": [["exp"], []],
    "kid": [UNKNOWN_ID, "", "x" * 40],
}
_CLAIM_VARIANTS: dict[str, list[Any]] = {
    "exp": ["1700000000", 1e300, -1, 0.5], "iat": [4102444800, "now"], "nbf": [4102444800, 0],
    "name": [12, ["a"]], "email": [{}, True],
}


@st.composite
def garbage_tokens(draw: st.DrawFn, embed: Embed) -> str:
    """Near-tokens: a valid token with a few of its header fields and claims
    replaced or removed, its bytes sometimes raw garbage, signed with the right
    key or not, then sometimes mangled character by character; so every check
    of the function, the late ones included, gets reached."""
    now = int(time.time())
    rarely = st.sampled_from([False] * 9 + [True])  # hypothesis favours the first choices
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT", "kid": draw(st.sampled_from(
        [embed.embed_id, embed.embed_id.upper()]))}
    for field in draw(st.lists(st.sampled_from(sorted(_HEADER_VARIANTS)), max_size=2, unique=True)):
        if draw(st.booleans()):
            header.pop(field, None)
        else:
            header[field] = draw(st.sampled_from(_HEADER_VARIANTS[field]) | json_values())
    # offsets drawn, then added to the clock: the same choices make the same shape of token
    claims: Any = {"exp": draw(st.integers(-2 * WEEK, 2 * WEEK).map(lambda d: now + d)),
                   "iat": now - 10, "name": draw(st.text(max_size=20)), "email": draw(st.emails())}
    for field in draw(st.lists(st.sampled_from(sorted(_CLAIM_VARIANTS)), max_size=2, unique=True)):
        if draw(st.booleans()):
            claims.pop(field, None)
        else:
            claims[field] = draw(st.sampled_from(_CLAIM_VARIANTS[field]) | json_values())
    if draw(rarely):
        claims = draw(json_values())
    raw_header = draw(st.binary(max_size=40)) if draw(rarely) else json.dumps(header).encode()
    raw_claims = draw(st.binary(max_size=40)) if draw(rarely) else json.dumps(claims).encode()
    key = draw(st.sampled_from([embed.key, embed.key, embed.key, "0" * 64]))
    token = hs256(key, raw_header, raw_claims)
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 1, 2]))):  # no change most of the time
        at = draw(st.integers(0, len(token)))
        token = token[:at] + draw(st.text(max_size=3)) + token[at + draw(st.integers(0, 3)):]
    return token


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_token_gives_a_server_error(db: TestDatabase, data: st.DataObject) -> None:
    if "_embed" not in db.__dict__:  # one embedded interview for all examples of this test
        db.__dict__["_embed"] = embedded(db)
    embed: Embed = db.__dict__["_embed"]
    kind = data.draw(st.sampled_from(["near", "near", "near", "text", "base64url"]))
    token = data.draw({"near": garbage_tokens(embed), "text": st.text(max_size=200),
                       "base64url": st.binary(max_size=200).map(b64)}[kind], label="token")

    response = verify(db, token)
    event(f"{response.status} {response.body.get('details') if isinstance(response.body, dict) else ''}")
    if response.status == 200:
        assert response.body["embed_id"] == embed.embed_id and response.body["interview_def_set_id"] == embed.set_id
    elif response.status == 400:
        # PostgREST's own cast of the JSON body refuses \u0000 before the function runs
        assert response.body["code"] == "22P05" and "\x00" in token, response.body
    else:
        assert response.status == 401 and response.body["code"] == "PT401", (token, response.body)
        assert response.body["details"] in REASONS, (token, response.body)


# -- the example signers -------------------------------------------------------


def signer_env(embed: Embed) -> dict[str, str]:
    return dict(os.environ, EMBED_ID=embed.embed_id, EMBED_SIGNING_KEY=embed.key)


def test_the_python_example_signs_tokens_the_database_accepts(db: TestDatabase) -> None:
    embed = embedded(db)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "sign_embed_token.py"), "Ada Lovelace", "ada@example.com"],
        env=signer_env(embed), capture_output=True, text=True, timeout=60, check=True,
    )
    token = done.stdout.strip()
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT", "kid": embed.embed_id}
    response = verify(db, token)
    assert response.status == 200, response.body
    assert (response.body["name"], response.body["email"]) == ("Ada Lovelace", "ada@example.com")


def test_the_node_example_signs_tokens_the_database_accepts(db: TestDatabase, tmp_path: Any) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the jose example is not run")
    try:
        root = install()
    except JoseUnavailable as exc:
        pytest.fail(str(exc))
    # node resolves `import 'jose'` from the script's own directory upwards
    script = root / f"sign-embed-token-{uuid.uuid4().hex}.mjs"
    shutil.copy(EXAMPLES / "sign-embed-token.mjs", script)
    embed = embedded(db)
    try:
        done = subprocess.run(
            ["node", str(script), "Grace Hopper", "grace@example.com"],
            env=signer_env(embed), capture_output=True, text=True, timeout=120, check=False,
        )
    finally:
        script.unlink()
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT", "kid": embed.embed_id}
    response = verify(db, token)
    assert response.status == 200, response.body
    assert (response.body["name"], response.body["email"]) == ("Grace Hopper", "grace@example.com")
    assert response.body["exp"] - time.time() == pytest.approx(3600, abs=120)
