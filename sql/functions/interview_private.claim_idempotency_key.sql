-- Idempotency: claim (merchant, key) for this request, or find the first call's
-- response. The unique key does the locking: a concurrent call with the same key
-- waits on the first one's insert until it commits (then finds its response) or
-- rolls back (then claims the key itself). No sleeps, no retry loops.
--
-- Returns null when the key is newly claimed (go on and create), else the first
-- response (with the embed signing key read back from embed_keys). The same key
-- with a different body is PT409.
create or replace function interview_private.claim_idempotency_key(
  p_merchant_id uuid,
  p_key text,
  p_request jsonb
)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_hash bytea := pg_catalog.sha256(pg_catalog.convert_to(p_request::text, 'UTF8'));
  v_existing record;
begin
  insert into interview_private.idempotency_keys (merchant_id, idempotency_key, request_hash)
  values (p_merchant_id, p_key, v_hash)
  on conflict (merchant_id, idempotency_key) do nothing;
  if found then
    return null;
  end if;

  select k.request_hash, k.response into v_existing
  from interview_private.idempotency_keys as k
  where k.merchant_id = p_merchant_id and k.idempotency_key = p_key;

  if v_existing.request_hash <> v_hash then
    raise exception using
      errcode = 'PT409',
      message = 'idempotency_key was already used with a different request body',
      detail = 'idempotency_key',
      hint = 'send the same body again to get the first response, or use a new idempotency_key';
  end if;

  return v_existing.response || coalesce((
    select pg_catalog.jsonb_build_object('embed_signing_key', e.signing_key)
    from interview_private.embed_keys as e
    where e.embed_id = (v_existing.response ->> 'embed_id')::uuid
  ), '{}'::jsonb);
end
$$;

comment on function interview_private.claim_idempotency_key(uuid, text, jsonb) is
  'Claim an idempotency key for a merchant: null when newly claimed, the first response when the same body was sent before; PT409 for the same key with another body. Concurrent calls serialize on the key''s unique index.';

revoke all on function interview_private.claim_idempotency_key(uuid, text, jsonb) from public;
