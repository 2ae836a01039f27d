drop table interview_private.upgrade_gate;
