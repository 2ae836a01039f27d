-- May the signed-in user act for this merchant. Nothing of this release calls
-- it: the policies of migration 0050's rollback do (they restore the per-row
-- policies), so it stays while that rollback exists; the RPCs ask
-- interview_private.profile_may_act_for on the profile they have read. Platform admins: every merchant. Owners and staff
-- (interview_access.acting_roles()): their own merchant and every sub-merchant
-- below it, at any depth (interview_private.profile_may_act_for, on the user's
-- profile). Anyone else, an unknown merchant included: false. The same rule
-- as the RLS policies' merchant set (interview_access.readable_merchant_ids):
-- both ask interview_private.profile_merchant_ids.
--
-- SECURITY DEFINER: it reads profiles and merchants past their own policies. It answers only about the
-- calling user (the JWT's sub, read by interview_private.request_user_id
-- as auth.uid() reads it), never about another.
create or replace function interview_access.may_act_for(p_merchant_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_profile record;
begin
  select p.role, p.merchant_id
  into v_profile
  from public.profiles as p
  where p.id = interview_private.request_user_id();
  return interview_private.profile_may_act_for(v_profile.role, v_profile.merchant_id, p_merchant_id);
end
$$;

comment on function interview_access.may_act_for(uuid) is
  $comment$May the signed-in user act for this merchant (manage its members and webhook endpoints).

True for platform admins (an existing merchant), and for merchant owners and staff on their own merchant or any sub-merchant below it at any depth; false otherwise, an unknown merchant included. The same answer as interview_access.readable_merchant_ids, which the RLS policies use; called only by the policies migration 0050's rollback restores.$comment$;

revoke all on function interview_access.may_act_for(uuid) from public;
grant execute on function interview_access.may_act_for(uuid) to authenticated, service_role;
