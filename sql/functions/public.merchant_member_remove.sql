-- POST /rest/v1/rpc/merchant_member_remove: a merchant owner (or a platform
-- admin) removes a member: the member's profile is deleted, so they no longer
-- act for or read the merchant. Owners remove members of a merchant they may
-- act for (their own or a sub-merchant) whose role is at most their own rank;
-- no one removes themselves this way. A user who is not such a member, an
-- unknown one included, gets the same 403 (no existence leak).
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
  select c.user_id, c.role, c.merchant_id into v_caller from interview_private.membership_caller() as c;
  if v_caller.role is null or v_caller.role not in ('admin', 'merchant_owner') then
    raise exception using
      errcode = 'PT403',
      message = 'Only merchant owners and platform admins may remove members',
      detail = 'role',
      hint = 'ask an owner of the merchant';
  end if;

  v_user_id := interview_private.uuid_argument(merchant_member_remove.user_id, 'user_id');
  if v_user_id is null then
    perform interview_private.raise_invalid('user_id', 'user_id is required', 'the id of the member to remove');
  end if;
  if v_user_id = v_caller.user_id then
    raise exception using
      errcode = 'PT403',
      message = 'You cannot remove yourself',
      detail = 'user_id',
      hint = 'another owner of the merchant, or a platform admin, may remove you';
  end if;

  select p.id, p.merchant_id, p.role into v_member
  from public.profiles as p
  where p.id = v_user_id
  for update;

  if not found or v_member.merchant_id is null or not interview_access.may_act_for(v_member.merchant_id)
     or interview_private.role_rank(v_member.role) > interview_private.role_rank(v_caller.role) then
    raise exception using
      errcode = 'PT403',
      message = pg_catalog.format('You may not remove user %s', v_user_id),
      detail = 'user_id',
      hint = 'a member of your merchant or one of its sub-merchants, with a role no higher than yours';
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

Body: user_id. Callers: merchant owners (members of their merchant or its sub-merchants, of at most their own role) and platform admins. Returns {user_id, merchant_id, role} of the removed profile. Errors: 401 without a signed-in user, 403 for a caller who may not remove that user (unknown users included) or who names themselves, 422 for a malformed user_id.$comment$;

revoke all on function public.merchant_member_remove(jsonb) from public, anon, service_role;
grant execute on function public.merchant_member_remove(jsonb) to authenticated;
