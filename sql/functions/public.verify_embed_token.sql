-- Verify an embed token: a JWT (compact JWS) that the merchant's backend signs
-- with the embed_signing_key of an embedded interview (api.md, "Embed key").
--
-- The checks, in this order, each refusal a PT401 whose detail is the reason:
--   1. at most 8192 bytes, else malformed (before anything is decoded);
--   2. three dot-separated segments, the header strict base64url
--      (interview_private.base64url_decode), else malformed;
--   3. the header is a JSON object, else malformed; alg is exactly "HS256",
--      else unsupported_alg (none, HS512, RS256, a missing or non-string alg),
--      decided from the header alone, before the rest is read and before any
--      key is looked up; then payload and signature strict base64url, the
--      signature 32 bytes; typ, when present, "JWT"; no crit (no extension this
--      verifier would silently ignore); kid a string; else malformed;
--   4. kid is the embed_id of a key, else unknown_key;
--   5. HMAC-SHA256(key, header "." payload), the key being the hex text's UTF-8
--      bytes as every JWT library takes a string secret, equals the signature,
--      else bad_signature. The two MACs are not compared directly (bytea
--      equality stops at the first differing byte, and its timing would tell
--      where): each is put through HMAC under 32 fresh random bytes and those
--      are compared, so the position of a difference says nothing an attacker
--      can use;
--   6. only now, with the content authenticated, the claims are parsed: a JSON
--      object with exp a number; iat and nbf numbers when present; name and
--      email strings (or null) when present; else malformed;
--   7. time (numbers read from jsonb, never rendered as text: 1e100000 is
--      a few bytes of JSON and 100,001 digits of text), with a leeway of 5 seconds for clocks that differ a little
--      between the merchant's server and the database: exp more than 7 days
--      (plus the leeway) ahead is malformed: such a token breaks the contract
--      rather than having run out, and "malformed" is the honest one of the
--      five reasons; iat or nbf more than the leeway in the future is malformed
--      too (a token issued, or valid, only in the future; PyJWT refuses the
--      same); now at or past exp plus the leeway is expired.
-- Malformed JSON, bad UTF-8 and the like are caught around the two parses
-- only, so every input ends as the result or one of the five PT401s, never a
-- 500. The work is bounded by the size check: three base64url decodes, two
-- JSON parses and three HMACs over at most 8 KiB. "Now" is the transaction's
-- start (now()), which PostgREST opens for this one call.
create or replace function public.verify_embed_token(token text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  c_max_bytes constant integer := 8192;
  c_leeway constant numeric := 5.0;
  c_max_lifetime constant numeric := 604800.0;  -- 7 days, in seconds
  c_hint constant text := 'sign a JWT with HS256 and the embed_signing_key: header {"alg": "HS256", "typ": "JWT", '
    || '"kid": embed_id}, claims exp (at most 7 days ahead), iat, name, email';
  v_parts text[];
  v_header_bytes bytea;
  v_payload_bytes bytea;
  v_signature bytea;
  v_header jsonb;
  v_claims jsonb;
  v_kid uuid;
  v_interview_def_set_id uuid;
  v_signing_key text;
  v_nonce bytea;
  v_now numeric := extract(epoch from pg_catalog.now());
  v_exp numeric;
  v_problem text;
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.verify_embed_token(token => $1);
  end if;
  -- 1. size, before anything is decoded
  if verify_embed_token.token is null or pg_catalog.octet_length(verify_embed_token.token) > c_max_bytes then
    perform interview_private.raise_refused(401, 'malformed',
      pg_catalog.format('The embed token is malformed: it is missing or longer than %s bytes', c_max_bytes),
      c_hint);
  end if;

  -- 2. three dot-separated segments; the header decoded first, so that alg
  -- decides before anything else is read (an alg none token has an empty
  -- signature, an RS256 one a longer one: both are unsupported_alg)
  v_parts := pg_catalog.regexp_match(verify_embed_token.token, '^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$');
  if v_parts is not null then
    v_header_bytes := interview_private.base64url_decode(v_parts[1]);
  end if;
  if v_header_bytes is null then
    perform interview_private.raise_refused(401, 'malformed',
      'The embed token is malformed: it is not three base64url segments (header.payload.signature) separated by dots',
      c_hint);
  end if;

  -- 3. the header: alg decides before any key is looked up
  begin
    v_header := pg_catalog.convert_from(v_header_bytes, 'UTF8')::jsonb;
  exception when data_exception or program_limit_exceeded then
    v_header := null;
  end;
  if v_header is null or pg_catalog.jsonb_typeof(v_header) <> 'object' then
    perform interview_private.raise_refused(401, 'malformed',
      'The embed token is malformed: its header is not a JSON object',
      c_hint);
  end if;
  if v_header -> 'alg' is distinct from '"HS256"'::jsonb then
    perform interview_private.raise_refused(401, 'unsupported_alg',
      pg_catalog.format('The embed token is signed with %s: only HS256 is accepted',
        case when pg_catalog.jsonb_typeof(v_header -> 'alg') = 'string'
             then pg_catalog.format('alg %s', pg_catalog.left(v_header ->> 'alg', 20))
             else 'no alg' end),
      c_hint);
  end if;
  v_payload_bytes := interview_private.base64url_decode(v_parts[2]);
  v_signature := interview_private.base64url_decode(v_parts[3]);
  if v_payload_bytes is null or v_signature is null then
    perform interview_private.raise_refused(401, 'malformed',
      'The embed token is malformed: its payload or signature is not strict base64url',
      c_hint);
  end if;
  if pg_catalog.length(v_signature) <> 32 then
    perform interview_private.raise_refused(401, 'malformed',
      'The embed token is malformed: its signature is not the 32 bytes of an HMAC-SHA256',
      c_hint);
  end if;
  if v_header ? 'typ' and (pg_catalog.jsonb_typeof(v_header -> 'typ') <> 'string'
                           or pg_catalog.upper(v_header ->> 'typ') <> 'JWT') then
    perform interview_private.raise_refused(401, 'malformed',
      'The embed token is malformed: its header typ is not JWT',
      c_hint);
  end if;
  if v_header ? 'crit' then
    perform interview_private.raise_refused(401, 'malformed',
      'The embed token is malformed: its header asks for critical extensions (crit), which are not supported',
      c_hint);
  end if;
  if pg_catalog.jsonb_typeof(v_header -> 'kid') is distinct from 'string' then
    perform interview_private.raise_refused(401, 'malformed',
      'The embed token is malformed: its header has no kid (the embed_id)',
      c_hint);
  end if;

  -- 4. the key
  if v_header ->> 'kid' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    v_kid := (v_header ->> 'kid')::uuid;
    select k.interview_def_set_id, k.signing_key into v_interview_def_set_id, v_signing_key
    from interview_private.embed_keys as k
    where k.embed_id = v_kid;
  end if;
  if v_signing_key is null then
    perform interview_private.raise_refused(401, 'unknown_key',
      'The embed token''s kid is not the embed_id of any embedded interview',
      c_hint);
  end if;

  -- 5. the signature, compared through HMACs under a fresh random key
  v_nonce := extensions.gen_random_bytes(32);
  if extensions.hmac(
       extensions.hmac(pg_catalog.convert_to(v_parts[1] || '.' || v_parts[2], 'UTF8'),
                       pg_catalog.convert_to(v_signing_key, 'UTF8'), 'sha256'),
       v_nonce, 'sha256')
     <> extensions.hmac(v_signature, v_nonce, 'sha256') then
    perform interview_private.raise_refused(401, 'bad_signature',
      'The embed token''s signature does not match: it was altered, or not signed with this embed''s signing key',
      c_hint);
  end if;

  -- 6. the claims, now authenticated
  begin
    v_claims := pg_catalog.convert_from(v_payload_bytes, 'UTF8')::jsonb;
  exception when data_exception or program_limit_exceeded then
    v_claims := null;
  end;
  v_problem := case
    when v_claims is null or pg_catalog.jsonb_typeof(v_claims) <> 'object' then 'its claims are not a JSON object'
    when pg_catalog.jsonb_typeof(v_claims -> 'exp') is distinct from 'number' then 'it has no numeric exp claim (expiry, in seconds since 1970)'
    when v_claims ? 'iat' and pg_catalog.jsonb_typeof(v_claims -> 'iat') <> 'number' then 'its iat claim is not a number'
    when v_claims ? 'nbf' and pg_catalog.jsonb_typeof(v_claims -> 'nbf') <> 'number' then 'its nbf claim is not a number'
    when pg_catalog.jsonb_typeof(v_claims -> 'name') not in ('string', 'null') then 'its name claim is not a string'
    when pg_catalog.jsonb_typeof(v_claims -> 'email') not in ('string', 'null') then 'its email claim is not a string'
  end;
  if v_problem is not null then
    perform interview_private.raise_refused(401, 'malformed',
      'The embed token is malformed: ' || v_problem,
      c_hint);
  end if;

  -- 7. time (numbers read from jsonb without rendering them as text)
  v_exp := (v_claims -> 'exp')::numeric;
  v_problem := case
    when v_exp > v_now + c_max_lifetime + c_leeway then 'its exp lies more than 7 days ahead'
    when (v_claims -> 'iat')::numeric > v_now + c_leeway then 'its iat (issued at) lies in the future'
    when (v_claims -> 'nbf')::numeric > v_now + c_leeway then 'its nbf (not before) lies in the future'
  end;
  if v_problem is not null then
    perform interview_private.raise_refused(401, 'malformed',
      'The embed token is malformed: ' || v_problem,
      c_hint);
  end if;
  if v_now >= v_exp + c_leeway then
    perform interview_private.raise_refused(401, 'expired',
      'The embed token expired ' || case
        when v_exp >= 0 then pg_catalog.to_char(
          pg_catalog.to_timestamp(v_exp::double precision) at time zone 'UTC', '"at "YYYY-MM-DD"T"HH24:MI:SS"Z"')
        else 'before 1970' end,
      'sign a new token');
  end if;

  return pg_catalog.jsonb_build_object(
    'embed_id', v_kid,
    'interview_def_set_id', v_interview_def_set_id,
    'name', v_claims -> 'name',
    'email', v_claims -> 'email',
    'exp', v_claims -> 'exp');
end
$$;

comment on function public.verify_embed_token(text) is
  $comment$Verify a signed embed token (a JWT, HS256, kid = embed_id) and return who it is for.

Returns {embed_id, interview_def_set_id, name, email, exp} when the token is valid. Otherwise raises PT401 (HTTP 401) with the reason in details: malformed, unsupported_alg, unknown_key, bad_signature or expired. Only HS256; exp is required and at most 7 days ahead; 5 seconds of clock leeway. The signing key never leaves the database. Callable with the service_role key only.$comment$;

revoke all on function public.verify_embed_token(text) from public, anon, authenticated;
grant execute on function public.verify_embed_token(text) to service_role;
