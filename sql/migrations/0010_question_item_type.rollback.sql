drop type interview_private.question_item cascade;  -- with the functions that take or return it; migrate re-creates them
