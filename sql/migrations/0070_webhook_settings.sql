-- The operator's webhook settings: one row, changed with a plain UPDATE by the
-- database owner (no API role may read or write it).
create table interview_private.webhook_settings (
  singleton boolean not null default true,
  max_endpoints_per_merchant integer not null default 20,
  allow_private_targets boolean not null default false,
  disable_failing_after interval not null default interval '5 days',
  retain_delivered interval not null default interval '30 days',
  updated_at timestamptz not null default pg_catalog.now(),
  constraint webhook_settings_pkey primary key (singleton),
  constraint webhook_settings_singleton check (singleton),
  constraint webhook_settings_max_endpoints_positive check (max_endpoints_per_merchant between 1 and 10000),
  constraint webhook_settings_disable_failing_after_positive check (disable_failing_after > interval '0'),
  constraint webhook_settings_retain_delivered_positive check (retain_delivered > interval '0')
);

insert into interview_private.webhook_settings default values;

comment on table interview_private.webhook_settings is
  $comment$The operator's webhook settings: one row (update interview_private.webhook_settings set ...).

max_endpoints_per_merchant (20): webhook_endpoint_create refuses more (PT409). allow_private_targets (false): webhook_endpoint_create refuses http:// URLs unless true; the relay's --allow-private-targets is the same decision for the relay (development and tests only). disable_failing_after (5 days): an endpoint whose every attempt failed for this long is disabled, with the reason in webhook_endpoints.disabled_reason. retain_delivered (30 days): delivered deliveries, their attempts and published outbox events older than this are pruned (interview-db prune, and every relay once an hour).$comment$;

alter table interview_private.webhook_settings enable row level security;
revoke all on table interview_private.webhook_settings from public, anon, authenticated, service_role;
