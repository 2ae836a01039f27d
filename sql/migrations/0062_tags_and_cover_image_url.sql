-- Up to 100 tags; a cover image URL is stored as sent (spaces and non-ASCII
-- after the host included): the check names the same host as the request rule
-- (no blank, slash, ?, # or @), so a URL the rule accepts is never refused here.
alter table public.interview_def_set
  drop constraint interview_def_set_tags_count,
  add constraint interview_def_set_tags_count
    check (pg_catalog.cardinality(tags) <= 100 and pg_catalog.array_position(tags, null) is null),
  drop constraint interview_def_set_cover_image_url_valid,
  add constraint interview_def_set_cover_image_url_valid check (
    pg_catalog.char_length(cover_image_url) <= 2048 and cover_image_url ~ '^[Hh][Tt][Tt][Pp][Ss]?://[^ \t\r\n/?#@]+'
  );
