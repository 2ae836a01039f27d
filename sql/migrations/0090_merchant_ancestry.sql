-- The merchant tree's ancestry, kept as a closure table: one row (ancestor,
-- merchant) for every merchant and each of its ancestors, itself included
-- (depth 0). A reader's merchant set (interview_private.profile_merchant_ids)
-- is then one index range scan, "where ancestor_id = the reader's merchant",
-- instead of a recursive walk down the tree in every statement (a chain of
-- 500 sub-merchants: 500 index probes, about 0.75 ms, before this).
--
-- Kept by the merchant tree's trigger (interview_private.merchants_forbid_cycles)
-- under the same lock that keeps cycles out (interview_private.merchant_tree_lock):
-- a merchant inserted under a parent gets its ancestors' rows, a change of
-- parent moves the rows of the merchant's whole subtree; a deleted merchant's
-- rows go with it (the foreign keys cascade). Rows written past the triggers
-- (session_replication_role = replica) are the writer's to add.
create table interview_private.merchant_ancestry (
  ancestor_id uuid not null,
  merchant_id uuid not null,
  constraint merchant_ancestry_pkey primary key (ancestor_id, merchant_id),
  constraint merchant_ancestry_ancestor_id_fkey foreign key (ancestor_id)
    references public.merchants (id) on delete cascade,
  constraint merchant_ancestry_merchant_id_fkey foreign key (merchant_id)
    references public.merchants (id) on delete cascade
);

-- a merchant's ancestors (the re-parenting's detach, the foreign key's cascade)
create index merchant_ancestry_merchant_id_idx on interview_private.merchant_ancestry (merchant_id, ancestor_id);

comment on table interview_private.merchant_ancestry is
  $comment$The merchant tree's closure: a row for every merchant and each of its ancestors, the merchant itself included.

The merchants a merchant's owners and staff act for are the rows with ancestor_id = that merchant (one index range scan: interview_private.profile_merchant_ids). Kept by the trigger interview_private.merchants_forbid_cycles under interview_private.merchant_tree_lock; a deleted merchant's rows are removed by the foreign keys.$comment$;
comment on column interview_private.merchant_ancestry.ancestor_id is
  'The merchant at the top: the merchant itself, its parent, its parent''s parent, and so on up to the root.';
comment on column interview_private.merchant_ancestry.merchant_id is
  'The merchant at the bottom: ancestor_id or any sub-merchant below it at any depth.';

-- The rows of the tree as it is: each merchant walked up to its root (UNION,
-- not UNION ALL: a cycle made past the trigger would end the walk too).
insert into interview_private.merchant_ancestry (ancestor_id, merchant_id)
with recursive up (ancestor_id, merchant_id) as (
  select m.id, m.id from public.merchants as m
  union
  select p.parent_merchant_id, u.merchant_id
  from up as u
  join public.merchants as p on p.id = u.ancestor_id
  where p.parent_merchant_id is not null
)
select u.ancestor_id, u.merchant_id from up as u;

alter table interview_private.merchant_ancestry enable row level security;

revoke all on table interview_private.merchant_ancestry from public, anon, authenticated, service_role;
