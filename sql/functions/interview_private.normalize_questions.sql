-- The questions of a valid request, normalised and deduplicated, in one
-- statement. Each item carries its question record (text trimmed, language
-- inherited, flags defaulted), its dedup_key, and for the items that get a step
-- of their own, the step's position and conditional link.
--
-- Deduplication (p_deduplicate): two items with the same record content (text
-- with whitespace collapsed and case folded, language, flags and every other
-- attribute of the record) share one record and one step, the first one's.
-- A conditional item always keeps its own step (its link is what sets it apart)
-- but still shares the record. A conditional link follows the step that
-- survived. Without deduplication every item gets a new record and a step.
--
-- Each question object is parsed once (jsonb_to_record); the result is an array
-- of interview_private.question_item, so later steps read it without parsing.
create or replace function interview_private.normalize_questions(
  p_questions jsonb,
  p_language text,
  p_deduplicate boolean,
  p_first_position integer
)
returns interview_private.question_item[]
language plpgsql
volatile
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return (
    with parsed as (
      select (q.n - 1)::integer as n,
             pg_catalog.btrim(x.question, E' \t\r\n') as question,
             coalesce(x.mojito_language_code, p_language) as mojito_language_code,
             nullif(pg_catalog.btrim(x.label, E' \t\r\n'), '') as label,
             x.duration::integer as duration,
             coalesce(x.is_without_scoring, false) as is_without_scoring,
             coalesce(x.is_candidate_asking_recruiter, false) as is_candidate_asking_recruiter,
             coalesce(x.is_expert, false) as is_expert,
             coalesce(x.is_multiple_choice, false) as is_multiple_choice,
             case when pg_catalog.cardinality(x.question_alternatives) > 0
                  then array(select pg_catalog.btrim(a.alternative, E' \t\r\n')
                             from pg_catalog.unnest(x.question_alternatives) with ordinality as a (alternative, i)
                             order by a.i)
                  else '{}'::text[] end as question_alternatives,
             x.knowledge_base_id,
             nullif(pg_catalog.btrim(x.external_id, E' \t\r\n'), '') as external_id,
             x.external_data,
             x.candidate_expectations_json,
             nullif(pg_catalog.btrim(x.id, E' \t\r\n'), '') as caller_question_id,
             coalesce(x.is_conditional, false) as is_conditional,
             nullif(pg_catalog.btrim(x.conditional_question_main_id, E' \t\r\n'), '') as main_id
      from pg_catalog.jsonb_array_elements(p_questions) with ordinality as q (item, n)
      cross join lateral pg_catalog.jsonb_to_record(
        case when pg_catalog.jsonb_typeof(q.item) = 'string'
             then pg_catalog.jsonb_build_object('question', q.item) else q.item end
      ) as x (
        question text, id text, duration numeric, mojito_language_code text, label text, is_conditional boolean,
        conditional_question_main_id text, is_without_scoring boolean, is_candidate_asking_recruiter boolean,
        is_expert boolean, is_multiple_choice boolean, question_alternatives text[], knowledge_base_id uuid,
        external_id text, external_data jsonb, candidate_expectations_json jsonb
      )
    ),
    keyed as (
      select p.*,
             -- Changing this expression stops the reuse of records keyed before.
             case when p_deduplicate then
               pg_catalog.md5(row(
                 pg_catalog.lower(pg_catalog.regexp_replace(p.question, '\s+', ' ', 'g')),
                 p.mojito_language_code, p.is_without_scoring, p.is_candidate_asking_recruiter, p.is_expert,
                 p.is_multiple_choice, p.duration, p.label, p.question_alternatives, p.knowledge_base_id,
                 p.external_id, p.external_data, p.candidate_expectations_json
               )::text)::uuid
             else pg_catalog.gen_random_uuid() end as dedup_key
      from parsed as p
    ),
    survivors as (
      select k.*,
             case when k.is_conditional or not p_deduplicate then k.n
                  else min(k.n) filter (where not k.is_conditional) over (partition by k.dedup_key) end as survivor_n
      from keyed as k
    ),
    positioned as (
      select s.*,
             case when s.survivor_n = s.n
                  then p_first_position - 1 + (count(*) filter (where s.survivor_n = s.n) over (order by s.n))::integer
             end as step_position
      from survivors as s
    )
    select coalesce(
      pg_catalog.array_agg(
        row(p.n, p.question, p.mojito_language_code, p.label, p.duration, p.is_without_scoring,
            p.is_candidate_asking_recruiter, p.is_expert, p.is_multiple_choice, p.question_alternatives,
            p.knowledge_base_id, p.external_id, p.external_data, p.candidate_expectations_json,
            p.caller_question_id, p.is_conditional, p.dedup_key, p.step_position,
            survivor.step_position)::interview_private.question_item
        order by p.n),
      '{}')
    from positioned as p
    -- ids are unique within the array (validated), so each conditional link finds one parent
    left join positioned as parent
      on p.is_conditional and parent.caller_question_id = p.main_id and parent.n < p.n
    left join positioned as survivor on survivor.n = parent.survivor_n
  );
end
$$;

comment on function interview_private.normalize_questions(jsonb, text, boolean, integer) is
  'Normalise and deduplicate the questions of a valid request: one interview_private.question_item per item with its record fields, dedup_key, and step_position / conditional_on_position for the items that get a step (positions start at p_first_position).';

revoke all on function interview_private.normalize_questions(jsonb, text, boolean, integer) from public;
