-- The rule table of the create request: one row per field of the body, of a
-- question and of the nested objects, each built by name with
-- interview_private.field_rule. The validation walks it
-- (interview_private.first_invalid_field), the fallback overload names fields
-- from it, and the OpenAPI document and the TypeScript types are generated
-- from it (patterns included): a new field touches this one place.
--
-- Kinds: text (trimmed unless trimmed => false; min_length 1 = required
-- non-empty; an optional text that is empty after trimming counts as absent;
-- pattern = the regular expression it must match), enum (allowed), uuid and
-- language (pattern), integer and number (min_value..max_value), boolean,
-- datetime (pattern, then a real date in the future), object (max_length =
-- size in bytes as jsonb; nested_scope = its own rules), company (object or
-- text of at most max_length), string_array (items trimmed, min_length..
-- max_length, at most max_items; min_length 0: an empty item is dropped with a
-- warning), seconds (a number above min_value, at most max_value; a fraction
-- is rounded up, with a warning), questions (1..max_items items). A row with
-- field '*' says what happens to the scope's other keys: closed (refused) or
-- ignored (dropped, each named in a warning, with the nearest field as a
-- suggestion). A scope without a '*' row keeps its other keys as sent.
--
-- Every value is checked for its exact JSON type: a string where a number or
-- boolean belongs, or anything but a string where text belongs, is refused.
-- A JSON null is an absent key, in the body and inside every object.
--
-- A constant (IMMUTABLE; a test checks the allowed values against the enum
-- types), so the validation's cached plan holds it and no request pays for
-- building it. Read it as a table with interview_private.request_field_rules().
-- Patterns are both PostgreSQL and ECMA-262 (JSON Schema) regular expressions.
create or replace function interview_private.request_field_rule_list()
returns interview_private.request_field_rule[]
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  c_uuid constant text := '^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$';
  c_language constant text := '^[a-z]{2,3}$';
  -- a host without blanks, slashes or userinfo (@); after it any characters but a
  -- line break (a space, an umlaut: stored as sent, as a browser takes them)
  c_url constant text := '^[Hh][Tt][Tt][Pp][Ss]?://[^ \t\r\n/?#@]+([/?#][^\r\n]*)?$';
  c_datetime constant text :=
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$';
  v_rules interview_private.request_field_rule[];
begin
  v_rules := array[
    interview_private.field_rule('body', 'name', 'text',
      required => true, min_length => 1, max_length => 200,
      description => 'Title of the interview, e.g. the job title.'),
    interview_private.field_rule('body', 'location', 'text',
      required => true, min_length => 1, max_length => 200, description => 'Where the job is, e.g. "remote".'),
    interview_private.field_rule('body', 'interview_template_id', 'uuid',
      required => true, pattern => c_uuid,
      hint => 'an id of an interview template available to the merchant (GET /rest/v1/interview_templates)',
      description => 'The template that runs the interview: kind, base credit, default texts and scoring.'),
    interview_private.field_rule('body', 'mojito_language_code', 'language',
      required => true, pattern => c_language,
      hint => 'a platform language code enabled for interviews, e.g. en, de, br (GET /rest/v1/platform_languages)',
      description => 'Language of the interview.'),
    interview_private.field_rule('body', 'description', 'text',
      required => true, min_length => 1, max_length => 20000,
      description => 'Description of the role; a pasted job ad fits.'),
    interview_private.field_rule('body', 'status', 'enum',
      required => true, allowed => array['draft', 'active'],
      description => 'draft, or active to publish at once (sets the activation time).'),
    interview_private.field_rule('body', 'type', 'enum',
      required => true, allowed => array['interview', 'coaching', 'assessment'],
      description => 'interview, coaching (only for merchants with the coaching portal) or assessment.'),
    interview_private.field_rule('body', 'visibility', 'enum',
      required => true, allowed => array['merchant_public', 'merchant_invite', 'merchant_unlisted'],
      description => 'Who can find the interview.'),
    interview_private.field_rule('body', 'questions', 'questions',
      required => true, max_items => 200, nested_scope => 'question',
      hint => 'an array of 1 to 200 questions, each an object with a "question" text or a plain non-empty string',
      description => 'The questions, in order; each becomes one question step (after deduplication).'),
    interview_private.field_rule('body', 'recording', 'enum',
      allowed => array['audio_first_5_answers', 'audio_all', 'video_all', 'video_first_5_answers'],
      description => 'Cheating detection recording (audio +0.1 credits, video +0.25); null disables.'),
    interview_private.field_rule('body', 'recording_full_session', 'enum',
      allowed => array['audio_all', 'video_all'],
      description => 'Recording of the whole session (audio_all +0.2 credits, video_all +0.4); null disables.'),
    interview_private.field_rule('body', 'interview_type', 'enum',
      allowed => array['pre-screening', 'pre-screening-with-test-questions', 'second-interview', 'remote-freelancer-verification', 'strength-based-interview', 'potential-based-interview', 'process-verification-from-knowledge-base'],
      description => 'Purpose of the interview; default pre-screening. process-verification-from-knowledge-base needs knowledge_base_store_id.'),
    interview_private.field_rule('body', 'seniority_level', 'enum',
      allowed => array['entry-level', 'intermediate', 'senior', 'managerial', 'director', 'executive'],
      description => 'Seniority of the role; when null it is detected from name, description and description_long.'),
    interview_private.field_rule('body', 'result_view', 'enum',
      allowed => array['none', 'minimal', 'minimal_with_score', 'advanced', 'full', 'full_expand_scores'],
      description => 'How much of the result the candidate sees.'),
    interview_private.field_rule('body', 'interview_conversation_speed', 'enum',
      allowed => array['slower', 'normal', 'faster'],
      description => 'Pace of the AI interviewer; null keeps the template default.'),
    interview_private.field_rule('body', 'candidate_video_introduction', 'enum',
      allowed => array['optional', 'required'], description => 'Whether the candidate records a video introduction.'),
    interview_private.field_rule('body', 'interview_tone', 'text',
      max_length => 200,
      hint => 'relaxed (default), simple, professional or persuasive; any other text is stored as relaxed',
      description => 'Tone of the AI interviewer (trimmed, case-insensitive).'),
    interview_private.field_rule('body', 'interview_attempts', 'integer',
      min_value => 1, max_value => 20,
      description => 'How many times a candidate may take the interview (default 1); stored as scoring max_retries.'),
    interview_private.field_rule('body', 'questions_random_subset', 'number',
      min_value => 0.01, max_value => 0.9,
      description => 'Fraction of the questions asked, picked at random; null asks all.'),
    interview_private.field_rule('body', 'max_followups', 'integer',
      min_value => 0, max_value => 999,
      description => 'Follow-up questions the AI may ask per question; null uses the template default.'),
    interview_private.field_rule('body', 'code', 'text',
      max_length => 100, description => 'External reference of the interview.'),
    interview_private.field_rule('body', 'cover_image_url', 'text',
      max_length => 2048, pattern => c_url,
      hint => 'an absolute http or https URL with a host, of at most 2048 characters; "" is absent',
      description => 'Cover image shown to candidates.'),
    interview_private.field_rule('body', 'interview_department', 'text',
      max_length => 200, description => 'Department of the role.'),
    interview_private.field_rule('body', 'interview_salary', 'text',
      max_length => 200, description => 'Salary text shown to candidates.'),
    interview_private.field_rule('body', 'interview_available_till', 'datetime',
      pattern => c_datetime,
      hint => 'a future ISO 8601 date (2030-12-31, meaning the end of that day, UTC) or date-time (2030-12-31T18:00:00Z; any number of fraction digits, stored to the microsecond)',
      description => 'Until when candidates may take the interview.'),
    interview_private.field_rule('body', 'recruiter_profile_id', 'uuid',
      pattern => c_uuid,
      hint => 'the id of a profile of the target merchant with role merchant_owner, merchant or admin',
      description => 'Recruiter shown to candidates.'),
    interview_private.field_rule('body', 'hiring_for_company', 'company',
      max_length => 200, nested_scope => 'hiring_for_company',
      hint => 'an object {name, description, location, sector, company_size} of texts, or a text of at most 200 characters taken as the name',
      description => 'The company the role is for, when hiring on behalf of another company.'),
    interview_private.field_rule('body', 'tags', 'string_array',
      min_length => 0, max_length => 200, max_items => 100,
      hint => 'an array of at most 100 texts of at most 200 characters; empty items are dropped, duplicates removed',
      description => 'Tags of the interview.'),
    interview_private.field_rule('body', 'required_pronunciation', 'boolean',
      hint => 'true or false; true needs a pronunciation-capable language',
      description => 'Assess pronunciation (default false).'),
    interview_private.field_rule('body', 'result_enable_edit_transcript', 'boolean',
      description => 'Let reviewers edit the transcript (default true).'),
    interview_private.field_rule('body', 'pdf_export_auto_config', 'object',
      nested_scope => 'pdf_export_auto_config',
      hint => 'an object with boolean sections, mojito_language_code and template (classic, modern, one_pager)',
      description => 'Automatic PDF export of results.'),
    interview_private.field_rule('body', 'knowledge_base_store_id', 'uuid',
      pattern => c_uuid, hint => 'the id of a knowledge base store of the target merchant',
      description => 'Knowledge base of the interview; needed by process-verification-from-knowledge-base.'),
    interview_private.field_rule('body', 'merchant_id', 'uuid',
      pattern => c_uuid,
      hint => 'your merchant''s id or one of its sub-merchants''; required with the service_role key',
      description => 'Target merchant; default the caller''s own.'),
    interview_private.field_rule('body', 'description_long', 'text',
      max_length => 100000, trimmed => false, hint => 'a Markdown text of at most 100000 characters',
      description => 'Long description of the role, in Markdown.'),
    interview_private.field_rule('body', 'candidate_expectations', 'text',
      max_length => 5000, description => 'What a good candidate shows, in free text.'),
    interview_private.field_rule('body', 'candidate_expectations_json', 'object',
      nested_scope => 'candidate_expectations',
      hint => 'an object with optional weak, moderate and strong arrays of texts',
      description => 'Expectations per level; generated when null and type is interview.'),
    interview_private.field_rule('body', 'custom_scoring', 'object',
      nested_scope => 'custom_scoring',
      hint => 'an object with max_score (1..1000), max_retries (1..20) and boolean early_stop, speech_cadence, ai_pronunciation, sentiment_analysis, ai_assessment_answer, ai_assessment_resume, ai_assessment_session',
      description => 'Scoring settings merged over the platform defaults and the template''s.'),
    interview_private.field_rule('body', 'additional_context', 'object',
      max_length => 65536, hint => 'a JSON object of at most 64 KiB',
      description => 'Free context kept with the interview and passed on to expectation generation.'),
    interview_private.field_rule('body', 'instructional_video', 'boolean',
      description => 'Add the instructional video step (default false).'),
    interview_private.field_rule('body', 'instructional_video_custom_text', 'text',
      max_length => 2000, description => 'Text of the instructional video step.'),
    interview_private.field_rule('body', 'disable_deduplication', 'boolean',
      description => 'Store every question as a new record and step (default false).'),
    interview_private.field_rule('body', 'welcome_message', 'text',
      max_length => 2000, description => 'Text of the welcome step; null uses the template''s.'),
    interview_private.field_rule('body', 'thank_you_message', 'text',
      max_length => 2000, description => 'Text of the thank-you step; null uses the template''s.'),
    interview_private.field_rule('body', 'is_embedded', 'boolean',
      description => 'Create embed credentials for an iframe (default false).'),
    interview_private.field_rule('body', 'idempotency_key', 'text',
      min_length => 1, max_length => 200, trimmed => false,
      hint => 'a text of 1 to 200 characters, unique per request you mean to make once',
      description => 'Repeat a call safely: the same key and body return the first response.'),
    interview_private.field_rule('body', '*', 'ignored',
      hint => 'the accepted fields are listed in the API documentation',
      description => 'Other keys are ignored (the fallback overload creates the interview from the known keys), each named in a warning with the closest field where one is near.'),

    interview_private.field_rule('question', 'question', 'text',
      required => true, min_length => 1, max_length => 2000, description => 'The question text.'),
    interview_private.field_rule('question', 'id', 'text',
      max_length => 200, hint => 'a text of at most 200 characters, unique within the array',
      description => 'Your handle of the question, used by conditional_question_main_id.'),
    interview_private.field_rule('question', 'duration', 'seconds',
      min_value => 0, max_value => 14400,
      hint => 'a number of seconds, more than 0 and at most 14400; a fraction is rounded up',
      description => 'Answer time in seconds (more than 0, at most 14400); a fraction is rounded up to the next second, with a warning.'),
    interview_private.field_rule('question', 'mojito_language_code', 'language',
      pattern => c_language, hint => 'a platform language code enabled for interviews',
      description => 'Language of this question; inherits the interview''s when null.'),
    interview_private.field_rule('question', 'label', 'text',
      max_length => 200, description => 'Short label of the question.'),
    interview_private.field_rule('question', 'is_conditional', 'boolean',
      description => 'Asked only depending on an earlier question; needs conditional_question_main_id.'),
    interview_private.field_rule('question', 'conditional_question_main_id', 'text',
      max_length => 200, hint => 'the id of a question that stands earlier in the same array',
      description => 'The earlier question this one depends on.'),
    interview_private.field_rule('question', 'is_without_scoring', 'boolean', description => 'Not scored.'),
    interview_private.field_rule('question', 'is_candidate_asking_recruiter', 'boolean',
      description => 'The candidate asks the recruiter here.'),
    interview_private.field_rule('question', 'is_expert', 'boolean', description => 'Expert question.'),
    interview_private.field_rule('question', 'is_multiple_choice', 'boolean',
      description => 'Multiple choice: needs at least 2 question_alternatives.'),
    interview_private.field_rule('question', 'question_alternatives', 'string_array',
      min_length => 1, max_length => 2000, max_items => 20,
      hint => 'an array of at most 20 texts of 1 to 2000 characters',
      description => 'Alternative phrasings (or choices) of the question.'),
    interview_private.field_rule('question', 'knowledge_base_id', 'uuid',
      pattern => c_uuid, hint => 'the id of a knowledge base store of the target merchant',
      description => 'Knowledge base of this question.'),
    interview_private.field_rule('question', 'external_id', 'text',
      max_length => 200, hint => 'a text of at most 200 characters, unique within the array',
      description => 'Your system''s id of the question.'),
    interview_private.field_rule('question', 'external_data', 'object',
      max_length => 16384, hint => 'a JSON object of at most 16 KiB', description => 'Your data, stored as given.'),
    interview_private.field_rule('question', 'candidate_expectations_json', 'object',
      nested_scope => 'candidate_expectations',
      hint => 'an object with optional weak, moderate and strong arrays of texts',
      description => 'Expectations for this question.'),
    interview_private.field_rule('question', '*', 'ignored',
      hint => 'a question field: question, id, duration, mojito_language_code, label, is_conditional, conditional_question_main_id, is_without_scoring, is_candidate_asking_recruiter, is_expert, is_multiple_choice, question_alternatives, knowledge_base_id, external_id, external_data, candidate_expectations_json',
      description => 'Other keys are ignored, each named in a warning; a near miss of a field name (duraton, lable) gets that field as the suggestion.'),

    interview_private.field_rule('custom_scoring', 'max_score', 'integer',
      min_value => 1, max_value => 1000, description => 'Top score.'),
    interview_private.field_rule('custom_scoring', 'early_stop', 'boolean',
      description => 'Stop early on a clear result.'),
    interview_private.field_rule('custom_scoring', 'speech_cadence', 'boolean',
      description => 'Score speech cadence.'),
    interview_private.field_rule('custom_scoring', 'ai_pronunciation', 'boolean',
      description => 'Score pronunciation.'),
    interview_private.field_rule('custom_scoring', 'sentiment_analysis', 'boolean',
      description => 'Analyse sentiment.'),
    interview_private.field_rule('custom_scoring', 'ai_assessment_answer', 'boolean',
      description => 'Assess each answer.'),
    interview_private.field_rule('custom_scoring', 'ai_assessment_resume', 'boolean',
      description => 'Assess the resume.'),
    interview_private.field_rule('custom_scoring', 'ai_assessment_session', 'boolean',
      description => 'Assess the whole session.'),
    interview_private.field_rule('custom_scoring', 'max_retries', 'integer',
      min_value => 1, max_value => 20, description => 'Attempts per candidate; overrides interview_attempts.'),
    interview_private.field_rule('custom_scoring', '*', 'ignored',
      hint => 'accepted keys: max_score, early_stop, speech_cadence, ai_pronunciation, sentiment_analysis, ai_assessment_answer, ai_assessment_resume, ai_assessment_session, max_retries',
      description => 'Other keys are ignored, each named in a warning.'),

    interview_private.field_rule('pdf_export_auto_config', 'contact_details', 'boolean',
      description => 'Include contact details.'),
    interview_private.field_rule('pdf_export_auto_config', 'ai_recruiter_assessment', 'boolean',
      description => 'Include the AI recruiter assessment.'),
    interview_private.field_rule('pdf_export_auto_config', 'ai_scoring_rubric', 'boolean',
      description => 'Include the scoring rubric.'),
    interview_private.field_rule('pdf_export_auto_config', 'analytics', 'boolean',
      description => 'Include analytics.'),
    interview_private.field_rule('pdf_export_auto_config', 'files', 'boolean', description => 'Include files.'),
    interview_private.field_rule('pdf_export_auto_config', 'transcript', 'boolean',
      description => 'Include the transcript.'),
    interview_private.field_rule('pdf_export_auto_config', 'answer_recording', 'boolean',
      description => 'Include answer recordings.'),
    interview_private.field_rule('pdf_export_auto_config', 'session_recording', 'boolean',
      description => 'Include the session recording.'),
    interview_private.field_rule('pdf_export_auto_config', 'group_by_question', 'boolean',
      description => 'Group by question.'),
    interview_private.field_rule('pdf_export_auto_config', 'mojito_language_code', 'language',
      pattern => c_language, hint => 'a platform language code', description => 'Language of the PDF.'),
    interview_private.field_rule('pdf_export_auto_config', 'template', 'enum',
      allowed => array['classic', 'modern', 'one_pager'], description => 'Layout of the PDF (default classic).'),
    interview_private.field_rule('pdf_export_auto_config', '*', 'ignored',
      hint => 'accepted keys: contact_details, ai_recruiter_assessment, ai_scoring_rubric, analytics, files, transcript, answer_recording, session_recording, group_by_question, mojito_language_code, template',
      description => 'Other keys are ignored, each named in a warning.'),

    interview_private.field_rule('hiring_for_company', 'name', 'text',
      max_length => 200, description => 'Company name.'),
    interview_private.field_rule('hiring_for_company', 'description', 'text',
      max_length => 20000, description => 'About the company (other keys of the object are kept as sent).'),
    interview_private.field_rule('hiring_for_company', 'location', 'text',
      max_length => 200, description => 'Company location.'),
    interview_private.field_rule('hiring_for_company', 'sector', 'text', max_length => 200, description => 'Sector.'),
    interview_private.field_rule('hiring_for_company', 'company_size', 'text',
      max_length => 200, description => 'Company size, e.g. 51-200.'),

    interview_private.field_rule('candidate_expectations', 'weak', 'string_array',
      min_length => 0, max_length => 2000, max_items => 50,
      hint => 'an array of at most 50 texts of at most 2000 characters; empty items are dropped',
      description => 'What a weak answer looks like.'),
    interview_private.field_rule('candidate_expectations', 'moderate', 'string_array',
      min_length => 0, max_length => 2000, max_items => 50,
      hint => 'an array of at most 50 texts of at most 2000 characters; empty items are dropped',
      description => 'What a moderate answer looks like.'),
    interview_private.field_rule('candidate_expectations', 'strong', 'string_array',
      min_length => 0, max_length => 2000, max_items => 50,
      hint => 'an array of at most 50 texts of at most 2000 characters; empty items are dropped',
      description => 'What a strong answer looks like.')
  ];
  for i in 1 .. pg_catalog.cardinality(v_rules) loop
    v_rules[i].ordinal := i;
  end loop;
  return v_rules;
end
$$;

comment on function interview_private.request_field_rule_list() is
  'The validation rules of job_interview_create_from_array as a constant array, one row per field (scope body, question, and the nested objects custom_scoring, pdf_export_auto_config, hiring_for_company, candidate_expectations), in order; see the kinds in the function''s source.';

revoke all on function interview_private.request_field_rule_list() from public;
