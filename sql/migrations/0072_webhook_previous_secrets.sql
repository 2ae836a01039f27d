-- Every previous signing secret of an endpoint whose 24-hour window is still
-- open (two rotations in a day keep both old secrets), instead of one column.
create table interview_private.webhook_endpoint_previous_secrets (
  endpoint_id uuid not null,
  secret bytea not null,
  valid_until timestamptz not null,
  constraint webhook_endpoint_previous_secrets_pkey primary key (endpoint_id, valid_until, secret),
  constraint webhook_endpoint_previous_secrets_endpoint_id_fkey foreign key (endpoint_id)
    references public.webhook_endpoints (id) on delete cascade,
  constraint webhook_endpoint_previous_secrets_secret_length check (pg_catalog.octet_length(secret) = 32)
);

insert into interview_private.webhook_endpoint_previous_secrets (endpoint_id, secret, valid_until)
select s.endpoint_id, s.previous_secret, s.previous_valid_until
from interview_private.webhook_endpoint_secrets as s
where s.previous_secret is not null;

alter table interview_private.webhook_endpoint_secrets
  drop constraint webhook_endpoint_secrets_previous_complete,
  drop constraint webhook_endpoint_secrets_previous_secret_length,
  drop column previous_secret,
  drop column previous_valid_until;

comment on table interview_private.webhook_endpoint_previous_secrets is
  $comment$The previous signing secrets of webhook endpoints, each valid until valid_until (24 hours after the rotation that replaced it).

Messages carry one signature per secret still valid, so a receiver may switch at any moment of each window. Rows past valid_until sign nothing and are pruned. Secret: never readable by API roles, never logged.$comment$;

alter table interview_private.webhook_endpoint_previous_secrets enable row level security;
revoke all on table interview_private.webhook_endpoint_previous_secrets from public, anon, authenticated, service_role;
