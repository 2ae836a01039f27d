-- The merchants a user with this profile acts for, as one array: the one
-- definition of "may act for" (interview_private.profile_may_act_for asks it
-- about one merchant, interview_access.readable_merchant_ids hands it to the
-- RLS policies once per statement). Platform admins: every merchant. Owners
-- and staff (interview_access.acting_roles()): their own merchant and every
-- sub-merchant below it, at any depth: the rows of the tree's closure,
-- interview_private.merchant_ancestry, below their merchant, one index range
-- scan of its primary key, so the cost is the size of their own tree,
-- whatever its depth (a chain of 500: about 0.1 ms, where the recursive walk
-- it replaces took 0.75 ms). Anyone else: empty.
--
-- It sets nothing but search_path: every SET clause is a configuration value
-- saved and restored on each call, and this runs in every statement of every
-- reader.
create or replace function interview_private.profile_merchant_ids(
  p_role public.profile_role,
  p_own_merchant_id uuid
)
returns uuid[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_role is null or not p_role = any (interview_access.acting_roles()) then
    return '{}'::uuid[];
  end if;
  if p_role = 'admin' then
    return coalesce((select pg_catalog.array_agg(m.id) from public.merchants as m), '{}'::uuid[]);
  end if;
  return coalesce((
    select pg_catalog.array_agg(a.merchant_id)
    from interview_private.merchant_ancestry as a
    where a.ancestor_id = p_own_merchant_id
  ), '{}'::uuid[]);
end
$$;

comment on function interview_private.profile_merchant_ids(public.profile_role, uuid) is
  $comment$The merchants a user with this profile (role, own merchant) acts for: the one definition of "may act for".

Admins: every merchant. Owners and staff: their own merchant and every sub-merchant below it at any depth (the rows of interview_private.merchant_ancestry below their merchant, one index range scan: cost follows the size of their tree). Candidates, users without a profile or without a merchant: empty.$comment$;

revoke all on function interview_private.profile_merchant_ids(public.profile_role, uuid) from public;
