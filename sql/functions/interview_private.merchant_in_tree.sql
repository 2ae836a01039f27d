-- Is this merchant the root or below it (a sub-merchant at any depth): the walk
-- goes up from the merchant until it meets the root or the top, in one query,
-- with no depth cap (the merchants hold no cycle:
-- interview_private.merchants_forbid_cycles; UNION would end the walk even if
-- one appeared). The one tree walk of the membership rules: "may act for"
-- (interview_access.may_act_for) and "may invite" (interview_private.may_invite).
create or replace function interview_private.merchant_in_tree(p_root uuid, p_merchant_id uuid)
returns boolean
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_root is null or p_merchant_id is null then
    return false;
  end if;
  if p_root = p_merchant_id then
    return true;
  end if;
  return exists (
    with recursive ancestors (id) as (
      select m.parent_merchant_id from public.merchants as m where m.id = p_merchant_id
      union
      select m.parent_merchant_id
      from public.merchants as m
      join ancestors as a on m.id = a.id
      where a.id <> p_root
    )
    select from ancestors as a where a.id = p_root
  );
end
$$;

comment on function interview_private.merchant_in_tree(uuid, uuid) is
  'True when the merchant is the root or a sub-merchant of it at any depth (one recursive query up the parents, no cap).';

revoke all on function interview_private.merchant_in_tree(uuid, uuid) from public;
