-- Validation of a whole create request: every rule that needs only the request,
-- before anything is looked up or written. First each field by the rule table
-- (the quick check generated from it, interview_private.passes_field_rules, and
-- for a body it does not pass the walk, interview_private.first_invalid_field:
-- types, bounds, patterns, near-miss keys of a question), then the rules that cannot be a row of it: between the
-- questions (interview_private.assert_consistent_questions), between body
-- fields (a knowledge base for process verification), and the available-till
-- date (a real date, in the future).
--
-- Returns the request's warnings (interview_private.request_warnings): null
-- for a body the quick check passes, which needs none (an ignored key, an empty
-- item or a fraction of a second fails the quick check), so a valid body's
-- fast path pays nothing for them.
create or replace function interview_private.assert_valid_request(p_body jsonb, p_key_positions jsonb default null)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_problem record;
  v_walked boolean := false;
begin
  -- the quick check passes a valid body; only a body it does not pass is walked
  -- field by field for the first invalid field and its message
  if not interview_private.passes_field_rules(p_body) then
    v_walked := true;
    v_problem := interview_private.first_invalid_field(p_body);
    if v_problem.path is not null then
      perform interview_private.raise_invalid(v_problem.path, v_problem.message, v_problem.hint);
    end if;
  end if;

  perform interview_private.assert_consistent_questions(p_body -> 'questions');

  if p_body ->> 'interview_type' = 'process-verification-from-knowledge-base'
     and not p_body ? 'knowledge_base_store_id' then
    perform interview_private.raise_invalid(
      'knowledge_base_store_id',
      'knowledge_base_store_id is required when interview_type is process-verification-from-knowledge-base',
      'the id of a knowledge base store of the target merchant'
    );
  end if;

  if p_body ? 'interview_available_till' then
    perform interview_private.parse_available_till(p_body ->> 'interview_available_till');
  end if;

  if v_walked then
    return interview_private.request_warnings(p_body, p_key_positions);
  end if;
  return null;
end
$$;

comment on function interview_private.assert_valid_request(jsonb, jsonb) is
  'Raise PT422 for the first field of a create request that breaks a rule needing only the request: each field by the rule table, then the rules between questions, between body fields, and the available-till date. Returns the request''s warnings (null when there are none; never computed for a body the quick check passes).';

revoke all on function interview_private.assert_valid_request(jsonb, jsonb) from public;
