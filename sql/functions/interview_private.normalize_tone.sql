-- interview_tone: trimmed and case-insensitive; any other text (and null) is relaxed.
create or replace function interview_private.normalize_tone(p_tone text)
returns public.interview_tone
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return case pg_catalog.lower(pg_catalog.btrim(p_tone, E' \t\r\n'))
      when 'simple' then 'simple'::public.interview_tone
      when 'professional' then 'professional'::public.interview_tone
      when 'persuasive' then 'persuasive'::public.interview_tone
      else 'relaxed'::public.interview_tone
    end;
end
$$;

comment on function interview_private.normalize_tone(text) is
  'The stored tone of a requested interview_tone: relaxed, simple, professional or persuasive (trimmed, case-insensitive); anything else is relaxed.';

revoke all on function interview_private.normalize_tone(text) from public;
