drop table public.knowledge_base_stores;
