-- The first field of a create request that breaks its rule in the rule table
-- (interview_private.request_field_rules): the body's fields, its nested objects
-- (custom_scoring, pdf_export_auto_config, ...), every question and every
-- question's candidate_expectations_json, in that order. One set-based query
-- however many questions there are; each kind's checks are in one branch of
-- the CASE below. PL/pgSQL rather than SQL so that the plan is cached per
-- session (a SQL function that cannot be inlined is planned on every call).
create or replace function interview_private.first_invalid_field(
  p_body jsonb,
  out path text,
  out message text,
  out hint text
)
language plpgsql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  with rules as materialized (
    select r.* from pg_catalog.unnest(interview_private.request_field_rule_list()) as r
  ),
  questions as (
    select q.n - 1 as i, q.item, pg_catalog.jsonb_typeof(q.item) as json_type
    from pg_catalog.jsonb_array_elements(
      case when pg_catalog.jsonb_typeof(p_body -> 'questions') = 'array' then p_body -> 'questions' end
    ) with ordinality as q (item, n)
  ),
  objects as (
    -- (n, part) orders the objects: the body, its nested objects, then each question and its nested object
    select 0 as n, 0 as part, 'body' as scope, '' as prefix, p_body as obj
    union all
    select 0, r.ordinal, r.nested_scope, r.field, p_body -> r.field
    from rules as r
    where r.scope = 'body' and r.nested_scope is not null and r.kind <> 'questions'
      and pg_catalog.jsonb_typeof(p_body -> r.field) = 'object'
    union all
    select 1 + q.i, 0, 'question', pg_catalog.format('questions[%s]', q.i),
           case when q.json_type = 'string' then pg_catalog.jsonb_build_object('question', q.item) else q.item end
    from questions as q
    where q.json_type in ('object', 'string')
    union all
    select 1 + q.i, 1, 'candidate_expectations', pg_catalog.format('questions[%s].candidate_expectations_json', q.i),
           q.item -> 'candidate_expectations_json'
    from questions as q
    where pg_catalog.jsonb_typeof(q.item -> 'candidate_expectations_json') = 'object'
  ),
  present as (
    -- the text of scalars only: an object or array as text could be huge (a
    -- number such as 1e100000 is a few bytes of jsonb and 100000 digits of text)
    select ob.n, ob.part, ob.scope, ob.prefix, e.key, e.value, t.json_type,
           case when t.json_type in ('string', 'number', 'boolean') then e.value #>> '{}' end as raw_text,
           case when t.json_type in ('string', 'number', 'boolean')
                then pg_catalog.btrim(e.value #>> '{}', E' \t\r\n') end as trimmed
    from objects as ob
    cross join lateral pg_catalog.jsonb_each(ob.obj) as e (key, value)
    cross join lateral (select pg_catalog.jsonb_typeof(e.value) as json_type) as t
    where t.json_type <> 'null'
  ),
  problems as (
    -- a question item that is neither an object nor a non-empty string
    select 1 + q.i as n, 0 as part, -1 as ordinal, '' as field, null::integer as item,
           'must be a question object or a non-empty string' as problem,
           'an object with a "question" text, e.g. {"question": "Tell us about yourself"}, or a plain string' as hint,
           pg_catalog.format('questions[%s]', q.i) as prefix, true as whole
    from questions as q
    where q.json_type not in ('object', 'string')
       or (q.json_type = 'string' and pg_catalog.btrim(q.item #>> '{}', E' \t\r\n') = '')

    union all

    -- a required field that is absent or null
    select ob.n, ob.part, r.ordinal, r.field, null, 'is required', r.hint, ob.prefix, false
    from objects as ob
    join rules as r on r.scope = ob.scope and r.required
    where coalesce(pg_catalog.jsonb_typeof(ob.obj -> r.field), 'null') = 'null'

    union all

    -- a key the scope does not know, where the scope is closed
    select p.n, p.part, 0, p.key, null, 'is not a known field', c.hint, p.prefix, false
    from present as p
    join rules as c on c.scope = p.scope and c.kind = 'closed'
    where not exists (select from rules as k where k.scope = p.scope and k.field = p.key and k.kind <> 'closed')

    union all

    -- a present value that breaks its field's rule
    select p.n, p.part, r.ordinal, r.field, null, v.problem, r.hint, p.prefix, false
    from present as p
    join rules as r on r.scope = p.scope and r.field = p.key and r.kind <> 'closed'
    cross join lateral (
      select case r.kind
        when 'text' then case
          when p.json_type <> 'string' then 'must be a string'
          when r.min_length > 0 and p.trimmed = '' then 'must not be empty'
          when pg_catalog.char_length(p.trimmed) > r.max_length then
            pg_catalog.format('must be at most %s characters long (it has %s)', r.max_length, pg_catalog.char_length(p.trimmed))
        end
        when 'handle' then case
          when p.json_type not in ('string', 'number') then 'must be a string'
          when pg_catalog.char_length(p.trimmed) > r.max_length then
            pg_catalog.format('must be at most %s characters long (it has %s)', r.max_length, pg_catalog.char_length(p.trimmed))
        end
        when 'enum' then case
          when p.json_type <> 'string' then 'must be a string'
          when not (p.raw_text = any (r.allowed)) then
            pg_catalog.format('must be one of %s (got %s)', pg_catalog.array_to_string(r.allowed, ', '), pg_catalog.left(p.value::text, 60))
        end
        when 'uuid' then case
          when p.json_type <> 'string' then 'must be a string'
          when p.raw_text !~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' then
            pg_catalog.format('must be a UUID (got %s)', pg_catalog.left(p.value::text, 60))
        end
        when 'language' then case
          when p.json_type <> 'string' then 'must be a string'
          when p.raw_text !~ '^[a-z]{2,3}$' then
            pg_catalog.format('must be a platform language code (got %s)', pg_catalog.left(p.value::text, 60))
        end
        when 'integer' then case
          when p.json_type <> 'number' then 'must be a number'
          when p.value::numeric % 1 <> 0 then
            pg_catalog.format('must be a whole number (got %s)', pg_catalog.left(p.value::text, 60))
          when p.value::numeric not between r.min_value and r.max_value then
            pg_catalog.format('must be between %s and %s (got %s)', r.min_value, r.max_value, pg_catalog.left(p.value::text, 60))
        end
        when 'number' then case
          when p.json_type <> 'number' then 'must be a number'
          when p.value::numeric not between r.min_value and r.max_value then
            pg_catalog.format('must be between %s and %s (got %s)', r.min_value, r.max_value, pg_catalog.left(p.value::text, 60))
        end
        when 'boolean' then case
          when p.json_type <> 'boolean' then 'must be true or false'
        end
        when 'markdown' then case
          when p.json_type <> 'string' then 'must be a string'
          when pg_catalog.char_length(p.raw_text) > r.max_length then
            pg_catalog.format('must be at most %s characters long (it has %s)', r.max_length, pg_catalog.char_length(p.raw_text))
        end
        when 'tone' then case
          when p.json_type <> 'string' then 'must be a string'
          when pg_catalog.char_length(p.raw_text) > r.max_length then
            pg_catalog.format('must be at most %s characters long (it has %s)', r.max_length, pg_catalog.char_length(p.raw_text))
        end
        when 'key' then case
          when p.json_type <> 'string' then 'must be a string'
          when pg_catalog.char_length(p.raw_text) not between r.min_length and r.max_length then
            pg_catalog.format('must be %s to %s characters long (it has %s)', r.min_length, r.max_length, pg_catalog.char_length(p.raw_text))
        end
        when 'url' then case
          when p.json_type <> 'string' then 'must be a string'
          when pg_catalog.char_length(p.raw_text) > r.max_length then
            pg_catalog.format('must be at most %s characters long (it has %s)', r.max_length, pg_catalog.char_length(p.raw_text))
          when p.raw_text !~* '^https?://[^/?#@[:space:][:cntrl:]]+(:[0-9]{1,5})?([/?#][^[:space:][:cntrl:]]*)?$' then
            'must be an absolute http or https URL'
        end
        when 'datetime' then case
          when p.json_type <> 'string' then 'must be a string'
          when p.raw_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$' then
            'must be an ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM:SSZ)'
        end
        when 'object' then case
          when p.json_type <> 'object' then 'must be a JSON object'
          when r.max_length is not null and pg_catalog.pg_column_size(p.value) > r.max_length then
            pg_catalog.format('must be at most %s bytes (it has %s)', r.max_length, pg_catalog.pg_column_size(p.value))
        end
        when 'company' then case
          when p.json_type not in ('object', 'string') then 'must be a JSON object or a string'
        end
        when 'string_array' then case
          when p.json_type <> 'array' then 'must be an array'
          when pg_catalog.jsonb_array_length(p.value) > r.max_items then
            pg_catalog.format('must have at most %s items (it has %s)', r.max_items, pg_catalog.jsonb_array_length(p.value))
        end
        when 'questions' then case
          when p.json_type <> 'array' then 'must be an array'
          when pg_catalog.jsonb_array_length(p.value) = 0 then 'must contain at least one question'
          when pg_catalog.jsonb_array_length(p.value) > r.max_items then
            pg_catalog.format('must have at most %s items (it has %s)', r.max_items, pg_catalog.jsonb_array_length(p.value))
        end
      end as problem
    ) as v
    where v.problem is not null

    union all

    -- an item of an array of texts
    select p.n, p.part, r.ordinal, r.field, (e.i - 1)::integer, v.problem, r.hint, p.prefix, false
    from present as p
    join rules as r on r.scope = p.scope and r.field = p.key and r.kind = 'string_array'
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
  into path, message, hint
  from (
    select pr.*,
           case when pr.whole then pr.prefix
                when pr.prefix = '' then pr.field
                else pr.prefix || '.' || pr.field end
           || coalesce('[' || pr.item || ']', '') as path
    from problems as pr
  ) as q
  order by q.n, q.part, q.ordinal, q.field, q.item nulls first
  limit 1;
end
$$;

comment on function interview_private.first_invalid_field(jsonb) is
  'The first field of a create request body that breaks its rule in request_field_rules (body, nested objects, each question, each question''s expectations): its path, a message naming the field, and the rule''s hint; all null when every field is valid.';

revoke all on function interview_private.first_invalid_field(jsonb) from public;
