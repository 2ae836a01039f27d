-- A merchant may not become its own ancestor: the hierarchy stays a forest, so
-- every walk up the parents (authorization of sub-merchants) ends.
--
-- Checking the new parent's ancestors is not enough on its own: two
-- transactions setting X.parent = Y and Y.parent = X each see the tree without
-- the other's change and would both commit. So a change of parent first
-- updates the one row of interview_private.merchant_tree_lock: a concurrent
-- re-parenting waits there until this transaction ends, then (READ COMMITTED)
-- walks the ancestors with a snapshot that includes what this one committed,
-- or (REPEATABLE READ, SERIALIZABLE) fails with 40001, whose message names
-- both merchants, because its snapshot predates that commit. Retried, it
-- meets the committed change and is refused as a cycle (23514).
--
-- Only a change to a non-null parent takes the lock. An INSERT needs none: no
-- row can reference the new one yet (the foreign key sees no uncommitted row),
-- so it cannot close a cycle, and merchants_not_own_parent refuses a merchant
-- as its own parent.
create or replace function interview_private.merchants_forbid_cycles()
returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if new.parent_merchant_id is null then
    return new;
  end if;
  if tg_op = 'UPDATE' and new.parent_merchant_id is distinct from old.parent_merchant_id then
    begin
      update interview_private.merchant_tree_lock as l
      set last_reparented_at = pg_catalog.statement_timestamp()
      where l.singleton;
    exception when serialization_failure then
      raise exception using
        errcode = 'serialization_failure',
        message = pg_catalog.format(
          'merchant %s cannot be moved under %s now: another transaction changed the merchant tree since this '
          'transaction began', new.id, new.parent_merchant_id),
        hint = 'retry the transaction: re-parenting is serialised so that the merchants can never form a cycle';
    end;
  end if;
  if exists (
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
  $comment$Trigger: refuse a parent_merchant_id that would make a merchant its own ancestor.

A change of parent first updates interview_private.merchant_tree_lock, so concurrent re-parentings are serialised: under READ COMMITTED the later one waits and then sees the earlier one's commit; under REPEATABLE READ or SERIALIZABLE it fails with 40001. Either way no cycle commits.$comment$;

revoke all on function interview_private.merchants_forbid_cycles() from public;

create or replace trigger merchants_forbid_cycles
  before insert or update of parent_merchant_id on public.merchants
  for each row
  execute function interview_private.merchants_forbid_cycles();
