drop table public.interview_templates;
drop table public.platform_language_accents;
drop table public.platform_languages;
