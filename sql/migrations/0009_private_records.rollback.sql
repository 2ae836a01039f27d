drop table interview_private.outbox_events;
drop table interview_private.idempotency_keys;
drop table interview_private.embed_keys;
