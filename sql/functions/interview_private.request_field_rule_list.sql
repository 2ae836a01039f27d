-- The rule table of the create request: one row per field of the body, of a
-- question and of the nested objects. The validation walks it
-- (interview_private.first_invalid_field), the fallback overload names fields
-- from it, and the OpenAPI document is generated from it: a new field touches
-- this one place.
--
-- It is a constant (IMMUTABLE, allowed values spelled out; a test checks them
-- against the enum types), so the validation's cached plan holds it and no
-- request pays for building it. Read it as a table with
-- interview_private.request_field_rules().
create or replace function interview_private.request_field_rule_list()
returns interview_private.request_field_rule[]
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return (
    select pg_catalog.array_agg(
             row(r.scope, r.ordinal, r.field, r.kind, r.required, r.min_length, r.max_length, r.min_value, r.max_value,
                 r.max_items, r.allowed, r.nested_scope,
                 coalesce(r.hint, case
                   when r.allowed is not null then 'one of: ' || pg_catalog.array_to_string(r.allowed, ', ')
                   when r.kind = 'text' and r.min_length > 0 then pg_catalog.format('a text of %s to %s characters', r.min_length, r.max_length)
                   when r.kind in ('text', 'handle') then pg_catalog.format('a text of at most %s characters', r.max_length)
                   when r.kind = 'integer' then pg_catalog.format('a whole number from %s to %s', r.min_value, r.max_value)
                   when r.kind = 'number' then pg_catalog.format('a number from %s to %s', r.min_value, r.max_value)
                   when r.kind = 'boolean' then 'true or false'
                   when r.kind = 'uuid' then 'a UUID such as 123e4567-e89b-12d3-a456-426614174000'
                 end),
                 r.description
             )::interview_private.request_field_rule
             order by r.scope, r.ordinal)
    from (values
      -- scope, ordinal, field, kind, required, min_length, max_length, min_value, max_value, max_items, allowed, nested_scope, hint, description
      ('body', 1, 'name', 'text', true, 1, 200, null::numeric, null::numeric, null::integer, null::text[], null::text, null::text,
        'Title of the interview, e.g. the job title.'),
      ('body', 2, 'location', 'text', true, 1, 200, null, null, null, null, null, null,
        'Where the job is, e.g. "remote".'),
      ('body', 3, 'interview_template_id', 'uuid', true, null, null, null, null, null, null, null,
        'an id of an interview template available to the merchant (GET /rest/v1/interview_templates)',
        'The template that runs the interview: kind, base credit, default texts and scoring.'),
      ('body', 4, 'mojito_language_code', 'language', true, null, null, null, null, null, null, null,
        'a platform language code enabled for interviews, e.g. en, de, br (GET /rest/v1/platform_languages)',
        'Language of the interview.'),
      ('body', 5, 'description', 'text', true, 1, 2000, null, null, null, null, null, null,
        'Short description of the role.'),
      ('body', 6, 'status', 'enum', true, null, null, null, null, null,
        array['draft', 'active'], null, null,
        'draft, or active to publish at once (sets the activation time).'),
      ('body', 7, 'type', 'enum', true, null, null, null, null, null,
        array['interview', 'coaching', 'assessment'], null, null,
        'interview, coaching (only for merchants with the coaching portal) or assessment.'),
      ('body', 8, 'visibility', 'enum', true, null, null, null, null, null,
        array['merchant_public', 'merchant_invite', 'merchant_unlisted'], null, null,
        'Who can find the interview.'),
      ('body', 9, 'questions', 'questions', true, null, null, null, null, 200, null, 'question',
        'an array of 1 to 200 questions, each an object with a "question" text or a plain non-empty string',
        'The questions, in order; each becomes one question step (after deduplication).'),
      ('body', 10, 'recording', 'enum', false, null, null, null, null, null,
        array['audio_first_5_answers', 'audio_all', 'video_all', 'video_first_5_answers'], null, null,
        'Cheating detection recording (audio +0.1 credits, video +0.25); null disables.'),
      ('body', 11, 'recording_full_session', 'enum', false, null, null, null, null, null,
        array['audio_all', 'video_all'], null, null,
        'Recording of the whole session (audio_all +0.2 credits, video_all +0.4); null disables.'),
      ('body', 12, 'interview_type', 'enum', false, null, null, null, null, null,
        array['pre-screening', 'pre-screening-with-test-questions', 'second-interview', 'remote-freelancer-verification', 'strength-based-interview', 'potential-based-interview', 'process-verification-from-knowledge-base'], null, null,
        'Purpose of the interview; default pre-screening. process-verification-from-knowledge-base needs knowledge_base_store_id.'),
      ('body', 13, 'seniority_level', 'enum', false, null, null, null, null, null,
        array['entry-level', 'intermediate', 'senior', 'managerial', 'director', 'executive'], null, null,
        'Seniority of the role; when null it is detected from name, description and description_long.'),
      ('body', 14, 'result_view', 'enum', false, null, null, null, null, null,
        array['none', 'minimal', 'minimal_with_score', 'advanced', 'full', 'full_expand_scores'], null, null,
        'How much of the result the candidate sees.'),
      ('body', 15, 'interview_conversation_speed', 'enum', false, null, null, null, null, null,
        array['slower', 'normal', 'faster'], null, null,
        'Pace of the AI interviewer; null keeps the template default.'),
      ('body', 16, 'candidate_video_introduction', 'enum', false, null, null, null, null, null,
        array['optional', 'required'], null, null,
        'Whether the candidate records a video introduction.'),
      ('body', 17, 'interview_tone', 'tone', false, null, 200, null, null, null, null, null,
        'relaxed (default), simple, professional or persuasive; any other text is stored as relaxed',
        'Tone of the AI interviewer (trimmed, case-insensitive).'),
      ('body', 18, 'interview_attempts', 'integer', false, null, null, 1, 20, null, null, null, null,
        'How many times a candidate may take the interview (default 1); stored as scoring max_retries.'),
      ('body', 19, 'questions_random_subset', 'number', false, null, null, 0.01, 0.9, null, null, null, null,
        'Fraction of the questions asked, picked at random; null asks all.'),
      ('body', 20, 'max_followups', 'integer', false, null, null, 0, 999, null, null, null, null,
        'Follow-up questions the AI may ask per question; null uses the template default.'),
      ('body', 21, 'code', 'text', false, 0, 100, null, null, null, null, null, null,
        'External reference of the interview.'),
      ('body', 22, 'cover_image_url', 'url', false, 0, 2048, null, null, null, null, null,
        'an absolute http or https URL of at most 2048 characters',
        'Cover image shown to candidates.'),
      ('body', 23, 'interview_department', 'text', false, 0, 200, null, null, null, null, null, null,
        'Department of the role.'),
      ('body', 24, 'interview_salary', 'text', false, 0, 200, null, null, null, null, null, null,
        'Salary text shown to candidates.'),
      ('body', 25, 'interview_available_till', 'datetime', false, null, null, null, null, null, null, null,
        'a future ISO 8601 date (2026-12-31, meaning the end of that day, UTC) or date-time (2026-12-31T18:00:00Z)',
        'Until when candidates may take the interview.'),
      ('body', 26, 'recruiter_profile_id', 'uuid', false, null, null, null, null, null, null, null,
        'the id of a profile of the target merchant with role merchant_owner, merchant or admin',
        'Recruiter shown to candidates.'),
      ('body', 27, 'hiring_for_company', 'company', false, null, null, null, null, null, null, 'hiring_for_company',
        'an object {name, description, location, sector, company_size} of texts, or a text taken as the name',
        'The company the role is for, when hiring on behalf of another company.'),
      ('body', 28, 'tags', 'string_array', false, 1, 64, null, null, 50, null, null,
        'an array of at most 50 texts of 1 to 64 characters; duplicates are removed',
        'Tags of the interview.'),
      ('body', 29, 'required_pronunciation', 'boolean', false, null, null, null, null, null, null, null,
        'true or false; true needs a pronunciation-capable language',
        'Assess pronunciation (default false).'),
      ('body', 30, 'result_enable_edit_transcript', 'boolean', false, null, null, null, null, null, null, null, null,
        'Let reviewers edit the transcript (default true).'),
      ('body', 31, 'pdf_export_auto_config', 'object', false, null, null, null, null, null, null, 'pdf_export_auto_config',
        'an object with boolean sections, mojito_language_code and template (classic, modern, one_pager)',
        'Automatic PDF export of results.'),
      ('body', 32, 'knowledge_base_store_id', 'uuid', false, null, null, null, null, null, null, null,
        'the id of a knowledge base store of the target merchant',
        'Knowledge base of the interview; needed by process-verification-from-knowledge-base.'),
      ('body', 33, 'merchant_id', 'uuid', false, null, null, null, null, null, null, null,
        'your merchant''s id or one of its sub-merchants''; required with the service_role key',
        'Target merchant; default the caller''s own.'),
      ('body', 34, 'description_long', 'markdown', false, 0, 20000, null, null, null, null, null,
        'a Markdown text of at most 20000 characters',
        'Long description of the role, in Markdown.'),
      ('body', 35, 'candidate_expectations', 'text', false, 0, 5000, null, null, null, null, null, null,
        'What a good candidate shows, in free text.'),
      ('body', 36, 'candidate_expectations_json', 'object', false, null, null, null, null, null, null, 'candidate_expectations',
        'an object with optional weak, moderate and strong arrays of texts',
        'Expectations per level; generated when null and type is interview.'),
      ('body', 37, 'custom_scoring', 'object', false, null, null, null, null, null, null, 'custom_scoring',
        'an object with max_score (1..1000) and boolean early_stop, speech_cadence, ai_pronunciation, sentiment_analysis, ai_assessment_answer, ai_assessment_resume, ai_assessment_session',
        'Scoring settings merged over the platform defaults and the template''s.'),
      ('body', 38, 'additional_context', 'object', false, null, 65536, null, null, null, null, null,
        'a JSON object of at most 64 KiB',
        'Free context kept with the interview and passed on to expectation generation.'),
      ('body', 39, 'instructional_video', 'boolean', false, null, null, null, null, null, null, null, null,
        'Add the instructional video step (default false).'),
      ('body', 40, 'instructional_video_custom_text', 'text', false, 0, 2000, null, null, null, null, null, null,
        'Text of the instructional video step.'),
      ('body', 41, 'disable_deduplication', 'boolean', false, null, null, null, null, null, null, null, null,
        'Store every question as a new record and step (default false).'),
      ('body', 42, 'welcome_message', 'text', false, 0, 2000, null, null, null, null, null, null,
        'Text of the welcome step; null uses the template''s.'),
      ('body', 43, 'thank_you_message', 'text', false, 0, 2000, null, null, null, null, null, null,
        'Text of the thank-you step; null uses the template''s.'),
      ('body', 44, 'is_embedded', 'boolean', false, null, null, null, null, null, null, null, null,
        'Create embed credentials for an iframe (default false).'),
      ('body', 45, 'idempotency_key', 'key', false, 1, 200, null, null, null, null, null,
        'a text of 1 to 200 characters, unique per request you mean to make once',
        'Repeat a call safely: the same key and body return the first response.'),

      -- A "closed" row marks a scope whose unknown keys are rejected (elsewhere they are kept or ignored).
      ('body', 0, '*', 'closed', false, null, null, null, null, null, null, null,
        'remove the unknown key; the accepted fields are listed in the API documentation', 'Unknown keys are rejected.'),
      ('custom_scoring', 0, '*', 'closed', false, null, null, null, null, null, null, null,
        'accepted keys: max_score, early_stop, speech_cadence, ai_pronunciation, sentiment_analysis, ai_assessment_answer, ai_assessment_resume, ai_assessment_session (max_retries comes from interview_attempts)',
        'Unknown keys are rejected.'),
      ('pdf_export_auto_config', 0, '*', 'closed', false, null, null, null, null, null, null, null,
        'accepted keys: contact_details, ai_recruiter_assessment, ai_scoring_rubric, analytics, files, transcript, answer_recording, session_recording, group_by_question, mojito_language_code, template',
        'Unknown keys are rejected.'),

      ('question', 1, 'question', 'text', true, 1, 2000, null, null, null, null, null, null,
        'The question text.'),
      ('question', 2, 'id', 'handle', false, 0, 200, null, null, null, null, null,
        'a text of at most 200 characters, unique within the array',
        'Your handle of the question, used by conditional_question_main_id.'),
      ('question', 3, 'duration', 'integer', false, null, null, 10, 3600, null, null, null, null,
        'Answer time in seconds.'),
      ('question', 4, 'mojito_language_code', 'language', false, null, null, null, null, null, null, null,
        'a platform language code enabled for interviews',
        'Language of this question; inherits the interview''s when null.'),
      ('question', 5, 'label', 'text', false, 0, 200, null, null, null, null, null, null,
        'Short label of the question.'),
      ('question', 6, 'is_conditional', 'boolean', false, null, null, null, null, null, null, null, null,
        'Asked only depending on an earlier question; needs conditional_question_main_id.'),
      ('question', 7, 'conditional_question_main_id', 'handle', false, 0, 200, null, null, null, null, null,
        'the id of a question that stands earlier in the same array',
        'The earlier question this one depends on.'),
      ('question', 8, 'is_without_scoring', 'boolean', false, null, null, null, null, null, null, null, null,
        'Not scored.'),
      ('question', 9, 'is_candidate_asking_recruiter', 'boolean', false, null, null, null, null, null, null, null, null,
        'The candidate asks the recruiter here.'),
      ('question', 10, 'is_expert', 'boolean', false, null, null, null, null, null, null, null, null,
        'Expert question.'),
      ('question', 11, 'is_multiple_choice', 'boolean', false, null, null, null, null, null, null, null, null,
        'Multiple choice: needs at least 2 question_alternatives.'),
      ('question', 12, 'question_alternatives', 'string_array', false, 1, 2000, null, null, 20, null, null,
        'an array of at most 20 texts of 1 to 2000 characters',
        'Alternative phrasings (or choices) of the question.'),
      ('question', 13, 'knowledge_base_id', 'uuid', false, null, null, null, null, null, null, null,
        'the id of a knowledge base store of the target merchant',
        'Knowledge base of this question.'),
      ('question', 14, 'external_id', 'handle', false, 0, 200, null, null, null, null, null,
        'a text of at most 200 characters, unique within the array',
        'Your system''s id of the question.'),
      ('question', 15, 'external_data', 'object', false, null, 16384, null, null, null, null, null,
        'a JSON object of at most 16 KiB',
        'Your data, stored as given.'),
      ('question', 16, 'candidate_expectations_json', 'object', false, null, null, null, null, null, null, 'candidate_expectations',
        'an object with optional weak, moderate and strong arrays of texts',
        'Expectations for this question.'),

      ('custom_scoring', 1, 'max_score', 'integer', false, null, null, 1, 1000, null, null, null, null, 'Top score.'),
      ('custom_scoring', 2, 'early_stop', 'boolean', false, null, null, null, null, null, null, null, null, 'Stop early on a clear result.'),
      ('custom_scoring', 3, 'speech_cadence', 'boolean', false, null, null, null, null, null, null, null, null, 'Score speech cadence.'),
      ('custom_scoring', 4, 'ai_pronunciation', 'boolean', false, null, null, null, null, null, null, null, null, 'Score pronunciation.'),
      ('custom_scoring', 5, 'sentiment_analysis', 'boolean', false, null, null, null, null, null, null, null, null, 'Analyse sentiment.'),
      ('custom_scoring', 6, 'ai_assessment_answer', 'boolean', false, null, null, null, null, null, null, null, null, 'Assess each answer.'),
      ('custom_scoring', 7, 'ai_assessment_resume', 'boolean', false, null, null, null, null, null, null, null, null, 'Assess the resume.'),
      ('custom_scoring', 8, 'ai_assessment_session', 'boolean', false, null, null, null, null, null, null, null, null, 'Assess the whole session.'),

      ('pdf_export_auto_config', 1, 'contact_details', 'boolean', false, null, null, null, null, null, null, null, null, 'Include contact details.'),
      ('pdf_export_auto_config', 2, 'ai_recruiter_assessment', 'boolean', false, null, null, null, null, null, null, null, null, 'Include the AI recruiter assessment.'),
      ('pdf_export_auto_config', 3, 'ai_scoring_rubric', 'boolean', false, null, null, null, null, null, null, null, null, 'Include the scoring rubric.'),
      ('pdf_export_auto_config', 4, 'analytics', 'boolean', false, null, null, null, null, null, null, null, null, 'Include analytics.'),
      ('pdf_export_auto_config', 5, 'files', 'boolean', false, null, null, null, null, null, null, null, null, 'Include files.'),
      ('pdf_export_auto_config', 6, 'transcript', 'boolean', false, null, null, null, null, null, null, null, null, 'Include the transcript.'),
      ('pdf_export_auto_config', 7, 'answer_recording', 'boolean', false, null, null, null, null, null, null, null, null, 'Include answer recordings.'),
      ('pdf_export_auto_config', 8, 'session_recording', 'boolean', false, null, null, null, null, null, null, null, null, 'Include the session recording.'),
      ('pdf_export_auto_config', 9, 'group_by_question', 'boolean', false, null, null, null, null, null, null, null, null, 'Group by question.'),
      ('pdf_export_auto_config', 10, 'mojito_language_code', 'language', false, null, null, null, null, null, null, null,
        'a platform language code', 'Language of the PDF.'),
      ('pdf_export_auto_config', 11, 'template', 'enum', false, null, null, null, null, null,
        array['classic', 'modern', 'one_pager'], null, null, 'Layout of the PDF (default classic).'),

      ('hiring_for_company', 1, 'name', 'text', false, 0, 200, null, null, null, null, null, null, 'Company name.'),
      ('hiring_for_company', 2, 'description', 'text', false, 0, 2000, null, null, null, null, null, null, 'About the company.'),
      ('hiring_for_company', 3, 'location', 'text', false, 0, 200, null, null, null, null, null, null, 'Company location.'),
      ('hiring_for_company', 4, 'sector', 'text', false, 0, 200, null, null, null, null, null, null, 'Sector.'),
      ('hiring_for_company', 5, 'company_size', 'text', false, 0, 200, null, null, null, null, null, null, 'Company size, e.g. 51-200.'),

      ('candidate_expectations', 1, 'weak', 'string_array', false, 1, 2000, null, null, 50, null, null,
        'an array of at most 50 texts of 1 to 2000 characters', 'What a weak answer looks like.'),
      ('candidate_expectations', 2, 'moderate', 'string_array', false, 1, 2000, null, null, 50, null, null,
        'an array of at most 50 texts of 1 to 2000 characters', 'What a moderate answer looks like.'),
      ('candidate_expectations', 3, 'strong', 'string_array', false, 1, 2000, null, null, 50, null, null,
        'an array of at most 50 texts of 1 to 2000 characters', 'What a strong answer looks like.')
    ) as r (scope, ordinal, field, kind, required, min_length, max_length, min_value, max_value, max_items, allowed,
            nested_scope, hint, description)
  );
end
$$;

comment on function interview_private.request_field_rule_list() is
  'The validation rules of job_interview_create_from_array as a constant array, one row per field (scope body, question, and the nested objects custom_scoring, pdf_export_auto_config, hiring_for_company, candidate_expectations).

A row of kind closed (field *) marks a scope whose unknown keys are rejected; other scopes keep or ignore extra keys.

Kinds: text (trimmed; min_length 1 = required non-empty), markdown (kept as given), handle (a text or a number), key (kept as given), enum (allowed), tone, uuid, language, integer and number (min_value..max_value), boolean, url, datetime, object (max_length = serialized size in bytes; nested_scope = its own rules), company (object or text), string_array (items min_length..max_length, at most max_items), questions (1..max_items items).';

revoke all on function interview_private.request_field_rule_list() from public;
