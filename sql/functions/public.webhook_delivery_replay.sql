-- Send a dead webhook delivery again: it becomes pending and due at once, with
-- a fresh attempt budget; its earlier attempts stay (numbering goes on).
--
-- SECURITY DEFINER: deliveries live in interview_private, which API roles cannot
-- reach. Executable by authenticated on purpose (merchant owners and admins);
-- splinter's authenticated_security_definer_function_executable is accepted.
create or replace function public.webhook_delivery_replay(delivery_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_delivery interview_private.webhook_deliveries;
  v_merchant_id uuid;
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.webhook_delivery_replay(delivery_id => $1);
  end if;
  -- Authorized before anything is locked (another tenant's id locks nothing), then
  -- the endpoint's row and the delivery's, in the order the relay and the delete take them.
  select e.merchant_id into v_merchant_id
  from interview_private.webhook_deliveries as d
  join public.webhook_endpoints as e on e.id = d.endpoint_id
  where d.id = webhook_delivery_replay.delivery_id;
  if v_merchant_id is null then
    raise exception using
      errcode = 'PT404',
      message = 'No webhook delivery with this delivery_id that you may manage',
      detail = 'delivery_id',
      hint = 'the id of a delivery of your merchant''s endpoints (webhook_endpoint_deliveries)';
  end if;
  perform interview_private.webhook_manager_merchant(v_merchant_id, 'delivery_id');
  perform
  from public.webhook_endpoints as e
  where e.id = (select d.endpoint_id from interview_private.webhook_deliveries as d
                where d.id = webhook_delivery_replay.delivery_id)
  for no key update;
  select d.* into v_delivery
  from interview_private.webhook_deliveries as d
  where d.id = webhook_delivery_replay.delivery_id
  for update;
  if not found then
    raise exception using
      errcode = 'PT404',
      message = 'No webhook delivery with this delivery_id that you may manage',
      detail = 'delivery_id',
      hint = 'the id of a delivery of your merchant''s endpoints (webhook_endpoint_deliveries)';
  end if;
  if v_delivery.status <> 'dead' then
    raise exception using
      errcode = 'PT409',
      message = pg_catalog.format('Only a dead delivery can be replayed; this one is %s', v_delivery.status),
      detail = 'delivery_id',
      hint = 'a pending delivery is still being tried; a delivered one arrived';
  end if;

  update interview_private.webhook_deliveries as d
  set status = 'pending', dead_at = null, attempts = 0, claimed_by = null,
      next_attempt_at = pg_catalog.clock_timestamp()
  where d.id = v_delivery.id;
  update interview_private.outbox_events as o set published_at = null where o.id = v_delivery.event_id;
  perform pg_catalog.pg_notify('interview_webhooks', v_delivery.event_id::text);
  return pg_catalog.jsonb_build_object(
    'id', v_delivery.id, 'webhook_id', 'msg_' || pg_catalog.replace(v_delivery.id::text, '-', ''),
    'status', 'pending');
end
$$;

comment on function public.webhook_delivery_replay(uuid) is
  $comment$Replay a dead webhook delivery: pending again, due now, with a fresh attempt budget and the same webhook-id.

For merchant owners and admins who may act for the endpoint's merchant (others, and an unknown id: 404); 409 when the delivery is not dead. Returns {id, webhook_id, status}. SECURITY DEFINER, executable by authenticated on purpose (splinter's authenticated_security_definer_function_executable is accepted).$comment$;

revoke all on function public.webhook_delivery_replay(uuid) from public, anon, authenticated, service_role;
grant execute on function public.webhook_delivery_replay(uuid) to authenticated;
