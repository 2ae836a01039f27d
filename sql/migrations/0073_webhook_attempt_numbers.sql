-- Attempt numbers are assigned by the database, in the order attempts are
-- recorded, and never repeat: the ones a late relay repeated are renumbered.
update interview_private.webhook_attempts as a
set attempt = n.attempt
from (
  select id, pg_catalog.row_number() over (partition by delivery_id order by id)::integer as attempt
  from interview_private.webhook_attempts
) as n
where n.id = a.id and a.attempt <> n.attempt;

drop index interview_private.webhook_attempts_delivery_id_idx;
alter table interview_private.webhook_attempts
  add constraint webhook_attempts_delivery_id_attempt_key unique (delivery_id, attempt);

comment on column interview_private.webhook_attempts.attempt is
  'The attempt''s number for its delivery: 1, 2, 3... in the order attempts are recorded (assigned by record_webhook_attempt, never repeated).';
