drop type interview_private.request_field_rule cascade;  -- with the functions that take or return it; migrate re-creates them
