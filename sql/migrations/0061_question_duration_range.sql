-- A question's answer time: more than 0 and at most 14400 seconds (a fraction
-- is rounded up to the next whole second before it is stored).
alter table public.interview_def_question
  drop constraint interview_def_question_duration_range,
  add constraint interview_def_question_duration_range check (duration > 0 and duration <= 14400);
