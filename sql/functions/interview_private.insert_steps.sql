-- The ordered steps of a new set, in one statement, and the one place that
-- decides their positions (dense, from 1): welcome, the instructional video
-- when enabled, one question step per item that has a step of its own (in
-- array order), thank-you. A conditional step points at the position of the
-- step it depends on. The question records exist already: p_record_ids holds
-- the record id of each item, in item order
-- (interview_private.insert_question_records).
create or replace function interview_private.insert_steps(
  p_set_id uuid,
  p_items interview_private.question_item[],
  p_record_ids uuid[],
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
declare
  v_first_question integer := case when p_instructional_video then 3 else 2 end;
  -- the set's merchant, which each step carries (its RLS policy filters on it)
  v_merchant_id uuid := (select s.merchant_id from public.interview_def_set as s where s.id = p_set_id);
begin
  with question_steps as (
    select i.n, i.caller_question_id, i.is_conditional, i.conditional_on_n, p_record_ids[i.n + 1] as question_id,
           v_first_question - 1 + (pg_catalog.row_number() over (order by i.n))::integer as position
    from pg_catalog.unnest(p_items) as i
    where i.has_step
  )
  insert into public.interview_def_step (
    interview_def_set_id, merchant_id, position, kind, question_id, text, caller_question_id, is_conditional,
    conditional_on_position
  )
  select p_set_id, v_merchant_id, 1, 'welcome'::public.interview_step_kind, null::uuid, p_welcome_text, null::text,
         false, null::integer
  union all
  select p_set_id, v_merchant_id, 2, 'instructional_video', null, p_instructional_video_text, null, false, null
  where p_instructional_video
  union all
  select p_set_id, v_merchant_id, s.position, 'question', s.question_id, null, s.caller_question_id,
         s.is_conditional and parent.position is not null, parent.position
  from question_steps as s
  left join question_steps as parent on parent.n = s.conditional_on_n
  union all
  select p_set_id, v_merchant_id, v_first_question + (select count(*) from question_steps)::integer, 'thank_you', null,
         p_thank_you_text, null, false, null;
end
$$;

comment on function interview_private.insert_steps(uuid, interview_private.question_item[], uuid[], text, boolean, text, text) is
  'Insert the ordered steps of a new set (each with the set''s merchant_id) and decide their positions: welcome (1), instructional video (2, when enabled), the question steps in array order, thank-you last; conditional steps point at their parent step''s position.';

revoke all on function interview_private.insert_steps(uuid, interview_private.question_item[], uuid[], text, boolean, text, text) from public;
