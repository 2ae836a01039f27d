-- A merchant's view of one endpoint's deliveries, newest first, each with its
-- attempts (HTTP status, latency, error). Never a secret.
--
-- SECURITY DEFINER: deliveries and attempts live in interview_private, which API
-- roles cannot reach; the rows returned are those of an endpoint the caller may
-- manage (interview_private.managed_webhook_endpoint: the RLS policies' merchant set).
-- Executable by authenticated on purpose; splinter's
-- authenticated_security_definer_function_executable is accepted.
create or replace function public.webhook_endpoint_deliveries(
  endpoint_id uuid,
  status text default null,
  before timestamptz default null,
  max_rows integer default 50
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.webhook_endpoint_deliveries(
      endpoint_id => $1,
      status => $2,
      before => $3,
      max_rows => $4
    );
  end if;
  perform interview_private.managed_webhook_endpoint(webhook_endpoint_deliveries.endpoint_id);
  if webhook_endpoint_deliveries.status is not null
     and webhook_endpoint_deliveries.status not in ('pending', 'delivered', 'dead') then
    perform interview_private.raise_invalid('status', 'status must be pending, delivered or dead', 'pending, delivered, dead');
  end if;
  if webhook_endpoint_deliveries.max_rows is null or webhook_endpoint_deliveries.max_rows not between 1 and 500 then
    perform interview_private.raise_invalid('max_rows', 'max_rows must be between 1 and 500', '1 to 500 (default 50)');
  end if;

  return coalesce((
    select pg_catalog.jsonb_agg(x.row order by x.created_at desc, x.id)
    from (
      select d.id, d.created_at, pg_catalog.jsonb_build_object(
        'id', d.id, 'webhook_id', 'msg_' || pg_catalog.replace(d.id::text, '-', ''),
        'event_id', d.event_id, 'event_type', o.event_type, 'status', d.status, 'attempts', d.attempts,
        'next_attempt_at', case when d.status = 'pending' then d.next_attempt_at end,
        'last_status_code', d.last_status_code, 'last_error', d.last_error, 'created_at', d.created_at,
        'delivered_at', d.delivered_at, 'dead_at', d.dead_at,
        'attempt_log', coalesce((
          select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'attempt', a.attempt, 'started_at', a.started_at, 'outcome', a.outcome,
                   'status_code', a.status_code, 'latency_ms', a.latency_ms, 'error', a.error)
                 order by a.attempt)
          from interview_private.webhook_attempts as a where a.delivery_id = d.id), '[]'::jsonb)) as row
      from interview_private.webhook_deliveries as d
      join interview_private.outbox_events as o on o.id = d.event_id
      where d.endpoint_id = webhook_endpoint_deliveries.endpoint_id
        and (webhook_endpoint_deliveries.status is null or d.status = webhook_endpoint_deliveries.status)
        and (webhook_endpoint_deliveries.before is null or d.created_at < webhook_endpoint_deliveries.before)
      order by d.created_at desc, d.id
      limit webhook_endpoint_deliveries.max_rows
    ) as x), '[]'::jsonb);
end
$$;

comment on function public.webhook_endpoint_deliveries(uuid, text, timestamptz, integer) is
  $comment$One endpoint's webhook deliveries, newest first, each with its attempts (outcome, HTTP status, latency, error).

Filters: status (pending, delivered, dead), before (created before this time: the next page), max_rows (1 to 500, default 50). For merchant owners and admins who may act for the endpoint's merchant (others, and an unknown id: 404). Never returns a secret. SECURITY DEFINER, executable by authenticated on purpose (splinter's authenticated_security_definer_function_executable is accepted).$comment$;

revoke all on function public.webhook_endpoint_deliveries(uuid, text, timestamptz, integer)
  from public, anon, authenticated, service_role;
grant execute on function public.webhook_endpoint_deliveries(uuid, text, timestamptz, integer) to authenticated;
