-- The JWT of this request, as auth.uid() and auth.jwt() read it: the user (the
-- sub claim) and the role claim, from the settings PostgREST sets per request
-- (request.jwt.claims, and the older per-claim request.jwt.claim.sub and
-- request.jwt.claim that Supabase's functions still honour, in their order).
--
-- Why not call auth.uid() and auth.jwt(): they are SQL functions, and on
-- PostgreSQL before 18 a SQL function that is not inlined is parsed and planned
-- again in every transaction that calls it. Measured with pg_stat_statements:
-- auth.uid() 47 us and auth.jwt() 60 us per call, this function 5 us; the create
-- RPC read both, and every RLS check of interview_access.may_act_for read
-- auth.uid() once per row.
create or replace function interview_private.request_jwt(
  out user_id uuid,
  out role text
)
language plpgsql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_claims jsonb := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb;
begin
  -- auth.uid()
  user_id := coalesce(nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), ''), v_claims ->> 'sub')::uuid;
  -- auth.jwt() ->> 'role'
  role := coalesce(nullif(pg_catalog.current_setting('request.jwt.claim', true), '')::jsonb, v_claims) ->> 'role';
end
$$;

comment on function interview_private.request_jwt() is
  'The user (sub claim, as auth.uid() reads it) and the role claim (as auth.jwt() ->> ''role'') of the request''s JWT, read from PostgREST''s request settings without calling auth.uid() and auth.jwt(), which PostgreSQL before 18 plans again in every transaction.';

revoke all on function interview_private.request_jwt() from public;
