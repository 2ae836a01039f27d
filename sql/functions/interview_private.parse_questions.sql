-- The questions of a valid request, parsed once and deduplicated, in one
-- statement: each item becomes an interview_private.question_item with its
-- question record (text trimmed, language inherited, flags defaulted), its
-- dedup_key, whether it gets a step of its own (has_step) and, for a
-- conditional item, the index of the item whose step it depends on
-- (conditional_on_n). Step positions are not decided here but by the function
-- that inserts the steps (interview_private.insert_steps).
--
-- Deduplication (p_deduplicate): two items with the same record content (text
-- with whitespace collapsed and case folded, language, flags and every other
-- attribute of the record) share one record and one step, the first one's.
-- Across calls a record is reused only when it is identical to that first item
-- (dedup_key: the exact text and fields).
-- A conditional item always keeps its own step (its link is what sets it apart)
-- but still shares the record. A conditional link follows the step that
-- survived. Without deduplication every item gets a new record and a step.
create or replace function interview_private.parse_questions(
  p_questions jsonb,
  p_language text,
  p_deduplicate boolean
)
returns interview_private.question_item[]
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  c_blank constant text := E' \t\r\n';  -- what trimming removes
begin
  return (
    -- materialized: the key reads every parsed value again, which inlined would compute it twice
    with parsed as materialized (
      select (q.n - 1)::integer as n,
             pg_catalog.btrim(x.question, c_blank) as question,
             coalesce(x.mojito_language_code, p_language) as mojito_language_code,
             nullif(pg_catalog.btrim(x.label, c_blank), '') as label,
             pg_catalog.ceil(x.duration)::integer as duration,  -- a fraction rounded up (a warning)
             coalesce(x.is_without_scoring, false) as is_without_scoring,
             coalesce(x.is_candidate_asking_recruiter, false) as is_candidate_asking_recruiter,
             coalesce(x.is_expert, false) as is_expert,
             coalesce(x.is_multiple_choice, false) as is_multiple_choice,
             case when pg_catalog.cardinality(x.question_alternatives) > 0
                  then array(select pg_catalog.btrim(a.alternative, c_blank)
                             from pg_catalog.unnest(x.question_alternatives) with ordinality as a (alternative, i)
                             order by a.i)
                  else '{}'::text[] end as question_alternatives,
             x.knowledge_base_id,
             nullif(pg_catalog.btrim(x.external_id, c_blank), '') as external_id,
             x.external_data,
             -- (a function call per item only for the items that have one)
             case when x.candidate_expectations_json is not null
                  then interview_private.parse_nested_object(x.candidate_expectations_json, 'candidate_expectations')
             end as candidate_expectations_json,
             nullif(pg_catalog.btrim(x.id, c_blank), '') as caller_question_id,
             coalesce(x.is_conditional, false) as is_conditional,
             nullif(pg_catalog.btrim(x.conditional_question_main_id, c_blank), '') as main_id
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
    normalised as (
      select p.*,
             -- The normalised text, for items of one array: whitespace collapsed and
             -- case folded. (The whitespace is collapsed only where there is some to
             -- collapse: a run of two, or one that is not a space, found by one
             -- regular expression; regexp_replace is the dearest part of the key.)
             case when p_deduplicate then
               pg_catalog.lower(case when p.question ~ '\s\s|(?! )\s'
                                     then pg_catalog.regexp_replace(p.question, '\s+', ' ', 'g')
                                     else p.question end)
             end as folded
      from parsed as p
    ),
    keyed as (
      -- The record's key across calls (dedup_key): its exact content, the text as
      -- trimmed character for character, in key space v2 (records keyed before
      -- migration 0063 hash the normalised content and are never matched). The items
      -- of one normalised group share the first item's record. Changing this
      -- expression stops the reuse of records keyed before.
      -- The item whose step the group keeps (survivor_n): its first item that is not
      -- conditional. (A group is one normalised content, so one dedup_key: both
      -- windows take one sort.)
      select n.*,
             case when p_deduplicate then
               pg_catalog.first_value(pg_catalog.md5(row(
                 'v2', n.question, n.mojito_language_code, n.is_without_scoring, n.is_candidate_asking_recruiter,
                 n.is_expert, n.is_multiple_choice, n.duration, n.label, n.question_alternatives,
                 n.knowledge_base_id, n.external_id, n.external_data, n.candidate_expectations_json
               )::text)::uuid) over (content order by n.n)
             else pg_catalog.gen_random_uuid() end as dedup_key,
             case when n.is_conditional or not p_deduplicate then n.n
                  else min(n.n) filter (where not n.is_conditional) over content end as survivor_n
      from normalised as n
      -- the normalised content: the normalised text and every other field (the
      -- objects as text: equal when written alike, as in the key)
      window content as (
        partition by n.folded collate pg_catalog."C", n.mojito_language_code, n.is_without_scoring,
                     n.is_candidate_asking_recruiter, n.is_expert, n.is_multiple_choice, n.duration, n.label,
                     n.question_alternatives, n.knowledge_base_id, n.external_id, n.external_data::text,
                     n.candidate_expectations_json::text)
    )
    select coalesce(
      pg_catalog.array_agg(
        row(s.n, s.question, s.mojito_language_code, s.label, s.duration, s.is_without_scoring,
            s.is_candidate_asking_recruiter, s.is_expert, s.is_multiple_choice, s.question_alternatives,
            s.knowledge_base_id, s.external_id, s.external_data, s.candidate_expectations_json,
            s.caller_question_id, s.is_conditional, s.dedup_key, s.survivor_n = s.n,
            -- ids are unique within the array (validated): a conditional link finds one
            -- parent, looked up only for a conditional item (most requests have none)
            case when s.is_conditional then (
              select parent.survivor_n
              from keyed as parent
              where parent.caller_question_id = s.main_id and parent.n < s.n
              limit 1)
            end)::interview_private.question_item
        order by s.n),
      '{}')
    from keyed as s
  );
end
$$;

comment on function interview_private.parse_questions(jsonb, text, boolean) is
  'Parse and deduplicate the questions of a valid request: one interview_private.question_item per item with its record fields, dedup_key, has_step and, for a conditional item, the index of the item whose step it depends on.';

revoke all on function interview_private.parse_questions(jsonb, text, boolean) from public;
