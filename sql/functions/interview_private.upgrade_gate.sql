-- The gate every public RPC enters through (the first statement of its body):
--
--   if interview_private.upgrade_gate() then
--     return public.<rpc>(<parameter> => $1, ...);
--   end if;
--
-- Fast path: a shared transaction-level advisory lock on the gate key, granted
-- at once unless an upgrade (interview-db migrate, rollback) holds the key
-- exclusively; it holds it from before its first DDL to its commit. A call that
-- holds the shared key is one the upgrade waits for, so no call runs the old
-- body against the new schema. A call that finds the key taken waits for the
-- commit, locks interview_private.upgrade_gate (a relation lock makes the
-- session process the catalog changes the upgrade committed; an advisory lock
-- does not) and returns true: the caller calls itself again by name and named
-- arguments, and the new release's function runs. The key is
-- interview_db.gate.GATE_KEY.
create or replace function interview_private.upgrade_gate()
returns boolean
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    return false;
  end if;
  perform pg_catalog.pg_advisory_xact_lock_shared(7597137600481485927);
  lock table interview_private.upgrade_gate in access share mode;
  return true;
end
$$;

comment on function interview_private.upgrade_gate() is
  'The entry gate of every public RPC: false at once when no upgrade holds the gate key; otherwise waits for the upgrade''s commit, reads the new catalog and returns true (the RPC then calls itself again, reaching the new release).';

revoke all on function interview_private.upgrade_gate() from public;
