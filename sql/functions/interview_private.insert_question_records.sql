-- The question records of a new set, from its parsed items, and the record id
-- of each item (in item order, for interview_private.insert_steps).
--
-- Inserted in dedup_key order with ON CONFLICT DO NOTHING, so an identical
-- record the merchant already has (or that a concurrent call is inserting) is
-- reused, and concurrent calls take the key locks in one order, so they never
-- deadlock. The new records' ids come back from the INSERT itself; only the
-- items whose record was already there are looked up, by (merchant_id,
-- dedup_key), in a second statement, which sees records committed meanwhile by
-- others (the INSERT's own snapshot may not). A request of new questions
-- probes nothing.
create or replace function interview_private.insert_question_records(
  p_merchant_id uuid,
  p_items interview_private.question_item[]
)
returns uuid[]
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_record_ids uuid[];
begin
  with inserted as (
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
    on conflict (merchant_id, dedup_key) do nothing
    returning id, dedup_key
  )
  select pg_catalog.array_agg(r.id order by i.n)
  into v_record_ids
  from pg_catalog.unnest(p_items) as i
  left join inserted as r on r.dedup_key = i.dedup_key;

  if pg_catalog.array_position(v_record_ids, null) is not null then
    -- one index probe per reused record (LIMIT keeps the planner from turning
    -- this into a hash join over all of the merchant's records)
    select pg_catalog.array_agg(coalesce(v_record_ids[i.n + 1], q.id) order by i.n)
    into v_record_ids
    from pg_catalog.unnest(p_items) as i
    left join lateral (
      select r.id
      from public.interview_def_question as r
      where v_record_ids[i.n + 1] is null and r.merchant_id = p_merchant_id and r.dedup_key = i.dedup_key
      limit 1
    ) as q on true;
  end if;
  return v_record_ids;
end
$$;

comment on function interview_private.insert_question_records(uuid, interview_private.question_item[]) is
  'Insert the question records of parsed items for a merchant, deduplicated by dedup_key and reusing the merchant''s identical records (ON CONFLICT DO NOTHING, in key order); returns the record id of each item, in item order.';

revoke all on function interview_private.insert_question_records(uuid, interview_private.question_item[]) from public;
