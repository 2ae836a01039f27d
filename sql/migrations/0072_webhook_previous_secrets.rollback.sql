alter table interview_private.webhook_endpoint_secrets
  add column previous_secret bytea,
  add column previous_valid_until timestamptz;

update interview_private.webhook_endpoint_secrets as s
set previous_secret = p.secret, previous_valid_until = p.valid_until
from (
  select distinct on (endpoint_id) endpoint_id, secret, valid_until
  from interview_private.webhook_endpoint_previous_secrets
  order by endpoint_id, valid_until desc
) as p
where p.endpoint_id = s.endpoint_id;

alter table interview_private.webhook_endpoint_secrets
  add constraint webhook_endpoint_secrets_previous_secret_length check (pg_catalog.octet_length(previous_secret) = 32),
  add constraint webhook_endpoint_secrets_previous_complete check ((previous_secret is null) = (previous_valid_until is null));

drop table interview_private.webhook_endpoint_previous_secrets;
