-- PostgreSQL's own edit distance (levenshtein, levenshtein_less_equal) for the
-- "did you mean" suggestions of unknown keys, in schema extensions as on
-- Supabase. The package calls it as extensions.levenshtein*: an installation in
-- another schema is refused here with what to run, instead of failing later.
do $check$
declare
  v_schema text;
begin
  select n.nspname into v_schema
  from pg_catalog.pg_extension as e
  join pg_catalog.pg_namespace as n on n.oid = e.extnamespace
  where e.extname = 'fuzzystrmatch';
  if v_schema is not null and v_schema <> 'extensions' then
    raise exception 'fuzzystrmatch is installed in schema %, and the package calls extensions.levenshtein', v_schema
      using hint = 'move it: alter extension fuzzystrmatch set schema extensions;';
  end if;
end
$check$;

create extension if not exists fuzzystrmatch with schema extensions;
