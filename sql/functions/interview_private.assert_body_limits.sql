-- The limits of a request body, checked before anything else reads it (both
-- overloads of the RPC): its size, its nesting, and its numbers. It takes the
-- values of the body's top-level keys (the named overload has them as its
-- parameters, before any body object is built) and the body's size where it is
-- known (else the sum of the values' sizes, which is less). Each check costs at
-- most one walk of each value and never turns a value into text, so a small
-- body cannot buy much server time here, and everything after it may read the
-- body knowing that no number is huge as text (1e131071 is a few bytes of jsonb
-- but 131,072 digits of text) and no walk goes deep.
create or replace function interview_private.assert_body_limits(p_values jsonb[], p_body_bytes integer)
returns void
language plpgsql
stable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  c_max_body_bytes constant integer := 2097152;
  v_body_bytes bigint;
begin
  if p_body_bytes is null then
    v_body_bytes := (select sum(pg_catalog.pg_column_size(v)) from pg_catalog.unnest(p_values) as v);
  else
    v_body_bytes := p_body_bytes::bigint;
  end if;
  if v_body_bytes > c_max_body_bytes then
    perform interview_private.raise_invalid(
      '$',
      pg_catalog.format('the request body is %s bytes; the limit is %s', v_body_bytes, c_max_body_bytes),
      'at most 2 MiB: 200 questions, texts within their lengths, small additional_context and external_data'
    );
  end if;

  if pg_catalog.cardinality(p_values) = 0 then
    return;  -- a size only
  end if;

  -- JSON nested deeper than any client needs (every walk of it costs stack):
  -- a container (object or array) at level 63 of a value (level 64 of the
  -- body) is the 65th level of nesting.
  if exists (
    select from pg_catalog.unnest(p_values) as v
    where pg_catalog.jsonb_path_exists(v, 'strict $.**{63} ? (@.type() == "object" || @.type() == "array")')
  ) then
    perform interview_private.raise_invalid(
      '$', 'the request body nests objects and arrays more than 64 levels deep',
      'at most 64 levels of nested objects and arrays'
    );
  end if;

  -- Numbers beyond a double's range, anywhere (compared as numbers, never
  -- written out): larger than the largest double, or so small (not 0) that a
  -- double would round it to 0.
  if exists (
    select from pg_catalog.unnest(p_values) as v
    where pg_catalog.jsonb_path_exists(
      v,
      'strict $.** ? (@.type() == "number" && (@ > 1.7976931348623157e308 || @ < -1.7976931348623157e308
                       || (@ != 0 && @ < 4.9e-324 && @ > -4.9e-324)))'
    )
  ) then
    perform interview_private.raise_invalid(
      '$', 'the request body holds a number beyond the range of a double (about 4.9e-324 to 1.8e308)',
      'numbers a JSON client can read as a double: 0, or about 4.9e-324 to 1.7976931348623157e308 in magnitude'
    );
  end if;
end
$$;

comment on function interview_private.assert_body_limits(jsonb[], integer) is
  'Raise PT422 (details $) for a request body over 2 MiB as jsonb, nested more than 64 levels, or holding a number beyond a double''s range, given the values of its top-level keys (and its size, where known). The first check of both overloads of job_interview_create_from_array.';

revoke all on function interview_private.assert_body_limits(jsonb[], integer) from public;
