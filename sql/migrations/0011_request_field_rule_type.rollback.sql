drop type interview_private.request_field_rule;
