-- A relay's claim: up to p_limit due deliveries (pending, next_attempt_at
-- passed, endpoint enabled), taken fairly and leased: next_attempt_at moves
-- p_lease ahead, so a relay that dies leaves them due again when the lease ends.
--
-- Fair: at most one attempt in flight per endpoint (an endpoint with a lease
-- running, by any relay, is passed over), at most p_merchant_limit in flight per
-- merchant, and the merchants served in turn: the oldest due delivery of each
-- free endpoint is ranked within its merchant, and rank 1 of every merchant
-- comes before rank 2 of any. A merchant with many slow endpoints thus delays
-- only itself. Claims are serialised by a transaction advisory lock (they take
-- milliseconds), so two relays never lease two deliveries of one endpoint.
-- Returns what the relay needs to post each one, the endpoint's secrets
-- included (for the relay's own connection: no API role may execute it).
create or replace function interview_private.claim_webhook_deliveries(
  p_relay text,
  p_limit integer,
  p_lease interval,
  p_merchant_limit integer
)
returns table (
  delivery_id uuid,
  webhook_id text,
  attempt integer,
  endpoint_id uuid,
  merchant_id uuid,
  endpoint_url text,
  endpoint_secret bytea,
  endpoint_previous_secrets bytea[],
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
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('interview_private.claim_webhook_deliveries'));
  return query
  with in_flight as (
    select l.endpoint_id, e.merchant_id
    from interview_private.webhook_deliveries as l
    join public.webhook_endpoints as e on e.id = l.endpoint_id
    where l.status = 'pending' and l.claimed_by is not null and l.next_attempt_at > pg_catalog.clock_timestamp()
  ),
  busy_merchants as (
    select f.merchant_id, pg_catalog.count(*) as n from in_flight as f group by f.merchant_id
  ),
  first_per_endpoint as (
    select distinct on (d.endpoint_id) d.id, d.endpoint_id, e.merchant_id, d.next_attempt_at
    from interview_private.webhook_deliveries as d
    join public.webhook_endpoints as e on e.id = d.endpoint_id
    where d.status = 'pending'
      and d.next_attempt_at <= pg_catalog.clock_timestamp()
      and e.enabled
      and not exists (select from in_flight as f where f.endpoint_id = d.endpoint_id)
    order by d.endpoint_id, d.next_attempt_at, d.id
  ),
  ranked as (
    select p.id, p.next_attempt_at,
           pg_catalog.row_number() over (partition by p.merchant_id order by p.next_attempt_at, p.id)
             + coalesce(b.n, 0) as merchant_rank
    from first_per_endpoint as p
    left join busy_merchants as b on b.merchant_id = p.merchant_id
  ),
  chosen as (
    select r.id from ranked as r
    where r.merchant_rank <= p_merchant_limit
    order by r.merchant_rank, r.next_attempt_at, r.id
    limit p_limit
  ),
  due as (
    select d.id
    from interview_private.webhook_deliveries as d
    where d.id in (select c.id from chosen as c)
      and d.status = 'pending'
      and d.next_attempt_at <= pg_catalog.clock_timestamp()
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
         e.merchant_id,
         e.url,
         s.secret,
         array(select p.secret from interview_private.webhook_endpoint_previous_secrets as p
               where p.endpoint_id = c.endpoint_id and p.valid_until > pg_catalog.clock_timestamp()
               order by p.valid_until desc),
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

comment on function interview_private.claim_webhook_deliveries(text, integer, interval, integer) is
  $comment$Claim up to p_limit due webhook deliveries for relay p_relay, fairly, and lease them for p_lease.

At most one attempt in flight per endpoint and p_merchant_limit per merchant (across all relays); merchants are served in turn (the first due delivery of each free endpoint, ranked within its merchant). Returns the message id (msg_<delivery id>, the same for every attempt), the attempt number expected, the endpoint's URL, secret and the previous secrets still valid (24 hours after each rotation), and the event. For the relay's own connection only.$comment$;

revoke all on function interview_private.claim_webhook_deliveries(text, integer, interval, integer) from public;
