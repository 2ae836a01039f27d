-- One endpoint per (merchant, URL), and what the relay records about an
-- endpoint that keeps failing: since when, and why it was disabled. Merchants
-- already past webhook_settings.max_endpoints_per_merchant keep their endpoints
-- (the cap refuses new ones); duplicates must be removed first (one clear error).
do $$
begin
  if exists (select from public.webhook_endpoints group by merchant_id, url having pg_catalog.count(*) > 1) then
    raise exception 'public.webhook_endpoints has several endpoints with one merchant_id and url: delete the extra ones first'
      using hint = 'select merchant_id, url, count(*) from public.webhook_endpoints group by 1, 2 having count(*) > 1';
  end if;
end
$$;

alter table public.webhook_endpoints
  add column failing_since timestamptz,
  add column disabled_at timestamptz,
  add column disabled_reason text,
  add constraint webhook_endpoints_merchant_id_url_key unique (merchant_id, url),
  add constraint webhook_endpoints_disabled_reason_length check (pg_catalog.char_length(disabled_reason) <= 2000);

comment on column public.webhook_endpoints.failing_since is
  'When the first of the failed attempts since the last delivered one was recorded (null while the endpoint delivers).';
comment on column public.webhook_endpoints.disabled_reason is
  'Why the relay disabled this endpoint (every attempt failed for interview_private.webhook_settings.disable_failing_after); null when enabled or disabled by a person. Cleared when it is enabled again.';
comment on column public.webhook_endpoints.disabled_at is
  'When the endpoint was disabled automatically (see disabled_reason).';
