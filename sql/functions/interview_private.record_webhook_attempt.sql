-- Record one attempt of a delivery, in one transaction with its effect on the
-- delivery: a 2xx makes it delivered; anything else makes it due again after
-- p_retry_delay, or dead when this was attempt p_max_attempts. A failure is
-- applied only while p_relay still holds the lease (another relay may have
-- claimed the delivery since); a success always is. The attempt's number is
-- assigned here, under the delivery's row lock: 1, 2, 3... in the order attempts
-- are recorded, whichever relay records them, never repeated (a replay goes on
-- counting). The delivery's attempts column counts those since its last replay.
--
-- Also: the endpoint's failing_since (set by the first failure after a success,
-- cleared by a success) and, once every attempt has failed for
-- webhook_settings.disable_failing_after, the endpoint disabled with the reason;
-- and outbox_events.published_at once every delivery of the event is final.
-- Returns the delivery's state afterwards: delivered, retrying, dead, or
-- unchanged (the attempt is recorded, the delivery was not this relay's to
-- change any more).
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
  v_delivery interview_private.webhook_deliveries;
  v_applies boolean;
  v_now timestamptz := pg_catalog.clock_timestamp();
  v_disable_after interval;
  v_number integer;
begin
  -- The endpoint's row first, then the delivery's: the order webhook_endpoint_delete
  -- (the endpoint, then its deliveries by cascade) and webhook_delivery_replay take
  -- them in, so a relay recording an attempt never deadlocks with either.
  perform
  from public.webhook_endpoints as e
  where e.id = (select d.endpoint_id from interview_private.webhook_deliveries as d where d.id = p_delivery_id)
  for no key update;
  select d.* into v_delivery
  from interview_private.webhook_deliveries as d
  where d.id = p_delivery_id
  for update;
  if not found then
    return 'unchanged';  -- the delivery is gone (its endpoint or event was deleted)
  end if;
  v_applies := v_delivery.status = 'pending' and (v_ok or v_delivery.claimed_by is not distinct from p_relay);

  update interview_private.webhook_deliveries as d
  set attempts = case when v_applies then d.attempts + 1 else d.attempts end,  -- a late relay's record spends no budget
      status = case when not v_applies then d.status
                    when v_ok then 'delivered'
                    when d.attempts + 1 >= p_max_attempts then 'dead'
                    else 'pending' end,
      delivered_at = case when not v_applies then d.delivered_at when v_ok then v_now end,
      dead_at = case when not v_applies then d.dead_at
                     when not v_ok and d.attempts + 1 >= p_max_attempts then v_now end,
      next_attempt_at = case when not v_applies or v_ok or d.attempts + 1 >= p_max_attempts then d.next_attempt_at
                             else v_now + p_retry_delay end,
      claimed_by = case when v_applies then null else d.claimed_by end,
      last_status_code = case when v_applies then p_status_code else d.last_status_code end,
      last_error = case when v_applies then pg_catalog.left(p_error, 1000) else d.last_error end
  where d.id = p_delivery_id
  returning d.* into v_delivery;

  select coalesce(pg_catalog.max(a.attempt), 0) + 1 into v_number
  from interview_private.webhook_attempts as a
  where a.delivery_id = p_delivery_id;
  insert into interview_private.webhook_attempts
    (delivery_id, attempt, relay, started_at, latency_ms, status_code, outcome, error)
  values (p_delivery_id, v_number, p_relay, p_started_at, greatest(p_latency_ms, 0), p_status_code,
          case when p_refused then 'refused' when v_ok then 'delivered' else 'failed' end,
          pg_catalog.left(p_error, 1000));

  if v_ok then
    update public.webhook_endpoints as e
    set failing_since = null
    where e.id = v_delivery.endpoint_id and e.failing_since is not null;
  elsif v_applies then  -- a late relay's failure neither starts nor extends the endpoint's failing period
    select s.disable_failing_after into v_disable_after from interview_private.webhook_settings as s;
    update public.webhook_endpoints as e
    set failing_since = coalesce(e.failing_since, v_now),
        enabled = case when e.failing_since <= v_now - v_disable_after then false else e.enabled end,
        disabled_at = case when e.failing_since <= v_now - v_disable_after then v_now else e.disabled_at end,
        disabled_reason = case when e.failing_since <= v_now - v_disable_after then pg_catalog.left(pg_catalog.format(
          'disabled automatically: every attempt failed since %s (%s); last error: %s',
          e.failing_since, v_disable_after, coalesce(p_error, 'none')), 2000) else e.disabled_reason end,
        updated_at = case when e.failing_since <= v_now - v_disable_after then v_now else e.updated_at end
    where e.id = v_delivery.endpoint_id
      and e.enabled
      and (e.failing_since is null or e.failing_since <= v_now - v_disable_after);
  end if;

  if v_delivery.status <> 'pending' then
    update interview_private.outbox_events as o
    set published_at = v_now
    where o.id = v_delivery.event_id
      and o.published_at is null
      and not exists (select from interview_private.webhook_deliveries as d
                      where d.event_id = o.id and d.status = 'pending');
  end if;

  if not v_applies then
    return 'unchanged';
  end if;
  return case v_delivery.status when 'pending' then 'retrying' else v_delivery.status end;
end
$$;

comment on function interview_private.record_webhook_attempt(uuid, text, timestamptz, integer, integer, boolean, text, integer, interval) is
  $comment$Record one attempt of a webhook delivery and its effect: delivered (2xx), retrying after p_retry_delay, or dead at p_max_attempts.

A failure changes the delivery only while p_relay holds its lease; a success always marks it delivered. Attempt numbers are assigned here in recording order, never repeated. Keeps the endpoint's failing_since, disables an endpoint failing for webhook_settings.disable_failing_after (reason in disabled_reason), and sets the event's published_at when its last delivery becomes final. Returns delivered, retrying, dead or unchanged. For the relay's own connection only.$comment$;

revoke all on function interview_private.record_webhook_attempt(uuid, text, timestamptz, integer, integer, boolean, text, integer, interval) from public;
