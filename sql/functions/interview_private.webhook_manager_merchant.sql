-- Who may manage webhook endpoints: merchant owners (their merchant and its
-- sub-merchants at any depth) and platform admins (every merchant); merchant
-- staff and candidates may not. Returns the merchant the call acts for. The
-- caller is known from interview_private.authorize_caller (the 401 and the
-- role 403 are its own); the merchant is one the caller's profile may act for
-- (interview_private.profile_may_act_for, on the profile read there).
--
-- p_field says what identified the merchant: 'merchant_id' (create: null means
-- the caller's own merchant), 'endpoint_id' (update, rotate: the endpoint's
-- merchant, null when there is no such endpoint) or 'delivery_id' (replay: its
-- endpoint's merchant). An endpoint or delivery the caller may not manage is
-- reported as not found, so that ids of other merchants leak nothing.
create or replace function interview_private.webhook_manager_merchant(p_merchant_id uuid, p_field text)
returns uuid
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_caller record;
  v_merchant_id uuid := p_merchant_id;
begin
  select * into v_caller from interview_private.authorize_caller('manage_webhook_endpoints');

  if p_field = 'merchant_id' and v_merchant_id is null then
    v_merchant_id := v_caller.merchant_id;
    if v_merchant_id is null then
      perform interview_private.raise_invalid(
        'merchant_id', 'merchant_id is required: your profile has no merchant',
        'the id of the merchant whose endpoint this is');
    end if;
  end if;

  if not interview_private.profile_may_act_for(v_caller.role, v_caller.merchant_id, v_merchant_id) then
    if p_field = 'endpoint_id' then
      raise exception using
        errcode = 'PT404',
        message = 'No webhook endpoint with this endpoint_id that you may manage',
        detail = 'endpoint_id',
        hint = 'the id of an endpoint of your merchant or one of its sub-merchants (read public.webhook_endpoints)';
    end if;
    if p_field = 'delivery_id' then  -- the same answer as an unknown delivery: no existence leak
      raise exception using
        errcode = 'PT404',
        message = 'No webhook delivery with this delivery_id that you may manage',
        detail = 'delivery_id',
        hint = 'the id of a delivery of your merchant''s endpoints (webhook_endpoint_deliveries)';
    end if;
    perform interview_private.raise_refused(403,
      'merchant_id', 'You may not manage webhook endpoints of this merchant_id',
      'your own merchant or one of its sub-merchants');
  end if;
  return v_merchant_id;
end
$$;

comment on function interview_private.webhook_manager_merchant(uuid, text) is
  $comment$The merchant a webhook endpoint call acts for, after checking that the caller may manage its endpoints.

PT401 without a user and PT403 for a role other than merchant_owner or admin (interview_private.authorize_caller, action manage_webhook_endpoints); PT403 for a merchant the caller may not act for (interview_private.profile_may_act_for); PT404 for an endpoint that does not exist or that the caller may not manage; PT422 when an admin without a merchant gives no merchant_id.$comment$;

revoke all on function interview_private.webhook_manager_merchant(uuid, text) from public;
