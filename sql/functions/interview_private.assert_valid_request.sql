-- Validation of a whole create request, before any lookup or write: the body's
-- fields, the nested objects, then every question.
create or replace function interview_private.assert_valid_request(p_body jsonb)
returns void
language plpgsql
stable
parallel safe
set search_path = ''
as $$
declare
  v_nested record;
begin
  perform interview_private.assert_valid('body', pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_array('', p_body)));

  -- Nested objects have rules of their own (custom_scoring, pdf_export_auto_config, ...);
  -- most bodies have none, and then the rule table is not read again.
  if exists (select from pg_catalog.jsonb_each(p_body) as e where pg_catalog.jsonb_typeof(e.value) = 'object') then
    for v_nested in
      select r.field, r.nested_scope
      from interview_private.request_field_rules() as r
      where r.scope = 'body' and r.nested_scope is not null and r.kind <> 'questions'
        and pg_catalog.jsonb_typeof(p_body -> r.field) = 'object'
      order by r.ordinal
    loop
      perform interview_private.assert_valid(
        v_nested.nested_scope,
        pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_array(v_nested.field, p_body -> v_nested.field))
      );
    end loop;
  end if;

  perform interview_private.assert_valid_questions(p_body -> 'questions');

  if p_body ->> 'interview_type' = 'process-verification-from-knowledge-base'
     and not p_body ? 'knowledge_base_store_id' then
    perform interview_private.raise_invalid(
      'knowledge_base_store_id',
      'knowledge_base_store_id is required when interview_type is process-verification-from-knowledge-base',
      'the id of a knowledge base store of the target merchant'
    );
  end if;
end
$$;

comment on function interview_private.assert_valid_request(jsonb) is
  'Raise PT422 for the first field of a create request (body, nested objects, questions) that breaks its rule.';

revoke all on function interview_private.assert_valid_request(jsonb) from public;
