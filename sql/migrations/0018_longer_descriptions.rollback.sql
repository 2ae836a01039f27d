alter table public.interview_def_set
  drop constraint interview_def_set_description_trimmed,
  add constraint interview_def_set_description_trimmed
    check (description = pg_catalog.btrim(description) and pg_catalog.char_length(description) between 1 and 2000) not valid,
  drop constraint interview_def_set_description_long_length,
  add constraint interview_def_set_description_long_length
    check (pg_catalog.char_length(description_long) <= 20000) not valid;
