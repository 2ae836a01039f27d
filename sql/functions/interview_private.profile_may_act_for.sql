-- May a user with this profile act for the merchant: is the merchant
-- one of interview_private.profile_merchant_ids (the one definition): platform
-- admins act for every existing merchant; merchant owners and staff for their
-- own merchant and any sub-merchant below it at any depth; nobody else for
-- any. The RPCs (create, invitations, members, webhook endpoints) ask it on
-- the profile they have read (interview_access.may_act_for, which only
-- migration 0050's rollback policies still call, asks it too). Two short cuts give the same answer without
-- building the set: an admin's merchant need only exist, and one's own
-- merchant needs no look-up of the tree.
create or replace function interview_private.profile_may_act_for(
  p_role public.profile_role,
  p_own_merchant_id uuid,
  p_merchant_id uuid
)
returns boolean
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_merchant_id is null or p_role is null or not p_role = any (interview_access.acting_roles()) then
    return false;
  end if;
  if p_role = 'admin' then
    return exists (select from public.merchants as m where m.id = p_merchant_id);
  end if;
  if p_merchant_id = p_own_merchant_id then
    return exists (select from public.merchants as m where m.id = p_merchant_id);
  end if;
  return p_merchant_id = any (interview_private.profile_merchant_ids(p_role, p_own_merchant_id));
end
$$;

comment on function interview_private.profile_may_act_for(public.profile_role, uuid, uuid) is
  'May a user with this profile (role, own merchant) act for this merchant: is it one of interview_private.profile_merchant_ids (admins: any existing merchant; owners and staff: their own merchant and its sub-merchants at any depth). The rule behind interview_access.may_act_for and interview_access.readable_merchant_ids.';

revoke all on function interview_private.profile_may_act_for(public.profile_role, uuid, uuid) from public;
