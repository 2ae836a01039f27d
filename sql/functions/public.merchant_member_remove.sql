-- POST /rest/v1/rpc/merchant_member_remove: a merchant owner (or a platform
-- admin) removes a member: the member's profile is deleted, so they no longer
-- act for or read the merchant. Owners remove members of a merchant they may
-- act for (their own or a sub-merchant) whose role is at most their own rank;
-- no one removes themselves this way, and a merchant's last owner stays (409).
-- A user who is not such a member, an unknown one included, gets the same 403
-- (no existence leak). Concurrent removals are serialised by locking the
-- profiles involved in id order (see below).
--
-- SECURITY DEFINER: it deletes from public.profiles, on which API roles have no
-- write rights. Meant for signed-in users: splinter's
-- authenticated_security_definer_function_executable WARN is expected here.
create or replace function public.merchant_member_remove(user_id jsonb default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_caller record;
  v_user_id uuid;
  v_member record;
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.merchant_member_remove(user_id => $1);
  end if;
  select * into v_caller from interview_private.authorize_caller('remove_members');

  v_user_id := interview_private.uuid_argument(merchant_member_remove.user_id, 'user_id');
  if v_user_id is null then
    perform interview_private.raise_invalid('user_id', 'user_id is required', 'the id of the member to remove');
  end if;
  if v_user_id = v_caller.user_id then
    perform interview_private.raise_refused(403,
      'user_id', 'You cannot remove yourself', 'another owner of the merchant, or a platform admin, may remove you');
  end if;

  -- Who is removed, read without a lock first: it says whose rows to lock.
  select p.id, p.merchant_id, p.role into v_member
  from public.profiles as p
  where p.id = v_user_id;

  -- Lock, in one statement and in id order, the caller, the member and (for
  -- an owner) every owner of the member's merchant: two owners removing each
  -- other, or two removals of a merchant's last two owners, queue here instead
  -- of both going through. The reads below run after the lock, so they see
  -- what the removal that went first committed (READ COMMITTED).
  perform
  from public.profiles as p
  where p.id = v_caller.user_id
     or p.id = v_user_id
     or (v_member.role = 'merchant_owner' and p.merchant_id = v_member.merchant_id and p.role = 'merchant_owner')
  order by p.id
  for update;

  select p.role, p.merchant_id into v_caller.role, v_caller.merchant_id
  from public.profiles as p
  where p.id = v_caller.user_id;
  if not found or v_caller.role not in ('admin', 'merchant_owner') then
    perform interview_private.raise_refused(403,
      'role', 'Only merchant owners and platform admins may remove members',
      'you were removed or your role changed while this call waited');
  end if;

  select p.id, p.merchant_id, p.role into v_member
  from public.profiles as p
  where p.id = v_user_id;

  if not found or not interview_private.profile_may_act_for(v_caller.role, v_caller.merchant_id, v_member.merchant_id)
     or interview_private.role_rank(v_member.role) > interview_private.role_rank(v_caller.role) then
    perform interview_private.raise_refused(403,
      'user_id', pg_catalog.format('You may not remove user %s', v_user_id),
      'a member of your merchant or one of its sub-merchants, with a role no higher than yours');
  end if;

  if v_member.role = 'merchant_owner' and not exists (
    select from public.profiles as p
    where p.merchant_id = v_member.merchant_id and p.role = 'merchant_owner' and p.id <> v_user_id
  ) then
    raise exception using
      errcode = 'PT409',
      message = pg_catalog.format('User %s is the last owner of merchant %s and cannot be removed', v_user_id,
                                  v_member.merchant_id),
      detail = 'user_id',
      hint = 'invite another owner first (merchant_invitation_create with role merchant_owner), then remove this one';
  end if;

  delete from public.profiles as p where p.id = v_user_id;

  return pg_catalog.jsonb_build_object(
    'user_id', v_user_id,
    'merchant_id', v_member.merchant_id,
    'role', v_member.role
  );
end
$$;

comment on function public.merchant_member_remove(jsonb) is
  $comment$Remove a member from a merchant (delete their profile).

Body: user_id. Callers: merchant owners (members of their merchant or its sub-merchants, of at most their own role) and platform admins. Returns {user_id, merchant_id, role} of the removed profile. Errors: 401 without a signed-in user, 403 for a caller who may not remove that user (unknown users included) or who names themselves, 409 for the last owner of a merchant, 422 for a malformed user_id. Concurrent removals lock the caller, the member and the merchant's owners in id order and re-read them, so two owners removing each other cannot both succeed.$comment$;

revoke all on function public.merchant_member_remove(jsonb) from public, anon, service_role;
grant execute on function public.merchant_member_remove(jsonb) to authenticated;
