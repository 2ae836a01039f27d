-- Question records, shared by the interview sets of one merchant.
create table public.interview_def_question (
  id uuid not null default gen_random_uuid(),
  merchant_id uuid not null,
  question text not null,
  mojito_language_code text not null,
  label text,
  duration integer,
  is_without_scoring boolean not null default false,
  is_candidate_asking_recruiter boolean not null default false,
  is_expert boolean not null default false,
  is_multiple_choice boolean not null default false,
  question_alternatives text[] not null default '{}',
  knowledge_base_id uuid,
  external_id text,
  external_data jsonb,
  candidate_expectations_json jsonb,
  dedup_key uuid not null,
  created_at timestamptz not null default now(),
  constraint interview_def_question_pkey primary key (id),
  constraint interview_def_question_merchant_dedup_key_key unique (merchant_id, dedup_key),
  constraint interview_def_question_merchant_id_fkey foreign key (merchant_id)
    references public.merchants (id) on delete cascade,
  constraint interview_def_question_mojito_language_code_fkey foreign key (mojito_language_code)
    references public.platform_languages (code) on delete restrict,
  constraint interview_def_question_knowledge_base_id_fkey foreign key (knowledge_base_id)
    references public.knowledge_base_stores (id) on delete set null,
  constraint interview_def_question_question_trimmed check (question = btrim(question) and char_length(question) between 1 and 2000),
  constraint interview_def_question_label_length check (char_length(label) <= 200),
  constraint interview_def_question_duration_range check (duration between 10 and 3600),
  constraint interview_def_question_alternatives_valid check (
    cardinality(question_alternatives) <= 20 and array_position(question_alternatives, null) is null
  ),
  constraint interview_def_question_multiple_choice_alternatives check (
    not is_multiple_choice or cardinality(question_alternatives) >= 2
  ),
  constraint interview_def_question_external_id_length check (char_length(external_id) <= 200),
  constraint interview_def_question_external_data_object check (jsonb_typeof(external_data) = 'object'),
  constraint interview_def_question_expectations_object check (jsonb_typeof(candidate_expectations_json) = 'object')
);

create index interview_def_question_mojito_language_code_idx on public.interview_def_question (mojito_language_code);
create index interview_def_question_knowledge_base_id_idx on public.interview_def_question (knowledge_base_id)
  where knowledge_base_id is not null;

comment on table public.interview_def_question is
  'A question record of a merchant, shared by its interview sets: identical questions are stored once unless a request disables deduplication.';
comment on column public.interview_def_question.dedup_key is
  'Hash of the record''s normalised content (text with whitespace collapsed and case folded, language, flags and every other attribute); for a record created with disable_deduplication, its own id, so it is never reused.';

alter table public.interview_def_question enable row level security;

revoke all on table public.interview_def_question from anon, authenticated, service_role;
grant select on table public.interview_def_question to authenticated, service_role;

create policy interview_def_question_select_members on public.interview_def_question
  for select to authenticated
  using (
    exists (
      select from public.profiles as p
      where p.id = (select auth.uid())
        and (p.role = 'admin' or (p.merchant_id = interview_def_question.merchant_id and p.role in ('merchant_owner', 'merchant')))
    )
  );
