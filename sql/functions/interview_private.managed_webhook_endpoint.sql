-- The webhook endpoint a management RPC acts on, locked (FOR UPDATE) after
-- checking that the caller may manage it (interview_private.webhook_manager_merchant):
-- PT401 without a user, PT403 for a role that manages none, PT404 for an id that
-- does not exist or belongs to a merchant the caller may not act for (the same
-- answer, so ids of other merchants leak nothing).
create or replace function interview_private.managed_webhook_endpoint(p_endpoint_id uuid)
returns public.webhook_endpoints
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_endpoint public.webhook_endpoints;
begin
  select e.* into v_endpoint
  from public.webhook_endpoints as e
  where e.id = p_endpoint_id
  for update;
  perform interview_private.webhook_manager_merchant(v_endpoint.merchant_id, 'endpoint_id');
  return v_endpoint;
end
$$;

comment on function interview_private.managed_webhook_endpoint(uuid) is
  $comment$The webhook endpoint p_endpoint_id, locked, once the caller is known to manage it.

PT401, PT403 and PT404 as interview_private.webhook_manager_merchant; an endpoint of another merchant is the same 404 as an unknown id.$comment$;

revoke all on function interview_private.managed_webhook_endpoint(uuid) from public;
