comment on column public.interview_def_question.dedup_key is
  'Hash of the record''s normalised content (text with whitespace collapsed and case folded, language, flags and every other attribute); for a record created with disable_deduplication, its own id, so it is never reused.';
