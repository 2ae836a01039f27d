-- One rule of the create request's rule table (interview_private.request_field_rule_list),
-- built by name with interview_private.field_rule. Used only by functions:
-- deployed with them (sql/types), a change of its shape is an edit of this file.
create type interview_private.request_field_rule as (
  scope text,
  ordinal integer,
  field text,
  kind text,
  required boolean,
  min_length integer,
  max_length integer,
  min_value numeric,
  max_value numeric,
  max_items integer,
  allowed text[],
  nested_scope text,
  hint text,
  description text,
  trimmed boolean,
  pattern text
);

comment on type interview_private.request_field_rule is
  'A validation rule of one field of job_interview_create_from_array: scope (body, question or a nested object), kind and bounds, whether a text is trimmed, the pattern it must match, the hint shown with an error, and the description used in the API documentation. Built by interview_private.field_rule.';
