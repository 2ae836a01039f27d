-- Candidate expectations when the request gives none (type interview):
-- derived deterministically from the questions' own candidate_expectations_json,
-- the seniority and the role, and marked as generated. An AI worker refines
-- them later (outbox event interview.expectations_requested).
create or replace function interview_private.derive_candidate_expectations(
  p_items interview_private.question_item[],
  p_role text,
  p_seniority public.seniority_level
)
returns jsonb
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return (
    with own as (
      select lv.level, pg_catalog.btrim(e.x, E' \t\r\n') as text, min(i.n * 100 + e.ord) as first_seen
      from pg_catalog.unnest(p_items) as i
      cross join (values ('weak'), ('moderate'), ('strong')) as lv (level)
      cross join lateral pg_catalog.jsonb_array_elements_text(
        case when pg_catalog.jsonb_typeof(i.candidate_expectations_json -> lv.level) = 'array'
             then i.candidate_expectations_json -> lv.level end
      ) with ordinality as e (x, ord)
      where i.candidate_expectations_json is not null  -- (filters the items before the join)
      group by lv.level, pg_catalog.btrim(e.x, E' \t\r\n')
    ),
    baseline as (
      select *
      from (values
        ('weak', pg_catalog.format(
          'Answers stay general, without examples from the candidate''s own work relevant to %s.', p_role)),
        ('moderate', pg_catalog.format(
          'Covers what is expected at the %s level for %s, with some concrete examples.', p_seniority, p_role)),
        ('strong', pg_catalog.format(
          'Gives specific, measurable examples beyond the %s level expected for %s, and reflects on lessons learned.',
          p_seniority, p_role))
      ) as b (level, text)
    )
    select pg_catalog.jsonb_object_agg(b.level, (
             select pg_catalog.jsonb_agg(x.text order by x.first_seen)
             from (
               select b.text, -1 as first_seen
               union all
               select o.text, o.first_seen from own as o where o.level = b.level and o.text <> b.text
             ) as x
           ))
           || pg_catalog.jsonb_build_object(
                'generated', true,
                'method', 'rules-v1',
                'seniority_level', p_seniority,
                'role', p_role
              )
    from baseline as b
  );
end
$$;

comment on function interview_private.derive_candidate_expectations(interview_private.question_item[], text, public.seniority_level) is
  'Generated candidate expectations {weak, moderate, strong, generated: true, ...}: a baseline line per level from seniority and role, then the questions'' own expectations in order, without duplicates.';

revoke all on function interview_private.derive_candidate_expectations(interview_private.question_item[], text, public.seniority_level) from public;
