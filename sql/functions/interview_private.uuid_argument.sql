-- A uuid argument of the membership RPCs: a JSON string in uuid form, or null;
-- anything else is a 422 naming the field (never a failed cast, a 400).
create or replace function interview_private.uuid_argument(p_value jsonb, p_field text)
returns uuid
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_text text := interview_private.text_argument(p_value, p_field, 'a uuid such as 123e4567-e89b-12d3-a456-426614174000');
begin
  if v_text is null then
    return null;
  end if;
  if v_text !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    raise exception using
      errcode = 'PT422',
      message = pg_catalog.format('%s must be a uuid', p_field),
      detail = p_field,
      hint = 'a uuid such as 123e4567-e89b-12d3-a456-426614174000';
  end if;
  return v_text::uuid;
end
$$;

comment on function interview_private.uuid_argument(jsonb, text) is
  $comment$A uuid argument of a membership RPC; null for JSON null or absent.

A value that is not a string in uuid form is a PT422 naming the field.$comment$;

revoke all on function interview_private.uuid_argument(jsonb, text) from public;
