-- The warnings of a valid create request body: what the call ignored or
-- adjusted, as the response's "warnings" (null when there is nothing to say).
-- Codes: ignored_key (a key of a scope whose rule '*' is ignored: the body as
-- the fallback overload hands it over, a question, custom_scoring,
-- pdf_export_auto_config), dropped_empty_item (an empty item of an array of
-- texts whose min_length is 0: tags, the expectation lists) and rounded (a
-- fraction of a second of a kind seconds field). Each is {path, code, message}
-- plus suggestion for an ignored key within a small edit distance of a field of
-- its scope (interview_private.near_miss_distance).
--
-- Order: the body's keys as sent when p_key_positions gives them (the fallback
-- overload reads them from the body's text), else in the rule table's order;
-- then question by question, each in the order of its fields, its ignored keys
-- last. At most 50 are listed, then one "truncated" warning with the count of
-- the rest.
--
-- Runs only for a body the quick check did not pass (a body that needs no
-- warning never gets here). Cost: one row per key of the body, its nested
-- objects and its questions (the walk has bounded those), no value turned into
-- text but the items of the arrays it checks; the edit distance runs for the
-- listed keys only, and at the top level for the first 10 of them.
create or replace function interview_private.request_warnings(
  p_body jsonb,
  p_key_positions jsonb default null
)
returns jsonb
language plpgsql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  c_blank constant text := E' \t\r\n';  -- what trimming removes
  c_listed constant integer := 50;
  c_suggested_body_keys constant integer := 10;
  v_warnings jsonb;
begin
  with rules as materialized (
    select r.* from pg_catalog.unnest(interview_private.request_field_rule_list()) as r
  ),
  questions as (
    select q.n - 1 as i, q.item
    from pg_catalog.jsonb_array_elements(
      case when pg_catalog.jsonb_typeof(p_body -> 'questions') = 'array' then p_body -> 'questions' end
    ) with ordinality as q (item, n)
  ),
  questions_rank as (
    select coalesce((p_key_positions ->> 'questions')::integer, r.ordinal) as top_rank
    from rules as r
    where r.scope = 'body' and r.field = 'questions'
  ),
  objects as (
    -- (top_rank, top, n, part) orders them: the body's keys (top_rank per key, below), its
    -- nested objects, then each question and its expectations; top_rank is the place of the
    -- top-level key in the body as sent (p_key_positions), else in the rule table
    select null::integer as top_rank, null::text as top, 0 as n, 0 as part, 'body' as scope, '' as prefix,
           p_body as obj
    union all
    select coalesce((p_key_positions ->> r.field)::integer, r.ordinal), r.field, 0, r.ordinal, r.nested_scope,
           r.field, p_body -> r.field
    from rules as r
    where r.scope = 'body' and r.kind = 'object' and r.nested_scope is not null
      and pg_catalog.jsonb_typeof(p_body -> r.field) = 'object'
    union all
    select (select k.top_rank from questions_rank as k), 'questions', 1 + q.i, 0, 'question',
           pg_catalog.format('questions[%s]', q.i), q.item
    from questions as q
    where pg_catalog.jsonb_typeof(q.item) = 'object'
    union all
    select (select k.top_rank from questions_rank as k), 'questions', 1 + q.i, 1, 'candidate_expectations',
           pg_catalog.format('questions[%s].candidate_expectations_json', q.i), q.item -> 'candidate_expectations_json'
    from questions as q
    where pg_catalog.jsonb_typeof(q.item -> 'candidate_expectations_json') = 'object'
  ),
  present as (
    select case when ob.top is null then coalesce((p_key_positions ->> e.key)::integer, r.ordinal, 2147483647)
                else ob.top_rank end as top_rank,
           coalesce(ob.top, e.key) as top, ob.n, ob.part, ob.scope, ob.prefix, e.key, e.value,
           r.ordinal, r.kind, r.min_length, o.kind as others
    from objects as ob
    cross join lateral pg_catalog.jsonb_each(ob.obj) as e (key, value)
    left join rules as r on r.scope = ob.scope and r.field = e.key and r.field <> '*'
    left join rules as o on o.scope = ob.scope and o.field = '*'
    where pg_catalog.jsonb_typeof(e.value) <> 'null'
  ),
  found as materialized (
    select p.top_rank, p.top, p.n, p.part, 2147483647 as ordinal, p.key, null::bigint as item, p.scope, p.prefix,
           'ignored_key' as code, null::text as detail
    from present as p
    where p.kind is null and p.others = 'ignored'
    union all
    select p.top_rank, p.top, p.n, p.part, p.ordinal, p.key, e.i - 1, p.scope, p.prefix, 'dropped_empty_item', null
    from present as p
    cross join lateral pg_catalog.jsonb_array_elements(
      case when p.kind = 'string_array' and p.min_length = 0 and pg_catalog.jsonb_typeof(p.value) = 'array'
           then p.value end
    ) with ordinality as e (x, i)
    where p.kind = 'string_array' and p.min_length = 0  -- (a one-time filter: the function runs for these rows only)
      and pg_catalog.jsonb_typeof(e.x) = 'string' and pg_catalog.btrim(e.x #>> '{}', c_blank) = ''
    union all
    select p.top_rank, p.top, p.n, p.part, p.ordinal, p.key, null, p.scope, p.prefix, 'rounded',
           pg_catalog.format('from %s to %s', pg_catalog.left(p.value::text, 40), pg_catalog.ceil(p.value::numeric))
    from present as p
    where p.kind = 'seconds' and pg_catalog.jsonb_typeof(p.value) = 'number' and p.value::numeric % 1 <> 0
  ),
  ordered as (
    -- the first 51 only (a top-N sort), and how many there are in all
    select f.*,
           pg_catalog.row_number() over (order by f.top_rank, f.top, f.n, f.part, f.ordinal, f.key, f.item) as rank,
           (select count(*) from found) as total
    from (
      select * from found as a
      order by a.top_rank, a.top, a.n, a.part, a.ordinal, a.key, a.item
      limit c_listed + 1
    ) as f
  ),
  listed as (
    select o.*,
           pg_catalog.row_number() over (partition by o.scope = 'body' order by o.rank) as scope_rank,
           case when o.prefix = '' then o.key else o.prefix || '.' || o.key end
           || coalesce('[' || o.item || ']', '') as path
    from ordered as o
    where o.rank <= c_listed
  )
  select pg_catalog.jsonb_agg(w.warning order by w.rank)
  into v_warnings
  from (
    select l.rank,
           pg_catalog.jsonb_build_object(
             'path', l.path,
             'code', l.code,
             'message', case l.code
               when 'ignored_key' then
                 pg_catalog.format('%s is not a %s and was ignored', l.path,
                                   case l.scope when 'body' then 'field of the request body'
                                                when 'question' then 'question field'
                                                else 'key of ' || l.top end)
                 || coalesce(' (did you mean ' || near.field || '?)', '')
               when 'dropped_empty_item' then pg_catalog.format('%s is empty and was dropped', l.path)
               else pg_catalog.format('%s was rounded up to a whole second, %s', l.path, l.detail)
             end
           ) || case when near.field is not null then pg_catalog.jsonb_build_object('suggestion', near.field)
                     else '{}'::jsonb end as warning
    from listed as l
    left join lateral (
      select f.field
      from rules as f
      cross join lateral (select interview_private.near_miss_distance(l.key, f.field) as distance) as d
      where l.code = 'ignored_key' and (l.scope <> 'body' or l.scope_rank <= c_suggested_body_keys)
        and f.scope = l.scope and f.field <> '*' and d.distance is not null
      order by d.distance, f.ordinal
      limit 1
    ) as near on true
    union all
    select c_listed + 1,
           pg_catalog.jsonb_build_object(
             'path', '$', 'code', 'truncated',
             'message', pg_catalog.format('%s more warnings are not listed', o.total - c_listed))
    from ordered as o
    where o.rank = c_listed + 1
  ) as w;
  return v_warnings;
end
$$;

comment on function interview_private.request_warnings(jsonb, jsonb) is
  $comment$The warnings of a valid create request body: ignored keys (with the nearest field as suggestion), dropped empty items and rounded durations.

An array of {path, code, message, suggestion?} in body order (the body's keys in the order p_key_positions gives, else the rule table's), at most 50 then one truncated warning; null when there is nothing to say.$comment$;

revoke all on function interview_private.request_warnings(jsonb, jsonb) from public;
