-- Idempotency: claim (merchant, key) for this request, or find the first call's
-- response. Called as soon as the caller and the target merchant are known,
-- before the rest of the body is validated and before any reference is looked
-- up, so a replay returns the first response whatever changed since (a
-- template deactivated, a date that has passed). The unique key does the
-- locking: a concurrent call with the same key waits on the first one's insert
-- until it commits (then finds its response) or rolls back (then claims the key
-- itself). No sleeps, no retry loops.
--
-- Bodies are compared as JSON values (jsonb equality: 1 and 1.0 are the same
-- number, key order does not count). Returns null when the key is newly claimed
-- (go on and create), else the first response (with the embed signing key read
-- back from embed_keys). The same key with a different body is PT409.
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
  v_existing record;
begin
  insert into interview_private.idempotency_keys (merchant_id, idempotency_key, request)
  values (p_merchant_id, p_key, p_request)
  on conflict (merchant_id, idempotency_key) do nothing;
  if found then
    return null;
  end if;

  select k.request, k.request_hash, k.response into v_existing
  from interview_private.idempotency_keys as k
  where k.merchant_id = p_merchant_id and k.idempotency_key = p_key;

  -- records made before bodies were kept as JSON hold the hash of the body's text
  if not coalesce(v_existing.request = p_request,
                  v_existing.request_hash = pg_catalog.sha256(pg_catalog.convert_to(p_request::text, 'UTF8'))) then
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
  'Claim an idempotency key for a merchant before the body is validated: null when newly claimed, the first response when an equal body (as a JSON value) was sent before; PT409 for the same key with another body. Concurrent calls serialize on the key''s unique index.';

revoke all on function interview_private.claim_idempotency_key(uuid, text, jsonb) from public;
