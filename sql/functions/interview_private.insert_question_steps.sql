-- The question records and all steps of a new set, from normalised items
-- (interview_private.normalize_questions), in two set-based statements.
--
-- Records are inserted in dedup_key order with ON CONFLICT DO NOTHING: an
-- identical record the merchant already has (or that a concurrent call is
-- inserting) is reused, and concurrent calls take the key locks in one order,
-- so they never deadlock. The steps then find every record by
-- (merchant_id, dedup_key) in a new statement, which sees records committed
-- meanwhile by others.
create or replace function interview_private.insert_question_steps(
  p_set_id uuid,
  p_merchant_id uuid,
  p_items interview_private.question_item[],
  p_welcome_text text,
  p_instructional_video boolean,
  p_instructional_video_text text,
  p_thank_you_text text
)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  insert into public.interview_def_question (
    merchant_id, question, mojito_language_code, label, duration, is_without_scoring,
    is_candidate_asking_recruiter, is_expert, is_multiple_choice, question_alternatives,
    knowledge_base_id, external_id, external_data, candidate_expectations_json, dedup_key
  )
  select distinct on (i.dedup_key)
         p_merchant_id, i.question, i.mojito_language_code, i.label, i.duration, i.is_without_scoring,
         i.is_candidate_asking_recruiter, i.is_expert, i.is_multiple_choice, i.question_alternatives,
         i.knowledge_base_id, i.external_id, i.external_data, i.candidate_expectations_json, i.dedup_key
  from pg_catalog.unnest(p_items) as i
  order by i.dedup_key, i.n
  on conflict (merchant_id, dedup_key) do nothing;

  with question_steps as (
    select i.step_position, q.id as question_id, i.caller_question_id, i.is_conditional, i.conditional_on_position
    from pg_catalog.unnest(p_items) as i
    -- one index probe per item (LIMIT keeps the planner from turning this into a
    -- hash join over all of the merchant's records, which grows with the table)
    cross join lateral (
      select r.id
      from public.interview_def_question as r
      where r.merchant_id = p_merchant_id and r.dedup_key = i.dedup_key
      limit 1
    ) as q
    where i.step_position is not null
  )
  insert into public.interview_def_step (
    interview_def_set_id, position, kind, question_id, text, caller_question_id, is_conditional,
    conditional_on_position
  )
  select p_set_id, 1, 'welcome'::public.interview_step_kind, null::uuid, p_welcome_text, null::text, false, null::integer
  union all
  select p_set_id, 2, 'instructional_video', null, p_instructional_video_text, null, false, null
  where p_instructional_video
  union all
  select p_set_id, qs.step_position, 'question', qs.question_id, null, qs.caller_question_id,
         qs.is_conditional and qs.conditional_on_position is not null, qs.conditional_on_position
  from question_steps as qs
  union all
  select p_set_id, (select count(*) from question_steps)::integer + case when p_instructional_video then 3 else 2 end,
         'thank_you', null, p_thank_you_text, null, false, null;
end
$$;

comment on function interview_private.insert_question_steps(uuid, uuid, interview_private.question_item[], text, boolean, text, text) is
  'Insert the question records (deduplicated by dedup_key, reusing the merchant''s identical records) and the ordered steps of a set: welcome, instructional video when enabled, the question steps, thank-you.';

revoke all on function interview_private.insert_question_steps(uuid, uuid, interview_private.question_item[], text, boolean, text, text) from public;
