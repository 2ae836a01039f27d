-- The upgrade gate's slow path. Every public RPC's body starts with
--
--   if not pg_catalog.pg_try_advisory_xact_lock_shared(<the gate key>) then
--     perform interview_private.upgrade_gate();
--     return public.<rpc>(<parameter> => $1, ...);
--   end if;
--
-- (the text interview_db.gate.gate_lines prints; the key is interview_db.gate.GATE_KEY).
-- The shared transaction-level advisory lock is granted at once unless an
-- upgrade (interview-db migrate, rollback) holds the key exclusively: it takes
-- it before its first DDL and keeps it to its commit, so a call that holds the
-- key shared is one the upgrade waits for, and no call runs an old body against
-- the new schema. A call that finds the key taken comes here: it waits for the
-- commit, then locks interview_private.upgrade_gate (a relation lock makes the
-- session process the catalog changes the upgrade committed; an advisory lock
-- does not), and the RPC calls itself again by name: the new release's function
-- runs.
create or replace function interview_private.upgrade_gate()
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  perform pg_catalog.pg_advisory_xact_lock_shared(7597137600481485927);
  lock table interview_private.upgrade_gate in access share mode;
end
$$;

comment on function interview_private.upgrade_gate() is
  'The slow path of the entry gate of every public RPC: waits for the upgrade that holds the gate key to commit, then reads the new catalog (the RPC then calls itself again, reaching the new release).';

revoke all on function interview_private.upgrade_gate() from public;
