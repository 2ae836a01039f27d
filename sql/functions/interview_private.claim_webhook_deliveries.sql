-- A relay's claim: up to p_limit due deliveries (pending, next_attempt_at
-- passed, endpoint enabled), locked with FOR UPDATE SKIP LOCKED so that
-- concurrent relays take disjoint rows, then leased: next_attempt_at moves
-- p_lease ahead, so a relay that dies leaves them due again when the lease ends.
-- Returns what the relay needs to post each one, the endpoint's secret included
-- (this function is for the relay's own connection: no API role may execute it).
create or replace function interview_private.claim_webhook_deliveries(p_relay text, p_limit integer, p_lease interval)
returns table (
  delivery_id uuid,
  webhook_id text,
  attempt integer,
  endpoint_id uuid,
  endpoint_url text,
  endpoint_secret bytea,
  endpoint_previous_secret bytea,
  event_id bigint,
  event_type text,
  event_payload jsonb,
  event_created_at timestamptz
)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  return query
  with due as (
    select d.id
    from interview_private.webhook_deliveries as d
    join public.webhook_endpoints as e on e.id = d.endpoint_id
    where d.status = 'pending'
      and d.next_attempt_at <= pg_catalog.clock_timestamp()
      and e.enabled
    order by d.next_attempt_at
    limit p_limit
    for update of d skip locked
  ),
  claimed as (
    update interview_private.webhook_deliveries as d
    set next_attempt_at = pg_catalog.clock_timestamp() + p_lease,
        claimed_by = p_relay
    from due
    where d.id = due.id
    returning d.id, d.attempts, d.endpoint_id, d.event_id
  )
  select c.id,
         'msg_' || pg_catalog.replace(c.id::text, '-', ''),
         c.attempts + 1,
         c.endpoint_id,
         e.url,
         s.secret,
         case when s.previous_valid_until > pg_catalog.clock_timestamp() then s.previous_secret end,
         o.id,
         o.event_type,
         o.payload,
         o.created_at
  from claimed as c
  join public.webhook_endpoints as e on e.id = c.endpoint_id
  join interview_private.webhook_endpoint_secrets as s on s.endpoint_id = c.endpoint_id
  join interview_private.outbox_events as o on o.id = c.event_id
  order by o.id, c.id;
end
$$;

comment on function interview_private.claim_webhook_deliveries(text, integer, interval) is
  $comment$Claim up to p_limit due webhook deliveries for relay p_relay and lease them for p_lease.

FOR UPDATE SKIP LOCKED: concurrent relays never claim the same delivery. Returns the message id (msg_<delivery id>, the same for every attempt), the attempt number, the endpoint's URL, secret and previous secret (within 24 hours of a rotation), and the event. For the relay's own connection only.$comment$;

revoke all on function interview_private.claim_webhook_deliveries(text, integer, interval) from public;
