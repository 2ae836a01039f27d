-- One normalised question of a create request, as the RPC's helpers pass them
-- to each other (an array of these, not JSON: no parsing between the steps).
create type interview_private.question_item as (
  n integer,
  question text,
  mojito_language_code text,
  label text,
  duration integer,
  is_without_scoring boolean,
  is_candidate_asking_recruiter boolean,
  is_expert boolean,
  is_multiple_choice boolean,
  question_alternatives text[],
  knowledge_base_id uuid,
  external_id text,
  external_data jsonb,
  candidate_expectations_json jsonb,
  caller_question_id text,
  is_conditional boolean,
  dedup_key uuid,
  step_position integer,
  conditional_on_position integer
);

comment on type interview_private.question_item is
  'A normalised question of a create request: its index n in the array, its record fields, its dedup_key, and for an item with a step of its own, step_position and conditional_on_position (see interview_private.normalize_questions).';
