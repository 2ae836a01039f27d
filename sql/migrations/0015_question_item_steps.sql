-- A parsed question says whether it gets a step of its own and which item's step
-- a conditional one depends on; the positions themselves are decided by the one
-- function that inserts the steps (interview_private.insert_steps).
alter type interview_private.question_item
  drop attribute step_position,
  drop attribute conditional_on_position,
  add attribute has_step boolean,
  add attribute conditional_on_n integer;

comment on type interview_private.question_item is
  'A parsed question of a create request: its index n in the array, its record fields, its dedup_key, whether it gets a step of its own (has_step) and, for a conditional one, the index of the item whose step it depends on (conditional_on_n). Made by interview_private.parse_questions.';
