-- Back to two decimal places (values with more are rounded).
alter table public.interview_def_set
  alter column questions_random_subset type numeric(3, 2);
