-- Reference data, seeded by `interview-db seed` from sql/seeds/: the platform's
-- languages with their Azure speech accents, and the interview templates.
create table public.platform_languages (
  code text not null,
  name_english text not null,
  name_local text not null,
  flag_emoji text not null,
  coaching_interface boolean not null default false,
  interview_interface boolean not null default false,
  admin_interface boolean not null default false,
  pronunciation_capable boolean not null default false,
  sort_order integer not null default 0,
  constraint platform_languages_pkey primary key (code),
  constraint platform_languages_code_format check (code ~ '^[a-z]{2,3}$'),
  constraint platform_languages_names_present check (
    char_length(name_english) between 1 and 100 and char_length(name_local) between 1 and 100
  )
);

comment on table public.platform_languages is
  'The languages of the platform (mojito_language_code). An interview may use a language enabled for the interview interface that has an Azure speech accent.';
comment on column public.platform_languages.pronunciation_capable is
  'Azure pronunciation assessment supports this language: required_pronunciation needs it.';

create table public.platform_language_accents (
  language_code text not null,
  locale text not null,
  name text not null,
  is_primary boolean not null default false,
  constraint platform_language_accents_pkey primary key (language_code, locale),
  constraint platform_language_accents_locale_key unique (locale),
  constraint platform_language_accents_language_code_fkey foreign key (language_code)
    references public.platform_languages (code) on delete cascade,
  constraint platform_language_accents_locale_format check (locale ~ '^[a-z]{2,3}-[A-Z]{2}$'),
  constraint platform_language_accents_name_present check (char_length(name) between 1 and 100)
);

create unique index platform_language_accents_one_primary
  on public.platform_language_accents (language_code) where is_primary;

comment on table public.platform_language_accents is
  'Azure speech locales of a platform language (e.g. br: pt-BR); exactly one is primary.';

create table public.interview_templates (
  id uuid not null default gen_random_uuid(),
  name text not null,
  merchant_id uuid,
  kind public.interview_template_kind not null,
  description text,
  base_credit numeric(6, 2) not null,
  default_welcome_message text not null,
  default_thank_you_message text not null,
  default_max_followups integer not null default 2,
  default_conversation_speed public.conversation_speed not null default 'normal',
  default_answer_duration_seconds integer not null default 120,
  scoring_overrides jsonb not null default '{}'::jsonb,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  constraint interview_templates_pkey primary key (id),
  constraint interview_templates_merchant_id_fkey foreign key (merchant_id)
    references public.merchants (id) on delete cascade,
  constraint interview_templates_name_length check (char_length(btrim(name)) between 1 and 200),
  constraint interview_templates_base_credit_range check (base_credit > 0 and base_credit <= 100),
  constraint interview_templates_messages_length check (
    char_length(default_welcome_message) between 1 and 2000
    and char_length(default_thank_you_message) between 1 and 2000
  ),
  constraint interview_templates_default_max_followups_range check (default_max_followups between 0 and 999),
  constraint interview_templates_default_answer_duration_range check (default_answer_duration_seconds between 10 and 3600),
  -- Only the scoring keys of the API, max_score an integer 1..1000, the rest booleans.
  constraint interview_templates_scoring_overrides_valid check (
    jsonb_typeof(scoring_overrides) = 'object'
    and scoring_overrides - array[
      'max_score', 'early_stop', 'speech_cadence', 'ai_pronunciation', 'sentiment_analysis',
      'ai_assessment_answer', 'ai_assessment_resume', 'ai_assessment_session'
    ] = '{}'::jsonb
    and not jsonb_path_exists(scoring_overrides - 'max_score', '$.* ? (@.type() != "boolean")')
    and not jsonb_path_exists(
      scoring_overrides,
      '$.max_score ? (@.type() != "number" || @ < 1 || @ > 1000 || @.floor() != @)'
    )
  )
);

create index interview_templates_merchant_id_idx on public.interview_templates (merchant_id);

comment on table public.interview_templates is
  'How an interview runs: kind and base credit per session, default welcome and thank-you texts, default follow-ups, pace and answer time, scoring overrides. merchant_id null = available to every merchant.';
comment on column public.interview_templates.base_credit is
  'Credits one candidate session costs before recording surcharges and the duration multiplier.';
comment on column public.interview_templates.scoring_overrides is
  'Scoring settings merged over the platform defaults, before the request''s custom_scoring.';

alter table public.platform_languages enable row level security;
alter table public.platform_language_accents enable row level security;
alter table public.interview_templates enable row level security;

revoke all on table public.platform_languages, public.platform_language_accents, public.interview_templates
  from anon, authenticated, service_role;
grant select on table public.platform_languages, public.platform_language_accents, public.interview_templates
  to authenticated, service_role;

create policy platform_languages_select_signed_in on public.platform_languages
  for select to authenticated
  using (true);

create policy platform_language_accents_select_signed_in on public.platform_language_accents
  for select to authenticated
  using (true);

-- Global templates for everyone signed in; a merchant's own templates for its staff.
create policy interview_templates_select_usable on public.interview_templates
  for select to authenticated
  using (
    merchant_id is null
    or exists (
      select from public.profiles as p
      where p.id = (select auth.uid())
        and (p.role = 'admin' or (p.merchant_id = interview_templates.merchant_id and p.role in ('merchant_owner', 'merchant')))
    )
  );
