-- A valid create request body, parsed once into interview_private.create_request:
-- every cast, trim, default, date parse, tag merge and normalisation happens
-- here, and the questions become an interview_private.question_item[]
-- (interview_private.parse_questions). Everything after it reads the record.
-- The plain texts are parsed by their rules in interview_private.parse_request_texts
-- (generated from the rule table), so a text field stored as sent needs no line here.
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
  v_company jsonb;
begin
  -- the plain texts by their rules (generated), then every other attribute by
  -- name, never by position: wherever an attribute stands in the type
  v_request := interview_private.parse_request_texts(p_body);
  v_request.interview_template_id := (p_body ->> 'interview_template_id')::uuid;
  v_request.mojito_language_code := p_body ->> 'mojito_language_code';
  v_request.status := (p_body ->> 'status')::public.interview_status;
  v_request.type := (p_body ->> 'type')::public.interview_kind;
  v_request.visibility := (p_body ->> 'visibility')::public.interview_visibility;
  v_request.disable_deduplication := coalesce((p_body ->> 'disable_deduplication')::boolean, false);
  v_request.questions := interview_private.parse_questions(
    p_body -> 'questions', p_body ->> 'mojito_language_code', not v_request.disable_deduplication);
  v_request.questions_submitted := pg_catalog.jsonb_array_length(p_body -> 'questions');
  v_request.recording := (p_body ->> 'recording')::public.cheating_detection_recording;
  v_request.recording_full_session := (p_body ->> 'recording_full_session')::public.full_session_recording;
  v_request.interview_type := coalesce((p_body ->> 'interview_type')::public.interview_type, 'pre-screening');
  v_request.seniority_level := (p_body ->> 'seniority_level')::public.seniority_level;
  v_request.result_view := (p_body ->> 'result_view')::public.result_view;
  v_request.interview_conversation_speed := (p_body ->> 'interview_conversation_speed')::public.conversation_speed;
  v_request.candidate_video_introduction :=
    (p_body ->> 'candidate_video_introduction')::public.candidate_video_introduction;
  v_request.interview_tone := interview_private.normalize_tone(p_body ->> 'interview_tone');
  v_request.interview_attempts := coalesce((p_body ->> 'interview_attempts')::numeric::integer, 1);
  v_request.questions_random_subset := (p_body ->> 'questions_random_subset')::numeric;
  v_request.max_followups := (p_body ->> 'max_followups')::numeric::integer;
  v_request.interview_available_till := interview_private.parse_available_till(p_body ->> 'interview_available_till');
  v_request.recruiter_profile_id := (p_body ->> 'recruiter_profile_id')::uuid;
  v_company := p_body -> 'hiring_for_company';
  v_request.hiring_for_company := case pg_catalog.jsonb_typeof(v_company)
    when 'string' then (
      select pg_catalog.jsonb_build_object('name', c.name)
      from (select nullif(pg_catalog.btrim(v_company #>> '{}', c_blank), '') as name) as c
      where c.name is not null)
    when 'object' then (
      -- its fields trimmed (an empty one is absent); other keys kept as sent
      select pg_catalog.jsonb_object_agg(
               e.key,
               case when k.known then pg_catalog.to_jsonb(pg_catalog.btrim(e.value #>> '{}', c_blank)) else e.value end)
      from pg_catalog.jsonb_each(v_company) as e (key, value)
      cross join lateral (
        select pg_catalog.jsonb_typeof(e.value) = 'string'
               and e.key in (select r.field from pg_catalog.unnest(interview_private.request_field_rule_list()) as r
                             where r.scope = 'hiring_for_company') as known
      ) as k
      where pg_catalog.jsonb_typeof(e.value) <> 'null'
        and not (k.known and pg_catalog.btrim(e.value #>> '{}', c_blank) = ''))
  end;
  v_request.tags := coalesce((
    select pg_catalog.array_agg(t.tag order by t.first_seen)
    from (
      select pg_catalog.btrim(g.tag, c_blank) as tag, min(g.n) as first_seen
      from pg_catalog.jsonb_array_elements_text(nullif(p_body -> 'tags', 'null')) with ordinality as g (tag, n)
      where pg_catalog.btrim(g.tag, c_blank) <> ''  -- an empty item is dropped (with a warning)
      group by pg_catalog.btrim(g.tag, c_blank)
    ) as t
  ), '{}');
  v_request.required_pronunciation := coalesce((p_body ->> 'required_pronunciation')::boolean, false);
  v_request.result_enable_edit_transcript := coalesce((p_body ->> 'result_enable_edit_transcript')::boolean, true);
  v_request.pdf_export_auto_config := case when nullif(p_body -> 'pdf_export_auto_config', 'null') is not null
    then '{"template": "classic"}'::jsonb
         || interview_private.parse_nested_object(nullif(p_body -> 'pdf_export_auto_config', 'null'), 'pdf_export_auto_config') end;
  v_request.knowledge_base_store_id := (p_body ->> 'knowledge_base_store_id')::uuid;
  v_request.candidate_expectations_json :=
    interview_private.parse_nested_object(nullif(p_body -> 'candidate_expectations_json', 'null'), 'candidate_expectations');
  v_request.custom_scoring := interview_private.parse_nested_object(nullif(p_body -> 'custom_scoring', 'null'), 'custom_scoring');
  v_request.additional_context := nullif(p_body -> 'additional_context', 'null');
  v_request.instructional_video := coalesce((p_body ->> 'instructional_video')::boolean, false);
  v_request.is_embedded := coalesce((p_body ->> 'is_embedded')::boolean, false);
  return v_request;
end
$$;

comment on function interview_private.parse_request(jsonb) is
  'Parse a valid create request body once into interview_private.create_request: typed, trimmed, defaulted, nulls inside objects dropped, questions parsed and deduplicated.';

revoke all on function interview_private.parse_request(jsonb) from public;
