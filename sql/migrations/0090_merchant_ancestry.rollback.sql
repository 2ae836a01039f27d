-- The function files of the release before (migrate's rollback applies them)
-- walk the tree again; until then the trigger fails (closed) on a merchant
-- insert or re-parenting rather than skip the ancestry.
drop table interview_private.merchant_ancestry;
