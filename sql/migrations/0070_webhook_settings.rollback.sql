drop table interview_private.webhook_settings;
