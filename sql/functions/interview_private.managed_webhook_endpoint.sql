-- Lock (FOR UPDATE) the webhook endpoint a management RPC acts on and return its
-- merchant, after checking that the caller may manage it (interview_private.webhook_manager_merchant):
-- PT401 without a user, PT403 for a role that manages none, PT404 for an id that
-- does not exist or belongs to a merchant the caller may not act for (the same
-- answer, so ids of other merchants leak nothing). Returns a uuid, not the row:
-- a function returning the table's row type would keep its migration from
-- being rolled back.
create or replace function interview_private.managed_webhook_endpoint(p_endpoint_id uuid)
returns uuid
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_merchant_id uuid;
begin
  select e.merchant_id into v_merchant_id
  from public.webhook_endpoints as e
  where e.id = p_endpoint_id
  for update;
  return interview_private.webhook_manager_merchant(v_merchant_id, 'endpoint_id');
end
$$;

comment on function interview_private.managed_webhook_endpoint(uuid) is
  $comment$Lock webhook endpoint p_endpoint_id and return its merchant, once the caller is known to manage it.

PT401, PT403 and PT404 as interview_private.webhook_manager_merchant; an endpoint of another merchant is the same 404 as an unknown id.$comment$;

revoke all on function interview_private.managed_webhook_endpoint(uuid) from public;
