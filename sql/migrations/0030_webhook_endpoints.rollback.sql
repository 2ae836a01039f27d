drop table interview_private.webhook_endpoint_secrets;
drop table public.webhook_endpoints;
