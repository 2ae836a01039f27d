-- The two fields a create call needs before the rest of the body is validated:
-- merchant_id (the target merchant is authorized first) and idempotency_key (a
-- replay is recognised before anything that may have changed since is checked).
-- Each is checked by its own rule of the rule table (type, pattern, length) and
-- parsed; the rest of the body is left to interview_private.assert_valid_request.
create or replace function interview_private.parse_request_key(
  p_body jsonb,
  out merchant_id uuid,
  out idempotency_key text
)
language plpgsql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_rule record;
  v_text text;
begin
  if not (p_body ? 'merchant_id' or p_body ? 'idempotency_key') then
    return;
  end if;
  for v_rule in
    select r.field, r.pattern, r.min_length, r.max_length, r.hint, p_body -> r.field as value
    from pg_catalog.unnest(interview_private.request_field_rule_list()) as r
    where r.scope = 'body' and r.field in ('merchant_id', 'idempotency_key')
      and pg_catalog.jsonb_typeof(p_body -> r.field) <> 'null'
  loop
    if pg_catalog.jsonb_typeof(v_rule.value) <> 'string' then
      perform interview_private.raise_invalid(v_rule.field, v_rule.field || ' must be a string', v_rule.hint);
    end if;
    v_text := v_rule.value #>> '{}';
    if v_rule.pattern is not null and v_text !~ v_rule.pattern then
      perform interview_private.raise_invalid(
        v_rule.field, pg_catalog.format('%s must be a UUID (got %s)', v_rule.field, pg_catalog.left(v_text, 60)), v_rule.hint);
    end if;
    if pg_catalog.char_length(v_text) not between coalesce(v_rule.min_length, 0) and coalesce(v_rule.max_length, 2147483647) then
      perform interview_private.raise_invalid(
        v_rule.field,
        pg_catalog.format('%s must be %s to %s characters long (it has %s)', v_rule.field, v_rule.min_length,
                          v_rule.max_length, pg_catalog.char_length(v_text)),
        v_rule.hint);
    end if;
    if v_rule.field = 'merchant_id' then
      merchant_id := v_text::uuid;
    else
      idempotency_key := v_text;
    end if;
  end loop;
end
$$;

comment on function interview_private.parse_request_key(jsonb) is
  'merchant_id and idempotency_key of a create request body, each checked by its rule (PT422 naming it) and parsed; null where absent.';

revoke all on function interview_private.parse_request_key(jsonb) from public;
