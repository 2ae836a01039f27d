-- Validate a webhook endpoint's URL and event types (PT422 naming the field) and
-- return the event types normalised: null means every type; duplicates removed,
-- in a stable order (the order of interview_private.webhook_event_type, where
-- the types are declared once). An http:// URL is refused unless the operator
-- allows private targets (interview_private.webhook_settings.allow_private_targets,
-- the relay's --allow-private-targets): the relay would refuse it anyway.
create or replace function interview_private.valid_webhook_event_types(p_url text, p_event_types text[])
returns text[]
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_known constant text[] := pg_catalog.enum_range(null::interview_private.webhook_event_type)::text[];
  v_unknown record;
begin
  if p_url is null then
    perform interview_private.raise_invalid('url', 'url is required', 'an absolute https:// URL');
  end if;
  if pg_catalog.char_length(p_url) > 2048 or p_url !~ '^https?://[^/?#@\s]+([/?#]\S*)?$' then
    perform interview_private.raise_invalid(
      'url', 'url must be an absolute http(s) URL without user info, at most 2048 characters',
      'https://host[:port]/path; the relay refuses http and non-public addresses unless started with --allow-private-targets');
  end if;
  if pg_catalog.lower(pg_catalog.left(p_url, 7)) operator(pg_catalog.=) 'http://'
     and not coalesce((select s.allow_private_targets from interview_private.webhook_settings as s), false) then
    perform interview_private.raise_invalid(
      'url', 'url must use https://: this deployment does not allow http webhook targets',
      'https://host[:port]/path (http only where the operator sets webhook_settings.allow_private_targets)');
  end if;

  if p_event_types is null then
    return v_known;
  end if;
  if pg_catalog.cardinality(p_event_types) = 0 then
    perform interview_private.raise_invalid(
      'event_types', 'event_types must name at least one event type', pg_catalog.array_to_string(v_known, ', '));
  end if;
  select t.value, t.position
  into v_unknown
  from pg_catalog.unnest(p_event_types) with ordinality as t (value, position)
  where t.value is null or not t.value operator(pg_catalog.=) any (v_known)
  order by t.position
  limit 1;
  if found then
    perform interview_private.raise_invalid(
      pg_catalog.format('event_types[%s]', v_unknown.position - 1),
      pg_catalog.format('event_types[%s] is not a known event type: %s', v_unknown.position - 1,
                        coalesce(v_unknown.value, 'null')),
      pg_catalog.array_to_string(v_known, ', '));
  end if;
  return array(
    select k.value from pg_catalog.unnest(v_known) with ordinality as k (value, position)
    where k.value operator(pg_catalog.=) any (p_event_types)
    order by k.position
  );
end
$$;

comment on function interview_private.valid_webhook_event_types(text, text[]) is
  $comment$Validate a webhook endpoint's url and event_types; return the event types normalised (null = all).

Raises PT422 with the field's path (url, event_types[i]) and what is accepted.$comment$;

revoke all on function interview_private.valid_webhook_event_types(text, text[]) from public;
