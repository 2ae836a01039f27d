-- How far a key that is no field is from a field name, when it is near enough
-- to suggest that field: the edit distance of the key (lowercased) from the
-- field, at most a quarter of the field's length and at least 2 (1 for a name
-- of up to 3 letters, such as id); null when it is farther. Bounded whatever
-- the key: a key of more than 64 characters, or of a length too far from the
-- field's, is never compared, and the comparison stops at the allowed distance
-- (levenshtein_less_equal). Used for the warnings' suggestions and the hint of
-- a missing required field.
create or replace function interview_private.near_miss_distance(p_key text, p_field text)
returns integer
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_most constant integer := case when pg_catalog.char_length(p_field) <= 3 then 1
                                  else greatest(2, pg_catalog.char_length(p_field) / 4) end;
  v_distance integer;
begin
  if pg_catalog.char_length(p_key) > 64
     or pg_catalog.abs(pg_catalog.char_length(p_key) - pg_catalog.char_length(p_field)) > v_most then
    return null;
  end if;
  v_distance := extensions.levenshtein_less_equal(pg_catalog.lower(p_key), p_field, v_most);
  return case when v_distance <= v_most then v_distance end;
end
$$;

comment on function interview_private.near_miss_distance(text, text) is
  'The edit distance of a key from a field name when it is near enough to suggest the field (at most a quarter of the name, at least 2; 1 for a name of up to 3 letters), else null; bounded for any key.';

revoke all on function interview_private.near_miss_distance(text, text) from public;
