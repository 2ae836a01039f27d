drop table public.interview_def_question;
