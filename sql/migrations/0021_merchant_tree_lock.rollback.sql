-- The cycle trigger's function file names the table; until it is applied again
-- without it, a re-parenting fails (closed) rather than skipping the lock.
drop table interview_private.merchant_tree_lock;
