-- The webhook event types, declared once: the enum interview_private.webhook_event_type.
-- The check constraints, interview_private.valid_webhook_event_types and the
-- documentation read it; a new type is one `alter type ... add value`.
-- webhook.test is not a subscribable type: webhook_endpoint_test sends it to one
-- endpoint, and it announces no interview (interview_def_set_id is null).
create type interview_private.webhook_event_type as enum (
  'interview.created',
  'interview.expectations_requested'
);

comment on type interview_private.webhook_event_type is
  $comment$The event types a webhook endpoint may subscribe to, in the order they are listed to merchants.

interview.created: an interview set was created. interview.expectations_requested: it was created without candidate expectations, which are to be derived. The one declaration of these names: constraints and validation read enum_range(null::interview_private.webhook_event_type).$comment$;

alter table interview_private.outbox_events
  drop constraint outbox_events_event_type_known,
  add constraint outbox_events_event_type_known check (
    event_type operator(pg_catalog.=) any (pg_catalog.enum_range(null::interview_private.webhook_event_type)::text[])
    or (event_type operator(pg_catalog.=) 'webhook.test' and interview_def_set_id is null)
  ),
  alter column interview_def_set_id drop not null,
  add constraint outbox_events_interview_def_set_id_present check (
    interview_def_set_id is not null or event_type operator(pg_catalog.=) 'webhook.test'
  );

alter table public.webhook_endpoints
  drop constraint webhook_endpoints_event_types_known,
  add constraint webhook_endpoints_event_types_known check (
    pg_catalog.cardinality(event_types) >= 1
    and event_types operator(pg_catalog.<@) pg_catalog.enum_range(null::interview_private.webhook_event_type)::text[]
  );

comment on column public.webhook_endpoints.event_types is
  'The event types this endpoint receives: values of interview_private.webhook_event_type.';
