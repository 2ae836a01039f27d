-- Optimal string alignment distance (Levenshtein plus adjacent transpositions),
-- for "did you mean" suggestions: nmae -> name and questoins -> questions are 1.
-- Written here because core PostgreSQL has no such function (fuzzystrmatch is
-- an extension Supabase does not enable by default) and it only serves error
-- messages over short field names.
create or replace function interview_private.edit_distance(p_a text, p_b text)
returns integer
language plpgsql
immutable
strict
parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_a text[] := pg_catalog.regexp_split_to_array(p_a, '');
  v_b text[] := pg_catalog.regexp_split_to_array(p_b, '');
  v_la integer := coalesce(pg_catalog.array_length(v_a, 1), 0);
  v_lb integer := coalesce(pg_catalog.array_length(v_b, 1), 0);
  v_d integer[];
  v_cost integer;
  v_width integer;
begin
  if v_la = 0 or v_lb = 0 then
    return greatest(v_la, v_lb);
  end if;
  v_width := v_lb + 1;
  -- d[i][j] lives at v_d[i * width + j + 1], for i in 0..la, j in 0..lb
  v_d := pg_catalog.array_fill(0, array[(v_la + 1) * v_width]);
  for i in 0 .. v_la loop
    v_d[i * v_width + 1] := i;
  end loop;
  for j in 0 .. v_lb loop
    v_d[j + 1] := j;
  end loop;
  for i in 1 .. v_la loop
    for j in 1 .. v_lb loop
      v_cost := case when v_a[i] = v_b[j] then 0 else 1 end;
      v_d[i * v_width + j + 1] := least(
        v_d[(i - 1) * v_width + j + 1] + 1,
        v_d[i * v_width + j] + 1,
        v_d[(i - 1) * v_width + j] + v_cost
      );
      if i > 1 and j > 1 and v_a[i] = v_b[j - 1] and v_a[i - 1] = v_b[j] then
        v_d[i * v_width + j + 1] := least(v_d[i * v_width + j + 1], v_d[(i - 2) * v_width + j - 1] + 1);
      end if;
    end loop;
  end loop;
  return v_d[v_la * v_width + v_lb + 1];
end
$$;

comment on function interview_private.edit_distance(text, text) is
  'Optimal string alignment distance between two texts (insertions, deletions, substitutions and adjacent transpositions cost 1).';

revoke all on function interview_private.edit_distance(text, text) from public;
