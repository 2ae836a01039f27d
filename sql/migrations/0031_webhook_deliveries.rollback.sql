drop trigger outbox_events_webhook_fan_out on interview_private.outbox_events;
drop function interview_private.webhook_fan_out();
drop table interview_private.webhook_attempts;
drop table interview_private.webhook_deliveries;
