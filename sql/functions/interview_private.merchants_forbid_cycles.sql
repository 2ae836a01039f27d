-- A merchant may not become its own ancestor: the hierarchy stays a forest, so
-- every walk up the parents (authorization of sub-merchants) ends.
create or replace function interview_private.merchants_forbid_cycles()
returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if new.parent_merchant_id is not null and exists (
    with recursive ancestors (id, parent_merchant_id) as (
      select m.id, m.parent_merchant_id from public.merchants as m where m.id = new.parent_merchant_id
      union
      select m.id, m.parent_merchant_id
      from public.merchants as m
      join ancestors as a on m.id = a.parent_merchant_id
    )
    select from ancestors as a where a.id = new.id
  ) then
    raise exception using
      errcode = '23514',
      message = pg_catalog.format('merchant %s cannot have %s as parent: it would be its own ancestor', new.id, new.parent_merchant_id),
      constraint = 'merchants_no_cycles';
  end if;
  return new;
end
$$;

comment on function interview_private.merchants_forbid_cycles() is
  'Trigger: refuse a parent_merchant_id that would make a merchant its own ancestor.';

revoke all on function interview_private.merchants_forbid_cycles() from public;

create or replace trigger merchants_forbid_cycles
  before insert or update of parent_merchant_id on public.merchants
  for each row
  execute function interview_private.merchants_forbid_cycles();
