-- Every reference of a parsed request, resolved against the target merchant:
-- template, languages (interview, questions, PDF export), coaching portal,
-- knowledge bases and recruiter: the rules that need the database. Raises
-- PT422 naming the first that does not resolve; returns the template.
create or replace function interview_private.resolve_references(
  p_request interview_private.create_request,
  p_merchant_id uuid,
  p_coaching_enabled boolean
)
returns public.interview_templates
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_template public.interview_templates;
  v_problem record;
  v_needs_pronunciation boolean := p_request.required_pronunciation;
begin
  select t.* into v_template
  from public.interview_templates as t
  where t.id = p_request.interview_template_id
    and t.is_active
    and (t.merchant_id is null or t.merchant_id = p_merchant_id);
  if not found then
    perform interview_private.raise_invalid(
      'interview_template_id',
      pg_catalog.format('interview_template_id %s is not an interview template available to this merchant',
                        p_request.interview_template_id),
      'the id of an active global template or one of the merchant''s own (GET /rest/v1/interview_templates)'
    );
  end if;

  if p_request.type = 'coaching' and not p_coaching_enabled then
    perform interview_private.raise_invalid(
      'type',
      'type coaching needs a merchant with the coaching portal enabled',
      'interview or assessment; coaching once the merchant''s coaching portal is enabled'
    );
  end if;

  -- Languages, in the order the caller wrote them.
  with used as (
    select 0 as ord, 'mojito_language_code' as path, p_request.mojito_language_code as code, true as for_interview
    union all
    -- a question's own language (an inherited one is the interview's, checked first)
    select min(i.n) + 1, pg_catalog.format('questions[%s].mojito_language_code', min(i.n)), i.mojito_language_code, true
    from pg_catalog.unnest(p_request.questions) as i
    group by i.mojito_language_code
    union all
    select 1000000, 'pdf_export_auto_config.mojito_language_code',
           p_request.pdf_export_auto_config ->> 'mojito_language_code', false
    where p_request.pdf_export_auto_config ? 'mojito_language_code'
  )
  select u.path, u.code,
         case
           when l.code is null then
             pg_catalog.format('%s %s is not a platform language', u.path, pg_catalog.left(u.code, 20))
           when u.for_interview and not (l.interview_interface and exists (
                  select from public.platform_language_accents as a where a.language_code = l.code)) then
             pg_catalog.format('%s %s is not enabled for interviews', u.path, u.code)
           when u.for_interview and v_needs_pronunciation and not l.pronunciation_capable then
             pg_catalog.format('%s %s does not support pronunciation assessment, which required_pronunciation needs', u.path, u.code)
         end as message
  into v_problem
  from used as u
  left join public.platform_languages as l on l.code = u.code
  where l.code is null
     or (u.for_interview and not (l.interview_interface and exists (
           select from public.platform_language_accents as a where a.language_code = l.code)))
     or (u.for_interview and v_needs_pronunciation and not l.pronunciation_capable)
  order by u.ord
  limit 1;
  if found then
    perform interview_private.raise_invalid(
      v_problem.path, v_problem.message,
      case when v_needs_pronunciation
           then 'a platform language code enabled for interviews and flagged pronunciation_capable (GET /rest/v1/platform_languages)'
           else 'a platform language code enabled for interviews, e.g. en, de, br (GET /rest/v1/platform_languages)' end
    );
  end if;

  if p_request.knowledge_base_store_id is not null then
    if not exists (
      select from public.knowledge_base_stores as k
      where k.id = p_request.knowledge_base_store_id and k.merchant_id = p_merchant_id
    ) then
      perform interview_private.raise_invalid(
        'knowledge_base_store_id',
        pg_catalog.format('knowledge_base_store_id %s is not a knowledge base store of this merchant',
                          p_request.knowledge_base_store_id),
        'the id of a knowledge base store of the target merchant (GET /rest/v1/knowledge_base_stores)'
      );
    end if;
  end if;

  select pg_catalog.format('questions[%s].knowledge_base_id', i.n) as path, i.knowledge_base_id into v_problem
  from pg_catalog.unnest(p_request.questions) as i
  where i.knowledge_base_id is not null
    and not exists (
      select from public.knowledge_base_stores as k
      where k.id = i.knowledge_base_id and k.merchant_id = p_merchant_id
    )
  order by i.n
  limit 1;
  if found then
    perform interview_private.raise_invalid(
      v_problem.path,
      pg_catalog.format('%s %s is not a knowledge base store of this merchant', v_problem.path, v_problem.knowledge_base_id),
      'the id of a knowledge base store of the target merchant (GET /rest/v1/knowledge_base_stores)'
    );
  end if;

  if p_request.recruiter_profile_id is not null then
    if not exists (
      select from public.profiles as p
      where p.id = p_request.recruiter_profile_id
        and p.merchant_id = p_merchant_id
        and p.role = any (interview_access.acting_roles())
    ) then
      perform interview_private.raise_invalid(
        'recruiter_profile_id',
        pg_catalog.format('recruiter_profile_id %s is not a merchant_owner, merchant or admin profile of this merchant',
                          p_request.recruiter_profile_id),
        'the id of a profile of the target merchant with role merchant_owner, merchant or admin'
      );
    end if;
  end if;

  return v_template;
end
$$;

comment on function interview_private.resolve_references(interview_private.create_request, uuid, boolean) is
  'Resolve the references of a parsed create request for the target merchant (template, languages, coaching, knowledge bases, recruiter); PT422 naming the first that does not resolve. Returns the template.';

revoke all on function interview_private.resolve_references(interview_private.create_request, uuid, boolean) from public;
