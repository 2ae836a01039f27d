-- The merchant the interview is created for, and whether the caller may:
-- without merchant_id, the caller's own; with it, the service role may target
-- any merchant, a user any merchant interview_private.profile_may_act_for allows (admins
-- every merchant, owners and staff their own or any sub-merchant at any depth).
-- Anything else, an unknown merchant included, is the same 403.
create or replace function interview_private.authorized_merchant(
  p_is_service boolean,
  p_role public.profile_role,
  p_own_merchant_id uuid,
  p_requested uuid,
  out merchant_id uuid,
  out coaching_enabled boolean
)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_requested uuid := p_requested;
  v_allowed boolean;
begin
  if v_requested is null then
    if p_is_service then
      perform interview_private.raise_invalid(
        'merchant_id',
        'merchant_id is required when calling with the service_role key',
        'the id of the merchant to create the interview for'
      );
    end if;
    if p_own_merchant_id is null then
      perform interview_private.raise_invalid(
        'merchant_id',
        'merchant_id is required: your profile belongs to no merchant',
        'the id of the merchant to create the interview for'
      );
    end if;
    v_requested := p_own_merchant_id;
  end if;

  -- The service role may target any merchant; a user, those they may act for
  -- (the same rule as reading them: the RLS policies' merchant set, here on the
  -- caller's profile read once).
  v_allowed := p_is_service or interview_private.profile_may_act_for(p_role, p_own_merchant_id, v_requested);

  select m.id, m.coaching_enabled
  into merchant_id, coaching_enabled
  from public.merchants as m
  where m.id = v_requested and v_allowed;

  if not found then
    perform interview_private.raise_refused(403,
      'merchant_id', pg_catalog.format('You may not create interviews for merchant %s', v_requested),
      'leave merchant_id out to use your own merchant, or give one of its sub-merchants');
  end if;
end
$$;

comment on function interview_private.authorized_merchant(boolean, public.profile_role, uuid, uuid) is
  'The target merchant of a create call (own merchant by default) and its coaching flag; PT403 when the caller may not create for it or it does not exist, PT422 when merchant_id is needed but missing.';

revoke all on function interview_private.authorized_merchant(boolean, public.profile_role, uuid, uuid) from public;
