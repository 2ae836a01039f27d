-- Who is calling, from the JWT claims PostgREST puts in request.jwt.claims.
-- A service_role call has no user; any other call needs a user (sub) with a
-- profile whose role may create interviews.
create or replace function interview_private.current_caller(
  out user_id uuid,
  out is_service boolean,
  out role text,
  out merchant_id uuid
)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  -- Both the verified claim and the session's role: a forged claim alone does
  -- not make a service call. (auth.jwt() ->> 'role' and auth.uid(), read by
  -- interview_private.request_jwt_role and request_user_id: see why there.)
  is_service := coalesce(interview_private.request_jwt_role(), '') = 'service_role'
                and pg_catalog.current_setting('role', true) = 'service_role';
  if is_service then
    return;
  end if;

  user_id := interview_private.request_user_id();
  if user_id is null then
    raise exception using
      errcode = 'PT401',
      message = 'The JWT identifies no user: sign in, or call with the service_role key and a merchant_id',
      detail = 'the JWT has no sub claim',
      hint = 'send the access token of a signed-in user as Authorization: Bearer <token>';
  end if;

  select p.role::text, p.merchant_id
  into role, merchant_id
  from public.profiles as p
  where p.id = user_id;

  if not found then
    raise exception using
      errcode = 'PT403',
      message = 'Your account has no profile, so it cannot create interviews',
      detail = 'no row in profiles for this user',
      hint = 'ask an administrator to add your profile with role merchant_owner or merchant';
  end if;

  if not role::public.profile_role = any (interview_access.acting_roles()) then
    raise exception using
      errcode = 'PT403',
      message = pg_catalog.format('Your role (%s) cannot create interviews', role),
      detail = 'role',
      hint = 'interviews are created by merchant owners, merchant staff and platform admins';
  end if;
end
$$;

comment on function interview_private.current_caller() is
  'The caller of the RPC: user id and profile (role, merchant), or is_service for the service_role key. Raises PT401 without a user and PT403 for a missing profile or a role that cannot create.';

revoke all on function interview_private.current_caller() from public;
