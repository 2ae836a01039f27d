-- The fallback overload: PostgREST calls a function's single unnamed json or
-- jsonb overload with the whole body when no named signature matches the
-- body's keys, i.e. when the body has a key the RPC does not know. Instead of
-- PostgREST's 404 PGRST202 the caller gets one 422 that names every unknown
-- key, suggests the closest known field (nmae -> name) and lists the accepted
-- ones. Writes nothing.
--
-- Its one parameter is json, not jsonb: every named parameter of the RPC is
-- jsonb, so a one-argument call with a jsonb value would match both overloads
-- (PostgreSQL: "function is not unique"); with json it matches this one only.
--
-- Hardened like the RPC, cheapest first: the caller (the same 401 and 403),
-- then the same body limits, then at most 10 unknown keys get a suggestion
-- from PostgreSQL's own edit distance (fuzzystrmatch), bounded per key.
create or replace function public.job_interview_create_from_array(json)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  c_listed constant integer := 10;
  v_body jsonb;
  v_fields text[];
  v_unknown record;
begin
  perform interview_private.current_caller();

  v_body := $1::jsonb;
  perform interview_private.assert_body_limits(
    case when pg_catalog.jsonb_typeof(v_body) = 'object'
         then array(select e.value from pg_catalog.jsonb_each(v_body) as e)
         else array[v_body] end,
    pg_catalog.pg_column_size(v_body)
  );

  select pg_catalog.array_agg(r.field order by r.ordinal) into v_fields
  from pg_catalog.unnest(interview_private.request_field_rule_list()) as r
  where r.scope = 'body' and r.field <> '*';

  if pg_catalog.jsonb_typeof(v_body) is distinct from 'object' then
    perform interview_private.raise_invalid(
      '$', 'the request body must be a JSON object',
      'an object with the fields ' || pg_catalog.array_to_string(v_fields, ', ')
    );
  end if;

  with unknown as (
    select k.key
    from pg_catalog.jsonb_object_keys(v_body) as k (key)
    where k.key not in (select f.field from pg_catalog.unnest(v_fields) as f (field))  -- hashed
  ),
  listed as (
    select u.key from unknown as u order by u.key limit c_listed
  )
  select (select count(*) from unknown) as total,
         (select min(l.key) from listed as l) as first_key,
         (select pg_catalog.string_agg(
                   l.key || coalesce(' (did you mean ' || s.field || '?)', ''), ', ' order by l.key)
          from listed as l
          left join lateral (
            select f.field
            from pg_catalog.unnest(v_fields) as f (field)
            cross join lateral (
              select greatest(2, pg_catalog.char_length(f.field) / 4) as most
            ) as d
            where pg_catalog.char_length(l.key) <= 64
              and pg_catalog.abs(pg_catalog.char_length(l.key) - pg_catalog.char_length(f.field)) <= d.most
              and extensions.levenshtein_less_equal(pg_catalog.lower(l.key), f.field, d.most) <= d.most
            order by extensions.levenshtein_less_equal(pg_catalog.lower(l.key), f.field, d.most), f.field
            limit 1
          ) as s on true) as listed
  into v_unknown;

  if v_unknown.total = 0 then
    perform interview_private.raise_invalid(
      '$',
      'the body has no unknown field but was sent as one JSON value; call job_interview_create_from_array with named arguments',
      'POST the fields as a JSON object: PostgREST passes each as a named argument'
    );
  end if;

  perform interview_private.raise_invalid(
    v_unknown.first_key,
    pg_catalog.format(
      'Unknown field%s in the request body: %s%s',
      case when v_unknown.total > 1 then 's' else '' end,
      v_unknown.listed,
      case when v_unknown.total > c_listed then pg_catalog.format(' and %s more', v_unknown.total - c_listed) else '' end
    ),
    'accepted fields: ' || pg_catalog.array_to_string(v_fields, ', ')
  );
  return null;
end
$$;

comment on function public.job_interview_create_from_array(json) is
  $comment$Explain a request body with unknown fields (instead of a 404).

PostgREST calls this overload when the body of POST /rpc/job_interview_create_from_array has a key that is not a parameter of the named function. It checks the caller (401, 403) and the body's limits as the named function does, then answers 422 naming every unknown field, with the closest known field where one is near (nmae -> name) for the first ten, and the accepted fields in the hint. It never writes.$comment$;

revoke all on function public.job_interview_create_from_array(json) from public, anon;
grant execute on function public.job_interview_create_from_array(json) to authenticated, service_role;
