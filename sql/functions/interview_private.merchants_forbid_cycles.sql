-- The merchant tree's trigger: a merchant may not become its own ancestor (the
-- hierarchy stays a forest, so every walk of it ends), and the tree's closure,
-- interview_private.merchant_ancestry, follows every change, so that the
-- merchants an owner acts for are one index range scan
-- (interview_private.profile_merchant_ids).
--
-- Checking the new parent's ancestors is not enough on its own: two
-- transactions setting X.parent = Y and Y.parent = X each see the tree without
-- the other's change and would both commit. So a change of parent, and an
-- insert under a parent, first updates the one row of
-- interview_private.merchant_tree_lock: a concurrent one waits there until
-- this transaction ends, then (READ COMMITTED) reads the tree and its closure
-- with a snapshot that includes what this one committed, or (REPEATABLE READ,
-- SERIALIZABLE) fails with 40001, whose message names both merchants, because
-- its snapshot predates that commit. Retried, it meets the committed change
-- (and is refused as a cycle, 23514, if it would close one). The insert takes
-- the lock too: a sub-merchant inserted while its parent moves would
-- otherwise keep the ancestors the parent had (a stale closure grants the old
-- ancestors' owners). A root merchant needs no lock: nothing can reference an
-- uncommitted row.
--
-- An AFTER ROW trigger: a statement that changes several rows is checked and
-- its closure moved row by row, each row against the closure the rows before
-- it left, so a cycle spread over the rows of one statement is refused too.
-- An inserted merchant gets its parent's ancestors (the parent included) from
-- the closure, or, when the parent is a later row of the same statement and
-- not in the closure yet, from a walk up the merchants themselves; a
-- re-parented merchant's subtree is moved in the closure: its rows below its
-- old ancestors are deleted, and rows below the new parent's ancestors (the
-- new parent included) inserted. Each is a few index scans of the closure:
-- no statement of the trigger reads the whole tree.
create or replace function interview_private.merchants_forbid_cycles()
returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'UPDATE' and new.parent_merchant_id is not distinct from old.parent_merchant_id then
    return null;
  end if;
  if tg_op = 'UPDATE' or new.parent_merchant_id is not null then
    begin
      update interview_private.merchant_tree_lock as l
      set last_reparented_at = pg_catalog.statement_timestamp()
      where l.singleton;
    exception when serialization_failure then
      raise exception using
        errcode = 'serialization_failure',
        message = case when tg_op = 'INSERT' then pg_catalog.format(
          'merchant %s cannot be added under %s now: another transaction changed the merchant tree since this '
          'transaction began', new.id, new.parent_merchant_id)
        else pg_catalog.format(
          'merchant %s cannot be moved under %s now: another transaction changed the merchant tree since this '
          'transaction began', new.id, coalesce(new.parent_merchant_id::text, 'no parent'))
        end,
        hint = 'retry the transaction: changes of the merchant tree are serialised so that the merchants can never '
               'form a cycle';
    end;
  end if;

  if tg_op = 'INSERT' then
    if new.parent_merchant_id is null or exists (
      select
      from interview_private.merchant_ancestry as p
      where p.ancestor_id = new.parent_merchant_id and p.merchant_id = new.parent_merchant_id
    ) then
      -- the parent's ancestors (the parent included) from the closure, one index range scan
      insert into interview_private.merchant_ancestry (ancestor_id, merchant_id)
      select new.id, new.id
      union all
      select p.ancestor_id, new.id
      from interview_private.merchant_ancestry as p
      where p.merchant_id = new.parent_merchant_id;
    else
      -- the parent is a later row of this statement, not in the closure yet: walk up the
      -- merchants, one primary key probe a level
      insert into interview_private.merchant_ancestry (ancestor_id, merchant_id)
      with recursive up (id) as (
        select new.id
        union
        select (select m.parent_merchant_id from public.merchants as m where m.id = u.id)
        from up as u
        where u.id is not null
      )
      select u.id, new.id from up as u where u.id is not null;
    end if;
    return null;
  end if;

  if new.parent_merchant_id is not null and exists (
    select
    from interview_private.merchant_ancestry as a
    where a.ancestor_id = new.id and a.merchant_id = new.parent_merchant_id
  ) then
    raise exception using
      errcode = '23514',
      message = pg_catalog.format('merchant %s cannot have %s as parent: it would be its own ancestor', new.id, new.parent_merchant_id),
      constraint = 'merchants_no_cycles';
  end if;

  -- detach the subtree from its old ancestors, then attach it below the new parent's
  delete from interview_private.merchant_ancestry as a
  where a.merchant_id in (select d.merchant_id from interview_private.merchant_ancestry as d where d.ancestor_id = new.id)
    and a.ancestor_id in (select o.ancestor_id from interview_private.merchant_ancestry as o
                          where o.merchant_id = new.id and o.ancestor_id <> new.id);
  if new.parent_merchant_id is not null then
    insert into interview_private.merchant_ancestry (ancestor_id, merchant_id)
    select p.ancestor_id, d.merchant_id
    from interview_private.merchant_ancestry as p
    cross join interview_private.merchant_ancestry as d
    where p.merchant_id = new.parent_merchant_id and d.ancestor_id = new.id;
  end if;
  return null;
end
$$;

comment on function interview_private.merchants_forbid_cycles() is
  $comment$Trigger: refuse a parent_merchant_id that would make a merchant its own ancestor, and keep interview_private.merchant_ancestry (the tree's closure) in step.

A change of parent, and an insert under a parent, first updates interview_private.merchant_tree_lock, so concurrent changes of the tree are serialised: under READ COMMITTED the later one waits and then sees the earlier one's commit; under REPEATABLE READ or SERIALIZABLE it fails with 40001. Either way no cycle and no stale ancestry commits.$comment$;

revoke all on function interview_private.merchants_forbid_cycles() from public;

create or replace trigger merchants_forbid_cycles
  after insert or update of parent_merchant_id on public.merchants
  for each row
  execute function interview_private.merchants_forbid_cycles();
