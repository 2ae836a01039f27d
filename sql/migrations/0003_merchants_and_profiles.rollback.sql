drop table public.profiles;
drop table public.merchants;
