-- The question records of a new set, from its parsed items, and the record id
-- of each item (in item order, for interview_private.insert_steps).
--
-- A plain INSERT in dedup_key order: most requests bring questions the
-- merchant has never asked, and a plain insert costs about 15% less than one
-- with ON CONFLICT (its speculative insertion: 0.55 ms of 4.1 ms for 200
-- records, measured). When a record is already there (an identical question of
-- an earlier set, or one a concurrent call was inserting: the insert waits for
-- that call and fails only if it commits), the unique violation of
-- (merchant_id, dedup_key) undoes that insert alone; the keys the merchant has
-- are read (a new statement: it sees what was committed meanwhile) and the
-- others inserted again, until an insert succeeds or no more keys turn up (a
-- snapshot that cannot see the record: the violation stands). Inserts go in
-- dedup_key order, so concurrent calls take the key locks in one order and
-- never deadlock. The new records' ids come back from the INSERT itself; only
-- the items whose record was already there are looked up, by (merchant_id,
-- dedup_key). A request of new questions runs one INSERT and probes nothing.
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
  v_existing uuid[] := '{}'::uuid[];  -- the keys of the records the merchant has already
  v_found uuid[];
  v_constraint text;
begin
  loop
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
        where i.dedup_key <> all (v_existing)
        order by i.dedup_key, i.n
        returning id, dedup_key
      )
      select pg_catalog.array_agg(r.id order by i.n)
      into v_record_ids
      from pg_catalog.unnest(p_items) as i
      left join inserted as r on r.dedup_key = i.dedup_key;
      exit;
    exception when unique_violation then
      get stacked diagnostics v_constraint = constraint_name;
      if v_constraint is distinct from 'interview_def_question_merchant_dedup_key_key' then
        raise;
      end if;
      v_found := array(
        select r.dedup_key
        from public.interview_def_question as r
        where r.merchant_id = p_merchant_id
          and r.dedup_key = any (array(select i.dedup_key from pg_catalog.unnest(p_items) as i))
      );
      if v_found <@ v_existing then
        raise;
      end if;
      v_existing := v_found;
    end;
  end loop;

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
  'Insert the question records of parsed items for a merchant, deduplicated by dedup_key and reusing the merchant''s identical records (a plain INSERT in key order; on a unique violation of (merchant_id, dedup_key), again without the keys the merchant has); returns the record id of each item, in item order.';

revoke all on function interview_private.insert_question_records(uuid, interview_private.question_item[]) from public;
