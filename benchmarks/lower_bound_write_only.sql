-- The write-only create_interview of benchmarks/lower_bound.py: the rows the
-- floor writes (the set, the question records, the steps, the embed key, the two
-- outbox events), written by PL/pgSQL straight from the body. No limits, no
-- validation, no parse, no authorization beyond the caller's own merchant, no
-- references, no derived data: the floor's constants stand in for them. What it
-- costs over the floor is that of being a function PostgREST calls, before any of
-- the contract's work, and that of the clock: pg_stat_statements counts every
-- statement of this function, but not the parse, plan and executor start of the
-- floor's top-level INSERTs. Never deployed: the script replaces the function on
-- its own disposable database only.
create or replace function interview_private.create_interview(p_body jsonb, p_key_positions jsonb default null)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan  -- as the deployed function
as $$
declare
  v_user_id uuid := (pg_catalog.current_setting('request.jwt.claims', true)::jsonb ->> 'sub')::uuid;
  v_merchant_id uuid;
  v_set_id uuid;
  v_record_ids uuid[];
begin
  select p.merchant_id into v_merchant_id from public.profiles as p where p.id = v_user_id;

  insert into public.interview_def_set (
    merchant_id, interview_template_id, mojito_language_code, created_by, name, location, description, status,
    type, visibility, seniority_level, seniority_detected, interview_conversation_speed, recording, max_followups,
    tags, candidate_expectations_json, candidate_expectations_generated, scoring_config, is_embedded,
    creation_parameters, credits_per_session, activated_at
  )
  values (
    v_merchant_id, (p_body ->> 'interview_template_id')::uuid, p_body ->> 'mojito_language_code', v_user_id,
    p_body ->> 'name', p_body ->> 'location', p_body ->> 'description',
    (p_body ->> 'status')::public.interview_status, (p_body ->> 'type')::public.interview_kind,
    (p_body ->> 'visibility')::public.interview_visibility, 'intermediate', true, 'normal',
    (p_body ->> 'recording')::public.cheating_detection_recording, 2,
    array(select pg_catalog.jsonb_array_elements_text(p_body -> 'tags')),
    '{"weak": ["w"], "moderate": ["m"], "strong": ["s"], "generated": true}', true,
    '{"max_score": 100, "early_stop": false, "max_retries": 1}', (p_body ->> 'is_embedded')::boolean,
    '{"hiring_for_company": null, "disable_deduplication": false}', 1.25, pg_catalog.now()
  )
  returning id into v_set_id;

  with inserted as (
    insert into public.interview_def_question (merchant_id, question, mojito_language_code, duration, dedup_key)
    select v_merchant_id, q.item ->> 'question', p_body ->> 'mojito_language_code', (q.item ->> 'duration')::integer,
           pg_catalog.gen_random_uuid()
    from pg_catalog.jsonb_array_elements(p_body -> 'questions') with ordinality as q (item, n)
    order by q.n
    returning id
  )
  select pg_catalog.array_agg(inserted.id) into v_record_ids from inserted;

  insert into public.interview_def_step (interview_def_set_id, merchant_id, position, kind, question_id, text,
                                         caller_question_id)
  select v_set_id, v_merchant_id, 1, 'welcome'::public.interview_step_kind, null, 'Hello and welcome!', null
  union all
  select v_set_id, v_merchant_id, r.n + 1, 'question', r.id, null, p_body -> 'questions' -> (r.n::integer - 1) ->> 'id'
  from pg_catalog.unnest(v_record_ids) with ordinality as r (id, n)
  union all
  select v_set_id, v_merchant_id, pg_catalog.cardinality(v_record_ids) + 2, 'thank_you', null, 'Thank you for your time!', null;

  insert into interview_private.embed_keys (embed_id, interview_def_set_id, signing_key)
  values (pg_catalog.gen_random_uuid(), v_set_id, pg_catalog.encode(extensions.gen_random_bytes(32), 'hex'));

  insert into interview_private.outbox_events (event_type, merchant_id, interview_def_set_id, payload)
  values ('interview.created', v_merchant_id, v_set_id, pg_catalog.jsonb_build_object('interview_def_set_id', v_set_id)),
         ('interview.expectations_requested', v_merchant_id, v_set_id,
          pg_catalog.jsonb_build_object('interview_def_set_id', v_set_id, 'additional_context', '{}'::jsonb));

  return pg_catalog.jsonb_build_object('interview_def_set_id', v_set_id);
end
$$;
