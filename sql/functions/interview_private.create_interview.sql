-- The create operation behind public.job_interview_create_from_array, on the
-- request body as one JSON object. Each step is a named piece, cheapest first:
--
--   1. limits        interview_private.assert_body_limits       422 ($; nesting and numbers by the RPC)
--   2. caller        interview_private.authorize_caller         401 / 403
--   3. target        interview_private.parse_request_key,
--                    interview_private.authorized_merchant      422 / 403
--   4. idempotency   interview_private.claim_idempotency_key    replay / 409
--   5. validation    interview_private.assert_valid_request     422
--   6. parse         interview_private.parse_request            (the body, once, as a typed record)
--   7. references    interview_private.resolve_references       422
--   8. derived data  seniority, expectations, scoring, credits
--   9. writes        the set, its question records and steps, embed key, outbox
--
-- After the parse nothing reads the body's JSON again: every value comes from
-- the interview_private.create_request record. Any error rolls back everything
-- the call wrote, the idempotency claim included.
create or replace function interview_private.create_interview(p_body jsonb, p_key_positions jsonb default null)
returns jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
-- Generic plans for every statement of the call, its helpers' included: the
-- cached plans then serve every request. Left to choose, PostgreSQL keeps
-- planning anew each call the statements over the question array (a custom
-- plan that knows the array's length looks cheaper than the generic one),
-- which cost more than executing them.
set plan_cache_mode = force_generic_plan
as $$
declare
  v_caller record;
  v_key record;
  v_target record;
  v_replay jsonb;
  v_request interview_private.create_request;
  v_template public.interview_templates;
  v_question_steps integer;
  v_answer_seconds integer;
  v_seniority public.seniority_level;
  v_expectations jsonb;
  v_expectations_generated boolean := false;
  v_credits numeric;
  v_set_id uuid;
  v_record_ids uuid[];
  v_embed_id uuid;
  v_signing_key text;
  v_response jsonb;
  v_warnings jsonb;
begin
  -- 1. limits: nesting and numbers were checked on the values by the RPC; the
  -- size is the body's own
  perform interview_private.assert_body_limits('{}', pg_catalog.pg_column_size(p_body));

  -- 2. caller
  select * into v_caller from interview_private.authorize_caller('create_interview');

  -- 3. target merchant
  v_key := interview_private.parse_request_key(p_body);
  select * into v_target
  from interview_private.authorized_merchant(
    v_caller.is_service, v_caller.role, v_caller.merchant_id, v_key.merchant_id
  );

  -- 4. idempotency: the body without its key, compared as a JSON value
  if v_key.idempotency_key is not null then
    v_replay := interview_private.claim_idempotency_key(
      v_target.merchant_id, v_key.idempotency_key, p_body - 'idempotency_key'
    );
    if v_replay is not null then
      return v_replay;
    end if;
  end if;

  -- 5. validation, 6. parse
  v_warnings := interview_private.assert_valid_request(p_body, p_key_positions);
  v_request := interview_private.parse_request(p_body);

  -- 7. references
  v_template := interview_private.resolve_references(v_request, v_target.merchant_id, v_target.coaching_enabled);

  -- 8. derived data
  select count(*)::integer, coalesce(sum(coalesce(i.duration, v_template.default_answer_duration_seconds)), 0)::integer
  into v_question_steps, v_answer_seconds
  from pg_catalog.unnest(v_request.questions) as i
  where i.has_step;

  v_seniority := coalesce(
    v_request.seniority_level,
    interview_private.detect_seniority(v_request.name, v_request.description, v_request.description_long)
  );

  if v_request.candidate_expectations_json is not null then
    v_expectations := v_request.candidate_expectations_json;
  elsif v_request.type = 'interview' then
    v_expectations := interview_private.derive_candidate_expectations(v_request.questions, v_request.name, v_seniority);
    v_expectations_generated := true;
  end if;

  v_credits := interview_private.credits_per_session(
    v_template.base_credit, v_request.recording, v_request.recording_full_session, v_answer_seconds,
    v_request.questions_random_subset
  );

  -- 9. writes
  insert into public.interview_def_set (
    merchant_id, interview_template_id, mojito_language_code, knowledge_base_store_id, recruiter_profile_id,
    created_by, name, location, description, description_long, status, type, visibility, interview_type,
    seniority_level, seniority_detected, interview_tone, result_view, interview_conversation_speed,
    candidate_video_introduction, recording, recording_full_session, max_followups, questions_random_subset,
    code, cover_image_url, interview_department, interview_salary, interview_available_till, tags,
    required_pronunciation, result_enable_edit_transcript, pdf_export_auto_config, candidate_expectations,
    candidate_expectations_json, candidate_expectations_generated, scoring_config, instructional_video,
    instructional_video_custom_text, is_embedded, creation_parameters, credits_per_session, activated_at
  )
  values (
    v_target.merchant_id,
    v_template.id,
    v_request.mojito_language_code,
    v_request.knowledge_base_store_id,
    v_request.recruiter_profile_id,
    v_caller.user_id,
    v_request.name,
    v_request.location,
    v_request.description,
    v_request.description_long,
    v_request.status,
    v_request.type,
    v_request.visibility,
    v_request.interview_type,
    v_seniority,
    v_request.seniority_level is null,
    v_request.interview_tone,
    v_request.result_view,
    coalesce(v_request.interview_conversation_speed, v_template.default_conversation_speed),
    v_request.candidate_video_introduction,
    v_request.recording,
    v_request.recording_full_session,
    coalesce(v_request.max_followups, v_template.default_max_followups),
    v_request.questions_random_subset,
    v_request.code,
    v_request.cover_image_url,
    v_request.interview_department,
    v_request.interview_salary,
    v_request.interview_available_till,
    v_request.tags,
    v_request.required_pronunciation,
    v_request.result_enable_edit_transcript,
    v_request.pdf_export_auto_config,
    v_request.candidate_expectations,
    v_expectations,
    v_expectations_generated,
    interview_private.scoring_config(v_template.scoring_overrides, v_request.custom_scoring, v_request.interview_attempts),
    v_request.instructional_video,
    v_request.instructional_video_custom_text,
    v_request.is_embedded,
    pg_catalog.jsonb_build_object(
      'hiring_for_company', v_request.hiring_for_company,
      'additional_context', v_request.additional_context,
      'disable_deduplication', v_request.disable_deduplication,
      'questions_submitted', v_request.questions_submitted
    ),
    v_credits,
    case when v_request.status = 'active' then pg_catalog.now() end
  )
  returning id into v_set_id;

  v_record_ids := interview_private.insert_question_records(v_target.merchant_id, v_request.questions);
  perform interview_private.insert_steps(
    v_set_id,
    v_request.questions,
    v_record_ids,
    coalesce(v_request.welcome_message, v_template.default_welcome_message),
    v_request.instructional_video,
    v_request.instructional_video_custom_text,
    coalesce(v_request.thank_you_message, v_template.default_thank_you_message)
  );

  v_response := pg_catalog.jsonb_build_object(
    'interview_def_set_id', v_set_id,
    'questions_created', v_question_steps,
    'credits_per_session', pg_catalog.trim_scale(v_credits)
  );

  if v_warnings is not null then
    v_response := v_response || pg_catalog.jsonb_build_object('warnings', v_warnings);
  end if;

  if v_request.is_embedded then
    v_embed_id := pg_catalog.gen_random_uuid();
    v_signing_key := pg_catalog.encode(extensions.gen_random_bytes(32), 'hex');
    insert into interview_private.embed_keys (embed_id, interview_def_set_id, signing_key)
    values (v_embed_id, v_set_id, v_signing_key);
    v_response := v_response || pg_catalog.jsonb_build_object('embed_id', v_embed_id);
  end if;

  insert into interview_private.outbox_events (event_type, merchant_id, interview_def_set_id, payload)
  select 'interview.created', v_target.merchant_id, v_set_id,
         (v_response - 'warnings') || pg_catalog.jsonb_build_object(
           'merchant_id', v_target.merchant_id,
           'created_by', v_caller.user_id,
           'status', v_request.status,
           'type', v_request.type,
           'name', v_request.name
         )
  union all
  select 'interview.expectations_requested', v_target.merchant_id, v_set_id,
         pg_catalog.jsonb_build_object(
           'interview_def_set_id', v_set_id,
           'merchant_id', v_target.merchant_id,
           'role', v_request.name,
           'description', v_request.description,
           'seniority_level', v_seniority,
           'mojito_language_code', v_request.mojito_language_code,
           'additional_context', coalesce(v_request.additional_context, '{}'::jsonb),
           'generated_expectations', v_expectations
         )
  where v_expectations_generated;

  if v_key.idempotency_key is not null then
    -- The stored response leaves the signing key out: it lives in embed_keys only.
    update interview_private.idempotency_keys as k
    set response = v_response, interview_def_set_id = v_set_id
    where k.merchant_id = v_target.merchant_id and k.idempotency_key = v_key.idempotency_key;
  end if;

  if v_signing_key is not null then
    v_response := v_response || pg_catalog.jsonb_build_object('embed_signing_key', v_signing_key);
  end if;
  return v_response;
end
$$;

comment on function interview_private.create_interview(jsonb, jsonb) is
  'Create an interview set from a create request body (see job_interview_create_from_array): limits, caller, target merchant, idempotency, validation, one parse into interview_private.create_request, references, then write the set, its question records and steps, the embed key and the outbox events in one transaction. Returns the API response, with warnings when the request had something ignored or adjusted (p_key_positions: the body''s keys in the order sent, from the fallback overload).';

revoke all on function interview_private.create_interview(jsonb, jsonb) from public;
