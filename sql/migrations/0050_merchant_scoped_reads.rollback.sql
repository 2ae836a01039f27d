drop policy webhook_endpoints_select_members on public.webhook_endpoints;
create policy webhook_endpoints_select_members on public.webhook_endpoints
  for select to authenticated
  using (interview_access.may_act_for(merchant_id));

drop policy interview_def_step_select_members on public.interview_def_step;
create policy interview_def_step_select_members on public.interview_def_step
  for select to authenticated
  using (exists (select from public.interview_def_set as s where s.id = interview_def_step.interview_def_set_id));

drop policy interview_def_question_select_members on public.interview_def_question;
create policy interview_def_question_select_members on public.interview_def_question
  for select to authenticated
  using (interview_access.may_act_for(merchant_id));

drop policy interview_def_set_select_members on public.interview_def_set;
create policy interview_def_set_select_members on public.interview_def_set
  for select to authenticated
  using (interview_access.may_act_for(merchant_id));

drop policy knowledge_base_stores_select_members on public.knowledge_base_stores;
create policy knowledge_base_stores_select_members on public.knowledge_base_stores
  for select to authenticated
  using (interview_access.may_act_for(merchant_id));

drop policy interview_templates_select_usable on public.interview_templates;
create policy interview_templates_select_usable on public.interview_templates
  for select to authenticated
  using (merchant_id is null or interview_access.may_act_for(merchant_id));

drop policy merchants_select_members on public.merchants;
create policy merchants_select_members on public.merchants
  for select to authenticated
  using (interview_access.may_act_for(id));

drop index public.interview_def_step_merchant_id_idx;
alter table public.interview_def_step
  drop constraint interview_def_step_interview_def_set_id_fkey,
  add constraint interview_def_step_interview_def_set_id_fkey foreign key (interview_def_set_id)
    references public.interview_def_set (id) on delete cascade;
alter table public.interview_def_set drop constraint interview_def_set_id_merchant_id_key;
alter table public.interview_def_step drop column merchant_id;

drop function interview_access.readable_merchant_ids();

-- Restores interview_private.merchant_in_tree as its function file defined it
-- before 0050 (the file is gone, so migrate will not replace it again).
create function interview_private.merchant_in_tree(p_root uuid, p_merchant_id uuid)
returns boolean
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_root is null or p_merchant_id is null then
    return false;
  end if;
  if p_root = p_merchant_id then
    return true;
  end if;
  return exists (
    with recursive ancestors (id) as (
      select m.parent_merchant_id from public.merchants as m where m.id = p_merchant_id
      union
      select m.parent_merchant_id
      from public.merchants as m
      join ancestors as a on m.id = a.id
      where a.id <> p_root
    )
    select from ancestors as a where a.id = p_root
  );
end
$$;

comment on function interview_private.merchant_in_tree(uuid, uuid) is
  'True when the merchant is the root or a sub-merchant of it at any depth (one recursive query up the parents, no cap).';

revoke all on function interview_private.merchant_in_tree(uuid, uuid) from public;
