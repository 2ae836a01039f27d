-- A question record is reused across calls only when it is identical to the
-- item as sent (the same text after trimming, character for character, and the
-- same fields): new records are keyed by a hash of exactly that, in a key space
-- of its own. Existing rows are left as they are: their keys (of the earlier,
-- case-folded content) can never equal a new key, so they are simply not
-- reused by later calls, and no existing set changes.
comment on column public.interview_def_question.dedup_key is
  'Identity of the record for reuse across calls: a hash of its exact content (text as stored, language, flags and every other attribute) in key space v2; rows created before migration 0063 hold a hash of the case-folded, whitespace-collapsed content and are not reused. For a record created with disable_deduplication, a random key, so it is never reused.';
