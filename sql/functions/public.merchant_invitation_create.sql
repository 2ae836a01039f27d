-- POST /rest/v1/rpc/merchant_invitation_create: a merchant owner (or a platform
-- admin) invites someone, by email, to a merchant they may act for (their own
-- or a sub-merchant at any depth: interview_private.profile_may_act_for), with a role of
-- at most their own rank (interview_private.role_rank; an owner may invite
-- owners, never admins: no invitation grants admin). Merchant staff and
-- candidates invite no one.
--
-- Returns the token once: 32 random bytes (extensions.gen_random_bytes), hex;
-- only its SHA-256 is stored, so it cannot be read back by anyone.
--
-- Parameters are jsonb so that any JSON value reaches the checks (422 naming
-- the field, never PostgREST's 400). SECURITY DEFINER: it writes
-- interview_private.merchant_invitations, on which API roles have no rights.
-- Meant for signed-in users: splinter's
-- authenticated_security_definer_function_executable WARN is expected here.
create or replace function public.merchant_invitation_create(
  merchant_id jsonb default null,
  role jsonb default null,
  email jsonb default null,
  expires_in_hours jsonb default null
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_caller record;
  v_merchant_id uuid;
  v_role_text text;
  v_role public.profile_role;
  v_email text;
  v_hours integer := 72;
  v_token bytea;
  v_invitation_id uuid;
  v_expires_at timestamptz;
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.merchant_invitation_create(
      merchant_id => $1,
      role => $2,
      email => $3,
      expires_in_hours => $4
    );
  end if;
  select * into v_caller from interview_private.authorize_caller('invite_members');

  v_merchant_id := interview_private.uuid_argument(merchant_invitation_create.merchant_id, 'merchant_id');
  if v_merchant_id is null then
    perform interview_private.raise_invalid('merchant_id', 'merchant_id is required', 'the id of the merchant to invite to');
  end if;

  v_role_text := interview_private.text_argument(merchant_invitation_create.role, 'role',
                                                 'merchant_owner, merchant or candidate');
  if v_role_text is null then
    perform interview_private.raise_invalid('role', 'role is required', 'merchant_owner, merchant or candidate');
  end if;
  if not v_role_text = any (pg_catalog.enum_range(null::public.profile_role)::text[]) then
    perform interview_private.raise_invalid(
      'role', pg_catalog.format('role must be merchant_owner, merchant or candidate, not %s', pg_catalog.left(v_role_text, 40)),
      'merchant_owner, merchant or candidate');
  end if;
  v_role := v_role_text::public.profile_role;

  v_email := interview_private.text_argument(merchant_invitation_create.email, 'email', 'the invitee''s email address');
  if v_email is null or pg_catalog.char_length(v_email) not between 3 and 320 or v_email !~ '^[^@\s]+@[^@\s]+$' then
    perform interview_private.raise_invalid(
      'email', 'email must be the invitee''s email address (up to 320 characters)', 'name@example.com');
  end if;

  if expires_in_hours is not null and pg_catalog.jsonb_typeof(expires_in_hours) <> 'null' then
    -- compared as numeric, never written out as text (1e131071 is a few bytes of jsonb)
    if pg_catalog.jsonb_typeof(expires_in_hours) <> 'number'
       or (expires_in_hours)::numeric not between 1 and 720
       or (expires_in_hours)::numeric <> pg_catalog.trunc((expires_in_hours)::numeric) then
      perform interview_private.raise_invalid(
        'expires_in_hours', 'expires_in_hours must be a whole number of hours from 1 to 720',
        'an integer from 1 to 720 (30 days); default 72');
    end if;
    v_hours := (expires_in_hours)::numeric::integer;
  end if;

  if v_role = 'admin' or interview_private.role_rank(v_role) > interview_private.role_rank(v_caller.role) then
    perform interview_private.raise_refused(403,
      'role', pg_catalog.format('You may not grant the role %s', v_role),
      'an invitation grants merchant_owner, merchant or candidate, at most your own role');
  end if;

  if not interview_private.profile_may_act_for(v_caller.role, v_caller.merchant_id, v_merchant_id) then
    perform interview_private.raise_refused(403,
      'merchant_id', pg_catalog.format('You may not invite members to merchant %s', v_merchant_id),
      'your own merchant or one of its sub-merchants');
  end if;

  v_token := extensions.gen_random_bytes(32);
  v_expires_at := pg_catalog.now() + pg_catalog.make_interval(hours => v_hours);
  insert into interview_private.merchant_invitations (merchant_id, role, email, token_hash, invited_by, expires_at)
  values (v_merchant_id, v_role, v_email, pg_catalog.sha256(v_token), v_caller.user_id, v_expires_at)
  returning id into v_invitation_id;

  return pg_catalog.jsonb_build_object(
    'invitation_id', v_invitation_id,
    'merchant_id', v_merchant_id,
    'role', v_role,
    'email', v_email,
    'expires_at', v_expires_at,
    'token', pg_catalog.encode(v_token, 'hex')
  );
end
$$;

comment on function public.merchant_invitation_create(jsonb, jsonb, jsonb, jsonb) is
  $comment$Invite someone by email to a merchant with a role.

Body: merchant_id (your merchant or a sub-merchant), role (merchant_owner, merchant or candidate; at most your own role), email (who may accept), expires_in_hours (1 to 720, default 72). Callers: merchant owners and platform admins.

Returns {invitation_id, merchant_id, role, email, expires_at, token}. The token is shown only here (only its hash is stored): send it to the invitee, who calls merchant_invitation_accept with it, signed in with that email. Errors: 401 without a signed-in user, 403 for a caller who may not invite, a role above the caller's, or a merchant the caller may not act for, 422 for an invalid field.$comment$;

revoke all on function public.merchant_invitation_create(jsonb, jsonb, jsonb, jsonb) from public, anon, service_role;
grant execute on function public.merchant_invitation_create(jsonb, jsonb, jsonb, jsonb) to authenticated;
