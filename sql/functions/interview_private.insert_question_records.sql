-- The question records of a new set, from its parsed items, in one statement:
-- inserted in dedup_key order with ON CONFLICT DO NOTHING, so an identical
-- record the merchant already has (or that a concurrent call is inserting) is
-- reused, and concurrent calls take the key locks in one order, so they never
-- deadlock. interview_private.insert_steps then finds every record by
-- (merchant_id, dedup_key) in a new statement, which sees records committed
-- meanwhile by others.
create or replace function interview_private.insert_question_records(
  p_merchant_id uuid,
  p_items interview_private.question_item[]
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
end
$$;

comment on function interview_private.insert_question_records(uuid, interview_private.question_item[]) is
  'Insert the question records of parsed items for a merchant, deduplicated by dedup_key and reusing the merchant''s identical records (ON CONFLICT DO NOTHING, in key order).';

revoke all on function interview_private.insert_question_records(uuid, interview_private.question_item[]) from public;
