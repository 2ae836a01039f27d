drop type interview_private.question_item;
