-- Enumerated types of the interview model. Values are the API's own spelling.
create type public.profile_role as enum ('admin', 'merchant_owner', 'merchant', 'candidate');
comment on type public.profile_role is 'What a user may do: platform admin, merchant owner, merchant staff, or candidate.';

create type public.interview_status as enum ('draft', 'active');
comment on type public.interview_status is 'draft, or active (published).';

create type public.interview_kind as enum ('interview', 'coaching', 'assessment');
comment on type public.interview_kind is 'The kind of an interview set (the API field "type").';

create type public.interview_visibility as enum ('merchant_public', 'merchant_invite', 'merchant_unlisted');
comment on type public.interview_visibility is 'Who can find an interview set.';

create type public.interview_type as enum (
  'pre-screening',
  'pre-screening-with-test-questions',
  'second-interview',
  'remote-freelancer-verification',
  'strength-based-interview',
  'potential-based-interview',
  'process-verification-from-knowledge-base'
);
comment on type public.interview_type is 'The purpose of an interview (the API field "interview_type").';

create type public.seniority_level as enum ('entry-level', 'intermediate', 'senior', 'managerial', 'director', 'executive');
comment on type public.seniority_level is 'Seniority of the role an interview is for.';

create type public.result_view as enum ('none', 'minimal', 'minimal_with_score', 'advanced', 'full', 'full_expand_scores');
comment on type public.result_view is 'How much of the result a candidate sees.';

create type public.conversation_speed as enum ('slower', 'normal', 'faster');
comment on type public.conversation_speed is 'Pace of the AI interviewer''s speech.';

create type public.candidate_video_introduction as enum ('optional', 'required');
comment on type public.candidate_video_introduction is 'Whether a candidate records a video introduction.';

create type public.interview_tone as enum ('relaxed', 'simple', 'professional', 'persuasive');
comment on type public.interview_tone is 'Tone of the AI interviewer.';

create type public.cheating_detection_recording as enum ('audio_first_5_answers', 'audio_all', 'video_all', 'video_first_5_answers');
comment on type public.cheating_detection_recording is 'Recording used for cheating detection (the API field "recording").';

create type public.full_session_recording as enum ('audio_all', 'video_all');
comment on type public.full_session_recording is 'Recording of the whole session (the API field "recording_full_session").';

create type public.interview_template_kind as enum ('text', 'non_interactive_avatar', 'voice', 'avatar_and_voice');
comment on type public.interview_template_kind is 'How a template runs a session; decides its base credit.';

create type public.interview_step_kind as enum ('welcome', 'instructional_video', 'question', 'thank_you');
comment on type public.interview_step_kind is 'The kind of a step of an interview set.';
