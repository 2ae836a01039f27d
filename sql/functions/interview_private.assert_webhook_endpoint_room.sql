-- Refuse a webhook endpoint that would break a limit of its merchant: one
-- endpoint per (merchant, URL), and at most
-- webhook_settings.max_endpoints_per_merchant endpoints. Serialised per merchant
-- (a transaction advisory lock), so concurrent creates cannot pass the cap.
-- p_endpoint_id is the endpoint being changed (null for a new one).
create or replace function interview_private.assert_webhook_endpoint_room(
  p_merchant_id uuid,
  p_url text,
  p_endpoint_id uuid
)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_cap integer;
  v_count bigint;
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('webhook_endpoints:' || p_merchant_id::text));
  if exists (select from public.webhook_endpoints as e
             where e.merchant_id = p_merchant_id and e.url operator(pg_catalog.=) p_url
               and e.id is distinct from p_endpoint_id) then
    raise exception using
      errcode = 'PT409',
      message = 'This merchant already has a webhook endpoint with this url (one endpoint per merchant and url)',
      detail = 'url',
      hint = 'change the existing endpoint (webhook_endpoint_update) or use another url';
  end if;
  if p_endpoint_id is not null then
    return;
  end if;
  select s.max_endpoints_per_merchant into v_cap from interview_private.webhook_settings as s;
  select pg_catalog.count(*) into v_count from public.webhook_endpoints as e where e.merchant_id = p_merchant_id;
  if v_count >= coalesce(v_cap, 20) then
    raise exception using
      errcode = 'PT409',
      message = pg_catalog.format(
        'This merchant has %s webhook endpoints: max_endpoints_per_merchant is %s', v_count, coalesce(v_cap, 20)),
      detail = 'max_endpoints_per_merchant',
      hint = 'delete an endpoint (webhook_endpoint_delete), or ask the operator to raise webhook_settings.max_endpoints_per_merchant';
  end if;
end
$$;

comment on function interview_private.assert_webhook_endpoint_room(uuid, text, uuid) is
  $comment$Refuse (PT409) a second endpoint with the same url for a merchant, or one beyond webhook_settings.max_endpoints_per_merchant.

detail names what was hit: url or max_endpoints_per_merchant. Serialised per merchant by an advisory lock.$comment$;

revoke all on function interview_private.assert_webhook_endpoint_room(uuid, text, uuid) from public;
