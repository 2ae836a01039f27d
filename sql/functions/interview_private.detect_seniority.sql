-- Seniority of a role from its texts, when the request does not give one.
--
-- The rule table: the name is read first, then description, then
-- description_long; in the first text that matches any rule, the rule of the
-- highest priority wins. Whole words, case-insensitive. No match: intermediate.
--
--   priority  level         words
--   1         executive     chief, CEO/CTO/CFO/COO/CIO, VP, vice president, president, managing director
--   2         director      director, head of
--   3         managerial    manager, lead, supervisor
--   4         senior        senior, sr, principal, staff
--   5         entry-level   junior, jr, intern(ship), graduate, trainee, apprentice, entry-level, entry level
create or replace function interview_private.detect_seniority(p_name text, p_description text, p_description_long text)
returns public.seniority_level
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return (select coalesce(
      (
        select r.level
        from (values
          (1, 'executive'::public.seniority_level,
              '\m(chief|ceo|cto|cfo|coo|cio|vp|vice[- ]president|president|managing director)\M'),
          (2, 'director', '\m(director|head of)\M'),
          (3, 'managerial', '\m(manager|lead|supervisor)\M'),
          (4, 'senior', '\m(senior|sr|principal|staff)\M'),
          (5, 'entry-level', '\m(junior|jr|intern|internship|graduate|trainee|apprentice|entry[- ]level)\M')
        ) as r (priority, level, pattern)
        join (values (1, p_name), (2, p_description), (3, p_description_long)) as t (source, text)
          on t.text ~* r.pattern
        order by t.source, r.priority
        limit 1
      ),
      'intermediate'::public.seniority_level
    ));
end
$$;

comment on function interview_private.detect_seniority(text, text, text) is
  'Seniority detected from name, then description, then description_long, by the keyword rule table documented in the function''s source; intermediate when nothing matches.';

revoke all on function interview_private.detect_seniority(text, text, text) from public;
