-- The signed-in user's merchant set, for the RLS policies of the
-- merchant-owned tables: interview_private.profile_merchant_ids of their
-- profile (admins every merchant; owners and staff their merchant and every
-- sub-merchant below it; candidates, users without a profile and anon none).
-- The policies call it as
--   merchant_id = any ((select interview_access.readable_merchant_ids())::uuid[])
-- so that PostgreSQL runs it once per statement (an InitPlan) and serves the
-- read with the merchant_id index: a read costs the reader's own rows, not
-- the table's (the cast keeps the subquery a scalar: "= any ((select ...))"
-- alone would parse as ANY over a subquery of arrays).
--
-- SECURITY DEFINER: it reads profiles and merchants past their own policies
-- (the merchants policy calls this very function). It answers only about the
-- calling user (the JWT's sub, read by interview_private.request_user_id as
-- auth.uid() reads it), never about another.
create or replace function interview_access.readable_merchant_ids()
returns uuid[]
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
  return interview_private.profile_merchant_ids(v_profile.role, v_profile.merchant_id);
end
$$;

comment on function interview_access.readable_merchant_ids() is
  $comment$The merchants the signed-in user may read: the RLS policies' merchant set, computed once per statement.

interview_private.profile_merchant_ids of the caller's profile: admins every merchant, owners and staff their own and every sub-merchant at any depth, anyone else none. Policies use it as merchant_id = any ((select interview_access.readable_merchant_ids())::uuid[]), an InitPlan the merchant_id index serves.$comment$;

revoke all on function interview_access.readable_merchant_ids() from public;
grant execute on function interview_access.readable_merchant_ids() to authenticated, service_role;
