-- The fallback overload: PostgREST calls a function's single unnamed json or
-- jsonb overload with the whole body when no named signature matches the
-- body's keys, i.e. when the body has a key the RPC does not know. The existing
-- API ignores keys it does not know (keys copied from a sibling endpoint or
-- echoed from a stored model), so instead of PostgREST's 404 PGRST202 the
-- interview is created from the known keys, exactly as the named function
-- would, and each unknown key is named in the response's warnings (ignored_key,
-- with the closest field as suggestion where one is near: nmae -> name). A typo
-- of a required field still gets the 422 for the missing field, with that
-- suggestion in its hint (interview_private.first_invalid_field).
--
-- Its one parameter is json, not jsonb: every named parameter of the RPC is
-- jsonb, so a one-argument call with a jsonb value would match both overloads
-- (PostgreSQL: "function is not unique"); with json it matches this one only,
-- and the body's keys keep the order they were sent in (the warnings follow it).
--
-- Hardened like the RPC, cheapest first: the caller (the same 401 and 403),
-- then the same body limits before any key is compared; suggestions are
-- computed for at most 10 unknown keys (interview_private.request_warnings).
-- Idempotency compares the whole body sent, unknown keys included.
create or replace function public.job_interview_create_from_array(json)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_body jsonb;
  v_positions jsonb;
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.job_interview_create_from_array($1);
  end if;
  perform interview_private.authorize_caller('create_interview');

  v_body := $1::jsonb;
  perform interview_private.assert_body_limits(
    case when pg_catalog.jsonb_typeof(v_body) = 'object'
         then array(select e.value from pg_catalog.jsonb_each(v_body) as e)
         else array[v_body] end,
    pg_catalog.pg_column_size(v_body)
  );

  if pg_catalog.jsonb_typeof(v_body) is distinct from 'object' then
    perform interview_private.raise_invalid(
      '$', 'the request body must be a JSON object',
      'an object with the fields ' || (
        select pg_catalog.string_agg(r.field, ', ' order by r.ordinal)
        from pg_catalog.unnest(interview_private.request_field_rule_list()) as r
        where r.scope = 'body' and r.field <> '*')
    );
  end if;

  -- a JSON null is an absent key, as PostgREST hands the named function its
  -- arguments; the keys' order as sent orders the warnings
  select pg_catalog.jsonb_object_agg(k.key, k.n) into v_positions
  from pg_catalog.json_object_keys($1) with ordinality as k (key, n);

  return interview_private.create_interview(
    v_body - array(select e.key from pg_catalog.jsonb_each(v_body) as e where pg_catalog.jsonb_typeof(e.value) = 'null'),
    v_positions
  );
end
$$;

comment on function public.job_interview_create_from_array(json) is
  $comment$Create an interview from a request body with unknown fields (instead of a 404).

PostgREST calls this overload when the body of POST /rpc/job_interview_create_from_array has a key that is not a parameter of the named function. It checks the caller (401, 403) and the body's limits as the named function does, then creates the interview from the known keys exactly as the named function would, and names each unknown key in the response's warnings (ignored_key, with the closest field as suggestion where one is near, for the first ten). A typo of a required field gets the 422 for the missing field, with the suggestion in its hint.$comment$;

revoke all on function public.job_interview_create_from_array(json) from public, anon;
grant execute on function public.job_interview_create_from_array(json) to authenticated, service_role;
