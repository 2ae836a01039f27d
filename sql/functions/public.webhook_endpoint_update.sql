-- Change a webhook endpoint: its URL, event types, description, or enabled
-- (a null argument leaves the value as it is). Disabling stops new deliveries
-- and holds the pending ones until it is enabled again.
--
-- SECURITY DEFINER: the caller has no write grants on public.webhook_endpoints.
-- Executable by authenticated on purpose (merchant owners and admins call it
-- through PostgREST); splinter's authenticated_security_definer_function_executable
-- is accepted for it.
create or replace function public.webhook_endpoint_update(
  endpoint_id uuid,
  url text default null,
  event_types text[] default null,
  enabled boolean default null,
  description text default null
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_current public.webhook_endpoints;
  v_event_types text[];
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.webhook_endpoint_update(
      endpoint_id => $1,
      url => $2,
      event_types => $3,
      enabled => $4,
      description => $5
    );
  end if;
  perform interview_private.managed_webhook_endpoint(webhook_endpoint_update.endpoint_id);
  select e.* into v_current from public.webhook_endpoints as e where e.id = webhook_endpoint_update.endpoint_id;

  v_event_types := interview_private.valid_webhook_event_types(
    coalesce(webhook_endpoint_update.url, v_current.url),
    coalesce(webhook_endpoint_update.event_types, v_current.event_types));
  if pg_catalog.char_length(webhook_endpoint_update.description) > 500 then
    perform interview_private.raise_invalid('description', 'description must be at most 500 characters', null);
  end if;
  if webhook_endpoint_update.url is not null then
    perform interview_private.assert_webhook_endpoint_room(v_current.merchant_id, webhook_endpoint_update.url,
                                                           v_current.id);
  end if;

  update public.webhook_endpoints as e
  set url = coalesce(webhook_endpoint_update.url, e.url),
      event_types = v_event_types,
      enabled = coalesce(webhook_endpoint_update.enabled, e.enabled),
      failing_since = case when webhook_endpoint_update.enabled then null else e.failing_since end,
      disabled_at = case when webhook_endpoint_update.enabled then null else e.disabled_at end,
      disabled_reason = case when webhook_endpoint_update.enabled then null else e.disabled_reason end,
      description = coalesce(webhook_endpoint_update.description, e.description),
      updated_at = pg_catalog.now()
  where e.id = webhook_endpoint_update.endpoint_id
  returning e.* into v_current;

  return pg_catalog.to_jsonb(v_current);
end
$$;

comment on function public.webhook_endpoint_update(uuid, text, text[], boolean, text) is
  $comment$Change a webhook endpoint's url, event_types, enabled or description (null leaves a value as it is).

For merchant owners and admins who may act for the endpoint's merchant (others: 404). Returns the endpoint, without its secret. Enabling clears disabled_reason and failing_since. 409 for a url the merchant already has. SECURITY DEFINER, executable by authenticated on purpose (splinter's authenticated_security_definer_function_executable is accepted).$comment$;

revoke all on function public.webhook_endpoint_update(uuid, text, text[], boolean, text)
  from public, anon, authenticated, service_role;
grant execute on function public.webhook_endpoint_update(uuid, text, text[], boolean, text) to authenticated;
