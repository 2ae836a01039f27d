-- The role claim of this request's JWT: auth.jwt() ->> 'role', read the way
-- auth.jwt() reads the claims (the older request.jwt.claim first, then
-- request.jwt.claims, the JSON PostgREST sets per request), without calling
-- auth.jwt() (see interview_private.request_user_id for why).
create or replace function interview_private.request_jwt_role()
returns text
language plpgsql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return coalesce(
    nullif(pg_catalog.current_setting('request.jwt.claim', true), ''),
    nullif(pg_catalog.current_setting('request.jwt.claims', true), '')
  )::jsonb ->> 'role';
end
$$;

comment on function interview_private.request_jwt_role() is
  'The role claim of the request''s JWT, exactly as auth.jwt() ->> ''role'' reads it, without calling auth.jwt(), whose cost depends on how the platform defines it (inlined on Supabase, planned again in every transaction on the local shim).';

revoke all on function interview_private.request_jwt_role() from public;
