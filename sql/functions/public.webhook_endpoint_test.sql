-- Send a signed test event (type webhook.test) to one endpoint now: an outbox
-- event and its one delivery, which the relay posts like any other.
--
-- SECURITY DEFINER: the outbox and deliveries live in interview_private.
-- Executable by authenticated on purpose (merchant owners and admins);
-- splinter's authenticated_security_definer_function_executable is accepted.
create or replace function public.webhook_endpoint_test(endpoint_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_endpoint public.webhook_endpoints;
  v_event_id bigint;
  v_delivery_id uuid;
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.webhook_endpoint_test(endpoint_id => $1);
  end if;
  perform interview_private.managed_webhook_endpoint(webhook_endpoint_test.endpoint_id);
  select e.* into v_endpoint from public.webhook_endpoints as e where e.id = webhook_endpoint_test.endpoint_id;
  if not v_endpoint.enabled then
    raise exception using
      errcode = 'PT409',
      message = 'This webhook endpoint is disabled: enable it to send a test event',
      detail = 'endpoint_id',
      hint = 'webhook_endpoint_update with enabled = true (see disabled_reason for why it was disabled)';
  end if;

  insert into interview_private.outbox_events (event_type, merchant_id, interview_def_set_id, payload)
  values ('webhook.test', v_endpoint.merchant_id, null,
          pg_catalog.jsonb_build_object('endpoint_id', v_endpoint.id, 'test', true))
  returning id into v_event_id;
  insert into interview_private.webhook_deliveries (event_id, endpoint_id)
  values (v_event_id, v_endpoint.id)
  returning id into v_delivery_id;
  perform pg_catalog.pg_notify('interview_webhooks', v_event_id::text);
  return pg_catalog.jsonb_build_object(
    'endpoint_id', v_endpoint.id, 'delivery_id', v_delivery_id,
    'webhook_id', 'msg_' || pg_catalog.replace(v_delivery_id::text, '-', ''), 'event_type', 'webhook.test');
end
$$;

comment on function public.webhook_endpoint_test(uuid) is
  $comment$Send a signed test event (webhook.test, data {endpoint_id, test: true}) to one enabled endpoint now.

Enqueued for the relay like any event. For merchant owners and admins who may act for the endpoint's merchant (others, and an unknown id: 404); 409 when the endpoint is disabled. Returns {endpoint_id, delivery_id, webhook_id, event_type}. SECURITY DEFINER, executable by authenticated on purpose (splinter's authenticated_security_definer_function_executable is accepted).$comment$;

revoke all on function public.webhook_endpoint_test(uuid) from public, anon, authenticated, service_role;
grant execute on function public.webhook_endpoint_test(uuid) to authenticated;
