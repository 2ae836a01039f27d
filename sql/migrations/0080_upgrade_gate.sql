-- The upgrade gate's relation. Every public RPC enters through
-- interview_private.upgrade_gate(); when an upgrade holds the gate, the call
-- waits for its commit, then locks this table (taking a relation lock makes the
-- session read the catalog changes the upgrade committed) and calls the RPC
-- again by name, so that the new release's body runs. The table holds no rows.
create table interview_private.upgrade_gate (
  never_a_row boolean primary key check (false)
);

comment on table interview_private.upgrade_gate is
  'The upgrade gate''s relation: locked (access share) by a call that waited for an upgrade, to read the committed catalog; never holds a row.';

alter table interview_private.upgrade_gate enable row level security;
revoke all on table interview_private.upgrade_gate from public;
