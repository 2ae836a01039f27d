-- Create a webhook endpoint for a merchant; the signing secret (32 random bytes,
-- as the embed signing key) is returned once, as whsec_<base64>, the form the
-- standardwebhooks libraries take, and is kept in interview_private.
--
-- SECURITY DEFINER: it writes public.webhook_endpoints and the secret table,
-- which the caller has no grants on. Executable by authenticated on purpose
-- (merchant owners and admins call it through PostgREST), so Supabase's linter
-- reports authenticated_security_definer_function_executable for it: accepted.
create or replace function public.webhook_endpoint_create(
  url text,
  event_types text[] default null,
  merchant_id uuid default null,
  description text default null,
  enabled boolean default true
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_merchant_id uuid;
  v_event_types text[];
  v_secret bytea;
  v_endpoint public.webhook_endpoints;
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.webhook_endpoint_create(
      url => $1,
      event_types => $2,
      merchant_id => $3,
      description => $4,
      enabled => $5
    );
  end if;
  v_merchant_id := interview_private.webhook_manager_merchant(webhook_endpoint_create.merchant_id, 'merchant_id');
  v_event_types := interview_private.valid_webhook_event_types(webhook_endpoint_create.url,
                                                                webhook_endpoint_create.event_types);
  if pg_catalog.char_length(webhook_endpoint_create.description) > 500 then
    perform interview_private.raise_invalid('description', 'description must be at most 500 characters', null);
  end if;
  perform interview_private.assert_webhook_endpoint_room(v_merchant_id, webhook_endpoint_create.url, null);

  insert into public.webhook_endpoints (merchant_id, url, event_types, enabled, description)
  values (v_merchant_id, webhook_endpoint_create.url, v_event_types,
          coalesce(webhook_endpoint_create.enabled, true), webhook_endpoint_create.description)
  returning * into v_endpoint;

  v_secret := extensions.gen_random_bytes(32);
  insert into interview_private.webhook_endpoint_secrets (endpoint_id, secret)
  values (v_endpoint.id, v_secret);

  return pg_catalog.to_jsonb(v_endpoint)
         || pg_catalog.jsonb_build_object('secret', 'whsec_' || pg_catalog.encode(v_secret, 'base64'));
end
$$;

comment on function public.webhook_endpoint_create(text, text[], uuid, text, boolean) is
  $comment$Create a webhook endpoint; the signing secret is returned once.

For merchant owners (their merchant or a sub-merchant; merchant_id defaults to their own) and admins (merchant_id required). event_types: values of interview_private.webhook_event_type (null: all). 409 for a url the merchant already has, or beyond webhook_settings.max_endpoints_per_merchant (default 20); 422 for http:// unless the operator allows private targets. Returns the endpoint and secret = whsec_<base64 of 32 random bytes>, to verify messages with the standardwebhooks libraries; it cannot be read again (rotate it with webhook_endpoint_rotate_secret). SECURITY DEFINER, executable by authenticated on purpose (splinter's authenticated_security_definer_function_executable is accepted).$comment$;

revoke all on function public.webhook_endpoint_create(text, text[], uuid, text, boolean)
  from public, anon, authenticated, service_role;
grant execute on function public.webhook_endpoint_create(text, text[], uuid, text, boolean) to authenticated;
