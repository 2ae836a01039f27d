-- The one way a 401 is raised: PT401, so PostgREST answers 401 with {code,
-- message, details, hint}; the same shape as interview_private.raise_invalid
-- (detail, message, hint). For a call that names no user
-- (interview_private.authorize_caller) and for an embed token that is refused
-- (public.verify_embed_token: the detail is the reason). VOLATILE on purpose,
-- as interview_private.raise_invalid: raising is its effect.
create or replace function interview_private.raise_unauthenticated(p_reason text, p_message text, p_hint text)
returns void
language plpgsql
volatile
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception using
    errcode = 'PT401',
    message = p_message,
    detail = p_reason,
    hint = p_hint;
end
$$;

comment on function interview_private.raise_unauthenticated(text, text, text) is
  $comment$Raise an authentication error: SQLSTATE PT401 (HTTP 401).

detail = the reason (for a call without a user, see interview_private.authorize_caller; for embed tokens malformed, unsupported_alg, unknown_key, bad_signature or expired), message = what is wrong, hint = what to send instead.$comment$;

revoke all on function interview_private.raise_unauthenticated(text, text, text) from public;
