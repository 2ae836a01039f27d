-- Merchant webhook endpoints: where the relay posts the outbox's events.
-- The endpoint itself (URL, event types, enabled) is a public table that members
-- read through RLS; its signing secret lives in interview_private, where no API
-- role can read it. Endpoints are created, changed and rotated only through the
-- SECURITY DEFINER RPCs public.webhook_endpoint_create, _update and
-- _rotate_secret (owners and admins), which return the secret once.
create table public.webhook_endpoints (
  id uuid not null default pg_catalog.gen_random_uuid(),
  merchant_id uuid not null,
  url text not null,
  event_types text[] not null,
  enabled boolean not null default true,
  description text,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  secret_rotated_at timestamptz not null default pg_catalog.now(),
  constraint webhook_endpoints_pkey primary key (id),
  constraint webhook_endpoints_merchant_id_fkey foreign key (merchant_id)
    references public.merchants (id) on delete cascade,
  constraint webhook_endpoints_url_format check (
    pg_catalog.char_length(url) <= 2048 and url ~ '^https?://[^/?#@\s]+([/?#]\S*)?$'
  ),
  constraint webhook_endpoints_event_types_known check (
    pg_catalog.cardinality(event_types) >= 1
    and event_types operator(pg_catalog.<@) array['interview.created', 'interview.expectations_requested']::text[]
  ),
  constraint webhook_endpoints_description_length check (pg_catalog.char_length(description) <= 500)
);

create index webhook_endpoints_merchant_id_idx on public.webhook_endpoints (merchant_id);

comment on table public.webhook_endpoints is
  $comment$Webhook endpoints of a merchant: where interview events are posted as Standard Webhooks messages.

Members read their merchant's endpoints (RLS, interview_access.may_act_for); the signing secret is not here but in interview_private.webhook_endpoint_secrets. Written only through the RPCs webhook_endpoint_create, webhook_endpoint_update and webhook_endpoint_rotate_secret.$comment$;
comment on column public.webhook_endpoints.url is
  'Absolute http(s) URL the relay posts to. The relay refuses http and non-public addresses unless started with --allow-private-targets.';
comment on column public.webhook_endpoints.event_types is
  'The event types this endpoint receives: interview.created, interview.expectations_requested.';
comment on column public.webhook_endpoints.enabled is
  'A disabled endpoint gets no new deliveries, and its pending ones wait until it is enabled again.';

create table interview_private.webhook_endpoint_secrets (
  endpoint_id uuid not null,
  secret bytea not null,
  previous_secret bytea,
  previous_valid_until timestamptz,
  created_at timestamptz not null default pg_catalog.now(),
  constraint webhook_endpoint_secrets_pkey primary key (endpoint_id),
  constraint webhook_endpoint_secrets_endpoint_id_fkey foreign key (endpoint_id)
    references public.webhook_endpoints (id) on delete cascade,
  constraint webhook_endpoint_secrets_secret_length check (pg_catalog.octet_length(secret) = 32),
  constraint webhook_endpoint_secrets_previous_secret_length check (pg_catalog.octet_length(previous_secret) = 32),
  constraint webhook_endpoint_secrets_previous_complete check ((previous_secret is null) = (previous_valid_until is null))
);

comment on table interview_private.webhook_endpoint_secrets is
  $comment$The signing secret of each webhook endpoint: 32 random bytes (extensions.gen_random_bytes).

Given to the merchant once, as whsec_<base64>, by webhook_endpoint_create and webhook_endpoint_rotate_secret. After a rotation the previous secret stays valid until previous_valid_until (24 hours): messages carry a signature with each, so receivers can switch without losing any. Secret: never readable by API roles, never logged.$comment$;

alter table public.webhook_endpoints enable row level security;
alter table interview_private.webhook_endpoint_secrets enable row level security;

revoke all on table public.webhook_endpoints, interview_private.webhook_endpoint_secrets
  from public, anon, authenticated, service_role;
grant select on table public.webhook_endpoints to authenticated, service_role;

create policy webhook_endpoints_select_members on public.webhook_endpoints
  for select to authenticated
  using (interview_access.may_act_for(merchant_id));
