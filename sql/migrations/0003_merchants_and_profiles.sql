-- Tenants (merchants, nested through parent_merchant_id) and the profile of each
-- auth user: which merchant they belong to and what role they have there.
create table public.merchants (
  id uuid not null default gen_random_uuid(),
  name text not null,
  parent_merchant_id uuid,
  coaching_enabled boolean not null default false,
  created_at timestamptz not null default now(),
  constraint merchants_pkey primary key (id),
  constraint merchants_parent_merchant_id_fkey foreign key (parent_merchant_id)
    references public.merchants (id) on delete restrict,
  constraint merchants_name_length check (char_length(btrim(name)) between 1 and 200),
  constraint merchants_not_own_parent check (parent_merchant_id <> id)
);

create index merchants_parent_merchant_id_idx on public.merchants (parent_merchant_id);

comment on table public.merchants is
  'A tenant of the platform. A merchant may have sub-merchants (parent_merchant_id), nested to any depth.';
comment on column public.merchants.parent_merchant_id is
  'The merchant this one is a sub-merchant of; owners and staff of an ancestor may create interviews for it.';
comment on column public.merchants.coaching_enabled is
  'Coaching portal enabled: only then may interview sets of type coaching be created.';

create table public.profiles (
  id uuid not null,
  merchant_id uuid,
  role public.profile_role not null,
  full_name text,
  created_at timestamptz not null default now(),
  constraint profiles_pkey primary key (id),
  constraint profiles_id_fkey foreign key (id) references auth.users (id) on delete cascade,
  constraint profiles_merchant_id_fkey foreign key (merchant_id)
    references public.merchants (id) on delete cascade,
  constraint profiles_merchant_required check (role = 'admin' or merchant_id is not null),
  constraint profiles_full_name_length check (char_length(full_name) <= 200)
);

create index profiles_merchant_id_idx on public.profiles (merchant_id);

comment on table public.profiles is
  'One per auth user: the merchant the user belongs to and their role there. Platform admins may have no merchant.';
comment on column public.profiles.role is
  'admin (platform-wide), merchant_owner, merchant (staff) or candidate; candidates cannot create interviews.';

alter table public.merchants enable row level security;
alter table public.profiles enable row level security;

revoke all on table public.merchants, public.profiles from anon, authenticated, service_role;
grant select on table public.merchants, public.profiles to authenticated, service_role;

-- A signed-in user reads their own profile; nothing else of profiles (a policy
-- on profiles that reads profiles would recurse).
create policy profiles_select_own on public.profiles
  for select to authenticated
  using (id = (select auth.uid()));

-- Staff read their own merchant; platform admins read every merchant.
create policy merchants_select_members on public.merchants
  for select to authenticated
  using (
    exists (
      select from public.profiles as p
      where p.id = (select auth.uid())
        and (p.role = 'admin' or (p.merchant_id = merchants.id and p.role in ('merchant_owner', 'merchant')))
    )
  );
