alter type interview_private.question_item
  drop attribute conditional_on_n,
  drop attribute has_step,
  add attribute step_position integer,
  add attribute conditional_on_position integer;
