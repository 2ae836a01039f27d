-- Records no API role may read: embed signing keys, idempotency records and the
-- outbox of events. RLS is on with no policies, and API roles have neither usage
-- on the schema nor grants on the tables.
create table interview_private.embed_keys (
  embed_id uuid not null,
  interview_def_set_id uuid not null,
  signing_key text not null,
  created_at timestamptz not null default now(),
  constraint embed_keys_pkey primary key (embed_id),
  constraint embed_keys_interview_def_set_id_key unique (interview_def_set_id),
  constraint embed_keys_interview_def_set_id_fkey foreign key (interview_def_set_id)
    references public.interview_def_set (id) on delete cascade,
  constraint embed_keys_signing_key_format check (signing_key ~ '^[0-9a-f]{64}$')
);

comment on table interview_private.embed_keys is
  'Embed credentials of an embedded interview set: the signing key is 32 random bytes, hex-encoded. Secret: never readable by API roles, never logged.';

create table interview_private.idempotency_keys (
  merchant_id uuid not null,
  idempotency_key text not null,
  request_hash bytea not null,
  interview_def_set_id uuid,
  response jsonb,
  created_at timestamptz not null default now(),
  constraint idempotency_keys_pkey primary key (merchant_id, idempotency_key),
  constraint idempotency_keys_merchant_id_fkey foreign key (merchant_id)
    references public.merchants (id) on delete cascade,
  constraint idempotency_keys_interview_def_set_id_fkey foreign key (interview_def_set_id)
    references public.interview_def_set (id) on delete cascade,
  constraint idempotency_keys_key_length check (char_length(idempotency_key) between 1 and 200),
  constraint idempotency_keys_request_hash_length check (length(request_hash) = 32)
);

create index idempotency_keys_interview_def_set_id_idx on interview_private.idempotency_keys (interview_def_set_id);

comment on table interview_private.idempotency_keys is
  'One row per (merchant, idempotency_key): the SHA-256 of the first request''s body and its response, without the embed signing key (read from embed_keys on replay).';

create table interview_private.outbox_events (
  id bigint not null generated always as identity,
  event_type text not null,
  merchant_id uuid not null,
  interview_def_set_id uuid not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz,
  constraint outbox_events_pkey primary key (id),
  constraint outbox_events_event_type_known check (
    event_type in ('interview.created', 'interview.expectations_requested')
  ),
  constraint outbox_events_payload_object check (jsonb_typeof(payload) = 'object')
);

create index outbox_events_unpublished_idx on interview_private.outbox_events (id) where published_at is null;

comment on table interview_private.outbox_events is
  'Transactional outbox: events written in the same transaction as the change they announce, for webhook and AI workers to publish (published_at).';

alter table interview_private.embed_keys enable row level security;
alter table interview_private.idempotency_keys enable row level security;
alter table interview_private.outbox_events enable row level security;

revoke all on table interview_private.embed_keys, interview_private.idempotency_keys, interview_private.outbox_events
  from public, anon, authenticated, service_role;
revoke all on sequence interview_private.outbox_events_id_seq from public, anon, authenticated, service_role;
