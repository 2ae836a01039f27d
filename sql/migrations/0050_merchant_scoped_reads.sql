-- Reads that cost the reader's own rows: every merchant-owned table's policy
-- compares merchant_id with the reader's merchant set, computed once per
-- statement (an InitPlan: the function call is wrapped in a scalar subquery),
-- so the planner serves the read with the merchant_id index instead of calling
-- a function for every row of every tenant (interview_access.may_act_for, per
-- row, before).
--
-- Steps get a merchant_id of their own (the set's, filled by
-- interview_private.insert_steps, held to it by a foreign key on
-- (interview_def_set_id, merchant_id)): their policy no longer runs the set's
-- policy once per step.

-- Created here so that the policies below can name it; its body lives in
-- sql/functions/interview_access.readable_merchant_ids.sql, which migrate
-- applies after the migrations (until then the stub reads nothing: it fails
-- closed).
create function interview_access.readable_merchant_ids()
returns uuid[]
language sql
stable
set search_path = pg_catalog, pg_temp
as $$ select '{}'::uuid[] $$;

revoke all on function interview_access.readable_merchant_ids() from public;
grant execute on function interview_access.readable_merchant_ids() to authenticated, service_role;

-- The merchant of each step, the set's: backfilled, then required and held to
-- the set's by the foreign key that replaces the one on interview_def_set_id.
alter table public.interview_def_step add column merchant_id uuid;

update public.interview_def_step as st
set merchant_id = s.merchant_id
from public.interview_def_set as s
where s.id = st.interview_def_set_id;

alter table public.interview_def_step alter column merchant_id set not null;

alter table public.interview_def_set
  add constraint interview_def_set_id_merchant_id_key unique (id, merchant_id);

alter table public.interview_def_step
  drop constraint interview_def_step_interview_def_set_id_fkey,
  add constraint interview_def_step_interview_def_set_id_fkey foreign key (interview_def_set_id, merchant_id)
    references public.interview_def_set (id, merchant_id) on delete cascade;

-- serves the policy (merchant_id first) and covers the foreign key
create index interview_def_step_merchant_id_idx on public.interview_def_step (merchant_id, interview_def_set_id);

comment on column public.interview_def_step.merchant_id is
  'The merchant of the step''s set (the foreign key holds it to the set''s), so that the step''s policy filters by the merchant_id index.';

-- The policies: the reader's merchant set, once per statement.
drop policy merchants_select_members on public.merchants;
create policy merchants_select_members on public.merchants
  for select to authenticated
  using (id = any ((select interview_access.readable_merchant_ids())::uuid[]));

drop policy interview_templates_select_usable on public.interview_templates;
create policy interview_templates_select_usable on public.interview_templates
  for select to authenticated
  using (merchant_id is null or merchant_id = any ((select interview_access.readable_merchant_ids())::uuid[]));

drop policy knowledge_base_stores_select_members on public.knowledge_base_stores;
create policy knowledge_base_stores_select_members on public.knowledge_base_stores
  for select to authenticated
  using (merchant_id = any ((select interview_access.readable_merchant_ids())::uuid[]));

drop policy interview_def_set_select_members on public.interview_def_set;
create policy interview_def_set_select_members on public.interview_def_set
  for select to authenticated
  using (merchant_id = any ((select interview_access.readable_merchant_ids())::uuid[]));

drop policy interview_def_question_select_members on public.interview_def_question;
create policy interview_def_question_select_members on public.interview_def_question
  for select to authenticated
  using (merchant_id = any ((select interview_access.readable_merchant_ids())::uuid[]));

drop policy interview_def_step_select_members on public.interview_def_step;
create policy interview_def_step_select_members on public.interview_def_step
  for select to authenticated
  using (merchant_id = any ((select interview_access.readable_merchant_ids())::uuid[]));

drop policy webhook_endpoints_select_members on public.webhook_endpoints;
create policy webhook_endpoints_select_members on public.webhook_endpoints
  for select to authenticated
  using (merchant_id = any ((select interview_access.readable_merchant_ids())::uuid[]));

-- The walk up the parents is replaced by the walk down in
-- interview_private.profile_merchant_ids (one definition of the tree).
drop function if exists interview_private.merchant_in_tree(uuid, uuid);
