alter table public.interview_def_question
  drop constraint interview_def_question_duration_range,
  add constraint interview_def_question_duration_range check (duration between 10 and 3600) not valid;
