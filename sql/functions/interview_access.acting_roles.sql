-- The roles that act for merchants: platform admins (for every merchant),
-- merchant owners and merchant staff (for their merchant and its sub-merchants).
-- The one list of them: the membership helper, the RPC's caller check and the
-- recruiter rule all read it. Candidates act for no merchant.
create or replace function interview_access.acting_roles()
returns public.profile_role[]
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return array['admin', 'merchant_owner', 'merchant']::public.profile_role[];
end
$$;

comment on function interview_access.acting_roles() is
  'The profile roles that act for merchants: admin (every merchant), merchant_owner and merchant (their own and its sub-merchants at any depth).';

revoke all on function interview_access.acting_roles() from public;
grant execute on function interview_access.acting_roles() to authenticated, service_role;
