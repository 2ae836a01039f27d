-- A pasted job ad fits: description up to 20,000 characters, description_long
-- (Markdown) up to 100,000.
alter table public.interview_def_set
  drop constraint interview_def_set_description_trimmed,
  add constraint interview_def_set_description_trimmed
    check (description = pg_catalog.btrim(description) and pg_catalog.char_length(description) between 1 and 20000),
  drop constraint interview_def_set_description_long_length,
  add constraint interview_def_set_description_long_length
    check (pg_catalog.char_length(description_long) <= 100000);
