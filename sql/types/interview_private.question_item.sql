-- One parsed question of a create request, as the RPC's helpers pass them to
-- each other (an array of these, not JSON: no parsing between the steps). Used
-- only by functions: deployed with them (sql/types), a change of its shape is
-- an edit of this file, never a migration.
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
  has_step boolean,
  conditional_on_n integer
);

comment on type interview_private.question_item is
  'A parsed question of a create request: its index n in the array, its record fields, its dedup_key, whether it gets a step of its own (has_step) and, for a conditional one, the index of the item whose step it depends on (conditional_on_n). Made by interview_private.parse_questions.';
