-- Supabase shim: the few Supabase objects that a plain PostgreSQL lacks.
--
-- Applied by `interview-db migrate` only when the target database has no `auth`
-- schema (a plain PostgreSQL); never on a Supabase database, which has all of
-- this already. Everything here mirrors how Supabase defines it, so that code
-- and tests behave the same on both. Idempotent: every object is created only
-- where it is missing.

-- Roles are cluster-wide: another database of the same cluster may be creating
-- them at this very moment, so each creation tolerates a concurrent twin.
do $shim$
declare
  v_role record;
begin
  for v_role in
    select *
    from (values
      ('anon', 'nologin noinherit'),
      ('authenticated', 'nologin noinherit'),
      ('service_role', 'nologin noinherit bypassrls'),
      ('authenticator', 'login noinherit')
    ) as r (name, options)
  loop
    if not exists (select from pg_catalog.pg_roles where rolname = v_role.name) then
      begin
        execute format('create role %I %s', v_role.name, v_role.options);
      exception when duplicate_object or unique_violation then
        null;
      end;
    end if;
  end loop;
end
$shim$;

grant anon, authenticated, service_role to authenticator;

create schema if not exists auth;
create schema if not exists extensions;

comment on schema auth is 'Supabase Auth stand-in (local shim): users and the JWT claim helpers.';
comment on schema extensions is 'Extensions schema, as on Supabase.';

grant usage on schema public to anon, authenticated, service_role;
grant usage on schema auth to anon, authenticated, service_role;
grant usage on schema extensions to anon, authenticated, service_role;

create table if not exists auth.users (
  id uuid not null primary key,
  email character varying(255),
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table auth.users is 'Supabase Auth users (local shim: only the columns this package uses).';

-- The claim helpers, as Supabase defines them: they read the JWT claims that
-- PostgREST puts into the transaction-local setting `request.jwt.claims`. One
-- difference: like every function of the package they set search_path =
-- pg_catalog, pg_temp, so that their casts (::jsonb, ::uuid) cannot meet a
-- temporary type of the calling session (they run inside the SECURITY DEFINER
-- RPC). Being SQL functions with a SET clause they are not inlined; the RLS
-- policies call them once per statement through (select auth.uid()).
create or replace function auth.uid()
returns uuid
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role()
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email()
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt()
returns jsonb
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

comment on function auth.uid() is 'The user id (sub claim) of the request''s JWT, or null.';
comment on function auth.role() is 'The role claim of the request''s JWT, or null.';
comment on function auth.email() is 'The email claim of the request''s JWT, or null.';
comment on function auth.jwt() is 'All claims of the request''s JWT, or null.';

-- Supabase's default privileges: API roles get every privilege on what the
-- migration role creates in `public`; RLS and explicit revokes do the rest.
-- Keeping this locally means our revokes are tested against the same defaults.
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
