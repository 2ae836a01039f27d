"""Sign an embed link's token on the merchant's own backend, with PyJWT (pip install pyjwt).

    EMBED_ID=<embed_id> EMBED_SIGNING_KEY=<embed_signing_key> \
        python examples/sign_embed_token.py ["Candidate name"] ["candidate@example.com"]

EMBED_ID and EMBED_SIGNING_KEY come from the response of job_interview_create_from_array
with is_embedded true. The key stays on your server: only the token goes into the link.
The token is a standard JWT: HS256, kid = embed_id, exp at most 7 days ahead.

The embed page's backend checks it with the service_role key:
    supabase_admin.rpc("verify_embed_token", {"token": token}).execute()
which returns {embed_id, interview_def_set_id, name, email, exp}, or a 401 whose
details say why (malformed, unsupported_alg, unknown_key, bad_signature, expired).
"""

from __future__ import annotations

import os
import sys
import time

import jwt  # PyJWT


def sign_embed_token(
    embed_id: str, signing_key: str, name: str | None = None, email: str | None = None, ttl_seconds: int = 3600
) -> str:
    """A token for one candidate, valid for ``ttl_seconds`` (at most 7 days)."""
    now = int(time.time())
    claims: dict[str, object] = {"iat": now, "exp": now + ttl_seconds}
    if name is not None:
        claims["name"] = name
    if email is not None:
        claims["email"] = email
    # The key is the hex text itself (its UTF-8 bytes), as PyJWT takes a string secret.
    return jwt.encode(claims, signing_key, algorithm="HS256", headers={"typ": "JWT", "kid": embed_id})


if __name__ == "__main__":
    arguments = sys.argv[1:]
    print(sign_embed_token(
        os.environ["EMBED_ID"],
        os.environ["EMBED_SIGNING_KEY"],
        name=arguments[0] if len(arguments) > 0 else None,
        email=arguments[1] if len(arguments) > 1 else None,
    ))
