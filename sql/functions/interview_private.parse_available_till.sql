-- interview_available_till: an ISO 8601 date (the end of that day, UTC) or
-- date-time (UTC when it has no offset), which must lie in the future.
create or replace function interview_private.parse_available_till(p_value text)
returns timestamptz
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_result timestamptz;
begin
  if p_value is null then
    return null;
  end if;
  begin
    if p_value ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
      v_result := ((p_value::date + 1)::timestamp at time zone 'UTC') - interval '1 microsecond';
    elsif p_value ~ '(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' then
      v_result := p_value::timestamptz;
    else
      v_result := p_value::timestamp at time zone 'UTC';
    end if;
  exception
    when data_exception then  -- 22xxx: no such day, hour or offset
      perform interview_private.raise_invalid(
        'interview_available_till',
        pg_catalog.format('interview_available_till is not a valid date or date-time (got %s)', pg_catalog.left(p_value, 40)),
        'a future ISO 8601 date (2026-12-31) or date-time (2026-12-31T18:00:00Z)'
      );
  end;
  if v_result <= pg_catalog.now() then
    perform interview_private.raise_invalid(
      'interview_available_till',
      pg_catalog.format('interview_available_till must lie in the future (got %s)', pg_catalog.left(p_value, 40)),
      'a future ISO 8601 date (2026-12-31) or date-time (2026-12-31T18:00:00Z)'
    );
  end if;
  return v_result;
end
$$;

comment on function interview_private.parse_available_till(text) is
  'Parse interview_available_till (date = end of that day UTC; date-time without offset = UTC); PT422 when it is not a real date or not in the future.';

revoke all on function interview_private.parse_available_till(text) from public;
