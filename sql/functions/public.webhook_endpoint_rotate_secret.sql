-- Replace a webhook endpoint's signing secret; the new one is returned once.
-- For 24 hours after each rotation messages carry a signature with the secret
-- it replaced as well (every previous secret whose window is open: two
-- rotations in a day keep both), so that the receiver can switch at any time in
-- that window without refusing a message.
--
-- SECURITY DEFINER: it writes the secret table in interview_private, which no
-- API role may read or write. Executable by authenticated on purpose (merchant
-- owners and admins call it through PostgREST); splinter's
-- authenticated_security_definer_function_executable is accepted for it.
create or replace function public.webhook_endpoint_rotate_secret(endpoint_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_secret bytea := extensions.gen_random_bytes(32);
  v_rotated_at timestamptz;
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.webhook_endpoint_rotate_secret(endpoint_id => $1);
  end if;
  perform interview_private.managed_webhook_endpoint(webhook_endpoint_rotate_secret.endpoint_id);

  delete from interview_private.webhook_endpoint_previous_secrets as p
  where p.endpoint_id = webhook_endpoint_rotate_secret.endpoint_id and p.valid_until <= pg_catalog.now();
  insert into interview_private.webhook_endpoint_previous_secrets (endpoint_id, secret, valid_until)
  select s.endpoint_id, s.secret, pg_catalog.now() + interval '24 hours'
  from interview_private.webhook_endpoint_secrets as s
  where s.endpoint_id = webhook_endpoint_rotate_secret.endpoint_id;
  update interview_private.webhook_endpoint_secrets as s
  set secret = v_secret,
      created_at = pg_catalog.now()
  where s.endpoint_id = webhook_endpoint_rotate_secret.endpoint_id;
  update public.webhook_endpoints as e
  set secret_rotated_at = pg_catalog.now(), updated_at = pg_catalog.now()
  where e.id = webhook_endpoint_rotate_secret.endpoint_id
  returning e.secret_rotated_at into v_rotated_at;

  return pg_catalog.jsonb_build_object(
    'id', webhook_endpoint_rotate_secret.endpoint_id,
    'secret_rotated_at', v_rotated_at,
    'secret', 'whsec_' || pg_catalog.encode(v_secret, 'base64'));
end
$$;

comment on function public.webhook_endpoint_rotate_secret(uuid) is
  $comment$Replace a webhook endpoint's signing secret; the new secret is returned once.

For merchant owners and admins who may act for the endpoint's merchant (others: 404). Returns {id, secret_rotated_at, secret = whsec_<base64 of 32 random bytes>}. For 24 hours after each rotation messages are signed with the replaced secret too (every previous secret whose window is open). SECURITY DEFINER, executable by authenticated on purpose (splinter's authenticated_security_definer_function_executable is accepted).$comment$;

revoke all on function public.webhook_endpoint_rotate_secret(uuid) from public, anon, authenticated, service_role;
grant execute on function public.webhook_endpoint_rotate_secret(uuid) to authenticated;
