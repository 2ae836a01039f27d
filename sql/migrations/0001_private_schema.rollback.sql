drop schema interview_private;
