-- The ordered steps of an interview set: welcome, optional instructional video,
-- one step per question, thank-you; positions 1..n.
create table public.interview_def_step (
  id uuid not null default gen_random_uuid(),
  interview_def_set_id uuid not null,
  position integer not null,
  kind public.interview_step_kind not null,
  is_default boolean not null generated always as (kind <> 'question') stored,
  question_id uuid,
  text text,
  caller_question_id text,
  is_conditional boolean not null default false,
  conditional_on_position integer,
  constraint interview_def_step_pkey primary key (id),
  constraint interview_def_step_position_key unique (interview_def_set_id, position),
  constraint interview_def_step_interview_def_set_id_fkey foreign key (interview_def_set_id)
    references public.interview_def_set (id) on delete cascade,
  constraint interview_def_step_question_id_fkey foreign key (question_id)
    references public.interview_def_question (id) on delete restrict,
  constraint interview_def_step_conditional_on_position_fkey foreign key (interview_def_set_id, conditional_on_position)
    references public.interview_def_step (interview_def_set_id, position) on delete cascade,
  constraint interview_def_step_position_positive check (position >= 1),
  constraint interview_def_step_question_reference check ((kind = 'question') = (question_id is not null)),
  constraint interview_def_step_text_length check (char_length(text) <= 2000),
  constraint interview_def_step_caller_question_id_length check (char_length(caller_question_id) <= 200),
  constraint interview_def_step_conditional_link check (
    is_conditional = (conditional_on_position is not null)
    and (conditional_on_position is null or (kind = 'question' and conditional_on_position between 1 and position - 1))
  )
);

create index interview_def_step_question_id_idx on public.interview_def_step (question_id);
create index interview_def_step_conditional_on_position_idx
  on public.interview_def_step (interview_def_set_id, conditional_on_position)
  where conditional_on_position is not null;

comment on table public.interview_def_step is
  'A step of an interview set, at a dense position 1..n: welcome, instructional_video (when enabled), one question step per question, thank_you.';
comment on column public.interview_def_step.is_default is
  'True for the default steps (welcome, instructional video, thank-you); false for the generated question steps.';
comment on column public.interview_def_step.text is
  'Welcome or thank-you text, or the instructional video''s custom text.';
comment on column public.interview_def_step.caller_question_id is
  'The caller''s own handle of the question (its "id" in the request), kept for reference.';
comment on column public.interview_def_step.conditional_on_position is
  'For a conditional question: the position of the earlier question step it depends on.';

alter table public.interview_def_step enable row level security;

revoke all on table public.interview_def_step from anon, authenticated, service_role;
grant select on table public.interview_def_step to authenticated, service_role;

create policy interview_def_step_select_members on public.interview_def_step
  for select to authenticated
  using (
    exists (
      select from public.interview_def_set as s
      where s.id = interview_def_step.interview_def_set_id
    )
  );
