-- "May this user act for this merchant", answered in one place for reading and
-- for creating: platform admins for every merchant; owners and staff for their
-- own merchant and every sub-merchant below it, at any depth. The RLS policies
-- of the merchant-owned tables and the RPC's authorization both ask
-- interview_access.may_act_for(merchant_id).
--
-- interview_access is a schema the API roles may use (the policies call its
-- functions as the querying role) but that PostgREST does not expose.
create schema interview_access;

comment on schema interview_access is
  'Membership helpers of the interview package, for RLS policies and the RPC (as basejump''s has_role_on_account). Usable by signed-in roles, not exposed by PostgREST.';

revoke all on schema interview_access from public;
grant usage on schema interview_access to authenticated, service_role;

-- Created here so that the policies below can name it; its body lives in
-- sql/functions/interview_access.may_act_for.sql, which migrate applies right
-- after the migrations (until then the stub refuses everyone: it fails closed).
create function interview_access.may_act_for(p_merchant_id uuid)
returns boolean
language sql
stable
set search_path = pg_catalog, pg_temp
as $$ select false $$;

revoke all on function interview_access.may_act_for(uuid) from public;
grant execute on function interview_access.may_act_for(uuid) to authenticated, service_role;

drop policy merchants_select_members on public.merchants;
create policy merchants_select_members on public.merchants
  for select to authenticated
  using (interview_access.may_act_for(id));

drop policy interview_templates_select_usable on public.interview_templates;
create policy interview_templates_select_usable on public.interview_templates
  for select to authenticated
  using (merchant_id is null or interview_access.may_act_for(merchant_id));

drop policy knowledge_base_stores_select_members on public.knowledge_base_stores;
create policy knowledge_base_stores_select_members on public.knowledge_base_stores
  for select to authenticated
  using (interview_access.may_act_for(merchant_id));

drop policy interview_def_set_select_members on public.interview_def_set;
create policy interview_def_set_select_members on public.interview_def_set
  for select to authenticated
  using (interview_access.may_act_for(merchant_id));

drop policy interview_def_question_select_members on public.interview_def_question;
create policy interview_def_question_select_members on public.interview_def_question
  for select to authenticated
  using (interview_access.may_act_for(merchant_id));
