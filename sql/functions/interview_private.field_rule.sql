-- One row of the rule table, by name: the rule list reads as
--   interview_private.field_rule('body', 'name', 'text', required => true, max_length => 200, ...)
-- with every bound it does not name left null. The hint shown with an error,
-- when not given, is derived from the bounds. The ordinal is the row's place in
-- the list (interview_private.request_field_rules numbers them).
create or replace function interview_private.field_rule(
  scope text,
  field text,
  kind text,
  required boolean default false,
  min_length integer default null,
  max_length integer default null,
  min_value numeric default null,
  max_value numeric default null,
  max_items integer default null,
  allowed text[] default null,
  nested_scope text default null,
  trimmed boolean default true,
  pattern text default null,
  hint text default null,
  description text default null
)
returns interview_private.request_field_rule
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return row(
    field_rule.scope, null::integer, field_rule.field, field_rule.kind, field_rule.required, field_rule.min_length,
    field_rule.max_length, field_rule.min_value, field_rule.max_value, field_rule.max_items, field_rule.allowed,
    field_rule.nested_scope,
    coalesce(field_rule.hint, case
      when field_rule.allowed is not null then 'one of: ' || pg_catalog.array_to_string(field_rule.allowed, ', ')
      when field_rule.kind = 'text' and coalesce(field_rule.min_length, 0) > 0 then
        pg_catalog.format('a text of %s to %s characters', field_rule.min_length, field_rule.max_length)
      when field_rule.kind = 'text' then pg_catalog.format('a text of at most %s characters', field_rule.max_length)
      when field_rule.kind = 'integer' then
        pg_catalog.format('a whole number from %s to %s', field_rule.min_value, field_rule.max_value)
      when field_rule.kind = 'number' then pg_catalog.format('a number from %s to %s', field_rule.min_value, field_rule.max_value)
      when field_rule.kind = 'boolean' then 'true or false'
      when field_rule.kind = 'uuid' then 'a UUID such as 123e4567-e89b-12d3-a456-426614174000'
    end),
    field_rule.description, field_rule.trimmed, field_rule.pattern
  )::interview_private.request_field_rule;
end
$$;

comment on function interview_private.field_rule(text, text, text, boolean, integer, integer, numeric, numeric, integer, text[], text, boolean, text, text, text) is
  'A rule of the create request''s rule table, built by name (unnamed bounds are null; trimmed defaults to true); the hint defaults to one derived from the bounds. Used by interview_private.request_field_rule_list.';

revoke all on function interview_private.field_rule(text, text, text, boolean, integer, integer, numeric, numeric, integer, text[], text, boolean, text, text, text) from public;
