-- The fallback overload: PostgREST calls a function's single unnamed jsonb
-- overload with the whole body when no named signature matches the body's keys,
-- i.e. when the body has a key the RPC does not know. Instead of PostgREST's
-- 404 PGRST202 the caller gets one 422 that names every unknown key, suggests
-- the closest known field and lists the accepted ones. Writes nothing.
create or replace function public.job_interview_create_from_array(jsonb)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  c_listed constant integer := 10;
  v_fields text[];
  v_unknown record;
begin
  select pg_catalog.array_agg(r.field order by r.ordinal) into v_fields
  from interview_private.request_field_rules() as r
  where r.scope = 'body' and r.kind <> 'closed';

  if pg_catalog.jsonb_typeof($1) is distinct from 'object' then
    perform interview_private.raise_invalid(
      '$', 'the request body must be a JSON object',
      'an object with the fields ' || pg_catalog.array_to_string(v_fields, ', ')
    );
  end if;

  select count(*) as total,
         min(u.key) as first_key,
         pg_catalog.string_agg(
           u.key || coalesce(' (did you mean ' || u.suggestion || '?)', ''),
           ', ' order by u.key
         ) filter (where u.rank <= c_listed) as listed
  into v_unknown
  from (
    select k.key, pg_catalog.row_number() over (order by k.key) as rank,
           (
             select f.field
             from pg_catalog.unnest(v_fields) as f (field)
             cross join lateral (
               select interview_private.edit_distance(pg_catalog.lower(k.key), f.field) as distance
             ) as d
             where pg_catalog.char_length(k.key) <= 64
               and d.distance <= greatest(2, pg_catalog.char_length(f.field) / 4)
             order by d.distance, f.field
             limit 1
           ) as suggestion
    from pg_catalog.jsonb_object_keys($1) as k (key)
    where not k.key = any (v_fields)
  ) as u;

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

comment on function public.job_interview_create_from_array(jsonb) is
  $comment$Explain a request body with unknown fields (instead of a 404).

PostgREST calls this overload when the body of POST /rpc/job_interview_create_from_array has a key that is not a parameter of the named function. It answers 422 naming every unknown field, with the closest known field where one is near (nmae -> name) and the accepted fields in the hint. It never writes.$comment$;

revoke all on function public.job_interview_create_from_array(jsonb) from public, anon;
grant execute on function public.job_interview_create_from_array(jsonb) to authenticated, service_role;
