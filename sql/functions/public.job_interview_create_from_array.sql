-- The RPC: POST /rest/v1/rpc/job_interview_create_from_array, supabase.rpc(...).
-- One named parameter per JSON key of the existing API's body, each `jsonb
-- default null`: PostgREST resolves any subset of the keys, a missing required
-- field reaches the function and gets a 422 naming it, and every value arrives
-- as the client sent it (PostgREST's json_to_record hands a jsonb column over
-- untouched; a JSON null arrives as SQL null, the same as an absent key). The
-- function checks each value's JSON type itself: nothing is cast before it runs.
-- The work is done by interview_private.create_interview on the body as JSON.
create or replace function public.job_interview_create_from_array(
  name jsonb default null,
  location jsonb default null,
  interview_template_id jsonb default null,
  mojito_language_code jsonb default null,
  description jsonb default null,
  status jsonb default null,
  type jsonb default null,
  visibility jsonb default null,
  questions jsonb default null,
  recording jsonb default null,
  recording_full_session jsonb default null,
  interview_type jsonb default null,
  seniority_level jsonb default null,
  result_view jsonb default null,
  interview_conversation_speed jsonb default null,
  candidate_video_introduction jsonb default null,
  interview_tone jsonb default null,
  interview_attempts jsonb default null,
  questions_random_subset jsonb default null,
  max_followups jsonb default null,
  code jsonb default null,
  cover_image_url jsonb default null,
  interview_department jsonb default null,
  interview_salary jsonb default null,
  interview_available_till jsonb default null,
  recruiter_profile_id jsonb default null,
  hiring_for_company jsonb default null,
  tags jsonb default null,
  required_pronunciation jsonb default null,
  result_enable_edit_transcript jsonb default null,
  pdf_export_auto_config jsonb default null,
  knowledge_base_store_id jsonb default null,
  merchant_id jsonb default null,
  description_long jsonb default null,
  candidate_expectations jsonb default null,
  candidate_expectations_json jsonb default null,
  custom_scoring jsonb default null,
  additional_context jsonb default null,
  instructional_video jsonb default null,
  instructional_video_custom_text jsonb default null,
  disable_deduplication jsonb default null,
  welcome_message jsonb default null,
  thank_you_message jsonb default null,
  is_embedded jsonb default null,
  idempotency_key jsonb default null
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  -- The limits first, on the values as they came (a hostile body is refused
  -- before the body object is built: building it walks every value).
  perform interview_private.assert_body_limits(
    array[
      job_interview_create_from_array.name, job_interview_create_from_array.location,
      job_interview_create_from_array.interview_template_id,
      job_interview_create_from_array.mojito_language_code, job_interview_create_from_array.description,
      job_interview_create_from_array.status, job_interview_create_from_array.type,
      job_interview_create_from_array.visibility, job_interview_create_from_array.questions,
      job_interview_create_from_array.recording, job_interview_create_from_array.recording_full_session,
      job_interview_create_from_array.interview_type, job_interview_create_from_array.seniority_level,
      job_interview_create_from_array.result_view,
      job_interview_create_from_array.interview_conversation_speed,
      job_interview_create_from_array.candidate_video_introduction,
      job_interview_create_from_array.interview_tone,
      job_interview_create_from_array.interview_attempts,
      job_interview_create_from_array.questions_random_subset,
      job_interview_create_from_array.max_followups, job_interview_create_from_array.code,
      job_interview_create_from_array.cover_image_url,
      job_interview_create_from_array.interview_department,
      job_interview_create_from_array.interview_salary,
      job_interview_create_from_array.interview_available_till,
      job_interview_create_from_array.recruiter_profile_id,
      job_interview_create_from_array.hiring_for_company, job_interview_create_from_array.tags,
      job_interview_create_from_array.required_pronunciation,
      job_interview_create_from_array.result_enable_edit_transcript,
      job_interview_create_from_array.pdf_export_auto_config,
      job_interview_create_from_array.knowledge_base_store_id,
      job_interview_create_from_array.merchant_id, job_interview_create_from_array.description_long,
      job_interview_create_from_array.candidate_expectations,
      job_interview_create_from_array.candidate_expectations_json,
      job_interview_create_from_array.custom_scoring,
      job_interview_create_from_array.additional_context,
      job_interview_create_from_array.instructional_video,
      job_interview_create_from_array.instructional_video_custom_text,
      job_interview_create_from_array.disable_deduplication,
      job_interview_create_from_array.welcome_message,
      job_interview_create_from_array.thank_you_message, job_interview_create_from_array.is_embedded,
      job_interview_create_from_array.idempotency_key
    ],
    null
  );
  -- The body as one object, without the keys that are absent (or JSON null):
  -- built once and trimmed by key, never aggregated again (jsonb_object_agg
  -- would take seconds over a 2 MiB array).
  return interview_private.create_interview(
    pg_catalog.jsonb_build_object(
      'name', job_interview_create_from_array.name,
      'location', job_interview_create_from_array.location,
      'interview_template_id', job_interview_create_from_array.interview_template_id,
      'mojito_language_code', job_interview_create_from_array.mojito_language_code,
      'description', job_interview_create_from_array.description,
      'status', job_interview_create_from_array.status,
      'type', job_interview_create_from_array.type,
      'visibility', job_interview_create_from_array.visibility,
      'questions', job_interview_create_from_array.questions,
      'recording', job_interview_create_from_array.recording,
      'recording_full_session', job_interview_create_from_array.recording_full_session,
      'interview_type', job_interview_create_from_array.interview_type,
      'seniority_level', job_interview_create_from_array.seniority_level,
      'result_view', job_interview_create_from_array.result_view,
      'interview_conversation_speed', job_interview_create_from_array.interview_conversation_speed,
      'candidate_video_introduction', job_interview_create_from_array.candidate_video_introduction,
      'interview_tone', job_interview_create_from_array.interview_tone,
      'interview_attempts', job_interview_create_from_array.interview_attempts,
      'questions_random_subset', job_interview_create_from_array.questions_random_subset,
      'max_followups', job_interview_create_from_array.max_followups,
      'code', job_interview_create_from_array.code,
      'cover_image_url', job_interview_create_from_array.cover_image_url,
      'interview_department', job_interview_create_from_array.interview_department,
      'interview_salary', job_interview_create_from_array.interview_salary,
      'interview_available_till', job_interview_create_from_array.interview_available_till,
      'recruiter_profile_id', job_interview_create_from_array.recruiter_profile_id,
      'hiring_for_company', job_interview_create_from_array.hiring_for_company,
      'tags', job_interview_create_from_array.tags,
      'required_pronunciation', job_interview_create_from_array.required_pronunciation,
      'result_enable_edit_transcript', job_interview_create_from_array.result_enable_edit_transcript,
      'pdf_export_auto_config', job_interview_create_from_array.pdf_export_auto_config,
      'knowledge_base_store_id', job_interview_create_from_array.knowledge_base_store_id,
      'merchant_id', job_interview_create_from_array.merchant_id,
      'description_long', job_interview_create_from_array.description_long,
      'candidate_expectations', job_interview_create_from_array.candidate_expectations,
      'candidate_expectations_json', job_interview_create_from_array.candidate_expectations_json,
      'custom_scoring', job_interview_create_from_array.custom_scoring,
      'additional_context', job_interview_create_from_array.additional_context,
      'instructional_video', job_interview_create_from_array.instructional_video,
      'instructional_video_custom_text', job_interview_create_from_array.instructional_video_custom_text,
      'disable_deduplication', job_interview_create_from_array.disable_deduplication,
      'welcome_message', job_interview_create_from_array.welcome_message,
      'thank_you_message', job_interview_create_from_array.thank_you_message,
      'is_embedded', job_interview_create_from_array.is_embedded,
      'idempotency_key', job_interview_create_from_array.idempotency_key
    )
    - pg_catalog.array_remove(array[
        case when job_interview_create_from_array.name is null then 'name' end,
        case when job_interview_create_from_array.location is null then 'location' end,
        case when job_interview_create_from_array.interview_template_id is null then 'interview_template_id' end,
        case when job_interview_create_from_array.mojito_language_code is null then 'mojito_language_code' end,
        case when job_interview_create_from_array.description is null then 'description' end,
        case when job_interview_create_from_array.status is null then 'status' end,
        case when job_interview_create_from_array.type is null then 'type' end,
        case when job_interview_create_from_array.visibility is null then 'visibility' end,
        case when job_interview_create_from_array.questions is null then 'questions' end,
        case when job_interview_create_from_array.recording is null then 'recording' end,
        case when job_interview_create_from_array.recording_full_session is null then 'recording_full_session' end,
        case when job_interview_create_from_array.interview_type is null then 'interview_type' end,
        case when job_interview_create_from_array.seniority_level is null then 'seniority_level' end,
        case when job_interview_create_from_array.result_view is null then 'result_view' end,
        case when job_interview_create_from_array.interview_conversation_speed is null then 'interview_conversation_speed' end,
        case when job_interview_create_from_array.candidate_video_introduction is null then 'candidate_video_introduction' end,
        case when job_interview_create_from_array.interview_tone is null then 'interview_tone' end,
        case when job_interview_create_from_array.interview_attempts is null then 'interview_attempts' end,
        case when job_interview_create_from_array.questions_random_subset is null then 'questions_random_subset' end,
        case when job_interview_create_from_array.max_followups is null then 'max_followups' end,
        case when job_interview_create_from_array.code is null then 'code' end,
        case when job_interview_create_from_array.cover_image_url is null then 'cover_image_url' end,
        case when job_interview_create_from_array.interview_department is null then 'interview_department' end,
        case when job_interview_create_from_array.interview_salary is null then 'interview_salary' end,
        case when job_interview_create_from_array.interview_available_till is null then 'interview_available_till' end,
        case when job_interview_create_from_array.recruiter_profile_id is null then 'recruiter_profile_id' end,
        case when job_interview_create_from_array.hiring_for_company is null then 'hiring_for_company' end,
        case when job_interview_create_from_array.tags is null then 'tags' end,
        case when job_interview_create_from_array.required_pronunciation is null then 'required_pronunciation' end,
        case when job_interview_create_from_array.result_enable_edit_transcript is null then 'result_enable_edit_transcript' end,
        case when job_interview_create_from_array.pdf_export_auto_config is null then 'pdf_export_auto_config' end,
        case when job_interview_create_from_array.knowledge_base_store_id is null then 'knowledge_base_store_id' end,
        case when job_interview_create_from_array.merchant_id is null then 'merchant_id' end,
        case when job_interview_create_from_array.description_long is null then 'description_long' end,
        case when job_interview_create_from_array.candidate_expectations is null then 'candidate_expectations' end,
        case when job_interview_create_from_array.candidate_expectations_json is null then 'candidate_expectations_json' end,
        case when job_interview_create_from_array.custom_scoring is null then 'custom_scoring' end,
        case when job_interview_create_from_array.additional_context is null then 'additional_context' end,
        case when job_interview_create_from_array.instructional_video is null then 'instructional_video' end,
        case when job_interview_create_from_array.instructional_video_custom_text is null then 'instructional_video_custom_text' end,
        case when job_interview_create_from_array.disable_deduplication is null then 'disable_deduplication' end,
        case when job_interview_create_from_array.welcome_message is null then 'welcome_message' end,
        case when job_interview_create_from_array.thank_you_message is null then 'thank_you_message' end,
        case when job_interview_create_from_array.is_embedded is null then 'is_embedded' end,
        case when job_interview_create_from_array.idempotency_key is null then 'idempotency_key' end
      ]::text[], null)
  );
end
$$;

comment on function public.job_interview_create_from_array(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb) is
    $comment$Create an interview from an array of questions.

The body of POST /rest/v1/rpc/job_interview_create_from_array is the existing API's body, unchanged: required name, location, interview_template_id, mojito_language_code, description, status (draft | active), type (interview | coaching | assessment), visibility (merchant_public | merchant_invite | merchant_unlisted) and questions (1 to 200 question objects or plain strings); optional fields for recording, pricing, scoring, steps, embedding and idempotency.

Builds the interview's ordered steps (welcome, optional instructional video, one step per question after deduplication, thank-you), prices a session in credits, optionally publishes it (status active) and issues embed credentials (is_embedded).

Returns {interview_def_set_id, questions_created, credits_per_session} plus embed_id and embed_signing_key when is_embedded is true, and warnings ({path, code, message, suggestion?}: at most 50, then one truncated) only when the call ignored or adjusted something: an unknown key (of the body, a question, custom_scoring or pdf_export_auto_config), an empty tag or expectation item dropped, a fractional duration rounded up.

Lenient where the existing API is silent: what real clients send is accepted and stored as sent (date-times with any number of fraction digits, "" as an absent optional text, keys of their own). Every value is checked for its exact JSON type (a string where a boolean or number belongs is a 422, never cast); a JSON null is an absent key.

Errors (PostgREST body {code, message, details, hint}; details is the field path such as questions[3].duration): 401 without a signed-in user, 403 when the caller may not create for the target merchant, 409 when idempotency_key was used with another body, 422 for any invalid field.$comment$;

revoke all on function public.job_interview_create_from_array(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb) from public, anon;
grant execute on function public.job_interview_create_from_array(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb) to authenticated, service_role;
