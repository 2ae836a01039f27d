-- The schema PostgREST never exposes: helpers, secrets and bookkeeping.
create schema interview_private;

comment on schema interview_private is
  'Not exposed by PostgREST: validation and building helpers of the interview RPC, embed signing keys, idempotency records and the outbox. API roles have no usage on it.';

revoke all on schema interview_private from public;
