-- The first field that breaks its rule, over a set of objects of one scope.
-- p_objects is a JSON array of [path prefix, object] pairs, so the body
-- ([["", body]]) and all questions ([["questions[0]", q0], ...]) are checked by
-- the same set-based query: one statement however many questions there are.
-- PL/pgSQL rather than SQL so that the query's plan is cached per session (a
-- SQL function that cannot be inlined is planned again on every call).
create or replace function interview_private.first_invalid_field(p_scope text, p_objects jsonb)
returns table (path text, message text, hint text)
language plpgsql
stable
parallel safe
set search_path = ''
as $$
#variable_conflict use_column
begin
  return query
  with rules as materialized (
    select r.*
    from interview_private.request_field_rules() as r
    where r.scope = p_scope
  ),
  objects as (
    select o.n, o.pair ->> 0 as prefix, o.pair -> 1 as obj
    from pg_catalog.jsonb_array_elements(p_objects) with ordinality as o (pair, n)
  ),
  present as (
    select ob.n, ob.prefix, e.key, e.value, pg_catalog.jsonb_typeof(e.value) as json_type,
           e.value #>> '{}' as raw_text,
           pg_catalog.btrim(e.value #>> '{}', E' \t\r\n') as trimmed
    from objects as ob, pg_catalog.jsonb_each(ob.obj) as e (key, value)
    where pg_catalog.jsonb_typeof(e.value) <> 'null'
  ),
  problems as (
    -- a required field that is absent or null
    select ob.n, r.ordinal, r.field, null::integer as item, 'is required' as problem, r.hint, ob.prefix
    from objects as ob
    cross join rules as r
    where r.required and coalesce(pg_catalog.jsonb_typeof(ob.obj -> r.field), 'null') = 'null'

    union all

    -- a key the scope does not know, where the scope is closed
    select p.n, 0, p.key, null, 'is not a known field', c.hint, p.prefix
    from present as p
    join rules as c on c.kind = 'closed'
    where not exists (select from rules as k where k.field = p.key and k.kind <> 'closed')

    union all

    -- a present value that breaks its field's rule
    select p.n, r.ordinal, r.field, null, v.problem, r.hint, p.prefix
    from present as p
    join rules as r on r.field = p.key and r.kind <> 'closed'
    cross join lateral (
      select case
        when r.kind in ('text', 'markdown', 'key', 'uuid', 'enum', 'tone', 'language', 'url', 'datetime')
             and p.json_type <> 'string' then 'must be a string'
        when r.kind = 'handle' and p.json_type not in ('string', 'number') then 'must be a string'
        when r.kind in ('integer', 'number') and p.json_type <> 'number' then 'must be a number'
        when r.kind = 'boolean' and p.json_type <> 'boolean' then 'must be true or false'
        when r.kind = 'object' and p.json_type <> 'object' then 'must be a JSON object'
        when r.kind = 'company' and p.json_type not in ('object', 'string') then 'must be a JSON object or a string'
        when r.kind in ('string_array', 'questions') and p.json_type <> 'array' then 'must be an array'
        when r.kind = 'text' and r.min_length > 0 and p.trimmed = '' then 'must not be empty'
        when r.kind in ('text', 'handle') and pg_catalog.char_length(p.trimmed) > r.max_length then
          pg_catalog.format('must be at most %s characters long (it has %s)', r.max_length, pg_catalog.char_length(p.trimmed))
        when r.kind in ('markdown', 'url', 'tone') and pg_catalog.char_length(p.raw_text) > r.max_length then
          pg_catalog.format('must be at most %s characters long (it has %s)', r.max_length, pg_catalog.char_length(p.raw_text))
        when r.kind = 'key' and pg_catalog.char_length(p.raw_text) not between r.min_length and r.max_length then
          pg_catalog.format('must be %s to %s characters long (it has %s)', r.min_length, r.max_length, pg_catalog.char_length(p.raw_text))
        when r.kind = 'enum' and not (p.raw_text = any (r.allowed)) then
          pg_catalog.format('must be one of %s (got %s)', pg_catalog.array_to_string(r.allowed, ', '), pg_catalog.left(p.value::text, 60))
        when r.kind = 'uuid' and p.raw_text !~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' then
          pg_catalog.format('must be a UUID (got %s)', pg_catalog.left(p.value::text, 60))
        when r.kind = 'language' and p.raw_text !~ '^[a-z]{2,3}$' then
          pg_catalog.format('must be a platform language code (got %s)', pg_catalog.left(p.value::text, 60))
        when r.kind = 'integer' and p.value::numeric % 1 <> 0 then
          pg_catalog.format('must be a whole number (got %s)', pg_catalog.left(p.value::text, 60))
        when r.kind in ('integer', 'number') and p.value::numeric not between r.min_value and r.max_value then
          pg_catalog.format('must be between %s and %s (got %s)', r.min_value, r.max_value, pg_catalog.left(p.value::text, 60))
        when r.kind = 'url' and p.raw_text !~* '^https?://[^/?#@[:space:][:cntrl:]]+(:[0-9]{1,5})?([/?#][^[:space:][:cntrl:]]*)?$' then
          'must be an absolute http or https URL'
        when r.kind = 'datetime'
             and p.raw_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$' then
          'must be an ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM:SSZ)'
        when r.kind = 'object' and r.max_length is not null and pg_catalog.octet_length(p.value::text) > r.max_length then
          pg_catalog.format('must be at most %s bytes of JSON (it has %s)', r.max_length, pg_catalog.octet_length(p.value::text))
        when r.kind = 'questions' and pg_catalog.jsonb_array_length(p.value) = 0 then 'must contain at least one question'
        when r.kind in ('string_array', 'questions') and pg_catalog.jsonb_array_length(p.value) > r.max_items then
          pg_catalog.format('must have at most %s items (it has %s)', r.max_items, pg_catalog.jsonb_array_length(p.value))
      end as problem
    ) as v
    where v.problem is not null

    union all

    -- an item of an array of texts
    select p.n, r.ordinal, r.field, (e.i - 1)::integer, v.problem, r.hint, p.prefix
    from present as p
    join rules as r on r.field = p.key and r.kind = 'string_array'
    cross join lateral pg_catalog.jsonb_array_elements(case when p.json_type = 'array' then p.value end)
      with ordinality as e (x, i)
    cross join lateral (
      select case
        when pg_catalog.jsonb_typeof(e.x) <> 'string' then 'must be a string'
        when pg_catalog.char_length(pg_catalog.btrim(e.x #>> '{}', E' \t\r\n')) < r.min_length then 'must not be empty'
        when pg_catalog.char_length(pg_catalog.btrim(e.x #>> '{}', E' \t\r\n')) > r.max_length then
          pg_catalog.format('must be at most %s characters long (it has %s)', r.max_length,
                            pg_catalog.char_length(pg_catalog.btrim(e.x #>> '{}', E' \t\r\n')))
      end as problem
    ) as v
    where v.problem is not null
  )
  select q.path, q.path || ' ' || q.problem, q.hint
  from (
    select pr.*, case when pr.prefix = '' then pr.field else pr.prefix || '.' || pr.field end
                 || coalesce('[' || pr.item || ']', '') as path
    from problems as pr
  ) as q
  order by q.n, q.ordinal, q.field, q.item nulls first
  limit 1;
end
$$;

comment on function interview_private.first_invalid_field(text, jsonb) is
  'The first violation of the request_field_rules of one scope over [path prefix, object] pairs: its path, a message naming the field, and the hint of the rule. No row when everything is valid.';

revoke all on function interview_private.first_invalid_field(text, jsonb) from public;
