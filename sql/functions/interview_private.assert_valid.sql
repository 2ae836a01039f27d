create or replace function interview_private.assert_valid(p_scope text, p_objects jsonb)
returns void
language plpgsql
stable
parallel safe
set search_path = ''
as $$
declare
  v_problem record;
begin
  select f.path, f.message, f.hint into v_problem
  from interview_private.first_invalid_field(p_scope, p_objects) as f;
  if found then
    perform interview_private.raise_invalid(v_problem.path, v_problem.message, v_problem.hint);
  end if;
end
$$;

comment on function interview_private.assert_valid(text, jsonb) is
  'Raise PT422 for the first field of the [path prefix, object] pairs that breaks a rule of the scope.';

revoke all on function interview_private.assert_valid(text, jsonb) from public;
