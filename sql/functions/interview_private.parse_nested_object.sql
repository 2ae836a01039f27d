-- A valid nested object of a create request (custom_scoring,
-- pdf_export_auto_config, candidate_expectations_json) as it is stored: null
-- members dropped (a JSON null is an absent key), keys its scope ignores
-- dropped (named in the warnings, interview_private.request_warnings), and the
-- empty items of its arrays of texts whose rule drops them (min_length 0)
-- removed; every other member kept as sent.
create or replace function interview_private.parse_nested_object(p_object jsonb, p_scope text)
returns jsonb
language plpgsql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  c_blank constant text := E' \t\r\n';  -- what trimming removes
begin
  if p_object is null then
    return null;
  end if;
  return (
    with rules as (
      select r.* from pg_catalog.unnest(interview_private.request_field_rule_list()) as r where r.scope = p_scope
    )
    select coalesce(pg_catalog.jsonb_object_agg(
             e.key,
             case when r.kind = 'string_array' and r.min_length = 0 then (
               select coalesce(pg_catalog.jsonb_agg(a.x order by a.i), '[]'::jsonb)
               from pg_catalog.jsonb_array_elements(e.value) with ordinality as a (x, i)
               where pg_catalog.btrim(a.x #>> '{}', c_blank) <> '')
             else e.value end), '{}'::jsonb)
    from pg_catalog.jsonb_each(p_object) as e (key, value)
    left join rules as r on r.field = e.key and r.field <> '*'
    where pg_catalog.jsonb_typeof(e.value) <> 'null'
      and (r.field is not null or not exists (
             select from rules as o where o.field = '*' and o.kind in ('ignored', 'closed')))
  );
end
$$;

comment on function interview_private.parse_nested_object(jsonb, text) is
  'A valid nested object of a create request as stored: null members and the keys its scope ignores dropped, empty items of its droppable arrays of texts removed, the rest as sent.';

revoke all on function interview_private.parse_nested_object(jsonb, text) from public;
