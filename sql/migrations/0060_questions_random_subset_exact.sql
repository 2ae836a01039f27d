-- questions_random_subset is stored exactly as sent (0.333 stays 0.333): the
-- column had two decimal places. Widening keeps every existing value; the range
-- check stays.
alter table public.interview_def_set
  alter column questions_random_subset type numeric;
