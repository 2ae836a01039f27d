-- POST /rest/v1/rpc/merchant_invitation_accept: the signed-in invitee accepts
-- an invitation with its token, which creates their profile (the invitation's
-- merchant and role). No one joins a merchant any other way through the API.
--
-- The token is looked up by its SHA-256 (the only form stored), and the row is
-- locked, so two accepts of one invitation make one profile. Refused: a token
-- that is not 64 hex digits (422), an unknown token (403), an expired one
-- (403), one already accepted (409), one made out to another email address
-- (403), an invitation whose inviter may no longer make it (removed or demoted
-- since: 403), and a user who already has a profile (409).
--
-- SECURITY DEFINER: it reads interview_private.merchant_invitations and writes
-- public.profiles, on which API roles have no write rights. Meant for
-- signed-in users: splinter's
-- authenticated_security_definer_function_executable WARN is expected here.
create or replace function public.merchant_invitation_accept(token jsonb default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_caller record;
  v_token text;
  v_invitation interview_private.merchant_invitations;
  v_email text;
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.merchant_invitation_accept(token => $1);
  end if;
  select * into v_caller from interview_private.authorize_caller('accept_invitation');

  v_token := pg_catalog.lower(interview_private.text_argument(merchant_invitation_accept.token, 'token',
                                                              'the 64 hex digits of the invitation token'));
  if v_token is null or v_token !~ '^[0-9a-f]{64}$' then
    perform interview_private.raise_invalid(
      'token', 'token must be the invitation token (64 hex digits)', 'the token returned by merchant_invitation_create');
  end if;

  select i.* into v_invitation
  from interview_private.merchant_invitations as i
  where i.token_hash = pg_catalog.sha256(pg_catalog.decode(v_token, 'hex'))
  for update;

  if not found then
    perform interview_private.raise_refused(403,
      'token', 'This invitation token is not valid', 'ask the merchant''s owner for a new invitation');
  end if;
  if v_invitation.accepted_at is not null then
    raise exception using
      errcode = 'PT409',
      message = 'This invitation has already been accepted',
      detail = 'token',
      hint = 'an invitation is accepted once; ask the merchant''s owner for a new one';
  end if;
  if v_invitation.expires_at <= pg_catalog.now() then
    perform interview_private.raise_refused(403,
      'token', pg_catalog.format('This invitation expired at %s', v_invitation.expires_at),
      'ask the merchant''s owner for a new invitation');
  end if;

  -- the inviter must still be allowed to make this invitation (not removed or
  -- demoted since): an invitation is worth no more than its inviter's rights.
  -- The inviter's profile is share-locked first, so that an acceptance racing a
  -- removal of the inviter (merchant_member_remove holds the row for update)
  -- waits for it and then reads the profile as the removal left it.
  perform from public.profiles as p where p.id = v_invitation.invited_by for share;
  if not interview_private.may_invite(v_invitation.invited_by, v_invitation.merchant_id, v_invitation.role) then
    perform interview_private.raise_refused(403,
      'token', 'The person who invited you may no longer invite to this merchant',
      'ask a current owner of the merchant for a new invitation');
  end if;

  select u.email::text into v_email from auth.users as u where u.id = v_caller.user_id;
  -- exact after an ASCII-only lowercase (interview_private.email_key), never lower()
  if v_email is null or interview_private.email_key(v_email) <> interview_private.email_key(v_invitation.email) then
    perform interview_private.raise_refused(403,
      'token', 'This invitation is made out to another email address',
      'sign in with the email address the invitation was sent to');
  end if;

  if v_caller.role is not null then
    raise exception using
      errcode = 'PT409',
      message = 'Your account already has a profile',
      detail = 'profiles',
      hint = 'a user belongs to one merchant; ask an owner of your merchant to remove you first';
  end if;

  begin
    insert into public.profiles (id, merchant_id, role)
    values (v_caller.user_id, v_invitation.merchant_id, v_invitation.role);
  exception when unique_violation then
    -- a concurrent accept of another invitation by the same user made it first
    raise exception using
      errcode = 'PT409',
      message = 'Your account already has a profile',
      detail = 'profiles',
      hint = 'a user belongs to one merchant; ask an owner of your merchant to remove you first';
  end;

  update interview_private.merchant_invitations as i
  set accepted_at = pg_catalog.now(), accepted_by = v_caller.user_id
  where i.id = v_invitation.id;

  return pg_catalog.jsonb_build_object(
    'user_id', v_caller.user_id,
    'merchant_id', v_invitation.merchant_id,
    'role', v_invitation.role
  );
end
$$;

comment on function public.merchant_invitation_accept(jsonb) is
  $comment$Accept an invitation: join its merchant with its role.

Body: token (from merchant_invitation_create). The signed-in user must have the email address the invitation was made out to, and no profile yet. Creates the profile and returns {user_id, merchant_id, role}. Errors: 401 without a signed-in user, 403 for an unknown or expired token, another user's invitation or one whose inviter may no longer make it, 409 for an invitation already accepted or a user who already has a profile, 422 for a malformed token.$comment$;

revoke all on function public.merchant_invitation_accept(jsonb) from public, anon, service_role;
grant execute on function public.merchant_invitation_accept(jsonb) to authenticated;
