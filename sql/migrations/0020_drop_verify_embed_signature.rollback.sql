-- Restores public.verify_embed_signature exactly as its function file defined
-- it before 0020 (the file is gone, so migrate will not replace it again).
create function public.verify_embed_signature(embed_id uuid, name text, email text, signature text)
returns boolean
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select coalesce((
    select case
      when pg_catalog.lower(verify_embed_signature.signature) ~ '^[0-9a-f]{64}$' then (
        select pg_catalog.bit_or(
                 pg_catalog.get_byte(mac.expected, b.i) # pg_catalog.get_byte(mac.given, b.i)
               ) = 0
        from (
          select extensions.hmac(
                   pg_catalog.convert_to(
                     k.embed_id::text || coalesce(verify_embed_signature.name, '')
                       || coalesce(verify_embed_signature.email, ''),
                     'UTF8'),
                   pg_catalog.convert_to(k.signing_key, 'UTF8'),
                   'sha256') as expected,
                 pg_catalog.decode(pg_catalog.lower(verify_embed_signature.signature), 'hex') as given
        ) as mac
        cross join pg_catalog.generate_series(0, 31) as b (i)
      )
      else false
    end
    from interview_private.embed_keys as k
    where k.embed_id = verify_embed_signature.embed_id
  ), false)
$$;

comment on function public.verify_embed_signature(uuid, text, text, text) is
  $comment$Verify the signature of an embed link.

True when signature is hex(HMAC-SHA256(embed_signing_key, embed_id || name || email)) for an existing embed_id, false otherwise. Constant-time comparison; the signing key is never returned. Callable with the service_role key only.$comment$;

revoke all on function public.verify_embed_signature(uuid, text, text, text) from public, anon, authenticated;
grant execute on function public.verify_embed_signature(uuid, text, text, text) to service_role;
