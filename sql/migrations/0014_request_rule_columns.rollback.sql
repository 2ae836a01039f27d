alter type interview_private.request_field_rule
  drop attribute pattern,
  drop attribute trimmed;
