-- The questions of a valid request, normalised and deduplicated, in one
-- statement. Each item of the result carries its question record (text trimmed,
-- language inherited, flags defaulted), its dedup_key, and for the items that
-- get a step of their own, the step's position and conditional link.
--
-- Deduplication (p_deduplicate): two items with the same record content (text
-- with whitespace collapsed and case folded, language, flags and every other
-- attribute of the record) share one record and one step, the first one's.
-- A conditional item always keeps its own step (its link is what sets it apart)
-- but still shares the record. A conditional link follows the step that
-- survived. Without deduplication every item gets a new record and a step.
create or replace function interview_private.normalize_questions(
  p_questions jsonb,
  p_language text,
  p_deduplicate boolean,
  p_first_position integer
)
returns jsonb
language plpgsql
volatile
parallel safe
set search_path = ''
as $$
begin
  return (
    with items as (
      select (q.n - 1)::integer as n,
             case when pg_catalog.jsonb_typeof(q.item) = 'string'
                  then pg_catalog.jsonb_build_object('question', q.item) else q.item end as o
      from pg_catalog.jsonb_array_elements(p_questions) with ordinality as q (item, n)
    ),
    parsed as (
      select it.n,
             pg_catalog.btrim(it.o ->> 'question', E' \t\r\n') as question,
             coalesce(it.o ->> 'mojito_language_code', p_language) as mojito_language_code,
             nullif(pg_catalog.btrim(it.o ->> 'label', E' \t\r\n'), '') as label,
             (it.o -> 'duration')::numeric::integer as duration,
             coalesce((it.o -> 'is_without_scoring')::boolean, false) as is_without_scoring,
             coalesce((it.o -> 'is_candidate_asking_recruiter')::boolean, false) as is_candidate_asking_recruiter,
             coalesce((it.o -> 'is_expert')::boolean, false) as is_expert,
             coalesce((it.o -> 'is_multiple_choice')::boolean, false) as is_multiple_choice,
             coalesce(
               (select pg_catalog.array_agg(pg_catalog.btrim(a.x, E' \t\r\n') order by a.i)
                from pg_catalog.jsonb_array_elements_text(
                       case when pg_catalog.jsonb_typeof(it.o -> 'question_alternatives') = 'array'
                            then it.o -> 'question_alternatives' end) with ordinality as a (x, i)),
               '{}'::text[]) as question_alternatives,
             (it.o ->> 'knowledge_base_id')::uuid as knowledge_base_id,
             nullif(pg_catalog.btrim(it.o ->> 'external_id', E' \t\r\n'), '') as external_id,
             nullif(it.o -> 'external_data', 'null'::jsonb) as external_data,
             nullif(it.o -> 'candidate_expectations_json', 'null'::jsonb) as candidate_expectations_json,
             nullif(pg_catalog.btrim(it.o ->> 'id', E' \t\r\n'), '') as caller_question_id,
             coalesce((it.o -> 'is_conditional')::boolean, false) as is_conditional,
             nullif(pg_catalog.btrim(it.o ->> 'conditional_question_main_id', E' \t\r\n'), '') as main_id
      from items as it
    ),
    keyed as (
      select p.*,
             case when p_deduplicate then
               pg_catalog.md5(pg_catalog.jsonb_build_array(
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
    ),
    linked as (
      -- ids are unique within the array (validated), so each link finds one parent
      select p.*, survivor.step_position as conditional_on_position
      from positioned as p
      left join positioned as parent
        on p.is_conditional and parent.caller_question_id = p.main_id and parent.n < p.n
      left join positioned as survivor on survivor.n = parent.survivor_n
    )
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(l) - 'main_id' - 'survivor_n' order by l.n), '[]'::jsonb)
    from linked as l
  );
end
$$;

comment on function interview_private.normalize_questions(jsonb, text, boolean, integer) is
  'Normalise and deduplicate the questions of a valid request: one JSON object per item with its record fields, dedup_key, and step_position / conditional_on_position for the items that get a step (positions start at p_first_position).';

revoke all on function interview_private.normalize_questions(jsonb, text, boolean, integer) from public;
