-- The one way a validation failure is raised: PT422, so PostgREST answers 422
-- with {code, message, details, hint}. VOLATILE on purpose: raising is its
-- effect, and an IMMUTABLE function with constant arguments may be evaluated
-- by the planner (or by plpgsql_check) before the branch that calls it runs.
create or replace function interview_private.raise_invalid(p_path text, p_message text, p_hint text)
returns void
language plpgsql
volatile
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception using
    errcode = 'PT422',
    message = p_message,
    detail = p_path,
    hint = coalesce(p_hint, 'see the API documentation of job_interview_create_from_array');
end
$$;

comment on function interview_private.raise_invalid(text, text, text) is
  'Raise a validation error: SQLSTATE PT422 (HTTP 422), message = what is wrong (naming the field), detail = the field''s JSONPath-like path (questions[3].duration), hint = what is accepted.';

revoke all on function interview_private.raise_invalid(text, text, text) from public;
