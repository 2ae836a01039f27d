delete from interview_private.outbox_events where event_type = 'webhook.test';

alter table public.webhook_endpoints
  drop constraint webhook_endpoints_event_types_known,
  add constraint webhook_endpoints_event_types_known check (
    pg_catalog.cardinality(event_types) >= 1
    and event_types operator(pg_catalog.<@) array['interview.created', 'interview.expectations_requested']::text[]
  );

alter table interview_private.outbox_events
  drop constraint outbox_events_interview_def_set_id_present,
  drop constraint outbox_events_event_type_known,
  alter column interview_def_set_id set not null,
  add constraint outbox_events_event_type_known check (
    event_type in ('interview.created', 'interview.expectations_requested')
  );

comment on column public.webhook_endpoints.event_types is
  'The event types this endpoint receives: interview.created, interview.expectations_requested.';

-- The validation reads the enum: without it the function cannot run (migrate re-creates it).
drop function interview_private.valid_webhook_event_types(text, text[]);
drop type interview_private.webhook_event_type;
