-- The signed-in user calling a membership RPC, and their profile (role and
-- merchant; both null without a profile). These RPCs act for a person: a call
-- without a user (anon is refused by the grants; a service_role key has no
-- sub) is PT401.
create or replace function interview_private.membership_caller(
  out user_id uuid,
  out role public.profile_role,
  out merchant_id uuid
)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_profile record;
begin
  user_id := interview_private.request_user_id();
  if user_id is null then
    raise exception using
      errcode = 'PT401',
      message = 'This call needs a signed-in user',
      detail = 'the JWT has no sub claim',
      hint = 'send the access token of a signed-in user as Authorization: Bearer <token>';
  end if;

  select p.role, p.merchant_id
  into v_profile
  from public.profiles as p
  where p.id = membership_caller.user_id;
  role := v_profile.role;
  merchant_id := v_profile.merchant_id;
end
$$;

comment on function interview_private.membership_caller() is
  $comment$The signed-in caller of a membership RPC: user id, and role and merchant of their profile (null without one).

PT401 when the JWT names no user (a service_role key included): invitations and removals are acts of a person.$comment$;

revoke all on function interview_private.membership_caller() from public;
