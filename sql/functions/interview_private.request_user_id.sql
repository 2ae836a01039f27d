-- The signed-in user of this request: auth.uid(), read the way auth.uid()
-- reads it (the older per-claim setting request.jwt.claim.sub first, then the
-- sub of request.jwt.claims, the JSON PostgREST sets per request), same value,
-- same error for a sub that is not a UUID. interview_private.request_jwt_role
-- is the other half (auth.jwt() ->> 'role').
--
-- Why not call auth.uid(): what it costs depends on how the platform defines
-- it. Supabase's is a SQL function without a SET clause, which PostgreSQL
-- inlines (about 8 us a call, measured); the local shim's sets search_path (see
-- supabase/shim.sql), and a SQL function that is not inlined is parsed and
-- planned again in every transaction before PostgreSQL 18 (about 80 us a call).
-- This PL/pgSQL function caches its plan and costs about 5 us either way, so
-- the RPC and the RLS helper interview_access.readable_merchant_ids cost on the shim
-- (and the benchmark measures) what they cost on Supabase.
create or replace function interview_private.request_user_id()
returns uuid
language plpgsql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return coalesce(
    nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), ''),
    nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
  )::uuid;
end
$$;

comment on function interview_private.request_user_id() is
  'The sub claim of the request''s JWT as a UUID, exactly as auth.uid() reads it, without calling auth.uid(), whose cost depends on how the platform defines it (inlined on Supabase, planned again in every transaction on the local shim).';

revoke all on function interview_private.request_user_id() from public;
