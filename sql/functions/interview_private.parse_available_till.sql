-- interview_available_till: an ISO 8601 date (the end of that day, UTC) or
-- date-time (UTC when it has no offset; any number of fraction digits, rounded
-- to the microsecond), which must lie in the future.
create or replace function interview_private.parse_available_till(p_value text)
returns timestamptz
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_result timestamptz;
  v_fraction text;
  v_value text;
begin
  if p_value is null then
    return null;
  end if;
  -- the fraction of a second, any number of digits (.NET sends 7, Go 9), is
  -- taken apart and rounded to the microsecond (half up), so the date-time
  -- parser never sees more digits than it takes
  v_fraction := pg_catalog.substring(p_value, '\.([0-9]+)');
  v_value := case when v_fraction is null then p_value
                  else pg_catalog.regexp_replace(p_value, '\.[0-9]+', '') end;
  begin
    if v_value ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
      v_result := ((v_value::date + 1)::timestamp at time zone 'UTC') - interval '1 microsecond';
    elsif v_value ~ '(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' then
      v_result := v_value::timestamptz;
    else
      v_result := v_value::timestamp at time zone 'UTC';
    end if;
    if v_fraction is not null then
      v_result := v_result
        + pg_catalog.round(('0.' || pg_catalog.left(v_fraction, 7))::numeric, 6) * interval '1 second';
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
