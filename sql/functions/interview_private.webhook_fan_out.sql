-- The trigger on interview_private.outbox_events: one webhook delivery per
-- enabled endpoint of the event's merchant that subscribes to its type, written
-- in the same transaction as the event, and a notification that wakes the
-- relays (delivered at commit, dropped on rollback).
create or replace function interview_private.webhook_fan_out()
returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  insert into interview_private.webhook_deliveries (event_id, endpoint_id)
  select new.id, e.id
  from public.webhook_endpoints as e
  where e.merchant_id = new.merchant_id
    and e.enabled
    and new.event_type operator(pg_catalog.=) any (e.event_types);
  if found then
    perform pg_catalog.pg_notify('interview_webhooks', new.id::text);
  end if;
  return null;
end
$$;

comment on function interview_private.webhook_fan_out() is
  $comment$Trigger of outbox_events: one delivery per enabled, subscribed endpoint of the event's merchant.

Runs in the transaction that writes the event, so an event never exists without its deliveries; notifies channel interview_webhooks so that waiting relays start at once.$comment$;

revoke all on function interview_private.webhook_fan_out() from public;
