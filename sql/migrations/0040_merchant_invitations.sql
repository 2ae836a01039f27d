-- Invitations to join a merchant, as basejump has them for its accounts: a
-- merchant owner (or a platform admin) invites someone by email to a merchant
-- they may act for, with a role no higher than their own; the invitee, signed
-- in with that email, accepts with the token, which creates their profile.
--
-- The token (32 random bytes) is returned once, to the inviter, and only its
-- SHA-256 is stored: a read of this table (no API role has one) gives nothing
-- that accepts an invitation. Lives in interview_private: API roles have no
-- usage on the schema and no grants on the table; the invitation RPCs
-- (SECURITY DEFINER, sql/functions/public.merchant_invitation_*.sql) are the
-- only way in.
create table interview_private.merchant_invitations (
  id uuid not null default gen_random_uuid(),
  merchant_id uuid not null,
  role public.profile_role not null,
  email text not null,
  token_hash bytea not null,
  invited_by uuid not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  accepted_by uuid,
  accepted_at timestamptz,
  constraint merchant_invitations_pkey primary key (id),
  constraint merchant_invitations_token_hash_key unique (token_hash),
  constraint merchant_invitations_merchant_id_fkey foreign key (merchant_id)
    references public.merchants (id) on delete cascade,
  constraint merchant_invitations_invited_by_fkey foreign key (invited_by)
    references auth.users (id) on delete cascade,
  constraint merchant_invitations_accepted_by_fkey foreign key (accepted_by)
    references auth.users (id) on delete set null,
  constraint merchant_invitations_token_hash_length check (length(token_hash) = 32),
  constraint merchant_invitations_role_not_admin check (role <> 'admin'),
  constraint merchant_invitations_email_format check (char_length(email) between 3 and 320 and email like '%_@_%'),
  constraint merchant_invitations_expires_after_creation check (expires_at > created_at),
  constraint merchant_invitations_accepted_by_when_accepted check (accepted_by is null or accepted_at is not null)
);

create index merchant_invitations_merchant_id_idx on interview_private.merchant_invitations (merchant_id);
create index merchant_invitations_invited_by_idx on interview_private.merchant_invitations (invited_by);
create index merchant_invitations_accepted_by_idx on interview_private.merchant_invitations (accepted_by)
  where accepted_by is not null;

comment on table interview_private.merchant_invitations is
  $comment$Invitations to join a merchant with a role; single use, with an expiry.

token_hash is the SHA-256 of the 32-byte token returned once to the inviter; the token itself is never stored. email is who may accept (compared case-insensitively with auth.users.email of the accepting user). accepted_at/accepted_by are set by the one accept; a used or expired invitation accepts no one. Never readable by API roles.$comment$;
comment on column interview_private.merchant_invitations.role is
  'The role the invitee gets in merchant_id: merchant_owner, merchant or candidate (never admin: platform admins are made by the operator, `interview-db member add`).';
comment on column interview_private.merchant_invitations.accepted_by is
  'The user who accepted; null while open. Set null if that user is deleted, so the invitation stays used.';

alter table interview_private.merchant_invitations enable row level security;

revoke all on table interview_private.merchant_invitations from public, anon, authenticated, service_role;
