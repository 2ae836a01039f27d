-- A valid create request body, parsed once into interview_private.create_request:
-- every cast, trim, default, date parse, tag merge and normalisation happens
-- here, and the questions become an interview_private.question_item[]
-- (interview_private.parse_questions). Everything after it reads the record.
--
-- A JSON null is an absent key at the top level (PostgREST hands it over as
-- SQL null) and inside the objects: null members of custom_scoring,
-- pdf_export_auto_config, hiring_for_company and candidate_expectations_json
-- are dropped, so their defaults apply; an optional text that is empty after
-- trimming is absent too. hiring_for_company as a bare string is {name: ...}.
-- What the request ignores is dropped (unknown keys of custom_scoring and
-- pdf_export_auto_config, empty tags and expectation items): the warnings name
-- it (interview_private.request_warnings).
create or replace function interview_private.parse_request(p_body jsonb)
returns interview_private.create_request
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  c_blank constant text := E' \t\r\n';  -- what trimming removes
  v_request interview_private.create_request;
begin
  select
    pg_catalog.btrim(x.name, c_blank),
    pg_catalog.btrim(x.location, c_blank),
    x.interview_template_id::uuid,
    x.mojito_language_code,
    pg_catalog.btrim(x.description, c_blank),
    x.status::public.interview_status,
    x.type::public.interview_kind,
    x.visibility::public.interview_visibility,
    interview_private.parse_questions(x.questions, x.mojito_language_code, not coalesce(x.disable_deduplication, false)),
    pg_catalog.jsonb_array_length(x.questions),
    x.recording::public.cheating_detection_recording,
    x.recording_full_session::public.full_session_recording,
    coalesce(x.interview_type::public.interview_type, 'pre-screening'),
    x.seniority_level::public.seniority_level,
    x.result_view::public.result_view,
    x.interview_conversation_speed::public.conversation_speed,
    x.candidate_video_introduction::public.candidate_video_introduction,
    interview_private.normalize_tone(x.interview_tone),
    coalesce(x.interview_attempts::integer, 1),
    x.questions_random_subset,
    x.max_followups::integer,
    nullif(pg_catalog.btrim(x.code, c_blank), ''),
    nullif(pg_catalog.btrim(x.cover_image_url, c_blank), ''),
    nullif(pg_catalog.btrim(x.interview_department, c_blank), ''),
    nullif(pg_catalog.btrim(x.interview_salary, c_blank), ''),
    interview_private.parse_available_till(x.interview_available_till),
    x.recruiter_profile_id::uuid,
    case pg_catalog.jsonb_typeof(x.hiring_for_company)
      when 'string' then (
        select pg_catalog.jsonb_build_object('name', c.name)
        from (select nullif(pg_catalog.btrim(x.hiring_for_company #>> '{}', c_blank), '') as name) as c
        where c.name is not null)
      when 'object' then (
        -- its fields trimmed (an empty one is absent); other keys kept as sent
        select pg_catalog.jsonb_object_agg(
                 e.key,
                 case when k.known then pg_catalog.to_jsonb(pg_catalog.btrim(e.value #>> '{}', c_blank)) else e.value end)
        from pg_catalog.jsonb_each(x.hiring_for_company) as e (key, value)
        cross join lateral (
          select pg_catalog.jsonb_typeof(e.value) = 'string'
                 and e.key in (select r.field from pg_catalog.unnest(interview_private.request_field_rule_list()) as r
                               where r.scope = 'hiring_for_company') as known
        ) as k
        where pg_catalog.jsonb_typeof(e.value) <> 'null'
          and not (k.known and pg_catalog.btrim(e.value #>> '{}', c_blank) = ''))
    end,
    coalesce((
      select pg_catalog.array_agg(t.tag order by t.first_seen)
      from (
        select pg_catalog.btrim(g.tag, c_blank) as tag, min(g.n) as first_seen
        from pg_catalog.jsonb_array_elements_text(x.tags) with ordinality as g (tag, n)
        where pg_catalog.btrim(g.tag, c_blank) <> ''  -- an empty item is dropped (with a warning)
        group by pg_catalog.btrim(g.tag, c_blank)
      ) as t
    ), '{}'),
    coalesce(x.required_pronunciation, false),
    coalesce(x.result_enable_edit_transcript, true),
    case when x.pdf_export_auto_config is not null
         then '{"template": "classic"}'::jsonb
              || interview_private.parse_nested_object(x.pdf_export_auto_config, 'pdf_export_auto_config') end,
    x.knowledge_base_store_id::uuid,
    nullif(x.description_long, ''),
    nullif(pg_catalog.btrim(x.candidate_expectations, c_blank), ''),
    interview_private.parse_nested_object(x.candidate_expectations_json, 'candidate_expectations'),
    interview_private.parse_nested_object(x.custom_scoring, 'custom_scoring'),
    x.additional_context,
    coalesce(x.instructional_video, false),
    nullif(pg_catalog.btrim(x.instructional_video_custom_text, c_blank), ''),
    coalesce(x.disable_deduplication, false),
    nullif(pg_catalog.btrim(x.welcome_message, c_blank), ''),
    nullif(pg_catalog.btrim(x.thank_you_message, c_blank), ''),
    coalesce(x.is_embedded, false)
  into strict v_request
  from pg_catalog.jsonb_to_record(p_body) as x (
    name text, location text, interview_template_id text, mojito_language_code text, description text,
    status text, type text, visibility text, questions jsonb, recording text, recording_full_session text,
    interview_type text, seniority_level text, result_view text, interview_conversation_speed text,
    candidate_video_introduction text, interview_tone text, interview_attempts numeric,
    questions_random_subset numeric, max_followups numeric, code text, cover_image_url text,
    interview_department text, interview_salary text, interview_available_till text, recruiter_profile_id text,
    hiring_for_company jsonb, tags jsonb, required_pronunciation boolean, result_enable_edit_transcript boolean,
    pdf_export_auto_config jsonb, knowledge_base_store_id text, description_long text, candidate_expectations text,
    candidate_expectations_json jsonb, custom_scoring jsonb, additional_context jsonb, instructional_video boolean,
    instructional_video_custom_text text, disable_deduplication boolean, welcome_message text,
    thank_you_message text, is_embedded boolean
  );
  return v_request;
end
$$;

comment on function interview_private.parse_request(jsonb) is
  'Parse a valid create request body once into interview_private.create_request: typed, trimmed, defaulted, nulls inside objects dropped, questions parsed and deduplicated.';

revoke all on function interview_private.parse_request(jsonb) from public;
