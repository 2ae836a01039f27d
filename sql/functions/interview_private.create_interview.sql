-- The create operation behind public.job_interview_create_from_array, on the
-- request body as one JSON object. Each step is a named piece:
--
--   1. limits        the body's size, nesting and numbers, before any heavy work
--   2. caller        interview_private.current_caller           401 / 403
--   3. validation    interview_private.assert_valid_request     422
--   4. target        interview_private.authorized_merchant      403
--   5. questions     interview_private.normalize_questions      (dedup, positions)
--   6. references    interview_private.resolve_references       422
--   7. idempotency   interview_private.claim_idempotency_key    replay / 409
--   8. derived data  seniority, tone, scoring, expectations, credits
--   9. writes        the set, interview_private.insert_question_steps, embed key, outbox
--
-- Any error rolls back everything the call wrote.
create or replace function interview_private.create_interview(p_body jsonb)
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
  c_max_body_bytes constant integer := 2097152;
  v_body_bytes integer := pg_catalog.pg_column_size(p_body);
  v_caller record;
  v_target record;
  v_template public.interview_templates;
  v_deduplicate boolean := not coalesce((p_body ->> 'disable_deduplication')::boolean, false);
  v_instructional_video boolean := coalesce((p_body ->> 'instructional_video')::boolean, false);
  v_items interview_private.question_item[];
  v_replay jsonb;
  v_question_steps integer;
  v_answer_seconds integer;
  v_seniority public.seniority_level;
  v_expectations jsonb;
  v_expectations_generated boolean := false;
  v_credits numeric;
  v_set_id uuid;
  v_embed_id uuid;
  v_signing_key text;
  v_response jsonb;
begin
  -- 1. limits
  if v_body_bytes > c_max_body_bytes then
    perform interview_private.raise_invalid(
      '$',
      pg_catalog.format('the request body is %s bytes; the limit is %s', v_body_bytes, c_max_body_bytes),
      'at most 2 MiB: 200 questions, texts within their lengths, small additional_context and external_data'
    );
  end if;

  -- JSON nested deeper than any client needs (every walk of it costs stack).
  if pg_catalog.jsonb_path_exists(p_body, 'strict $.**{65}') then
    perform interview_private.raise_invalid(
      '$', 'the request body nests objects and arrays more than 64 levels deep',
      'at most 64 levels of nested objects and arrays'
    );
  end if;

  -- 2. caller
  select * into v_caller from interview_private.current_caller();

  -- 3. validation
  perform interview_private.assert_valid_request(p_body);

  -- Numbers beyond a double's range, in the fields no rule bounds (free-form
  -- objects): 1e100000 is a few bytes of jsonb but 100000 digits of text, and
  -- the body is written out as text further on (idempotency hash, outbox).
  if pg_catalog.jsonb_path_exists(
    p_body, 'strict $.** ? (@.type() == "number" && (@ > 1e308 || @ < -1e308 || (@ != 0 && @ < 1e-308 && @ > -1e-308)))'
  ) then
    perform interview_private.raise_invalid(
      '$', 'the request body holds a number beyond the range of a double (about 1e-308 to 1e308)',
      'numbers a JSON client can read: within about 1e-308 to 1e308 in magnitude'
    );
  end if;

  -- 4. target merchant
  select * into v_target
  from interview_private.authorized_merchant(
    v_caller.is_service, v_caller.merchant_id, p_body ->> 'merchant_id'
  );

  -- 5. questions, normalised and deduplicated; steps start after welcome (and video)
  v_items := interview_private.normalize_questions(
    p_body -> 'questions', p_body ->> 'mojito_language_code', v_deduplicate,
    case when v_instructional_video then 3 else 2 end
  );

  -- 6. references
  v_template := interview_private.resolve_references(p_body, v_target.merchant_id, v_target.coaching_enabled, v_items);

  -- 7. idempotency
  if p_body ? 'idempotency_key' then
    v_replay := interview_private.claim_idempotency_key(
      v_target.merchant_id, p_body ->> 'idempotency_key', p_body - 'idempotency_key'
    );
    if v_replay is not null then
      return v_replay;
    end if;
  end if;

  -- 8. derived data
  select count(*)::integer, coalesce(sum(coalesce(i.duration, v_template.default_answer_duration_seconds)), 0)::integer
  into v_question_steps, v_answer_seconds
  from pg_catalog.unnest(v_items) as i
  where i.step_position is not null;

  v_seniority := coalesce(
    (p_body ->> 'seniority_level')::public.seniority_level,
    interview_private.detect_seniority(p_body ->> 'name', p_body ->> 'description', p_body ->> 'description_long')
  );

  if p_body ? 'candidate_expectations_json' then
    v_expectations := p_body -> 'candidate_expectations_json';
  elsif p_body ->> 'type' = 'interview' then
    v_expectations := interview_private.derive_candidate_expectations(
      v_items, pg_catalog.btrim(p_body ->> 'name', E' \t\r\n'), v_seniority
    );
    v_expectations_generated := true;
  end if;

  v_credits := interview_private.credits_per_session(
    v_template.base_credit,
    (p_body ->> 'recording')::public.cheating_detection_recording,
    (p_body ->> 'recording_full_session')::public.full_session_recording,
    v_answer_seconds,
    (p_body ->> 'questions_random_subset')::numeric
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
  select
    v_target.merchant_id,
    v_template.id,
    p_body ->> 'mojito_language_code',
    (p_body ->> 'knowledge_base_store_id')::uuid,
    (p_body ->> 'recruiter_profile_id')::uuid,
    v_caller.user_id,
    pg_catalog.btrim(p_body ->> 'name', E' \t\r\n'),
    pg_catalog.btrim(p_body ->> 'location', E' \t\r\n'),
    pg_catalog.btrim(p_body ->> 'description', E' \t\r\n'),
    nullif(p_body ->> 'description_long', ''),
    (p_body ->> 'status')::public.interview_status,
    (p_body ->> 'type')::public.interview_kind,
    (p_body ->> 'visibility')::public.interview_visibility,
    coalesce((p_body ->> 'interview_type')::public.interview_type, 'pre-screening'),
    v_seniority,
    not p_body ? 'seniority_level',
    interview_private.normalize_tone(p_body ->> 'interview_tone'),
    (p_body ->> 'result_view')::public.result_view,
    coalesce((p_body ->> 'interview_conversation_speed')::public.conversation_speed, v_template.default_conversation_speed),
    (p_body ->> 'candidate_video_introduction')::public.candidate_video_introduction,
    (p_body ->> 'recording')::public.cheating_detection_recording,
    (p_body ->> 'recording_full_session')::public.full_session_recording,
    coalesce((p_body -> 'max_followups')::numeric::integer, v_template.default_max_followups),
    (p_body -> 'questions_random_subset')::numeric,
    nullif(pg_catalog.btrim(p_body ->> 'code', E' \t\r\n'), ''),
    nullif(p_body ->> 'cover_image_url', ''),
    nullif(pg_catalog.btrim(p_body ->> 'interview_department', E' \t\r\n'), ''),
    nullif(pg_catalog.btrim(p_body ->> 'interview_salary', E' \t\r\n'), ''),
    interview_private.parse_available_till(p_body ->> 'interview_available_till'),
    coalesce((
      select pg_catalog.array_agg(t.tag order by t.first_seen)
      from (
        select pg_catalog.btrim(x.tag, E' \t\r\n') as tag, min(x.n) as first_seen
        from pg_catalog.jsonb_array_elements_text(p_body -> 'tags') with ordinality as x (tag, n)
        group by pg_catalog.btrim(x.tag, E' \t\r\n')
      ) as t
    ), '{}'),
    coalesce((p_body ->> 'required_pronunciation')::boolean, false),
    coalesce((p_body ->> 'result_enable_edit_transcript')::boolean, true),
    case when p_body ? 'pdf_export_auto_config'
         then '{"template": "classic"}'::jsonb || (p_body -> 'pdf_export_auto_config') end,
    nullif(pg_catalog.btrim(p_body ->> 'candidate_expectations', E' \t\r\n'), ''),
    v_expectations,
    v_expectations_generated,
    interview_private.scoring_config(
      v_template.scoring_overrides, p_body -> 'custom_scoring', (p_body -> 'interview_attempts')::numeric::integer
    ),
    v_instructional_video,
    nullif(pg_catalog.btrim(p_body ->> 'instructional_video_custom_text', E' \t\r\n'), ''),
    coalesce((p_body ->> 'is_embedded')::boolean, false),
    pg_catalog.jsonb_build_object(
      'hiring_for_company',
      case pg_catalog.jsonb_typeof(p_body -> 'hiring_for_company')
        when 'string' then pg_catalog.jsonb_build_object('name', pg_catalog.btrim(p_body ->> 'hiring_for_company', E' \t\r\n'))
        else p_body -> 'hiring_for_company'
      end,
      'additional_context', p_body -> 'additional_context',
      'disable_deduplication', not v_deduplicate,
      'questions_submitted', pg_catalog.jsonb_array_length(p_body -> 'questions')
    ),
    v_credits,
    case when p_body ->> 'status' = 'active' then pg_catalog.now() end
  returning id into v_set_id;

  perform interview_private.insert_question_steps(
    v_set_id,
    v_target.merchant_id,
    v_items,
    coalesce(nullif(pg_catalog.btrim(p_body ->> 'welcome_message', E' \t\r\n'), ''), v_template.default_welcome_message),
    v_instructional_video,
    nullif(pg_catalog.btrim(p_body ->> 'instructional_video_custom_text', E' \t\r\n'), ''),
    coalesce(nullif(pg_catalog.btrim(p_body ->> 'thank_you_message', E' \t\r\n'), ''), v_template.default_thank_you_message)
  );

  v_response := pg_catalog.jsonb_build_object(
    'interview_def_set_id', v_set_id,
    'questions_created', v_question_steps,
    'credits_per_session', pg_catalog.trim_scale(v_credits)
  );

  if coalesce((p_body ->> 'is_embedded')::boolean, false) then
    v_embed_id := pg_catalog.gen_random_uuid();
    v_signing_key := pg_catalog.encode(extensions.gen_random_bytes(32), 'hex');
    insert into interview_private.embed_keys (embed_id, interview_def_set_id, signing_key)
    values (v_embed_id, v_set_id, v_signing_key);
    v_response := v_response || pg_catalog.jsonb_build_object('embed_id', v_embed_id);
  end if;

  insert into interview_private.outbox_events (event_type, merchant_id, interview_def_set_id, payload)
  select 'interview.created', v_target.merchant_id, v_set_id,
         v_response || pg_catalog.jsonb_build_object(
           'merchant_id', v_target.merchant_id,
           'created_by', v_caller.user_id,
           'status', p_body ->> 'status',
           'type', p_body ->> 'type',
           'name', pg_catalog.btrim(p_body ->> 'name', E' \t\r\n')
         )
  union all
  select 'interview.expectations_requested', v_target.merchant_id, v_set_id,
         pg_catalog.jsonb_build_object(
           'interview_def_set_id', v_set_id,
           'merchant_id', v_target.merchant_id,
           'role', pg_catalog.btrim(p_body ->> 'name', E' \t\r\n'),
           'description', pg_catalog.btrim(p_body ->> 'description', E' \t\r\n'),
           'seniority_level', v_seniority,
           'mojito_language_code', p_body ->> 'mojito_language_code',
           'additional_context', coalesce(p_body -> 'additional_context', '{}'::jsonb),
           'generated_expectations', v_expectations
         )
  where v_expectations_generated;

  if p_body ? 'idempotency_key' then
    -- The stored response leaves the signing key out: it lives in embed_keys only.
    update interview_private.idempotency_keys as k
    set response = v_response, interview_def_set_id = v_set_id
    where k.merchant_id = v_target.merchant_id and k.idempotency_key = p_body ->> 'idempotency_key';
  end if;

  if v_signing_key is not null then
    v_response := v_response || pg_catalog.jsonb_build_object('embed_signing_key', v_signing_key);
  end if;
  return v_response;
end
$$;

comment on function interview_private.create_interview(jsonb) is
  'Create an interview set from a create request body (see job_interview_create_from_array): authenticate, validate, authorize, resolve, then write the set, its question records and steps, the embed key and the outbox events in one transaction. Returns the API response.';

revoke all on function interview_private.create_interview(jsonb) from public;
