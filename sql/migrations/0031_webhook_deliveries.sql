-- Deliveries of the outbox's events to webhook endpoints, and every attempt.
-- One delivery per (event, endpoint), written by a trigger on outbox_events in
-- the transaction that writes the event (so an event can never exist without
-- its deliveries); the relay (interview-db relay) claims due deliveries with
-- FOR UPDATE SKIP LOCKED, leases them through next_attempt_at, and records each
-- attempt. Nothing here is readable by API roles.
create table interview_private.webhook_deliveries (
  id uuid not null default pg_catalog.gen_random_uuid(),
  event_id bigint not null,
  endpoint_id uuid not null,
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default pg_catalog.now(),
  claimed_by text,
  last_status_code integer,
  last_error text,
  created_at timestamptz not null default pg_catalog.now(),
  delivered_at timestamptz,
  dead_at timestamptz,
  constraint webhook_deliveries_pkey primary key (id),
  constraint webhook_deliveries_event_id_endpoint_id_key unique (event_id, endpoint_id),
  constraint webhook_deliveries_event_id_fkey foreign key (event_id)
    references interview_private.outbox_events (id) on delete cascade,
  constraint webhook_deliveries_endpoint_id_fkey foreign key (endpoint_id)
    references public.webhook_endpoints (id) on delete cascade,
  constraint webhook_deliveries_status_known check (status in ('pending', 'delivered', 'dead')),
  constraint webhook_deliveries_attempts_not_negative check (attempts >= 0),
  constraint webhook_deliveries_delivered_at_iff_delivered check ((status = 'delivered') = (delivered_at is not null)),
  constraint webhook_deliveries_dead_at_iff_dead check ((status = 'dead') = (dead_at is not null))
);

create index webhook_deliveries_endpoint_id_idx on interview_private.webhook_deliveries (endpoint_id);
create index webhook_deliveries_due_idx on interview_private.webhook_deliveries (next_attempt_at)
  where status = 'pending';
create index webhook_deliveries_dead_idx on interview_private.webhook_deliveries (dead_at)
  where status = 'dead';

comment on table interview_private.webhook_deliveries is
  $comment$One delivery of an outbox event to a webhook endpoint, until a 2xx (delivered) or the attempt limit (dead).

Due when pending and next_attempt_at has passed. A relay's claim moves next_attempt_at one lease ahead, so a relay that dies leaves its deliveries due again when the lease ends; a recorded failure moves it by the backoff. The Standard Webhooks message id is msg_ and this id without dashes: the same for every attempt.$comment$;
comment on column interview_private.webhook_deliveries.claimed_by is
  'The relay that holds the current lease (null once an attempt is recorded or the lease is released).';

create table interview_private.webhook_attempts (
  id bigint not null generated always as identity,
  delivery_id uuid not null,
  attempt integer not null,
  relay text not null,
  started_at timestamptz not null,
  latency_ms integer not null,
  status_code integer,
  outcome text not null,
  error text,
  recorded_at timestamptz not null default pg_catalog.clock_timestamp(),
  constraint webhook_attempts_pkey primary key (id),
  constraint webhook_attempts_delivery_id_fkey foreign key (delivery_id)
    references interview_private.webhook_deliveries (id) on delete cascade,
  constraint webhook_attempts_outcome_known check (outcome in ('delivered', 'failed', 'refused')),
  constraint webhook_attempts_latency_not_negative check (latency_ms >= 0),
  constraint webhook_attempts_error_length check (pg_catalog.char_length(error) <= 1000)
);

create index webhook_attempts_delivery_id_idx on interview_private.webhook_attempts (delivery_id, attempt);

comment on table interview_private.webhook_attempts is
  $comment$Every recorded attempt of a webhook delivery: outcome, HTTP status, latency, error.

outcome: delivered (a 2xx), failed (another status, a timeout, a closed connection), refused (the relay would not connect: a non-public address or http without --allow-private-targets).$comment$;

alter table interview_private.webhook_deliveries enable row level security;
alter table interview_private.webhook_attempts enable row level security;

revoke all on table interview_private.webhook_deliveries, interview_private.webhook_attempts
  from public, anon, authenticated, service_role;
revoke all on sequence interview_private.webhook_attempts_id_seq from public, anon, authenticated, service_role;

-- Created here so that the trigger can name it; its body lives in
-- sql/functions/interview_private.webhook_fan_out.sql, which migrate applies
-- right after the migrations.
create function interview_private.webhook_fan_out()
returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  return null;
end
$$;

revoke all on function interview_private.webhook_fan_out() from public;

create trigger outbox_events_webhook_fan_out
  after insert on interview_private.outbox_events
  for each row execute function interview_private.webhook_fan_out();
