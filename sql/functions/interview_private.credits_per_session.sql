-- Price of one candidate session, in credits:
--
--   (template base credit
--    + cheating detection: audio_* +0.1, video_* +0.25
--    + full-session recording: audio_all +0.2, video_all +0.4)
--   x duration multiplier: one per started 20 minutes of expected answer time
--     (the default 20-minute session is x1, 21 to 40 minutes x2, ...)
--
-- Expected answer time: the question steps' durations (the template's default
-- where a question has none), times questions_random_subset when only a part
-- of the questions is asked.
create or replace function interview_private.credits_per_session(
  p_base_credit numeric,
  p_recording public.cheating_detection_recording,
  p_recording_full_session public.full_session_recording,
  p_answer_seconds integer,
  p_questions_random_subset numeric
)
returns numeric
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return pg_catalog.round(
      (
        p_base_credit
        + case
            when p_recording in ('audio_first_5_answers', 'audio_all') then 0.1
            when p_recording in ('video_first_5_answers', 'video_all') then 0.25
            else 0
          end
        + case p_recording_full_session
            when 'audio_all' then 0.2
            when 'video_all' then 0.4
            else 0
          end
      )
      * greatest(1, pg_catalog.ceil(coalesce(p_answer_seconds, 0) * coalesce(p_questions_random_subset, 1) / 1200.0)),
      2
    );
end
$$;

comment on function interview_private.credits_per_session(numeric, public.cheating_detection_recording, public.full_session_recording, integer, numeric) is
  'Credits of one session: base credit plus recording surcharges (cheating detection audio 0.1 / video 0.25, full session audio 0.2 / video 0.4), times one per started 20 minutes of expected answer time.';

revoke all on function interview_private.credits_per_session(numeric, public.cheating_detection_recording, public.full_session_recording, integer, numeric) from public;
