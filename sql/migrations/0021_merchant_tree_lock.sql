-- Re-parenting merchants is serialised through one row, so that a cycle can
-- never commit. The cycle trigger (interview_private.merchants_forbid_cycles)
-- updates this row before it looks at the ancestors of the new parent:
--
-- * READ COMMITTED: a second re-parenting transaction waits on the row until
--   the first ends; its next statement, the ancestor walk, runs with a new
--   snapshot that sees what the first committed, and refuses the cycle.
-- * REPEATABLE READ and SERIALIZABLE: the walk's snapshot may predate the other
--   transaction's commit, but updating a row that a transaction committed
--   after our snapshot fails with a serialization error (40001), so the
--   transaction that could have missed a concurrent change never commits.
--
-- A table row rather than an advisory lock: advisory locks only queue, they
-- cannot make a stale snapshot fail, so under REPEATABLE READ the check would
-- still miss a concurrent change; the row gives both behaviours through
-- PostgreSQL's own "first updater wins", needs no agreed-on lock number in a
-- database other software shares, and shows in pg_locks by name.
create table interview_private.merchant_tree_lock (
  singleton boolean not null default true,
  last_reparented_at timestamptz,
  constraint merchant_tree_lock_pkey primary key (singleton),
  constraint merchant_tree_lock_one_row check (singleton)
);

comment on table interview_private.merchant_tree_lock is
  $comment$One row that every change of a merchant's parent updates first, so that concurrent re-parentings queue (READ COMMITTED) or fail with 40001 (REPEATABLE READ, SERIALIZABLE) instead of committing a cycle.

See interview_private.merchants_forbid_cycles. last_reparented_at: when a parent last changed.$comment$;

insert into interview_private.merchant_tree_lock (singleton) values (true);

alter table interview_private.merchant_tree_lock enable row level security;

revoke all on table interview_private.merchant_tree_lock from public, anon, authenticated, service_role;
