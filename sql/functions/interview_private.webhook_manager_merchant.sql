-- Who may manage webhook endpoints: merchant owners (their merchant and its
-- sub-merchants at any depth) and platform admins (every merchant); merchant
-- staff and candidates may not. Returns the merchant the call acts for.
--
-- p_field says what identified the merchant: 'merchant_id' (create: null means
-- the caller's own merchant) or 'endpoint_id' (update, rotate: the endpoint's
-- merchant, null when there is no such endpoint). An endpoint the caller may not
-- manage is reported as not found, so that ids of other merchants leak nothing.
create or replace function interview_private.webhook_manager_merchant(p_merchant_id uuid, p_field text)
returns uuid
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_user_id uuid := interview_private.request_user_id();
  v_role public.profile_role;
  v_own_merchant_id uuid;
  v_merchant_id uuid := p_merchant_id;
begin
  if v_user_id is null then
    raise exception using
      errcode = 'PT401',
      message = 'The JWT identifies no user: sign in as a merchant owner or an admin',
      detail = 'the JWT has no sub claim',
      hint = 'send the access token of a signed-in user as Authorization: Bearer <token>';
  end if;

  select p.role, p.merchant_id
  into v_role, v_own_merchant_id
  from public.profiles as p
  where p.id = v_user_id;

  if v_role is null or v_role not in ('admin'::public.profile_role, 'merchant_owner'::public.profile_role) then
    raise exception using
      errcode = 'PT403',
      message = pg_catalog.format('Your role (%s) cannot manage webhook endpoints', coalesce(v_role::text, 'no profile')),
      detail = 'role',
      hint = 'webhook endpoints are managed by merchant owners and platform admins';
  end if;

  if p_field = 'merchant_id' and v_merchant_id is null then
    v_merchant_id := v_own_merchant_id;
    if v_merchant_id is null then
      perform interview_private.raise_invalid(
        'merchant_id', 'merchant_id is required: your profile has no merchant',
        'the id of the merchant whose endpoint this is');
    end if;
  end if;

  if v_merchant_id is null or not interview_access.may_act_for(v_merchant_id) then
    if p_field = 'endpoint_id' then
      raise exception using
        errcode = 'PT404',
        message = 'No webhook endpoint with this endpoint_id that you may manage',
        detail = 'endpoint_id',
        hint = 'the id of an endpoint of your merchant or one of its sub-merchants (read public.webhook_endpoints)';
    end if;
    raise exception using
      errcode = 'PT403',
      message = 'You may not manage webhook endpoints of this merchant_id',
      detail = 'merchant_id',
      hint = 'your own merchant or one of its sub-merchants';
  end if;
  return v_merchant_id;
end
$$;

comment on function interview_private.webhook_manager_merchant(uuid, text) is
  $comment$The merchant a webhook endpoint call acts for, after checking that the caller may manage its endpoints.

PT401 without a user; PT403 for a role other than merchant_owner or admin, or a merchant the caller may not act for; PT404 for an endpoint that does not exist or that the caller may not manage; PT422 when an admin without a merchant gives no merchant_id.$comment$;

revoke all on function interview_private.webhook_manager_merchant(uuid, text) from public;
