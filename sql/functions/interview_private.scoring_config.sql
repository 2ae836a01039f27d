-- Scoring settings of a set: platform defaults, then the template's overrides,
-- then max_retries from interview_attempts, then the request's custom_scoring
-- (validated against the rule table; its max_retries, as the existing API's
-- scoring documents it, overrides interview_attempts).
create or replace function interview_private.scoring_config(
  p_template_overrides jsonb,
  p_custom_scoring jsonb,
  p_interview_attempts integer
)
returns jsonb
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return pg_catalog.jsonb_build_object(
             'max_score', 100,
             'early_stop', false,
             'speech_cadence', true,
             'ai_pronunciation', false,
             'sentiment_analysis', true,
             'ai_assessment_answer', true,
             'ai_assessment_resume', false,
             'ai_assessment_session', true
           )
           || coalesce(p_template_overrides, '{}'::jsonb)
           || pg_catalog.jsonb_build_object('max_retries', coalesce(p_interview_attempts, 1))
           || coalesce(p_custom_scoring, '{}'::jsonb);
end
$$;

comment on function interview_private.scoring_config(jsonb, jsonb, integer) is
  'Merged scoring settings: platform defaults (max_score 100, early_stop false, speech_cadence true, ai_pronunciation false, sentiment_analysis true, ai_assessment_answer true, ai_assessment_resume false, ai_assessment_session true), then template overrides, then max_retries = interview_attempts (default 1), then custom_scoring (whose max_retries overrides interview_attempts).';

revoke all on function interview_private.scoring_config(jsonb, jsonb, integer) from public;
