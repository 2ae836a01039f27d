-- Strict base64url (RFC 4648 section 5, without padding, as JWS uses it): the
-- bytes of a canonical encoding, null for anything else. Canonical means the
-- alphabet A-Z a-z 0-9 - _ only, no '=' and no whitespace, a length that is
-- not 1 modulo 4, and unused trailing bits that are zero; so each byte string
-- has exactly one accepted text, and a token cannot be altered into another
-- that still verifies. It never raises: PostgreSQL's decode() only sees text
-- that passed the checks, and the re-encoding is compared with the input.
-- Cost is linear in the input (the caller bounds its length).
create or replace function interview_private.base64url_decode(p_text text)
returns bytea
language plpgsql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_bytes bytea;
begin
  if p_text !~ '^[A-Za-z0-9_-]*$' or pg_catalog.length(p_text) % 4 = 1 then
    return null;
  end if;
  v_bytes := pg_catalog.decode(
    pg_catalog.translate(p_text, '-_', '+/') || pg_catalog.repeat('=', (4 - pg_catalog.length(p_text) % 4) % 4),
    'base64');
  -- encode() wraps its output every 76 characters: drop the newlines with the padding.
  if pg_catalog.translate(pg_catalog.encode(v_bytes, 'base64'), E'+/=\n', '-_') <> p_text then
    return null;  -- non-zero unused bits: not the canonical text of these bytes
  end if;
  return v_bytes;
end
$$;

comment on function interview_private.base64url_decode(text) is
  $comment$Decode strict, unpadded base64url; null when the text is not the canonical encoding of some bytes.

For JWS (RFC 7515) segments: alphabet A-Z a-z 0-9 - _, no padding, no whitespace, zero trailing bits. Never raises; linear in the input.$comment$;

revoke all on function interview_private.base64url_decode(text) from public;
