-- The first field of a create request body that breaks its rule in the rule
-- table (interview_private.request_field_rules): the body's fields, its nested
-- objects (custom_scoring, pdf_export_auto_config, ...), every question and
-- every question's candidate_expectations_json, in that order. One set-based
-- query however many questions there are; each kind's checks are in one branch
-- of the CASE below.
--
-- Exact JSON types: a text must be a JSON string, a number a JSON number, a
-- boolean a JSON boolean; nothing is cast. A JSON null is an absent key.
--
-- Cost: the caller has checked the body's size, depth and numbers
-- (interview_private.assert_body_limits). Only strings are turned into text
-- here (a number or an object never is), the items of an array longer than its
-- limit are never looked at (the array is refused as a whole), and the edit
-- distance that suggests a missing required field runs for at most 10 unknown
-- keys of the body (a typo of it that the fallback overload ignored), each only
-- against a field of about its length.
--
-- What is ignored or adjusted (an unknown key of a scope that ignores them, an
-- empty item dropped, a fraction of a second rounded up) is no problem here:
-- interview_private.request_warnings names it.
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
declare
  c_blank constant text := E' \t\r\n';  -- what trimming removes
  c_max_question_keys constant integer := 64;
  c_suggested_keys constant integer := 10;
begin
  with rules as materialized (
    select r.* from pg_catalog.unnest(interview_private.request_field_rule_list()) as r
  ),
  questions as (
    -- the items only of an array within its length: a longer one is refused as a whole
    -- keys: counted only for an object big enough to hold more than the limit (each
    -- key costs at least 8 bytes of jsonb: its entry and its value's), else null
    select q.n - 1 as i, q.item, pg_catalog.jsonb_typeof(q.item) as json_type,
           case when pg_catalog.jsonb_typeof(q.item) = 'object'
                     and pg_catalog.pg_column_size(q.item) >= 8 * (c_max_question_keys + 1)
                then (select count(*) from pg_catalog.jsonb_object_keys(q.item)) end as keys
    from pg_catalog.jsonb_array_elements(
      case when pg_catalog.jsonb_typeof(p_body -> 'questions') = 'array'
                and pg_catalog.jsonb_array_length(p_body -> 'questions') <= (
                  select r.max_items from rules as r where r.scope = 'body' and r.field = 'questions')
           then p_body -> 'questions' end
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
    where q.json_type = 'string' or (q.json_type = 'object' and coalesce(q.keys, 0) <= c_max_question_keys)
    union all
    select 1 + q.i, 1, 'candidate_expectations', pg_catalog.format('questions[%s].candidate_expectations_json', q.i),
           q.item -> 'candidate_expectations_json'
    from questions as q
    where pg_catalog.jsonb_typeof(q.item -> 'candidate_expectations_json') = 'object'
  ),
  present as (
    -- the text of strings only: a number or an object as text could be huge
    select ob.n, ob.part, ob.scope, ob.prefix, e.key, e.value, t.json_type, s.raw_text,
           case when r.trimmed then pg_catalog.btrim(s.raw_text, c_blank) else s.raw_text end as text,
           r.ordinal, r.kind, r.required, r.min_length, r.max_length, r.min_value, r.max_value, r.max_items,
           r.allowed, r.pattern, r.hint
    from objects as ob
    cross join lateral pg_catalog.jsonb_each(ob.obj) as e (key, value)
    cross join lateral (select pg_catalog.jsonb_typeof(e.value) as json_type) as t
    cross join lateral (select case when t.json_type = 'string' then e.value #>> '{}' end as raw_text) as s
    left join rules as r on r.scope = ob.scope and r.field = e.key and r.field <> '*'  -- a key "*" is no rule
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
       or (q.json_type = 'string' and pg_catalog.btrim(q.item #>> '{}', c_blank) = '')

    union all

    -- a question object with more keys than any client sends (each would be named in a warning)
    select 1 + q.i, 0, -1, '', null,
           pg_catalog.format('has %s keys; a question object takes at most %s', q.keys, c_max_question_keys),
           'the question fields, and a few keys of your own (ignored)',
           pg_catalog.format('questions[%s]', q.i), true
    from questions as q
    where q.keys > c_max_question_keys

    union all

    -- a required field that is absent or null; the hint suggests an unknown key of the
    -- body (ignored by the fallback overload) that is a near miss of it
    select ob.n, ob.part, r.ordinal, r.field, null, 'is required',
           coalesce(pg_catalog.format('did you mean %s? (%s was sent, which is not a field and was ignored); ',
                                      r.field, near.key), '') || r.hint,
           ob.prefix, false
    from objects as ob
    join rules as r on r.scope = ob.scope and r.required
    left join lateral (
      select u.key
      from (
        select k.key
        from pg_catalog.jsonb_object_keys(ob.obj) as k (key)
        where ob.scope = 'body'
          and not exists (select from rules as f where f.scope = 'body' and f.field = k.key and f.field <> '*')
        limit c_suggested_keys
      ) as u
      cross join lateral (select interview_private.near_miss_distance(u.key, r.field) as distance) as d
      where d.distance is not null
      order by d.distance, u.key
      limit 1
    ) as near on true
    where coalesce(pg_catalog.jsonb_typeof(ob.obj -> r.field), 'null') = 'null'

    union all

    -- a present value, in one pass: a known field's value that breaks its rule, an
    -- item of an array of texts that breaks it, or a key its scope does not know
    -- (refused where the scope is closed; where it ignores them, named in a warning
    -- instead). Each branch runs only for its own rows.
    select p.n, p.part, coalesce(p.ordinal, 0), p.key, v.item, v.problem, v.hint, p.prefix, false
    from present as p
    cross join lateral (
      select null::integer as item,
             case p.kind
               when 'text' then case
                 when p.json_type <> 'string' then 'must be a string'
                 when p.min_length > 0 and p.text = '' then 'must not be empty'
                 when pg_catalog.char_length(p.text) < p.min_length then
                   pg_catalog.format('must be %s to %s characters long (it has %s)', p.min_length, p.max_length,
                                     pg_catalog.char_length(p.text))
                 when pg_catalog.char_length(p.text) > p.max_length then
                   pg_catalog.format('must be at most %s characters long (it has %s)', p.max_length, pg_catalog.char_length(p.text))
                 when p.pattern is not null and p.text <> '' and p.text !~ p.pattern then
                   'must be an absolute http or https URL with a host'
               end
               when 'enum' then case
                 when p.json_type <> 'string' then 'must be a string'
                 when not (p.raw_text = any (p.allowed)) then
                   pg_catalog.format('must be one of %s (got %s)', pg_catalog.array_to_string(p.allowed, ', '),
                                     pg_catalog.left(p.raw_text, 60))
               end
               when 'uuid' then case
                 when p.json_type <> 'string' then 'must be a string'
                 when p.raw_text !~ p.pattern then pg_catalog.format('must be a UUID (got %s)', pg_catalog.left(p.raw_text, 60))
               end
               when 'language' then case
                 when p.json_type <> 'string' then 'must be a string'
                 when p.raw_text !~ p.pattern then
                   pg_catalog.format('must be a platform language code (got %s)', pg_catalog.left(p.raw_text, 60))
               end
               when 'datetime' then case
                 when p.json_type <> 'string' then 'must be a string'
                 when p.raw_text !~ p.pattern then 'must be an ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM:SSZ)'
               end
               when 'integer' then case
                 when p.json_type <> 'number' then 'must be a number'
                 when p.value::numeric % 1 <> 0 then
                   pg_catalog.format('must be a whole number (got %s)', p.value)
                 when p.value::numeric not between p.min_value and p.max_value then
                   pg_catalog.format('must be between %s and %s (got %s)', p.min_value, p.max_value, p.value)
               end
               when 'seconds' then case
                 when p.json_type <> 'number' then 'must be a number'
                 when p.value::numeric <= p.min_value or p.value::numeric > p.max_value then
                   pg_catalog.format('must be more than %s and at most %s seconds (got %s)', p.min_value, p.max_value, p.value)
               end
               when 'number' then case
                 when p.json_type <> 'number' then 'must be a number'
                 when p.value::numeric not between p.min_value and p.max_value then
                   pg_catalog.format('must be between %s and %s (got %s)', p.min_value, p.max_value, p.value)
               end
               when 'boolean' then case
                 when p.json_type <> 'boolean' then 'must be true or false'
               end
               when 'object' then case
                 when p.json_type <> 'object' then 'must be a JSON object'
                 when p.max_length is not null and pg_catalog.pg_column_size(p.value) > p.max_length then
                   pg_catalog.format('must be at most %s bytes (it has %s)', p.max_length, pg_catalog.pg_column_size(p.value))
               end
               when 'company' then case
                 when p.json_type not in ('object', 'string') then 'must be a JSON object or a string'
                 when p.json_type = 'string' and pg_catalog.char_length(pg_catalog.btrim(p.raw_text, c_blank)) > p.max_length then
                   pg_catalog.format('must be at most %s characters long (it has %s)', p.max_length,
                                     pg_catalog.char_length(pg_catalog.btrim(p.raw_text, c_blank)))
               end
               when 'string_array' then case
                 when p.json_type <> 'array' then 'must be an array'
                 when pg_catalog.jsonb_array_length(p.value) > p.max_items then
                   pg_catalog.format('must have at most %s items (it has %s)', p.max_items, pg_catalog.jsonb_array_length(p.value))
               end
               when 'questions' then case
                 when p.json_type <> 'array' then 'must be an array'
                 when pg_catalog.jsonb_array_length(p.value) = 0 then 'must contain at least one question'
                 when pg_catalog.jsonb_array_length(p.value) > p.max_items then
                   pg_catalog.format('must have at most %s items (it has %s)', p.max_items, pg_catalog.jsonb_array_length(p.value))
               end
             end as problem,
             p.hint
      where p.kind is not null

      union all

      select (e.i - 1)::integer,
             case
               when pg_catalog.jsonb_typeof(e.x) <> 'string' then 'must be a string'
               when pg_catalog.char_length(pg_catalog.btrim(e.x #>> '{}', c_blank)) < p.min_length then 'must not be empty'
               when pg_catalog.char_length(pg_catalog.btrim(e.x #>> '{}', c_blank)) > p.max_length then
                 pg_catalog.format('must be at most %s characters long (it has %s)', p.max_length,
                                   pg_catalog.char_length(pg_catalog.btrim(e.x #>> '{}', c_blank)))
             end,
             p.hint
      from pg_catalog.jsonb_array_elements(
             case when p.kind = 'string_array' and p.json_type = 'array'
                       and pg_catalog.jsonb_array_length(p.value) <= p.max_items
                  then p.value end
           ) with ordinality as e (x, i)
      where p.kind = 'string_array'  -- (a one-time filter: the function runs for these rows only)

      union all

      select null::integer, 'is not a known field', c.hint
      from rules as c
      where p.kind is null and c.scope = p.scope and c.field = '*' and c.kind = 'closed'
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
  'The first field of a create request body that breaks its rule in request_field_rules (body, nested objects, each question, each question''s expectations): its path, a message naming the field, and the rule''s hint (for a missing required field, with an ignored near-miss key as a suggestion); all null when every field is valid.';

revoke all on function interview_private.first_invalid_field(jsonb) from public;
