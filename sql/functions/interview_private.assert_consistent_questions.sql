-- The rules between the questions of a request whose fields are each valid:
-- multiple choice needs two alternatives, a conditional question needs an
-- EARLIER main question, and id / external_id are unique within the array.
-- Skipped when no question uses any of these fields.
create or replace function interview_private.assert_consistent_questions(p_questions jsonb)
returns void
language plpgsql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  c_blank constant text := E' \t\r\n';  -- what trimming removes
  v_problem record;
begin
  -- Without a conditional or multiple-choice item only the two uniqueness rules
  -- can be broken: without ids there is nothing to find, and with ids one
  -- aggregate says whether any repeats.
  if not pg_catalog.jsonb_path_exists(
    p_questions,
    '$[*] ? (exists(@.conditional_question_main_id) || @.is_conditional == true || @.is_multiple_choice == true)'
  ) then
    if not pg_catalog.jsonb_path_exists(p_questions, '$[*] ? (exists(@.id) || exists(@.external_id))') then
      return;
    end if;
    if (
      select count(distinct u.handle collate pg_catalog."C") = count(u.handle)
             and count(distinct u.external_id collate pg_catalog."C") = count(u.external_id)
      from pg_catalog.jsonb_array_elements(p_questions) as q (item)
      cross join lateral (
        select nullif(pg_catalog.btrim(q.item ->> 'id', c_blank), '') as handle,
               nullif(pg_catalog.btrim(q.item ->> 'external_id', c_blank), '') as external_id
      ) as u
    ) then
      return;
    end if;
  end if;

  -- Rules between items (window functions and one hash join: linear in the items).
  -- Every field has passed its own rule: ids are strings, flags booleans.
  with items as (
    select q.n - 1 as i,
           case when pg_catalog.jsonb_typeof(q.item) = 'object' then q.item else '{}'::jsonb end as o
    from pg_catalog.jsonb_array_elements(p_questions) with ordinality as q (item, n)
  ),
  fields as (
    select it.i,
           nullif(pg_catalog.btrim(it.o ->> 'id', c_blank), '') as handle,
           nullif(pg_catalog.btrim(it.o ->> 'external_id', c_blank), '') as external_id,
           nullif(pg_catalog.btrim(it.o ->> 'conditional_question_main_id', c_blank), '') as main_id,
           coalesce((it.o ->> 'is_conditional')::boolean, false) as is_conditional,
           coalesce((it.o ->> 'is_multiple_choice')::boolean, false) as is_multiple_choice,
           case when pg_catalog.jsonb_typeof(it.o -> 'question_alternatives') = 'array'
                then pg_catalog.jsonb_array_length(it.o -> 'question_alternatives') else 0 end as alternatives
    from items as it
  ),
  handles as (
    select f.*,
           min(f.i) over (partition by f.handle) as first_with_handle,
           min(f.i) over (partition by f.external_id) as first_with_external_id
    from fields as f
  ),
  linked as (
    select h.*, m.first_i as main_first
    from handles as h
    left join (
      select f.handle, min(f.i) as first_i from fields as f where f.handle is not null group by f.handle
    ) as m on m.handle = h.main_id
  ),
  problems as (
    select l.i, 1 as rule, pg_catalog.format('questions[%s].question_alternatives', l.i) as path,
           pg_catalog.format('questions[%s].question_alternatives must have at least 2 alternatives when is_multiple_choice is true (it has %s)', l.i, l.alternatives) as message,
           'an array of at least 2 texts, the choices' as hint
    from linked as l
    where l.is_multiple_choice and l.alternatives < 2
    union all
    select l.i, 2, pg_catalog.format('questions[%s].conditional_question_main_id', l.i),
           pg_catalog.format('questions[%s].conditional_question_main_id is required when is_conditional is true', l.i),
           'the id of a question that stands earlier in the same array'
    from linked as l
    where l.is_conditional and l.main_id is null
    union all
    select l.i, 3, pg_catalog.format('questions[%s].conditional_question_main_id', l.i),
           case
             when l.main_first is null then
               pg_catalog.format('questions[%s].conditional_question_main_id does not match the id of any question (got %s)', l.i, pg_catalog.left(l.main_id, 60))
             when l.main_id = l.handle then
               pg_catalog.format('questions[%s].conditional_question_main_id refers to the question itself', l.i)
             else
               pg_catalog.format('questions[%s].conditional_question_main_id refers to questions[%s], which stands later in the array', l.i, l.main_first)
           end,
           'the id of a question that stands earlier in the same array'
    from linked as l
    where l.main_id is not null and (l.main_first is null or l.main_first >= l.i)
    union all
    select l.i, 4, pg_catalog.format('questions[%s].id', l.i),
           pg_catalog.format('questions[%s].id repeats the id of questions[%s] (%s)', l.i, l.first_with_handle, pg_catalog.left(l.handle, 60)),
           'ids must be unique within the questions array'
    from linked as l
    where l.handle is not null and l.first_with_handle < l.i
    union all
    select l.i, 5, pg_catalog.format('questions[%s].external_id', l.i),
           pg_catalog.format('questions[%s].external_id repeats the external_id of questions[%s] (%s)', l.i, l.first_with_external_id, pg_catalog.left(l.external_id, 60)),
           'external ids must be unique within the questions array'
    from linked as l
    where l.external_id is not null and l.first_with_external_id < l.i
  )
  select p.path, p.message, p.hint into v_problem
  from problems as p
  order by p.i, p.rule
  limit 1;
  if found then
    perform interview_private.raise_invalid(v_problem.path, v_problem.message, v_problem.hint);
  end if;
end
$$;

comment on function interview_private.assert_consistent_questions(jsonb) is
  'Raise PT422 for the first question that breaks a rule between questions: multiple choice without two alternatives, a conditional link to no EARLIER question, a repeated id or external_id.';

revoke all on function interview_private.assert_consistent_questions(jsonb) from public;
