-- The merchants a user with this profile acts for, as one array: the one
-- definition of "may act for" (interview_private.profile_may_act_for asks it
-- about one merchant, interview_access.readable_merchant_ids hands it to the
-- RLS policies once per statement). Platform admins: every merchant. Owners
-- and staff (interview_access.acting_roles()): their own merchant and every
-- sub-merchant below it, at any depth, found by one walk down the parents'
-- index (merchants_parent_merchant_id_idx), so its cost is the size of their
-- own tree, whatever the depth (a chain of 500: 500 index probes, about 2 ms).
-- Anyone else: empty. UNION (not UNION ALL) would end the walk even if a cycle
-- appeared (interview_private.merchants_forbid_cycles forbids them).
--
-- The walk is pinned to the index (no sequential scan, hash or merge join):
-- the planner cannot know how deep the recursion goes and, for a table of a
-- thousand merchants, picks a hash join that reads every merchant at every
-- level (a chain of 500: 67 to 117 ms, measured, instead of 2.3 ms).
create or replace function interview_private.profile_merchant_ids(
  p_role public.profile_role,
  p_own_merchant_id uuid
)
returns uuid[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
set enable_seqscan = off
set enable_hashjoin = off
set enable_mergejoin = off
as $$
begin
  if p_role is null or not p_role = any (interview_access.acting_roles()) then
    return '{}'::uuid[];
  end if;
  if p_role = 'admin' then
    return coalesce((select pg_catalog.array_agg(m.id) from public.merchants as m), '{}'::uuid[]);
  end if;
  if p_own_merchant_id is null then
    return '{}'::uuid[];
  end if;
  return coalesce((
    with recursive tree (id) as (
      select m.id from public.merchants as m where m.id = p_own_merchant_id
      union
      select m.id
      from public.merchants as m
      join tree as t on m.parent_merchant_id = t.id
    )
    select pg_catalog.array_agg(t.id) from tree as t
  ), '{}'::uuid[]);
end
$$;

comment on function interview_private.profile_merchant_ids(public.profile_role, uuid) is
  $comment$The merchants a user with this profile (role, own merchant) acts for: the one definition of "may act for".

Admins: every merchant. Owners and staff: their own merchant and every sub-merchant below it at any depth (one recursive walk down the parent index: cost follows the size of their tree). Candidates, users without a profile or without a merchant: empty.$comment$;

revoke all on function interview_private.profile_merchant_ids(public.profile_role, uuid) from public;
