delete from interview_private.idempotency_keys where request_hash is null;
alter table interview_private.idempotency_keys
  drop constraint idempotency_keys_request_present,
  alter column request_hash set not null,
  drop column request;
