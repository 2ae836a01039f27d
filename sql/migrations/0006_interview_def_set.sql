-- An interview set: everything the create request says about an interview.
-- Columns hold what is queried or constrained; creation_parameters keeps the rest.
create table public.interview_def_set (
  id uuid not null default gen_random_uuid(),
  merchant_id uuid not null,
  interview_template_id uuid not null,
  mojito_language_code text not null,
  knowledge_base_store_id uuid,
  recruiter_profile_id uuid,
  created_by uuid,
  name text not null,
  location text not null,
  description text not null,
  description_long text,
  status public.interview_status not null default 'draft',
  type public.interview_kind not null,
  visibility public.interview_visibility not null,
  interview_type public.interview_type not null default 'pre-screening',
  seniority_level public.seniority_level not null,
  seniority_detected boolean not null default false,
  interview_tone public.interview_tone not null default 'relaxed',
  result_view public.result_view,
  interview_conversation_speed public.conversation_speed not null,
  candidate_video_introduction public.candidate_video_introduction,
  recording public.cheating_detection_recording,
  recording_full_session public.full_session_recording,
  max_followups integer not null,
  questions_random_subset numeric(3, 2),
  code text,
  cover_image_url text,
  interview_department text,
  interview_salary text,
  interview_available_till timestamptz,
  tags text[] not null default '{}',
  required_pronunciation boolean not null default false,
  result_enable_edit_transcript boolean not null default true,
  pdf_export_auto_config jsonb,
  candidate_expectations text,
  candidate_expectations_json jsonb,
  candidate_expectations_generated boolean not null default false,
  scoring_config jsonb not null,
  instructional_video boolean not null default false,
  instructional_video_custom_text text,
  is_embedded boolean not null default false,
  creation_parameters jsonb not null default '{}'::jsonb,
  credits_per_session numeric(8, 2) not null,
  activated_at timestamptz,
  created_at timestamptz not null default now(),
  constraint interview_def_set_pkey primary key (id),
  constraint interview_def_set_merchant_id_fkey foreign key (merchant_id)
    references public.merchants (id) on delete cascade,
  constraint interview_def_set_interview_template_id_fkey foreign key (interview_template_id)
    references public.interview_templates (id) on delete restrict,
  constraint interview_def_set_mojito_language_code_fkey foreign key (mojito_language_code)
    references public.platform_languages (code) on delete restrict,
  constraint interview_def_set_knowledge_base_store_id_fkey foreign key (knowledge_base_store_id)
    references public.knowledge_base_stores (id) on delete set null,
  constraint interview_def_set_recruiter_profile_id_fkey foreign key (recruiter_profile_id)
    references public.profiles (id) on delete set null,
  constraint interview_def_set_created_by_fkey foreign key (created_by)
    references auth.users (id) on delete set null,
  constraint interview_def_set_name_trimmed check (name = btrim(name) and char_length(name) between 1 and 200),
  constraint interview_def_set_location_trimmed check (location = btrim(location) and char_length(location) between 1 and 200),
  constraint interview_def_set_description_trimmed check (description = btrim(description) and char_length(description) between 1 and 2000),
  constraint interview_def_set_description_long_length check (char_length(description_long) <= 20000),
  constraint interview_def_set_max_followups_range check (max_followups between 0 and 999),
  constraint interview_def_set_questions_random_subset_range check (questions_random_subset between 0.01 and 0.9),
  constraint interview_def_set_code_length check (char_length(code) <= 100),
  constraint interview_def_set_cover_image_url_valid check (
    char_length(cover_image_url) <= 2048 and cover_image_url ~* '^https?://[^/?#[:space:]]+'
  ),
  constraint interview_def_set_department_length check (char_length(interview_department) <= 200),
  constraint interview_def_set_salary_length check (char_length(interview_salary) <= 200),
  constraint interview_def_set_tags_count check (cardinality(tags) <= 50 and array_position(tags, null) is null),
  constraint interview_def_set_pdf_export_object check (jsonb_typeof(pdf_export_auto_config) = 'object'),
  constraint interview_def_set_candidate_expectations_length check (char_length(candidate_expectations) <= 5000),
  constraint interview_def_set_expectations_object check (jsonb_typeof(candidate_expectations_json) = 'object'),
  constraint interview_def_set_scoring_config_object check (jsonb_typeof(scoring_config) = 'object'),
  constraint interview_def_set_video_text_length check (char_length(instructional_video_custom_text) <= 2000),
  constraint interview_def_set_creation_parameters_object check (jsonb_typeof(creation_parameters) = 'object'),
  constraint interview_def_set_credits_positive check (credits_per_session > 0),
  constraint interview_def_set_active_has_activation check ((status = 'active') = (activated_at is not null)),
  constraint interview_def_set_knowledge_base_required check (
    interview_type <> 'process-verification-from-knowledge-base' or knowledge_base_store_id is not null
  )
);

create index interview_def_set_merchant_id_created_at_idx on public.interview_def_set (merchant_id, created_at desc);
create index interview_def_set_interview_template_id_idx on public.interview_def_set (interview_template_id);
create index interview_def_set_mojito_language_code_idx on public.interview_def_set (mojito_language_code);
create index interview_def_set_knowledge_base_store_id_idx on public.interview_def_set (knowledge_base_store_id)
  where knowledge_base_store_id is not null;
create index interview_def_set_recruiter_profile_id_idx on public.interview_def_set (recruiter_profile_id)
  where recruiter_profile_id is not null;
create index interview_def_set_created_by_idx on public.interview_def_set (created_by)
  where created_by is not null;

comment on table public.interview_def_set is
  'An interview: created by job_interview_create_from_array, with its ordered steps in interview_def_step.';
comment on column public.interview_def_set.type is 'The API field "type": interview, coaching or assessment.';
comment on column public.interview_def_set.seniority_detected is
  'True when seniority_level was not given and was detected from name and descriptions.';
comment on column public.interview_def_set.candidate_expectations_generated is
  'True when candidate_expectations_json was derived by the RPC (an AI worker may refine it).';
comment on column public.interview_def_set.scoring_config is
  'Platform defaults, then the template''s overrides, then custom_scoring; max_retries = interview_attempts.';
comment on column public.interview_def_set.creation_parameters is
  'Request fields without a column of their own: hiring_for_company, additional_context, disable_deduplication.';
comment on column public.interview_def_set.credits_per_session is
  'Price of one candidate session: template base credit plus recording surcharges, times the duration multiplier.';
comment on column public.interview_def_set.activated_at is 'When the set was published (status active).';

alter table public.interview_def_set enable row level security;

revoke all on table public.interview_def_set from anon, authenticated, service_role;
grant select on table public.interview_def_set to authenticated, service_role;

create policy interview_def_set_select_members on public.interview_def_set
  for select to authenticated
  using (
    exists (
      select from public.profiles as p
      where p.id = (select auth.uid())
        and (p.role = 'admin' or (p.merchant_id = interview_def_set.merchant_id and p.role in ('merchant_owner', 'merchant')))
    )
  );
