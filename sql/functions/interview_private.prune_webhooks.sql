-- Retention: delete what is final and older than webhook_settings.retain_delivered
-- (or p_older_than): delivered deliveries with their attempts, then published
-- outbox events none of whose deliveries remain, and previous secrets past their
-- window. Pending and dead deliveries are kept (a dead one may be replayed), and
-- so is every event that still has one. Sets published_at on events that have
-- no pending delivery (those that had no endpoint to go to). At most p_limit
-- rows of each kind per call, so a transaction stays short: call again while
-- it returns p_limit.
create or replace function interview_private.prune_webhooks(p_older_than interval default null, p_limit integer default 10000)
returns table (deliveries integer, events integer, published integer)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_cutoff timestamptz;
begin
  select pg_catalog.now() - coalesce(p_older_than, s.retain_delivered) into v_cutoff
  from interview_private.webhook_settings as s;

  with old as (
    select d.id from interview_private.webhook_deliveries as d
    where d.status = 'delivered' and d.delivered_at < v_cutoff
    order by d.delivered_at
    limit p_limit
  )
  delete from interview_private.webhook_deliveries as d using old where d.id = old.id;
  get diagnostics deliveries = row_count;

  with done as (
    select o.id from interview_private.outbox_events as o
    where o.published_at is null
      and not exists (select from interview_private.webhook_deliveries as d
                      where d.event_id = o.id and d.status = 'pending')
    order by o.id
    limit p_limit
  )
  update interview_private.outbox_events as o set published_at = pg_catalog.now()
  from done where o.id = done.id;
  get diagnostics published = row_count;

  with old as (
    select o.id from interview_private.outbox_events as o
    where o.published_at < v_cutoff
      and o.created_at < v_cutoff
      and not exists (select from interview_private.webhook_deliveries as d where d.event_id = o.id)
    order by o.published_at
    limit p_limit
  )
  delete from interview_private.outbox_events as o using old where o.id = old.id;
  get diagnostics events = row_count;

  delete from interview_private.webhook_endpoint_previous_secrets as p where p.valid_until <= pg_catalog.now();
  return next;
end
$$;

comment on function interview_private.prune_webhooks(interval, integer) is
  $comment$Delete delivered webhook deliveries (with their attempts) and published outbox events older than webhook_settings.retain_delivered (30 days), or p_older_than.

Keeps every pending and dead delivery and every event that still has a delivery; sets published_at on events with no pending delivery; drops previous secrets past their window. At most p_limit rows of each kind per call. Returns how many deliveries and events were deleted and events marked published. Run by every relay once an hour, by interview-db prune, or by pg_cron. For the owner's connection only.$comment$;

revoke all on function interview_private.prune_webhooks(interval, integer) from public;
