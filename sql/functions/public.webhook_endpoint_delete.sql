-- Delete a webhook endpoint, with its secrets, deliveries and attempts.
--
-- SECURITY DEFINER: API roles have no write grants on public.webhook_endpoints.
-- Executable by authenticated on purpose (merchant owners and admins call it
-- through PostgREST); splinter's authenticated_security_definer_function_executable
-- is accepted for it.
create or replace function public.webhook_endpoint_delete(endpoint_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.webhook_endpoint_delete(endpoint_id => $1);
  end if;
  perform interview_private.managed_webhook_endpoint(webhook_endpoint_delete.endpoint_id);
  delete from public.webhook_endpoints as e where e.id = webhook_endpoint_delete.endpoint_id;
  return pg_catalog.jsonb_build_object('id', webhook_endpoint_delete.endpoint_id, 'deleted', true);
end
$$;

comment on function public.webhook_endpoint_delete(uuid) is
  $comment$Delete a webhook endpoint with its secrets, deliveries and attempts.

For merchant owners and admins who may act for the endpoint's merchant (others, and an unknown id: 404). Returns {id, deleted: true}. SECURITY DEFINER, executable by authenticated on purpose (splinter's authenticated_security_definer_function_executable is accepted).$comment$;

revoke all on function public.webhook_endpoint_delete(uuid) from public, anon, authenticated, service_role;
grant execute on function public.webhook_endpoint_delete(uuid) to authenticated;
