-- Record one attempt of a delivery, in one transaction with its effect on the
-- delivery: a 2xx makes it delivered; anything else makes it due again after
-- p_retry_delay, or dead when this was attempt p_max_attempts. A failure is
-- applied only while p_relay still holds the lease (another relay may have
-- claimed the delivery since); a success always is. Returns the delivery's
-- state afterwards: delivered, retrying, dead, or unchanged (the attempt is
-- recorded, the delivery was not this relay's to change any more).
create or replace function interview_private.record_webhook_attempt(
  p_delivery_id uuid,
  p_relay text,
  p_started_at timestamptz,
  p_latency_ms integer,
  p_status_code integer,
  p_refused boolean,
  p_error text,
  p_max_attempts integer,
  p_retry_delay interval
)
returns text
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_ok boolean := not p_refused and coalesce(p_status_code between 200 and 299, false);
  v_attempts integer;
  v_status text;
begin
  update interview_private.webhook_deliveries as d
  set attempts = d.attempts + 1,
      status = case when v_ok then 'delivered'
                    when d.attempts + 1 >= p_max_attempts then 'dead'
                    else 'pending' end,
      delivered_at = case when v_ok then pg_catalog.clock_timestamp() end,
      dead_at = case when not v_ok and d.attempts + 1 >= p_max_attempts then pg_catalog.clock_timestamp() end,
      next_attempt_at = case when v_ok or d.attempts + 1 >= p_max_attempts then d.next_attempt_at
                             else pg_catalog.clock_timestamp() + p_retry_delay end,
      claimed_by = null,
      last_status_code = p_status_code,
      last_error = pg_catalog.left(p_error, 1000)
  where d.id = p_delivery_id
    and d.status = 'pending'
    and (v_ok or d.claimed_by = p_relay)
  returning d.attempts, d.status into v_attempts, v_status;

  if not found then
    select d.attempts into v_attempts from interview_private.webhook_deliveries as d where d.id = p_delivery_id;
    if not found then
      return 'unchanged';  -- the delivery is gone (its endpoint or event was deleted)
    end if;
    v_status := 'unchanged';
    v_attempts := v_attempts + 1;
  elsif v_status = 'pending' then
    v_status := 'retrying';
  end if;

  insert into interview_private.webhook_attempts
    (delivery_id, attempt, relay, started_at, latency_ms, status_code, outcome, error)
  values (p_delivery_id, v_attempts, p_relay, p_started_at, greatest(p_latency_ms, 0), p_status_code,
          case when p_refused then 'refused' when v_ok then 'delivered' else 'failed' end,
          pg_catalog.left(p_error, 1000));
  return v_status;
end
$$;

comment on function interview_private.record_webhook_attempt(uuid, text, timestamptz, integer, integer, boolean, text, integer, interval) is
  $comment$Record one attempt of a webhook delivery and its effect: delivered (2xx), retrying after p_retry_delay, or dead at p_max_attempts.

A failure changes the delivery only while p_relay holds its lease; a success always marks it delivered. Returns delivered, retrying, dead or unchanged. For the relay's own connection only.$comment$;

revoke all on function interview_private.record_webhook_attempt(uuid, text, timestamptz, integer, integer, boolean, text, integer, interval) from public;
