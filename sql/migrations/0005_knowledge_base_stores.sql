-- Knowledge bases of a merchant, referenced by interviews and questions.
create table public.knowledge_base_stores (
  id uuid not null default gen_random_uuid(),
  merchant_id uuid not null,
  name text not null,
  created_at timestamptz not null default now(),
  constraint knowledge_base_stores_pkey primary key (id),
  constraint knowledge_base_stores_merchant_id_fkey foreign key (merchant_id)
    references public.merchants (id) on delete cascade,
  constraint knowledge_base_stores_name_length check (char_length(btrim(name)) between 1 and 200)
);

create index knowledge_base_stores_merchant_id_idx on public.knowledge_base_stores (merchant_id);

comment on table public.knowledge_base_stores is
  'A knowledge base of a merchant; interviews of type process-verification-from-knowledge-base and single questions may use one.';

alter table public.knowledge_base_stores enable row level security;

revoke all on table public.knowledge_base_stores from anon, authenticated, service_role;
grant select on table public.knowledge_base_stores to authenticated, service_role;

create policy knowledge_base_stores_select_members on public.knowledge_base_stores
  for select to authenticated
  using (
    exists (
      select from public.profiles as p
      where p.id = (select auth.uid())
        and (p.role = 'admin' or (p.merchant_id = knowledge_base_stores.merchant_id and p.role in ('merchant_owner', 'merchant')))
    )
  );
