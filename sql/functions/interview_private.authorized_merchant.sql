-- The merchant the interview is created for, and whether the caller may:
-- without merchant_id, the caller's own; with it, admins and the service role
-- may target any merchant, owners and staff their own or any sub-merchant at
-- any depth. Anything else, an unknown merchant included, is the same 403.
create or replace function interview_private.authorized_merchant(
  p_is_service boolean,
  p_role text,
  p_own_merchant_id uuid,
  p_requested text,
  out merchant_id uuid,
  out coaching_enabled boolean
)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_requested uuid := p_requested::uuid;
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

  if p_is_service or p_role = 'admin' or v_requested = p_own_merchant_id then
    v_allowed := true;
  else
    -- Walk up from the target: allowed when the caller's merchant is an ancestor.
    with recursive ancestors (id, parent_merchant_id, depth) as (
      select m.id, m.parent_merchant_id, 0
      from public.merchants as m
      where m.id = v_requested
      union all
      select m.id, m.parent_merchant_id, a.depth + 1
      from public.merchants as m
      join ancestors as a on m.id = a.parent_merchant_id
      where a.depth < 64
    )
    select exists (select from ancestors as a where a.id = p_own_merchant_id) into v_allowed;
  end if;

  select m.id, m.coaching_enabled
  into merchant_id, coaching_enabled
  from public.merchants as m
  where m.id = v_requested and v_allowed;

  if not found then
    raise exception using
      errcode = 'PT403',
      message = pg_catalog.format('You may not create interviews for merchant %s', v_requested),
      detail = 'merchant_id',
      hint = 'leave merchant_id out to use your own merchant, or give one of its sub-merchants';
  end if;
end
$$;

comment on function interview_private.authorized_merchant(boolean, text, uuid, text) is
  'The target merchant of a create call (own merchant by default) and its coaching flag; PT403 when the caller may not create for it or it does not exist, PT422 when merchant_id is needed but missing.';

revoke all on function interview_private.authorized_merchant(boolean, text, uuid, text) from public;
