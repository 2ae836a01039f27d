alter table public.webhook_endpoints
  drop constraint webhook_endpoints_disabled_reason_length,
  drop constraint webhook_endpoints_merchant_id_url_key,
  drop column disabled_reason,
  drop column disabled_at,
  drop column failing_since;
