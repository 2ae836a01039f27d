drop policy interview_def_question_select_members on public.interview_def_question;
create policy interview_def_question_select_members on public.interview_def_question
  for select to authenticated
  using (exists (select from public.profiles as p where p.id = (select auth.uid())
    and (p.role = 'admin' or (p.merchant_id = interview_def_question.merchant_id and p.role in ('merchant_owner', 'merchant')))));

drop policy interview_def_set_select_members on public.interview_def_set;
create policy interview_def_set_select_members on public.interview_def_set
  for select to authenticated
  using (exists (select from public.profiles as p where p.id = (select auth.uid())
    and (p.role = 'admin' or (p.merchant_id = interview_def_set.merchant_id and p.role in ('merchant_owner', 'merchant')))));

drop policy knowledge_base_stores_select_members on public.knowledge_base_stores;
create policy knowledge_base_stores_select_members on public.knowledge_base_stores
  for select to authenticated
  using (exists (select from public.profiles as p where p.id = (select auth.uid())
    and (p.role = 'admin' or (p.merchant_id = knowledge_base_stores.merchant_id and p.role in ('merchant_owner', 'merchant')))));

drop policy interview_templates_select_usable on public.interview_templates;
create policy interview_templates_select_usable on public.interview_templates
  for select to authenticated
  using (merchant_id is null or exists (select from public.profiles as p where p.id = (select auth.uid())
    and (p.role = 'admin' or (p.merchant_id = interview_templates.merchant_id and p.role in ('merchant_owner', 'merchant')))));

drop policy merchants_select_members on public.merchants;
create policy merchants_select_members on public.merchants
  for select to authenticated
  using (exists (select from public.profiles as p where p.id = (select auth.uid())
    and (p.role = 'admin' or (p.merchant_id = merchants.id and p.role in ('merchant_owner', 'merchant')))));

drop schema interview_access cascade;
