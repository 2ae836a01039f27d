-- The one way a 403 is raised: PT403, so PostgREST answers 403 with {code,
-- message, details, hint}; the same shape as interview_private.raise_invalid
-- (detail, message, hint). detail names what was refused: role (the caller's
-- role may not do this), or the field whose value the caller may not act on
-- (merchant_id, user_id, token). VOLATILE on purpose, as
-- interview_private.raise_invalid: raising is its effect.
create or replace function interview_private.raise_forbidden(p_path text, p_message text, p_hint text)
returns void
language plpgsql
volatile
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception using
    errcode = 'PT403',
    message = p_message,
    detail = p_path,
    hint = p_hint;
end
$$;

comment on function interview_private.raise_forbidden(text, text, text) is
  $comment$Raise an authorization error: SQLSTATE PT403 (HTTP 403).

detail = what was refused (role, or the field naming what the caller may not act on: merchant_id, user_id, token), message = what is refused, naming it, hint = what the caller may do instead.$comment$;

revoke all on function interview_private.raise_forbidden(text, text, text) from public;
