-- One argument of the membership RPCs, declared jsonb so that any JSON value
-- reaches the function untouched (as the main RPC's): a JSON string, trimmed,
-- or null for null or an absent key; any other JSON type is a 422 naming the
-- field.
create or replace function interview_private.text_argument(p_value jsonb, p_field text, p_hint text)
returns text
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_value is null or pg_catalog.jsonb_typeof(p_value) = 'null' then
    return null;
  end if;
  if pg_catalog.jsonb_typeof(p_value) <> 'string' then
    raise exception using
      errcode = 'PT422',
      message = pg_catalog.format('%s must be a string, not a JSON %s', p_field, pg_catalog.jsonb_typeof(p_value)),
      detail = p_field,
      hint = p_hint;
  end if;
  return pg_catalog.btrim(p_value #>> '{}');
end
$$;

comment on function interview_private.text_argument(jsonb, text, text) is
  $comment$A JSON string argument of a membership RPC, trimmed; null for JSON null or absent.

Any other JSON type is a PT422 naming the field (detail = the field, hint = p_hint).$comment$;

revoke all on function interview_private.text_argument(jsonb, text, text) from public;
