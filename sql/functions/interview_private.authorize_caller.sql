-- The one authorization primitive: who is calling, from the JWT claims
-- PostgREST puts in request.jwt.claims, and whether they may do p_action. Every
-- RPC that acts for a person asks it first; every 401 and every role 403 of
-- those RPCs is raised here (interview_private.raise_refused). Which merchant
-- the caller may act for is then asked of their profile, read here once:
-- interview_private.profile_may_act_for (the one definition of "may act for").
--
-- The actions, and who may do them:
--   create_interview          the service_role key (no user), or a user whose
--                             role is one of interview_access.acting_roles()
--   manage_webhook_endpoints  merchant owners and platform admins
--   invite_members            merchant owners and platform admins
--   remove_members            merchant owners and platform admins
--   create_merchant           platform admins
--   accept_invitation         any signed-in user, with or without a profile
-- Any other action is refused (403). Only create_interview accepts the
-- service_role key: the others are acts of a person (a service_role key names
-- no user, so it gets the 401).
--
-- The create call's path costs what it did before this function: the role
-- claim and the session role (the service_role check), the sub, one read of
-- the profile, one role test. Both the verified claim and the session's role
-- make a service call: a forged claim alone does not. (auth.jwt() ->> 'role'
-- and auth.uid() are read by interview_private.request_jwt_role and
-- request_user_id: see why there.)
create or replace function interview_private.authorize_caller(
  p_action text,
  out user_id uuid,
  out is_service boolean,
  out role public.profile_role,
  out merchant_id uuid
)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  is_service := p_action = 'create_interview'
                and coalesce(interview_private.request_jwt_role(), '') = 'service_role'
                and pg_catalog.current_setting('role', true) = 'service_role';
  if is_service then
    return;
  end if;

  user_id := interview_private.request_user_id();
  if user_id is null then
    perform interview_private.raise_refused(401,
      'the JWT has no sub claim',
      case p_action
        when 'create_interview' then 'The JWT identifies no user: sign in, or call with the service_role key and a merchant_id'
        when 'manage_webhook_endpoints' then 'The JWT identifies no user: sign in as a merchant owner or an admin'
        else 'This call needs a signed-in user'
      end,
      'send the access token of a signed-in user as Authorization: Bearer <token>');
  end if;

  select p.role, p.merchant_id
  into role, merchant_id
  from public.profiles as p
  where p.id = user_id;

  if p_action = 'accept_invitation'
     or role = any (case p_action
                                       when 'create_interview' then interview_access.acting_roles()
                                       when 'create_merchant' then '{admin}'::public.profile_role[]
                                       when 'manage_webhook_endpoints' then '{admin,merchant_owner}'::public.profile_role[]
                                       when 'invite_members' then '{admin,merchant_owner}'::public.profile_role[]
                                       when 'remove_members' then '{admin,merchant_owner}'::public.profile_role[]
                                     end) then
    return;
  end if;

  if p_action = 'create_interview' and role is null then
    perform interview_private.raise_refused(403,
      'no row in profiles for this user',
      'Your account has no profile, so it cannot create interviews',
      'ask an administrator to add your profile with role merchant_owner or merchant');
  end if;
  perform interview_private.raise_refused(403,
    'role',
    case p_action
      when 'create_interview' then pg_catalog.format('Your role (%s) cannot create interviews', role)
      when 'manage_webhook_endpoints' then pg_catalog.format('Your role (%s) cannot manage webhook endpoints',
                                                             coalesce(role::text, 'no profile'))
      when 'invite_members' then 'Only merchant owners and platform admins may invite members'
      when 'remove_members' then 'Only merchant owners and platform admins may remove members'
      when 'create_merchant' then 'Only platform admins may create merchants'
      else pg_catalog.format('Unknown action %s', p_action)
    end,
    case p_action
      when 'create_interview' then 'interviews are created by merchant owners, merchant staff and platform admins'
      when 'manage_webhook_endpoints' then 'webhook endpoints are managed by merchant owners and platform admins'
      when 'invite_members' then 'ask an owner of the merchant to send the invitation'
      when 'remove_members' then 'ask an owner of the merchant'
      when 'create_merchant' then 'ask a platform admin'
      else 'see interview_private.authorize_caller for the actions'
    end);
end
$$;

comment on function interview_private.authorize_caller(text) is
  $comment$The caller of an RPC (user id and profile: role, merchant; or is_service for the service_role key), once they are known to be allowed to do p_action.

Actions: create_interview (service_role key, or a role of interview_access.acting_roles()), manage_webhook_endpoints, invite_members, remove_members (merchant owners and admins), create_merchant (admins), accept_invitation (any signed-in user). PT401 (interview_private.raise_refused) when the JWT names no user; PT403 for a missing profile or a role that may not do the action. Whether the caller may act for a given merchant is interview_private.profile_may_act_for on the role and merchant returned.$comment$;

revoke all on function interview_private.authorize_caller(text) from public;
