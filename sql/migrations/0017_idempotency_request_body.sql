-- An idempotency record keeps the first request's body as a JSON value, so a
-- repeated body is recognised by JSON equality (1 and 1.0 are the same number,
-- key order does not count) instead of by the hash of its text. Records made
-- before keep their hash.
alter table interview_private.idempotency_keys
  add column request jsonb,
  alter column request_hash drop not null,
  add constraint idempotency_keys_request_present check (request is not null or request_hash is not null);

comment on column interview_private.idempotency_keys.request is
  'The first request''s body (without idempotency_key), compared as a JSON value with a repeated one.';
