-- The rule table of the create request as rows (the rules themselves are in
-- interview_private.request_field_rule_list): for readers, the fallback
-- overload and the OpenAPI and TypeScript generators.
create or replace function interview_private.request_field_rules()
returns setof interview_private.request_field_rule
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return query
  select r.* from pg_catalog.unnest(interview_private.request_field_rule_list()) as r;
end
$$;

comment on function interview_private.request_field_rules() is
  'The validation rules of job_interview_create_from_array as a table: one row per field, in the order of interview_private.request_field_rule_list (its ordinal).';

revoke all on function interview_private.request_field_rules() from public;
