-- A rule of the rule table says whether a text is trimmed, and the pattern its
-- value must match (the same pattern the OpenAPI document publishes).
alter type interview_private.request_field_rule
  add attribute trimmed boolean,
  add attribute pattern text;

comment on type interview_private.request_field_rule is
  'A validation rule of one field of job_interview_create_from_array: scope (body, question or a nested object), kind and bounds, whether a text is trimmed, the pattern it must match, the hint shown with an error, and the description used in the API documentation. Built by interview_private.field_rule.';
