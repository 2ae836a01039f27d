-- Give back deliveries a relay claimed but did not attempt (it is stopping):
-- due again at once for any relay, with no attempt recorded.
create or replace function interview_private.release_webhook_deliveries(p_relay text, p_delivery_ids uuid[])
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_released integer;
begin
  update interview_private.webhook_deliveries as d
  set next_attempt_at = pg_catalog.clock_timestamp(), claimed_by = null
  where d.id = any (p_delivery_ids) and d.status = 'pending' and d.claimed_by = p_relay;
  get diagnostics v_released = row_count;
  return v_released;
end
$$;

comment on function interview_private.release_webhook_deliveries(text, uuid[]) is
  $comment$Release deliveries that relay p_relay claimed but did not attempt: due again at once.

Used when a relay stops (SIGTERM) in the middle of a batch. Returns how many were released. For the relay's own connection only.$comment$;

revoke all on function interview_private.release_webhook_deliveries(text, uuid[]) from public;
