drop type interview_private.create_request cascade;  -- with the functions that take or return it; migrate re-creates them
