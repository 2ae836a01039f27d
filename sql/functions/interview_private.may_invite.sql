-- May this user (not necessarily the caller) invite someone to this merchant
-- with this role: a platform admin, or a merchant owner of the merchant or of
-- an ancestor of it (any depth), and never for a role above their own rank nor
-- for admin. The accept checks it again for the invitation's inviter, so an
-- invitation dies with its inviter's right to make it (an owner removed or
-- demoted since cannot let anyone in through an invitation made before).
-- interview_access.may_act_for answers for the signed-in user only; this one
-- is private, for the membership RPCs.
create or replace function interview_private.may_invite(p_inviter uuid, p_merchant_id uuid, p_role public.profile_role)
returns boolean
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role public.profile_role;
  v_inviter_merchant_id uuid;
begin
  select p.role, p.merchant_id
  into v_role, v_inviter_merchant_id
  from public.profiles as p
  where p.id = p_inviter;

  if v_role is null or v_role not in ('admin', 'merchant_owner') or p_role = 'admin'
     or interview_private.role_rank(p_role) > interview_private.role_rank(v_role) then
    return false;
  end if;
  -- the merchants an owner or admin may invite to are those they may act for
  return interview_private.profile_may_act_for(v_role, v_inviter_merchant_id, p_merchant_id);
end
$$;

comment on function interview_private.may_invite(uuid, uuid, public.profile_role) is
  $comment$May this user invite to this merchant with this role.

True for a platform admin (an existing merchant) and for a merchant owner of the merchant or of any ancestor of it, when the role is not admin and ranks no higher than the inviter's (interview_private.role_rank). Checked again when an invitation is accepted, for its inviter.$comment$;

revoke all on function interview_private.may_invite(uuid, uuid, public.profile_role) from public;
