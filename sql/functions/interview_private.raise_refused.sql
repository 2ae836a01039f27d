-- The one way a 401 or a 403 is raised: SQLSTATE PT401 or PT403, so PostgREST
-- answers with that status and {code, message, details, hint}; the shape of
-- interview_private.raise_invalid (detail, message, hint) with the status
-- first. 401: the call names no user (interview_private.authorize_caller) or
-- its embed token is refused (public.verify_embed_token: the detail is the
-- reason). 403: the caller may not do this; the detail names what was refused
-- (role, or the field naming what the caller may not act on: merchant_id,
-- user_id, token). VOLATILE on purpose, as interview_private.raise_invalid:
-- raising is its effect.
create or replace function interview_private.raise_refused(p_status integer, p_detail text, p_message text, p_hint text)
returns void
language plpgsql
volatile
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception using
    errcode = case p_status when 401 then 'PT401' else 'PT403' end,
    message = p_message,
    detail = p_detail,
    hint = p_hint;
end
$$;

comment on function interview_private.raise_refused(integer, text, text, text) is
  $comment$Raise a refusal: p_status 401 (SQLSTATE PT401: who calls is not known) or 403 (PT403: they may not do this).

detail = the reason (for a call without a user, see interview_private.authorize_caller; for embed tokens malformed, unsupported_alg, unknown_key, bad_signature or expired) or what was refused (role, merchant_id, user_id, token), message = what is wrong, naming it, hint = what the caller may do instead.$comment$;

revoke all on function interview_private.raise_refused(integer, text, text, text) from public;
