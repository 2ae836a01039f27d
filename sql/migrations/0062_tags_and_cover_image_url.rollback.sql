alter table public.interview_def_set
  drop constraint interview_def_set_tags_count,
  add constraint interview_def_set_tags_count
    check (pg_catalog.cardinality(tags) <= 50 and pg_catalog.array_position(tags, null) is null) not valid,
  drop constraint interview_def_set_cover_image_url_valid,
  add constraint interview_def_set_cover_image_url_valid check (
    pg_catalog.char_length(cover_image_url) <= 2048 and cover_image_url ~* '^https?://[^/?#[:space:]]+'
  ) not valid;
